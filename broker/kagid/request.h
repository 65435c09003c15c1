/* Private to broker/kagid/: one request as a handler sees it, the answer it
 * builds, and the handlers of the dispatch table. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "attempts.h"
#include "common.h"
#include "directory.h"
#include "kagid.h"
#include "log.h"
#include "store.h"

/* What a worker has while it answers one request. */
struct request {
        struct broker *b;
        struct store *store;
        struct directory *dir;
        uid_t peer_uid;
        gid_t peer_gid;
        pid_t peer_pid;
        bool peer_root;
        bool peer_admin;
        int fd;                               /* for streamed answers */
        const struct kagi_msg *msg;
        struct frame *reply;
        enum kagi_decision decision;          /* what reply_decision answered */
        /* the attempt the handler left in flight (login_done), for watch.c */
        struct {
                bool set;
                uint8_t attempt[ATTEMPT_TOKEN_LEN];
                char key[ATTEMPT_KEY_MAX];
                char user[257], person[257];
        } kept;
        int64_t deadline;
        struct enforce *enforce;              /* the worker's: cgroups for sessions */
};

/* The one answer: decision, user message, and what else the handler adds. */
void reply_decision(struct request *rq, enum kagi_decision d, enum msg_id msg);
/* The same, with {n} in the message filled in (PIN tries left). */
void reply_decision_n(struct request *rq, enum kagi_decision d, enum msg_id msg, unsigned n);
/* The same, with {n} and {name} (a role, a reason). */
void reply_decision_name(struct request *rq, enum kagi_decision d, enum msg_id msg, unsigned n, const char *name);
void reply_error(struct request *rq, enum kagi_decision d, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Throws away what the answer held so far: another answer replaces it. */
void reply_restart(struct request *rq);

int dispatch(struct request *rq);
/* Is the client still waiting, and is there time to answer it? Nothing is
 * committed for a request that is not (pool.c). */
bool request_alive(const struct request *rq);
bool peer_in_group(uid_t uid, gid_t gid, const char *group);

/* Handlers (auth.c, card.c, session.c, admin.c, admin_card.c). Each fills rq->reply. */
int auth_preauth(struct request *rq);
int auth_authfail(struct request *rq);
int auth_begin(struct request *rq);
int auth_verify(struct request *rq);
int auth_account(struct request *rq);
int auth_session_open(struct request *rq);
int auth_session_close(struct request *rq);
int card_challenge(struct request *rq);
int card_verify(struct request *rq);
int auth_abandon(struct request *rq);

int admin_status(struct request *rq);
int admin_unlock(struct request *rq);
int admin_totp_enroll(struct request *rq);
int admin_totp_remove(struct request *rq);
int admin_audit_show(struct request *rq);
int admin_audit_verify(struct request *rq);
int admin_user_list(struct request *rq);
int admin_user_show(struct request *rq);
int admin_card_register(struct request *rq);
int admin_card_revoke(struct request *rq);
int admin_card_list(struct request *rq);
int admin_session_list(struct request *rq);
int admin_session_end(struct request *rq);
int admin_report(struct request *rq);        /* review.c */

/* The syslog copy of an audit record, sent after its commit (journal.c). */
void audit_syslog(const struct audit_record *r);
/* That copy's text, to be sent later (log_audit). */
void audit_syslog_line(const struct audit_record *r, char *line, size_t size);
