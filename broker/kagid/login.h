/* Private to broker/kagid/ (login.c): the login context and the reserve /
 * settle steps the login and admin handlers share. */
#pragma once

#include <stddef.h>

#include "attempts.h"
#include "request.h"

struct login {
        struct request *rq;
        const char *user;                     /* canonical once looked up (acct.name) */
        const char *service;
        const char *tty;
        const char *rhost;
        const char *ruser;
        const char *person;
        const struct kagi_zone *zone;
        uint32_t flags;
        char terminal[600];
        struct dir_account acct;
        bool looked_up;
        /* the lock state's key: the canonical name, or for a name the
         * directory does not know one of the shared buckets */
        char key[ATTEMPT_KEY_MAX];
        int32_t bucket;                       /* -1: a known account */
        /* this login's attempt in flight (attempts.c) */
        uint8_t attempt[ATTEMPT_TOKEN_LEN];
        bool has_attempt;
        bool keep_attempt;                    /* it outlives the request (preauth, card challenge) */
};

int login_load(struct request *rq, struct login *l);
/* want_enabled: the decision depends on the account being enabled */
int login_lookup(struct request *rq, struct login *l, bool want_enabled);
void login_done(struct login *l);
/* For a request that settles what happened whatever the directory says now
 * (authfail, abandon): the lookup, or the ordinary rule and the name as
 * given when the directory cannot answer. */
void login_lookup_settling(struct request *rq, struct login *l);
/* The attempt preauth reserved for this login, if the request names it and
 * it is still in flight. */
void login_adopt_attempt(struct request *rq, struct login *l);
/* Leaves the login's attempt in flight in rq->kept (login_done does). */
void login_kept(struct request *rq, const struct login *l);
bool login_privileged(const struct request *rq, const struct login *l);
const struct lockout_rule *login_rule(const struct request *rq, const struct login *l);
int64_t wall_now(void);

/* A transaction that writes audit records; they go to syslog after commit. */
struct txn {
        struct request *rq;
        struct audit_record rec[6];
        /* the records' own texts: callers may pass short-lived buffers */
        char factor[6][64];
        char reason[6][256];
        size_t n;
};
int txn_begin(struct txn *t, struct request *rq);
int txn_audit(struct txn *t, const struct login *l, const char *event, const char *factor,
              const char *result, const char *reason, const char *session);
int txn_lock_event(struct txn *t, const struct login *l, enum lock_event ev, const struct lockout_rule *rule);
int txn_commit(struct txn *t);
void txn_abort(struct txn *t);
/* Commits when r >= 0 (every step before went well); on any failure rolls
 * back. Returns r, or the commit's error. */
int txn_finish(struct txn *t, int r);
/* txn_finish, and on failure the answer KAGI_ERROR: what the handler was
 * about to answer was never written. */
int txn_finish_or_refuse(struct txn *t, int r);

/* Record a decision that changes no state, then answer with it. */
int answer_audited(struct request *rq, const struct login *l, const char *event, const char *factor,
                   enum kagi_decision d, enum msg_id msg, const char *reason);
/* The lock state of the login's account (or bucket). */
int login_lock_get(struct request *rq, const struct login *l, struct lock_state *ret);
/* Step 1: the attempt is in flight before any credential is checked — the
 * one the request names (reserved at preauth or with a card challenge) or
 * a new one that lives until expires_ms (CLOCK_MONOTONIC). Returns 1 when
 * the caller may verify, 0 when the refusal (locked, too many in flight) is
 * answered, negative on error (answered too). */
int attempt_reserve(struct request *rq, struct login *l, const char *factor, const uint8_t *token,
                    size_t token_len, int64_t expires_ms);
/* Nothing was verified after all: the attempt no longer counts, and why is
 * recorded. The caller answers. */
int attempt_release(struct request *rq, struct login *l, const char *factor, const char *result,
                    const char *reason);
/* Step 3, inside the caller's transaction: the attempt's result, counted
 * durably (a failure; the one at the threshold locks) or clearing the count.
 * The attempt stops counting once the handler is done (login_done), after
 * the commit. Leaves the lock event for the caller to audit after its own
 * record. */
int attempt_settle(struct txn *t, const struct login *l, bool success, enum lock_event *ret_event);
enum kagi_decision admission(const struct request *rq, const struct login *l, enum msg_id *ret_msg,
                             const char **ret_reason);

/* Administrative requests (admin.c, card.c). */
struct json_object;
/* A login context for records written on an administrator's behalf: the
 * administrator (by name) is the person, kagictl the service. */
void admin_login(const struct request *rq, struct login *l, const char *account, char *who, size_t wsz);
/* One item of a listing as a RECORD frame. */
int send_record(struct request *rq, struct json_object *j);
/* ALLOW with the JSON document as the answer. */
void reply_json(struct request *rq, struct json_object *j);
/* Members of an answer's document (json.c); NULL strings and times <= 0
 * are JSON null. */
void json_add_str(struct json_object *j, const char *key, const char *value);
void json_add_int(struct json_object *j, const char *key, int64_t value);
void json_add_bool(struct json_object *j, const char *key, bool value);
void json_add_time(struct json_object *j, const char *key, int64_t unix_seconds);
void json_putp(struct json_object **j);
/* Text members of a struct, by table: each a `const char *` (pointers) or a
 * char array at its offset in base. */
struct json_member {
        const char *key;
        size_t offset;
};
void json_add_strings(struct json_object *j, const void *base, bool pointers, const struct json_member *m, size_t n);
