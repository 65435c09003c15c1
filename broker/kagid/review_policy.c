/* The review's privileged roles and grants (PRIV-1, PRIV-2, PRIV-4) and its
 * shared IDs (SID-1): what kagi.conf says — each [role], each [shared] ID
 * and who holds or may use them — and what the store kept: every grant with
 * how long its sessions were open, every session of a shared ID with the
 * person who opened it, every refused login to one.
 *
 * Holders and members are the policy's users, then the accounts the
 * accounts pass found in the policy's groups (the directory's groups of each
 * account kagi holds state for: a person kagi knows nothing of has no
 * factor to log in with). The report derives privileged.holders,
 * privileged.minutes and the summary itself: never sent from here. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "review.h"

/* ---- the policy's people, found by the accounts pass --------------------------- */

static json_object **sets(size_t n)
{
        json_object **v = calloc(n ? n : 1, sizeof(*v));

        for (size_t i = 0; v && i < n; i++) {
                v[i] = json_object_new_object();
                if (!v[i]) {
                        while (i > 0)
                                json_object_put(v[--i]);
                        free(v);
                        return NULL;
                }
        }
        return v;
}

static void sets_free(json_object **v, size_t n)
{
        for (size_t i = 0; v && i < n; i++)
                json_object_put(v[i]);
        free(v);
}

static int set_add(json_object *set, const char *name)
{
        if (json_object_object_get_ex(set, name, NULL))
                return 0;
        return json_object_object_add(set, name, json_object_new_boolean(true)) < 0 ? -ENOMEM : 0;
}

static int set_add_all(json_object *set, const struct strv *names)
{
        int r = 0;

        for (size_t i = 0; r >= 0 && i < names->n; i++)
                r = set_add(set, names->v[i]);
        return r;
}

int review_policy_init(struct review *rv)
{
        const struct kagi_config *c = rv->rq->b->cfg;
        struct review_policy *p = &rv->policy;
        int r = 0;

        review_policy_clear(rv);
        p->holders = sets(c->n_roles);
        p->members = sets(c->n_shared);
        p->ids = calloc(c->n_shared ? c->n_shared : 1, sizeof(*p->ids));
        p->n_roles = c->n_roles;
        p->n_shared = c->n_shared;
        if (!p->holders || !p->members || !p->ids) {
                review_policy_clear(rv);
                return -ENOMEM;
        }
        /* the users named first, as kagi.conf names them */
        for (size_t i = 0; r >= 0 && i < c->n_roles; i++)
                r = set_add_all(p->holders[i], &c->roles[i].users);
        for (size_t i = 0; r >= 0 && i < c->n_shared; i++)
                r = set_add_all(p->members[i], &c->shared[i].users);
        return r;
}

int review_policy_note(struct review *rv, const char *account, const struct strv *groups)
{
        const struct kagi_config *c = rv->rq->b->cfg;
        int r = 0;

        if (!rv->policy.holders || groups->n == 0)
                return 0;
        for (size_t i = 0; r >= 0 && i < c->n_roles; i++)
                if (role_held_by(&c->roles[i], account, groups))
                        r = set_add(rv->policy.holders[i], account);
        for (size_t i = 0; r >= 0 && i < c->n_shared; i++)
                if (shared_member(&c->shared[i], account, groups))
                        r = set_add(rv->policy.members[i], account);
        return r;
}

void review_policy_clear(struct review *rv)
{
        struct review_policy *p = &rv->policy;

        sets_free(p->holders, p->n_roles);
        sets_free(p->members, p->n_shared);
        sets_free(p->ids, p->n_shared);
        *p = (struct review_policy){ 0 };
}

int review_shared_index(const struct review *rv, const char *account)
{
        const struct kagi_config *c = rv->rq->b->cfg;
        const struct kagi_shared *sh = config_shared(c, account);

        return sh ? (int)(sh - c->shared) : -1;
}

json_object *review_policy_names(json_object *set)
{
        json_object *a = json_object_new_array();

        if (set) {
                json_object_object_foreach(set, name, v) {
                        (void)v;
                        json_object_array_add(a, json_object_new_string(name));
                }
        }
        return a;
}

