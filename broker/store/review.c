/* The account review's questions (kagictl report review, issue 14): each one
 * statement of store.c that aggregates the audit log and the tables in SQL,
 * stepped here into kagi's records. Read-only, on the store's own
 * connection inside one read transaction, so that every question sees the
 * same moment and no writer waits for any of them. The audit records they
 * ask about are copied once, narrowed, into a temporary table of this
 * connection (temp storage, never kagi.db), dropped when the review ends. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store.h"
#include "store_internal.h"

/* A review reads; inside a transaction it would read on the write
 * connection and hold up every login behind it. */
static sqlite3_stmt *review_stmt(struct store *s, enum stmt_id id)
{
        return s->writing ? NULL : store_stmt(s, id);
}

/* SQLite's cache for the temporary table while a review runs (KiB), so that
 * its questions read it from memory; back to the default after. */
#define REVIEW_TEMP_CACHE "-65536"
#define DEFAULT_TEMP_CACHE "-2000"

static int run(struct store *s, enum stmt_id id, int64_t arg, const char *what)
{
        sqlite3_stmt *st = review_stmt(s, id);

        if (st && arg >= 0)
                sqlite3_bind_int64(st, 1, arg);
        return store_exec(s, st, what);
}

int store_review_begin(struct store *s, int64_t until)
{
        int r;

        if (s->writing)
                return -EBUSY;
        /* deferred: the snapshot is taken at the first read, and no lock
         * that a writer could wait for is ever taken */
        if (sqlite3_exec(s->db, "BEGIN DEFERRED; PRAGMA temp.cache_size = " REVIEW_TEMP_CACHE, NULL, NULL, NULL) !=
            SQLITE_OK)
                return store_errno(s, "begin the review's read");
        r = run(s, STMT_REVIEW_EVENTS_DROP, -1, "drop an earlier review's records");
        if (r >= 0)
                r = run(s, STMT_REVIEW_EVENTS_CREATE, -1, "make the review's table");
        if (r >= 0)
                r = run(s, STMT_REVIEW_EVENTS_FILL, until, "copy the audit records a review reads");
        if (r < 0)
                store_review_end(s);
        return r;
}

void store_review_end(struct store *s)
{
        if (s->writing)
                return;
        run(s, STMT_REVIEW_EVENTS_DROP, -1, "drop the review's records");
        if (!sqlite3_get_autocommit(s->db))
                sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
        sqlite3_exec(s->db, "PRAGMA temp.cache_size = " DEFAULT_TEMP_CACHE, NULL, NULL, NULL);
}

static const char *text(sqlite3_stmt *st, int col)
{
        return (const char *)sqlite3_column_text(st, col);
}

static void copy(char *dst, size_t size, sqlite3_stmt *st, int col)
{
        const char *t = text(st, col);

        snprintf(dst, size, "%s", t ? t : "");
}

/* Steps st to its end, handing each row to row(); the first negative
 * return of row() stops it and is returned. */
static int each_row(struct store *s, sqlite3_stmt *st, const char *what, int (*row)(sqlite3_stmt *st, void *ctx),
                    void *ctx)
{
        int rc;

        if (!st)
                return s->writing ? -EBUSY : -EIO;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                int r = row(st, ctx);

                if (r < 0) {
                        sqlite3_reset(st);
                        return r;
                }
        }
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : store_errno(s, what);
}

/* The caller's callback, for the row functions. */
struct cb {
        union {
                store_review_account_cb account;
                store_review_day_cb day;
                store_review_lock_cb lock;
                store_review_card_cb card;
                store_review_sharing_cb sharing;
                store_review_grant_cb grant;
                store_review_session_cb session;
                store_review_refusal_cb refusal;
        } fn;
        void *userdata;
};

/* Binds names[] as a JSON array of strings (json_each() in the question
 * reads it back), or NULL when there are none. */
