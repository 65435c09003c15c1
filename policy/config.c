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

enum key_type { K_STR, K_PATH, K_UINT, K_MS, K_DURATION, K_SPAN, K_DURATIONS, K_BOOL, K_TRIBOOL, K_STRV, K_LANG,
                K_BACKEND, K_SCHEMA, K_SETS, K_ATTR, K_ATTRS, K_FILTER, K_REMOVAL, K_SCOPE };

struct key {
        const char *name;
        enum key_type type;
        size_t offset;
        uint64_t min, max;                   /* K_UINT */
        bool repeatable;                     /* K_STRV: values of repeated keys add up */
        size_t offset_n;                     /* K_SETS, K_DURATIONS: where the count goes */
        bool replaces_default;               /* K_STRV: the first occurrence drops the default list */
};

#define C(f) offsetof(struct kagi_config, f)
#define Z(f) offsetof(struct kagi_zone, f)
#define R(f) offsetof(struct kagi_role, f)
#define S(f) offsetof(struct kagi_shared, f)

static const struct key broker_keys[] = {
        { "socket", K_PATH, C(socket), 0, 0, false },
        { "database", K_PATH, C(database), 0, 0, false },
        { "key_dir", K_PATH, C(key_dir), 0, 0, false },
        { "admin_group", K_STR, C(admin_group), 0, 0, false },
        { "default_zone", K_STR, C(default_zone), 0, 0, false },
        { "workers", K_UINT, C(workers), 1, 256, false },
        { "max_connections", K_UINT, C(max_connections), 16, 65536, false },
        { "max_connections_per_uid", K_UINT, C(max_connections_per_uid), 1, 65536, false },
        { "root_connections", K_UINT, C(root_connections), 1, 65536, false },
        { "request_timeout", K_MS, C(request_timeout_ms), 100, 60000, false },
        { "password_service", K_STR, C(password_service), 0, 0, false },
        { "cgroup_root", K_STR, C(cgroup_root), 0, 0, false },
        { "session_cgroups", K_SCOPE, C(session_cgroups_all), 0, 0, false },
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
        { "attempt_timeout", K_DURATION, C(attempt_timeout), 0, 0, false },
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
        { "local_services", K_STRV, C(card_local_services), 0, 0, true, 0, true },
        { NULL, 0, 0, 0, 0, false },
};

static const struct key zone_keys[] = {
        { "factors", K_SETS, Z(sets), 0, 0, false, Z(n_sets) },
        { "mynumber", K_BOOL, Z(mynumber), 0, 0, false },
        { "users", K_STRV, Z(users), 0, 0, true },
        { "groups", K_STRV, Z(groups), 0, 0, true },
        { "one_terminal", K_BOOL, Z(one_terminal), 0, 0, false },
        { NULL, 0, 0, 0, 0, false },
};

static const struct key role_keys[] = {
        { "targets", K_STRV, R(targets), 0, 0, true },
        { "users", K_STRV, R(users), 0, 0, true },
        { "groups", K_STRV, R(groups), 0, 0, true },
        { "max_duration", K_SPAN, R(max_duration), 0, 0, false },
        { "approval", K_BOOL, R(approval), 0, 0, false },
        { "approvers", K_STR, R(approvers), 0, 0, false },
        { "approval_wait", K_SPAN, R(approval_wait), 0, 0, false },
        { "notify", K_PATH, R(notify), 0, 0, false },
        { "break_glass", K_BOOL, R(break_glass), 0, 0, false },
        { "inline", K_BOOL, R(inline_request), 0, 0, false },
        { "warn", K_DURATIONS, R(warn), 0, 0, false, R(n_warn) },
        { "card_removal", K_REMOVAL, R(card_removal), 0, 0, false },
        { NULL, 0, 0, 0, 0, false },
};

