/* Login sessions, from the session phase's open to its close. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_internal.h"

int store_session_open(struct store *s, const char *id, const char *user, const char *person,
                       const char *service, const char *terminal, uint32_t pid, int64_t now)
{
        sqlite3_stmt *st = store_stmt(s, STMT_SESSION_OPEN);

        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, user, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, person, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, service, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, terminal, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 6, pid);
        sqlite3_bind_int64(st, 7, now);
        return store_exec(s, st, "open session");
}

int store_session_close(struct store *s, const char *id, int64_t now, char *ret_user, size_t usz)
{
        sqlite3_stmt *st = store_stmt(s, STMT_SESSION_CLOSE);
        int r;

        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now);
        r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
                snprintf(ret_user, usz, "%s", (const char *)sqlite3_column_text(st, 0));
                r = sqlite3_step(st);
        } else if (r == SQLITE_DONE) {
                sqlite3_reset(st);
                return -ENOENT;
        }
        sqlite3_reset(st);
        return r == SQLITE_DONE ? 0 : store_errno(s, "close session");
}