static int bind_names(struct store *s, sqlite3_stmt *st, int col, const char *const *names, size_t n)
{
        sqlite3_str *j;
        char *json;

        if (!st || n == 0)
                return 0;
        j = sqlite3_str_new(store_conn(s)->db);
        sqlite3_str_appendchar(j, 1, '[');
        for (size_t i = 0; i < n; i++) {
                sqlite3_str_appendall(j, i ? ",\"" : "\"");
                for (const unsigned char *p = (const unsigned char *)names[i]; *p; p++) {
                        if (*p == '"' || *p == '\\')
                                sqlite3_str_appendf(j, "\\%c", (char)*p);
                        else if (*p < 0x20)
                                sqlite3_str_appendf(j, "\\u%04x", (unsigned)*p);
                        else
                                sqlite3_str_appendchar(j, 1, (char)*p);
                }
                sqlite3_str_appendchar(j, 1, '"');
        }
        sqlite3_str_appendchar(j, 1, ']');
        if (sqlite3_str_errcode(j) != SQLITE_OK) {
                sqlite3_free(sqlite3_str_finish(j));
                return -ENOMEM;
        }
        json = sqlite3_str_finish(j);
        return sqlite3_bind_text(st, col, json, -1, sqlite3_free) == SQLITE_OK ? 0 : -ENOMEM;
}

static void bind_period(sqlite3_stmt *st, int64_t from, int64_t until)
{
        if (!st)
                return;
        sqlite3_bind_int64(st, 1, from);
        sqlite3_bind_int64(st, 2, until);
}

/* ---- accounts ------------------------------------------------------------- */

static int account_row(sqlite3_stmt *st, void *ctx)
{
        const struct cb *c = ctx;
        struct review_account a = {
                .name = text(st, 0),
                .lock = { .failures = (uint32_t)sqlite3_column_int64(st, 1), .locked_at = sqlite3_column_int64(st, 2) },
                .last_success = sqlite3_column_int64(st, 3),
                .last_failure = sqlite3_column_int64(st, 4),
                .first_seen = sqlite3_column_int64(st, 5),
                .totp = sqlite3_column_int(st, 6) != 0,
                .active_cards = (unsigned)sqlite3_column_int64(st, 7),
        };

        return a.name ? c->fn.account(c->userdata, &a) : 0;
}

int store_review_accounts(struct store *s, int64_t until, const char *const *also, size_t n_also,
                          store_review_account_cb cb, void *userdata)
{
        sqlite3_stmt *st = review_stmt(s, STMT_REVIEW_ACCOUNTS);
        struct cb c = { .fn.account = cb, .userdata = userdata };
        int r;

        if (st)
                sqlite3_bind_int64(st, 1, until);
        r = bind_names(s, st, 2, also, n_also);
        return r < 0 ? r : each_row(s, st, "review accounts", account_row, &c);
}

/* ---- days ----------------------------------------------------------------- */

static int day_row(sqlite3_stmt *st, void *ctx)
{
        const struct cb *c = ctx;
        struct review_day d = {
                .day = sqlite3_column_int64(st, 0),
                .logins = (uint32_t)sqlite3_column_int64(st, 1),
                .failures = (uint32_t)sqlite3_column_int64(st, 2),
                .locks = (uint32_t)sqlite3_column_int64(st, 3),
        };

        return c->fn.day(c->userdata, &d);
}

int store_review_days(struct store *s, int64_t from, int64_t until, int offset_seconds, store_review_day_cb cb,
                      void *userdata)
{
        sqlite3_stmt *st = review_stmt(s, STMT_REVIEW_DAYS);
        struct cb c = { .fn.day = cb, .userdata = userdata };

        bind_period(st, from, until);
        if (st)
                sqlite3_bind_int64(st, 3, offset_seconds);
        return each_row(s, st, "review days", day_row, &c);
}

/* ---- locks ---------------------------------------------------------------- */

struct locks {
        struct cb cb;
        struct review_lock cur;
        int64_t seq;                          /* the lock record in cur; 0: none yet */
};

static int lock_flush(struct locks *l)
{
        int r = 0;

        if (l->seq != 0)
                r = l->cb.fn.lock(l->cb.userdata, &l->cur);
        l->seq = 0;
        return r;
}

