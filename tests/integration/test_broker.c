/* Fail closed: broker down or stalled, malformed frames, the wrong peer,
 * bad configuration. */
#include <errno.h>
#include <grp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <security/pam_appl.h>

#include "common.h"
#include "harness.h"

static int setup(void **state)
{
        *state = fx_new(NULL, (const char *[]){ "alice", NULL });
        return *state ? 0 : -1;
}

static int teardown(void **state)
{
        return fx_free(*state);
}

static void broker_down_refuses_with_one_clear_message(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        fx_stop(f, SIGTERM);
        assert_int_equal(fx_login_right(f, "alice", &c), PAM_AUTH_ERR);
        assert_int_equal(c.n_prompts, 0);
        assert_int_equal(c.n_errors, 1);
        assert_string_equal(c.errors[0], "The authentication service is unavailable. Try again later or contact "
                                         "your system administrator.");
        memset(&c, 0, sizeof(c));
        assert_int_equal(fx_pam(f, "kagi-stack", "alice", &c, FX_ACCOUNT), PAM_PERM_DENIED);
}

static void stalled_broker_times_out_and_refuses(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        fx_stop(f, SIGSTOP);
        assert_int_equal(fx_login_right(f, "alice", &c), PAM_AUTH_ERR);
        assert_true(fx_said(&c, "The authentication service is unavailable."));
        kill(f->pid, SIGCONT);
        /* and it serves again once it runs */
        assert_int_equal(fx_login_right(f, "alice", &c), PAM_SUCCESS);
}

/* Sends raw bytes; true when the broker closed the connection without
 * answering anything. */
static bool dropped_after(struct fx *f, const void *bytes, size_t n)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct timeval tv = { .tv_sec = 10 };
        uint8_t buf[64];
        ssize_t r;
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        assert_true(strlen(f->sock) < sizeof(sa.sun_path));
        memcpy(sa.sun_path, f->sock, strlen(f->sock) + 1);
        assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        if (n)
                assert_int_equal(send(fd, bytes, n, MSG_NOSIGNAL), (ssize_t)n);
        shutdown(fd, SHUT_WR);
        r = recv(fd, buf, sizeof(buf), 0);
        close(fd);
        /* closed with our bytes unread, the kernel answers with a reset */
        return r == 0 || (r < 0 && errno == ECONNRESET);
}

static void malformed_frames_are_dropped_and_the_broker_keeps_serving(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;
        static const uint8_t wrong_version[] = { 0, 0, 0, 2, 9, KAGI_REQ_PREAUTH };
        static const uint8_t unknown_type[] = { 0, 0, 0, 2, 1, 200 };
        static const uint8_t no_user[] = { 0, 0, 0, 2, 1, KAGI_REQ_PREAUTH };
        static const uint8_t huge[] = { 0x7f, 0xff, 0xff, 0xff, 1, 1 };
        static const uint8_t truncated[] = { 0, 0, 0, 40, 1, KAGI_REQ_PREAUTH, KAGI_T_USER, 0, 5, 'a' };
        static const uint8_t field_overrun[] = { 0, 0, 0, 7, 1, KAGI_REQ_PREAUTH, KAGI_T_USER, 0, 200, 'a', 'b' };
        static const uint8_t nul_in_name[] = { 0, 0, 0, 11, 1, KAGI_REQ_PREAUTH, KAGI_T_USER, 0, 2, 'a', 0,
                                               KAGI_T_SERVICE, 0, 1, 'x' };
        static const uint8_t reply_as_request[] = { 0, 0, 0, 9, 1, KAGI_REP_RESULT, KAGI_T_DECISION, 0, 4, 0, 0, 0, 0 };

        assert_true(dropped_after(f, "GET / HTTP/1.0\r\n\r\n", 18));
        assert_true(dropped_after(f, wrong_version, sizeof(wrong_version)));
        assert_true(dropped_after(f, unknown_type, sizeof(unknown_type)));
        assert_true(dropped_after(f, no_user, sizeof(no_user)));
        assert_true(dropped_after(f, huge, sizeof(huge)));
        assert_true(dropped_after(f, truncated, sizeof(truncated)));
        assert_true(dropped_after(f, field_overrun, sizeof(field_overrun)));
        assert_true(dropped_after(f, nul_in_name, sizeof(nul_in_name)));
        assert_true(dropped_after(f, reply_as_request, sizeof(reply_as_request)));
        assert_true(dropped_after(f, NULL, 0));
        assert_true(fx_log_contains(f, "dropped connection"));
        assert_int_equal(fx_login_right(f, "alice", &c), PAM_SUCCESS);
}

