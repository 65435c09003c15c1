/* When the directory is not there: a dead or hung first server, a stopped or
 * frozen slapd, a certificate from the wrong CA. Every such case is an
 * "unavailable" error returned within the timeout — never "no such user" and
 * never "wrong password" — and service resumes when the server is back.
 *
 * The bounds on elapsed time are generous (several times the configured
 * timeout): they catch a call that hangs, not a slow machine. */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "common.h"
#include "directory.h"
#include "slapd.h"

#define TIMEOUT 1                             /* [directory] timeout in these tests */
#define HANG_BOUND_MS (4 * (TIMEOUT * 1000) + 8000)

static struct slapd sd;
static bool paused;

struct dir {
        struct kagi_config *c;
        struct directory *d;
};

static void dir_open(struct dir *t, const char *extra)
{
        char text[2048];

        snprintf(text, sizeof(text), "timeout = %d\n%s", TIMEOUT, extra ? extra : "");
        assert_int_equal(slapd_directory(&sd, text, &t->c, &t->d), 0);
}

static void dir_close(struct dir *t)
{
        directory_close(t->d);
        config_free(t->c);
}

static void assert_found(struct dir *t, const char *user)
{
        struct dir_account a;
        int r = directory_lookup(t->d, user, &a);

        if (r < 0)
                fprintf(stderr, "lookup %s: %s\n", user, strerror(-r));
        assert_int_equal(r, 0);
        assert_true(a.exists);
        dir_account_clear(&a);
}

/* Unavailable: negative, and neither "nobody" nor "wrong password". */
static void assert_unavailable(struct dir *t, const char *user, const char *password)
{
        struct dir_account a;
        int64_t t0 = now_ms();
        int r;

        r = directory_lookup(t->d, user, &a);
        assert_true(r < 0);
        r = directory_check_password(t->d, user, password);
        assert_true(r < 0);
        assert_int_not_equal(r, -EACCES);
        assert_true(now_ms() - t0 < 2 * HANG_BOUND_MS);
}

/* ---- failover ---------------------------------------------------------------- */

static void dead_first_server_fails_over_to_the_second(void **state)
{
        char extra[512];
        struct dir t;

        (void)state;
        snprintf(extra, sizeof(extra), "uri = ldaps://127.0.0.1:%d %s", slapd_dead_port(), sd.ldaps_uri);
        dir_open(&t, extra);
        assert_found(&t, "alice");
        assert_int_equal(directory_check_password(t.d, "alice", "alice-pw"), 0);
        assert_int_equal(directory_check_password(t.d, "alice", "wrong"), -EACCES);
        dir_close(&t);
}

