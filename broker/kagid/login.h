/* Private to broker/kagid/ (login.c): the login context and the reserve /
 * settle steps the login and admin handlers share. */
#pragma once

#include <stddef.h>

#include "request.h"

struct login {
        const char *user;
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
};

int login_load(struct request *rq, struct login *l);
/* want_enabled: the decision depends on the account being enabled */
int login_lookup(struct request *rq, struct login *l, bool want_enabled);
void login_done(struct login *l);
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
int attempt_reserve(struct request *rq, const struct login *l, const char *factor);
int attempt_release(struct request *rq, const struct login *l, const char *factor, const char *result,
                    const char *reason);
/* Leaves the lock event for the caller to audit after its own record. */
int attempt_settle(struct txn *t, const struct login *l, bool success, enum lock_event *ret_event);
enum kagi_decision admission(const struct request *rq, const struct login *l, enum msg_id *ret_msg,
                             const char **ret_reason);

/* Administrative requests (admin.c, card.c). */
struct json_object;
/* A login context for records written on an administrator's behalf: the
 * administrator (by name) is the person, kagictl the service. */
void admin_login(const struct request *rq, struct login *l, const char *account, char *who, size_t wsz);
/* Binding a factor (TOTP, card) to uid 0 or a member of [lockout]
 * privileged_groups is root's alone: for anyone else it is refused,
 * audited and answered here (1); 0 lets the caller go on. */
int admin_refuse_privileged_binding(struct request *rq, const struct login *l, const char *event,
                                    const char *factor);
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
