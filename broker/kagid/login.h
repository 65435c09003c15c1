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
        /* a role's target account (root, dbadmin …): the credentials are a
         * person's, whose lock counts; records still name the account */
        bool target;
        /* a shared ID (共用ID, SID-1): like a target, the credentials are a
         * member's; no grant, but membership and the count in use */
        const struct kagi_shared *shared;
        bool individual;                      /* a person is proved (su/sudo, card owner) */
        bool kagid_password;                  /* kagid checks the password itself (password.c) */
        char account[257];                    /* the target account, when user is the person */
        char person_name[257];                /* the person, as given */
        char card[65];                        /* a card login: the card (fingerprint) */
        char reader[129];                     /* and its reader */
};

int login_load(struct request *rq, struct login *l);
/* Are the credentials a person's rather than the account's own (a role's
 * target, a shared ID)? */
static inline bool login_by_person(const struct login *l)
{
        return l->target || l->shared;
}
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
        /* a session claimed in it (claims.h): released when it rolls back,
         * so that nothing holds a shared ID for a registration never made */
        char claimed[65];
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

/* Many changes in one commit: kagid's own bulk work on its timer thread
 * (the sessions ending at one deadline, the grants expiring in the same
 * second), one fdatasync for all of them instead of one each. It opens with
 * the first change; bulk_commit commits, then sends the syslog copies as
 * txn_commit does. Nobody waits on it, so nothing is answered before the
 * commit; a failed step aborts everything since the last commit. */
#define BULK_MAX 256                          /* changes in one commit at most */
struct bulk {
        bool open;
        size_t changes;                       /* done since it opened */
        char **lines;                         /* the syslog copies, formatted at append */
        size_t n_lines, cap_lines;
};
int bulk_begin(struct bulk *b, struct request *rq);
int bulk_audit(struct bulk *b, struct request *rq, const struct login *l, const char *event, const char *factor,
               const char *result, const char *reason, const char *session);
/* One change more is done; true when the bulk is full (commit it). */
bool bulk_done_one(struct bulk *b);
/* Returns how many changes it held in *ret_changes (may be NULL). */
int bulk_commit(struct bulk *b, struct request *rq, size_t *ret_changes);
void bulk_abort(struct bulk *b, struct request *rq);

/* Record what happened, in a transaction of its own; no answer. */
int audit_only(struct request *rq, const struct login *l, const char *event, const char *factor, const char *result,
               const char *reason);
/* Record a decision that changes no state, then answer with it. */
int answer_audited(struct request *rq, const struct login *l, const char *event, const char *factor,
                   enum kagi_decision d, enum msg_id msg, const char *reason);
/* login_lookup, then for a role's target account with a person behind it
 * (su/sudo: RUSER) login_as_person. */
int login_resolve(struct request *rq, struct login *l, bool want_enabled);
/* For a role's target (root, dbadmin …): from now on the login checks,
 * counts and locks the person's credentials; its records name the target
 * account and the person. The person is looked up like the account was. */
int login_as_person(struct request *rq, struct login *l, const char *person, bool want_enabled);
/* The name records give as the account. */
const char *login_account(const struct login *l);

/* The account phase's decision, once the credentials are right: may this
 * account log in here? For a role's target: the person holds an active
 * grant of a role opening it (ret_grant), or the refusal says what to ask
 * for (ret_role). */
struct account_verdict {
        enum kagi_decision d;
        enum msg_id msg;
        const char *reason;
        char role[64];                        /* MSG_NEED_GRANT: the role to ask for */
        int64_t grant;                        /* the grant that admits, 0 if none */
        char why[256];
        char session[65];                     /* the session registered for it */
        char holder[400];                     /* MSG_IN_USE …: since when, where, by whom */
};
int login_account_decision(struct request *rq, const struct login *l, struct account_verdict *ret);
/* Its records: the account phase's, and a grant's use (with the session it
 * opened, if any). An admitting grant's session is registered — its cgroup
 * made, the asking process in it — or, when that cannot be, the verdict
 * becomes a refusal. */
int account_audit(struct txn *t, const struct login *l, struct account_verdict *v);
int grant_use_audit(struct txn *t, const struct login *l, const struct account_verdict *v, const char *session);
/* Its tags in the answer: ACCOUNT, the ROLE to ask for or the GRANT that
 * admits, and for a role's holder the PROOF of this login. */
