/* The table of requests, as in OpenSSH's monitor: each with who may send it.
 * Login decisions come only from root (the PAM module runs as root in
 * login, sshd, su, sudo); administration from root or the admin group. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "login.h"
#include "watch.h"

enum {
        NEED_ROOT = 1,
        NEED_ADMIN = 2,
        /* any peer; the handler decides what it may do (a person asking for,
         * deciding or listing grants, SO_PEERCRED naming them) */
        NEED_ANY = 4,
        /* what the request does to its peer's login in progress (watch.c) */
        STARTS = 8,            /* a new one begins */
        GOES_ON = 16,          /* one begins unless it has */
        RESERVES = 32,         /* it is counted in advance */
        ENDS = 64,             /* it is settled: no longer abandoned if the peer goes */
};

static const struct handler {
        uint8_t type;
        int (*fn)(struct request *rq);
        unsigned flags;
} handlers[] = {
        { KAGI_REQ_PREAUTH, auth_preauth, NEED_ROOT | STARTS },
        { KAGI_REQ_AUTHFAIL, auth_authfail, NEED_ROOT | ENDS },
        { KAGI_REQ_BEGIN, auth_begin, NEED_ROOT | GOES_ON },
        { KAGI_REQ_VERIFY, auth_verify, NEED_ROOT | ENDS },
        { KAGI_REQ_CARD_CHALLENGE, card_challenge, NEED_ROOT | RESERVES },
        { KAGI_REQ_CARD_VERIFY, card_verify, NEED_ROOT | ENDS },
        { KAGI_REQ_ABANDON, auth_abandon, NEED_ROOT | ENDS },
        { KAGI_REQ_ACCOUNT, auth_account, NEED_ROOT },
        { KAGI_REQ_SESSION_OPEN, auth_session_open, NEED_ROOT },
        { KAGI_REQ_SESSION_CLOSE, auth_session_close, NEED_ROOT },
        { KAGI_REQ_STATUS, admin_status, NEED_ADMIN },
        { KAGI_REQ_UNLOCK, admin_unlock, NEED_ADMIN },
        { KAGI_REQ_TOTP_ENROLL, admin_totp_enroll, NEED_ADMIN },
        { KAGI_REQ_TOTP_REMOVE, admin_totp_remove, NEED_ADMIN },
        { KAGI_REQ_AUDIT_SHOW, admin_audit_show, NEED_ADMIN },
        { KAGI_REQ_AUDIT_VERIFY, admin_audit_verify, NEED_ADMIN },
        { KAGI_REQ_USER_LIST, admin_user_list, NEED_ADMIN },
        { KAGI_REQ_USER_SHOW, admin_user_show, NEED_ADMIN },
        { KAGI_REQ_CARD_REGISTER, admin_card_register, NEED_ADMIN },
        { KAGI_REQ_CARD_REVOKE, admin_card_revoke, NEED_ADMIN },
        { KAGI_REQ_CARD_LIST, admin_card_list, NEED_ADMIN },
        { KAGI_REQ_SESSION_LIST, admin_session_list, NEED_ADMIN },
        { KAGI_REQ_SESSION_END, admin_session_end, NEED_ADMIN },
        { KAGI_REQ_GRANT_REQUEST, grant_request, NEED_ANY },
        { KAGI_REQ_GRANT_DECIDE, grant_decide, NEED_ANY },
        { KAGI_REQ_GRANT_LIST, grant_list, NEED_ANY },
        { KAGI_REQ_GRANT_REVOKE, grant_revoke, NEED_ANY },
        { KAGI_REQ_GRANT_EXTEND, grant_extend, NEED_ANY },
        { KAGI_REQ_REPORT, admin_report, NEED_ADMIN },
};

void reply_decision_name(struct request *rq, enum kagi_decision d, enum msg_id msg, unsigned n, const char *name)
{
        char text[1024];

        rq->decision = d;
        frame_put_u32(rq->reply, KAGI_T_DECISION, d);
        if (d != KAGI_ALLOW && d != KAGI_CONTINUE) {
                message_format_name(rq->b->cfg, msg, n, name, text, sizeof(text));
                frame_put_str(rq->reply, KAGI_T_MESSAGE, text);
        }
}

void reply_decision_n(struct request *rq, enum kagi_decision d, enum msg_id msg, unsigned n)
{
        reply_decision_name(rq, d, msg, n, NULL);
}

void reply_decision(struct request *rq, enum kagi_decision d, enum msg_id msg)
{
        reply_decision_n(rq, d, msg, 0);
}

void reply_restart(struct request *rq)
{
        struct frame *f = frame_new(KAGI_REP_RESULT);

        /* no frame at all fails closed: the worker answers KAGI_ERROR */
        rq->decision = KAGI_ERROR;
        if (f) {
                frame_free(rq->reply);
                rq->reply = f;
        }
}

void reply_error(struct request *rq, enum kagi_decision d, const char *fmt, ...)
{
        char text[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        rq->decision = d;
        frame_put_u32(rq->reply, KAGI_T_DECISION, d);
        frame_put_str(rq->reply, KAGI_T_MESSAGE, text);
}

bool peer_in_group(uid_t uid, gid_t gid, const char *group)
{
        struct passwd pw, *pres = NULL;
        struct group gr, *gres = NULL;
        char pbuf[4096], gbuf[16384];
        gid_t groups[256];
        int n = (int)ARRAY_SIZE(groups);

        if (!group || getgrnam_r(group, &gr, gbuf, sizeof(gbuf), &gres) != 0 || !gres)
                return false;
        if (gid == gres->gr_gid)
                return true;
        if (getpwuid_r(uid, &pw, pbuf, sizeof(pbuf), &pres) != 0 || !pres)
                return false;
        if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0)
                n = (int)ARRAY_SIZE(groups);
        for (int i = 0; i < n; i++)
                if (groups[i] == gres->gr_gid)
                        return true;
        return false;
}

int dispatch(struct request *rq)
{
        const struct handler *h = NULL;
        int r;

        for (size_t i = 0; i < ARRAY_SIZE(handlers); i++)
                if (handlers[i].type == rq->msg->type)
                        h = &handlers[i];
        if (!h) {
                log_warn("peer uid %u sent a %s frame, which is not a request", (unsigned)rq->peer_uid,
                         kagi_msg_type_name(rq->msg->type));
                return -EBADMSG;
        }
        if (((h->flags & NEED_ROOT) && !rq->peer_root) ||
            ((h->flags & NEED_ADMIN) && !rq->peer_root && !rq->peer_admin)) {
                log_warn("refused %s from uid %u: %s", kagi_msg_type_name(h->type), (unsigned)rq->peer_uid,
                         (h->flags & NEED_ROOT) ? "only root may ask for login decisions"
                                                : "not root and not in the admin group");
                reply_error(rq, KAGI_DENY_PERMISSION, "permission denied: %s",
                            (h->flags & NEED_ROOT) ? "only root may ask for login decisions"
                                                   : "you must be root or in the admin group");
                return 0;
        }
        log_debug("%s from uid %u pid %d", kagi_msg_type_name(h->type), (unsigned)rq->peer_uid, (int)rq->peer_pid);
        /* settled from here on: the watcher must not also call it abandoned */
        if (h->flags & ENDS)
                watch_note(rq, WATCH_END);
        r = h->fn(rq);
        if (h->flags & (STARTS | GOES_ON | RESERVES))
                watch_note(rq, (h->flags & STARTS)    ? WATCH_START
                               : (h->flags & GOES_ON) ? WATCH_GO_ON
                                                      : WATCH_RESERVED);
        return r;
}
