/* The hash-chained audit log (broker/store/audit.c, LOG-3) on a real SQLite store
 * in a temporary directory: a clean log verifies, and every change made
 * behind kagid's back with plain SQL is found and named by its record. */
#include "unit.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sqlite3.h>

#include "store.h"

#define N_RECORDS 5

static const uint8_t key[KAGI_KEY_LEN] = "audit-key-for-the-unit-tests-01";

struct fixture {
        char *dir;
        char path[PATH_MAX];
        struct store *s;
};

static void append(struct store *s, int64_t time_us, const char *account, const char *result)
{
        struct audit_record r = {
                .time_us = time_us,
                .event = "auth",
                .account = account,
                .person = account,
                .terminal = "tty1",
                .service = "login",
                .factor = "totp",
                .result = result,
                .reason = "",
                .session = NULL,
        };

        assert_int_equal(store_begin(s), 0);
        assert_int_equal(audit_append(s, key, &r), 0);
        assert_int_equal(store_commit(s), 0);
        assert_true(r.seq > 0);
}

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));
        char err[256];

        if (!f)
                return -1;
        f->dir = unit_tmpdir();
        unit_path(f->path, sizeof(f->path), f->dir, "kagi.db");
        if (store_open(f->path, geteuid(), &f->s, err, sizeof(err)) < 0) {
                print_error("store_open: %s\n", err);
                return -1;
        }
        for (int i = 1; i <= N_RECORDS; i++)
                append(f->s, INT64_C(1700000000000000) + i * 1000000, i % 2 ? "alice" : "bob",
                       i == N_RECORDS ? "success" : "failure");
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;

        store_close(f->s);
        unit_rmtree(f->dir);
        free(f);
        return 0;
}

/* Plain SQL on a connection of its own, as someone with write access to
 * the file would do it. */
static void sql(struct fixture *f, const char *stmt)
{
        sqlite3 *db = NULL;
        char *msg = NULL;

        if (sqlite3_open(f->path, &db) != SQLITE_OK)
                fail_msg("%s: cannot open", f->path);
        sqlite3_busy_timeout(db, 5000);
        if (sqlite3_exec(db, stmt, NULL, NULL, &msg) != SQLITE_OK)
                fail_msg("%s: %s", stmt, msg);
        sqlite3_close(db);
}

static struct audit_verdict verify(struct fixture *f, const uint8_t *k)
{
        struct audit_verdict v;

        assert_int_equal(audit_verify(f->s, k, &v), 0);
        return v;
}

static void untouched_log_verifies(void **state)
{
        struct audit_verdict v = verify(*state, key);

        assert_true(v.ok);
        assert_int_equal(v.records, N_RECORDS);
        assert_int_equal(v.first_bad, 0);
}

static void empty_log_verifies(void **state)
{
        struct fixture *f = *state;
        struct audit_verdict v;

        sql(f, "DELETE FROM audit; DELETE FROM audit_head;");
        v = verify(f, key);
        assert_true(v.ok);
        assert_int_equal(v.records, 0);
}

static void changed_field_is_named_by_its_record(void **state)
{
        struct fixture *f = *state;
        struct audit_verdict v;

        sql(f, "UPDATE audit SET result = 'success' WHERE seq = 3");
        v = verify(f, key);
        assert_false(v.ok);
        assert_int_equal(v.first_bad, 3);
        assert_contains(v.why, "record 3 was changed");
}

static void every_field_is_covered(void **state)
{
        struct fixture *f = *state;
        const char *columns[] = { "event", "account", "person", "terminal", "service",
                                  "factor", "result", "reason", "session" };

        for (size_t i = 0; i < ARRAY_SIZE(columns); i++) {
                char stmt[128];
                struct audit_verdict v;

                snprintf(stmt, sizeof(stmt), "UPDATE audit SET %s = %s || 'x' WHERE seq = 2", columns[i], columns[i]);
                sql(f, stmt);
                v = verify(f, key);
                if (v.ok || v.first_bad != 2)
                        fail_msg("a change of %s went unnoticed", columns[i]);
                snprintf(stmt, sizeof(stmt), "UPDATE audit SET %s = substr(%s, 1, length(%s) - 1) WHERE seq = 2",
                         columns[i], columns[i], columns[i]);
                sql(f, stmt);
                assert_true(verify(f, key).ok);
        }
        sql(f, "UPDATE audit SET time_us = time_us + 1 WHERE seq = 4");
        assert_int_equal(verify(f, key).first_bad, 4);
}

