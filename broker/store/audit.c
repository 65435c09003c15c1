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

void audit_state_clear(struct audit_state *a)
{
        EVP_MAC_CTX_free(a->mac);
        secret_wipe(a, sizeof(*a));
}

/* The connection's HMAC state keyed with key, set up once per key:
 * scheduling the key (and OpenSSL's parameter handling around it) costs
 * more than the MAC of a whole record. */
static bool hmac_keyed(struct audit_state *a, const uint8_t key[KAGI_KEY_LEN])
{
        OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
                                OSSL_PARAM_construct_end() };
        EVP_MAC_CTX *ctx;

        if (a->mac && CRYPTO_memcmp(a->key, key, KAGI_KEY_LEN) == 0)
                return true;
        /* another key: nothing known holds for it */
        audit_state_clear(a);
        pthread_once(&hmac_once, hmac_fetch);
        ctx = hmac_alg ? EVP_MAC_CTX_new(hmac_alg) : NULL;
        if (!ctx || !EVP_MAC_init(ctx, key, KAGI_KEY_LEN, params)) {
                EVP_MAC_CTX_free(ctx);
                return false;
        }
        a->mac = ctx;
        memcpy(a->key, key, KAGI_KEY_LEN);
        return true;
}

/* A MAC under key, started from a copy of the keyed state. */
static EVP_MAC_CTX *hmac_new(struct audit_state *a, const uint8_t key[KAGI_KEY_LEN])
{
        return hmac_keyed(a, key) ? EVP_MAC_CTX_dup(a->mac) : NULL;
}

/* What goes into one MAC, gathered so that OpenSSL is called once or twice
 * a record rather than twice a field: the same bytes in the same order,
 * so the MACs are those of one update per piece. */
struct mac_input {
        EVP_MAC_CTX *ctx;
        bool ok;
        size_t n;
        uint8_t b[512];
};

static bool mac_start(struct mac_input *m, struct audit_state *a, const uint8_t key[KAGI_KEY_LEN])
{
        m->ctx = hmac_new(a, key);
        m->ok = m->ctx != NULL;
        m->n = 0;
        return m->ok;
}

static void mac_put(struct mac_input *m, const void *p, size_t len)
{
        const uint8_t *from = p;

        while (m->ok && len > 0) {
                size_t k = sizeof(m->b) - m->n < len ? sizeof(m->b) - m->n : len;

                memcpy(m->b + m->n, from, k);
                m->n += k;
                from += k;
                len -= k;
                if (m->n == sizeof(m->b)) {
                        m->ok = EVP_MAC_update(m->ctx, m->b, m->n);
                        m->n = 0;
                }
        }
}

static void mac_put_u64(struct mac_input *m, uint64_t v)
{
        uint8_t num[8];

        put_u64(num, v);
        mac_put(m, num, sizeof(num));
}

static int mac_done(struct mac_input *m, uint8_t out[MAC_LEN])
{
        size_t outlen = 0;
        bool ok = m->ok && (m->n == 0 || EVP_MAC_update(m->ctx, m->b, m->n)) &&
                  EVP_MAC_final(m->ctx, out, &outlen, MAC_LEN) && outlen == MAC_LEN;

        EVP_MAC_CTX_free(m->ctx);
        m->ctx = NULL;
        return ok ? 0 : -EIO;
}

static int record_mac(struct audit_state *a, const uint8_t key[KAGI_KEY_LEN], const uint8_t prev[MAC_LEN],
                      const struct audit_record *r, uint8_t out[MAC_LEN])
{
        struct mac_input m;
        const char *f[N_FIELDS];

        if (!mac_start(&m, a, key))
                return -EIO;
        fields_of(r, f);
        mac_put(&m, prev, MAC_LEN);
        mac_put_u64(&m, (uint64_t)r->seq);
        mac_put_u64(&m, (uint64_t)r->time_us);
        for (int i = 0; i < N_FIELDS; i++) {
                size_t n = strlen(f[i]);

                /* length-prefixed, so ("ab","c") and ("a","bc") differ */
                mac_put_u64(&m, n);
                mac_put(&m, f[i], n);
        }
        return mac_done(&m, out);
}

/* The head names the newest record. Its own MAC, which no record row holds,
 * is what stops someone with write access to the database from removing the
 * newest records and pointing the head at the last one left. */
static int head_mac(struct audit_state *a, const uint8_t key[KAGI_KEY_LEN], int64_t seq, const uint8_t last[MAC_LEN],
                    uint8_t out[MAC_LEN])
{
        static const char label[] = "kagi-audit-head-v1";
        struct mac_input m;

        if (!mac_start(&m, a, key))
                return -EIO;
        mac_put(&m, label, sizeof(label));
        mac_put_u64(&m, (uint64_t)seq);
        mac_put(&m, last, MAC_LEN);
        return mac_done(&m, out);
}

struct head {
        bool present;
        int64_t seq;
        uint8_t mac[MAC_LEN];
        bool intact;             /* lengths right and head_mac verifies */
};

