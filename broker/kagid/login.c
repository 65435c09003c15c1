/* What every login decision shares: the request's context (account, zone,
 * terminal, the person behind it), transactions that carry audit records,
 * and the reserve / release / settle steps of a credential check (LOCK-1).
 * auth.c and card.c describe the order of the steps. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "claims.h"
#include "login.h"

/* ---- the request's context ---------------------------------------------------- */

int login_load(struct request *rq, struct login *l)
{
        const struct kagi_msg *m = rq->msg;
        const char *zone;
        const char *host;

        *l = (struct login){ .rq = rq, .bucket = -1 };
        l->user = msg_str(m, KAGI_T_USER);
        l->service = msg_str(m, KAGI_T_SERVICE);
        l->tty = msg_str(m, KAGI_T_TTY);
        l->rhost = msg_str(m, KAGI_T_RHOST);
        l->ruser = msg_str(m, KAGI_T_RUSER);
        l->flags = msg_u32(m, KAGI_T_FLAGS, 0);
        host = msg_str(m, KAGI_T_HOST);
        zone = msg_str(m, KAGI_T_ZONE);
        l->zone = config_zone(rq->b->cfg, zone && *zone ? zone : rq->b->cfg->default_zone);
        /* the person behind the account: su/sudo name the invoking user */
        l->person = l->ruser && *l->ruser ? l->ruser : l->user;
        snprintf(l->terminal, sizeof(l->terminal), "%s:%s%s%s", host && *host ? host : rq->b->host,
                 l->tty && *l->tty ? l->tty : "-", l->rhost && *l->rhost ? " from " : "",
                 l->rhost && *l->rhost ? l->rhost : "");
        if (!l->user || !*l->user)
                return -EINVAL;
        if (!l->zone) {
                log_warn("request for %s names unknown zone '%s'", l->user, zone);
                return -ENOENT;
        }
        return 0;
}

void login_done(struct login *l)
{
        /* settled by now (committed) or never verified: it stops counting */
        if (l->has_attempt && !l->keep_attempt)
                attempts_remove(l->rq->b->attempts, l->key, l->attempt, sizeof(l->attempt));
        /* still in flight: the watcher (watch.c) ends it if the peer goes */
        if (l->has_attempt && l->keep_attempt)
                login_kept(l->rq, l);
        secret_wipe(l->attempt, sizeof(l->attempt));
        if (l->looked_up)
                dir_account_clear(&l->acct);
}
void login_kept(struct request *rq, const struct login *l)
{
        rq->kept.set = true;
        memcpy(rq->kept.attempt, l->attempt, sizeof(rq->kept.attempt));
        snprintf(rq->kept.key, sizeof(rq->kept.key), "%s", l->key);
        snprintf(rq->kept.user, sizeof(rq->kept.user), "%s", l->user);
        snprintf(rq->kept.person, sizeof(rq->kept.person), "%s", l->person);
}

void login_adopt_attempt(struct request *rq, struct login *l)
{
        const struct kagi_field *tok = &rq->msg->f[KAGI_T_ATTEMPT];

        if (tok->p && attempts_holds(rq->b->attempts, l->key, tok->p, tok->len, now_ms())) {
                memcpy(l->attempt, tok->p, sizeof(l->attempt));
                l->has_attempt = true;
        }
}

/* Which shared bucket an unknown name counts in: keyed, so that nobody can
 * choose names that land on the bucket of one they want to lock. */
static uint32_t unknown_bucket(const struct broker *b, const char *name)
{
        uint8_t mac[EVP_MAX_MD_SIZE];
        unsigned len = 0;

        if (!HMAC(EVP_sha256(), b->keys.audit, KAGI_KEY_LEN, (const uint8_t *)name, strlen(name), mac, &len) ||
            len < 4)
                return 0;
        return ((uint32_t)mac[0] << 24 | (uint32_t)mac[1] << 16 | (uint32_t)mac[2] << 8 | mac[3]) %
               STORE_UNKNOWN_BUCKETS;
}

