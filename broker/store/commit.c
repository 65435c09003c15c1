/* Group commit. Every store of a database writes through its one write
 * connection, one transaction at a time (the turn). A transaction is a
 * savepoint inside the batch's BEGIN IMMEDIATE; when it is done and others
 * are waiting for the turn, it hands the turn on and waits; the last of a
 * batch (or one that finds the batch full or old) commits for all: one
 * fsync for every transaction in it. Each one returns only once the COMMIT
 * that holds it is on disk, so nothing is answered before it is durable,
 * and a failed COMMIT fails every transaction of the batch.
 *
 * The batch runs its transactions one after the other on one connection:
 * each sees all the ones before it, exactly as if each had committed alone,
 * and the audit chain grows in that order. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "store_internal.h"

#define BATCH_MAX 64           /* transactions in one commit at most */
#define BATCH_AGE_MS 10        /* nor may a batch stay open longer */
/* The commit that finds the WAL this long (pages; SQLite's default is 1000)
 * copies it into the database: two more fsyncs and a pause for its batch.
 * A login writes about six pages, so one in 700 logins pays for it, not one
 * in 170; the WAL stays under 16 MiB. */
#define WAL_CHECKPOINT_PAGES 4000

struct waiter {
        struct waiter *next;
        int result;
        bool done;
};

/* The statements that frame transactions, prepared once: parsing them on
 * every transaction cost more than running them. */
enum txn_stmt { TXN_BEGIN, TXN_SAVEPOINT, TXN_RELEASE, TXN_ROLLBACK_TO, TXN_COMMIT, TXN_ROLLBACK, TXN_MAX_ };

static const char *const txn_sql[TXN_MAX_] = {
        [TXN_BEGIN] = "BEGIN IMMEDIATE",
        [TXN_SAVEPOINT] = "SAVEPOINT txn",
        [TXN_RELEASE] = "RELEASE txn",
        [TXN_ROLLBACK_TO] = "ROLLBACK TO txn",
        [TXN_COMMIT] = "COMMIT",
        [TXN_ROLLBACK] = "ROLLBACK",
};

