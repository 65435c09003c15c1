/* libkagi-store: kagid's durable state and the audit chain, in SQLite.
 *
 *   store.c     opening (WAL, synchronous=FULL), the statements
 *   commit.c    explicit transactions, concurrent ones sharing one commit
 *   accounts.c  lock state and last results per account; what kagi knows of one
 *   totp.c      TOTP enrollments (sealed secrets, last accepted step)
 *   sessions.c  login sessions
 *   cards.c     the card registry (CARD-1..3)
 *   grants.c    privileged grants (PRIV-1, PRIV-2, PRIV-4)
 *   audit.c     the append-only, HMAC-SHA256 chained audit log (LOG-1..3)
 *   review.c    the account review's questions (read-only, aggregated in SQL)
 *
 * The interface speaks kagi's records, never SQL: a second backend
 * (PostgreSQL) is a folder of its own behind this header. Writers hold a
 * transaction (store_begin … store_commit); a commit is on disk before it
 * returns. Never: interprets policy, asks the directory, or sees a secret in
 * clear (TOTP secrets arrive sealed).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common.h"
#include "policy.h"

struct store;
/* Opens (creating) the database; one connection per thread. The file and its
 * directory must not be writable by others. */
int store_open(const char *path, uid_t owner, struct store **ret, char *err, size_t errsz);
void store_close(struct store *s);
/* A write transaction. Transactions run one at a time (read-modify-write
 * is safe) and see everything committed or written before them; concurrent
 * ones share one commit (group commit, commit.c). store_commit returns once
 * the transaction is on disk — or fails, and then nothing of it was kept. */
int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);
/* Between store_begin and its commit or rollback (holding the write lock). */
bool store_in_transaction(const struct store *s);

/* ---- accounts (accounts.c) ------------------------------------------------- */
int store_lock_get(struct store *s, const char *user, struct lock_state *ret);
int store_lock_put(struct store *s, const char *user, const struct lock_state *st);
int store_note_result(struct store *s, const char *user, bool success, int64_t now);
/* The lock state names unknown to the directory share: bucket < STORE_UNKNOWN_BUCKETS.
 * Failing with names that exist nowhere must look like failing with real
 * ones, without a row for every name anyone types. */
#define STORE_UNKNOWN_BUCKETS 4096
int store_unknown_lock_get(struct store *s, uint32_t bucket, struct lock_state *ret);
int store_unknown_lock_put(struct store *s, uint32_t bucket, const struct lock_state *st);

/* For user list/show: every account kagi holds any state about. */
typedef int (*store_user_cb)(void *userdata, const char *user);
int store_users(struct store *s, store_user_cb cb, void *userdata);
struct user_state {
        struct lock_state lock;
        int64_t last_success;
        int64_t last_failure;
        bool totp_enrolled;
        int64_t totp_enrolled_at;
        int totp_last_skew;
};
int store_user_state(struct store *s, const char *user, struct user_state *ret);

/* ---- TOTP enrollments (totp.c) --------------------------------------------- */
struct totp_row {
        uint8_t *sealed;
        size_t sealed_len;
        uint64_t last_counter;
        int64_t enrolled_at;
};
int store_totp_get(struct store *s, const char *user, struct totp_row *ret);  /* -ENOENT */
void totp_row_clear(struct totp_row *r);
int store_totp_put(struct store *s, const char *user, const uint8_t *sealed, size_t len, int64_t now);
int store_totp_accept(struct store *s, const char *user, uint64_t counter, int skew);
int store_totp_delete(struct store *s, const char *user);  /* -ENOENT */

