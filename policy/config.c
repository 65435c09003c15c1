/* kagi.conf: the one pure parser of configuration text (inih underneath).
 *
 * Every key is declared once in the tables below with its type and limits.
 * An unknown section or key, a bad value, a repeated key or an over-long line
 * is an error naming file, line and key: a config that is not understood in
 * full is not used at all.
 */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "policy.h"

/* inih reads at most INI_MAX_LINE-1 bytes per line and would silently split a
 * longer one; we refuse such lines before inih sees them. */
#define LINE_MAX_BYTES 199

enum key_type { K_STR, K_PATH, K_UINT, K_DURATION, K_BOOL, K_TRIBOOL, K_STRV, K_LANG, K_BACKEND,
                K_SCHEMA, K_SETS, K_ATTR, K_ATTRS, K_FILTER };

struct key {
        const char *name;
        enum key_type type;
        size_t offset;
        uint64_t min, max;                   /* K_UINT */
        bool repeatable;                     /* K_STRV: values of repeated keys add up */
        bool replaces_default;               /* K_STRV: the first occurrence drops the default list */
};

#define C(f) offsetof(struct kagi_config, f)
#define Z(f) offsetof(struct kagi_zone, f)

static const struct key broker_keys[] = {
        { "socket", K_PATH, C(socket), 0, 0, false },
        { "database", K_PATH, C(database), 0, 0, false },
        { "key_dir", K_PATH, C(key_dir), 0, 0, false },
        { "admin_group", K_STR, C(admin_group), 0, 0, false },
        { "default_zone", K_STR, C(default_zone), 0, 0, false },
        { "workers", K_UINT, C(workers), 1, 256, false },
        { "language", K_LANG, C(language), 0, 0, false },
        { "contact", K_STR, C(contact), 0, 0, false },
        { "user", K_STR, C(broker_user), 0, 0, false },
        { NULL, 0, 0, 0, 0, false },
};

static const struct key pam_keys[] = {
        { "timeout", K_UINT, C(pam_timeout), 1, 120, false },
        { NULL, 0, 0, 0, 0, false },
};

/* [directory]: the LDAP keys are described in broker/directory/ldap.c. */
static const struct key directory_keys[] = {
        { "backend", K_BACKEND, C(backend), 0, 0, false },
        { "uri", K_STRV, C(ldap_uri), 0, 0, true },
        { "base", K_STR, C(ldap_base), 0, 0, false },
        { "bind_dn", K_STR, C(ldap_bind_dn), 0, 0, false },
        { "bind_password_file", K_PATH, C(ldap_bind_password_file), 0, 0, false },
        { "ca_file", K_PATH, C(ldap_ca_file), 0, 0, false },
        { "cert_file", K_PATH, C(ldap_cert_file), 0, 0, false },
        { "key_file", K_PATH, C(ldap_key_file), 0, 0, false },
        { "starttls", K_BOOL, C(ldap_starttls), 0, 0, false },
        { "sasl_external", K_BOOL, C(ldap_sasl_external), 0, 0, false },
        { "timeout", K_UINT, C(ldap_timeout), 1, 120, false },
        { "cache_ttl", K_UINT, C(directory_cache_ttl), 0, 3600, false },
        { "schema", K_SCHEMA, C(ldap_schema), 0, 0, false },
        { "user_attr", K_ATTR, C(ldap_user_attr), 0, 0, false },
        { "user_filter", K_FILTER, C(ldap_user_filter), 0, 0, false },
        { "lowercase_names", K_TRIBOOL, C(ldap_lowercase_names), 0, 0, false },
        { "group_base", K_STR, C(ldap_group_base), 0, 0, false },
        { "group_filter", K_FILTER, C(ldap_group_filter), 0, 0, false },
        { "member_attr", K_ATTR, C(ldap_member_attr), 0, 0, false },
        { "memberof_attr", K_ATTR, C(ldap_memberof_attr), 0, 0, false },
        { "group_name_attr", K_ATTR, C(ldap_group_name_attr), 0, 0, false },
        { "name_attr", K_ATTRS, C(ldap_name_attr), 0, 0, false },
        { "department_attr", K_ATTRS, C(ldap_department_attr), 0, 0, false },
        { "uid_attr", K_ATTR, C(ldap_uid_attr), 0, 0, false },
        { "cert_attr", K_ATTR, C(ldap_cert_attr), 0, 0, false },
        { "disabled_filter", K_FILTER, C(ldap_disabled_filter), 0, 0, false },
        { NULL, 0, 0, 0, 0, false },
};

