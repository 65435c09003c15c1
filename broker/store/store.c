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
        /* live sessions and their records: registered at the account phase
         * (a role's target), open at the session phase, ended at logout,
         * deadline, revocation, card removal, by an administrator, or when
         * their processes are gone (session_columns adds to older stores) */
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
        /* privileged access by grant: one person, one role, one duration, one reason */
        "CREATE TABLE IF NOT EXISTS grants("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  role TEXT NOT NULL, person TEXT NOT NULL, reason TEXT NOT NULL,"
        "  requested INTEGER NOT NULL, break_glass INTEGER NOT NULL DEFAULT 0,"
        "  state TEXT NOT NULL CHECK (state IN ('pending', 'active', 'denied', 'revoked', 'expired')),"
        "  created INTEGER NOT NULL,"
        "  approver TEXT NOT NULL DEFAULT '', decided INTEGER NOT NULL DEFAULT 0,"
        "  decision_reason TEXT NOT NULL DEFAULT '',"
        "  starts INTEGER NOT NULL DEFAULT 0, ends INTEGER NOT NULL DEFAULT 0,"
        "  extended INTEGER NOT NULL DEFAULT 0,"
        "  pending_extension INTEGER NOT NULL DEFAULT 0, extension_reason TEXT NOT NULL DEFAULT '',"
        "  closed INTEGER NOT NULL DEFAULT 0, closed_by TEXT NOT NULL DEFAULT '',"
        "  closed_reason TEXT NOT NULL DEFAULT '');"
        "CREATE INDEX IF NOT EXISTS grants_person ON grants(person, state);"
        "CREATE INDEX IF NOT EXISTS grants_state ON grants(state, ends);"
        "CREATE INDEX IF NOT EXISTS cards_serial ON cards(serial);"

        "INSERT OR IGNORE INTO meta(key, value) VALUES('schema', '1');";

/* A session's states in the order they come. */
#define RANK(x) "(CASE " x " WHEN 'registered' THEN 0 WHEN 'open' THEN 1 WHEN 'ending' THEN 2 ELSE 3 END)"
#define SESSION_COLUMNS "id, account, person, service, terminal, pid, started, ended, state, tty, tty_uid, " \
                        "grant_id, role, deadline, cgroup, mechanism, card, reader, card_ends, warned, end_how, " \
                        "end_by, last_gone, pid_start"

#define GRANT_COLUMNS "id, role, person, reason, requested, break_glass, state, created, approver, decided, " \
                      "decision_reason, starts, ends, extended, pending_extension, extension_reason, closed, " \
                      "closed_by, closed_reason"

/* the columns row_to_card() reads, in its order */
#define CARD_COLUMNS "fingerprint, serial, subject, issuer, account, state, registered, not_after, changed, reason"
/* A refused login to a shared ID, as kagid records it (shared.c, login.c,
 * session.c): a non-member's (shared-misuse); the account phase's or the
 * session's refusal of a member while the ID is in use ("in use: …"), of a
 * login that named no member, or of a person who is not one (sudo's). A
 * CASE, not AND and OR: as a value (the copy keeps it for every record it
 * reads) SQLite 3.40 evaluates both sides of those (OP_Or), and the LIKE on
 * every record made the copy take twice as long. */
#define SHARED_REFUSAL \
        "(CASE WHEN event = 'shared-misuse' THEN 1" \
        " WHEN result <> 'denied' OR event NOT IN ('auth', 'account', 'session-open') THEN 0" \
        " WHEN reason LIKE '" AUDIT_IN_USE "%' OR reason IN ('" AUDIT_NO_MEMBER "', '" AUDIT_NOT_MEMBER "') THEN 1" \
        " ELSE 0 END)"
/* later than any time: the neutral element of min() over times that may be absent */
#define NEVER "9000000000000000000"

