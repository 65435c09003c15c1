/* Attribute and filter mapping: each [directory] key, or the schema's
 * default when the key is absent. schema_defaults() is the one place the
 * defaults live; ldap.c's header comment documents them. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "ldap_internal.h"

/* The schemas' defaults, as a map. "none" defaults are NULL. */
static const struct ldap_map openldap_defaults = {
        .user_attr = "uid",
        .user_filter = "(|(objectClass=inetOrgPerson)(objectClass=posixAccount))",
        .lowercase_names = false,
        .name_attrs = { "displayName", "cn", NULL },
        .department_attrs = { "departmentNumber", "ou", NULL },
        .uid_attr = "uidNumber",
        .cert_attr = "userCertificate;binary",
        .group_filter = "(objectClass=groupOfNames)",
        .member_attr = "member",
        .memberof_attr = NULL,
        .group_name_attr = "cn",
        .rules = LDAP_RULE_SHADOW_EXPIRE | LDAP_RULE_PPOLICY_LOCK,
};

/* Active Directory: as above, but for how it names and groups people and
 * how it says an account is disabled. */
static struct ldap_map schema_defaults(enum kagi_ldap_schema schema)
{
        struct ldap_map m = openldap_defaults;

        if (schema == KAGI_LDAP_AD) {
                m.user_attr = "sAMAccountName";
                m.user_filter = "(&(objectClass=user)(objectCategory=person))";
                m.lowercase_names = true;
                m.department_attrs[0] = "department";
                m.department_attrs[1] = NULL;
                m.group_filter = NULL;
                m.memberof_attr = "memberOf";
                m.rules = LDAP_RULE_AD_UAC | LDAP_RULE_AD_EXPIRES;
        }
        return m;
}

/* The configured value ("none": not looked up), else the default. */
static const char *pick(const char *configured, const char *dflt)
{
        if (!configured)
                return dflt;
        return strcmp(configured, "none") == 0 ? NULL : configured;
}

/* "displayName cn" -> { "displayName", "cn", NULL }, written into *buf. */
static void split_attrs(const char *list, char **buf, const char *out[LDAP_MAP_ALTS + 1])
{
        size_t n = 0;

        if (list) {
                for (const char *p = list + strspn(list, " "); *p && n < LDAP_MAP_ALTS;
                     p += strspn(p, " ")) {
                        size_t len = strcspn(p, " ");

                        memcpy(*buf, p, len);
                        (*buf)[len] = '\0';
                        out[n++] = *buf;
                        *buf += len + 1;
                        p += len;
                }
        }
        out[n] = NULL;
}

int ldap_map_init(struct ldap_map *m, const struct kagi_config *c)
{
        const char *names = c->ldap_name_attr, *depts = c->ldap_department_attr;
        char *p;

        *m = schema_defaults(c->ldap_schema);
        m->user_attr = pick(c->ldap_user_attr, m->user_attr);
        m->user_filter = pick(c->ldap_user_filter, m->user_filter);
        if (c->ldap_lowercase_names >= 0)
                m->lowercase_names = c->ldap_lowercase_names > 0;
        m->uid_attr = pick(c->ldap_uid_attr, m->uid_attr);
        m->cert_attr = pick(c->ldap_cert_attr, m->cert_attr);
        m->group_base = c->ldap_group_base ? c->ldap_group_base : c->ldap_base;
        m->group_filter = pick(c->ldap_group_filter, m->group_filter);
        m->member_attr = pick(c->ldap_member_attr, m->member_attr);
        m->memberof_attr = pick(c->ldap_memberof_attr, m->memberof_attr);
        m->group_name_attr = pick(c->ldap_group_name_attr, m->group_name_attr);
        m->disabled_filter = pick(c->ldap_disabled_filter, NULL);
        /* a group search needs both what a group is and where its members are */
        if (!m->member_attr)
                m->group_filter = NULL;
        /* configured lists replace the default ones: split into m->buf */
        m->buf = malloc((names ? strlen(names) : 0) + (depts ? strlen(depts) : 0) + 2 * LDAP_MAP_ALTS + 2);
        if (!m->buf)
                return -ENOMEM;
        p = m->buf;
        if (names)
                split_attrs(strcmp(names, "none") == 0 ? NULL : names, &p, m->name_attrs);
        if (depts)
                split_attrs(strcmp(depts, "none") == 0 ? NULL : depts, &p, m->department_attrs);
        return 0;
}

void ldap_map_clear(struct ldap_map *m)
{
        free(m->buf);
        *m = (struct ldap_map){ 0 };
}

static void add_attr(const char *out[LDAP_MAP_ATTRS_MAX], size_t *n, const char *a)
{
        if (!a || *n + 1 >= LDAP_MAP_ATTRS_MAX)
                return;
        for (size_t i = 0; i < *n; i++)
                if (strcasecmp(out[i], a) == 0)
                        return;
        out[(*n)++] = a;
}

size_t ldap_map_user_attrs(const struct ldap_map *m, const char *out[LDAP_MAP_ATTRS_MAX])
{
        size_t n = 0;

        add_attr(out, &n, m->user_attr);
        for (size_t i = 0; m->name_attrs[i]; i++)
                add_attr(out, &n, m->name_attrs[i]);
        for (size_t i = 0; m->department_attrs[i]; i++)
                add_attr(out, &n, m->department_attrs[i]);
        add_attr(out, &n, m->uid_attr);
        add_attr(out, &n, m->memberof_attr);
        if (m->rules & LDAP_RULE_AD_UAC)
                add_attr(out, &n, "userAccountControl");
        if (m->rules & LDAP_RULE_AD_EXPIRES)
                add_attr(out, &n, "accountExpires");
        if (m->rules & LDAP_RULE_SHADOW_EXPIRE)
                add_attr(out, &n, "shadowExpire");
        if (m->rules & LDAP_RULE_PPOLICY_LOCK)
                add_attr(out, &n, "pwdAccountLockedTime");
        out[n] = NULL;
        return n;
}
