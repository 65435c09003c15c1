/* The audit log (LOG-1..3): append-only, each record chained to the one
 * before by HMAC-SHA256 over (previous MAC, sequence number, time, fields).
 * A changed field breaks its own MAC; a removed or reordered record breaks
 * the sequence or the chain; removing the newest records disagrees with the
 * head row, whose own MAC (over sequence and last MAC) no record row holds.
 * kagid sends a copy of every record to syslog after the commit: the anchor
 * an attacker with write access to the database cannot rewrite. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "log.h"
#include "store.h"
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

/* Fetching an algorithm is a provider lookup under a lock in OpenSSL 3:
 * done once, not twice per record. */
static EVP_MAC *hmac_alg;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void hmac_fetch(void)
{
        hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

static EVP_MAC_CTX *hmac_new(const uint8_t key[KAGI_KEY_LEN])
{
        EVP_MAC_CTX *ctx;
        OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
                                OSSL_PARAM_construct_end() };

        pthread_once(&hmac_once, hmac_fetch);
        ctx = hmac_alg ? EVP_MAC_CTX_new(hmac_alg) : NULL;
        if (ctx && !EVP_MAC_init(ctx, key, KAGI_KEY_LEN, params)) {
                EVP_MAC_CTX_free(ctx);
                ctx = NULL;
        }
        return ctx;
}

static bool hmac_u64(EVP_MAC_CTX *ctx, uint64_t v)
{
        uint8_t num[8];

        put_u64(num, v);
        return EVP_MAC_update(ctx, num, 8);
}

static void hmac_freep(EVP_MAC_CTX **ctx)
{
        EVP_MAC_CTX_free(*ctx);
}

/* The context is keyed once (hmac_new) and restarted for each MAC: a
 * verification of a million records prepares the key and fetches SHA-256
 * once, not twice per record. */
static bool hmac_restart(EVP_MAC_CTX *ctx)
{
        return EVP_MAC_init(ctx, NULL, 0, NULL);
}

static int hmac_final(EVP_MAC_CTX *ctx, bool ok, uint8_t out[MAC_LEN])
{
        size_t outlen = 0;

        ok = ok && EVP_MAC_final(ctx, out, &outlen, MAC_LEN) && outlen == MAC_LEN;
        return ok ? 0 : -EIO;
}

static int record_mac(EVP_MAC_CTX *ctx, const uint8_t prev[MAC_LEN], const struct audit_record *r,
                      uint8_t out[MAC_LEN])
{
        const char *f[N_FIELDS];
        bool ok;

        fields_of(r, f);
        ok = hmac_restart(ctx) && EVP_MAC_update(ctx, prev, MAC_LEN) && hmac_u64(ctx, (uint64_t)r->seq) &&
             hmac_u64(ctx, (uint64_t)r->time_us);
        for (int i = 0; ok && i < N_FIELDS; i++)
                /* length-prefixed, so ("ab","c") and ("a","bc") differ */
                ok = hmac_u64(ctx, strlen(f[i])) && EVP_MAC_update(ctx, (const uint8_t *)f[i], strlen(f[i]));
        return hmac_final(ctx, ok, out);
}

/* The head names the newest record. Its own MAC, which no record row holds,
 * is what stops someone with write access to the database from removing the
 * newest records and pointing the head at the last one left. */
static int head_mac(EVP_MAC_CTX *ctx, int64_t seq, const uint8_t last[MAC_LEN], uint8_t out[MAC_LEN])
{
        static const char label[] = "kagi-audit-head-v1";

        return hmac_final(ctx,
                          hmac_restart(ctx) && EVP_MAC_update(ctx, (const uint8_t *)label, sizeof(label)) &&
                                  hmac_u64(ctx, (uint64_t)seq) && EVP_MAC_update(ctx, last, MAC_LEN),
                          out);
}

struct head {
        bool present;
        int64_t seq;
        uint8_t mac[MAC_LEN];
        bool intact;             /* lengths right and head_mac verifies */
};

