/* libkagi-policy: kagi.conf and the pure decisions made from it.
 *
 * config.c parses the text (pure, fuzzed); config_load.c reads the file and
 * refuses one that others could have written; lockout.c and zone.c answer
 * questions without any I/O.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define KAGI_CONFIG_MAX (256 * 1024)
#define KAGI_ZONE_MAX_SETS 8
#define KAGI_ZONES_MAX 64
#define KAGI_ROLES_MAX 64
#define KAGI_SHARED_MAX 256
#define KAGI_WARN_MAX 8

struct strv {
        char **v;
        size_t n;
};
#define STRV_MAX 1024
bool strv_contains(const struct strv *s, const char *x);
/* Adds a copy of x unless it is there already; -E2BIG beyond STRV_MAX. */
int strv_add(struct strv *s, const char *x);
void strv_clear(struct strv *s);

enum kagi_dir_backend { KAGI_DIR_NSS, KAGI_DIR_LDAP };
enum kagi_lang { KAGI_LANG_EN, KAGI_LANG_JA };
enum kagi_ldap_schema { KAGI_LDAP_OPENLDAP, KAGI_LDAP_AD };

struct kagi_zone {
        char *name;
        uint32_t sets[KAGI_ZONE_MAX_SETS];   /* accepted factor sets */
        size_t n_sets;
        bool mynumber;                        /* My Number zone: MFA-1 applies */
        struct strv users;                    /* may log in; "*" = any account */
        struct strv groups;                   /* members of these may log in */
        bool one_terminal;                    /* a person on one terminal at a time */
};

enum kagi_card_removal {
        KAGI_CARD_REMOVAL_IGNORE,             /* the session goes on without the card */
        KAGI_CARD_REMOVAL_END,                /* pulling the card ends the session (PRIV-5) */
};

/* [role NAME]: privileged access by grant (PRIV-1, PRIV-2, PRIV-4). */
struct kagi_role {
        char *name;
        struct strv targets;                  /* the accounts it opens (root, dbadmin …) */
        struct strv users;                    /* who may hold it */
        struct strv groups;                   /* members of these may hold it */
        uint64_t max_duration;                /* seconds: the longest grant */
        bool approval;                        /* another person must approve */
        char *approvers;                      /* the group approvers belong to */
        uint64_t approval_wait;               /* seconds a request waits before it lapses */
        char *notify;                         /* run for requests (absolute path), or NULL */
        bool break_glass;                     /* a holder may activate without approval */
        bool inline_request;                  /* su / sudo may ask for a grant inline */
        uint64_t warn[KAGI_WARN_MAX];         /* seconds before the end, largest first */
        size_t n_warn;
        enum kagi_card_removal card_removal;
};

/* [shared NAME]: a shared ID (共用ID, SID-1, SID-2): NAME is the account. */
struct kagi_shared {
        char *name;
        struct strv users;                    /* members */
        struct strv groups;                   /* members of these are members */
        uint32_t max_sessions;                /* in use at once */
        uint32_t sets[KAGI_ZONE_MAX_SETS];    /* factor sets members use; none: the zone's */
        size_t n_sets;
};

struct lockout_rule {
        uint32_t threshold;                   /* consecutive failures that lock */
        uint64_t unlock_after;                /* seconds; 0 = only an admin unlocks */
};

struct kagi_config {
        char *path;

        /* [broker] */
        char *socket;
        char *database;
        char *key_dir;
        char *admin_group;
        char *default_zone;
        uint32_t workers;
        uint32_t max_connections;             /* open at once, all peers */
        uint32_t max_connections_per_uid;     /* for each peer that is not root */
        uint32_t root_connections;            /* of max_connections, kept for root */
        uint32_t request_timeout_ms;          /* to deliver one whole request */
        enum kagi_lang language;
        char *contact;                        /* whom a locked-out user should call */
        char *broker_user;                    /* kagid's account when not root (config_broker_uid) */

        /* [pam] (read by pam_kagi.so) */
        uint32_t pam_timeout;                 /* seconds to wait for the broker */

