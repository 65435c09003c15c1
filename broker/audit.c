/* The audit log (LOG-1..3): append-only, each record chained to the one
 * before by HMAC-SHA256 over (previous MAC, sequence number, time, fields).
 * A changed field breaks its own MAC; a removed or reordered record breaks
 * the sequence or the chain; removing the newest records disagrees with the
 * head row. A copy of every record goes to syslog, which is the anchor an
 * attacker with write access to the database cannot rewrite. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "broker.h"
#include "store_internal.h"

#define MAC_LEN 32
#define N_FIELDS 9

static const char *nz(const char *s)
{
        return s ? s : "";
}

static void fields_of(const struct audit_record *r, const char *f[N_FIELDS])
{
        f[0] = nz(r->event);
        f[1] = nz(r->account);
        f[2] = nz(r->person);
        f[3] = nz(r->terminal);
        f[4] = nz(r->service);
        f[5] = nz(r->factor);
        f[6] = nz(r->result);
        f[7] = nz(r->reason);
        f[8] = nz(r->session);
}

static void put_u64(uint8_t b[8], uint64_t v)
{
        for (int i = 7; i >= 0; i--, v >>= 8)
                b[i] = (uint8_t)v;
}

static int record_mac(const uint8_t key[KAGI_KEY_LEN], const uint8_t prev[MAC_LEN],
                      const struct audit_record *r, uint8_t out[MAC_LEN])
{
        EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
        OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
                                OSSL_PARAM_construct_end() };
        const char *f[N_FIELDS];
        uint8_t num[8];
        size_t outlen = 0;
        int ok;

        fields_of(r, f);
        ok = ctx && EVP_MAC_init(ctx, key, KAGI_KEY_LEN, params) && EVP_MAC_update(ctx, prev, MAC_LEN);
        put_u64(num, (uint64_t)r->seq);
        ok = ok && EVP_MAC_update(ctx, num, 8);
        put_u64(num, (uint64_t)r->time_us);
        ok = ok && EVP_MAC_update(ctx, num, 8);
        for (int i = 0; ok && i < N_FIELDS; i++) {
                /* length-prefixed, so ("ab","c") and ("a","bc") differ */
                put_u64(num, strlen(f[i]));
                ok = EVP_MAC_update(ctx, num, 8) && EVP_MAC_update(ctx, (const uint8_t *)f[i], strlen(f[i]));
        }
        ok = ok && EVP_MAC_final(ctx, out, &outlen, MAC_LEN) && outlen == MAC_LEN;
        EVP_MAC_CTX_free(ctx);
        EVP_MAC_free(mac);
        return ok ? 0 : -EIO;
}

static int64_t now_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void audit_format_time(int64_t time_us, char buf[40])
{
        time_t t = (time_t)(time_us / 1000000);
        int64_t frac = time_us % 1000000;
        struct tm tm;

        /* division truncates toward zero: before 1970, count from the second before */
        if (frac < 0) {
                frac += 1000000;
                t--;
        }
        gmtime_r(&t, &tm);
        snprintf(buf, 40, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
                 tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100, (unsigned)frac % 1000000u);
}

int audit_append(struct store *s, const uint8_t key[KAGI_KEY_LEN], struct audit_record *r)
{
        sqlite3_stmt *st = store_stmt(s, STMT_AUDIT_HEAD);
        uint8_t prev[MAC_LEN] = { 0 }, mac[MAC_LEN];
        const char *f[N_FIELDS];
        int64_t seq = 0;
        int rc;

        if (!st)
                return -EIO;
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                seq = sqlite3_column_int64(st, 0);
                if (sqlite3_column_bytes(st, 1) != MAC_LEN) {
                        sqlite3_reset(st);
                        log_err("audit: head record is damaged; refusing to append");
                        return -EBADMSG;
                }
                memcpy(prev, sqlite3_column_blob(st, 1), MAC_LEN);
        } else if (rc != SQLITE_DONE) {
                return store_errno(s, "read audit head");
        }
        sqlite3_reset(st);

        r->seq = seq + 1;
        if (r->time_us == 0)
                r->time_us = now_us();
        if (record_mac(key, prev, r, mac) < 0)
                return -EIO;

        st = store_stmt(s, STMT_AUDIT_INSERT);
        if (!st)
                return -EIO;
        fields_of(r, f);
        sqlite3_bind_int64(st, 1, r->seq);
        sqlite3_bind_int64(st, 2, r->time_us);
        for (int i = 0; i < N_FIELDS; i++)
                sqlite3_bind_text(st, 3 + i, f[i], -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 12, mac, MAC_LEN, SQLITE_STATIC);
        rc = store_exec(s, st, "append audit record");
        if (rc < 0)
                return rc;

        st = store_stmt(s, STMT_AUDIT_HEAD_PUT);
        if (!st)
                return -EIO;
        sqlite3_bind_int64(st, 1, r->seq);
        sqlite3_bind_blob(st, 2, mac, MAC_LEN, SQLITE_STATIC);
        return store_exec(s, st, "advance audit head");
}

