/* libkagi-broker: everything kagid decides with, and kagictl's client side.
 *
 *   log.c        syslog / stderr logging (never a secret)
 *   keys.c       key files: created 0600, refused if others can read them
 *   seal.c       AES-256-GCM for secrets at rest
 *   totp.c       RFC 6238 through liboath, with replay refusal
 *   store.c      SQLite state: locks, enrollments, sessions (WAL, durable)
 *   audit.c      the HMAC-SHA256 hash-chained audit log
 *   directory.c  who exists: NSS or LDAP (directory_nss.c, directory_ldap.c)
 *   auth.c       login decisions: preauth, authfail, begin, verify, account, session
 *   admin.c      kagictl's requests
 *   dispatch.c   the table of requests and who may send them
 *   server.c     the socket, the workers, peer credentials
 *   client.c     kagictl's side of the socket
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <syslog.h>

#include "common.h"
#include "policy.h"

/* ---- logging ------------------------------------------------------------ */
void log_setup(bool to_stderr, bool debug);
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One audit record as a line: to syslog (LOG_AUTHPRIV), and to stderr with -f. */
void log_audit(const char *line);
#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* ---- keys and sealing ------------------------------------------------------ */
#define KAGI_KEY_LEN 32
struct kagi_keys {
        uint8_t audit[KAGI_KEY_LEN];          /* HMAC key of the audit chain */
        uint8_t seal[KAGI_KEY_LEN];           /* AES-256-GCM key for secrets at rest */
};
/* Loads key_dir/audit.key and key_dir/seal.key; with `create`, makes the
 * directory (0700) and the keys (0600, random) when absent — without it, an
 * absent key is left zero (for kagid -t, which must not change anything). A
 * key file readable by group/others or owned by another user is refused. */
int keys_load(const char *dir, uid_t owner, bool create, struct kagi_keys *ret, char *err, size_t errsz);
void keys_wipe(struct kagi_keys *k);

/* Sealed = 12-byte nonce | ciphertext | 16-byte tag; aad binds it to a row. */
int seal(const uint8_t key[KAGI_KEY_LEN], const char *aad, const uint8_t *pt, size_t ptlen,
         uint8_t **ret, size_t *ret_len);
int unseal(const uint8_t key[KAGI_KEY_LEN], const char *aad, const uint8_t *in, size_t inlen,
           uint8_t **ret, size_t *ret_len);  /* result wiped by the caller with secret_free */

/* ---- TOTP ------------------------------------------------------------------ */
#define TOTP_SECRET_LEN 20                    /* 160 bits, as RFC 4226 recommends */
struct totp_params {
        uint32_t digits;
        uint32_t step;
        uint32_t window;
};
enum totp_result { TOTP_OK, TOTP_WRONG, TOTP_REPLAY };
/* Checks code at `now` against the secret; `last` is the last accepted time
 * step counter (0: none). A code for `last` or an earlier step is a replay.
 * On TOTP_OK sets the accepted counter and its skew in steps. */
enum totp_result totp_check(const struct totp_params *p, const uint8_t *secret, size_t len,
                            const char *code, int64_t now, uint64_t last,
                            uint64_t *ret_counter, int *ret_skew);
int totp_generate(const struct totp_params *p, const uint8_t *secret, size_t len, int64_t now,
                  char code[16]);
int totp_new_secret(uint8_t secret[TOTP_SECRET_LEN]);
/* base32 <-> bytes through liboath; result of decode freed with secret_free */
int totp_base32_decode(const char *b32, uint8_t **ret, size_t *ret_len);
int totp_base32_encode(const uint8_t *p, size_t len, char **ret);
/* otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=…&digits=…&period=…&algorithm=SHA1 */
int totp_uri(const struct totp_params *p, const char *issuer, const char *account,
             const char *b32, char **ret);

/* ---- store ------------------------------------------------------------------ */
struct store;
/* Opens (creating) the database; one connection per thread. The file and its
 * directory must not be writable by others. */
int store_open(const char *path, uid_t owner, struct store **ret, char *err, size_t errsz);
void store_close(struct store *s);
/* BEGIN IMMEDIATE: writers are serialised, so read-modify-write is safe. */
int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);
/* Between store_begin and its commit or rollback (holding the write lock). */
bool store_in_transaction(const struct store *s);