static const struct key lockout_keys[] = {
        { "threshold", K_UINT, C(lockout.threshold), 1, 100, false },
        { "unlock_after", K_DURATION, C(lockout.unlock_after), 0, 0, false },
        { "privileged_threshold", K_UINT, C(privileged.threshold), 1, 100, false },
        { "privileged_unlock_after", K_DURATION, C(privileged.unlock_after), 0, 0, false },
        { "privileged_groups", K_STRV, C(privileged_groups), 0, 0, true },
        { "message", K_STR, C(lock_message), 0, 0, false },
        { NULL, 0, 0, 0, 0, false },
};

static const struct key totp_keys[] = {
        { "digits", K_UINT, C(totp_digits), 6, 8, false },
        { "step", K_UINT, C(totp_step), 1, 300, false },
        { "window", K_UINT, C(totp_window), 0, 10, false },
        { "issuer", K_STR, C(totp_issuer), 0, 0, false },
        { NULL, 0, 0, 0, 0, false },
};

static const struct key card_keys[] = {
        { "ca_file", K_PATH, C(card_ca_file), 0, 0, false },
        { "crl_file", K_STRV, C(card_crl_files), 0, 0, true },
        { "pin_timeout", K_UINT, C(card_pin_timeout), 1, 600, false },
        { "wait", K_UINT, C(card_wait), 0, 600, false },
        { "reader", K_STR, C(card_reader), 0, 0, false },
        { "local_services", K_STRV, C(card_local_services), 0, 0, true, true },
        { NULL, 0, 0, 0, 0, false },
};

static const struct key zone_keys[] = {
        { "factors", K_SETS, 0, 0, 0, false },
        { "mynumber", K_BOOL, Z(mynumber), 0, 0, false },
        { "users", K_STRV, Z(users), 0, 0, true },
        { "groups", K_STRV, Z(groups), 0, 0, true },
        { NULL, 0, 0, 0, 0, false },
};

static const struct {
        const char *name;
        const struct key *keys;
} sections[] = {
        { "broker", broker_keys },
        { "pam", pam_keys },
        { "directory", directory_keys },
        { "lockout", lockout_keys },
        { "totp", totp_keys },
        { "card", card_keys },
};

#define MAX_KEYS 32          /* per section, for repeated-key detection */
_Static_assert(ARRAY_SIZE(directory_keys) - 1 <= MAX_KEYS, "seen is a 32-bit mask");

struct parse_state {
        struct kagi_config *c;
        const char *name;
        char *err;
        size_t errsz;
        bool failed;
        char section[64];
        /* keys seen in the current section (headers were checked beforehand:
         * each is known and appears once) */
        uint32_t seen;
};

static void fail(struct parse_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct parse_state *st, const char *fmt, ...)
{
        va_list ap;

        if (st->failed)
                return;
        st->failed = true;
        va_start(ap, fmt);
        vsnprintf(st->err, st->errsz, fmt, ap);
        va_end(ap);
}

bool strv_contains(const struct strv *s, const char *x)
{
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->v[i], x) == 0)
                        return true;
        return false;
}

static int strv_push(struct strv *s, const char *x, size_t n)
{
        char **nv;

        if (s->n >= STRV_MAX)
                return -E2BIG;
        nv = realloc(s->v, (s->n + 1) * sizeof(*nv));
        if (!nv)
                return -ENOMEM;
        s->v = nv;
        s->v[s->n] = strndup(x, n);
        if (!s->v[s->n])
                return -ENOMEM;
        s->n++;
        return 0;
}

