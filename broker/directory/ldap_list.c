/* Every account at once (directory_list), for the account review: a handful
 * of searches where lookups would cost one or two per account.
 *
 * Up to three subtree searches, each in pages of LDAP_PAGE_SIZE entries
 * (RFC 2696), so that Active Directory's MaxPageSize and slapd's sizelimit
 * do not cut them short:
 *
 *   1. the users: base, user_filter, what a lookup reads and cert_attr;
 *   2. with disabled_filter: (&USER_FILTER DISABLED_FILTER), for the DNs
 *      it disables (a lookup asks the user's own entry);
 *   3. with group_filter: the groups under group_base, their member_attr
 *      and group_name_attr, each member DN matched to a user (a lookup asks
 *      (&GROUP_FILTER(MEMBER_ATTR=user's DN)), which the directory answers
 *      by comparing normalised DNs: ldap_entry_dn_key does so here).
 *
 * A user entry is read by the lookup's own code (ldap_read_account), and
 * its name follows the lookup's rules: an entry with several user_attr
 * values is nobody, and a name two entries have (compared as the directory
 * compares names) is listed for neither — a lookup would refuse to choose.
 *
 * All or nothing: any search that fails, times out, or comes back cut short
 * by a size limit fails the listing before the caller has seen an account.
 * A group whose members come in ranges (AD's member;range=0-1499 for large
 * groups) cannot be read whole in one search: that fails the listing too,
 * and the caller asks per account.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ldap_internal.h"

struct listed {
        char *dn;                             /* ldap_entry_dn_key of the entry's DN */
        size_t entry;                         /* which user entry, in the order read */
        struct dir_account a;
        bool has_cert;
        bool skip;                            /* its name is also another entry's */
        bool groups_cut;                      /* over LDAP_GROUPS_MAX; said once */
};

struct name_key {
        char *key;                            /* ldap_entry_name_key of a user_attr value */
        size_t entry;
};

struct listing {
        struct ldap_dir *d;
        struct listed *v;
        size_t n, cap;
        struct name_key *keys;
        size_t n_keys, cap_keys;
        size_t entries;                       /* user entries read, someone or nobody */
        unsigned searches;
};

static void listing_clear(struct listing *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->v[i].dn);
                dir_account_clear(&l->v[i].a);
        }
        for (size_t i = 0; i < l->n_keys; i++)
                free(l->keys[i].key);
        free(l->v);
        free(l->keys);
        *l = (struct listing){ 0 };
}

/* Room for one more of *n elements of size sz in *v. */
static int grow(void **v, size_t *cap, size_t n, size_t sz)
{
        size_t ncap = *cap ? *cap * 2 : 64;
        void *nv;

        if (n < *cap)
                return 0;
        nv = realloc(*v, ncap * sz);
        if (!nv)
                return -ENOMEM;
        *v = nv;
        *cap = ncap;
        return 0;
}

/* ---- paged searches ---------------------------------------------------------- */

typedef int (*page_entry_fn)(struct listing *l, LDAP *ld, LDAPMessage *e);

/* Every entry of a subtree search to fn, page by page; 0 only when the
 * server said the last page was the last. */
static int paged_search(struct listing *l, const char *base, const char *filter, const char **attrs,
                        page_entry_fn fn)
{
        struct berval cookie = { 0 };
        size_t seen = 0, pages = 0;
        int r;

        do {
                LDAPMessage *res = NULL;
                LDAP *ld;

                /* a server handing out cookies forever is not a listing */
                if (++pages > LDAP_LIST_MAX) {
                        log_err("directory: the listing under %s does not end; giving it up", base);
                        r = -E2BIG;
                        break;
                }
                r = ldap_link_search_page(&l->d->link, base, LDAP_SCOPE_SUBTREE, filter, attrs, LDAP_PAGE_SIZE,
                                          &cookie, &res);
                if (r < 0)
                        break;
                l->searches++;
                ld = l->d->link.svc.ld;
                for (LDAPMessage *e = ldap_first_entry(ld, res); e && r == 0; e = ldap_next_entry(ld, e)) {
                        if (++seen > LDAP_LIST_MAX) {
                                log_err("directory: more than %d entries under %s; not listing them", LDAP_LIST_MAX,
                                        base);
                                r = -E2BIG;
                        } else
                                r = fn(l, ld, e);
                }
                ldap_msgfree(res);
        } while (r == 0 && cookie.bv_len > 0);
        ber_memfree(cookie.bv_val);
        return r;
}

/* The listed user whose DN has this key, or NULL. l->v is sorted by DN. */
static int listed_by_dn(const void *key, const void *elem)
{
        return strcmp(key, ((const struct listed *)elem)->dn);
}

static int listed_cmp_dn(const void *a, const void *b)
{
        return strcmp(((const struct listed *)a)->dn, ((const struct listed *)b)->dn);
}