int store_lock_get(struct store *s, const char *user, struct lock_state *ret);
int store_lock_put(struct store *s, const char *user, const struct lock_state *st);
int store_note_result(struct store *s, const char *user, bool success, int64_t now);

struct totp_row {
        uint8_t *sealed;
        size_t sealed_len;
        uint64_t last_counter;
        int64_t enrolled_at;
};
int store_totp_get(struct store *s, const char *user, struct totp_row *ret);  /* -ENOENT */
void totp_row_clear(struct totp_row *r);
int store_totp_put(struct store *s, const char *user, const uint8_t *sealed, size_t len, int64_t now);
int store_totp_accept(struct store *s, const char *user, uint64_t counter, int skew);
int store_totp_delete(struct store *s, const char *user);  /* -ENOENT */

int store_session_open(struct store *s, const char *id, const char *user, const char *person,
                       const char *service, const char *terminal, uint32_t pid, int64_t now);
int store_session_close(struct store *s, const char *id, int64_t now, char *ret_user, size_t usz);

/* For user list/show: every account kagi holds any state about. */
typedef int (*store_user_cb)(void *userdata, const char *user);
int store_users(struct store *s, store_user_cb cb, void *userdata);
struct user_state {
        struct lock_state lock;
        int64_t last_success;
        int64_t last_failure;
        bool totp_enrolled;
        int64_t totp_enrolled_at;
        int totp_last_skew;
};
int store_user_state(struct store *s, const char *user, struct user_state *ret);

/* The card registry (card_store.c). */
struct card_cert;
struct card_row {
        char fingerprint[65];
        char serial[129];
        char subject[512];
        char issuer[512];
        char account[257];
        char state[16];                       /* active, retired, revoked */
        int64_t registered;
        int64_t not_after;
        int64_t changed;                      /* when retired or revoked */
        char reason[1024];
};
int store_card_get(struct store *s, const char *fingerprint, struct card_row *ret);  /* -ENOENT */
int store_card_add(struct store *s, const struct card_cert *c, const char *account, int64_t now);
/* Returns how many cards were retired. */
int store_card_retire_others(struct store *s, const char *account, const char *keep, int64_t now);
int store_card_revoke(struct store *s, const char *fingerprint, const char *reason, int64_t now); /* -EALREADY */
int store_card_by_serial(struct store *s, const char *serial, char fingerprint[65], size_t *ret_matches);
typedef int (*store_card_cb)(void *userdata, const struct card_row *c);
int store_cards(struct store *s, const char *account, store_card_cb cb, void *userdata);

/* Card login challenges (challenge.c), in memory: single use, 60 s. */
#define CHALLENGE_LEN 32
#define CHALLENGE_TTL 60
struct challenge_row {
        char account[257];
        char terminal[600];
        char fingerprint[65];
        int64_t expires;
};
struct challenges;
int challenges_new(struct challenges **ret);
void challenges_free(struct challenges *c);
/* -EBUSY when every slot holds a live challenge. */
int challenge_put(struct challenges *c, const uint8_t nonce[CHALLENGE_LEN], const char *account,
                  const char *terminal, const char *fingerprint, int64_t expires, int64_t now);
/* Single use: the challenge is gone once taken. -ENOENT if unknown or taken. */
int challenge_take(struct challenges *c, const uint8_t *nonce, size_t len, struct challenge_row *ret);

/* Raw access for audit.c and tests. */
struct sqlite3 *store_db(struct store *s);

/* ---- audit ------------------------------------------------------------------ */
struct audit_record {
        int64_t seq;                          /* set by audit_append */
        int64_t time_us;                      /* UTC, microseconds; set by audit_append if 0 */
        const char *event;                    /* auth, lock, unlock, login, logout, enroll … */
        const char *account;
        const char *person;                   /* who, behind the account */
        const char *terminal;
        const char *service;
        const char *factor;
        const char *result;                   /* success, failure, denied, … */
        const char *reason;
        const char *session;
};
/* Inside the caller's transaction. Also queues the syslog copy: call
 * audit_flush_syslog() after the commit. */
