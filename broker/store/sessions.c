/* Sessions: registered when the account phase lets a role's target in,
 * open from the session phase, ended however they end — with the cgroup,
 * deadline and terminal kagid needs to enforce them across its restarts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_internal.h"

static void text(char *dst, size_t size, sqlite3_stmt *st, int col)
{
        const unsigned char *t = sqlite3_column_text(st, col);

        snprintf(dst, size, "%s", t ? (const char *)t : "");
}

static void row_to_session(sqlite3_stmt *st, void *ret)
{
        struct session_row *r = ret;

        text(r->id, sizeof(r->id), st, 0);
        text(r->account, sizeof(r->account), st, 1);
        text(r->person, sizeof(r->person), st, 2);
        text(r->service, sizeof(r->service), st, 3);
        text(r->terminal, sizeof(r->terminal), st, 4);
        r->pid = sqlite3_column_int64(st, 5);
        r->started = sqlite3_column_int64(st, 6);
        r->ended = sqlite3_column_int64(st, 7);
        text(r->state, sizeof(r->state), st, 8);
        text(r->tty, sizeof(r->tty), st, 9);
        r->tty_uid = sqlite3_column_int64(st, 10);
        r->grant = sqlite3_column_int64(st, 11);
        text(r->role, sizeof(r->role), st, 12);
        r->deadline = sqlite3_column_int64(st, 13);
        text(r->cgroup, sizeof(r->cgroup), st, 14);
        text(r->mechanism, sizeof(r->mechanism), st, 15);
        text(r->card, sizeof(r->card), st, 16);
        text(r->reader, sizeof(r->reader), st, 17);
        r->card_ends = sqlite3_column_int(st, 18) != 0;
        r->warned = sqlite3_column_int64(st, 19);
        text(r->end_how, sizeof(r->end_how), st, 20);
        text(r->end_by, sizeof(r->end_by), st, 21);
        r->last_gone = sqlite3_column_int64(st, 22);
        r->pid_start = sqlite3_column_int64(st, 23);
}

int store_session_add(struct store *s, const struct session_row *r)
{
        sqlite3_stmt *st = store_stmt(s, STMT_SESSION_ADD);

        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, r->account, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, r->person, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, r->service, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, r->terminal, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 6, r->pid);
        sqlite3_bind_int64(st, 7, r->started);
        sqlite3_bind_text(st, 8, r->state, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 9, r->tty, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 10, r->tty_uid);
        sqlite3_bind_int64(st, 11, r->grant);
        sqlite3_bind_text(st, 12, r->role, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 13, r->deadline);
        sqlite3_bind_text(st, 14, r->cgroup, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 15, r->mechanism, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 16, r->card, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 17, r->reader, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 18, r->card_ends);
        sqlite3_bind_int64(st, 19, r->pid_start);
        return store_exec(s, st, "add session");
}

int store_session_get(struct store *s, const char *id, struct session_row *ret)
{
        sqlite3_stmt *st = store_stmt(s, STMT_SESSION_GET);

        if (st)
                sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        return store_row(s, st, "read session", row_to_session, ret);
}

int store_session_put(struct store *s, const struct session_row *r)
{
        sqlite3_stmt *st = store_stmt(s, STMT_SESSION_PUT);

        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, r->pid);
        sqlite3_bind_int64(st, 3, r->started);
        sqlite3_bind_int64(st, 4, r->ended);
        sqlite3_bind_text(st, 5, r->state, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 6, r->deadline);
        sqlite3_bind_int64(st, 7, r->warned);
        sqlite3_bind_text(st, 8, r->end_how, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 9, r->end_by, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 10, r->last_gone);
        sqlite3_bind_text(st, 11, r->cgroup, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 12, r->pid_start);
        return store_exec(s, st, "update session");
}

int store_session_watched(struct store *s, const struct session_row *r)
{
        sqlite3_stmt *st = store_stmt(s, STMT_SESSION_WATCHED);

        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, r->state, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, r->ended);
        sqlite3_bind_text(st, 4, r->end_how, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, r->end_by, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 6, r->warned);
        sqlite3_bind_int64(st, 7, r->last_gone);
        return store_exec(s, st, "update watched session");
}

static int each(struct store *s, sqlite3_stmt *st, store_session_cb cb, void *userdata)
{
        int r;

        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                struct session_row row;
                int k;

                row_to_session(st, &row);
                k = cb(userdata, &row);
                if (k < 0) {
                        sqlite3_reset(st);
                        return k;
                }
        }
        sqlite3_reset(st);
        return r == SQLITE_DONE ? 0 : store_errno(s, "list sessions");
}

int store_sessions_live(struct store *s, store_session_cb cb, void *userdata)
{
        sqlite3_stmt *st = store_stmt(s, STMT_SESSION_LIVE);

        return st ? each(s, st, cb, userdata) : -EIO;
}

int store_sessions_left(struct store *s, store_session_cb cb, void *userdata)
{
        sqlite3_stmt *st = store_stmt(s, STMT_SESSION_LEFT);

        return st ? each(s, st, cb, userdata) : -EIO;
}

int store_sessions_of_grant(struct store *s, int64_t grant, store_session_cb cb, void *userdata)
{
        sqlite3_stmt *st = store_stmt(s, STMT_SESSION_OF_GRANT);

        if (!st)
                return -EIO;
        sqlite3_bind_int64(st, 1, grant);
        return each(s, st, cb, userdata);
}