int strv_add(struct strv *s, const char *x)
{
        return strv_contains(s, x) ? 0 : strv_push(s, x, strlen(x));
}

void strv_clear(struct strv *s)
{
        for (size_t i = 0; i < s->n; i++)
                free(s->v[i]);
        free(s->v);
        s->v = NULL;
        s->n = 0;
}

static int strv_add_words(struct strv *s, const char *value)
{
        const char *p = value;

        while (*p) {
                size_t n;
                int r;

                p += strspn(p, " \t,");
                n = strcspn(p, " \t,");
                if (n == 0)
                        break;
                r = strv_push(s, p, n);
                if (r < 0)
                        return r;
                p += n;
        }
        return 0;
}

static bool printable(const char *v)
{
        for (const unsigned char *p = (const unsigned char *)v; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

static bool ascii_alnum(char ch)
{
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/* An attribute description (RFC 4512): a name or a numeric OID, then options
 * like ";binary". Checked here so a typo stops kagid at start, not at login. */
static bool ldap_attr_valid(const char *s, size_t n)
{
        size_t i = 0;

        if (n == 0 || n > 64)
                return false;
        if ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')) {
                while (i < n && (ascii_alnum(s[i]) || s[i] == '-'))
                        i++;
        } else {
                for (;;) {                   /* number ( "." number )* */
                        size_t start = i;

                        while (i < n && s[i] >= '0' && s[i] <= '9')
                                i++;
                        if (i == start)
                                return false;
                        if (i < n && s[i] == '.')
                                i++;
                        else
                                break;
                }
        }
        while (i < n && s[i] == ';') {
                size_t start = ++i;

                while (i < n && (ascii_alnum(s[i]) || s[i] == '-'))
                        i++;
                if (i == start)
                        return false;
        }
        return i == n;
}

static bool hex_digit(char ch)
{
        return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/* The shape of an RFC 4515 filter: one parenthesised item, balanced, escapes
 * being \XX. The server parses it for real; this catches typos at start-up. */
static bool ldap_filter_valid(const char *s)
{
        size_t n = strlen(s);
        int depth = 0;

        if (n < 3 || s[0] != '(' || s[n - 1] != ')')
                return false;
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '\\') {
                        if (i + 2 >= n || !hex_digit(s[i + 1]) || !hex_digit(s[i + 2]))
                                return false;
                        i += 2;
                } else if (s[i] == '(') {
                        if (i + 1 < n && s[i + 1] == ')')
                                return false;
                        depth++;
                } else if (s[i] == ')') {
                        if (--depth < 0 || (depth == 0 && i != n - 1))
                                return false;
                }
        }
        return depth == 0;
}

/* K_ATTR: one attribute, K_ATTRS: up to four in order of preference; either
 * may be "none". */
static bool ldap_attrs_valid(const char *v, bool list)
{
        size_t words = 0;

        if (strcmp(v, "none") == 0)
                return true;
        for (const char *p = v + strspn(v, " "); *p; p += strspn(p, " ")) {
                size_t n = strcspn(p, " ");

                if (!ldap_attr_valid(p, n) || ++words > (list ? 4 : 1))
                        return false;
                p += n;
        }
        return words > 0;
}

static void set_value(struct parse_state *st, void *base, const struct key *k, const char *value)
{
        void *field = (char *)base + k->offset;
        uint64_t u;
        bool b;

        if (!printable(value)) {
                fail(st, "%s: control character in value", k->name);
                return;
        }
        switch (k->type) {
        case K_ATTR:
        case K_ATTRS:
                if (!ldap_attrs_valid(value, k->type == K_ATTRS)) {
                        fail(st, "%s: '%s' is not %s", k->name, value,
                             k->type == K_ATTRS ? "'none' or up to four LDAP attribute names"
                                                : "'none' or an LDAP attribute name");
                        return;
                }
                goto string;
        case K_FILTER:
                if (strcmp(value, "none") != 0 && !ldap_filter_valid(value)) {
                        fail(st, "%s: '%s' is not 'none' or an LDAP filter like (objectClass=person)",
                             k->name, value);
                        return;
                }
                goto string;
        case K_PATH:
                if (value[0] != '/') {
                        fail(st, "%s: must be an absolute path, not '%s'", k->name, value);
                        return;
                }
                __attribute__((fallthrough));   /* clang does not read comments */
        case K_STR:
        string: {
                char **s = field;

                if (!*value) {
                        fail(st, "%s: empty value", k->name);
                        return;
                }
                free(*s);
                *s = strdup(value);
                if (!*s)
                        fail(st, "%s: out of memory", k->name);
                return;
        }
        case K_UINT:
                if (parse_uint(value, k->max, &u) < 0 || u < k->min) {
                        fail(st, "%s: '%s' is not a whole number from %llu to %llu", k->name, value,
                             (unsigned long long)k->min, (unsigned long long)k->max);
                        return;
                }
                *(uint32_t *)field = (uint32_t)u;
                return;
        case K_DURATION:
                if (strcmp(value, "never") == 0)
                        u = 0;
                else if (parse_duration(value, &u) < 0 || u == 0) {
                        fail(st, "%s: '%s' is not 'never' or a duration like 30m, 1h, 2d", k->name, value);
                        return;
                }
                *(uint64_t *)field = u;
                return;
        case K_BOOL:
                if (parse_bool(value, &b) < 0) {
                        fail(st, "%s: '%s' is not yes or no", k->name, value);
                        return;
                }
                *(bool *)field = b;
                return;
        case K_TRIBOOL:
                if (parse_bool(value, &b) < 0) {
                        fail(st, "%s: '%s' is not yes or no", k->name, value);
                        return;
                }
                *(int8_t *)field = b ? 1 : 0;
                return;
        case K_STRV:
                if (strv_add_words(field, value) < 0)
                        fail(st, "%s: too many values", k->name);
                return;
        case K_LANG:
                if (strcmp(value, "en") == 0)
                        *(enum kagi_lang *)field = KAGI_LANG_EN;
                else if (strcmp(value, "ja") == 0)
                        *(enum kagi_lang *)field = KAGI_LANG_JA;
                else
                        fail(st, "%s: '%s' is not en or ja", k->name, value);
                return;
        case K_BACKEND:
                if (strcmp(value, "nss") == 0)
                        *(enum kagi_dir_backend *)field = KAGI_DIR_NSS;
                else if (strcmp(value, "ldap") == 0)
                        *(enum kagi_dir_backend *)field = KAGI_DIR_LDAP;
                else
                        fail(st, "%s: '%s' is not nss or ldap", k->name, value);
                return;
        case K_SCHEMA:
                if (strcmp(value, "openldap") == 0 || strcmp(value, "rfc2307bis") == 0)
                        *(enum kagi_ldap_schema *)field = KAGI_LDAP_OPENLDAP;
                else if (strcmp(value, "ad") == 0)
                        *(enum kagi_ldap_schema *)field = KAGI_LDAP_AD;
                else
                        fail(st, "%s: '%s' is not openldap or ad", k->name, value);
                return;
        case K_SETS: {
                struct kagi_zone *z = base;
                struct strv words = { 0 };

                if (strv_add_words(&words, value) < 0 || words.n == 0 || words.n > KAGI_ZONE_MAX_SETS) {
                        fail(st, "%s: give 1 to %d factor sets like 'card+pin password+totp'",
                             k->name, KAGI_ZONE_MAX_SETS);
                        strv_clear(&words);
                        return;
                }
                z->n_sets = 0;
                for (size_t i = 0; i < words.n; i++) {
                        if (factor_set_parse(words.v[i], &z->sets[z->n_sets]) < 0) {
                                fail(st, "%s: '%s' is not a factor set (factors: password, totp, card, pin)",
                                     k->name, words.v[i]);
                                break;
                        }
                        z->n_sets++;
                }
                strv_clear(&words);
                return;
        }
        }
}

static struct kagi_zone *zone_find_or_add(struct parse_state *st, const char *name)
{
        struct kagi_config *c = st->c;
        struct kagi_zone *nz;

        for (size_t i = 0; i < c->n_zones; i++)
                if (strcmp(c->zones[i].name, name) == 0)
                        return &c->zones[i];
        if (c->n_zones >= KAGI_ZONES_MAX) {
                fail(st, "[zone %s]: too many zones (at most %d)", name, KAGI_ZONES_MAX);
                return NULL;
        }
        nz = realloc(c->zones, (c->n_zones + 1) * sizeof(*nz));
        if (!nz) {
                fail(st, "out of memory");
                return NULL;
        }
        c->zones = nz;
        nz = &c->zones[c->n_zones];
        memset(nz, 0, sizeof(*nz));
        nz->mynumber = true;          /* the safe assumption: MFA-1 applies */
        nz->name = strdup(name);
        if (!nz->name) {
                fail(st, "out of memory");
                return NULL;
        }
        c->n_zones++;
        return nz;
}

static bool valid_zone_name(const char *s)
{
        if (!*s || strlen(s) > 32)
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
                        return false;
        return true;
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
        struct parse_state *st = user;
        const struct key *keys = NULL;
        void *base = st->c;
        size_t i;

        if (st->failed)
                return 0;
        if (strcmp(section, st->section) != 0) {
                snprintf(st->section, sizeof(st->section), "%s", section ? section : "");
                st->seen = 0;
        }

        if (strncmp(section, "zone ", 5) == 0) {
                const char *zname = section + 5;

                if (!valid_zone_name(zname)) {
                        fail(st, "[%s]: zone names are 1-32 of a-z 0-9 - _", section);
                        return 0;
                }
                base = zone_find_or_add(st, zname);
                if (!base)
                        return 0;
                keys = zone_keys;
        } else {
                for (i = 0; i < ARRAY_SIZE(sections); i++)
                        if (strcmp(section, sections[i].name) == 0)
                                keys = sections[i].keys;
        }
        if (!keys) {
                fail(st, "[%s]: unknown section", section);
                return 0;
        }
        for (i = 0; keys[i].name; i++)
                if (strcmp(keys[i].name, name) == 0)
                        break;
        if (!keys[i].name) {
                fail(st, "%s: unknown key in [%s]", name, section);
                return 0;
        }
        if ((st->seen & (1u << i)) && !keys[i].repeatable) {
                fail(st, "%s: given twice in [%s]", name, section);
                return 0;
        }
        if (keys[i].replaces_default && !(st->seen & (1u << i)))
                strv_clear((struct strv *)((char *)base + keys[i].offset));
        st->seen |= 1u << i;
        set_value(st, base, &keys[i], value);
        return st->failed ? 0 : 1;
}

static int set_defaults(struct kagi_config *c)
{
        c->socket = strdup("/run/kagi/kagid.sock");
        c->database = strdup("/var/lib/kagi/kagi.db");
        c->key_dir = strdup("/etc/kagi/keys");
        c->admin_group = strdup("kagi-admin");
        c->default_zone = strdup("default");
        c->workers = 8;
        c->language = KAGI_LANG_EN;
        c->pam_timeout = 5;
        c->backend = KAGI_DIR_NSS;
        c->ldap_starttls = false;
        c->ldap_timeout = 5;
        c->directory_cache_ttl = 60;
        c->ldap_schema = KAGI_LDAP_OPENLDAP;
        c->ldap_lowercase_names = -1;
        c->lockout = (struct lockout_rule){ .threshold = 3, .unlock_after = 0 };
        c->privileged = (struct lockout_rule){ .threshold = 3, .unlock_after = 0 };
        c->totp_digits = 6;
        c->totp_step = 30;
        c->totp_window = 1;
        c->totp_issuer = strdup("kagi");
        c->card_ca_file = strdup("/etc/kagi/card-ca.pem");
        c->card_pin_timeout = 30;
        c->card_wait = 30;
        /* the console and the display managers and screen lockers that run
         * there: where the person typing sits at the reader */
        if (strv_add_words(&c->card_local_services, KAGI_LOCAL_SERVICES_DEFAULT) < 0)
                return -ENOMEM;
        if (!c->socket || !c->database || !c->key_dir || !c->admin_group || !c->default_zone ||
            !c->totp_issuer || !c->card_ca_file)
                return -ENOMEM;
        return strv_add_words(&c->privileged_groups, "root sudo wheel");
}

static bool is_none(const char *v)
{
        return v && strcmp(v, "none") == 0;
}

/* [directory] backend = ldap: what must go together. TLS is not optional:
 * ldaps://, or ldap:// with StartTLS. */
static void validate_ldap(struct parse_state *st)
{
        const struct kagi_config *c = st->c;

        if (c->ldap_uri.n == 0) {
                fail(st, "uri: [directory] backend = ldap needs uri (ldaps://HOST, or ldap://HOST with starttls = yes)");
                return;
        }
        for (size_t i = 0; i < c->ldap_uri.n; i++) {
                const char *u = c->ldap_uri.v[i];

                if (strncasecmp(u, "ldaps://", 8) == 0)
                        continue;
                if (strncasecmp(u, "ldap://", 7) != 0) {
                        fail(st, "uri: '%s' is not an ldaps:// or ldap:// URI", u);
                        return;
                }
                if (!c->ldap_starttls) {
                        fail(st, "uri: '%s': kagi never talks to the directory in clear text; "
                             "use ldaps:// or set starttls = yes", u);
                        return;
                }
        }
        if (!c->ldap_base)
                fail(st, "base: [directory] backend = ldap needs base");
        else if (c->ldap_bind_dn && !c->ldap_bind_password_file)
                fail(st, "bind_password_file: bind_dn needs a bind_password_file");
        else if (!c->ldap_bind_dn && c->ldap_bind_password_file)
                fail(st, "bind_password_file: given without bind_dn");
        else if (c->ldap_sasl_external && c->ldap_bind_dn)
                fail(st, "sasl_external: bind either with bind_dn or with sasl_external, not both");
        else if (c->ldap_sasl_external && (!c->ldap_cert_file || !c->ldap_key_file))
                fail(st, "sasl_external: needs cert_file and key_file (the broker's client certificate)");
        else if (!c->ldap_cert_file != !c->ldap_key_file)
                fail(st, "%s: cert_file and key_file go together", c->ldap_cert_file ? "key_file" : "cert_file");
        else if (is_none(c->ldap_user_attr))
                fail(st, "user_attr: cannot be none");
        else if (is_none(c->ldap_user_filter))
                fail(st, "user_filter: cannot be none; (objectClass=*) matches every entry");
        else if (is_none(c->ldap_group_name_attr))
                fail(st, "group_name_attr: cannot be none");
}

/* Checks that need the whole file. */
static void validate(struct parse_state *st)
{
        struct kagi_config *c = st->c;

        if (c->n_zones == 0) {
                /* The embedded default: one My Number zone, both factor sets, anyone. */
                struct kagi_zone *z = zone_find_or_add(st, "default");

                if (!z)
                        return;
                z->sets[0] = KAGI_F_CARD | KAGI_F_PIN;
                z->sets[1] = KAGI_F_PASSWORD | KAGI_F_TOTP;
                z->n_sets = 2;
                if (strv_add_words(&z->users, "*") < 0)
                        fail(st, "out of memory");
        }
        for (size_t i = 0; i < c->n_zones; i++) {
                struct kagi_zone *z = &c->zones[i];

                if (z->n_sets == 0) {
                        fail(st, "[zone %s]: factors: missing (e.g. factors = card+pin password+totp)", z->name);
                        return;
                }
                for (size_t j = 0; j < z->n_sets; j++) {
                        char buf[64];

                        if ((z->sets[j] & KAGI_F_PIN) && !(z->sets[j] & KAGI_F_CARD)) {
                                factor_set_format(z->sets[j], buf, sizeof(buf));
                                fail(st, "[zone %s]: factors: '%s': a pin is only checked by its card", z->name, buf);
                                return;
                        }
                        if (z->mynumber && !factor_set_is_multifactor(z->sets[j])) {
                                factor_set_format(z->sets[j], buf, sizeof(buf));
                                fail(st, "[zone %s]: factors: '%s' is single-factor; the My Number zone "
                                     "needs two kinds (MFA-1), e.g. card+pin or password+totp", z->name, buf);
                                return;
                        }
                }
                if (z->users.n == 0 && z->groups.n == 0) {
                        fail(st, "[zone %s]: nobody may log in: set users (\"*\" for any account) or groups",
                             z->name);
                        return;
                }
        }
        if (!config_zone(c, c->default_zone)) {
                fail(st, "default_zone: no [zone %s] section", c->default_zone);
                return;
        }
        if (c->backend == KAGI_DIR_LDAP)
                validate_ldap(st);
}

static bool valid_zone_name(const char *s);

static bool known_section(const char *name, size_t n)
{
        char buf[72];

        if (n >= sizeof(buf))
                return false;
        memcpy(buf, name, n);
        buf[n] = '\0';
        if (strncmp(buf, "zone ", 5) == 0)
                return valid_zone_name(buf + 5);
        for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
                if (strcmp(buf, sections[i].name) == 0)
                        return true;
        return false;
}

/* inih calls on_entry() for keys only, never for a section header, so an
 * unknown or repeated header without keys under it would slip through
 * there: look at the headers themselves first. */
static int check_section_headers(const char *text, const char *name, char *err, size_t errsz)
{
        char seen[KAGI_ZONES_MAX + 8][72];
        size_t n_seen = 0, line = 1;

        for (const char *p = text; *p; line++) {
                size_t len = strcspn(p, "\n");
                const char *s = p + strspn(p, " \t"), *close;

                if (*s == '[' && (close = memchr(s, ']', len - (size_t)(s - p)))) {
                        size_t n = (size_t)(close - s - 1);

                        if (!known_section(s + 1, n)) {
                                snprintf(err, errsz, "%s:%zu: [%.*s]: %s", name, line, (int)(n > 64 ? 64 : n), s + 1,
                                         n > 5 && strncmp(s + 1, "zone ", 5) == 0
                                                 ? "zone names are 1-32 of a-z 0-9 - _"
                                                 : "unknown section");
                                return -EINVAL;
                        }
                        for (size_t i = 0; i < n_seen; i++)
                                if (strlen(seen[i]) == n && memcmp(seen[i], s + 1, n) == 0) {
                                        snprintf(err, errsz, "%s:%zu: [%.*s]: section appears twice", name,
                                                 line, (int)n, s + 1);
                                        return -EINVAL;
                                }
                        if (n_seen >= ARRAY_SIZE(seen)) {
                                snprintf(err, errsz, "%s:%zu: too many sections", name, line);
                                return -EINVAL;
                        }
                        memcpy(seen[n_seen], s + 1, n);
                        seen[n_seen++][n] = '\0';
                }
                p += len;
                if (*p)
                        p++;
        }
        return 0;
}

int config_parse(const uint8_t *buf, size_t len, const char *name,
                 struct kagi_config **ret, char *err, size_t errsz)
{
        struct parse_state *st = NULL;
        char *text = NULL;
        size_t line = 1, col = 0;
        int r = -EINVAL, at;

        if (errsz)
                err[0] = '\0';
        if (len > KAGI_CONFIG_MAX) {
                snprintf(err, errsz, "%s: larger than %d bytes", name, KAGI_CONFIG_MAX);
                return -E2BIG;
        }
        for (size_t i = 0; i < len; i++) {
                if (buf[i] == '\0') {
                        snprintf(err, errsz, "%s:%zu: NUL byte in file", name, line);
                        return -EINVAL;
                }
                if (buf[i] == '\n') {
                        line++;
                        col = 0;
                } else if (++col > LINE_MAX_BYTES) {
                        snprintf(err, errsz, "%s:%zu: line longer than %d bytes", name, line, LINE_MAX_BYTES);
                        return -EINVAL;
                }
        }
        text = malloc(len + 1);
        st = calloc(1, sizeof(*st));
        if (!text || !st)
                goto out_nomem;
        memcpy(text, buf, len);
        text[len] = '\0';
        r = check_section_headers(text, name, err, errsz);
        if (r < 0)
                goto out;
        r = -EINVAL;
        st->c = calloc(1, sizeof(*st->c));
        if (!st->c || set_defaults(st->c) < 0)
                goto out_nomem;
        st->name = name;
        st->err = err;
        st->errsz = errsz;

        at = ini_parse_string(text, on_entry, st);
        if (at != 0 || st->failed) {
                char why[512];

                if (!st->failed)
                        snprintf(why, sizeof(why), "syntax error (expected [section] or key = value)");
                else
                        snprintf(why, sizeof(why), "%s", err);
                if (at > 0)
                        snprintf(err, errsz, "%s:%d: %s", name, at, why);
                else
                        snprintf(err, errsz, "%s: %s", name, why);
                goto out;
        }
        validate(st);
        if (st->failed) {
                char why[512];

                snprintf(why, sizeof(why), "%s", err);
                snprintf(err, errsz, "%s: %s", name, why);
                goto out;
        }
        st->c->path = strdup(name);
        if (!st->c->path)
                goto out_nomem;
        *ret = st->c;
        st->c = NULL;
        r = 0;
        goto out;
out_nomem:
        snprintf(err, errsz, "%s: out of memory", name);
        r = -ENOMEM;
out:
        if (st)
                config_free(st->c);
        free(st);
        free(text);
        return r;
}

void config_free(struct kagi_config *c)
{
        if (!c)
                return;
        char **strs[] = {
                &c->path, &c->socket, &c->database, &c->key_dir, &c->admin_group, &c->default_zone,
                &c->contact, &c->broker_user, &c->ldap_base, &c->ldap_bind_dn, &c->ldap_bind_password_file,
                &c->ldap_ca_file, &c->ldap_cert_file, &c->ldap_key_file, &c->ldap_user_attr,
                &c->ldap_user_filter, &c->ldap_group_base, &c->ldap_group_filter,
                &c->ldap_member_attr, &c->ldap_memberof_attr, &c->ldap_group_name_attr,
                &c->ldap_name_attr, &c->ldap_department_attr, &c->ldap_uid_attr,
                &c->ldap_cert_attr, &c->ldap_disabled_filter, &c->lock_message, &c->totp_issuer, &c->card_ca_file,
                &c->card_reader,
        };
        for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
                free(*strs[i]);
        strv_clear(&c->ldap_uri);
        strv_clear(&c->privileged_groups);
        strv_clear(&c->card_crl_files);
        strv_clear(&c->card_local_services);
        for (size_t i = 0; i < c->n_zones; i++) {
                free(c->zones[i].name);
                strv_clear(&c->zones[i].users);
                strv_clear(&c->zones[i].groups);
        }
        free(c->zones);
        free(c);
}

const struct kagi_zone *config_zone(const struct kagi_config *c, const char *name)
{
        for (size_t i = 0; i < c->n_zones; i++)
                if (strcmp(c->zones[i].name, name) == 0)
                        return &c->zones[i];
        return NULL;
}
