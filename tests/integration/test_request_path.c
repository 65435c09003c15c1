/* kagid's request path (docs/request-path.md): no unprivileged peer can
 * hold logins up; a client that gave up gets nothing done behind its back;
 * N parallel logins through the documented stack get at most `threshold`
 * password checks; names nobody has leave the store bounded; one account's
 * lock state whatever spelling of its name was typed. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <security/pam_appl.h>
#include <sqlite3.h>

#include "common.h"
#include "harness.h"

static int setup(void **state)
{
        *state = fx_new(NULL, (const char *[]){ "alice", "bob", "carol", "frank", NULL });
        return *state ? 0 : -1;
}

static int teardown(void **state)
{
        return fx_free(*state);
}

static int connect_to(const struct fx *f)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

        if (fd < 0 || strlen(f->sock) >= sizeof(sa.sun_path))
                return -1;
        memcpy(sa.sun_path, f->sock, strlen(f->sock) + 1);
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
                close(fd);
                return -1;
        }
        return fd;
}

/* As uid 65534, for `seconds`: hold as many connections as kagid lets it,
 * half of them idle, half dripping a byte every 200 ms, reconnecting each
 * one kagid drops. */
static void hog(const struct fx *f, int seconds)
{
        int fds[96];
        int64_t end = now_ms() + seconds * 1000;

        if (setgid(65534) < 0 || setuid(65534) < 0)
                _exit(2);
        for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
                fds[i] = connect_to(f);
        while (now_ms() < end) {
                for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
                        char c = 0;

                        if (fds[i] >= 0 && recv(fds[i], &c, 1, MSG_DONTWAIT) == 0) {
                                close(fds[i]);
                                fds[i] = -1;
                        }
                        if (fds[i] < 0)
                                fds[i] = connect_to(f);
                        else if (i % 2)
                                send(fds[i], "\0", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
                }
                usleep(200 * 1000);
        }
        _exit(0);
}

/* While an unprivileged uid holds its maximum of idle and dripping
 * connections and keeps reconnecting, root's logins succeed. */
static void unprivileged_connections_cannot_hold_up_logins(void **state)
{
        struct fx *f = *state;
        const char *users[] = { "alice", "bob", "carol", "frank" };
        struct fx_conv c;
        int status;
        pid_t pid;

        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                hog(f, 8);
        sleep(1);               /* let it take what it can */
        for (size_t i = 0; i < ARRAY_SIZE(users); i++) {
                assert_int_equal(fx_login_right(f, users[i], &c), PAM_SUCCESS);
                sleep(1);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        assert_true(fx_log_contains(f, "max_connections_per_uid reached"));
        assert_true(fx_log_contains(f, "no complete request within"));
}

/* kagid stalled while the module waits: the user is told "unavailable",
 * and that is what happened — the code is not used up, nothing recorded. */
static void a_client_that_gave_up_gets_nothing_done(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;
        char code[16];

        fx_stop(f, SIGSTOP);
        fx_right_answers(&c, "alice");
        snprintf(code, sizeof(code), "%s", c.code);
        assert_int_equal(fx_login(f, "alice", "pw-alice", code, &c), PAM_AUTH_ERR);
        assert_true(fx_said(&c, "The authentication service is unavailable."));
        kill(f->pid, SIGCONT);
        sleep(1);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=auth", "account=alice", "result=success", NULL }),
                         0);
        /* the very same code still works: it was never accepted */
        assert_int_equal(fx_login(f, "alice", "pw-alice", code, &c), PAM_SUCCESS);
        assert_true(fx_log_contains(f, "client gave up"));
}

static int wrong_password_slowly(struct fx *f, const char *user, struct fx_conv *c)
{
        memset(c, 0, sizeof(*c));
        c->answers[0] = "not-the-password";
        c->answers[1] = "000000";
        c->delay_ms = 1500;
        return fx_pam(f, "kagi-stack", user, c, FX_AUTH);
}

/* 12 logins at once through preauth / pam_matrix / authfail / kagi, each
 * user slow at the password prompt: preauth holds an attempt for each one
 * the stack is about to check, so the password module checks at most
 * threshold of them. */
static void parallel_stacked_passwords_get_only_threshold_checks(void **state)
{
        struct fx *f = *state;
        char out[4096];

        assert_int_equal(fx_parallel_logins(f, 12, wrong_password_slowly, "alice"), 0);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=auth", "account=alice", "result=failure",
                                                             "reason=password refused by the kagi-stack stack",
                                                             NULL }),
                         3);
        assert_int_equal(fx_status_json(f, "alice", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "\"locked\":true"));
}