/* ---- sessions (sessions.c) ------------------------------------------------- */
/* A live session and, once ended, its record. */
struct session_row {
        char id[65];
        char account[257];                    /* the account logged into */
        char person[257];                     /* who, behind it */
        char service[65];
        char terminal[600];
        int64_t pid;                          /* the process that opened it */
        int64_t started, ended;               /* unix time; ended 0 while live */
        char state[16];                       /* registered, open, ending, ended */
        char tty[257];                        /* PAM_TTY, for warnings */
        int64_t tty_uid;                      /* who must own that tty; -1: none */
        int64_t grant;                        /* the grant it runs under; 0: none */
        char role[64];
        int64_t deadline;                     /* unix time it must end; 0: none */
        char cgroup[512];                     /* its own cgroup; "" when it has none */
        char mechanism[32];                   /* what made the cgroup */
        char card[65];                        /* the card that opened it (fingerprint) */
        char reader[129];                     /* in this reader */
        bool card_ends;                       /* pulling the card ends it */
        int64_t warned;                       /* when it was last warned */
        char end_how[128];                    /* logout, expired, revoked, card removed, ended, gone */
        char end_by[257];
        int64_t last_gone;                    /* when its last process was gone */
        int64_t pid_start;                    /* pid's start time (clock ticks since boot) */
};
int store_session_add(struct store *s, const struct session_row *r);
int store_session_get(struct store *s, const char *id, struct session_row *ret);  /* -ENOENT */
/* Writes what changes over a session's life (pid, times, state, deadline,
 * warned, how it ended, cgroup). */
int store_session_put(struct store *s, const struct session_row *r);
typedef int (*store_session_cb)(void *userdata, const struct session_row *r);
/* Sessions not ended, oldest first; or those of one grant. */
/* What kagid's session watcher changes (state, ended, how and by whom,
 * warned, last_gone), never undoing what a request changed since it read
 * the row: states only move on, and how it ended is kept once set. */
int store_session_watched(struct store *s, const struct session_row *r);
int store_sessions_live(struct store *s, store_session_cb cb, void *userdata);
/* Sessions logged out whose cgroup may still hold processes (not yet seen
 * gone): what a restarted kagid still watches and ends. */
int store_sessions_left(struct store *s, store_session_cb cb, void *userdata);
int store_sessions_of_grant(struct store *s, int64_t grant, store_session_cb cb, void *userdata);

/* ---- the card registry (cards.c) ------------------------------------------- */
struct card_row {
        char fingerprint[65];                 /* SHA-256 of the certificate, lower-case hex */
        char serial[129];
        char subject[512];
        char issuer[512];
        char account[257];
        char state[16];                       /* active, retired, revoked */
        int64_t registered;
        int64_t not_after;
        int64_t changed;                      /* when retired or revoked */
        char reason[1024];
};
int store_card_get(struct store *s, const char *fingerprint, struct card_row *ret);  /* -ENOENT */
/* Registers c (fingerprint, serial, subject, issuer, account, not_after) as active. */
int store_card_add(struct store *s, const struct card_row *c, int64_t now);
/* Returns how many cards were retired. */
int store_card_retire_others(struct store *s, const char *account, const char *keep, int64_t now);
int store_card_revoke(struct store *s, const char *fingerprint, const char *reason, int64_t now); /* -EALREADY */
int store_card_by_serial(struct store *s, const char *serial, char fingerprint[65], size_t *ret_matches);
typedef int (*store_card_cb)(void *userdata, const struct card_row *c);
int store_cards(struct store *s, const char *account, store_card_cb cb, void *userdata);

/* ---- privileged grants (grants.c) ------------------------------------------ */
struct grant_row {
        int64_t id;                           /* set by store_grant_add */
        char role[64];
        char person[257];
        char reason[1024];
        int64_t requested;                    /* seconds asked for */
        bool break_glass;
        char state[16];                       /* pending, active, denied, revoked, expired */
        int64_t created;
        char approver[257];                   /* who approved or denied */
        int64_t decided;
        char decision_reason[1024];
        int64_t starts, ends;                 /* unix time; ends is the deadline */
        int64_t extended;                     /* seconds added by extensions */
        int64_t pending_extension;            /* seconds asked for, waiting for approval */
        char extension_reason[1024];
        int64_t closed;                       /* when revoked, expired or denied */
        char closed_by[257];
        char closed_reason[1024];
};
int store_grant_add(struct store *s, struct grant_row *g);
int store_grant_get(struct store *s, int64_t id, struct grant_row *ret);   /* -ENOENT */
/* Writes every field that changes over a grant's life (state on). */
int store_grant_put(struct store *s, const struct grant_row *g);
/* The person's active grant of role at now, the one ending last; -ENOENT. */
int store_grant_active(struct store *s, const char *person, const char *role, int64_t now, struct grant_row *ret);
typedef int (*store_grant_cb)(void *userdata, const struct grant_row *g);
/* Grants of person, in state, of role (each NULL: any), oldest first. */
int store_grants(struct store *s, const char *person, const char *state, const char *role, store_grant_cb cb,
                 void *userdata);
