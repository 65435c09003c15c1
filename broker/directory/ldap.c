/* The LDAP directory backend: who exists, whether they may log in, their name,
 * department, groups and certificates, and their password — from OpenLDAP or
 * Active Directory, over TLS only.
 *
 * Configuration ([directory] in kagi.conf, with backend = ldap):
 *
 *   uri = ldaps://a.example ldap://b.example   tried in this order (repeatable);
 *                          ldap:// needs starttls = yes: nothing is sent in clear
 *   base = dc=example,dc=jp                   where users are searched (subtree)
 *   bind_dn = cn=kagi,…    the broker's own identity (else anonymous), with
 *   bind_password_file = /etc/kagi/ldap.pw    one line, mode 0600, owned by root
 *                          or the broker user
 *   sasl_external = no     yes: bind with the client certificate instead
 *   cert_file, key_file    client certificate and key (key 0600); for
 *                          sasl_external, or servers that ask for one
 *   ca_file                trust anchors for the server's certificate; default:
 *                          the system's (libldap's) store. Always verified,
 *                          host name included; TLS 1.2 or later.
 *   starttls = no          yes: ldap:// URIs upgrade with StartTLS
 *   timeout = 5            seconds, 1-120, for each network step (connect, TLS,
 *                          bind, search); a URI that does not answer in time
 *                          counts as down and the next one is tried
 *   cache_ttl = 60         seconds a lookup is reused (0: off; directory.c keeps
 *                          the cache, for every backend). A disabled or
 *                          deleted account is refused at most this late.
 *                          Password checks and certificates are never cached.
 *   schema = openldap      openldap (alias rfc2307bis) | ad: the defaults below
 *
 * Mapping keys, default for schema = openldap / schema = ad; "none" turns a
 * part off:
 *
 *   user_attr         uid / sAMAccountName. The login name must equal the
 *                     entry's one value of it (an entry with several is nobody).
 *   user_filter       (|(objectClass=inetOrgPerson)(objectClass=posixAccount))
 *                     / (&(objectClass=user)(objectCategory=person))
 *   lowercase_names   no / yes: names are only their lower-case form and the
 *                     directory's value is compared lower-cased (AD keeps
 *                     "Yamada", Linux logs in "yamada"). Either way one
 *                     person has one name, so one lockout counter.
 *   name_attr         "displayName cn" (first present wins) / "displayName cn"
 *   department_attr   "departmentNumber ou" / department
 *   uid_attr          uidNumber / uidNumber (uid is -1 when absent)
 *   cert_attr         userCertificate;binary (both)
 *   group_base        base
 *   group_filter      (objectClass=groupOfNames) / none: groups are searched
 *                     under group_base with (&GROUP_FILTER(MEMBER_ATTR=user's DN))
 *   member_attr       member (both)
 *   memberof_attr     none / memberOf: the user's attribute listing group DNs;
 *                     the group's name is the value of the DN's first RDN
 *   group_name_attr   cn (both)
 *   disabled_filter   none (both): an entry matching this filter is disabled,
 *                     e.g. (employeeType=retired) or (nsAccountLock=TRUE)
 *
 * An account is also disabled, without configuration:
 *   openldap: shadowExpire is a day on or before today (as pam_unix reads it),
 *             or pwdAccountLockedTime is 000001010000Z (ppolicy's lock by an
 *             administrator);
 *   ad:       userAccountControl has 0x2 (ACCOUNTDISABLE), or accountExpires
 *             has passed.
 * A value that cannot be read counts as disabled.
 *
 * Answers: an unknown name (or one that could never be a name: empty, over
 * 256 bytes, control characters, invalid UTF-8, surrounding spaces) is
 * exists = false; two entries for one name is an error (-ENOTUNIQ), never a
 * guess. A directory that cannot answer is a negative errno (-EHOSTDOWN,
 * -ETIMEDOUT, -ECONNREFUSED, -EPROTO): the broker refuses and counts nothing.
 * A password is checked by a simple bind as the user's DN on a connection of
 * its own; only "invalid credentials" is a wrong password (-EACCES). An empty
 * password is wrong without asking (LDAP would take it as an anonymous bind).
 * For a name nobody has, the same bind goes to a DN that cannot exist, so an
 * unknown account costs the directory what a wrong password does.
 *
 * Listing (directory_list, for the account review; ldap_list.c): every
 * account in a few paged searches (RFC 2696, 500 entries a page) instead of
 * one or two searches per account — the users, the disabled_filter's DNs,
 * the groups — with the same answers as lookups. Paging gets past AD's
 * MaxPageSize; slapd still counts every page against the service's size
 * limit unless it is allowed more, e.g. in slapd.conf's database section
 *   limits dn.exact="cn=kagi,…" size.prtotal=unlimited
 * A listing cut short (size limit, error, timeout) is an error and the
 * review asks per account instead.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "ldap_internal.h"

#define CERT_MAX (16 * 1024)                  /* bytes of one DER certificate */

