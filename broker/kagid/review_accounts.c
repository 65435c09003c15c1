/* The review's accounts (ACC-3) and what their factors say (ACC-1, ACC-3):
 * every account kagi holds state for, as the store and the directory know
 * it, with the zone it logs in to and the factors it has enrolled.
 *
 * Which: every account kagi holds state for, and the policy's own — each
 * [shared] ID and each [role]'s targets — whether it holds any or not.
 *
 * Type: privileged = a role's target, uid 0, or a member of [lockout]
 * privileged_groups (as the lockout rules treat it); shared = a [shared]
 * ID, with its members; service = a system account (an NSS uid from 1 to
 * 999); personal otherwise. A shared ID's item waits for the end of the
 * pass, which finds its members among the accounts' groups: shared IDs come
 * last. A role's target and a shared ID are logged into with a person's own
 * factors, never their own: no factors are missing for them.
 *
 * Zone: the default zone when it admits the account, else the first zone
 * that does.
 *
 * The directory: listed once before the pass when the backend can
 * (directory_list: LDAP, a few paged searches instead of one or two per
 * account), and each account answered from the listing; a name it does not
 * hold has no directory entry, as a lookup would say. When it cannot list
 * (NSS, which is fast per account) or the listing fails, each account is
 * looked up as before, within DIRECTORY_BUDGET_MS. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "review.h"

#define FIRST_PERSON_UID 1000                 /* Debian's UID_MIN: below it, system accounts */
#define DIRECTORY_BUDGET_MS 20000             /* the directory's time in one review, in all */

/* One account of the directory's listing. */
struct listed {
        struct dir_account a;
        bool has_cert;                        /* the directory holds a certificate for it */
};

struct pass {
        struct review *rv;
        int64_t deadline_ms;                  /* no directory question after it */
        json_object *missing, *not_admitted;
        struct listed *listed;                /* sorted by name; NULL: ask per account */
        size_t n_listed, cap_listed;
};

static void listed_clear(struct pass *p)
{
        for (size_t i = 0; i < p->n_listed; i++)
                dir_account_clear(&p->listed[i].a);
        free(p->listed);
        p->listed = NULL;
        p->n_listed = p->cap_listed = 0;
}

static int on_listed(void *userdata, const struct dir_account *a, bool has_cert)
{
        struct pass *p = userdata;

        if (p->n_listed == p->cap_listed) {
                size_t cap = p->cap_listed ? p->cap_listed * 2 : 1024;
                struct listed *v = realloc(p->listed, cap * sizeof(*v));

                if (!v)
                        return -ENOMEM;
                p->listed = v;
                p->cap_listed = cap;
        }
        if (dir_account_copy(a, &p->listed[p->n_listed].a) < 0)
                return -ENOMEM;
        p->listed[p->n_listed++].has_cert = has_cert;
        return 0;
}

static int listed_cmp(const void *a, const void *b)
{
        return strcmp(((const struct listed *)a)->a.name, ((const struct listed *)b)->a.name);
}

/* Every account in one listing when the directory can give it; otherwise
 * p->listed stays NULL and the pass asks per account. */
static void list_directory(struct pass *p)
{
        int64_t start = now_ms();
        int r;

        if (p->rv->directory_down)
                return;
        r = directory_list(p->rv->dir, on_listed, p);
        if (r < 0) {
                listed_clear(p);
                if (r != -EOPNOTSUPP)
                        log_warn("review: the directory cannot list its accounts (%s); asking for each",
                                 strerror(-r));
                return;
        }
        if (!p->listed)
                p->listed = calloc(1, sizeof(*p->listed));   /* an empty directory is a listing too */
        if (!p->listed) {
                log_warn("review: out of memory for the directory's listing; asking for each account");
                return;
        }
        qsort(p->listed, p->n_listed, sizeof(*p->listed), listed_cmp);
        log_info("review: the directory listed %zu accounts in %lld ms", p->n_listed,
                 (long long)(now_ms() - start));
}

static const struct listed *find_listed(const struct pass *p, const char *name)
{
        struct listed key;

        if (p->n_listed == 0)
                return NULL;
        snprintf(key.a.name, sizeof(key.a.name), "%s", name);
        return bsearch(&key, p->listed, p->n_listed, sizeof(*p->listed), listed_cmp);
}

/* From the listing: its account, or none (exists = false). */
static bool ask_listed(struct pass *p, const char *name, struct dir_account *ret)
{
        const struct listed *x = find_listed(p, name);

        if (!x)
                return true;
        if (dir_account_copy(&x->a, ret) < 0) {
                log_warn("review: out of memory for %s; listed without the directory", name);
                *ret = (struct dir_account){ .uid = (uid_t)-1 };
                p->rv->unanswered++;
                return false;
        }
        return true;
}

/* The directory's answer, or false when it gave none: after its first
 * failure, and past the review's budget, it is not asked again (a stalled
 * LDAP server would otherwise cost its timeout ten thousand times). */
