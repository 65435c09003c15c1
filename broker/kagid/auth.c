/* Login decisions for pam_kagi.so.
 *
 * The shape of every credential check (LOCK-1; docs/request-path.md):
 *
 *   1. reserve:  refuse if locked, or if the attempts already in flight use
 *                up what the threshold allows; else the attempt is in
 *                flight (in memory) before anything is checked — at
 *                preauth when a password module is stacked after it;
 *   2. verify:   the credential, outside any transaction;
 *   3. settle:   in one transaction, count the failure (lock at the
 *                threshold) or clear the count, write the audit record —
 *                with a success also the account phase's — and commit,
 *                sharing the commit with concurrent logins;
 *   4. answer,   only once that commit is on disk.
 *
 * So N parallel guesses get at most `threshold` verifications, and every
 * failure anyone was told about survives a crash. Unknown accounts go
 * through the same steps (a throw-away secret, a shared bucket of the lock
 * state) so they look like known ones.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "login.h"

/* ---- handlers --------------------------------------------------------------------- */

static bool locked_now(struct request *rq, const struct login *l, int *ret_err)
{
        struct lock_state st;

        *ret_err = login_lock_get(rq, l, &st);
        return *ret_err >= 0 && lockout_is_locked(login_rule(rq, l), &st, wall_now());
}

/* Shared start of preauth, begin and authfail: context, zone, directory. */
static int start(struct request *rq, struct login *l, const char *factor, bool want_enabled)
{
        int r = login_load(rq, l);

        if (r == -ENOENT) {
                answer_audited(rq, l, "auth", factor, KAGI_DENY_POLICY, MSG_NO_METHOD, "unknown zone");
                return r;
        }
        if (r < 0) {
                reply_decision(rq, KAGI_DENY_INVALID, MSG_INTERNAL);
                return r;
        }
        r = login_resolve(rq, l, want_enabled);
        if (r < 0) {
                answer_audited(rq, l, "auth", factor, KAGI_UNAVAILABLE, MSG_UNAVAILABLE, "directory unavailable");
                return r;
        }
        return 0;
}

/* start(), then a locked account is refused before anything else: 1 to go
 * on, 0 or negative when answered. */
static int start_unlocked(struct request *rq, struct login *l, const char *step)
{
        int r;

        if (start(rq, l, step, false) < 0)
                return 0;
        if (locked_now(rq, l, &r))
                return answer_audited(rq, l, "auth", step, KAGI_DENY_LOCKED, MSG_LOCKED, "account locked");
        if (r < 0) {
                reply_decision(rq, KAGI_ERROR, MSG_INTERNAL);
                return r;
        }
        return 1;
}

/* The zone's factor sets a login may use: for a role's target with no
 * person behind it, only those with a card (its owner is the person). */
static struct kagi_zone usable_sets(const struct login *l)
{
        struct kagi_zone z = *l->zone;

        /* a shared ID's own factor sets, when it has them */
        if (l->shared && l->shared->n_sets) {
                z.n_sets = l->shared->n_sets;
                memcpy(z.sets, l->shared->sets, sizeof(z.sets));
        }
        if (l->target && !l->individual) {
                z.n_sets = 0;
                for (size_t i = 0; i < l->zone->n_sets; i++)
                        if (l->zone->sets[i] & KAGI_F_CARD)
                                z.sets[z.n_sets++] = l->zone->sets[i];
        }
        return z;
}

/* Can kagid itself check the password of whom this login proves? */
static bool broker_checks_password(struct request *rq, const struct login *l)
{
        /* the person behind su/sudo: always, through the password service;
         * so for the member a shared ID's login is about to name */
        return directory_checks_passwords(rq->dir) || l->kagid_password || (l->shared && !l->individual);
}

/* What the stack proved counts only for the account it checked: not for
 * the person behind su/sudo to a role's target. */