static int lock_row(sqlite3_stmt *st, void *ctx)
{
        struct locks *l = ctx;
        struct review_lock *k = &l->cur;
        int64_t seq = sqlite3_column_int64(st, 0);
        struct review_failure *f;
        int r;

        if (seq != l->seq) {
                r = lock_flush(l);
                if (r < 0)
                        return r;
                memset(k, 0, sizeof(*k));
                l->seq = seq;
                copy(k->account, sizeof(k->account), st, 1);
                k->locked_at = sqlite3_column_int64(st, 2);
                k->unlocked_at = sqlite3_column_int64(st, 3);
                copy(k->unlocked_by, sizeof(k->unlocked_by), st, 4);
                copy(k->unlock_service, sizeof(k->unlock_service), st, 5);
                copy(k->unlock_reason, sizeof(k->unlock_reason), st, 6);
        }
        if (sqlite3_column_type(st, 7) == SQLITE_NULL)
                return 0;                       /* a lock without failures before it */
        if (k->n_failures == REVIEW_LOCK_FAILURES) {
                /* keep the last ones: they are the ones that locked it */
                memmove(k->failures, k->failures + 1, sizeof(k->failures) - sizeof(k->failures[0]));
                k->n_failures--;
        }
        f = &k->failures[k->n_failures++];
        f->time = sqlite3_column_int64(st, 7);
        copy(f->factor, sizeof(f->factor), st, 8);
        copy(f->terminal, sizeof(f->terminal), st, 9);
        return 0;
}

int store_review_locks(struct store *s, int64_t from, int64_t until, store_review_lock_cb cb, void *userdata)
{
        sqlite3_stmt *st = review_stmt(s, STMT_REVIEW_LOCKS);
        struct locks l = { .cb = { .fn.lock = cb, .userdata = userdata } };
        int r;

        bind_period(st, from, until);
        r = each_row(s, st, "review locks", lock_row, &l);
        return r < 0 ? r : lock_flush(&l);
}

/* ---- cards ---------------------------------------------------------------- */

static int card_row(sqlite3_stmt *st, void *ctx)
{
        const struct cb *c = ctx;
        struct review_card k = { 0 };

        row_to_card(st, &k.card);
        copy(k.replaced_by, sizeof(k.replaced_by), st, 10);
        copy(k.revoked_by, sizeof(k.revoked_by), st, 11);
        k.tried_after = (unsigned)sqlite3_column_int64(st, 12);
        k.accepted_after = (unsigned)sqlite3_column_int64(st, 13);
        return c->fn.card(c->userdata, &k);
}

int store_review_cards(struct store *s, int64_t from, int64_t until, store_review_card_cb cb, void *userdata)
{
        sqlite3_stmt *st = review_stmt(s, STMT_REVIEW_CARDS);
        struct cb c = { .fn.card = cb, .userdata = userdata };

        bind_period(st, from, until);
        return each_row(s, st, "review cards", card_row, &c);
}

static int sharing_row(sqlite3_stmt *st, void *ctx)
{
        const struct cb *c = ctx;
        struct review_sharing r = {
                .time = sqlite3_column_int64(st, 0),
                .account = text(st, 1),
                .owner = text(st, 2),
                .terminal = text(st, 3),
                .serial = text(st, 4),
        };

        return c->fn.sharing(c->userdata, &r);
}

int store_review_card_sharing(struct store *s, int64_t from, int64_t until, store_review_sharing_cb cb,
                              void *userdata)
{
        sqlite3_stmt *st = review_stmt(s, STMT_REVIEW_CARD_SHARING);
        struct cb c = { .fn.sharing = cb, .userdata = userdata };

        bind_period(st, from, until);
        return each_row(s, st, "review card sharing", sharing_row, &c);
}

/* ---- privileged grants ---------------------------------------------------- */