/* The head row this connection last wrote or verified: the same bytes
 * verify again, with the same key. */
static bool head_known(const struct audit_state *a, int64_t seq, const void *mac, const void *hmac)
{
        return a->head_known && a->head_seq == seq && memcmp(a->head_mac, mac, MAC_LEN) == 0 &&
               memcmp(a->head_head_mac, hmac, MAC_LEN) == 0;
}

static void head_remember(struct audit_state *a, int64_t seq, const uint8_t mac[MAC_LEN],
                          const uint8_t hmac[MAC_LEN])
{
        a->head_known = true;
        a->head_seq = seq;
        memcpy(a->head_mac, mac, MAC_LEN);
        memcpy(a->head_head_mac, hmac, MAC_LEN);
}

/* trust_known: a head this connection wrote or verified itself need not
 * be verified again (appending); verification proper checks every time. */
static int read_head(struct store *s, const uint8_t key[KAGI_KEY_LEN], bool trust_known, struct head *h)
{
        sqlite3_stmt *st = store_stmt(s, STMT_AUDIT_HEAD);
        struct audit_state *a = &store_conn(s)->audit;
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
                        const void *hmac = sqlite3_column_blob(st, 2);

                        memcpy(h->mac, sqlite3_column_blob(st, 1), MAC_LEN);
                        /* the key first: a known head of another key is not one */
                        h->intact = trust_known && hmac_keyed(a, key) && head_known(a, h->seq, h->mac, hmac);
                        if (!h->intact) {
                                h->intact = head_mac(a, key, h->seq, h->mac, expect) == 0 &&
                                            CRYPTO_memcmp(expect, hmac, MAC_LEN) == 0;
                                if (h->intact && trust_known)
                                        head_remember(a, h->seq, h->mac, hmac);
                        }
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

/* The head row: the newest record's number and MAC, and the head's own MAC. */
static int head_put(struct store *c, struct audit_state *a, const uint8_t key[KAGI_KEY_LEN], int64_t seq,
                    const uint8_t mac[MAC_LEN])
{
        uint8_t hmac[MAC_LEN];
        sqlite3_stmt *st;
        int rc;

        if (head_mac(a, key, seq, mac, hmac) < 0)
                return -EIO;
        st = store_stmt(c, STMT_AUDIT_HEAD_PUT);
        if (!st)
                return -EIO;
        sqlite3_bind_int64(st, 1, seq);
        sqlite3_bind_blob(st, 2, mac, MAC_LEN, SQLITE_STATIC);
        sqlite3_bind_blob(st, 3, hmac, MAC_LEN, SQLITE_STATIC);
        rc = store_exec(c, st, "advance audit head");
        if (rc >= 0)
                head_remember(a, seq, mac, hmac);
        return rc;
}

int audit_head_flush(struct store *c)
{
        struct audit_state *a = &c->audit;
        uint8_t key[KAGI_KEY_LEN];
        int rc;

        if (!a->pending)
                return 0;
        a->pending = false;
        memcpy(key, a->key, sizeof(key));
        rc = head_put(c, a, key, a->pending_seq, a->pending_mac);
        secret_wipe(key, sizeof(key));
        return rc;
}

void audit_head_drop(struct store *c)
{
        c->audit.pending = false;
}

int audit_append(struct store *s, const uint8_t key[KAGI_KEY_LEN], struct audit_record *r)
{
        struct store *c = store_conn(s);
        struct audit_state *a = &c->audit;
        uint8_t mac[MAC_LEN];
        const char *f[N_FIELDS];
        struct head h;
        sqlite3_stmt *st;
        int rc;

        /* a record of another key ends what this one keeps pending */
        if (a->pending && CRYPTO_memcmp(a->key, key, KAGI_KEY_LEN) != 0 && (rc = audit_head_flush(c)) < 0)
                return rc;
        if (a->pending) {
                /* this transaction's newest record, whose head row is written at its commit */
                h = (struct head){ .present = true, .intact = true, .seq = a->pending_seq };
                memcpy(h.mac, a->pending_mac, MAC_LEN);
        } else {
                rc = read_head(s, key, true, &h);
                if (rc < 0)
                        return rc;
        }
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
        if (record_mac(a, key, h.mac, r, mac) < 0)
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
        if (!s->writing)
                return head_put(c, a, key, r->seq, mac);
        /* in a transaction, the head row is written once, at its commit
         * (audit_head_flush), for however many records it appends */
        a->pending = true;
        a->pending_seq = r->seq;
        memcpy(a->pending_mac, mac, MAC_LEN);
        return 0;
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
        uint8_t prev[MAC_LEN] = { 0 }, mac[MAC_LEN];
        int64_t expect = 1;
        struct head h;
        sqlite3_stmt *st;
        int rc;

        *ret = (struct audit_verdict){ .ok = true };

        /* one read transaction: the chain and its head from the same moment */
        if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
                return store_errno(s, "begin read");
        rc = read_head(s, key, false, &h);
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
                if (record_mac(&s->audit, key, prev, &r, mac) < 0) {
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