struct writer {
        struct writer *next;                  /* the registry */
        char *path;
        unsigned refs;
        struct store *conn;
        pthread_mutex_t lock;
        pthread_cond_t turn;                  /* busy became false */
        pthread_cond_t committed;             /* a batch ended */
        bool busy;                            /* a transaction holds the connection */
        unsigned waiting;                     /* threads waiting for the turn */
        bool open;                            /* BEGIN done; the batch waits for its COMMIT */
        unsigned members;                     /* transactions done in the open batch */
        int64_t opened;
        struct waiter *waiters;               /* those members */
        sqlite3_stmt *stmt[TXN_MAX_];         /* on conn, prepared when first used */
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct writer *registry;

struct store *writer_conn(struct writer *w)
{
        return w->conn;
}

int writer_get(const char *path, struct writer **ret, char *err, size_t errsz)
{
        struct writer *w;
        int r = 0;

        pthread_mutex_lock(&registry_lock);
        for (w = registry; w && strcmp(w->path, path) != 0; w = w->next)
                ;
        if (w) {
                w->refs++;
        } else if (!(w = calloc(1, sizeof(*w))) || !(w->path = strdup(path))) {
                free(w);
                w = NULL;
                r = -ENOMEM;
                snprintf(err, errsz, "out of memory");
        } else {
                r = store_conn_open(path, &w->conn, err, errsz);
                if (r < 0) {
                        free(w->path);
                        free(w);
                        w = NULL;
                } else {
                        sqlite3_wal_autocheckpoint(w->conn->db, WAL_CHECKPOINT_PAGES);
                        pthread_mutex_init(&w->lock, NULL);
                        pthread_cond_init(&w->turn, NULL);
                        pthread_cond_init(&w->committed, NULL);
                        w->refs = 1;
                        w->next = registry;
                        registry = w;
                }
        }
        pthread_mutex_unlock(&registry_lock);
        if (w)
                *ret = w;
        return r;
}

void writer_put(struct writer *w)
{
        struct writer **p;

        if (!w)
                return;
        pthread_mutex_lock(&registry_lock);
        if (--w->refs == 0) {
                for (p = &registry; *p != w; p = &(*p)->next)
                        ;
                *p = w->next;
                for (size_t i = 0; i < TXN_MAX_; i++)
                        sqlite3_finalize(w->stmt[i]);
                store_close(w->conn);
                pthread_cond_destroy(&w->committed);
                pthread_cond_destroy(&w->turn);
                pthread_mutex_destroy(&w->lock);
                free(w->path);
                free(w);
        }
        pthread_mutex_unlock(&registry_lock);
}

static int sql(struct writer *w, enum txn_stmt id)
{
        sqlite3_stmt **st = &w->stmt[id];
        int r;

        if (!*st && sqlite3_prepare_v3(w->conn->db, txn_sql[id], -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
                return store_errno(w->conn, txn_sql[id]);
        r = sqlite3_step(*st) == SQLITE_DONE ? 0 : store_errno(w->conn, txn_sql[id]);
        sqlite3_reset(*st);
        return r;
}

/* Ends the open batch: COMMIT, or, when SQLite has already rolled the
 * transaction back (a full disk, an I/O error), a failure for all of it.
 * Holds the turn; called and returns with w->lock held. */
static void finish_batch(struct writer *w)
{
        struct waiter *list = w->waiters;
        int r;

        w->waiters = NULL;
        w->members = 0;
        pthread_mutex_unlock(&w->lock);
        if (sqlite3_get_autocommit(w->conn->db)) {
                log_err("database: the transaction was rolled back by an error; %s", list ? "its batch fails" : "");
                r = -EIO;
        } else {
                r = list ? sql(w, TXN_COMMIT) : sql(w, TXN_ROLLBACK);
                if (r < 0 && !sqlite3_get_autocommit(w->conn->db))
                        sql(w, TXN_ROLLBACK);
        }
        pthread_mutex_lock(&w->lock);
        w->open = false;
        for (; list; list = list->next) {
                list->result = r;
                list->done = true;
        }
        pthread_cond_broadcast(&w->committed);
}

/* The transaction that held the turn is done (me: it wants to be committed;
 * NULL: it was rolled back). Called and returns with w->lock held. */
static int end_turn(struct writer *w, struct waiter *me)
{
        if (me) {
                me->next = w->waiters;
                w->waiters = me;
                w->members++;
        }
        if (w->open && !(w->waiting > 0 && w->members < BATCH_MAX && now_ms() - w->opened < BATCH_AGE_MS))
                finish_batch(w);
        w->busy = false;
        pthread_cond_signal(&w->turn);
        while (me && !me->done)
                pthread_cond_wait(&w->committed, &w->lock);
        return me ? me->result : 0;
}

int store_begin(struct store *s)
{
        struct writer *w = s->w;
        int r = 0;

        if (s->writing || !w)
                return -EBUSY;          /* a transaction is already open here */
        pthread_mutex_lock(&w->lock);
        w->waiting++;
        while (w->busy)
                pthread_cond_wait(&w->turn, &w->lock);
        w->waiting--;
        w->busy = true;
        /* a batch SQLite rolled back on its own cannot take more */
        if (w->open && sqlite3_get_autocommit(w->conn->db))
                finish_batch(w);
        if (!w->open) {
                pthread_mutex_unlock(&w->lock);
                r = sql(w, TXN_BEGIN);
                pthread_mutex_lock(&w->lock);
                if (r >= 0) {
                        w->open = true;
                        w->opened = now_ms();
                }
        }
        pthread_mutex_unlock(&w->lock);
        if (r >= 0)
                r = sql(w, TXN_SAVEPOINT);
        if (r < 0) {
                pthread_mutex_lock(&w->lock);
                end_turn(w, NULL);
                pthread_mutex_unlock(&w->lock);
                return r;
        }
        s->writing = true;
        return 0;
}

int store_commit(struct store *s)
{
        struct writer *w = s->w;
        struct waiter me = { 0 };
        int r;

        if (!s->writing)
                return -EINVAL;
        r = audit_head_flush(w->conn);
        if (r >= 0)
                r = sql(w, TXN_RELEASE);
        if (r < 0) {
                store_rollback(s);
                return r;
        }
        s->writing = false;
        pthread_mutex_lock(&w->lock);
        r = end_turn(w, &me);
        pthread_mutex_unlock(&w->lock);
        return r;
}

void store_rollback(struct store *s)
{
        struct writer *w = s->w;

        if (!s->writing)
                return;
        /* only this transaction's part of the batch; the others stay */
        audit_head_drop(w->conn);
        if (!sqlite3_get_autocommit(w->conn->db)) {
                sql(w, TXN_ROLLBACK_TO);
                sql(w, TXN_RELEASE);
        }
        s->writing = false;
        pthread_mutex_lock(&w->lock);
        end_turn(w, NULL);
        pthread_mutex_unlock(&w->lock);
}

bool store_in_transaction(const struct store *s)
{
        return s->writing;
}
