/* Sessions, the request side (PRIV-4, PRIV-5): every kagi session is a live
 * session kagid knows, with its own cgroup where the host gives one. A
 * session of a role's target is bounded before it can start: when the
 * account phase lets it in (su, sshd), or when sudo first names the target
 * at its session phase, kagid makes its cgroup, moves the process that
 * asked (SO_PEERCRED: it is the one that forks the shell later) into it and
 * records the grant's deadline; no mechanism to bound it, no session. The
 * live side — warnings, the end, processes gone, restarts — is live.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/rand.h>

#include "claims.h"
#include "enforce.h"
#include "live.h"
#include "login.h"

/* The request's context, or the answer that it is malformed. */
static int load(struct request *rq, struct login *l)
{
        int r = login_load(rq, l);

        if (r < 0)
                reply_decision(rq, KAGI_DENY_INVALID, MSG_INTERNAL);
        return r;
}

static int new_id(char id[33])
{
        uint8_t raw[16];

        if (RAND_bytes(raw, sizeof(raw)) != 1)
                return -EIO;
        for (size_t i = 0; i < sizeof(raw); i++)
                snprintf(id + 2 * i, 3, "%02x", raw[i]);
        return 0;
}

/* Its own cgroup, with the asking process in it: the shell that process
 * forks later is inside. */
static int confine(struct request *rq, struct session_row *row)
{
        _cleanup_(enforce_session_freep) struct enforce_session *s = NULL;
        int r;

        if (!rq->enforce || enforce_kind(rq->enforce) == ENFORCE_NONE)
                return -EOPNOTSUPP;
        r = enforce_session_start(rq->enforce, row->id, rq->peer_pid, &s);
        if (r < 0)
                return r;
        snprintf(row->cgroup, sizeof(row->cgroup), "%s", enforce_session_cgroup(s));
        snprintf(row->mechanism, sizeof(row->mechanism), "%s", enforce_kind_name(enforce_kind(rq->enforce)));
        /* remember it now, in case a root shell moves itself out later */
        enforce_session_scan(s);
        return 0;
}

/* Who must own the session's terminal for a warning to be written there:
 * the person at it (su, sudo) or the account logged into (login, sshd). */
static int64_t tty_owner(const struct login *l)
{
        return l->acct.exists && l->acct.uid != (uid_t)-1 ? (int64_t)l->acct.uid : -1;
}

/* "since 2026-12-01 09:12 on vm:pts/3 (alice)", in the configured language */
static void holder_text(const struct kagi_config *cfg, const struct claim *h, bool with_person, char *buf,
                        size_t size)
{
        char when[32] = "";
        time_t t = (time_t)h->since;
        struct tm tm;

        if (localtime_r(&t, &tm))
                strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
        if (cfg->language == KAGI_LANG_JA)
                snprintf(buf, size, "%s から %.200s%s%.100s", when, h->terminal, with_person ? "、" : "",
                         with_person ? h->person : "");
        else
                snprintf(buf, size, "since %s on %.200s%s%.100s", when, h->terminal, with_person ? ", by " : "",
                         with_person ? h->person : "");
}

/* What the session holds, checked against every live one (claims.h). */
static int claim(struct request *rq, const struct login *l, struct account_verdict *v, const struct session_row *row)
{
        struct claim want = { .since = row->started, .registered = strcmp(row->state, "registered") == 0 };
        struct claim_rules rules = { .max_sessions = l->shared ? l->shared->max_sessions : 0,
                                     .one_terminal = l->zone && l->zone->one_terminal };
        struct claim holder;
        enum claim_conflict c;

        snprintf(want.id, sizeof(want.id), "%s", row->id);
        snprintf(want.account, sizeof(want.account), "%s", row->account);
        snprintf(want.person, sizeof(want.person), "%s", row->person);
        snprintf(want.terminal, sizeof(want.terminal), "%s", row->terminal);
        snprintf(want.card, sizeof(want.card), "%s", l->card);
        c = claims_take(rq->b->claims, &want, &rules, &holder);
        if (c == CLAIM_OK)
                return 0;
        v->d = KAGI_DENY_POLICY;
        holder_text(rq->b->cfg, &holder, c == CLAIM_IN_USE, v->holder, sizeof(v->holder));
        switch (c) {
        case CLAIM_CARD:
                v->msg = MSG_CARD_IN_USE;
                snprintf(v->why, sizeof(v->why), "card already in session %.32s of %.40s (%.40s) on %.60s", holder.id,
                         holder.account, holder.person, holder.terminal);
                break;
        case CLAIM_ONE_TERMINAL:
                v->msg = MSG_ONE_TERMINAL;
                snprintf(v->why, sizeof(v->why), "one terminal at a time: already on %.60s (session %.32s)",
                         holder.terminal, holder.id);
                break;
        default:
                v->msg = MSG_IN_USE;
                snprintf(v->why, sizeof(v->why), AUDIT_IN_USE " %u session(s) allowed, session %.32s of %.40s on %.60s",
                         rules.max_sessions, holder.id, holder.person, holder.terminal);
                break;
        }
        v->reason = v->why;
        log_warn("session of %s (%s) refused: %s", row->account, row->person, v->why);
        return -EBUSY;
}

