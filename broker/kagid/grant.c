/* Privileged access by grant (PRIV-1, PRIV-2, PRIV-4, PRIV-6).
 *
 * A grant is one person, one role, one duration, one reason. The person
 * asks for it themself — with kagictl, proving their factors afresh and
 * counted toward their lock like a login, or inline in su / sudo with the
 * proof of the login they just did — never for someone else. A role that
 * needs approval leaves it pending until a member of its approver group,
 * who is not the requester, approves it with factors of their own.
 * Break-glass, where the role allows it, is active at once, flagged, and
 * tells the approvers. Every step is an audit record naming the person.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "login.h"

#define FACTOR "password+totp"

/* ---- answers ------------------------------------------------------------------ */

#define G(f) { #f, offsetof(struct grant_row, f) }
static const struct json_member grant_members[] = {
        G(role), G(person), G(reason), G(state), G(approver), G(decision_reason), G(extension_reason),
        G(closed_by), G(closed_reason),
};
#undef G

static json_object *grant_json(const struct grant_row *g)
{
        json_object *j = json_object_new_object();

        json_add_int(j, "id", g->id);
        json_add_strings(j, g, false, grant_members, ARRAY_SIZE(grant_members));
        json_add_int(j, "requested_seconds", g->requested);
        json_add_bool(j, "break_glass", g->break_glass);
        json_add_time(j, "created", g->created);
        json_add_time(j, "decided", g->decided);
        json_add_time(j, "starts", g->starts);
        json_add_time(j, "ends", g->ends);
        json_add_int(j, "extended_seconds", g->extended);
        json_add_int(j, "pending_extension_seconds", g->pending_extension);
        json_add_time(j, "closed", g->closed);
        return j;
}

static void reply_grant(struct request *rq, const struct grant_row *g)
{
        _cleanup_(json_putp) json_object *j = grant_json(g);

        reply_json(rq, j);
        frame_put_u64(rq->reply, KAGI_T_GRANT, (uint64_t)g->id);
        /* for the PAM module, which reads no JSON: not active yet */
        if (strcmp(g->state, "pending") == 0)
                frame_put_u32(rq->reply, KAGI_T_FLAGS, KAGI_FLAG_PENDING);
}

/* ---- who is asking ---------------------------------------------------------------- */

/* A login context for the person behind the socket (kagictl run by them):
 * their factors are checked by kagid itself, counted toward their lock. */
static int person_login(struct request *rq, struct login *l, char *name, size_t size)
{
        peer_name(rq, name, size);
        *l = (struct login){ .rq = rq, .bucket = -1, .user = name, .person = name, .service = "kagictl" };
        l->zone = config_zone(rq->b->cfg, rq->b->cfg->default_zone);
        l->kagid_password = true;
        snprintf(l->terminal, sizeof(l->terminal), "%s:kagictl", rq->b->host);
        if (rq->peer_uid == 0) {
                reply_error(rq, KAGI_DENY_PERMISSION, "run this as yourself, not as root: a grant names a person");
                return -EPERM;
        }
        if (login_lookup(rq, l, true) < 0) {
                reply_error(rq, KAGI_UNAVAILABLE, "the directory is unavailable");
                return -EHOSTDOWN;
        }
        if (!l->acct.exists) {
                reply_error(rq, KAGI_DENY_PERMISSION, "%s is not an account of the directory", name);
                return -ENOENT;
        }
        return 0;
}

/* Password and code, as the request carries them. */
static int fresh_factors(struct request *rq, const char **ret_password, const char **ret_code)
{
        *ret_password = msg_str(rq->msg, KAGI_T_PASSWORD);
        *ret_code = msg_str(rq->msg, KAGI_T_CODE);
        if (*ret_password && *ret_code)
                return 0;
        reply_error(rq, KAGI_DENY_INVALID, "prove yourself afresh: your password and a verification code");
        return -EINVAL;
}

static const struct kagi_role *held_role(struct request *rq, const struct login *l, const char *name)
{
        const struct kagi_role *r = name ? config_role(rq->b->cfg, name) : NULL;

        if (!r) {
                reply_error(rq, KAGI_DENY_INVALID, "no role named %s", name ? name : "");
                return NULL;
        }
        if (!role_held_by(r, l->user, &l->acct.groups)) {
                audit_only(rq, l, "grant-request", "-", "denied", "does not hold the role");
                reply_error(rq, KAGI_DENY_PERMISSION, "%s does not hold the role %s", l->user, r->name);
                return NULL;
        }
        return r;
}