static int read_head(struct store *s, EVP_MAC_CTX *ctx, struct head *h)
{
        sqlite3_stmt *st = store_stmt(s, STMT_AUDIT_HEAD);
        uint8_t expect[MAC_LEN];
        int rc;

        *h = (struct head){ 0 };
        if (!st)
                return -EIO;
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                h->present = true;
                h->seq = sqlite3_column_int64(st, 0);
                if (sqlite3_column_bytes(st, 1) == MAC_LEN && sqlite3_column_bytes(st, 2) == MAC_LEN) {
                        memcpy(h->mac, sqlite3_column_blob(st, 1), MAC_LEN);
                        h->intact = head_mac(ctx, h->seq, h->mac, expect) == 0 &&
                                    CRYPTO_memcmp(expect, sqlite3_column_blob(st, 2), MAC_LEN) == 0;
                }
        } else if (rc != SQLITE_DONE) {
                return store_errno(s, "read audit head");
        }
        sqlite3_reset(st);
        return 0;
}

static int64_t now_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int audit_append(struct store *s, const uint8_t key[KAGI_KEY_LEN], struct audit_record *r)
{
        _cleanup_(hmac_freep) EVP_MAC_CTX *ctx = hmac_new(key);
        uint8_t mac[MAC_LEN], hmac[MAC_LEN];
        const char *f[N_FIELDS];
        struct head h;
        sqlite3_stmt *st;
        int rc;

        if (!ctx)
                return -EIO;
        rc = read_head(s, ctx, &h);
        if (rc < 0)
                return rc;
        if (h.present && !h.intact) {
                /* Appending would bless whatever was done to the log: refuse,
                 * which refuses the decision this record belongs to. */
                log_err("audit: the head of the audit log does not verify (altered, or a different audit.key); "
                        "refusing to append — run kagictl audit verify");
                return -EBADMSG;
        }

        r->seq = h.seq + 1;
        if (r->time_us == 0)
                r->time_us = now_us();
        if (record_mac(ctx, h.mac, r, mac) < 0 || head_mac(ctx, r->seq, mac, hmac) < 0)
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
        sqlite3_bind_blob(st, 3, hmac, MAC_LEN, SQLITE_STATIC);
        return store_exec(s, st, "advance audit head");
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
        sqlite3_stmt *st = store_stmt(s, STMT_AUDIT_ALL);
        int rc;

        if (!st)
                return -EIO;
        sqlite3_bind_int64(st, 1, since_us > 0 ? since_us : INT64_MIN);
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
        _cleanup_(hmac_freep) EVP_MAC_CTX *ctx = hmac_new(key);
        uint8_t prev[MAC_LEN] = { 0 }, mac[MAC_LEN];
        int64_t expect = 1;
        struct head h;
        sqlite3_stmt *st;
        int rc;

        *ret = (struct audit_verdict){ .ok = true };
        if (!ctx)
                return -EIO;

        /* one read transaction: the chain and its head from the same moment */
        if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
                return store_errno(s, "begin read");
        rc = read_head(s, ctx, &h);
        if (rc < 0)
                goto out;

        st = store_stmt(s, STMT_AUDIT_ALL);
        if (!st) {
                rc = -EIO;
                goto out;
        }
        sqlite3_bind_int64(st, 1, INT64_MIN);
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
                if (record_mac(ctx, prev, &r, mac) < 0) {
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
        rc = 0;
        if (!ret->ok)
                goto out;
        if (h.present && !h.intact) {
                ret->ok = false;
                ret->first_bad = expect;
                snprintf(ret->why, sizeof(ret->why),
                         "the head of the log was altered: records after %lld may have been removed",
                         (long long)(expect - 1));
        } else if (h.present ? h.seq != expect - 1 : expect != 1) {
                ret->ok = false;
                ret->first_bad = expect;
                snprintf(ret->why, sizeof(ret->why),
                         "the log ends at record %lld but %lld were written: records after %lld were removed",
                         (long long)(expect - 1), (long long)h.seq, (long long)(expect - 1));
        } else if (h.present && CRYPTO_memcmp(h.mac, prev, MAC_LEN) != 0) {
                ret->ok = false;
                ret->first_bad = expect - 1;
                snprintf(ret->why, sizeof(ret->why),
                         "record %lld is not the record that was last written: the newest records were replaced",
                         (long long)(expect - 1));
        }
out:
        sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
        return rc;
}