static void ldapdir_close(void *h)
{
        struct ldap_dir *d = h;

        if (!d)
                return;
        ldap_link_close(&d->link);
        ldap_map_clear(&d->map);
        free(d);
}

static int ldapdir_open(const struct kagi_config *c, void **ret, char *err, size_t errsz)
{
        struct ldap_dir *d = calloc(1, sizeof(*d));
        int r;

        if (!d)
                return -ENOMEM;
        d->cfg = c;
        r = ldap_map_init(&d->map, c);
        if (r == 0)
                r = ldap_link_open(&d->link, c, err, errsz);
        if (r < 0) {
                if (r == -ENOMEM)
                        snprintf(err, errsz, "directory: out of memory");
                ldapdir_close(d);
                return r;
        }
        *ret = d;
        return 0;
}

/* ---- reading an entry --------------------------------------------------------- */

/* The values of attr ("userCertificate;binary" also as returned without
 * its option). Free with ldap_value_free_len. */
static struct berval **entry_values(LDAP *ld, LDAPMessage *e, const char *attr)
{
        struct berval **v = ldap_get_values_len(ld, e, attr);
        const char *semi = strchr(attr, ';');
        char base[128];

        if (v || !semi || (size_t)(semi - attr) >= sizeof(base))
                return v;
        snprintf(base, sizeof(base), "%.*s", (int)(semi - attr), attr);
        return ldap_get_values_len(ld, e, base);
}

/* The first readable value of the first attribute that has one. */
static void entry_text(LDAP *ld, LDAPMessage *e, const char *const *attrs, char *out, size_t outsz)
{
        out[0] = '\0';
        for (size_t i = 0; attrs[i]; i++) {
                struct berval **v = entry_values(ld, e, attrs[i]);
                bool found = v && v[0] && v[0]->bv_len > 0 && v[0]->bv_len <= LDAP_VALUE_MAX;

                if (found)
                        ldap_text_copy((const uint8_t *)v[0]->bv_val, v[0]->bv_len, out, outsz);
                ldap_value_free_len(v);
                if (found)
                        return;
        }
}

/* The first value of a single-valued attribute the rules read. */
static struct berval *entry_first(LDAP *ld, LDAPMessage *e, const char *attr, struct berval ***keep)
{
        *keep = ldap_get_values_len(ld, e, attr);
        return *keep && (*keep)[0] ? (*keep)[0] : NULL;
}

static bool entry_disabled(const struct ldap_map *m, LDAP *ld, LDAPMessage *e)
{
        struct berval **uac = NULL, **exp = NULL, **shadow = NULL, **locked = NULL;
        struct ldap_state_values sv = { 0 };
        bool disabled;

        if (m->rules & LDAP_RULE_AD_UAC)
                sv.uac = entry_first(ld, e, "userAccountControl", &uac);
        if (m->rules & LDAP_RULE_AD_EXPIRES)
                sv.account_expires = entry_first(ld, e, "accountExpires", &exp);
        if (m->rules & LDAP_RULE_SHADOW_EXPIRE)
                sv.shadow_expire = entry_first(ld, e, "shadowExpire", &shadow);
        if (m->rules & LDAP_RULE_PPOLICY_LOCK)
                sv.pwd_locked = entry_first(ld, e, "pwdAccountLockedTime", &locked);
        disabled = ldap_entry_disabled(m->rules, &sv, (int64_t)time(NULL));
        ldap_value_free_len(uac);
        ldap_value_free_len(exp);
        ldap_value_free_len(shadow);
        ldap_value_free_len(locked);
        return disabled;
}