/* ---- asking ------------------------------------------------------------------------ */

struct request_ctx {
        const struct kagi_role *role;
        struct grant_row g;
        enum grant_verdict v;
};

/* Inside the transaction that settled the person's login. */
static int create_then(struct txn *t, struct login *l, void *userdata)
{
        struct request_ctx *c = userdata;
        char why[1200];
        int r;

        c->g.created = wall_now();
        if (c->v == GRANT_ACTIVE) {
                c->g.starts = c->g.created;
                c->g.ends = c->g.starts + c->g.requested;
        }
        snprintf(c->g.state, sizeof(c->g.state), "%s", c->v == GRANT_ACTIVE ? "active" : "pending");
        r = store_grant_add(t->rq->store, &c->g);
        if (r < 0)
                return r;
        snprintf(why, sizeof(why), "grant %lld, role %s, %lld min%s: %s", (long long)c->g.id, c->role->name,
                 (long long)(c->g.requested / 60), c->g.break_glass ? ", break-glass" : "", c->g.reason);
        r = txn_audit(t, l, "grant-request", "-", c->g.state, why, NULL);
        if (r >= 0 && c->g.break_glass)
                /* flagged for review: nobody approved this one */
                r = txn_audit(t, l, "break-glass", "-", "active", why, NULL);
        if (r >= 0 && c->role->notify && (c->v == GRANT_PENDING || c->g.break_glass))
                r = txn_audit(t, l, "grant-notify", "-", "sent", c->role->notify, NULL);
        return r;
}

static int request_checked(struct request *rq, struct login *l, struct request_ctx *c)
{
        const char *reason = msg_str(rq->msg, KAGI_T_REASON);
        uint64_t duration = msg_u64(rq->msg, KAGI_T_DURATION, 0);
        bool break_glass = msg_u32(rq->msg, KAGI_T_FLAGS, 0) & KAGI_FLAG_BREAK_GLASS;

        *c = (struct request_ctx){ 0 };
        c->role = held_role(rq, l, msg_str(rq->msg, KAGI_T_ROLE));
        if (!c->role)
                return -EPERM;
        if (!reason || !*reason) {
                reply_error(rq, KAGI_DENY_INVALID, "a grant needs a reason");
                return -EINVAL;
        }
        c->v = role_request_check(c->role, duration, break_glass);
        if (c->v != GRANT_ACTIVE && c->v != GRANT_PENDING) {
                char why[160];

                snprintf(why, sizeof(why), "%s (%llus asked, at most %llus)", grant_verdict_text(c->v),
                         (unsigned long long)duration, (unsigned long long)c->role->max_duration);
                audit_only(rq, l, "grant-request", "-", "denied", why);
                reply_decision_name(rq, KAGI_DENY_POLICY, MSG_GRANT_REFUSED, 0,
                                    grant_verdict_words(c->v, rq->b->cfg->language));
                return -EPERM;
        }
        snprintf(c->g.role, sizeof(c->g.role), "%s", c->role->name);
        snprintf(c->g.person, sizeof(c->g.person), "%s", l->user);
        snprintf(c->g.reason, sizeof(c->g.reason), "%s", reason);
        c->g.requested = (int64_t)duration;
        c->g.break_glass = break_glass;
        return 0;
}

/* From the PAM module, in su or sudo: the person is behind the account
 * (RUSER, or the user of a sudo session), and the proof of the login just
 * done stands for their factors. */
static int inline_request(struct request *rq)
{
        _cleanup_(login_done) struct login l;
        const struct kagi_field *proof = &rq->msg->f[KAGI_T_PROOF];
        struct request_ctx c;
        struct txn t = { .rq = rq };
        int r;

        if (login_load(rq, &l) < 0) {
                reply_decision(rq, KAGI_DENY_INVALID, MSG_INTERNAL);
                return 0;
        }
        r = login_resolve(rq, &l, true);
        if (r < 0) {
                reply_decision(rq, KAGI_UNAVAILABLE, MSG_UNAVAILABLE);
                return r;
        }
        if (!l.individual && config_is_target(rq->b->cfg, l.user))
                return answer_audited(rq, &l, "grant-request", "-", KAGI_DENY_POLICY, MSG_NO_INDIVIDUAL,
                                      "no person behind the login");
        if (proof_take(rq->b->proofs, proof->p, proof->len, l.user, l.terminal, wall_now()) < 0)
                return answer_audited(rq, &l, "grant-request", "-", KAGI_DENY_CREDENTIAL, MSG_AUTH_FAILED,
                                      "no fresh login of the person to show for it");
        if (request_checked(rq, &l, &c) < 0)
                return 0;
        r = txn_begin(&t, rq);
        if (r >= 0)
                r = create_then(&t, &l, &c);
        r = txn_finish_or_refuse(&t, r);
        if (r < 0)
                return r;
        grant_notify(rq->b, c.role, &c.g, c.g.break_glass ? "break-glass" : "request");
        reply_grant(rq, &c.g);
        return 0;
}

