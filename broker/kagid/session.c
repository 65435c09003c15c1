/* The session phase: login and logout records of kagi's sessions. */
#include <errno.h>
#include <stdio.h>

#include <openssl/rand.h>

#include "login.h"

/* The request's context, or the answer that it is malformed. */
static int load(struct request *rq, struct login *l)
{
        int r = login_load(rq, l);

        if (r < 0)
                reply_decision(rq, KAGI_DENY_INVALID, MSG_INTERNAL);
        return r;
}

/* sudo's account phase is the invoking user's: PAM_USER becomes the
 * target only for the session. So a session of a role's target is
 * decided like its account phase — a person's grant must open it — and a
 * refusal here is one sudo does not run the command past (pam_kagi maps it
 * to PAM_PERM_DENIED, never the PAM_SESSION_ERR sudo ignores). 1: go on;
 * 0 or negative: answered. */
static int session_admitted(struct request *rq, struct login *l, struct account_verdict *v)
{
        struct txn t = { .rq = rq };
        int r;

        *v = (struct account_verdict){ .d = KAGI_ALLOW };
        if (!config_is_target(rq->b->cfg, l->user))
                return 1;
        r = login_resolve(rq, l, true);
        if (r < 0) {
                answer_audited(rq, l, "login", "-", KAGI_UNAVAILABLE, MSG_UNAVAILABLE, "directory unavailable");
                return r;
        }
        r = login_account_decision(rq, l, v);
        if (r < 0) {
                reply_decision(rq, KAGI_ERROR, MSG_INTERNAL);
                return r;
        }
        if (v->d == KAGI_ALLOW)
                return 1;
        r = txn_begin(&t, rq);
        if (r >= 0)
                r = account_audit(&t, l, v);
        r = txn_finish_or_refuse(&t, r);
        if (r < 0)
                return r;
        reply_decision_name(rq, v->d, v->msg, 0, v->role);
        put_account(rq, l, v);
        return 0;
}

int auth_session_open(struct request *rq)
{
        _cleanup_(login_done) struct login l;
        struct account_verdict v;
        uint8_t raw[16];
        char id[33];
        struct txn t;
        int r;

        if (load(rq, &l) < 0)
                return 0;
        r = session_admitted(rq, &l, &v);
        if (r <= 0)
                return r;
        if (RAND_bytes(raw, sizeof(raw)) != 1) {
                reply_decision(rq, KAGI_ERROR, MSG_INTERNAL);
                return -EIO;
        }
        for (size_t i = 0; i < sizeof(raw); i++)
                snprintf(id + 2 * i, 3, "%02x", raw[i]);

        r = txn_begin(&t, rq);
        if (r >= 0)
                r = store_session_open(rq->store, id, login_account(&l), l.person, l.service, l.terminal,
                                       msg_u32(rq->msg, KAGI_T_PID, 0), wall_now());
        if (r >= 0)
                r = grant_use_audit(&t, &l, &v, id);
        if (r >= 0)
                r = txn_audit(&t, &l, "login", "-", "success", v.grant ? v.why : "", id);
        r = txn_finish_or_refuse(&t, r);
        if (r < 0)
                return r;
        reply_decision(rq, KAGI_ALLOW, MSG_AUTH_FAILED);
        frame_put_str(rq->reply, KAGI_T_SESSION, id);
        return 0;
}

int auth_session_close(struct request *rq)
{
        _cleanup_(login_done) struct login l;
        const char *id = msg_str(rq->msg, KAGI_T_SESSION);
        char owner[257];
        struct txn t;
        int r;

        if (load(rq, &l) < 0)
                return 0;
        r = txn_begin(&t, rq);
        if (r >= 0)
                r = store_session_close(rq->store, id, wall_now(), owner, sizeof(owner));
        if (r == -ENOENT) {
                txn_abort(&t);
                log_warn("logout of %s names unknown or ended session %s", l.user, id);
                reply_decision(rq, KAGI_DENY_INVALID, MSG_INTERNAL);
                return 0;
        }
        if (r >= 0)
                r = txn_audit(&t, &l, "logout", "-", "success", "", id);
        r = txn_finish_or_refuse(&t, r);
        if (r < 0)
                return r;
        reply_decision(rq, KAGI_ALLOW, MSG_AUTH_FAILED);
        return 0;
}
