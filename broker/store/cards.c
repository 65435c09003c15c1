/* The card registry (CARD-1..3). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "store_internal.h"

static void copy_text(char *dst, size_t size, sqlite3_stmt *st, int col)
{
        const unsigned char *t = sqlite3_column_text(st, col);

        snprintf(dst, size, "%s", t ? (const char *)t : "");
}

void row_to_card(sqlite3_stmt *st, void *ret)
{
        struct card_row *c = ret;

        copy_text(c->fingerprint, sizeof(c->fingerprint), st, 0);
        copy_text(c->serial, sizeof(c->serial), st, 1);
        copy_text(c->subject, sizeof(c->subject), st, 2);
        copy_text(c->issuer, sizeof(c->issuer), st, 3);
        copy_text(c->account, sizeof(c->account), st, 4);
        copy_text(c->state, sizeof(c->state), st, 5);
        c->registered = sqlite3_column_int64(st, 6);
        c->not_after = sqlite3_column_int64(st, 7);
        c->changed = sqlite3_column_int64(st, 8);
        copy_text(c->reason, sizeof(c->reason), st, 9);
}

int store_card_get(struct store *s, const char *fingerprint, struct card_row *ret)
{
        sqlite3_stmt *st = store_stmt(s, STMT_CARD_GET);

        if (st)
                sqlite3_bind_text(st, 1, fingerprint, -1, SQLITE_STATIC);
        return store_row(s, st, "read card", row_to_card, ret);
}

int store_card_add(struct store *s, const struct card_row *c, int64_t now)
{
        sqlite3_stmt *st = store_stmt(s, STMT_CARD_ADD);

        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, c->fingerprint, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, c->serial, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, c->subject, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, c->issuer, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, c->account, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 6, now);
        sqlite3_bind_int64(st, 7, c->not_after);
        return store_exec(s, st, "register card");
}

int store_card_retire_others(struct store *s, const char *account, const char *keep, int64_t now)
{
        sqlite3_stmt *st = store_stmt(s, STMT_CARD_RETIRE_OTHERS);
        int r;

        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, keep, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, now);
        r = store_exec(s, st, "retire cards");
        return r < 0 ? r : sqlite3_changes(store_conn(s)->db);
}

int store_card_revoke(struct store *s, const char *fingerprint, const char *reason, int64_t now)
{
        sqlite3_stmt *st = store_stmt(s, STMT_CARD_REVOKE);
        int r;

        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, fingerprint, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now);
        sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
        r = store_exec(s, st, "revoke card");
        if (r < 0)
                return r;
        return sqlite3_changes(store_conn(s)->db) > 0 ? 0 : -EALREADY;
}

int store_card_by_serial(struct store *s, const char *serial, char fingerprint[65], size_t *ret_matches)
{
        sqlite3_stmt *st = store_stmt(s, STMT_CARD_BY_SERIAL);
        size_t n = 0;
        int r;

        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
        while ((r = sqlite3_step(st)) == SQLITE_ROW)
                if (n++ == 0)
                        copy_text(fingerprint, 65, st, 0);
        sqlite3_reset(st);
        if (r != SQLITE_DONE)
                return store_errno(s, "find card by serial");
        *ret_matches = n;
        return 0;
}

int store_cards(struct store *s, const char *account, store_card_cb cb, void *userdata)
{
        sqlite3_stmt *st = store_stmt(s, STMT_CARD_LIST);
        int r;

        if (!st)
                return -EIO;
        if (account)
                sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                struct card_row c;
                int k;

                row_to_card(st, &c);
                k = cb(userdata, &c);
                if (k < 0) {
                        sqlite3_reset(st);
                        return k;
                }
        }
        sqlite3_reset(st);
        return r == SQLITE_DONE ? 0 : store_errno(s, "list cards");
}