int grant_request(struct request *rq)
{
        /* zeroed: the refusal and the inline path return before it is loaded */
        _cleanup_(login_done) struct login l = { 0 };
        const char *password, *code;
        struct request_ctx c;
        enum kagi_decision d;
        char name[256];
        int r;

        if (msg_has(rq->msg, KAGI_T_PROOF)) {
                if (!rq->peer_root) {
                        reply_error(rq, KAGI_DENY_PERMISSION, "only the PAM module asks with a proof");
                        return 0;
                }
                return inline_request(rq);
        }
        if (person_login(rq, &l, name, sizeof(name)) < 0 || fresh_factors(rq, &password, &code) < 0 ||
            request_checked(rq, &l, &c) < 0)
                return 0;
        r = login_verify(rq, &l, password, code, FACTOR, NULL, 0, create_then, &c, &d);
        if (r < 0 || d != KAGI_ALLOW)
                return r;
        grant_notify(rq->b, c.role, &c.g, c.g.break_glass ? "break-glass" : "request");
        reply_restart(rq);
        reply_grant(rq, &c.g);
        return 0;
}

/* ---- deciding ---------------------------------------------------------------------- */

/* A grant's end moved (an extension): its live sessions keep the new
 * deadline, warned afresh; kagid's timer thread hears of them after the
 * commit (before it, it would read the old deadline). */
struct followers {
        int64_t ends;
        char ids[64][65];
        size_t n;
};

struct follow_call {
        struct followers *f;
        struct store *store;
};

static int follow_cb(void *userdata, const struct session_row *live)
{
        struct follow_call *c = userdata;
        struct session_row row = *live;

        row.deadline = c->f->ends;
        row.warned = 0;
        if (c->f->n < ARRAY_SIZE(c->f->ids))
                snprintf(c->f->ids[c->f->n++], sizeof(c->f->ids[0]), "%s", row.id);
        return store_session_put(c->store, &row);
}

static int sessions_follow(struct request *rq, const struct grant_row *g, struct followers *f)
{
        struct follow_call c = { f, rq->store };

        f->ends = g->ends;
        f->n = 0;
        return store_sessions_of_grant(rq->store, g->id, follow_cb, &c);
}

static void followers_tell(struct broker *b, const struct followers *f)
{
        for (size_t i = 0; i < f->n; i++)
                live_session_changed(b, f->ids[i]);
}

struct decide_ctx {
        const struct kagi_role *role;
        struct grant_row g;
        bool approve;
        const char *reason;
        const char *approver;
        struct followers moved;
};

/* Someone behind two accounts is still one person: an approver with the
 * requester's display name or uid is the requester. */
static bool same_person(struct request *rq, const struct login *approver, const char *requester)
{
        struct dir_account a = { .uid = (uid_t)-1 };
        bool same;

        if (directory_lookup(rq->dir, requester, &a) < 0 || !a.exists) {
                dir_account_clear(&a);
                return false;
        }
        same = (a.uid != (uid_t)-1 && a.uid == approver->acct.uid) ||
               (a.display_name[0] && strcmp(a.display_name, approver->acct.display_name) == 0);
        dir_account_clear(&a);
        return same;
}