        /* [directory] */
        enum kagi_dir_backend backend;
        struct strv ldap_uri;
        char *ldap_base;
        char *ldap_bind_dn;
        char *ldap_bind_password_file;
        char *ldap_ca_file;
        char *ldap_cert_file;                 /* client certificate for SASL EXTERNAL */
        char *ldap_key_file;
        bool ldap_starttls;
        bool ldap_sasl_external;
        uint32_t ldap_timeout;
        uint32_t directory_cache_ttl;         /* [directory] cache_ttl, every backend */
        enum kagi_ldap_schema ldap_schema;
        /* Mapping: NULL means the schema's default (broker/directory/ldap_map.c); the
         * value "none" turns a lookup off where that makes sense. */
        char *ldap_user_attr;
        char *ldap_user_filter;
        char *ldap_group_base;
        char *ldap_group_filter;
        char *ldap_member_attr;               /* group attribute listing member DNs */
        char *ldap_memberof_attr;             /* user attribute listing group DNs */
        char *ldap_group_name_attr;
        char *ldap_name_attr;                 /* space separated: first present wins */
        char *ldap_department_attr;           /* likewise */
        char *ldap_uid_attr;
        char *ldap_cert_attr;
        char *ldap_disabled_filter;           /* an entry matching it is disabled */
        int8_t ldap_lowercase_names;          /* -1: schema default, 0 no, 1 yes */

        /* [lockout] */
        struct lockout_rule lockout;
        struct lockout_rule privileged;
        struct strv privileged_groups;
        char *lock_message;                   /* overrides the built-in text */
        uint64_t attempt_timeout;             /* seconds a login begun at preauth may take */

        /* [totp] */
        uint32_t totp_digits;
        uint32_t totp_step;
        uint32_t totp_window;
        char *totp_issuer;

        /* [card] */
        char *card_ca_file;
        struct strv card_crl_files;
        uint32_t card_pin_timeout;
        uint32_t card_wait;                   /* seconds to wait for a card */
        char *card_reader;                    /* substring of the reader name; NULL = any */
        struct strv card_local_services;      /* PAM services run at the reader (login_place) */

        char *password_service;               /* [broker]: the PAM service kagid checks passwords with */
        char *cgroup_root;                    /* [broker]: kagi's cgroups, below the cgroup2 mount */
        bool session_cgroups_all;             /* [broker] session_cgroups = all (else privileged) */

        struct kagi_zone *zones;
        size_t n_zones;
        struct kagi_role *roles;
        size_t n_roles;
        struct kagi_shared *shared;
        size_t n_shared;
};

/* Pure: parse the text of a config file. `name` is only used in messages.
 * On error returns -EINVAL and writes "NAME:LINE: key: why" to err. */
int config_parse(const uint8_t *buf, size_t len, const char *name,
                 struct kagi_config **ret, char *err, size_t errsz);
/* Read and parse a file that only root (or `owner`) can write. */
int config_load(const char *path, uid_t owner, struct kagi_config **ret, char *err, size_t errsz);
/* A file (or directory) kagi trusts: owned by root or `owner`, not group or
 * world writable. Returns 0 or -EPERM with the reason in err. */
int config_check_file(int fd, const char *path, uid_t owner, char *err, size_t errsz);
/* Who may serve kagid's socket: root, or the account [broker] user names (a
 * name, or a number). pam_kagi.so and kagictl refuse a socket served by
 * anyone else; kagid refuses to run as anyone else. Looks the name up
 * (getpwnam_r): 0 with *ret_uid (0 when no user is set), or -ENOENT with the
 * reason in err. */
int config_broker_uid(const struct kagi_config *c, uid_t *ret_uid, char *err, size_t errsz);
void config_free(struct kagi_config *c);
static inline void config_freep(struct kagi_config **c) { config_free(*c); *c = NULL; }

const struct kagi_zone *config_zone(const struct kagi_config *c, const char *name);
const struct kagi_role *config_role(const struct kagi_config *c, const char *name);
const struct kagi_shared *config_shared(const struct kagi_config *c, const char *account);

/* ---- decisions (pure) ---------------------------------------------------- */