/* A request frame sent by a process running as another uid. */
static uint32_t decision_as(struct fx *f, uid_t uid, uint8_t type)
{
        int pipefd[2];
        uint32_t d = UINT32_MAX;
        pid_t pid;

        assert_int_equal(pipe(pipefd), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct frame *req = frame_new(type);
                struct kagi_msg *m = msg_new();
                int fd = -1;
                uint32_t got = UINT32_MAX;

                if (setgroups(0, NULL) < 0 || setgid(uid) < 0 || setuid(uid) < 0)
                        _exit(1);
                frame_put_str(req, KAGI_T_USER, "alice");
                frame_put_str(req, KAGI_T_SERVICE, "evil");
                if (io_connect_unix(f->sock, now_ms() + 5000, &fd) == 0 && frame_send(fd, req, now_ms() + 5000) == 0 &&
                    frame_recv(fd, m, now_ms() + 5000) == 0)
                        got = msg_u32(m, KAGI_T_DECISION, UINT32_MAX);
                if (write(pipefd[1], &got, sizeof(got)) != sizeof(got))
                        _exit(1);
                _exit(0);
        }
        close(pipefd[1]);
        assert_int_equal(read(pipefd[0], &d, sizeof(d)), sizeof(d));
        close(pipefd[0]);
        waitpid(pid, NULL, 0);
        return d;
}

static void only_root_may_ask_for_login_decisions(void **state)
{
        struct fx *f = *state;

        assert_int_equal(decision_as(f, 65534, KAGI_REQ_PREAUTH), KAGI_DENY_PERMISSION);
        assert_int_equal(decision_as(f, 1000, KAGI_REQ_AUTHFAIL), KAGI_DENY_PERMISSION);
        /* and a refused authfail did not count anything */
        {
                char out[4096];
                assert_int_equal(fx_status_json(f, "alice", out, sizeof(out)), 0);
                assert_non_null(strstr(out, "\"failures\":0"));
        }
        assert_true(fx_log_contains(f, "only root may ask for login decisions"));
}

static void admin_commands_need_root_or_the_admin_group(void **state)
{
        struct fx *f = *state;
        char out[4096];
        const char *status[] = { "status", "alice", NULL };
        const char *unlock[] = { "unlock", "alice", "--reason", "x", NULL };

        assert_int_equal(fx_kagictl_as(f, 65534, 65534, out, sizeof(out), status), 1);
        assert_non_null(strstr(out, "permission denied"));
        assert_int_equal(fx_kagictl_as(f, 1000, 1000, out, sizeof(out), unlock), 1);
        /* eve is in kagi-admin (the default admin_group) */
        assert_int_equal(fx_kagictl_as(f, 1004, 1004, out, sizeof(out), status), 0);
        assert_non_null(strstr(out, "account:       alice"));
        assert_int_equal(fx_kagictl_as(f, 1004, 1004, out, sizeof(out), unlock), 0);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=unlock", "person=eve", NULL }), 1);
}

/* admin_group is not root: it may not enroll a TOTP secret for uid 0 or a
 * member of privileged_groups (dave is in wheel), which would let it log in
 * as them. Root may. */
