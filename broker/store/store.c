/* Durable state in SQLite: WAL, synchronous=FULL, so a commit is on disk
 * before kagid answers. Each store reads on a connection of its own; its
 * transactions run on the database's one write connection (commit.c),
 * where concurrent ones share a commit. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "store.h"
#include "store_internal.h"

static const char *const schema_sql =
        "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS accounts("
        "  name TEXT PRIMARY KEY,"
        "  failures INTEGER NOT NULL DEFAULT 0,"
        "  locked_at INTEGER NOT NULL DEFAULT 0,"
        "  last_success INTEGER NOT NULL DEFAULT 0,"
        "  last_failure INTEGER NOT NULL DEFAULT 0);"
        /* names the directory does not know share a bounded set of counters */
        "CREATE TABLE IF NOT EXISTS unknown_accounts("
        "  bucket INTEGER PRIMARY KEY,"
        "  failures INTEGER NOT NULL DEFAULT 0,"
        "  locked_at INTEGER NOT NULL DEFAULT 0);"
        "CREATE TABLE IF NOT EXISTS totp("
        "  name TEXT PRIMARY KEY,"
        "  sealed BLOB NOT NULL,"
        "  last_counter INTEGER NOT NULL DEFAULT 0,"
        "  last_skew INTEGER NOT NULL DEFAULT 0,"
        "  enrolled_at INTEGER NOT NULL);"
        "CREATE TABLE IF NOT EXISTS sessions("
        "  id TEXT PRIMARY KEY,"
        "  account TEXT NOT NULL, person TEXT NOT NULL, service TEXT NOT NULL,"
        "  terminal TEXT NOT NULL, pid INTEGER NOT NULL,"
        "  started INTEGER NOT NULL, ended INTEGER NOT NULL DEFAULT 0);"
        "CREATE TABLE IF NOT EXISTS audit("
        "  seq INTEGER PRIMARY KEY,"
        "  time_us INTEGER NOT NULL,"
        "  event TEXT NOT NULL, account TEXT NOT NULL, person TEXT NOT NULL,"
        "  terminal TEXT NOT NULL, service TEXT NOT NULL, factor TEXT NOT NULL,"
        "  result TEXT NOT NULL, reason TEXT NOT NULL, session TEXT NOT NULL,"
        "  mac BLOB NOT NULL);"
        "CREATE TABLE IF NOT EXISTS audit_head("
        "  id INTEGER PRIMARY KEY CHECK (id = 1),"
        "  seq INTEGER NOT NULL, mac BLOB NOT NULL, head_mac BLOB NOT NULL);"
        "CREATE INDEX IF NOT EXISTS audit_time ON audit(time_us);"
        "CREATE TABLE IF NOT EXISTS cards("
        "  fingerprint TEXT PRIMARY KEY,"          /* SHA-256 of the certificate, hex */
        "  serial TEXT NOT NULL, subject TEXT NOT NULL, issuer TEXT NOT NULL,"
        "  account TEXT NOT NULL,"
        "  state TEXT NOT NULL CHECK (state IN ('active', 'retired', 'revoked')),"
        "  registered INTEGER NOT NULL, not_after INTEGER NOT NULL,"
        "  changed INTEGER NOT NULL DEFAULT 0, reason TEXT NOT NULL DEFAULT '');"
        "CREATE INDEX IF NOT EXISTS cards_account ON cards(account);"
        "CREATE INDEX IF NOT EXISTS cards_serial ON cards(serial);"

        "INSERT OR IGNORE INTO meta(key, value) VALUES('schema', '1');";

/* the columns row_to_card() reads, in its order */
#define CARD_COLUMNS "fingerprint, serial, subject, issuer, account, state, registered, not_after, changed, reason"