static json_object *strv_array(const struct strv *v)
{
        json_object *a = json_object_new_array();

        for (size_t i = 0; i < v->n; i++)
                json_object_array_add(a, json_object_new_string(v->v[i]));
        return a;
}

/* ---- privileged ------------------------------------------------------------------ */

/* privileged.roles: one item per [role NAME] of kagi.conf. */
static int send_roles(struct review *rv)
{
        const struct kagi_config *c = rv->rq->b->cfg;
        int r = 0;

        for (size_t i = 0; r >= 0 && i < c->n_roles; i++) {
                const struct kagi_role *role = &c->roles[i];
                _cleanup_(json_putp) json_object *j = json_object_new_object();

                json_add_str(j, "name", role->name);
                json_object_object_add(j, "targets", strv_array(&role->targets));
                json_object_object_add(j, "holders",
                                       review_policy_names(rv->policy.holders ? rv->policy.holders[i] : NULL));
                json_add_int(j, "max_minutes", (int64_t)(role->max_duration / 60));
                json_add_bool(j, "approval", role->approval);
                review_put_text(j, "approvers", role->approvers);
                json_add_bool(j, "break_glass", role->break_glass);
                r = review_item(rv, "privileged", "roles", j);
        }
        return r < 0 ? r : review_items(rv, "privileged", "roles", NULL);
}

/* How it ended, from its state: a revocation by the person themself is
 * their giving it back early. */
static const char *grant_end(const struct grant_row *g)
{
        if (strcmp(g->state, "revoked") == 0)
                return strcmp(g->closed_by, g->person) == 0 ? "ended" : "revoked";
        /* a request that was never approved: it lapsed (approval_wait) */
        if (strcmp(g->state, "expired") == 0 && g->starts == 0)
                return "lapsed";
        if (strcmp(g->state, "pending") == 0 || strcmp(g->state, "active") == 0 ||
            strcmp(g->state, "expired") == 0 || strcmp(g->state, "denied") == 0)
                return g->state;
        return "revoked";                     /* no other state is written */
}

static int on_grant(void *userdata, const struct review_grant *k)
{
        const struct grant_row *g = &k->grant;
        _cleanup_(json_putp) json_object *j = json_object_new_object();
        bool opened = strcmp(g->state, "pending") != 0 && strcmp(g->state, "denied") != 0 && g->starts != 0;
        char id[24];

        snprintf(id, sizeof(id), "%lld", (long long)g->id);
        json_add_str(j, "id", id);
        json_add_str(j, "role", g->role);
        json_add_str(j, "person", g->person);
        review_put_text(j, "reason", g->reason);
        /* who approved it; a denial's decider is its ended_by */
        review_put_text_or_null(j, "approver", strcmp(g->state, "denied") == 0 ? NULL : g->approver);
        json_add_time(j, "requested_at", g->created);
        json_add_time(j, "started_at", g->starts);
        json_add_time(j, "ended_at", g->closed);
        json_add_int(j, "requested_minutes", g->requested / 60);
        json_add_int(j, "extended_minutes", g->extended / 60);
        /* a grant that never became active opened nothing */
        if (opened)
                json_add_int(j, "actual_minutes", k->used_seconds / 60);
        else
                json_object_object_add(j, "actual_minutes", NULL);
        json_add_str(j, "end", grant_end(g));
        review_put_text_or_null(j, "ended_by", g->closed_by);
        json_add_bool(j, "break_glass", g->break_glass);
        return review_item(userdata, "privileged", "grants", j);
}

int review_privileged(struct review *rv)
{
        int r = send_roles(rv);

        if (r >= 0)
                r = store_review_grants(rv->rq->store, rv->from, rv->until, rv->now, on_grant, rv);
        return r < 0 ? r : review_items(rv, "privileged", "grants", NULL);
}

/* ---- shared IDs ------------------------------------------------------------------ */

/* shared.ids: one item per [shared ACCOUNT], named and placed as the
 * directory has it (its account item, from the accounts pass). */