/* Which factors to collect for a login in zone z, given what the stack has
 * already proved (a password checked by the module before kagi), whether a
 * card is present, and whether the broker itself can check passwords.
 * Returns 0 with the mask to collect, or -EACCES when no accepted set can be
 * completed this way. Card sets are preferred when a card is in the reader. */
int zone_factors_to_collect(const struct kagi_zone *z, uint32_t proved, bool card_present,
                            bool broker_checks_password, uint32_t *ret_collect);
/* Where the person logging in is, as far as a card can tell. A card in the
 * reader proves possession only for the person sitting at it: a login is
 * LOGIN_LOCAL when it has no remote host (PAM_RHOST unset or empty) and its
 * service is one of [card] local_services (the console, display managers,
 * screen lockers). Anything else is remote: sshd and telnet logins, su and
 * sudo (they run wherever their caller is, an ssh session included), and any
 * service nobody listed. For a remote login the reader is never touched and
 * card sets are never offered. */
enum login_place {
        LOGIN_LOCAL,
        LOGIN_REMOTE_HOST,                    /* PAM_RHOST names a host */
        LOGIN_SERVICE_NOT_LOCAL,              /* not in [card] local_services */
};
#define KAGI_LOCAL_SERVICES_DEFAULT                                                                    \
        "login gdm-password gdm-smartcard lightdm sddm xdm kde xscreensaver cinnamon-screensaver "     \
        "mate-screensaver xfce4-screensaver i3lock swaylock vlock physlock"
enum login_place login_place(const struct kagi_config *c, const char *service, const char *rhost);
/* Does the verified mask complete one of the zone's accepted sets? */
bool zone_satisfied(const struct kagi_zone *z, uint32_t verified);
/* MFA-1: a set is multi-factor when it holds a knowledge and a possession
 * factor, and a PIN only with its card. */
bool factor_set_is_multifactor(uint32_t set);
/* Does the zone (any zone) accept a card? */
bool zone_accepts_cards(const struct kagi_zone *z);
bool config_uses_cards(const struct kagi_config *c);
/* ACC-1: may this account log in here? groups = the account's groups. */
bool zone_admits(const struct kagi_zone *z, const char *user, const struct strv *groups);

/* ---- privileged roles and shared IDs (role.c) ------------------------------ */

/* Does the role open this account? Is the account any role's target? */
bool role_opens(const struct kagi_role *r, const char *account);
bool config_is_target(const struct kagi_config *c, const char *account);
/* May the person (with their directory groups) hold the role? */
bool role_held_by(const struct kagi_role *r, const char *person, const struct strv *groups);

enum grant_verdict {
        GRANT_ACTIVE,                         /* allowed: active from now */
        GRANT_PENDING,                        /* allowed: waits for an approver */
        GRANT_NO_DURATION,
        GRANT_TOO_LONG,                       /* above max_duration: refused, never shortened */
        GRANT_NO_BREAK_GLASS,
        GRANT_SELF_APPROVAL,
        GRANT_NOT_APPROVER,
};
/* A request for `duration` seconds (break-glass or not) by a holder. */
enum grant_verdict role_request_check(const struct kagi_role *r, uint64_t duration, bool break_glass);
/* May approver (with their groups) approve what requester asked? GRANT_ACTIVE: yes. */
enum grant_verdict role_approval_check(const struct kagi_role *r, const char *approver, const struct strv *groups,
                                       const char *requester);
const char *grant_verdict_text(enum grant_verdict v);
/* The same as a user reads it, in lang (the audit log keeps the English). */
const char *grant_verdict_words(enum grant_verdict v, enum kagi_lang lang);
/* What a user is told of a duration that is none ("1 hour", "soon"). */
const char *grant_duration_unreadable(enum kagi_lang lang);
/* Is the person a member of the shared ID? */
bool shared_member(const struct kagi_shared *sh, const char *person, const struct strv *groups);

/* Lockout. `failures` counts consecutive failures, settled and durable;
 * attempts in flight are counted by the caller (kagid holds them). */
struct lock_state {
        uint32_t failures;
        int64_t locked_at;                    /* unix time; 0 = not locked */
};