int login_lookup(struct request *rq, struct login *l, bool want_enabled)
{
        int r = want_enabled ? directory_lookup(rq->dir, l->user, &l->acct)
                             : directory_lookup_brief(rq->dir, l->user, &l->acct);

        if (r < 0) {
                log_err("directory unavailable looking up %s: %s", l->user, strerror(-r));
                dir_account_clear(&l->acct);
                return r;
        }
        l->looked_up = true;
        if (l->acct.exists) {
                /* one account, one counter, however its name was spelt */
                if (l->person == l->user)
                        l->person = l->acct.name;
                l->user = l->acct.name;
                snprintf(l->key, sizeof(l->key), "%s", l->user);
        } else {
                l->bucket = (int32_t)unknown_bucket(rq->b, l->user);
                /* no account name holds a newline */
                snprintf(l->key, sizeof(l->key), "\nunknown/%d", (int)l->bucket);
        }
        return 0;
}

void login_lookup_settling(struct request *rq, struct login *l)
{
        if (login_lookup(rq, l, false) < 0) {
                l->acct = (struct dir_account){ .uid = (uid_t)-1 };
                snprintf(l->key, sizeof(l->key), "%s", l->user);
        }
}

int login_resolve(struct request *rq, struct login *l, bool want_enabled)
{
        int r = login_lookup(rq, l, want_enabled);

        const char *named;

        if (r < 0 || !l->acct.exists)
                return r;
        l->target = config_is_target(rq->b->cfg, l->user);
        l->shared = l->target ? NULL : config_shared(rq->b->cfg, l->user);
        if (!login_by_person(l))
                return 0;
        if (l->ruser && *l->ruser && strcmp(l->ruser, l->user) != 0)
                return login_as_person(rq, l, l->ruser, want_enabled);
        /* a shared ID logged into directly: the member said who they are */
        named = msg_str(rq->msg, KAGI_T_PERSON);
        if (l->shared && named && *named && strcmp(named, l->user) != 0)
                return login_as_person(rq, l, named, want_enabled);
        /* a direct login: no person yet; a card may name one */
        snprintf(l->account, sizeof(l->account), "%s", l->user);
        return 0;
}

const char *login_account(const struct login *l)
{
        return l->account[0] ? l->account : l->user;
}

int login_as_person(struct request *rq, struct login *l, const char *person, bool want_enabled)
{
        snprintf(l->account, sizeof(l->account), "%s", l->user);
        /* the account's lookup is done with; the person's takes its place */
        if (l->looked_up)
                dir_account_clear(&l->acct);
        l->looked_up = false;
        l->bucket = -1;
        snprintf(l->person_name, sizeof(l->person_name), "%s", person);
        l->user = l->person_name;
        l->person = l->person_name;
        l->individual = true;
        l->kagid_password = true;
        return login_lookup(rq, l, want_enabled);
}

int login_lock_get(struct request *rq, const struct login *l, struct lock_state *ret)
{
        return l->bucket >= 0 ? store_unknown_lock_get(rq->store, (uint32_t)l->bucket, ret)
                              : store_lock_get(rq->store, l->user, ret);
}

static int lock_put(struct request *rq, const struct login *l, const struct lock_state *st)
{
        return l->bucket >= 0 ? store_unknown_lock_put(rq->store, (uint32_t)l->bucket, st)
                              : store_lock_put(rq->store, l->user, st);
}

bool login_privileged(const struct request *rq, const struct login *l)
{
        if (!l->acct.exists)
                return false;
        if (l->acct.uid == 0)
                return true;
        for (size_t i = 0; i < l->acct.groups.n; i++)
                if (strv_contains(&rq->b->cfg->privileged_groups, l->acct.groups.v[i]))
                        return true;
        return false;
}

const struct lockout_rule *login_rule(const struct request *rq, const struct login *l)
{
        return login_privileged(rq, l) ? &rq->b->cfg->privileged : &rq->b->cfg->lockout;
}

int64_t wall_now(void)
{
        return (int64_t)time(NULL);
}

/* ---- transactions that carry audit records ------------------------------------ */

int txn_begin(struct txn *t, struct request *rq)
{
        *t = (struct txn){ .rq = rq };
        return store_begin(rq->store);
}

int txn_audit(struct txn *t, const struct login *l, const char *event, const char *factor,
              const char *result, const char *reason, const char *session)
{
        struct audit_record *r;

        if (t->n >= ARRAY_SIZE(t->rec))
                return -E2BIG;
        r = &t->rec[t->n];
        snprintf(t->factor[t->n], sizeof(t->factor[0]), "%s", factor ? factor : "");
        snprintf(t->reason[t->n], sizeof(t->reason[0]), "%s", reason ? reason : "");
        *r = (struct audit_record){
                .event = event,
                .account = l ? login_account(l) : NULL,
                .person = l ? l->person : NULL,
                .terminal = l ? l->terminal : NULL,
                .service = l ? l->service : NULL,
                .factor = t->factor[t->n],
                .result = result,
                .reason = t->reason[t->n],
                .session = session,
        };
        int rc = audit_append(t->rq->store, t->rq->b->keys.audit, r);
        if (rc >= 0)
                t->n++;
        return rc;
}