int session_register(struct request *rq, const struct login *l, struct account_verdict *v, const char *state,
                     struct session_row *ret)
{
        const struct kagi_role *role = config_role(rq->b->cfg, v->role);
        struct grant_row g;
        int r;

        *ret = (struct session_row){ .pid = rq->peer_pid, .started = wall_now() };
        r = new_id(ret->id);
        if (r >= 0 && v->grant)
                r = store_grant_get(rq->store, v->grant, &g);
        if (r < 0)
                return r;
        snprintf(ret->account, sizeof(ret->account), "%s", login_account(l));
        snprintf(ret->person, sizeof(ret->person), "%s", l->person);
        snprintf(ret->service, sizeof(ret->service), "%s", l->service);
        snprintf(ret->terminal, sizeof(ret->terminal), "%s", l->terminal);
        snprintf(ret->state, sizeof(ret->state), "%s", state);
        snprintf(ret->tty, sizeof(ret->tty), "%s", l->tty ? l->tty : "");
        ret->tty_uid = tty_owner(l);
        if (v->grant) {
                ret->grant = v->grant;
                ret->deadline = g.ends;
                snprintf(ret->role, sizeof(ret->role), "%s", v->role);
                ret->card_ends = l->card[0] && role && role->card_removal == KAGI_CARD_REMOVAL_END;
                snprintf(ret->card, sizeof(ret->card), "%s", l->card);
                snprintf(ret->reader, sizeof(ret->reader), "%s", l->reader);
        }
        /* the process that opened it, as it was then: a later process with
         * its pid number is not it */
        proc_start_time(rq->peer_pid, &ret->pid_start);
        r = claim(rq, l, v, ret);
        if (r < 0)
                return r;
        r = v->grant || rq->b->cfg->session_cgroups_all ? confine(rq, ret) : -EOPNOTSUPP;
        /* a privileged session nothing can bound does not start (fail closed) */
        if (r < 0 && v->grant) {
                log_err("session of %s (%s) refused: it cannot be bounded here: %s", ret->account, ret->person,
                        r == -EOPNOTSUPP && rq->enforce ? enforce_why_none(rq->enforce) : strerror(-r));
                claims_release(rq->b->claims, ret->id);
                return -EOPNOTSUPP;
        }
        if (r < 0 && r != -EOPNOTSUPP)
                log_warn("session of %s has no cgroup of its own: %s", ret->account, strerror(-r));
        return 0;
}

int session_record_registered(struct txn *t, const struct login *l, const struct session_row *row)
{
        char why[600];
        int r = store_session_add(t->rq->store, row);

        if (r < 0)
                return r;
        snprintf(why, sizeof(why), "until %lld%s%s", (long long)row->deadline, row->cgroup[0] ? ", cgroup " : "",
                 row->cgroup);
        return txn_audit(t, l, "session-register", "-", "success", why, row->id);
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
        if (!config_is_target(rq->b->cfg, l->user) && !config_shared(rq->b->cfg, l->user))
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
        reply_decision_name(rq, v->d, v->msg, 0, verdict_name(v));
        put_account(rq, l, v);
        return 0;
}

/* The session the account phase registered: its process (sshd opens the
 * session in another process than it checked the account in) joins it. */