/* Active grants whose end is at or before now. */
int store_grants_due(struct store *s, int64_t now, store_grant_cb cb, void *userdata);

/* ---- the audit log (audit.c) ----------------------------------------------- */
struct audit_record {
        int64_t seq;                          /* set by audit_append */
        int64_t time_us;                      /* UTC, microseconds; set by audit_append if 0 */
        const char *event;                    /* auth, lock, unlock, login, logout, enroll … */
        const char *account;
        const char *person;                   /* who, behind the account */
        const char *terminal;
        const char *service;
        const char *factor;
        const char *result;                   /* success, failure, denied, … */
        const char *reason;
        const char *session;
};
/* Reasons kagid records that the account review reads back (SID-1): a
 * refused login to a shared ID at the account phase or the session's. */
#define AUDIT_IN_USE "in use:"                /* "in use: N session(s) allowed, session … of … on …" */
#define AUDIT_NO_MEMBER "a shared ID, with no member named"
#define AUDIT_NOT_MEMBER "not a member of the shared ID"
/* Inside the caller's transaction: chains r to the newest record. Refuses
 * (-EBADMSG) to append onto a head that does not verify. */
int audit_append(struct store *s, const uint8_t key[KAGI_KEY_LEN], struct audit_record *r);

struct audit_verdict {
        bool ok;
        int64_t records;                      /* records checked */
        int64_t first_bad;                    /* seq of the first bad record, 0 if none */
        char why[256];
};
/* The whole chain and its head, read as of one moment. */
int audit_verify(struct store *s, const uint8_t key[KAGI_KEY_LEN], struct audit_verdict *ret);
typedef int (*audit_cb)(void *userdata, const struct audit_record *r);
/* Records from since_us on (0: all), in order; the strings live for the callback. */
int audit_each(struct store *s, int64_t since_us, audit_cb cb, void *userdata);

/* ---- the account review (review.c) ------------------------------------------
 * Read-only questions for kagictl report review, each answered by one pass
 * over the store aggregated in SQL (10,000 accounts and a year of audit
 * records in well under a second each). They run on this store's own
 * connection, never the write connection, and refuse (-EBUSY) inside a
 * transaction: a review never holds up a login. Times are unix seconds; a
 * period [from, until] includes both ends. The strings a callback gets live
 * for the callback. */

/* One snapshot for every question asked between them: a read transaction,
 * which writers do not wait for, and the audit records up to `until` that
 * the questions read, copied once into the connection's temporary storage
 * (dropped by store_review_end). The questions' `until` may not be later. */
int store_review_begin(struct store *s, int64_t until);
void store_review_end(struct store *s);

struct review_account {
        const char *name;
        struct lock_state lock;               /* now */
        int64_t last_success;                 /* last login up to `until`; 0: none */
        int64_t last_failure;                 /* last counted failure up to `until`; 0: none */
        int64_t first_seen;                   /* its first login, failure, enrollment or card; 0: none */
        bool totp;                            /* a TOTP secret is enrolled */
        unsigned active_cards;
};
typedef int (*store_review_account_cb)(void *userdata, const struct review_account *a);
/* Every account kagi holds state for (lock state, TOTP, cards), and the
 * n_also names of also[] whether it does or not, by name, once each. */
int store_review_accounts(struct store *s, int64_t until, const char *const *also, size_t n_also,
                          store_review_account_cb cb, void *userdata);

struct review_day {
        int64_t day;                          /* days since 1970-01-01 at the offset */
        uint32_t logins, failures, locks;
};
typedef int (*store_review_day_cb)(void *userdata, const struct review_day *d);
/* The days of the period that have any, in order; days at offset_seconds east of UTC. */
int store_review_days(struct store *s, int64_t from, int64_t until, int offset_seconds, store_review_day_cb cb,
                      void *userdata);