int txn_commit(struct txn *t)
{
        int r;

        /* What the client was told ("unavailable") is what happened: nothing
         * is committed once it has given up or its deadline is too near. */
        if (!request_alive(t->rq)) {
                log_warn("%s for %s not recorded: the client gave up or its deadline passed",
                         kagi_msg_type_name(t->rq->msg->type), t->n ? t->rec[0].account : "?");
                store_rollback(t->rq->store);
                return -ECANCELED;
        }
        r = store_commit(t->rq->store);

        if (r < 0)
                return r;
        for (size_t i = 0; i < t->n; i++)
                audit_syslog(&t->rec[i]);
        return 0;
}

void txn_abort(struct txn *t)
{
        store_rollback(t->rq->store);
        if (t->claimed[0])
                claims_release(t->rq->b->claims, t->claimed);
        t->claimed[0] = '\0';
}

int txn_finish(struct txn *t, int r)
{
        if (r >= 0)
                r = txn_commit(t);
        if (r < 0)
                txn_abort(t);
        return r;
}

int txn_finish_or_refuse(struct txn *t, int r)
{
        r = txn_finish(t, r);
        if (r < 0)
                reply_decision(t->rq, KAGI_ERROR, MSG_INTERNAL);
        return r;
}

/* ---- bulk transactions of kagid's own ----------------------------------------------- */

int bulk_begin(struct bulk *b, struct request *rq)
{
        int r;

        if (b->open)
                return 0;
        r = store_begin(rq->store);
        if (r < 0)
                return r;
        b->open = true;
        b->changes = 0;
        return 0;
}

int bulk_audit(struct bulk *b, struct request *rq, const struct login *l, const char *event, const char *factor,
               const char *result, const char *reason, const char *session)
{
        char f[64], why[256], line[4096], *copy;  /* f, why: as long as txn_audit keeps them */
        struct audit_record rec = {
                .event = event,
                .account = l ? login_account(l) : NULL,
                .person = l ? l->person : NULL,
                .terminal = l ? l->terminal : NULL,
                .service = l ? l->service : NULL,
                .factor = f,
                .result = result,
                .reason = why,
                .session = session,
        };
        int r;

        if (!b->open)
                return -EINVAL;
        snprintf(f, sizeof(f), "%s", factor ? factor : "");
        snprintf(why, sizeof(why), "%s", reason ? reason : "");
        if (b->n_lines == b->cap_lines) {
                size_t cap = b->cap_lines ? b->cap_lines * 2 : 16;
                char **p = reallocarray(b->lines, cap, sizeof(*p));

                if (!p)
                        return -ENOMEM;
                b->lines = p;
                b->cap_lines = cap;
        }
        r = audit_append(rq->store, rq->b->keys.audit, &rec);
        if (r < 0)
                return r;
        /* formatted now: the strings it names may not outlive the call */
        audit_syslog_line(&rec, line, sizeof(line));
        copy = strdup(line);
        if (!copy)
                return -ENOMEM;
        b->lines[b->n_lines++] = copy;
        return 0;
}

bool bulk_done_one(struct bulk *b)
{
        return ++b->changes >= BULK_MAX;
}

static void bulk_clear(struct bulk *b, bool send)
{
        for (size_t i = 0; i < b->n_lines; i++) {
                if (send)
                        log_audit(b->lines[i]);
                free(b->lines[i]);
        }
        b->n_lines = 0;
        if (b->cap_lines > 64) {
                /* a burst is over: give its memory back */
                free(b->lines);
                b->lines = NULL;
                b->cap_lines = 0;
        }
        b->open = false;
        b->changes = 0;
}

int bulk_commit(struct bulk *b, struct request *rq, size_t *ret_changes)
{
        int r;

        if (ret_changes)
                *ret_changes = b->open ? b->changes : 0;
        if (!b->open)
                return 0;
        r = store_commit(rq->store);
        bulk_clear(b, r >= 0);
        return r;
}

void bulk_abort(struct bulk *b, struct request *rq)
{
        if (b->open)
                store_rollback(rq->store);
        bulk_clear(b, false);
}