/* A server that takes the TCP connection and then says nothing. */
static int silent_server(int *ret_port)
{
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(a);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        assert_int_equal(listen(fd, 16), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
        *ret_port = ntohs(a.sin_port);
        return fd;
}

static void hung_first_server_fails_over_within_the_timeout(void **state)
{
        char extra[512];
        struct dir t;
        int port, fd = silent_server(&port);
        int64_t t0;

        (void)state;
        snprintf(extra, sizeof(extra), "uri = ldaps://127.0.0.1:%d %s", port, sd.ldaps_uri);
        dir_open(&t, extra);
        t0 = now_ms();
        assert_found(&t, "alice");
        assert_true(now_ms() - t0 < HANG_BOUND_MS);
        dir_close(&t);

        snprintf(extra, sizeof(extra), "uri = ldap://127.0.0.1:%d %s\nstarttls = yes", port, sd.ldap_uri);
        dir_open(&t, extra);
        t0 = now_ms();
        assert_found(&t, "alice");
        assert_true(now_ms() - t0 < HANG_BOUND_MS);
        dir_close(&t);
        close(fd);
}

/* ---- trust ------------------------------------------------------------------------ */

static void server_certificate_from_another_ca_is_refused(void **state)
{
        char extra[512];
        struct dir t;

        (void)state;
        snprintf(extra, sizeof(extra), "ca_file = %s/other-ca.pem", sd.dir);
        dir_open(&t, extra);
        assert_unavailable(&t, "alice", "alice-pw");
        dir_close(&t);

        snprintf(extra, sizeof(extra), "ca_file = %s/other-ca.pem\nuri = %s\nstarttls = yes", sd.dir, sd.ldap_uri);
        dir_open(&t, extra);
        assert_unavailable(&t, "alice", "alice-pw");
        dir_close(&t);
}

/* ---- outages ------------------------------------------------------------------------- */

static void stopped_server_is_unavailable_and_used_again_when_back(void **state)
{
        struct dir t;

        (void)state;
        dir_open(&t, NULL);
        assert_found(&t, "alice");
        assert_int_equal(directory_check_password(t.d, "alice", "alice-pw"), 0);

        assert_int_equal(slapd_ctl(&sd, "stop"), 0);
        assert_unavailable(&t, "alice", "alice-pw");
        /* even a wrong password is not counted while nobody can check it */
        assert_true(directory_check_password(t.d, "alice", "wrong") != -EACCES);

        assert_int_equal(slapd_ctl(&sd, "restart"), 0);
        assert_found(&t, "alice");
        assert_int_equal(directory_check_password(t.d, "alice", "alice-pw"), 0);
        assert_int_equal(directory_check_password(t.d, "alice", "wrong"), -EACCES);
        dir_close(&t);
}

static void frozen_server_times_out_and_is_used_again_when_back(void **state)
{
        struct dir kept, fresh, starttls;
        char extra[512];
        struct dir_account a;
        int64_t t0;
        int r;

        (void)state;
        dir_open(&kept, NULL);
        assert_found(&kept, "alice");
        assert_int_equal(directory_check_password(kept.d, "alice", "alice-pw"), 0);

        assert_int_equal(slapd_ctl(&sd, "pause"), 0);
        paused = true;
        /* connections that were open: the search and the bind time out */
        t0 = now_ms();
        r = directory_lookup(kept.d, "tanaka", &a);
        assert_int_equal(r, -ETIMEDOUT);
        assert_true(now_ms() - t0 < HANG_BOUND_MS);
        t0 = now_ms();
        r = directory_check_password(kept.d, "alice", "alice-pw");
        assert_true(r < 0 && r != -EACCES);
        assert_true(now_ms() - t0 < 2 * HANG_BOUND_MS);

        /* new connections: TCP is accepted by the kernel, TLS never answers */
        dir_open(&fresh, NULL);
        t0 = now_ms();
        r = directory_lookup(fresh.d, "tanaka", &a);
        assert_true(r < 0);
        assert_true(now_ms() - t0 < HANG_BOUND_MS);
        snprintf(extra, sizeof(extra), "uri = %s\nstarttls = yes", sd.ldap_uri);
        dir_open(&starttls, extra);
        t0 = now_ms();
        r = directory_lookup(starttls.d, "tanaka", &a);
        assert_true(r < 0);
        assert_true(now_ms() - t0 < HANG_BOUND_MS);

        assert_int_equal(slapd_ctl(&sd, "resume"), 0);
        paused = false;
        assert_found(&kept, "tanaka");
        assert_found(&fresh, "tanaka");
        assert_found(&starttls, "tanaka");
        assert_int_equal(directory_check_password(kept.d, "alice", "alice-pw"), 0);
        dir_close(&kept);
        dir_close(&fresh);
        dir_close(&starttls);
}

/* Whatever a test did to the server, the next one finds it running. */
static int server_running(void **state)
{
        (void)state;
        if (paused && slapd_ctl(&sd, "resume") == 0)
                paused = false;
        if (!sd.running)
                return slapd_ctl(&sd, "restart");
        return 0;
}

static int group_setup(void **state)
{
        (void)state;
        return slapd_test_start(&sd) < 0 ? -1 : 0;
}

static int group_teardown(void **state)
{
        (void)state;
        server_running(NULL);
        slapd_stop(&sd);
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(dead_first_server_fails_over_to_the_second, server_running),
                cmocka_unit_test_teardown(hung_first_server_fails_over_within_the_timeout, server_running),
                cmocka_unit_test_teardown(server_certificate_from_another_ca_is_refused, server_running),
                cmocka_unit_test_teardown(stopped_server_is_unavailable_and_used_again_when_back, server_running),
                cmocka_unit_test_teardown(frozen_server_times_out_and_is_used_again_when_back, server_running),
        };

        return cmocka_run_group_tests_name("ldap-outage", tests, group_setup, group_teardown);
}