static const struct key shared_keys[] = {
        { "users", K_STRV, S(users), 0, 0, true },
        { "groups", K_STRV, S(groups), 0, 0, true },
        { "max_sessions", K_UINT, S(max_sessions), 1, 1000, false },
        { "factors", K_SETS, S(sets), 0, 0, false, S(n_sets) },
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
        case K_MS:
                /* "500ms", or a duration in seconds ("2s", "2") */
                if (strlen(value) > 2 && strcmp(value + strlen(value) - 2, "ms") == 0) {
                        char num[32];

                        snprintf(num, sizeof(num), "%.*s", (int)(strlen(value) - 2), value);
                        if (parse_uint(num, k->max, &u) < 0)
                                u = 0;
                } else if (parse_duration(value, &u) < 0 || u > k->max / 1000) {
                        u = 0;
                } else {
                        u *= 1000;
                }
                if (u < k->min || u > k->max) {
                        fail(st, "%s: '%s' is not a time from %llums to %llums (e.g. 500ms, 2s)", k->name, value,
                             (unsigned long long)k->min, (unsigned long long)k->max);
                        return;
                }
                *(uint32_t *)field = (uint32_t)u;
                return;
        case K_SPAN:
                /* a duration that must be one: never is no answer here */
                if (parse_duration(value, &u) < 0 || u == 0) {
                        fail(st, "%s: '%s' is not a duration like 30m, 2h, 1d", k->name, value);
                        return;
                }
                *(uint64_t *)field = u;
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
                uint32_t *sets = field;
                size_t *n_sets = (size_t *)((char *)base + k->offset_n);
                struct strv words = { 0 };

                if (strv_add_words(&words, value) < 0 || words.n == 0 || words.n > KAGI_ZONE_MAX_SETS) {
                        fail(st, "%s: give 1 to %d factor sets like 'card+pin password+totp'",
                             k->name, KAGI_ZONE_MAX_SETS);
                        strv_clear(&words);
                        return;
                }
                *n_sets = 0;
                for (size_t i = 0; i < words.n; i++) {
                        if (factor_set_parse(words.v[i], &sets[*n_sets]) < 0) {
                                fail(st, "%s: '%s' is not a factor set (factors: password, totp, card, pin)",
                                     k->name, words.v[i]);
                                break;
                        }
                        (*n_sets)++;
                }
                strv_clear(&words);
                return;
        }
        case K_DURATIONS: {
                uint64_t *v = field;
                size_t *n = (size_t *)((char *)base + k->offset_n);
                struct strv words = { 0 };

                if (strv_add_words(&words, value) < 0 || words.n == 0 || words.n > KAGI_WARN_MAX) {
                        fail(st, "%s: give 1 to %d durations like '10m 5m 1m', or none", k->name, KAGI_WARN_MAX);
                        strv_clear(&words);
                        return;
                }
                *n = 0;
                if (words.n == 1 && strcmp(words.v[0], "none") == 0) {
                        strv_clear(&words);
                        return;
                }
                for (size_t i = 0; i < words.n; i++) {
                        if (parse_duration(words.v[i], &u) < 0 || u == 0) {
                                fail(st, "%s: '%s' is not a duration like 10m, 30s", k->name, words.v[i]);
                                break;
                        }
                        /* largest first, each once: the order the warnings come in */
                        size_t at = *n;
                        while (at > 0 && v[at - 1] < u)
                                at--;
                        if (at > 0 && v[at - 1] == u)
                                continue;
                        memmove(&v[at + 1], &v[at], (*n - at) * sizeof(*v));
                        v[at] = u;
                        (*n)++;
                }
                strv_clear(&words);
                return;
        }
        case K_SCOPE:
                if (strcmp(value, "all") == 0)
                        *(bool *)field = true;
                else if (strcmp(value, "privileged") == 0)
                        *(bool *)field = false;
                else
                        fail(st, "%s: '%s' is not privileged or all", k->name, value);
                return;
        case K_REMOVAL:
                if (strcmp(value, "end") == 0)
                        *(enum kagi_card_removal *)field = KAGI_CARD_REMOVAL_END;
                else if (strcmp(value, "ignore") == 0)
                        *(enum kagi_card_removal *)field = KAGI_CARD_REMOVAL_IGNORE;
                else
                        fail(st, "%s: '%s' is not end or ignore", k->name, value);
                return;
        }
}