static void admin_group_may_not_bind_a_factor_to_a_privileged_account(void **state)
{
        struct fx *f = *state;
        char out[4096];
        const char *dave[] = { "totp", "enroll", "dave", "--no-qr", NULL };
        const char *root[] = { "totp", "enroll", "root", "--no-qr", NULL };
        const char *carol[] = { "totp", "enroll", "carol", "--no-qr", NULL };

        assert_int_equal(fx_kagictl_as(f, 1004, 1004, out, sizeof(out), dave), 1);
        assert_non_null(strstr(out, "only root may bind a totp to it"));
        assert_int_equal(fx_kagictl_as(f, 1004, 1004, out, sizeof(out), root), 1);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=enroll", "person=eve", "result=denied",
                                                             "reason=only root may bind a factor to a privileged "
                                                             "account",
                                                             NULL }),
                         2);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=enroll", "result=success", "account=dave", NULL }),
                         0);
        /* an ordinary account is admin_group's to enroll; a privileged one root's */
        assert_int_equal(fx_kagictl_as(f, 1004, 1004, out, sizeof(out), carol), 0);
        assert_int_equal(fx_kagictl(f, out, sizeof(out), dave), 0);
}

static void write_secret_file(struct fx *f, const char *name, const char *text, char path[FX_PATH])
{
        FILE *fp;

        snprintf(path, FX_PATH, "%s/%s", f->dir, name);
        fp = fopen(path, "w");
        assert_non_null(fp);
        fputs(text, fp);
        assert_int_equal(fclose(fp), 0);
        chmod(path, 0600);
}

/* --secret puts the secret in /proc/PID/cmdline for every local user to
 * read: kagictl takes it from a file or standard input too. */
static void totp_secret_comes_from_a_file_or_standard_input(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;
        char out[8192], path[FX_PATH], code[16];

        write_secret_file(f, "bob.secret", FX_SECRET_ALICE "\n", path);
        {
                const char *argv[] = { "totp", "enroll", "bob", "--secret-file", path, "--no-qr", NULL };
                assert_int_equal(fx_kagictl(f, out, sizeof(out), argv), 0);
                assert_non_null(strstr(out, "secret: " FX_SECRET_ALICE "\n"));
        }
        fx_code(FX_SECRET_ALICE, 0, code);
        assert_int_equal(fx_login(f, "bob", "pw-bob", code, &c), PAM_SUCCESS);
        {
                const char *argv[] = { "totp", "enroll", "carol", "--secret", "-", "--json", NULL };
                assert_int_equal(fx_kagictl_typed(f, 0, FX_SECRET_ALICE "\n", out, sizeof(out), argv), 0);
                assert_non_null(strstr(out, "\"secret\":\"" FX_SECRET_ALICE "\""));
                assert_non_null(strstr(out, "\"uri\":\"otpauth://totp/kagi:carol?secret=" FX_SECRET_ALICE "&"));
        }
        assert_int_equal(fx_login(f, "carol", "pw-carol", code, &c), PAM_SUCCESS);
        /* one way at a time, and one line */
        {
                const char *both[] = { "totp", "enroll", "frank", "--secret", FX_SECRET_ALICE, "--secret-file", path,
                                       NULL };
                assert_int_equal(fx_kagictl(f, out, sizeof(out), both), 2);
        }
        write_secret_file(f, "two.secret", FX_SECRET_ALICE "\nJBSWY3DP\n", path);
        {
                const char *argv[] = { "totp", "enroll", "frank", "--secret-file", path, NULL };
                assert_int_equal(fx_kagictl(f, out, sizeof(out), argv), 2);
                assert_non_null(strstr(out, "not one line"));
        }
}

/* json-c frees its copies of a string unwiped: the enrollment's secret and
 * the URI that holds it travel in the frame's secret fields, never in the
 * JSON document. */
static void enrollment_answer_keeps_the_secret_out_of_json(void **state)
{
        struct fx *f = *state;
        _cleanup_(msg_freep) struct kagi_msg *m = msg_new();
        _cleanup_(frame_freep) struct frame *req = frame_new(KAGI_REQ_TOTP_ENROLL);
        _cleanup_(closep) int fd = -1;
        const char *json, *secret, *uri;

        frame_put_str(req, KAGI_T_USER, "frank");
        assert_int_equal(io_connect_unix(f->sock, now_ms() + 5000, &fd), 0);
        assert_int_equal(frame_send(fd, req, now_ms() + 5000), 0);
        assert_int_equal(frame_recv(fd, m, now_ms() + 5000), 0);
        assert_int_equal(msg_u32(m, KAGI_T_DECISION, UINT32_MAX), KAGI_ALLOW);
        json = msg_str(m, KAGI_T_JSON);
        secret = msg_str(m, KAGI_T_SECRET);
        uri = msg_str(m, KAGI_T_URI);
        assert_non_null(json);
        assert_non_null(secret);
        assert_non_null(uri);
        assert_int_equal(strlen(secret), 32);            /* 160 bits of base32 */
        assert_non_null(strstr(uri, secret));
        assert_null(strstr(json, secret));
        assert_null(strstr(json, "otpauth"));
        assert_non_null(strstr(json, "\"account\":\"frank\""));
}