static uint32_t proved_by_stack(const struct login *l)
{
        return (l->flags & KAGI_FLAG_STACKED_PASSWORD) && !login_by_person(l) ? KAGI_F_PASSWORD : 0;
}

/* The factors still to collect for this login, given what the stack has
 * proved; -EACCES when no accepted set can be completed. A card counts only
 * for a login at the reader: for a remote one, whatever the module says is
 * in the reader, card sets are not offered. */
static int factors_to_collect(struct request *rq, const struct login *l, uint32_t proved, uint32_t *ret)
{
        bool local = login_place(rq->b->cfg, l->service, l->rhost) == LOGIN_LOCAL;
        bool card = local && (l->flags & KAGI_FLAG_CARD_PRESENT);
        struct kagi_zone z = usable_sets(l);
        int r = zone_factors_to_collect(&z, proved, card, broker_checks_password(rq, l), ret);

        /* only a card would do, and none is in the reader: the module asks
         * the user to insert one (at the reader only) */
        if (r < 0 && local && !card)
                r = zone_factors_to_collect(&z, proved, true, broker_checks_password(rq, l), ret);
        return r;
}

/* A shared ID logged into directly, with no card naming the member: the
 * module asks for the personal ID first. */
static uint32_t with_person(const struct login *l, uint32_t collect)
{
        return l->shared && !l->individual && !(collect & KAGI_F_CARD) ? collect | KAGI_F_PERSON : collect;
}

/* Whose factors the module asks for, when they are not the account's. */
static void put_person(struct request *rq, const struct login *l)
{
        if (login_by_person(l) && l->individual)
                frame_put_str(rq->reply, KAGI_T_PERSON, l->user);
}

int auth_preauth(struct request *rq)
{
        _cleanup_(login_done) struct login l;
        uint32_t collect;
        int r;

        if (start(rq, &l, "preauth", false) < 0)
                return 0;
        /* a shared ID with no member named yet: nothing of the ID's own is
         * checked, so nothing is reserved on it (the member's attempt is
         * reserved when they are named) */
        if (l.shared && !l.individual) {
                reply_decision(rq, KAGI_ALLOW, MSG_AUTH_FAILED);
                frame_put_u32(rq->reply, KAGI_T_FLAGS, KAGI_FLAG_BY_PERSON);
                if (factors_to_collect(rq, &l, 0, &collect) == 0)
                        frame_put_u32(rq->reply, KAGI_T_FACTORS, with_person(&l, collect));
                return 0;
        }
        /* the stacked password module checks a credential next: its attempt
         * is in flight from now, until authfail or kagi's own step settles
         * it, or the login is abandoned and it lapses */
        r = attempt_reserve(rq, &l, "preauth", NULL, 0, now_ms() + (int64_t)rq->b->cfg->attempt_timeout * 1000);
        if (r <= 0)
                return r;
        l.keep_attempt = true;
        reply_decision(rq, KAGI_ALLOW, MSG_AUTH_FAILED);
        frame_put_blob(rq->reply, KAGI_T_ATTEMPT, l.attempt, sizeof(l.attempt));
        if (login_by_person(&l))
                frame_put_u32(rq->reply, KAGI_T_FLAGS, KAGI_FLAG_BY_PERSON);
        /* what kagi will ask once the password module has passed, so the
         * module need not ask again */
        if (factors_to_collect(rq, &l, login_by_person(&l) ? 0 : KAGI_F_PASSWORD, &collect) == 0) {
                frame_put_u32(rq->reply, KAGI_T_FACTORS, collect);
                put_person(rq, &l);
        }
        return 0;
}