static int decide_then(struct txn *t, struct login *l, void *userdata)
{
        struct decide_ctx *c = userdata;
        char why[1200];
        int r;

        /* read again inside the transaction: two approvers at once decide once */
        r = store_grant_get(t->rq->store, c->g.id, &c->g);
        if (r < 0)
                return r;
        if (strcmp(c->g.state, "pending") != 0 && !(strcmp(c->g.state, "active") == 0 && c->g.pending_extension))
                return -EALREADY;
        snprintf(c->g.approver, sizeof(c->g.approver), "%s", c->approver);
        c->g.decided = wall_now();
        snprintf(c->g.decision_reason, sizeof(c->g.decision_reason), "%s", c->reason ? c->reason : "");
        if (strcmp(c->g.state, "active") == 0) {
                /* an extension waiting for approval */
                if (c->approve) {
                        c->g.ends += c->g.pending_extension;
                        c->g.extended += c->g.pending_extension;
                        r = sessions_follow(t->rq, &c->g, &c->moved);
                        if (r < 0)
                                return r;
                }
                snprintf(why, sizeof(why), "grant %lld of %s: extension by %lld min %s", (long long)c->g.id,
                         c->g.person, (long long)(c->g.pending_extension / 60), c->approve ? "approved" : "denied");
                c->g.pending_extension = 0;
        } else if (c->approve) {
                snprintf(c->g.state, sizeof(c->g.state), "active");
                c->g.starts = c->g.decided;
                c->g.ends = c->g.starts + c->g.requested;
                snprintf(why, sizeof(why), "grant %lld of %s (role %s) approved", (long long)c->g.id, c->g.person,
                         c->g.role);
        } else {
                snprintf(c->g.state, sizeof(c->g.state), "denied");
                c->g.closed = c->g.decided;
                snprintf(c->g.closed_by, sizeof(c->g.closed_by), "%s", c->approver);
                snprintf(c->g.closed_reason, sizeof(c->g.closed_reason), "%s", c->reason ? c->reason : "");
                snprintf(why, sizeof(why), "grant %lld of %s (role %s) denied: %s", (long long)c->g.id, c->g.person,
                         c->g.role, c->reason ? c->reason : "");
        }
        r = store_grant_put(t->rq->store, &c->g);
        if (r >= 0)
                r = txn_audit(t, l, c->approve ? "grant-approve" : "grant-deny", "-", c->approve ? "approved" : "denied",
                              why, NULL);
        return r;
}

int grant_decide(struct request *rq)
{
        _cleanup_(login_done) struct login l;
        struct decide_ctx c = { .approve = msg_u32(rq->msg, KAGI_T_FLAGS, 0) & KAGI_FLAG_APPROVE };
        const char *password, *code;
        enum grant_verdict v;
        enum kagi_decision d;
        char name[256];
        int r;

        c.reason = msg_str(rq->msg, KAGI_T_REASON);
        if (person_login(rq, &l, name, sizeof(name)) < 0 || fresh_factors(rq, &password, &code) < 0)
                return 0;
        c.approver = l.user;
        if (!c.approve && (!c.reason || !*c.reason)) {
                reply_error(rq, KAGI_DENY_INVALID, "a denial needs a reason");
                return 0;
        }
        r = store_grant_get(rq->store, (int64_t)msg_u64(rq->msg, KAGI_T_GRANT, 0), &c.g);
        if (r < 0) {
                reply_error(rq, r == -ENOENT ? KAGI_DENY_INVALID : KAGI_ERROR, "no grant %llu",
                            (unsigned long long)msg_u64(rq->msg, KAGI_T_GRANT, 0));
                return 0;
        }
        c.role = config_role(rq->b->cfg, c.g.role);
        if (!c.role) {
                reply_error(rq, KAGI_DENY_INVALID, "grant %lld's role %s is no longer configured", (long long)c.g.id,
                            c.g.role);
                return 0;
        }
        v = role_approval_check(c.role, l.user, &l.acct.groups, c.g.person);
        if (v == GRANT_ACTIVE && same_person(rq, &l, c.g.person))
                v = GRANT_SELF_APPROVAL;
        if (v != GRANT_ACTIVE) {
                char why[300];

                snprintf(why, sizeof(why), "grant %lld of %s: %s", (long long)c.g.id, c.g.person, grant_verdict_text(v));
                audit_only(rq, &l, c.approve ? "grant-approve" : "grant-deny", "-", "denied", why);
                reply_error(rq, KAGI_DENY_PERMISSION, "%s", grant_verdict_text(v));
                return 0;
        }
        r = login_verify(rq, &l, password, code, FACTOR, NULL, 0, decide_then, &c, &d);
        if (r == -EALREADY) {
                reply_restart(rq);
                reply_error(rq, KAGI_DENY_INVALID, "grant %lld waits for no decision (it is %s)", (long long)c.g.id,
                            c.g.state);
                return 0;
        }
        if (r < 0 || d != KAGI_ALLOW)
                return r;
        followers_tell(rq->b, &c.moved);
        reply_restart(rq);
        reply_grant(rq, &c.g);
        return 0;
}

/* ---- listing, revoking, extending ----------------------------------------------------- */

struct list_ctx {
        struct request *rq;
        const struct login *l;                /* NULL: an administrator sees all */
        bool pending_only;
};