/* A stand-in that says yes to everything: what a socket someone else placed
 * where kagid's should be (a directory others can write, a stale path)
 * would answer. */
static const struct fx_fake_answer yes_to_all[] = {
        { KAGI_REQ_PREAUTH, KAGI_ALLOW, KAGI_F_TOTP, NULL },
        { KAGI_REQ_VERIFY, KAGI_ALLOW, 0, NULL },
        { KAGI_REQ_ACCOUNT, KAGI_ALLOW, 0, NULL },
        { KAGI_REQ_STATUS, KAGI_ALLOW, 0, "{\"account\":\"alice\",\"failures\":0,\"threshold\":3}" },
};

/* Serves f's socket as uid; does kagictl status and a login believe it? */
static void believed(struct fx *f, uid_t uid, int want_kagictl, bool want_login)
{
        const char *status[] = { "status", "alice", NULL };
        struct fx_conv c;
        char out[4096];
        pid_t fake = fx_fake_broker(f, uid, yes_to_all, ARRAY_SIZE(yes_to_all));

        assert_true(fake > 0);
        assert_int_equal(fx_kagictl(f, out, sizeof(out), status), want_kagictl);
        if (want_kagictl == 3)
                assert_non_null(strstr(out, "not kagid; refusing"));
        if (want_login) {
                assert_int_equal(fx_login(f, "alice", "pw-alice", "000000", &c), PAM_SUCCESS);
        } else {
                assert_int_not_equal(fx_login(f, "alice", "pw-alice", "000000", &c), PAM_SUCCESS);
                assert_true(fx_said(&c, "unavailable"));
        }
        fx_fake_broker_stop(fake);
}

/* pam_kagi.so and kagictl talk only to a socket served by root (or by
 * [broker] user): one served by anyone else is not kagid, whatever it says. */
static void a_socket_served_by_another_user_is_not_believed(void **state)
{
        struct fx *f = *state;

        fx_stop(f, SIGTERM);
        believed(f, 1000, 3, false);
        /* the same stand-in, run by root, is believed: the check is what stops it */
        believed(f, 0, 0, true);
}

static void broker_user_may_serve_the_socket(void **state)
{
        struct fx *f = *state;

        fx_stop(f, SIGTERM);
        believed(f, 65534, 0, true);
        believed(f, 1000, 3, false);
}

static int setup_broker_user(void **state)
{
        *state = fx_new("[broker]\nuser = nobody\n", NULL);
        return *state ? 0 : -1;
}

static void kagictl_reports_an_unreachable_broker(void **state)
{
        struct fx *f = *state;
        char out[4096];
        const char *argv[] = { "status", "alice", NULL };

        fx_stop(f, SIGTERM);
        assert_int_equal(fx_kagictl(f, out, sizeof(out), argv), 3);
        assert_non_null(strstr(out, "cannot talk to kagid at"));
}

static void a_second_broker_on_the_same_socket_is_refused(void **state)
{
        struct fx *f = *state;
        char out[4096];

        assert_int_equal(fx_run_kagid(f->conf, false, out, sizeof(out)), 1);
        assert_non_null(strstr(out, "another kagid is listening there"));
}