static struct listed *find_dn(struct listing *l, const uint8_t *dn, size_t len)
{
        _cleanup_(freep) char *key = NULL;

        if (ldap_entry_dn_key(dn, len, &key) < 0)
                return NULL;
        return l->n ? bsearch(key, l->v, l->n, sizeof(*l->v), listed_by_dn) : NULL;
}

/* ---- 1. the users ------------------------------------------------------------- */

/* Every value names the entry as far as uniqueness goes, even where the
 * entry is nobody: a lookup of "bob" that finds it and another entry
 * refuses to choose. */
static int add_name_keys(struct listing *l, struct berval **names, size_t entry)
{
        for (size_t i = 0; names && names[i]; i++) {
                if (names[i]->bv_len == 0 || names[i]->bv_len > LDAP_NAME_MAX)
                        continue;
                if (grow((void **)&l->keys, &l->cap_keys, l->n_keys, sizeof(*l->keys)) < 0)
                        return -ENOMEM;
                l->keys[l->n_keys].key = ldap_entry_name_key((const uint8_t *)names[i]->bv_val, names[i]->bv_len);
                if (!l->keys[l->n_keys].key)
                        return -ENOMEM;
                l->keys[l->n_keys++].entry = entry;
        }
        return 0;
}

static int add_listed(struct listing *l, LDAP *ld, LDAPMessage *e, const char *dn, const char *name, size_t entry)
{
        struct listed *x;
        int r;

        if (grow((void **)&l->v, &l->cap, l->n, sizeof(*l->v)) < 0)
                return -ENOMEM;
        x = &l->v[l->n];
        *x = (struct listed){ .entry = entry, .a = { .uid = (uid_t)-1 } };
        r = ldap_entry_dn_key((const uint8_t *)dn, strlen(dn), &x->dn);
        if (r == -EINVAL)
                r = (x->dn = ldap_entry_name_key((const uint8_t *)dn, strlen(dn))) ? 0 : -ENOMEM;
        if (r == 0) {
                snprintf(x->a.name, sizeof(x->a.name), "%s", name);
                r = ldap_read_account(l->d, ld, e, dn, &x->a);
        }
        x->has_cert = r == 0 && ldap_read_has_cert(l->d, ld, e);
        l->n++;                               /* even half-read: listing_clear frees it */
        return r;
}

static int read_user(struct listing *l, LDAP *ld, LDAPMessage *e)
{
        const struct ldap_map *m = &l->d->map;
        struct berval **names = ldap_get_values_len(ld, e, m->user_attr);
        char *dn = ldap_get_dn(ld, e), name[LDAP_NAME_MAX + 1];
        size_t entry = l->entries++;
        int r;

        r = dn ? add_name_keys(l, names, entry) : -EPROTO;
        if (r == 0 && ldap_entry_user_name((const struct berval *const *)names, m->lowercase_names, name,
                                           sizeof(name)) == 0)
                r = add_listed(l, ld, e, dn, name, entry);
        else if (r == 0 && names && names[0] && names[1])
                log_warn("directory: %s has several %s values; kagi needs exactly one", dn, m->user_attr);
        ldap_value_free_len(names);
        ldap_memfree(dn);
        return r;
}

static int key_cmp(const void *a, const void *b)
{
        const struct name_key *x = a, *y = b;
        int c = strcmp(x->key, y->key);

        return c ? c : (x->entry > y->entry) - (x->entry < y->entry);
}

static int listed_cmp_entry(const void *a, const void *b)
{
        const struct listed *x = a, *y = b;

        return (x->entry > y->entry) - (x->entry < y->entry);
}

static int listed_by_entry(const void *key, const void *elem)
{
        size_t k = *(const size_t *)key, e = ((const struct listed *)elem)->entry;

        return (k > e) - (k < e);
}

/* Names two entries share: neither is listed. l->v is in entry order. */
static void skip_shared_names(struct listing *l)
{
        qsort(l->keys, l->n_keys, sizeof(*l->keys), key_cmp);
        for (size_t i = 0, j; i < l->n_keys; i = j) {
                for (j = i + 1; j < l->n_keys && strcmp(l->keys[j].key, l->keys[i].key) == 0; j++)
                        ;
                if (l->keys[j - 1].entry == l->keys[i].entry)
                        continue;             /* one entry (maybe twice): not shared */
                log_err("directory: more than one entry has %s=%s; listing none of them", l->d->map.user_attr,
                        l->keys[i].key);
                for (size_t k = i; k < j; k++) {
                        struct listed *x = l->n ? bsearch(&l->keys[k].entry, l->v, l->n, sizeof(*l->v),
                                                          listed_by_entry)
                                                : NULL;

                        if (x)
                                x->skip = true;
                }
        }
}

