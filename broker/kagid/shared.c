/* Shared IDs (共用ID, SID-1, SID-2): a member logs in with their own
 * factors, named by their card or their personal ID; everything else —
 * the person looked up in their place, the count in use (claims.c), the
 * records naming the person — is login.c's and session.c's, as for a
 * role's target. Here: someone who is not a member. */
#include <stdio.h>

#include "login.h"

int shared_misuse(struct request *rq, struct login *l, const char *factor, const uint8_t *attempt, size_t len)
{
        enum lock_event ev;
        char why[512];
        struct txn t;
        int r;

        /* counted like a wrong credential, on the person's own account:
         * trying IDs one is not a member of is not free */
        if (!l->has_attempt) {
                r = attempt_reserve(rq, l, factor, attempt, len, now_ms() + 60 * 1000);
                if (r <= 0)
                        return r;
        }
        snprintf(why, sizeof(why), "%.200s is not a member of shared ID %.200s", l->user, login_account(l));
        log_warn("login as shared ID %s refused: %s", login_account(l), why);
        r = txn_begin(&t, rq);
        if (r >= 0)
                r = attempt_settle(&t, l, false, &ev);
        if (r >= 0)
                r = txn_audit(&t, l, "auth", factor, "failure", why, NULL);
        if (r >= 0)
                r = txn_audit(&t, l, "shared-misuse", factor, "denied", why, NULL);
        if (r >= 0)
                r = txn_lock_event(&t, l, ev, login_rule(rq, l));
        r = txn_finish_or_refuse(&t, r);
        if (r < 0)
                return r;
        if (ev == LOCK_EV_LOCKED)
                reply_decision(rq, KAGI_DENY_LOCKED, MSG_NOW_LOCKED);
        else
                reply_decision_name(rq, KAGI_DENY_POLICY, MSG_NOT_MEMBER, 0, login_account(l));
        return 0;
}