int audit_only(struct request *rq, const struct login *l, const char *event, const char *factor, const char *result,
               const char *reason)
{
        struct txn t;
        int r;

        r = txn_begin(&t, rq);
        if (r >= 0)
                r = txn_audit(&t, l, event, factor, result, reason, NULL);
        return txn_finish(&t, r);
}

/* Record a decision that changes no state, then answer with it. */
int answer_audited(struct request *rq, const struct login *l, const char *event, const char *factor,
                          enum kagi_decision d, enum msg_id msg, const char *reason)
{
        int r = audit_only(rq, l, event, factor, d == KAGI_ALLOW ? "success" : "denied", reason);

        if (r < 0) {
                reply_decision(rq, KAGI_ERROR, MSG_INTERNAL);
                return r;
        }
        reply_decision(rq, d, msg);
        return 0;
}

static const char *lock_event_reason(enum lock_event ev, const struct lockout_rule *rule, char *buf, size_t size)
{
        if (ev == LOCK_EV_LOCKED)
                snprintf(buf, size, "%u consecutive failures", rule->threshold);
        else
                snprintf(buf, size, "unlock_after %llus elapsed", (unsigned long long)rule->unlock_after);
        return buf;
}

int txn_lock_event(struct txn *t, const struct login *l, enum lock_event ev, const struct lockout_rule *rule)
{
        char why[96];

        if (ev == LOCK_EV_NONE)
                return 0;
        return txn_audit(t, l, ev == LOCK_EV_LOCKED ? "lock" : "unlock", "-",
                         ev == LOCK_EV_LOCKED ? "locked" : "unlocked", lock_event_reason(ev, rule, why, sizeof(why)),
                         NULL);
}

int attempt_reserve(struct request *rq, struct login *l, const char *factor, const uint8_t *token,
                    size_t token_len, int64_t expires_ms)
{
        struct attempts *a = rq->b->attempts;
        const struct lockout_rule *rule = login_rule(rq, l);
        enum lock_step step = LOCK_REFUSE;
        struct lock_state st;
        int r;

        if (token && attempts_holds(a, l->key, token, token_len, now_ms())) {
                memcpy(l->attempt, token, sizeof(l->attempt));
                l->has_attempt = true;
                return 1;
        }
        /* the durable count and those in flight, read as one: no two
         * logins see the same room for one more attempt */
        attempts_lock(a);
        r = login_lock_get(rq, l, &st);
        if (r >= 0)
                step = lockout_may_try(rule, &st, attempts_in_flight(a, l->key, now_ms()), wall_now());
        if (r >= 0 && step == LOCK_PROCEED) {
                r = attempts_add(a, l->key, expires_ms, l->attempt);
                l->has_attempt = r >= 0;
        }
        attempts_unlock(a);
        if (r < 0) {
                log_err("cannot reserve an attempt for %s: %s", l->user,
                        r == -ENOSPC ? "too many logins in flight" : strerror(-r));
                reply_decision(rq, KAGI_ERROR, MSG_INTERNAL);
                return r;
        }
        if (step == LOCK_REFUSE)
                return answer_audited(rq, l, "auth", factor, KAGI_DENY_LOCKED, MSG_LOCKED, "account locked");
        if (step == LOCK_BUSY)
                return answer_audited(rq, l, "auth", factor, KAGI_DENY_LOCKED, MSG_BUSY,
                                      "every attempt still allowed is already in flight");
        return 1;
}

int attempt_release(struct request *rq, struct login *l, const char *factor, const char *result,
                    const char *reason)
{
        struct txn t;
        int r;

        if (l->has_attempt) {
                attempts_remove(rq->b->attempts, l->key, l->attempt, sizeof(l->attempt));
                l->has_attempt = false;
        }
        r = txn_begin(&t, rq);
        if (r >= 0)
                r = txn_audit(&t, l, "auth", factor, result, reason, NULL);
        return txn_finish(&t, r);
}

int attempt_settle(struct txn *t, const struct login *l, bool success, enum lock_event *ret_event)
{
        struct request *rq = t->rq;
        const struct lockout_rule *rule = login_rule(rq, l);
        struct lock_state st;
        int r;

        *ret_event = LOCK_EV_NONE;
        r = login_lock_get(rq, l, &st);
        if (r < 0)
                return r;
        lockout_settle(rule, &st, success, wall_now(), ret_event);
        r = lock_put(rq, l, &st);
        if (r >= 0 && l->bucket < 0)
                r = store_note_result(rq->store, l->user, success, wall_now());
        return r;
}