/* What a person who is not an administrator sees: their own grants, and
 * those they may approve. */
static bool visible(const struct list_ctx *c, const struct grant_row *g)
{
        const struct kagi_role *r;

        if (!c->l || strcmp(g->person, c->l->user) == 0)
                return true;
        r = config_role(c->rq->b->cfg, g->role);
        return r && role_approval_check(r, c->l->user, &c->l->acct.groups, g->person) == GRANT_ACTIVE;
}

static int list_one(void *userdata, const struct grant_row *g)
{
        struct list_ctx *c = userdata;
        _cleanup_(json_putp) json_object *j = NULL;

        if (!visible(c, g))
                return 0;
        j = grant_json(g);
        return send_record(c->rq, j);
}

int grant_list(struct request *rq)
{
        _cleanup_(login_done) struct login l = { .rq = rq, .bucket = -1 };
        struct list_ctx c = { .rq = rq, .pending_only = msg_u32(rq->msg, KAGI_T_FLAGS, 0) & KAGI_FLAG_PENDING };
        char name[256];
        int r;

        if (!rq->peer_root && !rq->peer_admin) {
                if (person_login(rq, &l, name, sizeof(name)) < 0)
                        return 0;
                c.l = &l;
        }
        r = store_grants(rq->store, NULL, c.pending_only ? "pending" : NULL, NULL, list_one, &c);
        if (r < 0) {
                reply_error(rq, KAGI_ERROR, "cannot list grants");
                return r;
        }
        reply_decision(rq, KAGI_ALLOW, MSG_AUTH_FAILED);
        return 0;
}

/* A revoked grant's sessions end now. */
struct ending {
        struct request *rq;
        struct txn *t;
        const struct login *l;
        const char *by;
        char ids[64][65];
        size_t n;
        int r;
};

static int end_one(void *userdata, const struct session_row *live)
{
        struct ending *e = userdata;
        struct session_row row = *live;
        int r = session_end_later(e->rq, e->t, e->l, &row, "grant revoked", e->by);

        if (r < 0)
                return r;
        if (e->n < ARRAY_SIZE(e->ids))
                snprintf(e->ids[e->n++], sizeof(e->ids[0]), "%s", row.id);
        return 0;
}

int grant_revoke(struct request *rq)
{
        const char *reason = msg_str(rq->msg, KAGI_T_REASON);
        struct grant_row g;
        struct login l;
        char who[256], why[1200];
        struct txn t;
        int r;

        r = store_grant_get(rq->store, (int64_t)msg_u64(rq->msg, KAGI_T_GRANT, 0), &g);
        if (r < 0) {
                reply_error(rq, r == -ENOENT ? KAGI_DENY_INVALID : KAGI_ERROR, "no grant %llu",
                            (unsigned long long)msg_u64(rq->msg, KAGI_T_GRANT, 0));
                return 0;
        }
        admin_login(rq, &l, g.person, who, sizeof(who));
        /* administrators, and the holder giving it back early */
        if (!rq->peer_root && !rq->peer_admin && strcmp(who, g.person) != 0) {
                reply_error(rq, KAGI_DENY_PERMISSION, "only an administrator or its holder revokes grant %lld",
                            (long long)g.id);
                return 0;
        }
        if (strcmp(g.state, "active") != 0 && strcmp(g.state, "pending") != 0) {
                reply_error(rq, KAGI_DENY_INVALID, "grant %lld is %s already", (long long)g.id, g.state);
                return 0;
        }
        snprintf(g.state, sizeof(g.state), "revoked");
        g.closed = wall_now();
        snprintf(g.closed_by, sizeof(g.closed_by), "%s", who);
        snprintf(g.closed_reason, sizeof(g.closed_reason), "%s", reason);
        snprintf(why, sizeof(why), "grant %lld of %s (role %s) revoked: %s", (long long)g.id, g.person, g.role, reason);
        struct ending e = { .rq = rq, .t = &t, .l = &l, .by = who };

        r = txn_begin(&t, rq);
        if (r >= 0)
                r = store_grant_put(rq->store, &g);
        if (r >= 0)
                r = txn_audit(&t, &l, "grant-revoke", "-", "revoked", why, NULL);
        if (r >= 0)
                r = store_sessions_of_grant(rq->store, g.id, end_one, &e);
        r = txn_finish(&t, r);
        if (r < 0) {
                reply_error(rq, KAGI_ERROR, "cannot revoke grant %lld", (long long)g.id);
                return r;
        }
        for (size_t i = 0; i < e.n; i++)
                live_session_changed(rq->b, e.ids[i]);
        reply_grant(rq, &g);
        return 0;
}