/* Sections with a name of their own: [zone NAME], [role NAME] and
 * [shared ACCOUNT], kept in arrays of structs whose first member is the
 * name. */
static void *named_find_or_add(struct parse_state *st, void **array, size_t *n, size_t size, size_t max,
                               const char *kind, const char *name)
{
        char *elems = *array, *e;

        for (size_t i = 0; i < *n; i++)
                if (strcmp(*(char **)(elems + i * size), name) == 0)
                        return elems + i * size;
        if (*n >= max) {
                fail(st, "[%s %s]: too many %s sections (at most %zu)", kind, name, kind, max);
                return NULL;
        }
        elems = realloc(elems, (*n + 1) * size);
        if (!elems) {
                fail(st, "out of memory");
                return NULL;
        }
        *array = elems;
        e = elems + *n * size;
        memset(e, 0, size);
        if (!(*(char **)e = strdup(name))) {
                fail(st, "out of memory");
                return NULL;
        }
        (*n)++;
        return e;
}

static struct kagi_zone *zone_find_or_add(struct parse_state *st, const char *name)
{
        struct kagi_config *c = st->c;
        size_t before = c->n_zones;
        struct kagi_zone *z = named_find_or_add(st, (void **)&c->zones, &c->n_zones, sizeof(*z), KAGI_ZONES_MAX,
                                                "zone", name);

        if (z && c->n_zones > before)
                z->mynumber = true;           /* the safe assumption: MFA-1 applies */
        return z;
}

static void *zone_section(struct parse_state *st, const char *name)
{
        return zone_find_or_add(st, name);
}

static void *role_section(struct parse_state *st, const char *name)
{
        struct kagi_config *c = st->c;
        size_t before = c->n_roles;
        struct kagi_role *r = named_find_or_add(st, (void **)&c->roles, &c->n_roles, sizeof(*r), KAGI_ROLES_MAX,
                                                "role", name);

        if (r && c->n_roles > before) {
                r->inline_request = true;
                r->card_removal = KAGI_CARD_REMOVAL_END;
                r->approval_wait = 24 * 3600;
                /* warned 10, 5 and 1 minutes before the end (those before
                 * a short session's start are skipped); "warn = none" for none */
                r->warn[0] = 600;
                r->warn[1] = 300;
                r->warn[2] = 60;
                r->n_warn = 3;
        }
        return r;
}

static void *shared_section(struct parse_state *st, const char *name)
{
        struct kagi_config *c = st->c;
        size_t before = c->n_shared;
        struct kagi_shared *sh = named_find_or_add(st, (void **)&c->shared, &c->n_shared, sizeof(*sh),
                                                   KAGI_SHARED_MAX, "shared", name);

        if (sh && c->n_shared > before)
                sh->max_sessions = 1;
        return sh;
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

/* An account name as a section name: what POSIX and directories allow. */
static bool valid_account_name(const char *s)
{
        if (!*s || strlen(s) > 64 || *s == '-')
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                      *s == '-' || *s == '_' || *s == '.' || *s == '@'))
                        return false;
        return true;
}

static const struct named {
        const char *prefix;                   /* "zone " … */
        const struct key *keys;
        bool (*valid)(const char *name);
        const char *rule;                     /* what a valid name is */
        void *(*section)(struct parse_state *st, const char *name);
} named_sections[] = {
        { "zone ", zone_keys, valid_zone_name, "zone names are 1-32 of a-z 0-9 - _", zone_section },
        { "role ", role_keys, valid_zone_name, "role names are 1-32 of a-z 0-9 - _", role_section },
        { "shared ", shared_keys, valid_account_name,
          "a shared ID's section is named for its account: 1-64 of a-z A-Z 0-9 . _ - @", shared_section },
};

