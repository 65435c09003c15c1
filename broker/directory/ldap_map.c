/* Attribute and filter mapping: each [directory] key, or the schema's
 * default when the key is absent. The table below is the one place the
 * defaults live; directory_ldap.c's header comment documents them. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "ldap_internal.h"

struct schema_defaults {
        const char *user_attr;
        const char *user_filter;
        bool lowercase_names;
        const char *name_attr;
        const char *department_attr;
        const char *uid_attr;
        const char *cert_attr;
        const char *group_filter;
        const char *member_attr;
        const char *memberof_attr;
        const char *group_name_attr;
        uint32_t rules;
};

static const struct schema_defaults defaults[] = {
        [KAGI_LDAP_OPENLDAP] = {
                .user_attr = "uid",
                .user_filter = "(|(objectClass=inetOrgPerson)(objectClass=posixAccount))",
                .lowercase_names = false,
                .name_attr = "displayName cn",
                .department_attr = "departmentNumber ou",
                .uid_attr = "uidNumber",
                .cert_attr = "userCertificate;binary",
                .group_filter = "(objectClass=groupOfNames)",
                .member_attr = "member",
                .memberof_attr = "none",
                .group_name_attr = "cn",
                .rules = LDAP_RULE_SHADOW_EXPIRE | LDAP_RULE_PPOLICY_LOCK,
        },
        [KAGI_LDAP_AD] = {
                .user_attr = "sAMAccountName",
                .user_filter = "(&(objectClass=user)(objectCategory=person))",
                .lowercase_names = true,
                .name_attr = "displayName cn",
                .department_attr = "department",
                .uid_attr = "uidNumber",
                .cert_attr = "userCertificate;binary",
                .group_filter = "none",
                .member_attr = "member",
                .memberof_attr = "memberOf",
                .group_name_attr = "cn",
                .rules = LDAP_RULE_AD_UAC | LDAP_RULE_AD_EXPIRES,
        },
};

static const char *pick(const char *configured, const char *dflt)
{
        const char *v = configured ? configured : dflt;

        return strcmp(v, "none") == 0 ? NULL : v;
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
        const struct schema_defaults *d = &defaults[c->ldap_schema == KAGI_LDAP_AD ? KAGI_LDAP_AD
                                                                                 : KAGI_LDAP_OPENLDAP];
        const char *names = pick(c->ldap_name_attr, d->name_attr);
        const char *depts = pick(c->ldap_department_attr, d->department_attr);
        char *p;

        *m = (struct ldap_map){
                .user_attr = pick(c->ldap_user_attr, d->user_attr),
                .user_filter = pick(c->ldap_user_filter, d->user_filter),
                .lowercase_names = c->ldap_lowercase_names < 0 ? d->lowercase_names
                                                               : c->ldap_lowercase_names > 0,
                .uid_attr = pick(c->ldap_uid_attr, d->uid_attr),
                .cert_attr = pick(c->ldap_cert_attr, d->cert_attr),
                .group_base = c->ldap_group_base ? c->ldap_group_base : c->ldap_base,
                .group_filter = pick(c->ldap_group_filter, d->group_filter),
                .member_attr = pick(c->ldap_member_attr, d->member_attr),
                .memberof_attr = pick(c->ldap_memberof_attr, d->memberof_attr),
                .group_name_attr = pick(c->ldap_group_name_attr, d->group_name_attr),
                .disabled_filter = pick(c->ldap_disabled_filter, "none"),
                .rules = d->rules,
        };
        /* a group search needs both what a group is and where its members are */
        if (!m->member_attr)
                m->group_filter = NULL;
        m->buf = malloc((names ? strlen(names) : 0) + (depts ? strlen(depts) : 0) + 2 * LDAP_MAP_ALTS + 2);
        if (!m->buf)
                return -ENOMEM;
        p = m->buf;
        split_attrs(names, &p, m->name_attrs);
        split_attrs(depts, &p, m->department_attrs);
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