void audit_syslog(const struct audit_record *r)
{
        char t[40], line[4096];

        audit_format_time(r->time_us, t);
        /* one line, key=value, as auditd and sshd do; quoted values are ours */
        snprintf(line, sizeof(line),
                 "kagi-audit seq=%lld time=%s event=%s account=\"%s\" person=\"%s\" terminal=\"%s\" "
                 "service=\"%s\" factor=%s result=%s reason=\"%s\" session=%s",
                 (long long)r->seq, t, nz(r->event), nz(r->account), nz(r->person), nz(r->terminal),
                 nz(r->service), nz(r->factor), nz(r->result), nz(r->reason), nz(r->session));
        log_audit(line);
}

static void row_to_record(sqlite3_stmt *st, struct audit_record *r)
{
        r->seq = sqlite3_column_int64(st, 0);
        r->time_us = sqlite3_column_int64(st, 1);
        r->event = (const char *)sqlite3_column_text(st, 2);
        r->account = (const char *)sqlite3_column_text(st, 3);
        r->person = (const char *)sqlite3_column_text(st, 4);
        r->terminal = (const char *)sqlite3_column_text(st, 5);
        r->service = (const char *)sqlite3_column_text(st, 6);
        r->factor = (const char *)sqlite3_column_text(st, 7);
        r->result = (const char *)sqlite3_column_text(st, 8);
        r->reason = (const char *)sqlite3_column_text(st, 9);
        r->session = (const char *)sqlite3_column_text(st, 10);
}

int audit_each(struct store *s, int64_t since_us, audit_cb cb, void *userdata)
{
        sqlite3_stmt *st = store_stmt(s, since_us > 0 ? STMT_AUDIT_SINCE : STMT_AUDIT_ALL);
        int rc;

        if (!st)
                return -EIO;
        if (since_us > 0)
                sqlite3_bind_int64(st, 1, since_us);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct audit_record r;
                int c;

                row_to_record(st, &r);
                c = cb(userdata, &r);
                if (c < 0) {
                        sqlite3_reset(st);
                        return c;
                }
        }
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : store_errno(s, "read audit log");
}

int audit_verify(struct store *s, const uint8_t key[KAGI_KEY_LEN], struct audit_verdict *ret)
{
        uint8_t prev[MAC_LEN] = { 0 }, mac[MAC_LEN], head_mac[MAC_LEN] = { 0 };
        int64_t expect = 1, head_seq = 0;
        bool have_head = false;
        sqlite3_stmt *st;
        int rc;

        *ret = (struct audit_verdict){ .ok = true };

        /* one read transaction: the chain and its head from the same moment */
        if (sqlite3_exec(store_db(s), "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
                return store_errno(s, "begin read");
        st = store_stmt(s, STMT_AUDIT_HEAD);
        if (!st) {
                rc = -EIO;
                goto out;
        }
        if (sqlite3_step(st) == SQLITE_ROW) {
                have_head = true;
                head_seq = sqlite3_column_int64(st, 0);
                if (sqlite3_column_bytes(st, 1) == MAC_LEN)
                        memcpy(head_mac, sqlite3_column_blob(st, 1), MAC_LEN);
        }
        sqlite3_reset(st);

        st = store_stmt(s, STMT_AUDIT_ALL);
        if (!st) {
                rc = -EIO;
                goto out;
        }
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct audit_record r;

                row_to_record(st, &r);
                ret->records++;
                if (r.seq != expect) {
                        ret->ok = false;
                        ret->first_bad = expect;
                        snprintf(ret->why, sizeof(ret->why),
                                 r.seq > expect ? "record %lld is missing (removed); next present is %lld"
                                                : "record %lld is out of order (found %lld)",
                                 (long long)expect, (long long)r.seq);
                        break;
                }
                if (record_mac(key, prev, &r, mac) < 0) {
                        rc = -EIO;
                        goto out;
                }
                if (sqlite3_column_bytes(st, 11) != MAC_LEN ||
                    CRYPTO_memcmp(mac, sqlite3_column_blob(st, 11), MAC_LEN) != 0) {
                        ret->ok = false;
                        ret->first_bad = r.seq;
                        snprintf(ret->why, sizeof(ret->why),
                                 "record %lld was changed, or a record before it was removed or reordered",
                                 (long long)r.seq);
                        break;
                }
                memcpy(prev, mac, MAC_LEN);
                expect++;
        }
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
                rc = store_errno(s, "read audit log");
                goto out;
        }
        if (ret->ok && (have_head ? head_seq != expect - 1 : expect != 1)) {
                ret->ok = false;
                ret->first_bad = expect;
                snprintf(ret->why, sizeof(ret->why),
                         "the log ends at record %lld but %lld were written: records after %lld were removed",
                         (long long)(expect - 1), (long long)head_seq, (long long)(expect - 1));
        } else if (ret->ok && have_head && CRYPTO_memcmp(head_mac, prev, MAC_LEN) != 0) {
                ret->ok = false;
                ret->first_bad = expect - 1;
                snprintf(ret->why, sizeof(ret->why),
                         "record %lld is not the record that was last written: the newest records were "
                         "replaced", (long long)(expect - 1));
        }
        rc = 0;
out:
        sqlite3_exec(store_db(s), "COMMIT", NULL, NULL, NULL);
        return rc;
}
