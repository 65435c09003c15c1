/* TOTP enrollments: the sealed secret and the last accepted time step,
 * which is what refuses a code or an earlier one a second time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_internal.h"

int store_totp_get(struct store *s, const char *user, struct totp_row *ret)
{
        sqlite3_stmt *st = store_stmt(s, STMT_TOTP_GET);
        int r;

        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        r = sqlite3_step(st);
        if (r == SQLITE_DONE) {
                sqlite3_reset(st);
                return -ENOENT;
        }
        if (r != SQLITE_ROW)
                return store_errno(s, "read totp");
        ret->sealed_len = (size_t)sqlite3_column_bytes(st, 0);
        ret->sealed = malloc(ret->sealed_len ? ret->sealed_len : 1);
        if (!ret->sealed) {
                sqlite3_reset(st);
                return -ENOMEM;
        }
        memcpy(ret->sealed, sqlite3_column_blob(st, 0), ret->sealed_len);
        ret->last_counter = (uint64_t)sqlite3_column_int64(st, 1);
        ret->enrolled_at = sqlite3_column_int64(st, 2);
        sqlite3_reset(st);
        return 0;
}

void totp_row_clear(struct totp_row *r)
{
        free(r->sealed);
        *r = (struct totp_row){ 0 };
}

int store_totp_put(struct store *s, const char *user, const uint8_t *sealed, size_t len, int64_t now)
{
        sqlite3_stmt *st = store_stmt(s, STMT_TOTP_PUT);

        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, sealed, (int)len, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, now);
        return store_exec(s, st, "write totp");
}

int store_totp_accept(struct store *s, const char *user, uint64_t counter, int skew)
{
        sqlite3_stmt *st = store_stmt(s, STMT_TOTP_ACCEPT);

        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (int64_t)counter);
        sqlite3_bind_int(st, 3, skew);
        return store_exec(s, st, "accept totp");
}

int store_totp_delete(struct store *s, const char *user)
{
        sqlite3_stmt *st = store_stmt(s, STMT_TOTP_DELETE);
        int r;

        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        r = store_exec(s, st, "delete totp");
        if (r < 0)
                return r;
        return sqlite3_changes(store_conn(s)->db) > 0 ? 0 : -ENOENT;
}