static int grant_row(sqlite3_stmt *st, void *ctx)
{
        const struct cb *c = ctx;
        struct review_grant g = { 0 };

        row_to_grant(st, &g.grant);
        g.used_seconds = sqlite3_column_int64(st, 19);
        g.sessions = (unsigned)sqlite3_column_int64(st, 20);
        return c->fn.grant(c->userdata, &g);
}

int store_review_grants(struct store *s, int64_t from, int64_t until, int64_t now, store_review_grant_cb cb,
                        void *userdata)
{
        sqlite3_stmt *st = review_stmt(s, STMT_REVIEW_GRANTS);
        struct cb c = { .fn.grant = cb, .userdata = userdata };

        bind_period(st, from, until);
        if (st)
                sqlite3_bind_int64(st, 3, now);
        return each_row(s, st, "review grants", grant_row, &c);
}

/* ---- shared IDs ----------------------------------------------------------- */

static int session_row(sqlite3_stmt *st, void *ctx)
{
        const struct cb *c = ctx;
        struct review_session r = {
                .account = text(st, 0),
                .person = text(st, 1),
                .service = text(st, 2),
                .terminal = text(st, 3),
                .started = sqlite3_column_int64(st, 4),
                .ended = sqlite3_column_int64(st, 5),
        };

        return r.account ? c->fn.session(c->userdata, &r) : 0;
}

int store_review_sessions_of(struct store *s, int64_t from, int64_t until, const char *const *accounts, size_t n,
                             store_review_session_cb cb, void *userdata)
{
        sqlite3_stmt *st;
        struct cb c = { .fn.session = cb, .userdata = userdata };
        int r;

        if (n == 0)
                return s->writing ? -EBUSY : 0;
        st = review_stmt(s, STMT_REVIEW_SESSIONS_OF);
        bind_period(st, from, until);
        r = bind_names(s, st, 3, accounts, n);
        return r < 0 ? r : each_row(s, st, "review sessions", session_row, &c);
}

static int refusal_row(sqlite3_stmt *st, void *ctx)
{
        const struct cb *c = ctx;
        struct review_refusal r = {
                .time = sqlite3_column_int64(st, 0),
                .event = text(st, 1),
                .account = text(st, 2),
                .person = text(st, 3),
                .terminal = text(st, 4),
                .reason = text(st, 5),
        };

        return r.event && r.account ? c->fn.refusal(c->userdata, &r) : 0;
}

int store_review_shared_refusals(struct store *s, int64_t from, int64_t until, store_review_refusal_cb cb,
                                 void *userdata)
{
        sqlite3_stmt *st = review_stmt(s, STMT_REVIEW_SHARED_REFUSALS);
        struct cb c = { .fn.refusal = cb, .userdata = userdata };

        bind_period(st, from, until);
        return each_row(s, st, "review shared-ID refusals", refusal_row, &c);
}

/* ---- the audit log -------------------------------------------------------- */

static void read_span(sqlite3_stmt *st, void *ret)
{
        struct review_audit_span *a = ret;

        a->in_period = sqlite3_column_int64(st, 0);
        a->first_seq = sqlite3_column_int64(st, 1);
        a->last_seq = sqlite3_column_int64(st, 2);
}

int store_review_audit_span(struct store *s, int64_t from, int64_t until, struct review_audit_span *ret)
{
        sqlite3_stmt *st = review_stmt(s, STMT_REVIEW_AUDIT_SPAN);

        *ret = (struct review_audit_span){ 0 };
        if (!st)
                return s->writing ? -EBUSY : -EIO;
        bind_period(st, from, until);
        return store_row(s, st, "review the audit log", read_span, ret);
}

static void read_time(sqlite3_stmt *st, void *ret)
{
        *(int64_t *)ret = sqlite3_column_int64(st, 0);
}

int store_review_record_time(struct store *s, int64_t seq, int64_t *ret_time)
{
        sqlite3_stmt *st = review_stmt(s, STMT_REVIEW_RECORD_TIME);

        if (!st)
                return s->writing ? -EBUSY : -EIO;
        sqlite3_bind_int64(st, 1, seq);
        return store_row(s, st, "read an audit record's time", read_time, ret_time);
}
