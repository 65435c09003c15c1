/* The LDAP directory backend's pieces, shared by its files and its tests.
 *
 *   ldap_text.c    pure: which user names may be looked up; directory text
 *                  made safe for logs, reports and JSON
 *   ldap_filter.c  pure: RFC 4515 escaping and the filters kagi sends
 *   ldap_entry.c   pure: what an entry's values mean (numbers, disabled, groups)
 *   ldap_map.c     attribute and filter mapping: schema defaults + overrides
 *   ldap_conn.c    connections: TLS, failover, binds, the timeout watchdog
 *   ldap.c         the backend's operations (struct directory_ops)
 *   ldap_list.c    the listing of every account, in paged searches
 */
#pragma once

#include <lber.h>
#include <ldap.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "directory_internal.h"

/* ---- ldap_text.c ------------------------------------------------------- */

#define LDAP_NAME_MAX 256                     /* bytes of a user name we look up */
#define LDAP_PASSWORD_MAX 1024                /* bytes of a password we send */

/* Length of the well-formed UTF-8 sequence at p (1-4), or 0 if there is none
 * (overlong forms, surrogates and code points above U+10FFFF are not). */
size_t ldap_text_utf8_seq(const uint8_t *p, size_t len);
/* A name kagi will put in a filter: 1..LDAP_NAME_MAX bytes of UTF-8 without
 * control characters or surrounding spaces. Returns 0 or -EINVAL. */
int ldap_text_name_check(const uint8_t *p, size_t len);
/* Copies directory text for display: invalid UTF-8 and control characters
 * become '?', and the copy is cut at a character boundary to fit out (always
 * NUL-terminated when outsz > 0). Returns the length written. */
size_t ldap_text_copy(const uint8_t *p, size_t len, char *out, size_t outsz);
/* Like ldap_text_copy for values that are compared, not shown (group names):
 * 0 only when the value is clean UTF-8 that fits; -EINVAL otherwise. */
int ldap_text_exact(const uint8_t *p, size_t len, char *out, size_t outsz);

/* ---- ldap_filter.c ------------------------------------------------------- */

/* RFC 4515: the value with every byte outside printable ASCII and each of
 * * ( ) \ written as \XX. Allocated; NULL when out of memory. */
char *ldap_filter_escape(const uint8_t *p, size_t len);
/* "(&FILTER(ATTR=escaped value))", or "(ATTR=escaped value)" when filter is
 * NULL. Returns 0 or -ENOMEM. */
int ldap_filter_build(const char *filter, const char *attr, const uint8_t *value, size_t len,
                      char **ret);

/* ---- ldap_map.c ---------------------------------------------------------- */

#define LDAP_MAP_ALTS 4                       /* attributes tried in order */

enum ldap_disabled_rule {
        LDAP_RULE_AD_UAC = 1u << 0,           /* userAccountControl & 0x2 */
        LDAP_RULE_AD_EXPIRES = 1u << 1,       /* accountExpires in the past */
        LDAP_RULE_SHADOW_EXPIRE = 1u << 2,    /* shadowExpire in the past (days) */
        LDAP_RULE_PPOLICY_LOCK = 1u << 3,     /* pwdAccountLockedTime = 000001010000Z */
};

/* What to ask the directory and how to read the answer. NULL strings are
 * "none": that part is not looked up. */
struct ldap_map {
        const char *user_attr;
        const char *user_filter;
        bool lowercase_names;
        const char *name_attrs[LDAP_MAP_ALTS + 1];        /* NULL-terminated */
        const char *department_attrs[LDAP_MAP_ALTS + 1];
        const char *uid_attr;
        const char *cert_attr;
        const char *group_base;
        const char *group_filter;
        const char *member_attr;
        const char *memberof_attr;
        const char *group_name_attr;
        const char *disabled_filter;
        uint32_t rules;                       /* enum ldap_disabled_rule */
        char *buf;                            /* storage for the split attribute lists */
};
/* Resolves the configuration against the schema's defaults. The map points
 * into c (keep c alive) and into map->buf. Returns 0 or -ENOMEM. */
int ldap_map_init(struct ldap_map *m, const struct kagi_config *c);
void ldap_map_clear(struct ldap_map *m);
/* The attributes one user search asks for (NULL-terminated, into m). */
#define LDAP_MAP_ATTRS_MAX 24
size_t ldap_map_user_attrs(const struct ldap_map *m, const char *out[LDAP_MAP_ATTRS_MAX]);

/* ---- ldap_entry.c --------------------------------------------------------- */

#define LDAP_VALUE_MAX (64 * 1024)            /* bytes of one value we read */
#define LDAP_GROUPS_MAX 1024
#define LDAP_CERTS_MAX 16

/* Strict integers as LDAP INTEGER syntax writes them ("-1", "512"). */
int ldap_entry_int64(const uint8_t *p, size_t len, int64_t *ret);
/* uidNumber: 0..2^32-2; -EINVAL otherwise. */
int ldap_entry_uid(const uint8_t *p, size_t len, uid_t *ret);

/* The values of one user entry that decide whether it is disabled. NULL
 * (absent) values mean "nothing says so". */
struct ldap_state_values {
        const struct berval *uac;             /* userAccountControl */
        const struct berval *account_expires; /* AD FILETIME, 100 ns since 1601 */
        const struct berval *shadow_expire;   /* days since 1970 */
        const struct berval *pwd_locked;      /* pwdAccountLockedTime */
};
/* Is the account disabled at `now` (unix seconds) by the rules? A value that
 * cannot be read counts as disabled: fail closed. */
