/* Login decisions for pam_kagi.so.
 *
 * The shape of every credential check (LOCK-1):
 *
 *   1. reserve:  in one transaction, refuse if locked, else count the attempt
 *                as a failure and commit (on disk before anything is checked);
 *   2. verify:   the credential, outside any transaction;
 *   3. settle:   in one transaction, clear the count on success (or keep it),
 *                lock at the threshold, write the audit record, commit;
 *   4. answer.
 *
 * So N parallel guesses get at most `threshold` verifications, and a broker
 * killed between 1 and 3 keeps the failure. Unknown accounts go through the
 * same steps (with a throw-away secret) so they look like known ones.
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

        *ret_err = store_lock_get(rq->store, l->user, &st);
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
        r = login_lookup(rq, l, want_enabled);
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

/* The factors still to collect for this login, given what the stack has
 * proved; -EACCES when no accepted set can be completed. A card counts only
 * for a login at the reader: for a remote one, whatever the module says is
 * in the reader, card sets are not offered. */
static int factors_to_collect(struct request *rq, const struct login *l, uint32_t proved, uint32_t *ret)
{
        bool local = login_place(rq->b->cfg, l->service, l->rhost) == LOGIN_LOCAL;
        bool card = local && (l->flags & KAGI_FLAG_CARD_PRESENT);
        int r = zone_factors_to_collect(l->zone, proved, card, directory_checks_passwords(rq->dir), ret);

        /* only a card would do, and none is in the reader: the module asks
         * the user to insert one */
        if (r < 0 && local && !card)
                r = zone_factors_to_collect(l->zone, proved, true, directory_checks_passwords(rq->dir), ret);
        return r;
}

int auth_preauth(struct request *rq)
{
        _cleanup_(login_done) struct login l;
        uint32_t collect;
        int r;

        r = start_unlocked(rq, &l, "preauth");
        if (r <= 0)
                return r;
        reply_decision(rq, KAGI_ALLOW, MSG_AUTH_FAILED);
        /* preauth runs before a password module: what kagi will ask once it
         * has checked the password, so the module need not ask again */
        if (factors_to_collect(rq, &l, KAGI_F_PASSWORD, &collect) == 0)
                frame_put_u32(rq->reply, KAGI_T_FACTORS, collect);
        return 0;
}