int auth_authfail(struct request *rq)
{
        _cleanup_(login_done) struct login l;
        const struct lockout_rule *rule;
        enum lock_event ev;
        struct txn t;
        char reason[128];
        int r;

        r = login_load(rq, &l);
        if (r < 0) {
                reply_decision(rq, KAGI_DENY_INVALID, MSG_AUTH_FAILED);
                return 0;
        }
        /* the failure happened whatever the directory says now: count it */
        login_lookup_settling(rq, &l);
        login_adopt_attempt(rq, &l);
        rule = login_rule(rq, &l);
        snprintf(reason, sizeof(reason), "password refused by the %s stack", l.service);

        r = txn_begin(&t, rq);
        if (r >= 0)
                r = attempt_settle(&t, &l, false, &ev);
        if (r >= 0)
                r = txn_audit(&t, &l, "auth", "password", "failure", reason, NULL);
        if (r >= 0)
                r = txn_lock_event(&t, &l, ev, rule);
        r = txn_finish_or_refuse(&t, r);
        if (r < 0)
                return r;
        if (ev == LOCK_EV_LOCKED)
                reply_decision(rq, KAGI_DENY_LOCKED, MSG_NOW_LOCKED);
        else
                reply_decision(rq, KAGI_DENY_CREDENTIAL, MSG_AUTH_FAILED);
        return 0;
}

int auth_begin(struct request *rq)
{
        _cleanup_(login_done) struct login l;
        uint32_t proved, collect;
        int r;

        r = start_unlocked(rq, &l, "begin");
        if (r <= 0)
                return r;
        proved = proved_by_stack(&l);
        r = factors_to_collect(rq, &l, proved, &collect);
        if (r < 0) {
                log_warn("no way for %s to log in to zone %s: %s%s", l.user, l.zone->name,
                         proved ? "password checked by the stack, " : "no password module before kagi (preauth), ",
                         login_place(rq->b->cfg, l.service, l.rhost) != LOGIN_LOCAL ? "not at the card reader"
                         : (l.flags & KAGI_FLAG_CARD_PRESENT)                   ? "card present"
                                                                                : "no card present");
                /* a role's target reached directly: say how it is reached */
                if (l.target && !l.individual)
                        return answer_audited(rq, &l, "auth", "begin", KAGI_DENY_POLICY, MSG_NO_INDIVIDUAL,
                                              "a role's target account, with no person proved and no card");
                return answer_audited(rq, &l, "auth", "begin", KAGI_DENY_POLICY, MSG_NO_METHOD,
                                      "no accepted factor set can be completed");
        }
        reply_decision(rq, KAGI_CONTINUE, MSG_AUTH_FAILED);
        frame_put_u32(rq->reply, KAGI_T_FACTORS, with_person(&l, collect));
        put_person(rq, &l);
        return 0;
}

/* A throw-away secret so an unknown or unenrolled account costs the same. */
static enum totp_result check_code(struct request *rq, const struct login *l, const char *code,
                                   uint64_t *ret_counter, int *ret_skew, const char **ret_reason)
{
        const struct kagi_config *c = rq->b->cfg;
        const struct totp_params p = { c->totp_digits, c->totp_step, c->totp_window };
        struct totp_row row = { 0 };
        uint8_t *secret = NULL, dummy[TOTP_SECRET_LEN];
        size_t len = 0;
        enum totp_result res;
        int r;

        r = l->acct.exists ? store_totp_get(rq->store, l->user, &row) : -ENOENT;
        if (r >= 0)
                r = unseal(rq->b->keys.seal, l->user, row.sealed, row.sealed_len, &secret, &len);
        if (r < 0) {
                if (r != -ENOENT)
                        log_err("cannot open the TOTP secret of %s: %s", l->user, strerror(-r));
                RAND_bytes(dummy, sizeof(dummy));
                totp_check(&p, dummy, sizeof(dummy), code, wall_now(), 0, ret_counter, ret_skew);
                secret_wipe(dummy, sizeof(dummy));
                totp_row_clear(&row);
                *ret_reason = !l->acct.exists ? "unknown account"
                              : r == -ENOENT  ? "no TOTP enrolled"
                                              : "TOTP secret cannot be opened";
                return TOTP_WRONG;
        }
        res = totp_check(&p, secret, len, code, wall_now(), row.last_counter, ret_counter, ret_skew);
        secret_free(secret, len);
        totp_row_clear(&row);
        *ret_reason = res == TOTP_OK ? "" : res == TOTP_REPLAY ? "code already used (replay)" : "wrong code";
        return res;
}