enum lock_step {
        LOCK_PROCEED,                         /* verify now */
        LOCK_REFUSE,                          /* locked: verify nothing */
        LOCK_BUSY,                            /* every attempt still allowed is in flight */
};
/* Before verifying: may one more attempt start while in_flight are under way? */
enum lock_step lockout_may_try(const struct lockout_rule *r, const struct lock_state *st, unsigned in_flight,
                               int64_t now);

/* What a settle tells the caller to record: */
enum lock_event {
        LOCK_EV_NONE,
        LOCK_EV_AUTO_UNLOCKED,                /* unlock_after elapsed */
        LOCK_EV_LOCKED,                       /* this call locked the account */
};
/* After verifying, or for a failure checked elsewhere (authfail, the card's
 * PIN): success clears everything; a failure is counted and the one at the
 * threshold locks. An elapsed unlock_after unlocks first. */
void lockout_settle(const struct lockout_rule *r, struct lock_state *st, bool success, int64_t now,
                    enum lock_event *ret_event);
/* Is the account locked at `now` (unlock_after considered)? */
bool lockout_is_locked(const struct lockout_rule *r, const struct lock_state *st, int64_t now);

/* ---- what users are told (messages.c) -------------------------------------
 * The broker chooses the message, the module only shows it; both use this
 * catalog so the language setting holds for every line a user reads. */
enum msg_id {
        MSG_AUTH_FAILED,
        MSG_LOCKED,
        MSG_NOW_LOCKED,
        MSG_DISABLED,
        MSG_NOT_PERMITTED,
        MSG_NO_METHOD,
        MSG_REPLAY,
        MSG_UNAVAILABLE,
        MSG_INTERNAL,
        MSG_INSERT_CARD,
        MSG_CARD_REFUSED,
        MSG_CARD_REVOKED,
        MSG_CARD_SHARED,
        MSG_PIN_WRONG,          /* {n}: tries left on the card */
        MSG_PIN_LAST_TRY,
        MSG_PIN_BLOCKED,
        MSG_CARD_ABORTED,
        MSG_NO_READER,
        MSG_PROMPT_PASSWORD,
        MSG_PROMPT_CODE,
        MSG_PROMPT_PIN,
        MSG_BUSY,               /* every attempt still allowed is in flight */
        MSG_NO_INDIVIDUAL,      /* a role's target, logged into with no person proved */
        MSG_NEED_GRANT,         /* {name}: the role to ask for */
        MSG_GRANT_PENDING,      /* {n}: the request, {name}: the approver group */
        MSG_GRANT_REFUSED,      /* {name}: why */
        MSG_PROMPT_REASON,      /* {name}: the role */
        MSG_PROMPT_DURATION,    /* {n}: the role's longest grant in minutes */
        MSG_PROMPT_PERSON_PASSWORD, /* {name}: the person behind su/sudo */
        MSG_PROMPT_PERSON_CODE,
        MSG_NO_BOUND,           /* a privileged session nothing can bound here */
        MSG_SESSION_WARN,       /* {n}: minutes left, {name}: the grant */
        MSG_SESSION_ENDED,      /* {name}: why */
        MSG_ABANDONED,          /* a prompt got no answer or an empty one */
        MSG_CODE_IS_PASSWORD,   /* the code prompt was answered with the password */
        MSG_PRESS_ENTER,        /* ends a refusal carried in an ssh prompt */
        MSG_PROMPT_PERSONAL_ID, /* a shared ID: whose factors are these? */
        MSG_NOT_MEMBER,         /* {name}: the shared ID */
        MSG_IN_USE,             /* {name}: since when, where, by whom */
        MSG_ONE_TERMINAL,       /* {name}: since when, where */
        MSG_CARD_IN_USE,        /* {name}: since when, where */
        MSG_ID_MAX_
};
/* The text in the configured language; {contact} and {n} are filled in. A
 * NULL config gives the English text with the default contact. */
void message_format(const struct kagi_config *c, enum msg_id id, unsigned n, char *buf, size_t size);
/* The same with {name} filled in (a role, a person, a reason). */
void message_format_name(const struct kagi_config *c, enum msg_id id, unsigned n, const char *name, char *buf,
                         size_t size);
