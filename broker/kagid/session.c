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

int auth_session_open(struct request *rq)
{
        _cleanup_(login_done) struct login l;
        uint8_t raw[16];
        char id[33];
        struct txn t;
        int r;

        if (load(rq, &l) < 0)
                return 0;
        if (RAND_bytes(raw, sizeof(raw)) != 1) {
                reply_decision(rq, KAGI_ERROR, MSG_INTERNAL);
                return -EIO;
        }
        for (size_t i = 0; i < sizeof(raw); i++)
                snprintf(id + 2 * i, 3, "%02x", raw[i]);

        r = txn_begin(&t, rq);
        if (r >= 0)
                r = store_session_open(rq->store, id, l.user, l.person, l.service, l.terminal,
                                       msg_u32(rq->msg, KAGI_T_PID, 0), wall_now());
        if (r >= 0)
                r = txn_audit(&t, &l, "login", "-", "success", "", id);
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