int login_verify(struct request *rq, struct login *l, const char *password, const char *code, const char *factor,
                 const uint8_t *attempt, size_t attempt_len, verified_fn then, void *userdata,
                 enum kagi_decision *ret_d)
{
        const char *reason = "";
        char why[160];
        enum totp_result tres = TOTP_OK;
        enum kagi_decision d;
        enum msg_id msg;
        uint64_t counter = 0;
        int skew = 0, r;
        enum lock_event ev = LOCK_EV_NONE;
        bool ok = true;
        struct txn t;

        *ret_d = KAGI_ERROR;
        r = attempt_reserve(rq, l, factor, attempt, attempt_len, rq->deadline + 1000);
        if (r <= 0)
                return r;

        if (password) {
                r = l->kagid_password ? person_password_check(rq, l->user, password)
                                      : directory_check_password(rq->dir, l->user, password);
                if (r == -EACCES) {
                        ok = false;
                        /* a directory refuses binds of accounts it has locked itself */
                        reason = l->acct.exists && !l->acct.enabled ? "password refused; account disabled in the directory"
                                                                    : "wrong password";
                } else if (r < 0) {
                        log_err("password check for %s failed: %s", l->user, strerror(-r));
                        r = attempt_release(rq, l, factor, "error", "password check unavailable");
                        reply_decision(rq, KAGI_UNAVAILABLE, MSG_UNAVAILABLE);
                        *ret_d = KAGI_UNAVAILABLE;
                        return r;
                }
        }

        r = txn_begin(&t, rq);
        if (r < 0) {
                reply_decision(rq, KAGI_ERROR, MSG_INTERNAL);
                return r;
        }
        if (code) {
                const char *code_reason;

                /* inside the transaction: two requests with one code cannot both pass */
                tres = check_code(rq, l, code, &counter, &skew, &code_reason);
                if (tres != TOTP_OK && ok) {
                        ok = false;
                        reason = code_reason;
                }
        }
        if (!l->acct.exists) {
                /* whatever else failed, this is what the auditor needs to read */
                ok = false;
                reason = "unknown account";
        }
        r = attempt_settle(&t, l, ok, &ev);
        if (r >= 0 && ok && code)
                r = store_totp_accept(rq->store, l->user, counter, skew);
        if (ok) {
                d = admission(rq, l, &msg, &reason);
                if (d == KAGI_ALLOW && code) {
                        snprintf(why, sizeof(why), "clock skew %+d step%s", skew, skew == 1 || skew == -1 ? "" : "s");
                        reason = why;
                }
        } else {
                d = tres == TOTP_REPLAY && l->acct.exists ? KAGI_DENY_REPLAY : KAGI_DENY_CREDENTIAL;
                msg = ev == LOCK_EV_LOCKED ? MSG_NOW_LOCKED : tres == TOTP_REPLAY ? MSG_REPLAY : MSG_AUTH_FAILED;
        }
        if (r >= 0)
                r = txn_audit(&t, l, "auth", factor, d == KAGI_ALLOW ? "success" : ok ? "denied" : "failure", reason,
                              NULL);
        if (r >= 0)
                r = txn_lock_event(&t, l, ev, login_rule(rq, l));
        /* what belongs with a success, in the same commit */
        if (r >= 0 && d == KAGI_ALLOW && then)
                r = then(&t, l, userdata);
        r = txn_finish_or_refuse(&t, r);
        if (r < 0)
                return r;
        reply_decision(rq, d, msg);
        *ret_d = d;
        return 0;
}

/* A success decides the account phase too, in the same commit: an account
 * that exists, is not locked (a success unlocked it), is admitted — and for
 * a role's target, opened by a grant the person holds. */