int audit_append(struct store *s, const uint8_t key[KAGI_KEY_LEN], struct audit_record *r);
void audit_syslog(const struct audit_record *r);

struct audit_verdict {
        bool ok;
        int64_t records;                      /* records checked */
        int64_t first_bad;                    /* seq of the first bad record, 0 if none */
        char why[256];
};
int audit_verify(struct store *s, const uint8_t key[KAGI_KEY_LEN], struct audit_verdict *ret);
typedef int (*audit_cb)(void *userdata, const struct audit_record *r);
int audit_each(struct store *s, int64_t since_us, audit_cb cb, void *userdata);
/* ISO 8601 UTC with microseconds */
void audit_format_time(int64_t time_us, char buf[40]);

/* ---- card certificates (x509.c) ------------------------------------------------ */
#define KAGI_CERT_MAX 16384
struct x509_st;
struct card_cert {
        struct x509_st *x;                    /* OpenSSL's X509 */
        uint8_t *der;
        size_t der_len;
        char fingerprint[65];                 /* SHA-256 of the DER, lower-case hex */
        char serial[129];                     /* upper-case hex */
        char subject[512];
        char issuer[512];
        int64_t not_after;
};
/* A certificate in DER or PEM; -EINVAL for anything else. */
int card_cert_parse(const uint8_t *buf, size_t len, struct card_cert *ret);
void card_cert_clear(struct card_cert *c);

/* The trust anchors ([card] ca_file) and CRLs ([card] crl_file), shared by
 * all workers and reloaded when the files change. */
struct trust;
int trust_open(const struct kagi_config *c, struct trust **ret);
void trust_close(struct trust *t);
enum cert_verdict {
        CERT_OK,
        CERT_UNTRUSTED,                       /* no chain to the anchors, bad signature … */
        CERT_EXPIRED,                         /* or not yet valid */
        CERT_REVOKED,                         /* by a CRL */
        CERT_BAD_USAGE,                       /* key usage, EKU, key type or size */
        CERT_NO_TRUST,                        /* the anchors cannot be loaded */
};
/* card_cert_parse through the trust's cache of recently seen certificates. */
int trust_parse(struct trust *t, const uint8_t *buf, size_t len, struct card_cert *ret);
/* The chain, validity, usage and CRL verdict. A certificate that came from
 * trust_parse keeps its verdict for up to a minute, never past its notAfter
 * and never across a change of the anchors or CRLs. */
enum cert_verdict trust_check(struct trust *t, const struct card_cert *c, char *why, size_t whysz);
/* Load the anchors and CRLs now (kagid at start); -ENOENT with why. */
int trust_load(struct trust *t, char *why, size_t whysz);
/* 1: the signature over msg (SHA-256; RSA PKCS#1 v1.5 or ECDSA) is the
 * certificate key's; 0: it is not; negative: error. */
int card_signature_check(const struct card_cert *c, const uint8_t *msg, size_t len, const uint8_t *sig,
                         size_t siglen);

/* ---- directory ---------------------------------------------------------------- */
struct dir_account {
        bool exists;
        bool enabled;
        uid_t uid;                            /* NSS only; (uid_t)-1 otherwise */
        char display_name[256];
        char department[256];
        struct strv groups;
};
void dir_account_clear(struct dir_account *a);
/* Copies an account (groups included). 0 or -ENOMEM. */
int dir_account_copy(const struct dir_account *from, struct dir_account *to);

/* The lookup cache (dir_cache.c), shared by the workers of one broker:
 * entries live [directory] cache_ttl seconds (0: no cache); errors are never
 * cached. Keyed by the configuration it serves; reference counted. */
struct dir_cache;
int dir_cache_get(const void *key, uint32_t ttl_seconds, struct dir_cache **ret);  /* NULL when ttl is 0 */
void dir_cache_put(struct dir_cache *c);
/* 1 with *ret filled when fresh, 0 when not there (or c is NULL). */
int dir_cache_find(struct dir_cache *c, const char *user, int64_t now_ms, struct dir_account *ret);
int dir_cache_store(struct dir_cache *c, const char *user, int64_t now_ms, const struct dir_account *a);

struct dir_certs {
        uint8_t **der;
        size_t *len;
        size_t n;
};
void dir_certs_clear(struct dir_certs *c);