/* Columns the sessions table gained after it first shipped. */
static const char *const session_columns[] = {
        "state TEXT NOT NULL DEFAULT 'open'",  /* registered, open, ending, ended */
        "tty TEXT NOT NULL DEFAULT ''",
        "tty_uid INTEGER NOT NULL DEFAULT -1",
        "grant_id INTEGER NOT NULL DEFAULT 0",
        "role TEXT NOT NULL DEFAULT ''",
        "deadline INTEGER NOT NULL DEFAULT 0",
        "cgroup TEXT NOT NULL DEFAULT ''",
        "mechanism TEXT NOT NULL DEFAULT ''",
        "card TEXT NOT NULL DEFAULT ''",
        "reader TEXT NOT NULL DEFAULT ''",
        "card_ends INTEGER NOT NULL DEFAULT 0",
        "warned INTEGER NOT NULL DEFAULT 0",
        "end_how TEXT NOT NULL DEFAULT ''",
        "end_by TEXT NOT NULL DEFAULT ''",
        "last_gone INTEGER NOT NULL DEFAULT 0",
        "pid_start INTEGER NOT NULL DEFAULT 0",  /* when pid started: a reused pid is not it */
};

static int add_columns(sqlite3 *db, const char *table, const char *const *cols, size_t n, char *err, size_t errsz)
{
        for (size_t i = 0; i < n; i++) {
                char stmt[256], *msg = NULL;

                snprintf(stmt, sizeof(stmt), "ALTER TABLE %s ADD COLUMN %s", table, cols[i]);
                if (sqlite3_exec(db, stmt, NULL, NULL, &msg) != SQLITE_OK) {
                        bool there = msg && strstr(msg, "duplicate column name");

                        if (!there)
                                snprintf(err, errsz, "%s: %s", stmt, msg ? msg : sqlite3_errmsg(db));
                        sqlite3_free(msg);
                        if (!there)
                                return -EIO;
                }
        }
        return 0;
}

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
        [STMT_SESSION_ADD] = "INSERT INTO sessions(id, account, person, service, terminal, pid, started, state, tty, "
                             "tty_uid, grant_id, role, deadline, cgroup, mechanism, card, reader, card_ends, pid_start) "
                             "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
        [STMT_SESSION_GET] = "SELECT " SESSION_COLUMNS " FROM sessions WHERE id = ?1",
        [STMT_SESSION_PUT] = "UPDATE sessions SET pid = ?2, started = ?3, ended = ?4, state = ?5, deadline = ?6, "
                             "warned = ?7, end_how = ?8, end_by = ?9, last_gone = ?10, cgroup = ?11, pid_start = ?12 "
                             "WHERE id = ?1",
        /* the watcher's own columns; a state only moves on (registered,
         * open, ending, ended), and how it ended is kept once set — so a
         * watcher's copy older than a logout, an extension or an end
         * asked for meanwhile changes none of them */
        [STMT_SESSION_WATCHED] = "UPDATE sessions SET "
                                 "state = CASE WHEN " RANK("?2") " > " RANK("state") " THEN ?2 ELSE state END, "
                                 "ended = CASE WHEN " RANK("?2") " > " RANK("state") " THEN ?3 ELSE ended END, "
                                 "end_how = CASE WHEN " RANK("?2") " > " RANK("state") " OR end_how = '' "
                                 "THEN ?4 ELSE end_how END, "
                                 "end_by = CASE WHEN " RANK("?2") " > " RANK("state") " OR end_by = '' "
                                 "THEN ?5 ELSE end_by END, "
                                 "warned = max(warned, ?6), last_gone = max(last_gone, ?7) WHERE id = ?1",
        [STMT_SESSION_LIVE] = "SELECT " SESSION_COLUMNS " FROM sessions WHERE state != 'ended' ORDER BY started",
        [STMT_SESSION_LEFT] = "SELECT " SESSION_COLUMNS " FROM sessions WHERE state = 'ended' AND cgroup != '' "
                              "AND last_gone = 0 ORDER BY started",
        [STMT_SESSION_OF_GRANT] = "SELECT " SESSION_COLUMNS " FROM sessions WHERE state != 'ended' AND grant_id = ?1",
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
        [STMT_GRANT_ADD] = "INSERT INTO grants(role, person, reason, requested, break_glass, state, created, "
                           "approver, decided, decision_reason, starts, ends) "
                           "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        [STMT_GRANT_GET] = "SELECT " GRANT_COLUMNS " FROM grants WHERE id = ?1",
        [STMT_GRANT_PUT] = "UPDATE grants SET state = ?2, approver = ?3, decided = ?4, decision_reason = ?5, "
                           "starts = ?6, ends = ?7, extended = ?8, pending_extension = ?9, extension_reason = ?10, "
                           "closed = ?11, closed_by = ?12, closed_reason = ?13 WHERE id = ?1",
        /* ?1 person or NULL, ?2 state or NULL, ?3 role or NULL */
        [STMT_GRANT_LIST] = "SELECT " GRANT_COLUMNS " FROM grants WHERE (?1 IS NULL OR person = ?1) AND "
                            "(?2 IS NULL OR state = ?2) AND (?3 IS NULL OR role = ?3) ORDER BY id",
        [STMT_GRANT_ACTIVE] = "SELECT " GRANT_COLUMNS " FROM grants WHERE person = ?1 AND role = ?2 AND "
                              "state = 'active' AND starts <= ?3 AND ends > ?3 ORDER BY ends DESC LIMIT 1",
        [STMT_GRANT_DUE] = "SELECT " GRANT_COLUMNS " FROM grants WHERE state = 'active' AND ends <= ?1 ORDER BY ends",
        [STMT_CARD_LIST] = "SELECT " CARD_COLUMNS " FROM cards WHERE ?1 IS NULL OR account = ?1 "
                           "ORDER BY account, registered",

        /* ---- the account review (review.c): read-only. The audit records a
         * review asks about are copied once, narrowed to what it reads, into
         * a temporary table of the review's own connection (SQLite's temp
         * storage, never kagi.db); every question then aggregates that in
         * one pass instead of scanning the log again. A login is the account
         * phase passing (every login through pam_kagi.so records one); a
         * failure is a counted one. ?1 and ?2 are the period in unix
         * seconds, both ends included. */
        [STMT_REVIEW_EVENTS_DROP] = "DROP TABLE IF EXISTS temp.review_events",
        [STMT_REVIEW_EVENTS_CREATE] =
                "CREATE TEMP TABLE review_events(seq INTEGER PRIMARY KEY, time_us INTEGER NOT NULL,"
                " event TEXT NOT NULL, result TEXT NOT NULL, account TEXT NOT NULL, person TEXT, service TEXT,"
                " factor TEXT, terminal TEXT, reason TEXT, serial TEXT)",
        /* Up to ?1, the end of the period (what came before it counts for
         * last logins and locks that began earlier): logins, failures, card
         * logins, and the enrollment, lock and card records. serial: the card a
         * card record names first — "card SERIAL", "card SERIAL; …",
         * "card SERIAL revoked: …", "card SERIAL: REASON", "card SERIAL is
         * registered to OWNER". And the refused logins to shared IDs
         * (SHARED_REFUSAL), as event "shared:EVENT" with person, terminal and
         * reason, so that no other question takes them for what their own
         * event is. */
        [STMT_REVIEW_EVENTS_FILL] =
                "INSERT INTO temp.review_events SELECT seq, time_us,"
                " CASE WHEN sid THEN 'shared:' || event ELSE event END, result, account,"
                " CASE WHEN sid OR event IN ('unlock', 'card-revoke', 'card-sharing') THEN person END,"
                " CASE WHEN event = 'unlock' THEN service END,"
                " CASE WHEN event = 'auth' AND NOT sid THEN factor END,"
                " CASE WHEN sid OR result = 'failure' OR event = 'card-sharing' THEN terminal END,"
                " CASE WHEN sid OR event = 'unlock' THEN reason END,"
                " CASE WHEN NOT sid AND (factor = 'card+pin' OR event IN ('card-revoke', 'card-sharing'))"
                "   AND reason LIKE 'card %' THEN"
                "   substr(rest, 1, min(coalesce(nullif(instr(rest, ' '), 0), " NEVER "),"
                "     coalesce(nullif(instr(rest, ';'), 0), " NEVER "), coalesce(nullif(instr(rest, ':'), 0), " NEVER "))"
                "     - 1) END"
                " FROM (SELECT *, substr(reason, 6) AS rest, " SHARED_REFUSAL " AS sid FROM main.audit"
                "   WHERE +time_us < (?1 + 1) * 1000000 AND (event IN ('enroll', 'card-register', 'lock', 'unlock',"
                "   'card-revoke', 'card-sharing') OR (event = 'account' AND result = 'success')"
                "   OR (event = 'auth' AND (result = 'failure' OR factor = 'card+pin')) OR " SHARED_REFUSAL "))",
        /* ?2: a JSON array of more names to answer for, state or none (the
         * policy's accounts: shared IDs, roles' targets) */
        [STMT_REVIEW_ACCOUNTS] =
                "WITH names AS (SELECT name FROM accounts UNION SELECT name FROM totp UNION SELECT account FROM cards"
                "   UNION SELECT value FROM json_each(?2) WHERE type = 'text'),"
                " seen AS (SELECT account,"
                "   max(CASE WHEN event = 'account' THEN time_us END) AS ok,"
                "   max(CASE WHEN event = 'auth' THEN time_us END) AS bad,"
                "   min(time_us) AS first"
                "   FROM temp.review_events WHERE time_us < (?1 + 1) * 1000000 AND (event IN ('account', 'enroll',"
                "   'card-register') OR (event = 'auth' AND result = 'failure')) GROUP BY account),"
                " held AS (SELECT account, sum(state = 'active') AS active, min(registered) AS first"
                "   FROM cards GROUP BY account)"
                " SELECT n.name, coalesce(a.failures, 0), coalesce(a.locked_at, 0),"
                "   coalesce(s.ok / 1000000, 0), coalesce(s.bad / 1000000, 0),"
                "   coalesce(nullif(min(coalesce(s.first / 1000000, " NEVER "), coalesce(t.enrolled_at, " NEVER "),"
                "     coalesce(h.first, " NEVER ")), " NEVER "), 0),"
                "   t.name IS NOT NULL, coalesce(h.active, 0)"
                " FROM names n LEFT JOIN accounts a ON a.name = n.name LEFT JOIN totp t ON t.name = n.name"
                " LEFT JOIN seen s ON s.account = n.name LEFT JOIN held h ON h.account = n.name ORDER BY n.name",
        /* ?3: seconds east of UTC, so that days are the host's */
        [STMT_REVIEW_DAYS] =
                "SELECT (time_us / 1000000 + ?3) / 86400 AS day, sum(event = 'account'), sum(event = 'auth'),"
                " sum(event = 'lock') FROM temp.review_events"
                " WHERE time_us BETWEEN ?1 * 1000000 AND ?2 * 1000000 + 999999"
                " AND (event IN ('account', 'lock') OR (event = 'auth' AND result = 'failure'))"
                " GROUP BY day ORDER BY day",
        /* Each lock that overlaps the period, with the unlock that ended it
         * (the next lock or unlock record of the account, if an unlock) and
         * the failures that led to it: those after the account's previous
         * login, lock or unlock (its `run`: boundaries counted so far; a
         * login's account record follows its authentication's).
         * One row per failure, oldest first, or one without when there are
         * none; by the time of the lock. */
        [STMT_REVIEW_LOCKS] =
                "WITH marks AS (SELECT seq, time_us, event, account,"
                "   lead(event) OVER w AS next_event, lead(time_us) OVER w AS next_time,"
                "   lead(person) OVER w AS next_person, lead(service) OVER w AS next_service,"
                "   lead(reason) OVER w AS next_reason"
                "   FROM temp.review_events WHERE event IN ('lock', 'unlock') AND time_us < (?2 + 1) * 1000000"
                "   WINDOW w AS (PARTITION BY account ORDER BY seq)),"
                " locks AS MATERIALIZED (SELECT seq, time_us, account,"
                "   CASE WHEN next_event = 'unlock' THEN next_time END AS unlocked,"
                "   CASE WHEN next_event = 'unlock' THEN next_person END AS unlocked_by,"
                "   CASE WHEN next_event = 'unlock' THEN next_service END AS unlock_service,"
                "   CASE WHEN next_event = 'unlock' THEN next_reason END AS unlock_reason"
                "   FROM marks WHERE event = 'lock'"
                "   AND (next_event IS NOT 'unlock' OR next_time >= ?1 * 1000000)),"
                " runs AS MATERIALIZED (SELECT seq, time_us, event, result, account, factor, terminal,"
                "   sum(event <> 'auth') OVER (PARTITION BY account ORDER BY seq) AS run"
                "   FROM temp.review_events WHERE (event IN ('lock', 'unlock', 'account')"
                "   OR (event = 'auth' AND result = 'failure')) AND time_us < (?2 + 1) * 1000000"
                "   AND account IN (SELECT account FROM locks))"
                " SELECT l.seq, l.account, l.time_us / 1000000, coalesce(l.unlocked / 1000000, 0), l.unlocked_by,"
                "   l.unlock_service, l.unlock_reason, f.time_us / 1000000, f.factor, f.terminal"
                " FROM locks l JOIN runs r ON r.seq = l.seq"
                " LEFT JOIN runs f ON f.account = l.account AND f.run = r.run - 1 AND f.event = 'auth'"
                "   AND f.result = 'failure'"
                " ORDER BY l.time_us, l.seq, f.seq",
        /* Every card; a retired one with the serial of the card that
         * replaced it, a revoked one with who revoked it (the newest
         * card-revoke record naming it; a bare column takes max()'s row) and
         * what was tried with it in the period after that. */
        [STMT_REVIEW_CARDS] =
                "WITH revokes AS MATERIALIZED (SELECT account, serial, person, max(seq) AS seq"
                "   FROM temp.review_events WHERE event = 'card-revoke' AND time_us < (?2 + 1) * 1000000"
                "   GROUP BY account, serial),"
                " tries AS MATERIALIZED (SELECT seq, serial, result, time_us FROM temp.review_events"
                "   WHERE event = 'auth' AND serial IS NOT NULL AND time_us BETWEEN ?1 * 1000000 AND ?2 * 1000000 + 999999),"
                /* after the revocation: in the log's order when its record is
                 * there (the same second holds tries before and after), else
                 * from the second after it */
                " after AS (SELECT c.fingerprint, sum(t.result <> 'success') AS tried, sum(t.result = 'success') AS ok"
                "   FROM cards c LEFT JOIN revokes v ON v.account = c.account AND v.serial = c.serial"
                "   JOIN tries t ON t.serial = c.serial AND (CASE WHEN v.seq IS NOT NULL THEN t.seq > v.seq"
                "     ELSE t.time_us >= (c.changed + 1) * 1000000 END)"
                "   WHERE c.state = 'revoked' GROUP BY c.fingerprint)"
                " SELECT c.fingerprint, c.serial, c.subject, c.issuer, c.account, c.state, c.registered, c.not_after,"
                "   c.changed, c.reason, n.serial, v.person, coalesce(a.tried, 0), coalesce(a.ok, 0)"
                " FROM cards c LEFT JOIN cards n ON c.state = 'retired' AND c.reason LIKE 'replaced by %'"
                "   AND n.fingerprint = substr(c.reason, 13)"
                " LEFT JOIN revokes v ON c.state = 'revoked' AND v.account = c.account AND v.serial = c.serial"
                " LEFT JOIN after a ON a.fingerprint = c.fingerprint ORDER BY c.account, c.registered",
        /* the record's person is the card's owner */
        [STMT_REVIEW_CARD_SHARING] =
                "SELECT time_us / 1000000, account, person, terminal, serial FROM temp.review_events"
                " WHERE event = 'card-sharing' AND time_us BETWEEN ?1 * 1000000 AND ?2 * 1000000 + 999999"
                " ORDER BY seq",
        /* PRIV-2, PRIV-4: every grant asked for by the end of the period and
         * not closed before its start, with how long its sessions were open
         * in all: each from its start to its end or, when its processes
         * outlived that, the last one's end (?3, now, for one still open),
         * the time two of them overlap counted once — each session adds what
         * it runs past the latest end of those that started before it. */
        [STMT_REVIEW_GRANTS] =
                "WITH g AS MATERIALIZED (SELECT " GRANT_COLUMNS " FROM grants WHERE created <= ?2"
                "   AND (closed = 0 OR closed >= ?1)),"
                " s AS (SELECT grant_id AS id, started AS a, max(started, CASE WHEN max(ended, last_gone) > 0"
                "   THEN max(ended, last_gone) ELSE ?3 END) AS b FROM sessions"
                "   WHERE grant_id != 0 AND grant_id IN (SELECT id FROM g)),"
                " w AS (SELECT id, a, b, max(b) OVER (PARTITION BY id ORDER BY a, b"
                "   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before FROM s),"
                " u AS (SELECT id, sum(max(0, b - max(a, coalesce(before, a)))) AS used, count(*) AS n"
                "   FROM w GROUP BY id)"
                " SELECT g.*, coalesce(u.used, 0), coalesce(u.n, 0) FROM g LEFT JOIN u ON u.id = g.id ORDER BY g.id",
        /* SID-1: the sessions of the accounts in ?3 (a JSON array) that
         * overlap the period, by start; their end as for grants, 0 while open */
        [STMT_REVIEW_SESSIONS_OF] =
                "SELECT account, person, service, terminal, started, max(ended, last_gone) AS stop FROM sessions"
                " WHERE account IN (SELECT value FROM json_each(?3) WHERE type = 'text') AND started <= ?2"
                " AND (max(ended, last_gone) = 0 OR max(ended, last_gone) >= ?1) ORDER BY started, id",
        /* the refusals the review's table holds as "shared:EVENT" */
        [STMT_REVIEW_SHARED_REFUSALS] =
                "SELECT time_us / 1000000, substr(event, 8), account, person, terminal, reason"
                " FROM temp.review_events WHERE substr(event, 1, 7) = 'shared:'"
                " AND time_us BETWEEN ?1 * 1000000 AND ?2 * 1000000 + 999999 ORDER BY seq",
        [STMT_REVIEW_AUDIT_SPAN] =
                "SELECT (SELECT count(*) FROM audit WHERE time_us BETWEEN ?1 * 1000000 AND ?2 * 1000000 + 999999),"
                " (SELECT min(seq) FROM audit), (SELECT max(seq) FROM audit)",
        [STMT_REVIEW_RECORD_TIME] = "SELECT time_us / 1000000 FROM audit WHERE seq = ?1",
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
        if (add_columns(s->db, "sessions", session_columns, ARRAY_SIZE(session_columns), err, errsz) < 0 ||
            sqlite3_exec(s->db,
                         "CREATE INDEX IF NOT EXISTS sessions_live ON sessions(state) WHERE state != 'ended';"
                         "CREATE INDEX IF NOT EXISTS sessions_left ON sessions(started) "
                         "WHERE state = 'ended' AND cgroup != '' AND last_gone = 0",
                         NULL, NULL, &msg) != SQLITE_OK) {
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