static const char *const sql[STMT_MAX_] = {
        [STMT_LOCK_GET] = "SELECT failures, locked_at FROM accounts WHERE name = ?1",
        [STMT_LOCK_PUT] = "INSERT INTO accounts(name, failures, locked_at) VALUES(?1, ?2, ?3) "
                          "ON CONFLICT(name) DO UPDATE SET failures = ?2, locked_at = ?3",
        [STMT_UNKNOWN_GET] = "SELECT failures, locked_at FROM unknown_accounts WHERE bucket = ?1",
        [STMT_UNKNOWN_PUT] = "INSERT INTO unknown_accounts(bucket, failures, locked_at) VALUES(?1, ?2, ?3) "
                             "ON CONFLICT(bucket) DO UPDATE SET failures = ?2, locked_at = ?3",
        [STMT_NOTE_SUCCESS] = "UPDATE accounts SET last_success = ?2 WHERE name = ?1",
        [STMT_NOTE_FAILURE] = "UPDATE accounts SET last_failure = ?2 WHERE name = ?1",
        [STMT_TOTP_GET] = "SELECT sealed, last_counter, enrolled_at FROM totp WHERE name = ?1",
        [STMT_TOTP_PUT] = "INSERT INTO totp(name, sealed, last_counter, last_skew, enrolled_at) "
                          "VALUES(?1, ?2, 0, 0, ?3) ON CONFLICT(name) DO UPDATE SET "
                          "sealed = ?2, last_counter = 0, last_skew = 0, enrolled_at = ?3",
        [STMT_TOTP_ACCEPT] = "UPDATE totp SET last_counter = ?2, last_skew = ?3 WHERE name = ?1",
        [STMT_TOTP_DELETE] = "DELETE FROM totp WHERE name = ?1",
        [STMT_SESSION_OPEN] = "INSERT INTO sessions(id, account, person, service, terminal, pid, started) "
                              "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        [STMT_SESSION_CLOSE] = "UPDATE sessions SET ended = ?2 WHERE id = ?1 AND ended = 0 RETURNING account",
        [STMT_USERS] = "SELECT name FROM accounts UNION SELECT name FROM totp UNION SELECT account FROM cards "
                       "ORDER BY 1",
        [STMT_USER_STATE] = "SELECT a.failures, a.locked_at, a.last_success, a.last_failure, "
                            "t.enrolled_at, t.last_skew FROM (SELECT ?1 AS name) n "
                            "LEFT JOIN accounts a ON a.name = n.name LEFT JOIN totp t ON t.name = n.name",
        [STMT_AUDIT_HEAD] = "SELECT seq, mac, head_mac FROM audit_head WHERE id = 1",
        [STMT_AUDIT_INSERT] = "INSERT INTO audit(seq, time_us, event, account, person, terminal, service, "
                              "factor, result, reason, session, mac) "
                              "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        [STMT_AUDIT_HEAD_PUT] = "INSERT INTO audit_head(id, seq, mac, head_mac) VALUES(1, ?1, ?2, ?3) "
                                "ON CONFLICT(id) DO UPDATE SET seq = ?1, mac = ?2, head_mac = ?3",
        /* every record from ?1 on; verification reads them all with ?1 = 0 */
        [STMT_AUDIT_ALL] = "SELECT seq, time_us, event, account, person, terminal, service, factor, "
                           "result, reason, session, mac FROM audit WHERE time_us >= ?1 ORDER BY seq",
        [STMT_CARD_GET] = "SELECT " CARD_COLUMNS " FROM cards WHERE fingerprint = ?1",
        [STMT_CARD_ADD] = "INSERT INTO cards(fingerprint, serial, subject, issuer, account, state, registered, not_after) "
                          "VALUES(?1, ?2, ?3, ?4, ?5, 'active', ?6, ?7)",
        [STMT_CARD_RETIRE_OTHERS] = "UPDATE cards SET state = 'retired', changed = ?3, reason = 'replaced by ' || ?2 "
                                    "WHERE account = ?1 AND fingerprint != ?2 AND state = 'active'",
        [STMT_CARD_REVOKE] = "UPDATE cards SET state = 'revoked', changed = ?2, reason = ?3 "
                             "WHERE fingerprint = ?1 AND state != 'revoked'",
        [STMT_CARD_BY_SERIAL] = "SELECT fingerprint FROM cards WHERE serial = ?1 COLLATE NOCASE",
        [STMT_CARD_LIST] = "SELECT " CARD_COLUMNS " FROM cards WHERE ?1 IS NULL OR account = ?1 "
                           "ORDER BY account, registered",
};