static void removed_record_is_named(void **state)
{
        struct fixture *f = *state;
        struct audit_verdict v;

        sql(f, "DELETE FROM audit WHERE seq = 3");
        v = verify(f, key);
        assert_false(v.ok);
        assert_int_equal(v.first_bad, 3);
        assert_contains(v.why, "record 3 is missing");
}

/* Renumbering the rest after a removal does not help: the chain breaks. */
static void removed_and_renumbered_record_is_named(void **state)
{
        struct fixture *f = *state;
        struct audit_verdict v;

        sql(f, "DELETE FROM audit WHERE seq = 3;"
               "UPDATE audit SET seq = seq - 1 WHERE seq > 3;"
               "UPDATE audit_head SET seq = seq - 1;");
        v = verify(f, key);
        assert_false(v.ok);
        assert_int_equal(v.first_bad, 3);
}

static void swapped_records_are_found(void **state)
{
        struct fixture *f = *state;
        struct audit_verdict v;

        /* every column but seq changes places between records 2 and 4 */
        sql(f, "CREATE TEMP TABLE two AS SELECT * FROM audit WHERE seq = 2;"
               "CREATE TEMP TABLE four AS SELECT * FROM audit WHERE seq = 4;"
               "DELETE FROM audit WHERE seq IN (2, 4);"
               "INSERT INTO audit SELECT 2, time_us, event, account, person, terminal, service, factor,"
               "  result, reason, session, mac FROM four;"
               "INSERT INTO audit SELECT 4, time_us, event, account, person, terminal, service, factor,"
               "  result, reason, session, mac FROM two;");
        v = verify(f, key);
        assert_false(v.ok);
        assert_int_equal(v.first_bad, 2);
}

static void removed_newest_record_is_found(void **state)
{
        struct fixture *f = *state;
        struct audit_verdict v;

        sql(f, "DELETE FROM audit WHERE seq = 5");
        v = verify(f, key);
        assert_false(v.ok);
        assert_int_equal(v.first_bad, 5);
        assert_contains(v.why, "records after 4 were removed");
}

static void replaced_head_is_found(void **state)
{
        struct fixture *f = *state;
        struct audit_verdict v;

        /* the head claims a MAC no record has */
        sql(f, "UPDATE audit_head SET mac = zeroblob(32)");
        v = verify(f, key);
        assert_false(v.ok);
        assert_int_equal(v.first_bad, 6);
        assert_contains(v.why, "head of the log was altered");
}

/* The head row holds the newest record's MAC, which the records table holds
 * too; its own MAC (keyed, over sequence number and that MAC) is what no row
 * holds. Without it, whoever can write the file could cut the newest records
 * and copy the new last one's MAC into the head. (Restoring a whole older
 * copy of the file stays undetectable from the file alone: the syslog copy
 * of each record is the anchor for that.) */
/* The head's own MAC covers its sequence number: pointing it at the last
 * record left after a deletion needs the key. */
static void removed_newest_record_with_forged_head_is_found(void **state)
{
        struct fixture *f = *state;
        struct audit_verdict v;

        sql(f, "DELETE FROM audit WHERE seq = 5;"
               "UPDATE audit_head SET seq = 4, mac = (SELECT mac FROM audit WHERE seq = 4);");
        v = verify(f, key);
        assert_false(v.ok);
        assert_int_equal(v.first_bad, 5);
        assert_contains(v.why, "head of the log was altered");
}

static void appending_after_a_forged_head_is_refused(void **state)
{
        struct fixture *f = *state;
        struct audit_record r = { .event = "auth", .account = "alice" };

        sql(f, "DELETE FROM audit WHERE seq = 5;"
               "UPDATE audit_head SET seq = 4, mac = (SELECT mac FROM audit WHERE seq = 4);");
        assert_int_equal(store_begin(f->s), 0);
        assert_int_equal(audit_append(f->s, key, &r), -EBADMSG);
        store_rollback(f->s);
}