/* The first role that opens the target and the person holds; with an
 * active grant of it when there is one. */
static int grant_for(struct request *rq, const struct login *l, struct account_verdict *v)
{
        const struct kagi_config *c = rq->b->cfg;
        bool holds = false;

        for (size_t i = 0; i < c->n_roles; i++) {
                const struct kagi_role *role = &c->roles[i];
                struct grant_row g;
                int r;

                if (!role_opens(role, l->account) || !role_held_by(role, l->user, &l->acct.groups))
                        continue;
                if (!holds)
                        snprintf(v->role, sizeof(v->role), "%s", role->name);
                holds = true;
                r = store_grant_active(rq->store, l->user, role->name, wall_now(), &g);
                if (r == 0) {
                        v->grant = g.id;
                        snprintf(v->role, sizeof(v->role), "%s", role->name);
                        return 1;
                }
                if (r != -ENOENT)
                        return r;
        }
        return holds ? 0 : -EPERM;
}

int login_account_decision(struct request *rq, const struct login *l, struct account_verdict *v)
{
        int r;

        *v = (struct account_verdict){ .d = KAGI_ALLOW, .msg = MSG_AUTH_FAILED, .reason = "" };
        v->d = admission(rq, l, &v->msg, &v->reason);
        if (v->d == KAGI_ALLOW && l->shared) {
                /* SID-1: a member, named; the count in use is claimed with the session */
                if (!l->individual) {
                        v->d = KAGI_DENY_POLICY;
                        v->msg = MSG_NO_INDIVIDUAL;
                        v->reason = AUDIT_NO_MEMBER;
                } else if (!shared_member(l->shared, l->user, &l->acct.groups)) {
                        v->d = KAGI_DENY_POLICY;
                        v->msg = MSG_NOT_MEMBER;
                        snprintf(v->holder, sizeof(v->holder), "%s", login_account(l));
                        v->reason = AUDIT_NOT_MEMBER;
                }
                return 0;
        }
        if (v->d != KAGI_ALLOW || !l->target)
                return 0;
        /* PRIV-6: privileged use names a person */
        if (!l->individual) {
                v->d = KAGI_DENY_POLICY;
                v->msg = MSG_NO_INDIVIDUAL;
                v->reason = "a role's target account, with no person proved";
                return 0;
        }
        r = grant_for(rq, l, v);
        if (r == 1) {
                snprintf(v->why, sizeof(v->why), "grant %lld of role %s", (long long)v->grant, v->role);
                v->reason = v->why;
                return 0;
        }
        if (r < 0 && r != -EPERM)
                return r;
        v->d = KAGI_DENY_POLICY;
        v->msg = r == -EPERM ? MSG_NOT_PERMITTED : MSG_NEED_GRANT;
        snprintf(v->why, sizeof(v->why), r == -EPERM ? "%s holds no role that opens %s"
                                                     : "%s has no active grant opening %s",
                 l->user, l->account);
        v->reason = v->why;
        return 0;
}

int grant_use_audit(struct txn *t, const struct login *l, const struct account_verdict *v, const char *session)
{
        char why[300];

        if (v->d != KAGI_ALLOW || !v->grant)
                return 0;
        /* PRIV-6: each use of a grant, naming the person */
        snprintf(why, sizeof(why), "grant %lld (role %s) opens %s", (long long)v->grant, v->role, login_account(l));
        return txn_audit(t, l, "grant-use", "-", "success", why, session);
}

/* A grant's session is bounded before the account phase passes: su, sudo
 * and sshd fork the shell from the process that asked, after this. */
static int account_register(struct txn *t, const struct login *l, struct account_verdict *v)
{
        struct session_row row;
        int r;

        /* also whatever must be claimed before the session can start: a
         * shared ID's count, one terminal per person, a card's one session */
        if (v->d != KAGI_ALLOW || !(v->grant || l->shared || l->zone->one_terminal || l->card[0]))
                return 0;
        r = session_register(t->rq, l, v, "registered", &row);
        if (r == -EBUSY)
                return 0;     /* the verdict names who holds it */
        if (r == -EOPNOTSUPP) {
                v->d = KAGI_DENY_POLICY;
                v->msg = MSG_NO_BOUND;
                v->reason = "the privileged session cannot be bounded on this host";
                return 0;
        }
        if (r >= 0)
                snprintf(t->claimed, sizeof(t->claimed), "%s", row.id);
        if (r >= 0)
                r = session_record_registered(t, l, &row);
        if (r >= 0)
                snprintf(v->session, sizeof(v->session), "%s", row.id);
        return r;
}

