/* LOG-1..3: every decision is recorded, the chain shows tampering. */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <security/pam_appl.h>
#include <sqlite3.h>

#include "harness.h"

static int setup(void **state)
{
        struct fx *f = fx_new(NULL, (const char *[]){ "alice", NULL });
        struct fx_conv c;

        if (!f)
                return -1;
        /* some history: a failure, a success with a session */
        fx_login(f, "alice", "pw-alice", "000000", &c);
        fx_right_answers(&c, "alice");
        if (fx_pam_items(f, "kagi-stack", "alice", "tty1", NULL, NULL, &c, FX_AUTH | FX_ACCOUNT | FX_SESSION) !=
            PAM_SUCCESS) {
                fx_free(f);
                return -1;
        }
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        return fx_free(*state);
}

static void tamper(struct fx *f, const char *sql)
{
        sqlite3 *db;

        assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
        sqlite3_busy_timeout(db, 5000);
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
}

static int verify(struct fx *f, char *out, size_t size)
{
        const char *argv[] = { "audit", "verify", NULL };

        return fx_kagictl(f, out, size, argv);
}

static void intact_log_verifies(void **state)
{
        char out[4096];

        assert_int_equal(verify(*state, out, sizeof(out)), 0);
        assert_non_null(strstr(out, "audit log OK"));
}

static void every_record_has_the_required_fields(void **state)
{
        struct fx *f = *state;

        /* LOG-2: who, when (UTC), where, what, result — login and logout with the terminal */
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=auth", "result=failure", "account=alice",
                                                             "person=alice", "service=kagi-stack",
                                                             "factor=password+totp", NULL }),
                         1);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=login", "service=kagi-stack", NULL }), 1);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=logout", NULL }), 1);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=enroll", "factor=totp", "person=root", NULL }), 1);
        {
                char out[1 << 16];
                const char *argv[] = { "audit", "show", NULL };
                assert_int_equal(fx_kagictl(f, out, sizeof(out), argv), 0);
                assert_non_null(strstr(out, ":tty1"));
                assert_non_null(strstr(out, "Z "));     /* UTC */
        }
}

static void each_record_is_copied_to_the_log(void **state)
{
        assert_true(fx_log_contains(*state, "kagi-audit seq=1 "));
        assert_true(fx_log_contains(*state, "event=login account=\"alice\""));
}

/* The user name is the first thing an ssh client sends, before any
 * authentication: whatever it holds, it cannot forge fields of the syslog
 * copy nor reach an administrator's terminal as a control sequence. */
#define FORGED "mallory\" person=\"root\" result=success reason=\"ok\x1b[2K\rkagi-audit seq=1 event=login"

static bool has_raw_controls(const char *s)
{
        return strchr(s, '\x1b') || strchr(s, '\r');
}

static void forged_user_name_cannot_forge_fields_or_reach_a_terminal(void **state)
{
        static char log[1 << 18], out[1 << 16];
        struct fx *f = *state;
        struct fx_conv c;
        const char *line;

        assert_int_equal(fx_login(f, FORGED, "pw-x", "000000", &c), PAM_AUTH_ERR);

        /* the syslog copy (kagid -f shows it on stderr): one account field,
         * the rest of the name inside it, escaped */
        fx_log(f, log, sizeof(log));
        assert_false(has_raw_controls(log));
        line = strstr(log, "account=\"mallory");
        assert_non_null(line);
        assert_non_null(strstr(line, "account=\"mallory\\\" person=\\\"root\\\" result=success reason=\\\"ok"
                                     "\\x1b[2K\\rkagi-audit seq=1 event=login\" person=\"mallory"));

        /* kagictl's text tables print it escaped too */
        {
                const char *argv[] = { "audit", "show", NULL };
                assert_int_equal(fx_kagictl(f, out, sizeof(out), argv), 0);
                assert_non_null(strstr(out, "mallory\\\" person=\\\"root"));
                assert_false(has_raw_controls(out));
        }
        {
                const char *argv[] = { "user", "list", NULL };
                assert_int_equal(fx_kagictl(f, out, sizeof(out), argv), 0);
                assert_false(has_raw_controls(out));
        }
        {
                const char *argv[] = { "status", FORGED, NULL };
                assert_int_equal(fx_kagictl(f, out, sizeof(out), argv), 0);
                assert_false(has_raw_controls(out));
        }
        /* the JSON output keeps the name as it is, escaped the JSON way */
        {
                const char *argv[] = { "audit", "show", "--json", NULL };
                assert_int_equal(fx_kagictl(f, out, sizeof(out), argv), 0);
                assert_non_null(strstr(out, "\\u001b[2K\\r"));
                assert_false(has_raw_controls(out));
        }
}