static void wrong_key_fails_at_the_first_record(void **state)
{
        const uint8_t other[KAGI_KEY_LEN] = "another-key-entirely-different!";
        struct audit_verdict v = verify(*state, other);

        assert_false(v.ok);
        assert_int_equal(v.first_bad, 1);
}

static void put_be64(uint8_t **p, uint64_t v)
{
        for (int i = 7; i >= 0; i--, v >>= 8)
                (*p)[i] = (uint8_t)v;
        *p += 8;
}

/* The format the log has on disk, which every kagid must go on reading:
 * the first record's MAC is HMAC-SHA256 under the key over 32 zero bytes
 * (no record before it), its number and time (64-bit big endian) and each
 * field, length first. */
static void the_first_mac_is_the_documented_hmac(void **state)
{
        struct fixture *f = *state;
        const char *fields[] = { "auth", "alice", "alice", "tty1", "login", "totp", "failure", "", "" };
        uint8_t msg[512] = { 0 }, *p = msg + 32, want[32];
        unsigned len = 0;
        sqlite3_stmt *st = NULL;
        sqlite3 *db = NULL;

        put_be64(&p, 1);
        put_be64(&p, UINT64_C(1700000001000000));
        for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
                put_be64(&p, strlen(fields[i]));
                memcpy(p, fields[i], strlen(fields[i]));
                p += strlen(fields[i]);
        }
        assert_non_null(HMAC(EVP_sha256(), key, KAGI_KEY_LEN, msg, (size_t)(p - msg), want, &len));
        assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(db, "SELECT mac FROM audit WHERE seq = 1", -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_int_equal(sqlite3_column_bytes(st, 0), 32);
        assert_memory_equal(sqlite3_column_blob(st, 0), want, 32);
        sqlite3_finalize(st);
        sqlite3_close(db);
}

static void append_in(struct store *s, const char *account)
{
        struct audit_record r = { .event = "auth", .account = account, .result = "failure" };

        assert_int_equal(audit_append(s, key, &r), 0);
}

/* The head row names the last record a transaction appended, however many
 * it appended (it is written once, at the commit). */
static void several_records_in_one_transaction_chain(void **state)
{
        struct fixture *f = *state;
        struct audit_verdict v;

        assert_int_equal(store_begin(f->s), 0);
        append_in(f->s, "carol");
        append_in(f->s, "carol");
        append_in(f->s, "dave");
        assert_int_equal(store_commit(f->s), 0);
        v = verify(f, key);
        assert_true(v.ok);
        assert_int_equal(v.records, N_RECORDS + 3);
        append(f->s, 0, "erin", "success");
        v = verify(f, key);
        assert_true(v.ok);
        assert_int_equal(v.records, N_RECORDS + 4);
}

/* A transaction rolled back takes its records and leaves the head as it
 * was: the next record follows the last one kept. */
static void a_rolled_back_transaction_leaves_the_head(void **state)
{
        struct fixture *f = *state;
        struct audit_verdict v;

        assert_int_equal(store_begin(f->s), 0);
        append_in(f->s, "carol");
        append_in(f->s, "carol");
        store_rollback(f->s);
        v = verify(f, key);
        assert_true(v.ok);
        assert_int_equal(v.records, N_RECORDS);
        append(f->s, 0, "dave", "failure");
        v = verify(f, key);
        assert_true(v.ok);
        assert_int_equal(v.records, N_RECORDS + 1);
}

static void appending_continues_the_chain(void **state)
{
        struct fixture *f = *state;
        struct audit_verdict v;

        append(f->s, 0, "carol", "failure");          /* time 0: now */
        v = verify(f, key);
        assert_true(v.ok);
        assert_int_equal(v.records, N_RECORDS + 1);
}

static void appending_to_a_damaged_head_is_refused(void **state)
{
        struct fixture *f = *state;
        struct audit_record r = { .event = "auth", .account = "alice" };

        sql(f, "UPDATE audit_head SET mac = x'00'");
        assert_int_equal(store_begin(f->s), 0);
        assert_int_equal(audit_append(f->s, key, &r), -EBADMSG);
        store_rollback(f->s);
}

/* ---- reading ------------------------------------------------------------------------- */

