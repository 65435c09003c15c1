/* Per-account state: the lock counter (LOCK-1) and the last results. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_internal.h"

static void read_lock(sqlite3_stmt *st, void *ret)
{
        struct lock_state *l = ret;

        l->failures = (uint32_t)sqlite3_column_int64(st, 0);
        l->locked_at = sqlite3_column_int64(st, 1);
}

int store_lock_get(struct store *s, const char *user, struct lock_state *ret)
{
        sqlite3_stmt *st = store_stmt(s, STMT_LOCK_GET);
        int r;

        *ret = (struct lock_state){ 0 };
        if (st)
                sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        r = store_row(s, st, "read lock state", read_lock, ret);
        return r == -ENOENT ? 0 : r;
}

int store_unknown_lock_get(struct store *s, uint32_t bucket, struct lock_state *ret)
{
        sqlite3_stmt *st = store_stmt(s, STMT_UNKNOWN_GET);
        int r;

        *ret = (struct lock_state){ 0 };
        if (st)
                sqlite3_bind_int64(st, 1, bucket);
        r = store_row(s, st, "read lock state", read_lock, ret);
        return r == -ENOENT ? 0 : r;
}

int store_unknown_lock_put(struct store *s, uint32_t bucket, const struct lock_state *lk)
{
        sqlite3_stmt *st = store_stmt(s, STMT_UNKNOWN_PUT);

        if (!st)
                return -EIO;
        sqlite3_bind_int64(st, 1, bucket);
        sqlite3_bind_int64(st, 2, lk->failures);
        sqlite3_bind_int64(st, 3, lk->locked_at);
        return store_exec(s, st, "write lock state");
}

int store_lock_put(struct store *s, const char *user, const struct lock_state *lk)
{
        sqlite3_stmt *st = store_stmt(s, STMT_LOCK_PUT);

        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, lk->failures);
        sqlite3_bind_int64(st, 3, lk->locked_at);
        return store_exec(s, st, "write lock state");
}

int store_note_result(struct store *s, const char *user, bool success, int64_t now)
{
        sqlite3_stmt *st = store_stmt(s, success ? STMT_NOTE_SUCCESS : STMT_NOTE_FAILURE);

        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now);
        return store_exec(s, st, "note result");
}

int store_users(struct store *s, store_user_cb cb, void *userdata)
{
        sqlite3_stmt *st = store_stmt(s, STMT_USERS);
        int r;

        if (!st)
                return -EIO;
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                int c = cb(userdata, (const char *)sqlite3_column_text(st, 0));
                if (c < 0) {
                        sqlite3_reset(st);
                        return c;
                }
        }
        sqlite3_reset(st);
        return r == SQLITE_DONE ? 0 : store_errno(s, "list users");
}

static void read_user_state(sqlite3_stmt *st, void *ret)
{
        struct user_state *u = ret;

        read_lock(st, &u->lock);
        u->last_success = sqlite3_column_int64(st, 2);
        u->last_failure = sqlite3_column_int64(st, 3);
        u->totp_enrolled = sqlite3_column_type(st, 4) != SQLITE_NULL;
        u->totp_enrolled_at = sqlite3_column_int64(st, 4);
        u->totp_last_skew = sqlite3_column_int(st, 5);
}

int store_user_state(struct store *s, const char *user, struct user_state *ret)
{
        sqlite3_stmt *st = store_stmt(s, STMT_USER_STATE);

        *ret = (struct user_state){ 0 };
        if (st)
                sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        /* the query always has its one row (left joins onto the name) */
        return store_row(s, st, "read user state", read_user_state, ret);
}