bool ldap_entry_disabled(uint32_t rules, const struct ldap_state_values *v, int64_t now);
/* The value of a DN's first RDN, e.g. "Kagi Admins, Tokyo" from
 * "CN=Kagi Admins\2C Tokyo,OU=…", for memberOf-style group lists.
 * -EINVAL for what is not a DN of a name, -ENOMEM. */
int ldap_entry_dn_name(const uint8_t *p, size_t len, char *out, size_t outsz);
/* Does one of the user attribute's values name this user? Exactly, or after
 * ASCII lower-casing the directory's value when names are lower case. */
bool ldap_entry_names_user(const struct berval *const *vals, const char *user, bool lowercase);
/* The name an entry's user attribute gives its person, in out: the one
 * value, lower-cased when names are lower case, if a lookup of that name
 * would find this entry to be someone (ldap_entry_names_user) and the name
 * could be asked at all (ldap_text_name_check). -EINVAL: nobody. */
int ldap_entry_user_name(const struct berval *const *vals, bool lowercase, char *out, size_t outsz);
/* A user attribute's value as the directory compares names (uid and
 * sAMAccountName ignore case): ASCII lower-cased. NULL when out of memory. */
char *ldap_entry_name_key(const uint8_t *p, size_t len);
/* A DN as the directory compares a member value with it: normalised by
 * libldap (spacing, escapes), then ASCII lower-cased, as the naming
 * attributes of users (uid, cn, ou, dc; AD's all) ignore case. 0, -EINVAL
 * for what is not a DN, -ENOMEM. */
int ldap_entry_dn_key(const uint8_t *p, size_t len, char **ret);
/* Adds a group name (no duplicates) to the account. 0, -E2BIG, -ENOMEM. */
int ldap_entry_add_group(struct strv *groups, const char *name);

/* ---- ldap_conn.c --------------------------------------------------------------- */

struct ldap_guard;

struct ldap_conn {
        LDAP *ld;
        const char *uri;                      /* the configured URI it reached */
        int sock;                             /* our dup of its socket, for the guard */
        bool service;                         /* binds as the service identity */
        struct ldap_guard *guard;
        struct ldap_conncb cb;                /* tells us the socket when libldap connects */
};

struct ldap_link {
        const struct kagi_config *cfg;
        char *bind_password;                  /* secret; NULL without bind_dn */
        struct ldap_guard *guard;
        struct ldap_conn svc;                 /* searches, bound as the service */
        struct ldap_conn usr;                 /* password checks only */
};

/* Reads the password file and checks the TLS files; starts the watchdog.
 * Connects nothing yet. */
int ldap_link_open(struct ldap_link *l, const struct kagi_config *c, char *err, size_t errsz);
void ldap_link_close(struct ldap_link *l);
/* Connected (trying every URI in order) and, for the service connection,
 * bound. Returns 0 or a negative errno for an unavailable directory. */
int ldap_conn_ready(struct ldap_link *l, struct ldap_conn *c);
void ldap_conn_drop(struct ldap_link *l, struct ldap_conn *c);

/* One search on the service connection, bounded by the timeout and the
 * watchdog; reconnects once when a kept connection turns out dead. Returns
 * 0, 1 when the size limit cut the answer short, or a negative errno; the
 * result is freed with ldap_msgfree. */
int ldap_link_search(struct ldap_link *l, const char *base, int scope, const char *filter,
                     const char **attrs, int sizelimit, LDAPMessage **ret);
/* One page of a paged search (RFC 2696) on the service connection, with no
 * size limit of ours. *cookie: empty for the first page; on return the
 * server's cookie for the next one, empty after the last (free it with
 * ber_memfree). A page is one network step, bounded like a search. Returns
 * 0, -E2BIG when the server's own size limit cut the answer short, or a
 * negative errno. */
int ldap_link_search_page(struct ldap_link *l, const char *base, int scope, const char *filter,
                          const char **attrs, int page_size, struct berval *cookie, LDAPMessage **ret);
/* Simple bind as dn on the password connection, TLS only.
 * 0: right; -EACCES: invalid credentials; other negative: unavailable. */
int ldap_link_check_password(struct ldap_link *l, const char *dn, const char *password);

/* ---- ldap.c ---------------------------------------------------------------------------- */

struct ldap_dir {
        const struct kagi_config *cfg;
        struct ldap_map map;
        struct ldap_link link;
};

/* What a lookup learns from a user entry (userdata: the struct dir_account),
 * memberof_attr's groups included. 0 or -ENOMEM. */
int ldap_read_account(struct ldap_dir *d, LDAP *ld, LDAPMessage *e, const char *dn, void *userdata);
/* The group's name, as a group search reads it: 0, or -EINVAL for none usable. */
int ldap_read_group_name(const struct ldap_map *m, LDAP *ld, LDAPMessage *e, char *out, size_t outsz);
/* Does the entry hold a certificate directory_certificates would return? */
bool ldap_read_has_cert(struct ldap_dir *d, LDAP *ld, LDAPMessage *e);

/* ---- ldap_list.c ----------------------------------------------------------------------- */

#define LDAP_PAGE_SIZE 500                    /* under AD's MaxPageSize (1000) */
#define LDAP_LIST_MAX (1 << 20)               /* entries of one listing */

/* directory_ops.list: every account, answered as lookups of them would be. */
int ldap_list(void *h, dir_list_cb cb, void *userdata);