struct collected {
        int n;
        int64_t seq[16];
        char account[16][32];
};

static int collect(void *userdata, const struct audit_record *r)
{
        struct collected *c = userdata;

        if (c->n >= 16)
                return -E2BIG;
        c->seq[c->n] = r->seq;
        snprintf(c->account[c->n], sizeof(c->account[0]), "%s", r->account);
        c->n++;
        return 0;
}

static int stop_at_two(void *userdata, const struct audit_record *r)
{
        int *n = userdata;

        (void)r;
        return ++*n == 2 ? -ECANCELED : 0;
}

static void audit_each_gives_every_record_in_order(void **state)
{
        struct fixture *f = *state;
        struct collected c = { 0 };

        assert_int_equal(audit_each(f->s, 0, collect, &c), 0);
        assert_int_equal(c.n, N_RECORDS);
        for (int i = 0; i < N_RECORDS; i++)
                assert_int_equal(c.seq[i], i + 1);
        assert_string_equal(c.account[0], "alice");
        assert_string_equal(c.account[1], "bob");
}

static void audit_each_since_starts_at_that_time(void **state)
{
        struct fixture *f = *state;
        struct collected c = { 0 };

        /* record i was written at 1700000000 + i seconds */
        assert_int_equal(audit_each(f->s, INT64_C(1700000003000000), collect, &c), 0);
        assert_int_equal(c.n, 3);
        assert_int_equal(c.seq[0], 3);
        assert_int_equal(c.seq[2], 5);

        c.n = 0;
        assert_int_equal(audit_each(f->s, INT64_C(1700000003000001), collect, &c), 0);
        assert_int_equal(c.n, 2);
        c.n = 0;
        assert_int_equal(audit_each(f->s, INT64_C(1800000000000000), collect, &c), 0);
        assert_int_equal(c.n, 0);
}

static void audit_each_stops_when_the_callback_fails(void **state)
{
        int n = 0;

        assert_int_equal(audit_each(((struct fixture *)*state)->s, 0, stop_at_two, &n), -ECANCELED);
        assert_int_equal(n, 2);
}

static void times_are_iso8601_utc_with_microseconds(void **state)
{
        char buf[40];

        (void)state;
        time_format_utc(0, buf);
        assert_string_equal(buf, "1970-01-01T00:00:00.000000Z");
        time_format_utc(INT64_C(1111111111123456), buf);
        assert_string_equal(buf, "2005-03-18T01:58:31.123456Z");
        time_format_utc(INT64_C(1700000000000001), buf);
        assert_string_equal(buf, "2023-11-14T22:13:20.000001Z");
        /* before 1970 (only a damaged record can say so) */
        time_format_utc(-1, buf);
        assert_string_equal(buf, "1969-12-31T23:59:59.999999Z");
        time_format_utc(INT64_C(-1500000), buf);
        assert_string_equal(buf, "1969-12-31T23:59:58.500000Z");
        /* whatever a damaged record holds stays inside the buffer */
        time_format_utc(INT64_MIN, buf);
        assert_true(strlen(buf) < sizeof(buf));
        time_format_utc(INT64_MAX, buf);
        assert_true(strlen(buf) < sizeof(buf));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
                T(untouched_log_verifies),
                T(empty_log_verifies),
                T(changed_field_is_named_by_its_record),
                T(every_field_is_covered),
                T(removed_record_is_named),
                T(removed_and_renumbered_record_is_named),
                T(swapped_records_are_found),
                T(removed_newest_record_is_found),
                T(replaced_head_is_found),
                T(removed_newest_record_with_forged_head_is_found),
                T(appending_after_a_forged_head_is_refused),
                T(wrong_key_fails_at_the_first_record),
                T(the_first_mac_is_the_documented_hmac),
                T(appending_continues_the_chain),
                T(several_records_in_one_transaction_chain),
                T(a_rolled_back_transaction_leaves_the_head),
                T(appending_to_a_damaged_head_is_refused),
                T(audit_each_gives_every_record_in_order),
                T(audit_each_since_starts_at_that_time),
                T(audit_each_stops_when_the_callback_fails),
                T(times_are_iso8601_utc_with_microseconds),
#undef T
        };

        return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