static bool ask(struct pass *p, const char *name, struct dir_account *ret)
{
        struct review *rv = p->rv;
        int r;

        *ret = (struct dir_account){ .uid = (uid_t)-1 };
        if (p->listed)
                return ask_listed(p, name, ret);
        if (!rv->directory_down && now_ms() > p->deadline_ms) {
                log_warn("review: the directory took more than %d s; the remaining accounts are listed without it",
                         DIRECTORY_BUDGET_MS / 1000);
                rv->directory_down = true;
        }
        if (rv->directory_down) {
                rv->unanswered++;
                return false;
        }
        r = directory_lookup(rv->dir, name, ret);
        if (r < 0) {
                log_warn("review: the directory did not answer for %s (%s); accounts are listed without it",
                         name, strerror(-r));
                dir_account_clear(ret);
                *ret = (struct dir_account){ .uid = (uid_t)-1 };
                rv->directory_down = true;
                rv->unanswered++;
                return false;
        }
        return true;
}

static const struct kagi_zone *account_zone(const struct kagi_config *c, const char *name,
                                            const struct strv *groups, bool *ret_admitted)
{
        const struct kagi_zone *z = config_zone(c, c->default_zone);

        *ret_admitted = true;
        if (z && zone_admits(z, name, groups))
                return z;
        for (size_t i = 0; i < c->n_zones; i++)
                if (zone_admits(&c->zones[i], name, groups))
                        return &c->zones[i];
        *ret_admitted = false;
        return z;
}

static const char *account_type(const struct review *rv, const struct login *l, const char *name)
{
        const struct kagi_config *c = rv->rq->b->cfg;

        /* as login.c decides: a target first */
        if (config_is_target(c, name))
                return "privileged";
        if (config_shared(c, name))
                return "shared";
        if (login_privileged(rv->rq, l))
                return "privileged";
        if (l->acct.exists && l->acct.uid != (uid_t)-1 && l->acct.uid > 0 && l->acct.uid < FIRST_PERSON_UID)
                return "service";
        return "personal";
}

/* A card kagi would accept for the person: registered and active, or one the
 * directory holds for them (card.c accepts both). */
static bool has_card(struct pass *p, const struct review_account *a, const struct kagi_zone *z, bool answered)
{
        struct dir_certs certs;
        bool found;

        if (a->active_cards > 0)
                return true;
        if (!answered || !zone_accepts_cards(z) || p->rv->directory_down)
                return false;
        if (p->listed) {
                const struct listed *x = find_listed(p, a->name);

                return x && x->has_cert;
        }
        if (directory_certificates(p->rv->dir, a->name, &certs) < 0)
                return false;
        found = certs.n > 0;
        dir_certs_clear(&certs);
        return found;
}

/* Can the account complete one of the zone's factor sets? A password is
 * always there (the directory's or the stacked module's); a PIN comes with
 * its card. */
static bool completes_a_set(const struct kagi_zone *z, bool card, bool totp)
{
        for (size_t i = 0; i < z->n_sets; i++)
                if ((!(z->sets[i] & KAGI_F_CARD) || card) && (!(z->sets[i] & KAGI_F_TOTP) || totp))
                        return true;
        return false;
}

static json_object *enrolled(bool card, bool totp)
{
        json_object *a = json_object_new_array();

        if (card)
                json_object_array_add(a, json_object_new_string("card"));
        if (totp)
                json_object_array_add(a, json_object_new_string("totp"));
        return a;
}

/* The fields the factors lists share with the account. */
static json_object *factor_item(const struct review_account *a, const struct dir_account *d,
                                const struct kagi_zone *z)
{
        json_object *j = json_object_new_object();

        json_add_str(j, "account", a->name);
        review_put_text(j, "display_name", d->display_name);
        review_put_text(j, "department", d->department);
        json_add_str(j, "zone", z->name);
        json_add_time(j, "last_success", a->last_success);
        return j;
}

static void note_missing(struct pass *p, const struct review_account *a, const struct dir_account *d,
                         const struct kagi_zone *z, bool card)
{
        json_object *j = factor_item(a, d, z), *sets = json_object_new_array();

        for (size_t i = 0; i < z->n_sets; i++) {
                char buf[64];

                factor_set_format(z->sets[i], buf, sizeof(buf));
                json_object_array_add(sets, json_object_new_string(buf));
        }
        json_object_object_add(j, "required", sets);
        json_object_object_add(j, "enrolled", enrolled(card, a->totp));
        json_object_array_add(p->missing, j);
}

/* ACC-3: credentials kagi still holds for someone who may not log in —
 * kagi refuses their logins, but the TOTP secret or the card is a right
 * left behind, to be removed. */
static void note_not_admitted(struct pass *p, const struct review_account *a, const struct dir_account *d,
                              const struct kagi_zone *z, bool admitted)
{
        const char *reason = !d->exists ? "no_directory_entry" : !d->enabled ? "disabled" : !admitted ? "outside_zone"
                                                                                                        : NULL;
        json_object *j;

        if (!reason || !(a->totp || a->active_cards > 0))
                return;
        j = factor_item(a, d, z);
        json_add_str(j, "reason", reason);
        json_object_array_add(p->not_admitted, j);
}