static int account_then(struct txn *t, struct login *l, void *userdata)
{
        struct account_verdict *v = userdata;
        int r = login_account_decision(t->rq, l, v);

        /* a refusal is the account phase's own to record: it asks again */
        if (r < 0 || v->d != KAGI_ALLOW)
                return r;
        return account_audit(t, l, v);
}

int auth_verify(struct request *rq)
{
        _cleanup_(login_done) struct login l;
        const char *code = msg_str(rq->msg, KAGI_T_CODE);
        const char *password = msg_str(rq->msg, KAGI_T_PASSWORD);
        struct account_verdict v = { .d = KAGI_ERROR };
        uint32_t have = 0, proved;
        enum kagi_decision d;
        char factor[64];
        int r;

        if (start(rq, &l, "verify", true) < 0)
                return 0;
        if (login_by_person(&l) && !l.individual)
                return answer_audited(rq, &l, "auth", "password+totp", KAGI_DENY_POLICY, MSG_NO_INDIVIDUAL,
                                      l.shared ? AUDIT_NO_MEMBER
                                               : "a role's target account, with no person proved");
        /* SID-1: a non-member is refused whatever they typed, and it counts */
        if (l.shared && !shared_member(l.shared, l.user, &l.acct.groups))
                return shared_misuse(rq, &l, "password+totp", rq->msg->f[KAGI_T_ATTEMPT].p,
                                     rq->msg->f[KAGI_T_ATTEMPT].len);
        proved = proved_by_stack(&l);
        if (code)
                have |= KAGI_F_TOTP;
        if (password)
                have |= KAGI_F_PASSWORD;
        factor_set_format(proved | have, factor, sizeof(factor));
        if (!have || (password && proved) || !zone_satisfied(l.zone, proved | have) ||
            (password && !broker_checks_password(rq, &l))) {
                log_warn("verify for %s in zone %s with %s does not complete an accepted factor set",
                         l.user, l.zone->name, factor);
                return answer_audited(rq, &l, "auth", factor, KAGI_DENY_POLICY, MSG_NO_METHOD,
                                      "factors do not complete an accepted set");
        }
        r = login_verify(rq, &l, password, code, factor, rq->msg->f[KAGI_T_ATTEMPT].p, rq->msg->f[KAGI_T_ATTEMPT].len,
                         account_then, &v, &d);
        if (r < 0 || d != KAGI_ALLOW)
                return r;
        if (verdict_claimed(&v)) {
                /* held elsewhere: refused now, with who holds it */
                reply_restart(rq);
                reply_decision_name(rq, v.d, v.msg, 0, verdict_name(&v));
                return 0;
        }
        put_account(rq, &l, &v);
        return 0;
}

int auth_account(struct request *rq)
{
        _cleanup_(login_done) struct login l;
        struct account_verdict v;
        struct txn t = { .rq = rq };
        int r;

        if (start(rq, &l, "account", true) < 0)
                return 0;
        if (!l.acct.exists)
                return answer_audited(rq, &l, "account", "-", KAGI_DENY_UNKNOWN, MSG_AUTH_FAILED, "unknown account");
        if (locked_now(rq, &l, &r))
                return answer_audited(rq, &l, "account", "-", KAGI_DENY_LOCKED, MSG_LOCKED, "account locked");
        if (r < 0) {
                reply_decision(rq, KAGI_ERROR, MSG_INTERNAL);
                return r;
        }
        r = login_account_decision(rq, &l, &v);
        if (r >= 0)
                r = txn_begin(&t, rq);
        if (r >= 0)
                r = account_audit(&t, &l, &v);
        r = txn_finish_or_refuse(&t, r);
        if (r < 0)
                return r;
        reply_decision_name(rq, v.d, v.msg, 0, verdict_name(&v));
        put_account(rq, &l, &v);
        return 0;
}