static int send_ids(struct review *rv)
{
        const struct kagi_config *c = rv->rq->b->cfg;
        int r = 0;

        for (size_t i = 0; r >= 0 && i < c->n_shared; i++) {
                const struct kagi_shared *sh = &c->shared[i];
                json_object *item = rv->policy.ids ? rv->policy.ids[i] : NULL, *v;
                _cleanup_(json_putp) json_object *j = json_object_new_object();

                json_add_str(j, "account", sh->name);
                if (item && json_object_object_get_ex(item, "display_name", &v))
                        json_object_object_add(j, "display_name", json_object_get(v));
                if (item && json_object_object_get_ex(item, "department", &v))
                        json_object_object_add(j, "department", json_object_get(v));
                json_object_object_add(j, "members",
                                       review_policy_names(rv->policy.members ? rv->policy.members[i] : NULL));
                json_add_int(j, "max_concurrent", sh->max_sessions);
                r = review_item(rv, "shared", "ids", j);
        }
        return r < 0 ? r : review_items(rv, "shared", "ids", NULL);
}

/* shared.uses: a session of a shared ID, with the member behind it. A
 * person that is the ID itself, or none, is no person: not attributed. */
static int on_use(void *userdata, const struct review_session *s)
{
        struct review *rv = userdata;
        _cleanup_(json_putp) json_object *j = json_object_new_object();
        bool person = s->person && *s->person && strcmp(s->person, s->account) != 0;
        int64_t end = s->ended ? s->ended : rv->now;

        json_add_str(j, "account", s->account);
        review_put_text_or_null(j, "person", person ? s->person : NULL);
        review_put_text(j, "terminal", s->terminal);
        review_put_text(j, "service", s->service);
        json_add_time(j, "start", s->started);
        json_add_time(j, "end", s->ended);
        /* one still open: so far */
        json_add_int(j, "minutes", end > s->started ? (end - s->started) / 60 : 0);
        return review_item(rv, "shared", "uses", j);
}

static int send_uses(struct review *rv)
{
        const struct kagi_config *c = rv->rq->b->cfg;
        _cleanup_(freep) const char **names = calloc(c->n_shared ? c->n_shared : 1, sizeof(*names));
        int r;

        if (!names)
                return -ENOMEM;
        for (size_t i = 0; i < c->n_shared; i++)
                names[i] = c->shared[i].name;
        r = store_review_sessions_of(rv->rq->store, rv->from, rv->until, names, c->n_shared, on_use, rv);
        return r < 0 ? r : review_items(rv, "shared", "uses", NULL);
}

/* shared.refusals: what the record says, in the schema's words. A login
 * that named no member got in with the ID's own credentials alone: at
 * kagi's prompts its password (auth), or in the stack's own authentication
 * (the account phase: its password or key). */
static int on_refusal(void *userdata, const struct review_refusal *x)
{
        _cleanup_(json_putp) json_object *j = json_object_new_object();
        bool person = x->person && *x->person && strcmp(x->person, x->account) != 0;
        const char *reason = "not_member";

        if (strncmp(x->reason ? x->reason : "", AUDIT_IN_USE, strlen(AUDIT_IN_USE)) == 0)
                reason = "concurrent";
        else if (x->reason && strcmp(x->reason, AUDIT_NO_MEMBER) == 0)
                reason = strcmp(x->event, "auth") == 0 ? "shared_password" : "other";
        json_add_time(j, "time", x->time);
        json_add_str(j, "account", x->account);
        review_put_text_or_null(j, "person", person ? x->person : NULL);
        review_put_text(j, "terminal", x->terminal);
        json_add_str(j, "reason", reason);
        review_put_text(j, "detail", x->reason);
        return review_item(userdata, "shared", "refusals", j);
}

int review_shared(struct review *rv)
{
        int r = send_ids(rv);

        if (r >= 0)
                r = send_uses(rv);
        if (r >= 0)
                r = store_review_shared_refusals(rv->rq->store, rv->from, rv->until, on_refusal, rv);
        return r < 0 ? r : review_items(rv, "shared", "refusals", NULL);
}