int auth_authfail(struct request *rq)
{
        _cleanup_(login_done) struct login l;
        const struct lockout_rule *rule;
        struct lock_state st;
        enum lock_event ev;
        struct txn t;
        char reason[128];
        int r;

        r = login_load(rq, &l);
        if (r < 0) {
                reply_decision(rq, KAGI_DENY_INVALID, MSG_AUTH_FAILED);
                return 0;
        }
        /* The failure happened whatever the directory says now: count it, with
         * the ordinary rule if the account cannot be looked up. */
        if (login_lookup(rq, &l, false) < 0)
                l.acct = (struct dir_account){ .uid = (uid_t)-1 };
        rule = login_rule(rq, &l);
        snprintf(reason, sizeof(reason), "password refused by the %s stack", l.service);

        r = txn_begin(&t, rq);
        if (r >= 0)
                r = store_lock_get(rq->store, l.user, &st);
        if (r >= 0) {
                lockout_count(rule, &st, wall_now(), &ev);
                r = store_lock_put(rq->store, l.user, &st);
        }
        if (r >= 0)
                r = store_note_result(rq->store, l.user, false, wall_now());
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
        proved = (l.flags & KAGI_FLAG_STACKED_PASSWORD) ? KAGI_F_PASSWORD : 0;
        r = factors_to_collect(rq, &l, proved, &collect);
        if (r < 0) {
                log_warn("no way for %s to log in to zone %s: %s%s", l.user, l.zone->name,
                         proved ? "password checked by the stack, " : "no password module before kagi (preauth), ",
                         login_place(rq->b->cfg, l.service, l.rhost) != LOGIN_LOCAL ? "not at the card reader"
                         : (l.flags & KAGI_FLAG_CARD_PRESENT)                   ? "card present"
                                                                                : "no card present");
                return answer_audited(rq, &l, "auth", "begin", KAGI_DENY_POLICY, MSG_NO_METHOD,
                                      "no accepted factor set can be completed");
        }
        reply_decision(rq, KAGI_CONTINUE, MSG_AUTH_FAILED);
        frame_put_u32(rq->reply, KAGI_T_FACTORS, collect);
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

int auth_verify(struct request *rq)
{
        _cleanup_(login_done) struct login l;
        const char *code = msg_str(rq->msg, KAGI_T_CODE);
        const char *password = msg_str(rq->msg, KAGI_T_PASSWORD);
        const char *reason = "";
        uint32_t have = 0, proved;
        char factor[64], why[160];
        enum totp_result tres = TOTP_OK;
        enum kagi_decision d;
        enum msg_id msg;
        uint64_t counter = 0;
        int skew = 0, r;
        enum lock_event ev = LOCK_EV_NONE;
        bool ok = true;
        struct txn t;

        if (start(rq, &l, "verify", true) < 0)
                return 0;
        proved = (l.flags & KAGI_FLAG_STACKED_PASSWORD) ? KAGI_F_PASSWORD : 0;
        if (code)
                have |= KAGI_F_TOTP;
        if (password)
                have |= KAGI_F_PASSWORD;
        factor_set_format(proved | have, factor, sizeof(factor));
        if (!have || (password && proved) || !zone_satisfied(l.zone, proved | have) ||
            (password && !directory_checks_passwords(rq->dir))) {
                log_warn("verify for %s in zone %s with %s does not complete an accepted factor set",
                         l.user, l.zone->name, factor);
                return answer_audited(rq, &l, "auth", factor, KAGI_DENY_POLICY, MSG_NO_METHOD,
                                      "factors do not complete an accepted set");
        }

        r = attempt_reserve(rq, &l, factor);
        if (r <= 0)
                return r;

        if (password) {
                r = directory_check_password(rq->dir, l.user, password);
                if (r == -EACCES) {
                        ok = false;
                        /* a directory refuses binds of accounts it has locked itself */
                        reason = l.acct.exists && !l.acct.enabled ? "password refused; account disabled in the directory"
                                                                  : "wrong password";
                } else if (r < 0) {
                        log_err("password check for %s failed: %s", l.user, strerror(-r));
                        r = attempt_release(rq, &l, factor, "error", "directory unavailable");
                        reply_decision(rq, KAGI_UNAVAILABLE, MSG_UNAVAILABLE);
                        return r;
                }
        }

        r = txn_begin(&t, rq);
        if (r < 0)
                goto fail;
        if (code) {
                const char *code_reason;

                /* inside the transaction: two requests with one code cannot both pass */
                tres = check_code(rq, &l, code, &counter, &skew, &code_reason);
                if (tres != TOTP_OK && ok) {
                        ok = false;
                        reason = code_reason;
                }
        }
        if (!l.acct.exists) {
                /* whatever else failed, this is what the auditor needs to read */
                ok = false;
                reason = "unknown account";
        }
        r = attempt_settle(&t, &l, ok, &ev);
        if (r >= 0 && ok && code)
                r = store_totp_accept(rq->store, l.user, counter, skew);
        if (ok) {
                d = admission(rq, &l, &msg, &reason);
                if (d == KAGI_ALLOW && code) {
                        snprintf(why, sizeof(why), "clock skew %+d step%s", skew, skew == 1 || skew == -1 ? "" : "s");
                        reason = why;
                }
        } else {
                d = tres == TOTP_REPLAY && l.acct.exists ? KAGI_DENY_REPLAY : KAGI_DENY_CREDENTIAL;
                msg = ev == LOCK_EV_LOCKED ? MSG_NOW_LOCKED : tres == TOTP_REPLAY ? MSG_REPLAY : MSG_AUTH_FAILED;
        }
        if (r >= 0)
                r = txn_audit(&t, &l, "auth", factor,
                              d == KAGI_ALLOW ? "success" : ok ? "denied" : "failure", reason, NULL);
        if (r >= 0)
                r = txn_lock_event(&t, &l, ev, login_rule(rq, &l));
        if (r >= 0)
                r = txn_commit(&t);
        if (r < 0)
                goto fail;
        reply_decision(rq, d, msg);
        return 0;
fail:
        txn_abort(&t);
        reply_decision(rq, KAGI_ERROR, MSG_INTERNAL);
        return r;
}

int auth_account(struct request *rq)
{
        _cleanup_(login_done) struct login l;
        enum kagi_decision d;
        enum msg_id msg;
        const char *reason;
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
        d = admission(rq, &l, &msg, &reason);
        return answer_audited(rq, &l, "account", "-", d, msg, d == KAGI_ALLOW ? "" : reason);
}