/* AUTHFAIL for a name nobody has, straight on the socket as the module
 * would send it. */
static void send_authfail(const struct fx *f, const char *user)
{
        _cleanup_(frame_freep) struct frame *req = frame_new(KAGI_REQ_AUTHFAIL);
        _cleanup_(msg_freep) struct kagi_msg *m = msg_new();
        _cleanup_(closep) int fd = -1;
        int64_t deadline = now_ms() + 10000;

        frame_put_str(req, KAGI_T_USER, user);
        frame_put_str(req, KAGI_T_SERVICE, "kagi-stack");
        assert_int_equal(io_connect_unix(f->sock, deadline, &fd), 0);
        assert_int_equal(frame_send(fd, req, deadline), 0);
        assert_int_equal(frame_recv(fd, m, deadline), 0);
        assert_int_not_equal(msg_u32(m, KAGI_T_DECISION, KAGI_ALLOW), KAGI_ALLOW);
}

static int64_t count_rows(const struct fx *f, const char *table)
{
        char sql[128];
        sqlite3 *db;
        sqlite3_stmt *st;
        int64_t n = -1;

        snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
        assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
                n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        sqlite3_close(db);
        return n;
}

#define UNKNOWN_NAMES 100000
#define CLIENTS 8

/* Failures for 100,000 names nobody has: each is counted and refused like
 * a known account's, but they share a bounded set of lock states instead
 * of leaving a row each. (The audit log records every attempt, by design.) */
static void unknown_names_leave_the_store_bounded(void **state)
{
        struct fx *f = *state;
        pid_t kids[CLIENTS];
        int64_t accounts_before = count_rows(f, "accounts");

        for (int k = 0; k < CLIENTS; k++) {
                kids[k] = fork();
                assert_true(kids[k] >= 0);
                if (kids[k] == 0) {
                        char name[32];

                        for (int i = k; i < UNKNOWN_NAMES; i += CLIENTS) {
                                snprintf(name, sizeof(name), "nobody-%06d", i);
                                send_authfail(f, name);
                        }
                        _exit(0);
                }
        }
        for (int k = 0; k < CLIENTS; k++) {
                int status;

                assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
                assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        assert_int_equal(count_rows(f, "accounts"), accounts_before);
        assert_true(count_rows(f, "unknown_accounts") <= 4096);
        assert_true(count_rows(f, "unknown_accounts") > 0);
        assert_int_equal(count_rows(f, "audit") >= UNKNOWN_NAMES, 1);
}

/* kagid under an NSS that knows alice also as "Alice", "ALICE" or
 * "alice@example" (tests/integration/nss_casefold.c). */
static int setup_folding(void **state)
{
        const char *so = getenv("KAGI_NSS_FOLD");

        if (!so)
                return -1;
        setenv("NSS_WRAPPER_MODULE_SO_PATH", so, 1);
        setenv("NSS_WRAPPER_MODULE_FN_PREFIX", "kagifold", 1);
        *state = fx_new(NULL, (const char *[]){ "alice", NULL });
        unsetenv("NSS_WRAPPER_MODULE_SO_PATH");
        unsetenv("NSS_WRAPPER_MODULE_FN_PREFIX");
        return *state ? 0 : -1;
}

/* One account, one counter: three failures under three spellings lock it. */
static void every_spelling_of_a_name_counts_on_its_account(void **state)
{
        struct fx *f = *state;
        const char *spellings[] = { "Alice", "ALICE", "alice@example" };
        struct fx_conv c;
        char out[4096];

        for (size_t i = 0; i < ARRAY_SIZE(spellings); i++)
                assert_int_not_equal(fx_login(f, spellings[i], "wrong", "000000", &c), PAM_SUCCESS);
        assert_int_equal(fx_status_json(f, "alice", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "\"failures\":3"));
        assert_non_null(strstr(out, "\"locked\":true"));
        /* and the audit log names the account, not the spelling */
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=lock", "account=alice", NULL }), 1);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "account=ALICE", NULL }), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(unprivileged_connections_cannot_hold_up_logins, setup, teardown),
                cmocka_unit_test_setup_teardown(a_client_that_gave_up_gets_nothing_done, setup, teardown),
                cmocka_unit_test_setup_teardown(parallel_stacked_passwords_get_only_threshold_checks, setup, teardown),
                cmocka_unit_test_setup_teardown(unknown_names_leave_the_store_bounded, setup, teardown),
                cmocka_unit_test_setup_teardown(every_spelling_of_a_name_counts_on_its_account, setup_folding,
                                                teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