static int list_users(struct listing *l)
{
        const struct ldap_map *m = &l->d->map;
        const char *attrs[LDAP_MAP_ATTRS_MAX + 1];
        const char *filter = m->user_filter ? m->user_filter : "(objectClass=*)";
        size_t n = ldap_map_user_attrs(m, attrs);
        int r;

        if (m->cert_attr) {
                attrs[n++] = m->cert_attr;
                attrs[n] = NULL;
        }
        r = paged_search(l, l->d->cfg->ldap_base, filter, attrs, read_user);
        if (r < 0)
                return r;
        qsort(l->v, l->n, sizeof(*l->v), listed_cmp_entry);
        skip_shared_names(l);
        qsort(l->v, l->n, sizeof(*l->v), listed_cmp_dn);
        return 0;
}

/* ---- 2. disabled_filter ------------------------------------------------------------ */

static int read_disabled(struct listing *l, LDAP *ld, LDAPMessage *e)
{
        char *dn = ldap_get_dn(ld, e);
        struct listed *x = dn ? find_dn(l, (const uint8_t *)dn, strlen(dn)) : NULL;

        if (x)
                x->a.enabled = false;
        ldap_memfree(dn);
        return dn ? 0 : -EPROTO;
}

static int list_disabled(struct listing *l)
{
        const struct ldap_map *m = &l->d->map;
        const char *attrs[] = { LDAP_NO_ATTRS, NULL };
        _cleanup_(freep) char *filter = NULL;

        if (!m->disabled_filter)
                return 0;
        if (!m->user_filter)
                return paged_search(l, l->d->cfg->ldap_base, m->disabled_filter, attrs, read_disabled);
        if (asprintf(&filter, "(&%s%s)", m->user_filter, m->disabled_filter) < 0) {
                filter = NULL;
                return -ENOMEM;
        }
        return paged_search(l, l->d->cfg->ldap_base, filter, attrs, read_disabled);
}

/* ---- 3. groups ------------------------------------------------------------------------ */

/* AD sends a large group's members as member;range=0-1499 and wants more
 * searches for the rest: not something one listing can read whole. */
static bool members_ranged(const struct ldap_map *m, LDAP *ld, LDAPMessage *e)
{
        size_t len = strlen(m->member_attr);
        BerElement *ber = NULL;
        bool ranged = false;

        for (char *a = ldap_first_attribute(ld, e, &ber); a; a = ldap_next_attribute(ld, e, ber)) {
                ranged = ranged || (strncasecmp(a, m->member_attr, len) == 0 && a[len] == ';');
                ldap_memfree(a);
        }
        ber_free(ber, 0);
        return ranged;
}

static int read_group(struct listing *l, LDAP *ld, LDAPMessage *e)
{
        const struct ldap_map *m = &l->d->map;
        struct berval **v;
        char name[256];
        int r = 0;

        if (members_ranged(m, ld, e)) {
                log_err("directory: a group's %s values come in ranges; cannot list its members in one search",
                        m->member_attr);
                return -E2BIG;
        }
        if (ldap_read_group_name(m, ld, e, name, sizeof(name)) < 0) {
                log_warn("directory: a group has no usable %s; skipping it", m->group_name_attr);
                return 0;
        }
        v = ldap_get_values_len(ld, e, m->member_attr);
        for (size_t i = 0; v && v[i] && r != -ENOMEM; i++) {
                struct listed *x = find_dn(l, (const uint8_t *)v[i]->bv_val, v[i]->bv_len);

                r = x ? ldap_entry_add_group(&x->a.groups, name) : 0;
                if (r == -E2BIG && !x->groups_cut) {
                        x->groups_cut = true;
                        log_warn("directory: %s is in more than %d groups; using the first ones", x->a.name,
                                 LDAP_GROUPS_MAX);
                }
        }
        ldap_value_free_len(v);
        return r == -ENOMEM ? r : 0;
}

static int list_groups(struct listing *l)
{
        const struct ldap_map *m = &l->d->map;
        const char *attrs[] = { m->group_name_attr, m->member_attr, NULL };

        if (!m->group_filter)
                return 0;
        return paged_search(l, m->group_base, m->group_filter, attrs, read_group);
}

/* ---- the listing ------------------------------------------------------------------------ */

int ldap_list(void *h, dir_list_cb cb, void *userdata)
{
        _cleanup_(listing_clear) struct listing l = { .d = h };
        size_t listed = 0;
        int r;

        r = list_users(&l);
        if (r == 0)
                r = list_disabled(&l);
        if (r == 0)
                r = list_groups(&l);
        if (r < 0) {
                log_err("directory: cannot list the accounts: %s", strerror(-r));
                return r;
        }
        for (size_t i = 0; i < l.n && r >= 0; i++) {
                if (l.v[i].skip)
                        continue;
                r = cb(userdata, &l.v[i].a, l.v[i].has_cert);
                listed++;
        }
        if (r >= 0)
                log_info("directory: listed %zu accounts (%zu entries) in %u searches", listed, l.entries,
                         l.searches);
        return r < 0 ? r : 0;
}