static int on_account(void *userdata, const struct review_account *a)
{
        struct pass *p = userdata;
        struct review *rv = p->rv;
        _cleanup_(login_done) struct login l = { .rq = rv->rq, .user = a->name };
        _cleanup_(json_putp) json_object *j = json_object_new_object();
        const struct kagi_zone *z;
        bool answered, admitted, card, by_person;
        int shared, r;

        answered = ask(p, a->name, &l.acct);
        l.looked_up = true;
        z = account_zone(rv->rq->b->cfg, a->name, &l.acct.groups, &admitted);
        if (!z)
                return -ENOENT;
        card = has_card(p, a, z, answered);

        json_add_str(j, "name", a->name);
        review_put_text(j, "display_name", l.acct.display_name);
        json_add_str(j, "type", account_type(rv, &l, a->name));
        review_put_text(j, "department", l.acct.department);
        json_add_str(j, "zone", z->name);
        json_object_object_add(j, "factors", enrolled(card, a->totp));
        json_add_time(j, "last_success", a->last_success);
        json_add_time(j, "last_failure", a->last_failure);
        json_add_int(j, "failures", a->lock.failures);
        json_add_bool(j, "locked", lockout_is_locked(login_rule(rv->rq, &l), &a->lock, rv->now));
        if (answered && l.acct.exists)
                json_add_bool(j, "disabled", !l.acct.enabled);
        json_add_time(j, "created", a->first_seen);

        /* what the directory did not answer for cannot be judged */
        shared = review_shared_index(rv, a->name);
        by_person = shared >= 0 || config_is_target(rv->rq->b->cfg, a->name);
        if (answered && !by_person && l.acct.exists && l.acct.enabled && admitted &&
            !completes_a_set(z, card, a->totp))
                note_missing(p, a, &l.acct, z, card);
        if (answered)
                note_not_admitted(p, a, &l.acct, z, admitted);
        if (answered && l.acct.exists && !by_person) {
                r = review_policy_note(rv, a->name, &l.acct.groups);
                if (r < 0)
                        return r;
        }
        if (shared >= 0 && !config_is_target(rv->rq->b->cfg, a->name)) {
                /* its members are known once every account has been seen */
                json_object_put(rv->policy.ids[shared]);
                rv->policy.ids[shared] = json_object_get(j);
                return 0;
        }
        return review_item(rv, "accounts", "items", j);
}

/* The shared IDs held back, with their members. */
static int send_shared_ids(struct review *rv)
{
        int r = 0;

        for (size_t i = 0; r >= 0 && i < rv->rq->b->cfg->n_shared; i++) {
                json_object *j = rv->policy.ids[i];

                if (!j)
                        continue;
                json_object_object_add(j, "members", review_policy_names(rv->policy.members[i]));
                r = review_item(rv, "accounts", "items", j);
        }
        return r;
}

/* The names of the policy's accounts: shared IDs and roles' targets. */
static const char **policy_accounts(const struct kagi_config *c, size_t *ret_n)
{
        size_t n = c->n_shared;
        const char **v;

        for (size_t i = 0; i < c->n_roles; i++)
                n += c->roles[i].targets.n;
        v = calloc(n ? n : 1, sizeof(*v));
        if (!v)
                return NULL;
        n = 0;
        for (size_t i = 0; i < c->n_shared; i++)
                v[n++] = c->shared[i].name;
        for (size_t i = 0; i < c->n_roles; i++)
                for (size_t k = 0; k < c->roles[i].targets.n; k++)
                        v[n++] = c->roles[i].targets.v[k];
        *ret_n = n;
        return v;
}

int review_accounts(struct review *rv)
{
        struct kagi_config own = *rv->rq->b->cfg;
        _cleanup_(json_putp) json_object *missing = json_object_new_array();
        _cleanup_(json_putp) json_object *not_admitted = json_object_new_array();
        struct pass p = { .rv = rv, .deadline_ms = now_ms() + DIRECTORY_BUDGET_MS, .missing = missing,
                          .not_admitted = not_admitted };
        _cleanup_(freep) const char **also = NULL;
        size_t n_also = 0;
        char err[512];
        int r;

        also = policy_accounts(rv->rq->b->cfg, &n_also);
        if (!also || review_policy_init(rv) < 0)
                return -ENOMEM;

        /* a handle of the review's own, without the lookup cache: ten
         * thousand accounts would push out those the logins are using */
        own.directory_cache_ttl = 0;
        r = directory_open(&own, &rv->dir, err, sizeof(err));
        if (r < 0) {
                log_warn("review: cannot open the directory (%s); accounts are listed without it", err);
                rv->dir = NULL;
                rv->directory_down = true;
        }
        list_directory(&p);
        r = store_review_accounts(rv->rq->store, rv->until, also, n_also, on_account, &p);
        if (r >= 0)
                r = send_shared_ids(rv);
        if (r >= 0)
                r = review_items(rv, "accounts", "items", NULL);
        if (r >= 0)
                r = review_items(rv, "factors", "missing", missing);
        if (r >= 0)
                r = review_items(rv, "factors", "not_admitted", not_admitted);
        listed_clear(&p);
        directory_close(rv->dir);
        rv->dir = NULL;
        return r;
}