#define REVIEW_LOCK_FAILURES 16               /* at most the last so many failures of a lock */
struct review_failure {
        int64_t time;
        char factor[64];
        char terminal[600];
};
struct review_lock {
        char account[257];
        int64_t locked_at;
        int64_t unlocked_at;                  /* 0: not unlocked by `until` */
        char unlocked_by[257];                /* the unlock record's person */
        char unlock_service[65];              /* its service: "kagictl" for an administrator */
        char unlock_reason[1025];
        /* the failures since the account's previous login, lock or unlock,
         * the last REVIEW_LOCK_FAILURES of them, oldest first */
        struct review_failure failures[REVIEW_LOCK_FAILURES];
        size_t n_failures;
};
typedef int (*store_review_lock_cb)(void *userdata, const struct review_lock *l);
/* Each lock the audit log holds that overlaps the period (locked by its
 * end, and not unlocked before its start), in the order they happened. */
int store_review_locks(struct store *s, int64_t from, int64_t until, store_review_lock_cb cb, void *userdata);

struct review_card {
        struct card_row card;
        char replaced_by[129];                /* retired: serial of the card that replaced it, or "" */
        char revoked_by[257];                 /* revoked: who revoked it, or "" when no record says */
        unsigned tried_after;                 /* revoked: refused attempts with it in the period, after */
        unsigned accepted_after;              /* revoked: successes with it in the period, after */
};
typedef int (*store_review_card_cb)(void *userdata, const struct review_card *c);
/* Every card of the registry, by account and registration. */
int store_review_cards(struct store *s, int64_t from, int64_t until, store_review_card_cb cb, void *userdata);

struct review_sharing {
        int64_t time;
        const char *account;                  /* the account it was presented for */
        const char *owner;                    /* whose card it is */
        const char *terminal;
        const char *serial;                   /* NULL when the record does not say */
};
typedef int (*store_review_sharing_cb)(void *userdata, const struct review_sharing *r);
/* CARD-1: each card refused because it is someone else's, in the period. */
int store_review_card_sharing(struct store *s, int64_t from, int64_t until, store_review_sharing_cb cb,
                              void *userdata);

struct review_grant {
        struct grant_row grant;
        /* how long the sessions under it were open, in all: from each one's
         * start to its end, or to when its last process was gone if later,
         * or to `now` while open; the time two overlap counted once */
        int64_t used_seconds;
        unsigned sessions;
};
typedef int (*store_review_grant_cb)(void *userdata, const struct review_grant *g);
/* PRIV-2, PRIV-4: each grant asked for by the end of the period and not
 * closed (revoked, expired, denied) before its start, by id. */
int store_review_grants(struct store *s, int64_t from, int64_t until, int64_t now, store_review_grant_cb cb,
                        void *userdata);

struct review_session {
        const char *account, *person, *service, *terminal;
        int64_t started;
        int64_t ended;                        /* its end, or when its last process was gone if later; 0: open */
};
typedef int (*store_review_session_cb)(void *userdata, const struct review_session *r);
/* SID-1: each session of the n accounts of accounts[] that overlaps the
 * period, by start. */
int store_review_sessions_of(struct store *s, int64_t from, int64_t until, const char *const *accounts, size_t n,
                             store_review_session_cb cb, void *userdata);

struct review_refusal {
        int64_t time;
        const char *event;                    /* shared-misuse, auth, account or session-open */
        const char *account;                  /* the shared ID */
        const char *person;                   /* who, as the record says */
        const char *terminal;
        const char *reason;                   /* the record's */
};
typedef int (*store_review_refusal_cb)(void *userdata, const struct review_refusal *r);
/* SID-1: each refused login to a shared ID in the period, in the log's
 * order: a non-member's (shared-misuse), and the refusals only a shared ID
 * gets — in use ("in use: …"), no member named ("a shared ID, with no
 * member named"), not a member at the account phase ("not a member of the
 * shared ID"). */
int store_review_shared_refusals(struct store *s, int64_t from, int64_t until, store_review_refusal_cb cb,
                                 void *userdata);

struct review_audit_span {
        int64_t in_period;                    /* records in the period */
        int64_t first_seq, last_seq;          /* of the whole log; 0 when empty */
};
int store_review_audit_span(struct store *s, int64_t from, int64_t until, struct review_audit_span *ret);
/* The time a record says it was written: -ENOENT when there is none. */
int store_review_record_time(struct store *s, int64_t seq, int64_t *ret_time);
