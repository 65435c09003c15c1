/* Private to the store's own files: the connection and its prepared
 * statements. Nothing outside broker/store/ includes this (or sqlite3.h). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sqlite3.h>

#include "common.h"


enum stmt_id {
        STMT_LOCK_GET,
        STMT_LOCK_PUT,
        STMT_UNKNOWN_GET,
        STMT_UNKNOWN_PUT,
        STMT_NOTE_SUCCESS,
        STMT_NOTE_FAILURE,
        STMT_TOTP_GET,
        STMT_TOTP_PUT,
        STMT_TOTP_ACCEPT,
        STMT_TOTP_DELETE,
        STMT_SESSION_ADD,
        STMT_SESSION_GET,
        STMT_SESSION_PUT,
        STMT_SESSION_WATCHED,
        STMT_SESSION_LIVE,
        STMT_SESSION_LEFT,
        STMT_SESSION_OF_GRANT,
        STMT_USERS,
        STMT_USER_STATE,
        STMT_AUDIT_HEAD,
        STMT_AUDIT_INSERT,
        STMT_AUDIT_HEAD_PUT,
        STMT_AUDIT_ALL,
        STMT_CARD_GET,
        STMT_CARD_ADD,
        STMT_CARD_RETIRE_OTHERS,
        STMT_CARD_REVOKE,
        STMT_CARD_BY_SERIAL,
        STMT_CARD_LIST,
        STMT_GRANT_ADD,
        STMT_GRANT_GET,
        STMT_GRANT_PUT,
        STMT_GRANT_LIST,
        STMT_GRANT_ACTIVE,
        STMT_GRANT_DUE,
        /* the account review (review.c) */
        STMT_REVIEW_EVENTS_DROP,
        STMT_REVIEW_EVENTS_CREATE,
        STMT_REVIEW_EVENTS_FILL,
        STMT_REVIEW_ACCOUNTS,
        STMT_REVIEW_DAYS,
        STMT_REVIEW_LOCKS,
        STMT_REVIEW_CARDS,
        STMT_REVIEW_CARD_SHARING,
        STMT_REVIEW_GRANTS,
        STMT_REVIEW_SESSIONS_OF,
        STMT_REVIEW_SHARED_REFUSALS,
        STMT_REVIEW_AUDIT_SPAN,
        STMT_REVIEW_RECORD_TIME,
        STMT_MAX_
};

struct writer;

/* audit.c's state of one connection: the HMAC key schedule, done once,
 * and the newest head row this connection wrote or verified, which need
 * not be verified again while it is still the head. */
struct audit_state {
        struct evp_mac_ctx_st *mac;           /* initialised with key; each MAC starts from a copy */
        uint8_t key[KAGI_KEY_LEN];
        bool head_known;
        int64_t head_seq;
        uint8_t head_mac[32], head_head_mac[32];
        /* the newest record of the open transaction, its head row not yet written */
        bool pending;
        int64_t pending_seq;
        uint8_t pending_mac[32];
};

struct store {
        sqlite3 *db;
        sqlite3_stmt *stmts[STMT_MAX_];
        struct writer *w;          /* the database's write connection (NULL: this is it) */
        bool writing;              /* a transaction of this store holds the writer's turn */
        struct audit_state audit;
};
void audit_state_clear(struct audit_state *a);
/* The head row of what the transaction on write connection c appended:
 * written just before its RELEASE (commit.c), dropped with its rollback. */
int audit_head_flush(struct store *c);
void audit_head_drop(struct store *c);

/* commit.c: the one write connection of a database, shared by every store
 * of it in the process, reference counted. */
int writer_get(const char *path, struct writer **ret, char *err, size_t errsz);
void writer_put(struct writer *w);
struct store *writer_conn(struct writer *w);
/* Where a statement of s runs: on the write connection during s's
 * transaction, so that it sees what the transaction (and its batch) wrote. */
static inline struct store *store_conn(struct store *s)
{
        return s->writing ? writer_conn(s->w) : s;
}
int store_conn_open(const char *path, struct store **ret, char *err, size_t errsz);

/* The prepared statement, reset and unbound; NULL (logged) on failure. */
sqlite3_stmt *store_stmt(struct store *s, enum stmt_id id);
int store_exec(struct store *s, sqlite3_stmt *st, const char *what);
/* Steps st (bound by the caller) once: its row goes to read(). 0, -ENOENT
 * when there is none, or the error. */
int store_row(struct store *s, sqlite3_stmt *st, const char *what, void (*read)(sqlite3_stmt *st, void *ret),
              void *ret);
int store_errno(struct store *s, const char *what);
/* cards.c: a row of CARD_COLUMNS, from column 0 on, into the struct card_row at ret. */
void row_to_card(sqlite3_stmt *st, void *ret);
/* grants.c: a row of GRANT_COLUMNS (store.c), from column 0 on, into the struct grant_row at ret. */
void row_to_grant(sqlite3_stmt *st, void *ret);