sqlite3_stmt *store_stmt(struct store *s, enum stmt_id id)
{
        s = store_conn(s);
        if (!s->stmts[id] &&
            sqlite3_prepare_v3(s->db, sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->stmts[id], NULL) != SQLITE_OK) {
                log_err("database: cannot prepare statement %d: %s", (int)id, sqlite3_errmsg(s->db));
                return NULL;
        }
        sqlite3_reset(s->stmts[id]);
        sqlite3_clear_bindings(s->stmts[id]);
        return s->stmts[id];
}

int store_errno(struct store *s, const char *what)
{
        int code;

        s = store_conn(s);
        code = sqlite3_errcode(s->db);

        log_err("database: %s: %s", what, sqlite3_errmsg(s->db));
        switch (code & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                return -EBUSY;
        case SQLITE_FULL:
                return -ENOSPC;
        case SQLITE_CONSTRAINT:
                return -EEXIST;
        default:
                return -EIO;
        }
}

/* Runs a statement that returns no rows. */
int store_exec(struct store *s, sqlite3_stmt *st, const char *what)
{
        int r;

        if (!st)
                return -EIO;
        r = sqlite3_step(st);
        sqlite3_reset(st);
        if (r != SQLITE_DONE && r != SQLITE_ROW)
                return store_errno(s, what);
        return 0;
}

int store_row(struct store *s, sqlite3_stmt *st, const char *what, void (*read)(sqlite3_stmt *st, void *ret),
              void *ret)
{
        int r;

        if (!st)
                return -EIO;
        r = sqlite3_step(st);
        if (r == SQLITE_ROW)
                read(st, ret);
        sqlite3_reset(st);
        if (r == SQLITE_DONE)
                return -ENOENT;
        return r == SQLITE_ROW ? 0 : store_errno(s, what);
}

static int check_parent_dir(const char *path, uid_t owner, char *err, size_t errsz)
{
        _cleanup_(freep) char *copy = strdup(path);
        _cleanup_(closep) int fd = -1;

        if (!copy)
                return -ENOMEM;
        fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                int r = -errno;
                snprintf(err, errsz, "%s: %s", path, strerror(errno));
                return r;
        }
        return config_check_file(fd, copy, owner, err, errsz);
}

/* One connection to the database: WAL, every commit on disk (FULL). */
int store_conn_open(const char *path, struct store **ret, char *err, size_t errsz)
{
        struct store *s = calloc(1, sizeof(*s));
        char *msg = NULL;

        if (!s)
                return -ENOMEM;
        if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
                            SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
                snprintf(err, errsz, "%s: %s", path, s->db ? sqlite3_errmsg(s->db) : "cannot open");
                store_close(s);
                return -EIO;
        }
        sqlite3_busy_timeout(s->db, 10000);
        sqlite3_extended_result_codes(s->db, 1);
        if (sqlite3_exec(s->db,
                         "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                         "PRAGMA secure_delete=ON; PRAGMA trusted_schema=OFF;",
                         NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(s->db, schema_sql, NULL, NULL, &msg) != SQLITE_OK) {
                snprintf(err, errsz, "%s: %s", path, msg ? msg : sqlite3_errmsg(s->db));
                sqlite3_free(msg);
                store_close(s);
                return -EIO;
        }
        *ret = s;
        return 0;
}

int store_open(const char *path, uid_t owner, struct store **ret, char *err, size_t errsz)
{
        struct store *s;
        int r, fd;

        r = check_parent_dir(path, owner, err, errsz);
        if (r < 0)
                return r;
        /* create it 0600 ourselves rather than trusting the umask */
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) {
                r = -errno;
                snprintf(err, errsz, "%s: %s", path, strerror(errno));
                return r;
        }
        r = config_check_file(fd, path, owner, err, errsz);
        close(fd);
        if (r < 0)
                return r;
        r = store_conn_open(path, &s, err, errsz);
        if (r < 0)
                return r;
        r = writer_get(path, &s->w, err, errsz);
        if (r < 0) {
                store_close(s);
                return r;
        }
        *ret = s;
        return 0;
}

void store_close(struct store *s)
{
        if (!s)
                return;
        if (s->writing)
                store_rollback(s);
        writer_put(s->w);
        for (size_t i = 0; i < STMT_MAX_; i++)
                sqlite3_finalize(s->stmts[i]);
        sqlite3_close_v2(s->db);
        audit_state_clear(&s->audit);
        free(s);
}