static int open_registered(struct request *rq, const struct login *l, const char *id, struct session_row *row)
{
        _cleanup_(enforce_session_freep) struct enforce_session *s = NULL;
        int r = store_session_get(rq->store, id, row);

        if (r < 0 || strcmp(row->state, "registered") != 0 || strcmp(row->account, login_account(l)) != 0)
                return -ENOENT;
        if (row->cgroup[0] && rq->enforce) {
                r = enforce_session_open(rq->enforce, row->id, &s);
                if (r >= 0)
                        r = enforce_session_add(s, rq->peer_pid);
                if (r < 0 && r != -EEXIST) {
                        log_err("session %s: the process opening it cannot join its cgroup: %s", id, strerror(-r));
                        return r;
                }
        }
        snprintf(row->state, sizeof(row->state), "open");
        row->pid = rq->peer_pid;
        proc_start_time(rq->peer_pid, &row->pid_start);
        row->started = wall_now();
        return 0;
}

int auth_session_open(struct request *rq)
{
        _cleanup_(login_done) struct login l;
        const char *registered = msg_str(rq->msg, KAGI_T_SESSION);
        struct account_verdict v = { .d = KAGI_ALLOW };
        struct session_row row;
        struct txn t = { .rq = rq };
        bool is_new = true;
        int r;

        if (load(rq, &l) < 0)
                return 0;
        r = registered ? open_registered(rq, &l, registered, &row) : -ENOENT;
        if (r < 0 && r != -ENOENT) {
                /* a bounded session whose shell would start outside its bounds */
                reply_decision(rq, KAGI_DENY_POLICY, MSG_NO_BOUND);
                return 0;
        }
        if (r == 0) {
                /* who the account phase proved: the person behind a shared
                 * ID or a role's target is the registration's */
                l.person = row.person;
                is_new = false;
        } else {
                r = session_admitted(rq, &l, &v);
                if (r <= 0)
                        return r;
                r = session_register(rq, &l, &v, "open", &row);
                if (r == -EBUSY)
                        return answer_verdict(rq, &l, &v, "session-open");
                if (r < 0) {
                        reply_decision(rq, r == -EOPNOTSUPP ? KAGI_DENY_POLICY : KAGI_ERROR,
                                       r == -EOPNOTSUPP ? MSG_NO_BOUND : MSG_INTERNAL);
                        return 0;
                }
        }
        r = txn_begin(&t, rq);
        if (r >= 0)
                r = is_new ? store_session_add(rq->store, &row) : store_session_put(rq->store, &row);
        if (r >= 0)
                r = grant_use_audit(&t, &l, &v, row.id);
        if (r >= 0)
                r = txn_audit(&t, &l, "login", "-", "success", row.grant ? (v.grant ? v.why : "under a grant") : "",
                              row.id);
        r = txn_finish_or_refuse(&t, r);
        if (r < 0) {
                if (is_new)
                        claims_release(rq->b->claims, row.id);
                return r;
        }
        if (!is_new)
                claims_opened(rq->b->claims, row.id);
        live_session_changed(rq->b, row.id);
        reply_decision(rq, KAGI_ALLOW, MSG_AUTH_FAILED);
        frame_put_str(rq->reply, KAGI_T_SESSION, row.id);
        if (row.deadline > wall_now())
                frame_put_u64(rq->reply, KAGI_T_DURATION, (uint64_t)(row.deadline - wall_now()));
        return 0;
}

/* A transaction on session ID, which must be live: -ENOENT (transaction
 * aborted) when it is unknown or has ended. */
static int begin_on_live(struct txn *t, struct request *rq, const char *id, struct session_row *row)
{
        int r = txn_begin(t, rq);

        if (r >= 0)
                r = store_session_get(rq->store, id, row);
        if (r >= 0 && strcmp(row->state, "ended") == 0)
                r = -ENOENT;
        if (r == -ENOENT)
                txn_abort(t);
        return r;
}