struct extend_ctx {
        const struct kagi_role *role;
        struct grant_row g;
        int64_t by;
        const char *reason;
        struct followers moved;
};

static int extend_then(struct txn *t, struct login *l, void *userdata)
{
        struct extend_ctx *c = userdata;
        char why[1200];
        int r;

        r = store_grant_get(t->rq->store, c->g.id, &c->g);
        if (r < 0)
                return r;
        if (strcmp(c->g.state, "active") != 0 || c->g.ends <= wall_now())
                return -EALREADY;
        /* one extension waits for a decision at a time: a second would
         * replace what an approver may be reading */
        if (c->role->approval && c->g.pending_extension)
                return -EEXIST;
        if (c->role->approval) {
                c->g.pending_extension = c->by;
                snprintf(c->g.extension_reason, sizeof(c->g.extension_reason), "%s", c->reason);
        } else {
                c->g.ends += c->by;
                c->g.extended += c->by;
                snprintf(c->g.extension_reason, sizeof(c->g.extension_reason), "%s", c->reason);
                r = sessions_follow(t->rq, &c->g, &c->moved);
                if (r < 0)
                        return r;
        }
        snprintf(why, sizeof(why), "grant %lld (role %s) by %lld min%s: %s", (long long)c->g.id, c->g.role,
                 (long long)(c->by / 60), c->role->approval ? ", waits for approval" : "", c->reason);
        r = store_grant_put(t->rq->store, &c->g);
        if (r >= 0)
                r = txn_audit(t, l, "grant-extend", "-", c->role->approval ? "pending" : "extended", why, NULL);
        if (r >= 0 && c->role->approval && c->role->notify)
                r = txn_audit(t, l, "grant-notify", "-", "sent", c->role->notify, NULL);
        return r;
}

int grant_extend(struct request *rq)
{
        _cleanup_(login_done) struct login l;
        struct extend_ctx c = { .by = (int64_t)msg_u64(rq->msg, KAGI_T_DURATION, 0),
                                .reason = msg_str(rq->msg, KAGI_T_REASON) };
        const char *password, *code;
        enum kagi_decision d;
        char name[256];
        int r;

        if (person_login(rq, &l, name, sizeof(name)) < 0 || fresh_factors(rq, &password, &code) < 0)
                return 0;
        r = store_grant_get(rq->store, (int64_t)msg_u64(rq->msg, KAGI_T_GRANT, 0), &c.g);
        if (r < 0 || strcmp(c.g.person, l.user) != 0) {
                reply_error(rq, KAGI_DENY_INVALID, "you hold no grant %llu",
                            (unsigned long long)msg_u64(rq->msg, KAGI_T_GRANT, 0));
                return 0;
        }
        c.role = config_role(rq->b->cfg, c.g.role);
        /* within the role's maximum, all of it counted */
        if (!c.role || c.by <= 0 || c.g.ends - c.g.starts + c.by > (int64_t)c.role->max_duration) {
                reply_decision_name(rq, KAGI_DENY_POLICY, MSG_GRANT_REFUSED, 0,
                                    grant_verdict_words(c.by <= 0 ? GRANT_NO_DURATION : GRANT_TOO_LONG,
                                                        rq->b->cfg->language));
                return 0;
        }
        if (c.role->approval && c.g.pending_extension) {
                reply_error(rq, KAGI_DENY_INVALID, "an extension of grant %lld by %lld min already waits for approval",
                            (long long)c.g.id, (long long)(c.g.pending_extension / 60));
                return 0;
        }
        r = login_verify(rq, &l, password, code, FACTOR, NULL, 0, extend_then, &c, &d);
        if (r == -EALREADY || r == -EEXIST) {
                reply_restart(rq);
                if (r == -EEXIST)
                        reply_error(rq, KAGI_DENY_INVALID, "an extension of grant %lld already waits for approval",
                                    (long long)c.g.id);
                else
                        reply_error(rq, KAGI_DENY_INVALID, "grant %lld is not active", (long long)c.g.id);
                return 0;
        }
        if (r < 0 || d != KAGI_ALLOW)
                return r;
        followers_tell(rq->b, &c.moved);
        if (c.role->approval)
                grant_notify(rq->b, c.role, &c.g, "extension");
        reply_restart(rq);
        reply_grant(rq, &c.g);
        return 0;
}
