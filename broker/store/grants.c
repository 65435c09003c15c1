/* Privileged grants: one person, one role, one duration, one reason; who
 * approved or denied, when it starts and ends, how it ended. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store.h"
#include "store_internal.h"

static void text(char *dst, size_t size, sqlite3_stmt *st, int col)
{
        const unsigned char *t = sqlite3_column_text(st, col);

        snprintf(dst, size, "%s", t ? (const char *)t : "");
}

void row_to_grant(sqlite3_stmt *st, void *ret)
{
        struct grant_row *g = ret;

        g->id = sqlite3_column_int64(st, 0);
        text(g->role, sizeof(g->role), st, 1);
        text(g->person, sizeof(g->person), st, 2);
        text(g->reason, sizeof(g->reason), st, 3);
        g->requested = sqlite3_column_int64(st, 4);
        g->break_glass = sqlite3_column_int(st, 5) != 0;
        text(g->state, sizeof(g->state), st, 6);
        g->created = sqlite3_column_int64(st, 7);
        text(g->approver, sizeof(g->approver), st, 8);
        g->decided = sqlite3_column_int64(st, 9);
        text(g->decision_reason, sizeof(g->decision_reason), st, 10);
        g->starts = sqlite3_column_int64(st, 11);
        g->ends = sqlite3_column_int64(st, 12);
        g->extended = sqlite3_column_int64(st, 13);
        g->pending_extension = sqlite3_column_int64(st, 14);
        text(g->extension_reason, sizeof(g->extension_reason), st, 15);
        g->closed = sqlite3_column_int64(st, 16);
        text(g->closed_by, sizeof(g->closed_by), st, 17);
        text(g->closed_reason, sizeof(g->closed_reason), st, 18);
}

int store_grant_add(struct store *s, struct grant_row *g)
{
        sqlite3_stmt *st = store_stmt(s, STMT_GRANT_ADD);
        int r;

        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, g->role, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, g->person, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, g->reason, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, g->requested);
        sqlite3_bind_int(st, 5, g->break_glass);
        sqlite3_bind_text(st, 6, g->state, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 7, g->created);
        sqlite3_bind_text(st, 8, g->approver, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 9, g->decided);
        sqlite3_bind_text(st, 10, g->decision_reason, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 11, g->starts);
        sqlite3_bind_int64(st, 12, g->ends);
        r = store_exec(s, st, "add grant");
        if (r >= 0)
                g->id = sqlite3_last_insert_rowid(store_conn(s)->db);
        return r;
}

int store_grant_get(struct store *s, int64_t id, struct grant_row *ret)
{
        sqlite3_stmt *st = store_stmt(s, STMT_GRANT_GET);

        if (st)
                sqlite3_bind_int64(st, 1, id);
        return store_row(s, st, "read grant", row_to_grant, ret);
}

int store_grant_put(struct store *s, const struct grant_row *g)
{
        sqlite3_stmt *st = store_stmt(s, STMT_GRANT_PUT);

        if (!st)
                return -EIO;
        sqlite3_bind_int64(st, 1, g->id);
        sqlite3_bind_text(st, 2, g->state, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, g->approver, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, g->decided);
        sqlite3_bind_text(st, 5, g->decision_reason, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 6, g->starts);
        sqlite3_bind_int64(st, 7, g->ends);
        sqlite3_bind_int64(st, 8, g->extended);
        sqlite3_bind_int64(st, 9, g->pending_extension);
        sqlite3_bind_text(st, 10, g->extension_reason, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 11, g->closed);
        sqlite3_bind_text(st, 12, g->closed_by, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 13, g->closed_reason, -1, SQLITE_STATIC);
        return store_exec(s, st, "update grant");
}

int store_grant_active(struct store *s, const char *person, const char *role, int64_t now, struct grant_row *ret)
{
        sqlite3_stmt *st = store_stmt(s, STMT_GRANT_ACTIVE);

        if (st) {
                sqlite3_bind_text(st, 1, person, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 2, role, -1, SQLITE_STATIC);
                sqlite3_bind_int64(st, 3, now);
        }
        return store_row(s, st, "read active grant", row_to_grant, ret);
}

static int each(struct store *s, sqlite3_stmt *st, store_grant_cb cb, void *userdata)
{
        int r;

        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                struct grant_row g;
                int k;

                row_to_grant(st, &g);
                k = cb(userdata, &g);
                if (k < 0) {
                        sqlite3_reset(st);
                        return k;
                }
        }
        sqlite3_reset(st);
        return r == SQLITE_DONE ? 0 : store_errno(s, "list grants");
}

int store_grants(struct store *s, const char *person, const char *state, const char *role, store_grant_cb cb,
                 void *userdata)
{
        sqlite3_stmt *st = store_stmt(s, STMT_GRANT_LIST);

        if (!st)
                return -EIO;
        if (person)
                sqlite3_bind_text(st, 1, person, -1, SQLITE_STATIC);
        if (state)
                sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
        if (role)
                sqlite3_bind_text(st, 3, role, -1, SQLITE_STATIC);
        return each(s, st, cb, userdata);
}

int store_grants_due(struct store *s, int64_t now, store_grant_cb cb, void *userdata)
{
        sqlite3_stmt *st = store_stmt(s, STMT_GRANT_DUE);

        if (!st)
                return -EIO;
        sqlite3_bind_int64(st, 1, now);
        return each(s, st, cb, userdata);
}