int auth_session_close(struct request *rq)
{
        _cleanup_(login_done) struct login l;
        const char *id = msg_str(rq->msg, KAGI_T_SESSION);
        struct session_row row;
        struct txn t = { .rq = rq };
        int r;

        if (load(rq, &l) < 0)
                return 0;
        r = begin_on_live(&t, rq, id, &row);
        if (r >= 0)
                l.person = row.person;
        if (r == -ENOENT) {
                log_warn("logout of %s names unknown or ended session %s", l.user, id);
                reply_decision(rq, KAGI_DENY_INVALID, MSG_INTERNAL);
                return 0;
        }
        /* the processes left are live.c's to see go; a session kagid is
         * already ending keeps the reason it ends for (its client logs out
         * because it was told to) */
        if (r >= 0 && strcmp(row.state, "ending") != 0) {
                snprintf(row.state, sizeof(row.state), "ended");
                row.ended = wall_now();
                snprintf(row.end_how, sizeof(row.end_how), "logout");
                r = store_session_put(rq->store, &row);
        }
        if (r >= 0)
                r = txn_audit(&t, &l, "logout", "-", "success", "", id);
        r = txn_finish_or_refuse(&t, r);
        if (r < 0)
                return r;
        /* what is left of it holds nothing: the ID is free again */
        claims_release(rq->b->claims, id);
        live_session_changed(rq->b, id);
        reply_decision(rq, KAGI_ALLOW, MSG_AUTH_FAILED);
        return 0;
}

/* ---- kagictl session list / end ------------------------------------------------------ */

#define S(f) { #f, offsetof(struct session_row, f) }
static const struct json_member session_members[] = {
        S(id), S(account), S(person), S(service), S(terminal), S(state), S(tty), S(role), S(cgroup), S(mechanism),
        S(end_how), S(end_by),
};
#undef S

static int list_one(void *userdata, const struct session_row *row)
{
        _cleanup_(json_putp) json_object *j = json_object_new_object();

        json_add_strings(j, row, false, session_members, ARRAY_SIZE(session_members));
        json_add_int(j, "pid", row->pid);
        json_add_int(j, "grant", row->grant);
        json_add_time(j, "started", row->started);
        json_add_time(j, "deadline", row->deadline);
        json_add_bool(j, "card_ends", row->card_ends);
        return send_record(userdata, j);
}

int admin_session_list(struct request *rq)
{
        int r = store_sessions_live(rq->store, list_one, rq);

        if (r < 0) {
                reply_error(rq, KAGI_ERROR, "cannot list sessions");
                return r;
        }
        reply_decision(rq, KAGI_ALLOW, MSG_AUTH_FAILED);
        return 0;
}

int session_end_later(struct request *rq, struct txn *t, const struct login *l, struct session_row *row,
                      const char *how, const char *by)
{
        int r;

        if (strcmp(row->state, "ended") == 0 || strcmp(row->state, "ending") == 0)
                return 0;
        snprintf(row->state, sizeof(row->state), "ending");
        snprintf(row->end_how, sizeof(row->end_how), "%s", how);
        snprintf(row->end_by, sizeof(row->end_by), "%s", by);
        r = store_session_put(rq->store, row);
        if (r >= 0)
                r = txn_audit(t, l, "session-end", "-", "ending", how, row->id);
        return r;
}

int admin_session_end(struct request *rq)
{
        const char *id = msg_str(rq->msg, KAGI_T_SESSION);
        const char *reason = msg_str(rq->msg, KAGI_T_REASON);
        struct session_row row;
        struct login l;
        char who[256], how[160];
        struct txn t;
        int r;

        if (!reason || !*reason) {
                reply_error(rq, KAGI_DENY_INVALID, "ending a session needs a reason");
                return 0;
        }
        r = begin_on_live(&t, rq, id, &row);
        if (r == -ENOENT) {
                reply_error(rq, KAGI_DENY_INVALID, "no live session %s", id);
                return 0;
        }
        admin_login(rq, &l, row.account, who, sizeof(who));
        snprintf(how, sizeof(how), "ended by %.60s: %.60s", who, reason);
        if (r >= 0)
                r = session_end_later(rq, &t, &l, &row, how, who);
        r = txn_finish(&t, r);
        if (r < 0) {
                reply_error(rq, KAGI_ERROR, "cannot end session %s", id);
                return r;
        }
        live_session_changed(rq->b, id);
        {
                _cleanup_(json_putp) json_object *j = json_object_new_object();

                json_add_str(j, "id", id);
                json_add_str(j, "state", "ending");
                reply_json(rq, j);
        }
        return 0;
}