int account_audit(struct txn *t, const struct login *l, struct account_verdict *v)
{
        int r = account_register(t, l, v);

        if (r >= 0)
                r = txn_audit(t, l, "account", "-", v->d == KAGI_ALLOW ? "success" : "denied",
                              v->d == KAGI_ALLOW && !v->grant ? "" : v->reason, v->session);
        /* the same card in two sessions: cloned, or lent (CARD-1) */
        if (r >= 0 && v->msg == MSG_CARD_IN_USE)
                r = txn_audit(t, l, "card-in-use", "card+pin", "flagged", v->why, NULL);
        if (r >= 0)
                r = grant_use_audit(t, l, v, v->session[0] ? v->session : NULL);
        return r;             /* a failure rolls back, and frees what was claimed */
}

bool verdict_claimed(const struct account_verdict *v)
{
        return v->d != KAGI_ALLOW && (v->msg == MSG_IN_USE || v->msg == MSG_ONE_TERMINAL || v->msg == MSG_CARD_IN_USE);
}

const char *verdict_name(const struct account_verdict *v)
{
        return v->holder[0] ? v->holder : v->role;
}

int answer_verdict(struct request *rq, const struct login *l, struct account_verdict *v, const char *event)
{
        struct txn t;
        int r = txn_begin(&t, rq);

        if (r >= 0)
                r = txn_audit(&t, l, event, "-", "denied", v->reason, NULL);
        if (r >= 0 && v->msg == MSG_CARD_IN_USE)
                r = txn_audit(&t, l, "card-in-use", "card+pin", "flagged", v->why, NULL);
        r = txn_finish_or_refuse(&t, r);
        if (r < 0)
                return r;
        reply_decision_name(rq, v->d, v->msg, 0, verdict_name(v));
        return 0;
}

/* Does the person hold any role (so that a grant may be asked for inline)? */
static bool holds_a_role(const struct request *rq, const struct login *l)
{
        for (size_t i = 0; i < rq->b->cfg->n_roles; i++)
                if (role_held_by(&rq->b->cfg->roles[i], l->user, &l->acct.groups))
                        return true;
        return false;
}

void put_account(struct request *rq, const struct login *l, const struct account_verdict *v)
{
        uint8_t token[PROOF_LEN];

        frame_put_u32(rq->reply, KAGI_T_ACCOUNT, v->d);
        if (v->role[0])
                frame_put_str(rq->reply, KAGI_T_ROLE, v->role);
        /* the session the account phase registered, for the session phase */
        if (v->session[0]) {
                frame_put_str(rq->reply, KAGI_T_SESSION, v->session);
                live_session_changed(rq->b, v->session);
        }
        if (v->grant)
                frame_put_u64(rq->reply, KAGI_T_GRANT, (uint64_t)v->grant);
        /* a holder who just proved themselves may ask for a grant in the
         * same PAM transaction, with this proof instead of a second code —
         * only when this request checked their credentials (an account
         * phase alone proves nothing: sudo with a cached credential) */
        if ((rq->msg->type == KAGI_REQ_VERIFY || rq->msg->type == KAGI_REQ_CARD_VERIFY) && l->acct.exists &&
            holds_a_role(rq, l) &&
            proof_issue(rq->b->proofs, l->user, l->terminal, wall_now(), token) == 0)
                frame_put_blob(rq->reply, KAGI_T_PROOF, token, sizeof(token));
        secret_wipe(token, sizeof(token));
}

/* After the credentials are right: may this account log in here at all? */
enum kagi_decision admission(const struct request *rq, const struct login *l, enum msg_id *ret_msg,
                             const char **ret_reason)
{
        if (!l->acct.enabled) {
                *ret_msg = MSG_DISABLED;
                *ret_reason = "account disabled in the directory";
                return KAGI_DENY_DISABLED;
        }
        if (!zone_admits(l->zone, l->user, &l->acct.groups)) {
                *ret_msg = MSG_NOT_PERMITTED;
                *ret_reason = "not admitted to the zone";
                return KAGI_DENY_POLICY;
        }
        (void)rq;
        *ret_msg = MSG_AUTH_FAILED;
        *ret_reason = "";
        return KAGI_ALLOW;
}