/* pam_kagi's own log lines (pam_syslog; pam_wrapper prints them on stderr
 * from PAM_WRAPPER_DEBUGLEVEL 1) escape the name the same way. */
static void the_modules_own_log_lines_escape_the_name(void **state)
{
        static char log[1 << 20];
        struct fx *f = *state;
        struct fx_conv c;
        char path[256];
        int fd, saved;
        FILE *in;
        size_t n;

        snprintf(path, sizeof(path), "%s/module.log", f->dir);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        fx_stop(f, SIGTERM);                 /* "cannot connect to kagid … for NAME" */
        fflush(stderr);
        saved = dup(STDERR_FILENO);
        dup2(fd, STDERR_FILENO);
        setenv("PAM_WRAPPER_DEBUGLEVEL", "1", 1);
        fx_login(f, FORGED, "pw-x", "000000", &c);
        unsetenv("PAM_WRAPPER_DEBUGLEVEL");
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
        close(fd);
        in = fopen(path, "re");
        assert_non_null(in);
        n = fread(log, 1, sizeof(log) - 1, in);
        log[n] = '\0';
        fclose(in);
        assert_non_null(strstr(log, "for mallory\\\" person=\\\"root\\\" result=success reason=\\\"ok\\x1b[2K\\r"));
        assert_false(has_raw_controls(log));
}

static void changed_record_is_detected(void **state)
{
        struct fx *f = *state;
        char out[4096];

        tamper(f, "UPDATE audit SET result = 'success' WHERE seq = 2");
        assert_int_equal(verify(f, out, sizeof(out)), 1);
        assert_non_null(strstr(out, "FAILED at record 2"));
}

static void removed_record_is_detected(void **state)
{
        struct fx *f = *state;
        char out[4096];

        tamper(f, "DELETE FROM audit WHERE seq = 3");
        assert_int_equal(verify(f, out, sizeof(out)), 1);
        assert_non_null(strstr(out, "record 3 is missing"));
}

static void reordered_records_are_detected(void **state)
{
        struct fx *f = *state;
        char out[4096];

        /* swap the contents of records 2 and 3, keeping their numbers */
        tamper(f, "UPDATE audit SET seq = -1 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 3;"
                  "UPDATE audit SET seq = 3 WHERE seq = -1;");
        assert_int_equal(verify(f, out, sizeof(out)), 1);
        assert_non_null(strstr(out, "FAILED at record 2"));
}

static void removed_newest_records_are_detected(void **state)
{
        struct fx *f = *state;
        char out[4096];

        tamper(f, "DELETE FROM audit WHERE seq = (SELECT MAX(seq) FROM audit)");
        assert_int_equal(verify(f, out, sizeof(out)), 1);
        assert_non_null(strstr(out, "were removed"));
}

static void since_limits_the_listing(void **state)
{
        struct fx *f = *state;
        char out[1 << 16];
        const char *future[] = { "audit", "show", "--since", "2999-01-01", NULL };
        const char *recent[] = { "audit", "show", "--since", "1h", NULL };
        const char *junk[] = { "audit", "show", "--since", "yesterday-ish", NULL };

        assert_int_equal(fx_kagictl(f, out, sizeof(out), future), 0);
        assert_null(strstr(out, "alice"));
        assert_int_equal(fx_kagictl(f, out, sizeof(out), recent), 0);
        assert_non_null(strstr(out, "alice"));
        assert_int_equal(fx_kagictl(f, out, sizeof(out), junk), 2);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
                T(intact_log_verifies),
                T(every_record_has_the_required_fields),
                T(each_record_is_copied_to_the_log),
                T(forged_user_name_cannot_forge_fields_or_reach_a_terminal),
                T(the_modules_own_log_lines_escape_the_name),
                T(changed_record_is_detected),
                T(removed_record_is_detected),
                T(reordered_records_are_detected),
                T(removed_newest_records_are_detected),
                T(since_limits_the_listing),
#undef T
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