void put_account(struct request *rq, const struct login *l, const struct account_verdict *v);
/* Refused because what the session would hold is held (claims.h)? */
bool verdict_claimed(const struct account_verdict *v);
/* The {name} of the verdict's message: who holds what it wanted, or the role. */
const char *verdict_name(const struct account_verdict *v);
/* A refusal no credential was checked for (a session the claims refuse):
 * audited as EVENT, then answered. */
int answer_verdict(struct request *rq, const struct login *l, struct account_verdict *v, const char *event);
/* A login as a shared ID by someone who is not its member (SID-1): refused
 * whatever was typed, counted on the person's own account, audited as
 * misuse. */
int shared_misuse(struct request *rq, struct login *l, const char *factor, const uint8_t *attempt, size_t len);

/* What a verified login adds inside its settling transaction. */
typedef int (*verified_fn)(struct txn *t, struct login *l, void *userdata);
/* Steps 1 to 4 for a password and/or code (auth.c): reserve (or take the
 * attempt given), check, settle — calling then() inside the transaction
 * on success — commit, answer. *ret_d is the decision answered. Returns 0,
 * or negative (answered too). */
int login_verify(struct request *rq, struct login *l, const char *password, const char *code, const char *factor,
                 const uint8_t *attempt, size_t attempt_len, verified_fn then, void *userdata,
                 enum kagi_decision *ret_d);

/* A fresh authentication, to show for an inline grant request (proofs.c). */
#define PROOF_LEN 32
#define PROOF_TTL 300
struct proofs;
int proofs_new(struct proofs **ret);
void proofs_free(struct proofs *p);
int proof_issue(struct proofs *p, const char *person, const char *terminal, int64_t now, uint8_t token[PROOF_LEN]);
/* Single use: 0 when token is a live proof of person at terminal; -EPERM
 * for another person or terminal; -ENOENT. */
int proof_take(struct proofs *p, const uint8_t *token, size_t len, const char *person, const char *terminal,
               int64_t now);

/* Grants (grant.c) and what tells approvers (notify.c): the role's notify
 * command, run without a shell, the request in its environment. */
int grant_request(struct request *rq);
int grant_decide(struct request *rq);
int grant_list(struct request *rq);
int grant_revoke(struct request *rq);
int grant_extend(struct request *rq);
struct grant_row;
void grant_notify(struct broker *b, const struct kagi_role *role, const struct grant_row *g, const char *event);

/* Sessions, the request side (session.c). A session for the login, its
 * cgroup made with the asking process in it (a grant's session is refused,
 * -EOPNOTSUPP, when nothing can bound it); its row is for the caller's
 * transaction. */
struct session_row;
/* It also claims what the session holds (claims.h): -EBUSY, with the
 * verdict turned into the refusal that names the holder, when the shared
 * ID's count is in use, the person is on another terminal, or the card is in
 * another session. */
int session_register(struct request *rq, const struct login *l, struct account_verdict *v, const char *state,
                     struct session_row *ret);
int session_record_registered(struct txn *t, const struct login *l, const struct session_row *row);
/* Marks a live session to be ended (how, by whom); live.c ends it. */
int session_end_later(struct request *rq, struct txn *t, const struct login *l, struct session_row *row,
                      const char *how, const char *by);
/* live.c: a session's row changed; look at it again. */
void live_session_changed(struct broker *b, const char *id);
/* The mechanism for a thread of kagid's ([broker] cgroup_root …). */
struct enforce;
int live_enforce_new(struct broker *b, struct enforce **ret);

/* kagid's timers (maint.c): grants expire, notify commands are reaped. */
int maint_start(struct broker *b, char *err, size_t errsz);
void maint_stop(struct broker *b);
/* A notify command of grant g started as pid (reaped later), or not (pid is
 * -errno); one that fails is recorded as grant-notify failed. */
void maint_notified(struct broker *b, pid_t pid, const struct grant_row *g, const char *event);

/* The administrator or person behind the socket, by name (admin.c). */
void peer_name(const struct request *rq, char *buf, size_t size);

/* The person's password, checked by kagid itself (password.c): LDAP bind,
 * or [broker] password_service. 0 right; -EACCES wrong; else unavailable. */
int person_password_check(struct request *rq, const char *user, const char *password);

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