static int entry_memberof(const struct ldap_map *m, LDAP *ld, LDAPMessage *e, const char *dn,
                          struct strv *groups)
{
        struct berval **v;
        int r = 0;

        if (!m->memberof_attr)
                return 0;
        v = ldap_get_values_len(ld, e, m->memberof_attr);
        for (size_t i = 0; v && v[i] && r >= 0; i++) {
                char name[256];

                if (ldap_entry_dn_name((const uint8_t *)v[i]->bv_val, v[i]->bv_len, name, sizeof(name)) < 0) {
                        log_warn("directory: %s: skipping a %s value that names no group", dn, m->memberof_attr);
                        continue;
                }
                r = ldap_entry_add_group(groups, name);
        }
        ldap_value_free_len(v);
        if (r == -E2BIG)
                log_warn("directory: %s is in more than %d groups; using the first ones", dn, LDAP_GROUPS_MAX);
        return r == -ENOMEM ? r : 0;
}

/* ---- finding the user ------------------------------------------------------------ */

struct found {
        char *dn;                             /* NULL: nobody by that name */
};

static void found_clear(struct found *f)
{
        ldap_memfree(f->dn);
        f->dn = NULL;
}

static bool has_ascii_upper(const char *s)
{
        for (; *s; s++)
                if (*s >= 'A' && *s <= 'Z')
                        return true;
        return false;
}

typedef int (*entry_reader)(struct ldap_dir *d, LDAP *ld, LDAPMessage *e, const char *dn, void *userdata);

/* Searches for the one entry that is `user` and hands it to read (if not
 * NULL) while the answer is at hand. f->dn stays NULL for nobody. */
static int find_user(struct ldap_dir *d, const char *user, const char **attrs, entry_reader read,
                     void *userdata, struct found *f)
{
        const struct ldap_map *m = &d->map;
        _cleanup_(freep) char *filter = NULL;
        size_t len = strlen(user);
        LDAPMessage *res = NULL, *e;
        struct berval **names;
        LDAP *ld;
        int r, n;

        *f = (struct found){ 0 };
        /* a name that cannot be anyone's is nobody's: no query at all */
        if (ldap_text_name_check((const uint8_t *)user, len) < 0 || (m->lowercase_names && has_ascii_upper(user)))
                return 0;
        r = ldap_filter_build(m->user_filter, m->user_attr, (const uint8_t *)user, len, &filter);
        if (r < 0)
                return r;
        r = ldap_link_search(&d->link, d->cfg->ldap_base, LDAP_SCOPE_SUBTREE, filter, attrs, 2, &res);
        if (r < 0)
                return r;
        ld = d->link.svc.ld;
        n = ldap_count_entries(ld, res);
        if (r == 1 || n > 1) {
                log_err("directory: more than one entry matches %s=%s; refusing to choose", m->user_attr, user);
                ldap_msgfree(res);
                return -ENOTUNIQ;
        }
        e = n == 1 ? ldap_first_entry(ld, res) : NULL;
        if (!e) {
                ldap_msgfree(res);
                return 0;
        }
        f->dn = ldap_get_dn(ld, e);
        names = ldap_get_values_len(ld, e, m->user_attr);
        if (!f->dn || !ldap_entry_names_user((const struct berval *const *)names, user, m->lowercase_names)) {
                if (names && names[0] && names[1])
                        log_warn("directory: %s has several %s values; kagi needs exactly one", f->dn,
                                 m->user_attr);
                found_clear(f);
        }
        ldap_value_free_len(names);
        r = f->dn && read ? read(d, ld, e, f->dn, userdata) : 0;
        ldap_msgfree(res);
        if (r < 0)
                found_clear(f);
        return r;
}

/* ---- lookup ------------------------------------------------------------------------ */