static const struct named *named_of(const char *section)
{
        for (size_t i = 0; i < ARRAY_SIZE(named_sections); i++)
                if (strncmp(section, named_sections[i].prefix, strlen(named_sections[i].prefix)) == 0)
                        return &named_sections[i];
        return NULL;
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

        const struct named *nm = named_of(section);

        if (nm) {
                const char *sname = section + strlen(nm->prefix);

                if (!nm->valid(sname)) {
                        fail(st, "[%s]: %s", section, nm->rule);
                        return 0;
                }
                base = nm->section(st, sname);
                if (!base)
                        return 0;
                keys = nm->keys;
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
        c->max_connections = 1024;
        c->max_connections_per_uid = 32;
        c->root_connections = 256;
        c->request_timeout_ms = 2000;
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
        c->attempt_timeout = 120;
        c->totp_digits = 6;
        c->totp_step = 30;
        c->totp_window = 1;
        c->totp_issuer = strdup("kagi");
        c->card_ca_file = strdup("/etc/kagi/card-ca.pem");
        c->card_pin_timeout = 30;
        c->password_service = strdup("kagi-password");
        c->cgroup_root = strdup("kagi");
        c->card_wait = 30;
        /* the console and the display managers and screen lockers that run
         * there: where the person typing sits at the reader */
        if (strv_add_words(&c->card_local_services, KAGI_LOCAL_SERVICES_DEFAULT) < 0)
                return -ENOMEM;
        if (!c->socket || !c->database || !c->key_dir || !c->admin_group || !c->default_zone ||
            !c->totp_issuer || !c->card_ca_file || !c->password_service || !c->cgroup_root)
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

static void validate_roles(struct parse_state *st)
{
        const struct kagi_config *c = st->c;

        for (size_t i = 0; i < c->n_roles && !st->failed; i++) {
                const struct kagi_role *r = &c->roles[i];

                if (r->targets.n == 0)
                        fail(st, "[role %s]: targets: missing (the accounts it opens, e.g. targets = root)", r->name);
                else if (r->users.n == 0 && r->groups.n == 0)
                        fail(st, "[role %s]: nobody may hold it: set users or groups", r->name);
                else if (r->max_duration == 0)
                        fail(st, "[role %s]: max_duration: missing (the longest grant, e.g. max_duration = 2h)",
                             r->name);
                else if (r->approval && !r->approvers)
                        fail(st, "[role %s]: approvers: approval = yes needs the group whose members approve",
                             r->name);
                else if (strv_contains(&r->users, "*"))
                        fail(st, "[role %s]: users: a privileged role is held by named people, not \"*\" (PRIV-1)",
                             r->name);
        }
}

static void validate_shared(struct parse_state *st)
{
        const struct kagi_config *c = st->c;

        for (size_t i = 0; i < c->n_shared && !st->failed; i++) {
                const struct kagi_shared *sh = &c->shared[i];
                char buf[64];

                if (sh->users.n == 0 && sh->groups.n == 0) {
                        fail(st, "[shared %s]: nobody may use it: set users or groups (its members)", sh->name);
                        break;
                }
                for (size_t j = 0; j < sh->n_sets; j++)
                        if (!factor_set_is_multifactor(sh->sets[j])) {
                                factor_set_format(sh->sets[j], buf, sizeof(buf));
                                fail(st, "[shared %s]: factors: '%s' is single-factor: members prove "
                                     "themselves with two kinds (MFA-1, SID-2)", sh->name, buf);
                                break;
                        }
                for (size_t r = 0; r < c->n_roles && !st->failed; r++)
                        if (strv_contains(&c->roles[r].targets, sh->name))
                                fail(st, "[shared %s]: it is also a target of [role %s]; an account is one or "
                                     "the other", sh->name, c->roles[r].name);
        }
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
        if (c->attempt_timeout == 0) {
                fail(st, "attempt_timeout: must be a duration (a login begun must end some time)");
                return;
        }
        if (c->root_connections >= c->max_connections) {
                fail(st, "root_connections: must be less than max_connections (%u)", c->max_connections);
                return;
        }
        if (!config_zone(c, c->default_zone)) {
                fail(st, "default_zone: no [zone %s] section", c->default_zone);
                return;
        }
        validate_roles(st);
        validate_shared(st);
        if (st->failed)
                return;
        if (c->backend == KAGI_DIR_LDAP)
                validate_ldap(st);
}

static bool known_section(const char *name, size_t n)
{
        const struct named *nm;
        char buf[80];

        if (n >= sizeof(buf))
                return false;
        memcpy(buf, name, n);
        buf[n] = '\0';
        if ((nm = named_of(buf)))
                return nm->valid(buf + strlen(nm->prefix));
        for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
                if (strcmp(buf, sections[i].name) == 0)
                        return true;
        return false;
}

/* inih calls on_entry() for keys only, never for a section header, so an
 * unknown or repeated header without keys under it would slip through
 * there: look at the headers themselves first. */
static int headers_checked(const char *text, const char *name, char (*seen)[80], size_t max_seen, char *err,
                           size_t errsz)
{
        size_t n_seen = 0, line = 1;

        for (const char *p = text; *p; line++) {
                size_t len = strcspn(p, "\n");
                const char *s = p + strspn(p, " \t"), *close;

                if (*s == '[' && (close = memchr(s, ']', len - (size_t)(s - p)))) {
                        size_t n = (size_t)(close - s - 1);

                        if (!known_section(s + 1, n)) {
                                char head[80];
                                const struct named *nm;

                                snprintf(head, sizeof(head), "%.*s", (int)(n < sizeof(head) ? n : sizeof(head) - 1),
                                         s + 1);
                                nm = named_of(head);
                                snprintf(err, errsz, "%s:%zu: [%.*s]: %s", name, line, (int)(n > 64 ? 64 : n), s + 1,
                                         nm ? nm->rule : "unknown section");
                                return -EINVAL;
                        }
                        for (size_t i = 0; i < n_seen; i++)
                                if (strlen(seen[i]) == n && memcmp(seen[i], s + 1, n) == 0) {
                                        snprintf(err, errsz, "%s:%zu: [%.*s]: section appears twice", name,
                                                 line, (int)n, s + 1);
                                        return -EINVAL;
                                }
                        if (n_seen >= max_seen) {
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

static int check_section_headers(const char *text, const char *name, char *err, size_t errsz)
{
        const size_t max = KAGI_ZONES_MAX + KAGI_ROLES_MAX + KAGI_SHARED_MAX + 8;
        char (*seen)[80] = calloc(max, sizeof(*seen));
        int r;

        if (!seen) {
                snprintf(err, errsz, "%s: out of memory", name);
                return -ENOMEM;
        }
        r = headers_checked(text, name, seen, max, err, errsz);
        free(seen);
        return r;
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
                &c->card_reader, &c->password_service, &c->cgroup_root,
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
        for (size_t i = 0; i < c->n_roles; i++) {
                struct kagi_role *r = &c->roles[i];

                free(r->name);
                free(r->approvers);
                free(r->notify);
                strv_clear(&r->targets);
                strv_clear(&r->users);
                strv_clear(&r->groups);
        }
        free(c->roles);
        for (size_t i = 0; i < c->n_shared; i++) {
                free(c->shared[i].name);
                strv_clear(&c->shared[i].users);
                strv_clear(&c->shared[i].groups);
        }
        free(c->shared);
        free(c);
}

const struct kagi_role *config_role(const struct kagi_config *c, const char *name)
{
        for (size_t i = 0; i < c->n_roles; i++)
                if (strcmp(c->roles[i].name, name) == 0)
                        return &c->roles[i];
        return NULL;
}

const struct kagi_shared *config_shared(const struct kagi_config *c, const char *account)
{
        for (size_t i = 0; i < c->n_shared; i++)
                if (strcmp(c->shared[i].name, account) == 0)
                        return &c->shared[i];
        return NULL;
}

const struct kagi_zone *config_zone(const struct kagi_config *c, const char *name)
{
        for (size_t i = 0; i < c->n_zones; i++)
                if (strcmp(c->zones[i].name, name) == 0)
                        return &c->zones[i];
        return NULL;
}