/* Writes a config to the fixture dir and runs kagid -t on it. */
static int check_config(struct fx *f, mode_t mode, const char *text, char *out, size_t outsz)
{
        char path[FX_PATH + 16];
        FILE *fp;

        snprintf(path, sizeof(path), "%s/test.conf", f->dir);
        fp = fopen(path, "w");
        assert_non_null(fp);
        fprintf(fp, "[broker]\nsocket = %s/t.sock\ndatabase = %s/t.db\nkey_dir = %s/keys\n%s", f->dir, f->dir, f->dir,
                text);
        fclose(fp);
        chmod(path, mode);
        return fx_run_kagid(path, true, out, outsz);
}

static void bad_configuration_is_refused_with_file_line_and_key(void **state)
{
        struct fx *f = *state;
        char out[4096];

        assert_int_equal(check_config(f, 0644, "", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "configuration OK"));

        assert_int_equal(check_config(f, 0644, "[lockout]\nthreshhold = 3\n", out, sizeof(out)), 1);
        assert_non_null(strstr(out, "test.conf:6: threshhold: unknown key in [lockout]"));

        assert_int_equal(check_config(f, 0644, "[totp]\nwindow = lots\n", out, sizeof(out)), 1);
        assert_non_null(strstr(out, "test.conf:6: window: 'lots' is not a whole number from 0 to 10"));

        assert_int_equal(check_config(f, 0666, "", out, sizeof(out)), 1);
        assert_non_null(strstr(out, "writable by group or others"));

        /* MFA-1: a single-factor My Number zone does not load */
        assert_int_equal(check_config(f, 0644, "[zone counter]\nfactors = totp\nusers = *\n", out, sizeof(out)), 1);
        assert_non_null(strstr(out, "single-factor"));
}

static void world_writable_state_is_refused(void **state)
{
        struct fx *f = *state;
        char out[4096];

        fx_stop(f, SIGTERM);
        chmod(f->db, 0666);
        assert_int_equal(fx_run_kagid(f->conf, false, out, sizeof(out)), 1);
        assert_non_null(strstr(out, "kagi.db: writable by group or others"));
        chmod(f->db, 0600);
        chmod(f->dir, 0777);
        assert_int_equal(fx_run_kagid(f->conf, false, out, sizeof(out)), 1);
        assert_non_null(strstr(out, "writable by group or others"));
        chmod(f->dir, 0755);
}

/* ACC-1: a zone admits only its users and groups, after the credentials. */
static void zone_admits_only_its_groups(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        assert_int_equal(fx_login_right(f, "alice", &c), PAM_PERM_DENIED);
        assert_true(fx_said(&c, "You are not permitted to log in here."));
        memset(&c, 0, sizeof(c));
        assert_int_equal(fx_pam(f, "kagi-stack", "alice", &c, FX_ACCOUNT), PAM_PERM_DENIED);
        /* dave is in wheel */
        assert_int_equal(fx_login_right(f, "dave", &c), PAM_SUCCESS);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "account=alice", "reason=not admitted to the zone", NULL }),
                         2);
}

static int setup_zone(void **state)
{
        *state = fx_new("[broker]\ndefault_zone = ops\n[zone ops]\nfactors = password+totp\ngroups = wheel\n",
                        (const char *[]){ "alice", "dave", NULL });
        return *state ? 0 : -1;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
                T(broker_down_refuses_with_one_clear_message),
                T(stalled_broker_times_out_and_refuses),
                T(malformed_frames_are_dropped_and_the_broker_keeps_serving),
                T(only_root_may_ask_for_login_decisions),
                T(admin_commands_need_root_or_the_admin_group),
                T(kagictl_reports_an_unreachable_broker),
                T(a_second_broker_on_the_same_socket_is_refused),
                T(bad_configuration_is_refused_with_file_line_and_key),
                T(world_writable_state_is_refused),
                T(admin_group_may_not_bind_a_factor_to_a_privileged_account),
                T(totp_secret_comes_from_a_file_or_standard_input),
                T(enrollment_answer_keeps_the_secret_out_of_json),
                T(a_socket_served_by_another_user_is_not_believed),
                cmocka_unit_test_setup_teardown(broker_user_may_serve_the_socket, setup_broker_user, teardown),
                cmocka_unit_test_setup_teardown(zone_admits_only_its_groups, setup_zone, teardown),
#undef T
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