struct directory;
/* One handle per worker thread. */
int directory_open(const struct kagi_config *c, struct directory **ret, char *err, size_t errsz);
void directory_close(struct directory *d);
/* 0 with *ret filled (exists=false for an unknown name); -EHOSTDOWN / -ETIMEDOUT
 * / -ECONNREFUSED when the directory cannot answer: the caller fails closed. */
int directory_lookup(struct directory *d, const char *user, struct dir_account *ret);
/* The same without asking whether the account is enabled, where a backend
 * must ask separately (NSS: getspnam); ret->enabled is then true. For
 * decisions that do not depend on it (preauth, the factors to collect). */
int directory_lookup_brief(struct directory *d, const char *user, struct dir_account *ret);
/* Can the broker verify passwords itself (LDAP bind)? */
bool directory_checks_passwords(const struct directory *d);
/* 0: right; -EACCES: wrong (a failure); -ENOTSUP; other negative: unavailable. */
int directory_check_password(struct directory *d, const char *user, const char *password);
/* Certificates the directory holds for the person (userCertificate;binary). */
int directory_certificates(struct directory *d, const char *user, struct dir_certs *ret);

/* The backends, behind the functions above. */
struct directory_ops {
        const char *name;
        int (*open)(const struct kagi_config *c, void **ret, char *err, size_t errsz);
        void (*close)(void *h);
        int (*lookup)(void *h, const char *user, bool want_enabled, struct dir_account *ret);
        int (*check_password)(void *h, const char *user, const char *password);  /* NULL: cannot */
        int (*certificates)(void *h, const char *user, struct dir_certs *ret);   /* NULL: none */
};
extern const struct directory_ops directory_nss_ops;
extern const struct directory_ops directory_ldap_ops;

/* ---- the broker ------------------------------------------------------------------ */
struct broker {
        struct kagi_config *cfg;
        struct kagi_keys keys;
        struct trust *trust;
        struct challenges *challenges;
        uid_t uid;                            /* the broker's own user */
        char host[256];
};

/* What a worker has while it answers one request. */
struct request {
        struct broker *b;
        struct store *store;
        struct directory *dir;
        uid_t peer_uid;
        gid_t peer_gid;
        pid_t peer_pid;
        bool peer_root;
        bool peer_admin;
        int fd;                               /* for streamed answers */
        const struct kagi_msg *msg;
        struct frame *reply;
        int64_t deadline;
};

/* The one answer: decision, user message, and what else the handler adds. */
void reply_decision(struct request *rq, enum kagi_decision d, enum msg_id msg);
/* The same, with {n} in the message filled in (PIN tries left). */
void reply_decision_n(struct request *rq, enum kagi_decision d, enum msg_id msg, unsigned n);
void reply_error(struct request *rq, enum kagi_decision d, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

int dispatch(struct request *rq);
bool peer_in_group(uid_t uid, gid_t gid, const char *group);

/* Handlers (auth.c, admin.c, card.c). Each fills rq->reply. */
int auth_preauth(struct request *rq);
int auth_authfail(struct request *rq);
int auth_begin(struct request *rq);
int auth_verify(struct request *rq);
int auth_account(struct request *rq);
int auth_session_open(struct request *rq);
int auth_session_close(struct request *rq);
int card_challenge(struct request *rq);
int card_verify(struct request *rq);

int admin_status(struct request *rq);
int admin_unlock(struct request *rq);
int admin_totp_enroll(struct request *rq);
int admin_totp_remove(struct request *rq);
int admin_audit_show(struct request *rq);
int admin_audit_verify(struct request *rq);
int admin_user_list(struct request *rq);
int admin_user_show(struct request *rq);
int admin_card_register(struct request *rq);
int admin_card_revoke(struct request *rq);
int admin_card_list(struct request *rq);

/* server.c */
int server_run(struct broker *b, volatile int *stop);

/* ---- kagictl's side ---------------------------------------------------------------- */
/* Send one request, receive the RESULT (records go to on_record). */
typedef int (*client_record_cb)(void *userdata, const struct kagi_msg *m);
int client_call(const char *socket, int timeout_ms, const struct frame *req,
                client_record_cb on_record, void *userdata, struct kagi_msg *ret);