int ldap_read_account(struct ldap_dir *d, LDAP *ld, LDAPMessage *e, const char *dn, void *userdata)
{
        const struct ldap_map *m = &d->map;
        struct dir_account *a = userdata;
        struct berval **uid = NULL;

        a->exists = true;
        entry_text(ld, e, m->name_attrs, a->display_name, sizeof(a->display_name));
        entry_text(ld, e, m->department_attrs, a->department, sizeof(a->department));
        if (m->uid_attr && entry_first(ld, e, m->uid_attr, &uid) &&
            ldap_entry_uid((const uint8_t *)uid[0]->bv_val, uid[0]->bv_len, &a->uid) < 0)
                log_warn("directory: %s: %s is not a user id; ignoring it", dn, m->uid_attr);
        ldap_value_free_len(uid);
        a->enabled = !entry_disabled(m, ld, e);
        return entry_memberof(m, ld, e, dn, &a->groups);
}

/* disabled_filter: one base-scope search of the user's own entry. */
static int check_disabled_filter(struct ldap_dir *d, const char *dn, struct dir_account *a)
{
        const char *attrs[] = { LDAP_NO_ATTRS, NULL };
        LDAPMessage *res = NULL;
        int r, n;

        if (!d->map.disabled_filter || !a->enabled)
                return 0;
        r = ldap_link_search(&d->link, dn, LDAP_SCOPE_BASE, d->map.disabled_filter, attrs, 1, &res);
        if (r < 0)
                return r;
        n = ldap_count_entries(d->link.svc.ld, res);
        ldap_msgfree(res);
        if (n != 0)
                a->enabled = false;
        return 0;
}

int ldap_read_group_name(const struct ldap_map *m, LDAP *ld, LDAPMessage *e, char *out, size_t outsz)
{
        struct berval **v = ldap_get_values_len(ld, e, m->group_name_attr);
        int r = -EINVAL;

        if (v && v[0])
                r = ldap_text_exact((const uint8_t *)v[0]->bv_val, v[0]->bv_len, out, outsz);
        ldap_value_free_len(v);
        return r;
}

static int search_groups(struct ldap_dir *d, const char *dn, struct strv *groups)
{
        const struct ldap_map *m = &d->map;
        const char *attrs[] = { m->group_name_attr, NULL };
        _cleanup_(freep) char *filter = NULL;
        LDAPMessage *res = NULL;
        LDAP *ld;
        int r;

        if (!m->group_filter)
                return 0;
        r = ldap_filter_build(m->group_filter, m->member_attr, (const uint8_t *)dn, strlen(dn), &filter);
        if (r < 0)
                return r;
        r = ldap_link_search(&d->link, m->group_base, LDAP_SCOPE_SUBTREE, filter, attrs, LDAP_GROUPS_MAX, &res);
        if (r < 0)
                return r;
        if (r == 1)
                log_warn("directory: %s is in more than %d groups; using the first ones", dn, LDAP_GROUPS_MAX);
        ld = d->link.svc.ld;
        r = 0;
        for (LDAPMessage *e = ldap_first_entry(ld, res); e && r != -ENOMEM; e = ldap_next_entry(ld, e)) {
                char name[256];

                if (ldap_read_group_name(&d->map, ld, e, name, sizeof(name)) == 0)
                        r = ldap_entry_add_group(groups, name);
                else
                        log_warn("directory: a group of %s has no usable %s; skipping it", dn,
                                 m->group_name_attr);
        }
        ldap_msgfree(res);
        return r == -ENOMEM ? r : 0;
}

static int lookup_directory(struct ldap_dir *d, const char *user, struct dir_account *a)
{
        const char *attrs[LDAP_MAP_ATTRS_MAX];
        struct found f;
        int r;

        ldap_map_user_attrs(&d->map, attrs);
        r = find_user(d, user, attrs, ldap_read_account, a, &f);
        if (r < 0 || !f.dn) {
                a->exists = false;
                return r;
        }
        r = check_disabled_filter(d, f.dn, a);
        if (r == 0)
                r = search_groups(d, f.dn, &a->groups);
        found_clear(&f);
        return r;
}

static int ldapdir_lookup(void *h, const char *user, bool want_enabled, struct dir_account *ret)
{
        struct ldap_dir *d = h;
        int r;

        (void)want_enabled;     /* one search answers everything, enabled included */
        r = lookup_directory(d, user, ret);
        if (r < 0)
                dir_account_clear(ret);
        return r;
}

/* ---- passwords and certificates ----------------------------------------------------- */

/* Nobody by that name: the same bind a person's check makes, with the
 * password given, to a DN no entry can have (a random name under base), so
 * an unknown name costs the directory the same round trips as a wrong
 * password and is answered as one. Only a directory that cannot answer
 * says otherwise, as it would for a person. */
static int decoy_bind(struct ldap_dir *d, const char *password)
{
        uint8_t nonce[16];
        char dn[600];
        size_t n;
        int r;

        if (getrandom(nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce))
                memset(nonce, 0, sizeof(nonce));
        n = (size_t)snprintf(dn, sizeof(dn), "cn=kagi-no-such-account-");
        for (size_t i = 0; i < sizeof(nonce) && n + 2 < sizeof(dn); i++)
                n += (size_t)snprintf(dn + n, sizeof(dn) - n, "%02x", nonce[i]);
        snprintf(dn + n, sizeof(dn) - n, ",%s", d->cfg->ldap_base);
        r = ldap_link_check_password(&d->link, dn, password);
        return r < 0 && r != -EACCES ? r : -EACCES;
}

static int ldapdir_check_password(void *h, const char *user, const char *password)
{
        struct ldap_dir *d = h;
        const char *attrs[] = { d->map.user_attr, NULL };
        size_t len = strlen(password);
        struct found f;
        int r;

        /* an empty password is an anonymous bind to LDAP, which "succeeds" */
        if (len == 0 || len > LDAP_PASSWORD_MAX)
                return -EACCES;
        r = find_user(d, user, attrs, NULL, NULL, &f);
        if (r < 0)
                return r;
        if (!f.dn)
                return decoy_bind(d, password);
        r = ldap_link_check_password(&d->link, f.dn, password);
        found_clear(&f);
        return r;
}

static bool cert_usable(const struct berval *v)
{
        return v->bv_len > 0 && v->bv_len <= CERT_MAX;
}

bool ldap_read_has_cert(struct ldap_dir *d, LDAP *ld, LDAPMessage *e)
{
        struct berval **v;
        bool found = false;

        if (!d->map.cert_attr)
                return false;
        v = entry_values(ld, e, d->map.cert_attr);
        for (size_t i = 0; v && v[i] && !found; i++)
                found = cert_usable(v[i]);
        ldap_value_free_len(v);
        return found;
}

static int read_certs(struct ldap_dir *d, LDAP *ld, LDAPMessage *e, const char *dn, void *userdata)
{
        struct dir_certs *c = userdata;
        struct berval **v = entry_values(ld, e, d->map.cert_attr);
        int r = 0;

        for (size_t i = 0; v && v[i] && r == 0; i++) {
                uint8_t **nder;
                size_t *nlen;

                if (!cert_usable(v[i]) || c->n >= LDAP_CERTS_MAX) {
                        log_warn("directory: %s: skipping a certificate (empty, over %d bytes, or over %d of them)",
                                 dn, CERT_MAX, LDAP_CERTS_MAX);
                        continue;
                }
                nder = realloc(c->der, (c->n + 1) * sizeof(*nder));
                if (nder)
                        c->der = nder;
                nlen = nder ? realloc(c->len, (c->n + 1) * sizeof(*nlen)) : NULL;
                if (nlen)
                        c->len = nlen;
                if (!nder || !nlen || !(c->der[c->n] = malloc(v[i]->bv_len))) {
                        r = -ENOMEM;
                        break;
                }
                memcpy(c->der[c->n], v[i]->bv_val, v[i]->bv_len);
                c->len[c->n++] = v[i]->bv_len;
        }
        ldap_value_free_len(v);
        return r;
}

static int ldapdir_certificates(void *h, const char *user, struct dir_certs *ret)
{
        struct ldap_dir *d = h;
        const char *attrs[] = { d->map.user_attr, d->map.cert_attr, NULL };
        struct found f;
        int r;

        if (!d->map.cert_attr)
                return 0;
        r = find_user(d, user, attrs, read_certs, ret, &f);
        found_clear(&f);
        if (r < 0)
                dir_certs_clear(ret);
        return r;
}

const struct directory_ops directory_ldap_ops = {
        .name = "ldap",
        .open = ldapdir_open,
        .close = ldapdir_close,
        .lookup = ldapdir_lookup,
        .check_password = ldapdir_check_password,
        .certificates = ldapdir_certificates,
        .list = ldap_list,
};
