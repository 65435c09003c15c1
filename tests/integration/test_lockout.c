/* LOCK-1: three consecutive failures lock the account, durably. */
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

#include "harness.h"

static int setup_with(void **state, const char *extra)
{
        *state = fx_new(extra, (const char *[]){ "alice", "dave", NULL });
        return *state ? 0 : -1;
}

static int setup(void **state)
{
        return setup_with(state, NULL);
}

static int setup_unlock_after(void **state)
{
        return setup_with(state, "[lockout]\nunlock_after = 2s\n");
}

static int setup_privileged(void **state)
{
        return setup_with(state, "[lockout]\nthreshold = 3\nprivileged_threshold = 2\nprivileged_groups = wheel\n");
}

static int setup_message(void **state)
{
        return setup_with(state, "[broker]\ncontact = the help desk (ext. 1234)\nlanguage = ja\n"
                                 "[lockout]\nmessage = Locked. Call {contact} with your staff number.\n");
}

static int teardown(void **state)
{
        return fx_free(*state);
}

static int wrong_code(struct fx *f, const char *user, struct fx_conv *c)
{
        char pw[32];

        snprintf(pw, sizeof(pw), "pw-%s", user);
        return fx_login(f, user, pw, "000000", c);
}

static void third_wrong_code_locks_the_account(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;
        char out[4096];

        assert_int_equal(wrong_code(f, "alice", &c), PAM_AUTH_ERR);
        assert_int_equal(wrong_code(f, "alice", &c), PAM_AUTH_ERR);
        assert_false(fx_said(&c, "locked"));
        assert_int_equal(wrong_code(f, "alice", &c), PAM_AUTH_ERR);
        assert_true(fx_said(&c, "The account is now locked; contact your system administrator."));
        assert_int_equal(fx_status_json(f, "alice", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "\"locked\":true"));
        assert_non_null(strstr(out, "\"failures\":3"));
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=lock", "account=alice", NULL }), 1);
}

static void failures_of_any_factor_count_together(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        /* a wrong password (counted by authfail) and wrong codes add up */
        assert_int_equal(fx_login(f, "alice", "bad-password", "000000", &c), PAM_AUTH_ERR);
        assert_int_equal(wrong_code(f, "alice", &c), PAM_AUTH_ERR);
        assert_int_equal(fx_login(f, "alice", "bad-password", "000000", &c), PAM_AUTH_ERR);
        assert_true(fx_said(&c, "now locked"));
}

static void success_resets_the_count(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;
        char out[4096];

        assert_int_equal(wrong_code(f, "alice", &c), PAM_AUTH_ERR);
        assert_int_equal(wrong_code(f, "alice", &c), PAM_AUTH_ERR);
        assert_int_equal(fx_login_right(f, "alice", &c), PAM_SUCCESS);
        assert_int_equal(fx_status_json(f, "alice", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "\"failures\":0"));
        assert_int_equal(wrong_code(f, "alice", &c), PAM_AUTH_ERR);
        assert_int_equal(wrong_code(f, "alice", &c), PAM_AUTH_ERR);
        assert_int_equal(fx_status_json(f, "alice", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "\"locked\":false"));
}

static void locked_account_is_refused_without_checking_anything(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;
        char out[4096];

        for (int i = 0; i < 3; i++)
                assert_int_equal(wrong_code(f, "alice", &c), PAM_AUTH_ERR);
        /* the right password and code: refused before the password prompt */
        assert_int_equal(fx_login_right(f, "alice", &c), PAM_MAXTRIES);
        assert_int_equal(c.n_prompts, 0);
        assert_true(fx_said(&c, "This account is locked after repeated failed logins. Contact your system "
                                "administrator to unlock it."));
        /* the account phase refuses too */
        memset(&c, 0, sizeof(c));
        assert_int_equal(fx_pam(f, "kagi-stack", "alice", &c, FX_ACCOUNT), PAM_PERM_DENIED);
        /* no further verification happened: still exactly three */
        assert_int_equal(fx_status_json(f, "alice", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "\"failures\":3"));
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=auth", "result=failure", NULL }), 3);
}

static void unlock_by_administrator_is_audited_and_works(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;
        char out[4096];
        const char *no_reason[] = { "unlock", "alice", NULL };
        const char *unlock[] = { "unlock", "alice", "--reason", "called the help desk, identity checked", NULL };

        for (int i = 0; i < 3; i++)
                wrong_code(f, "alice", &c);
        assert_int_equal(fx_kagictl(f, out, sizeof(out), no_reason), 2);
        assert_non_null(strstr(out, "--reason"));
        assert_int_equal(fx_kagictl(f, out, sizeof(out), unlock), 0);
        assert_non_null(strstr(out, "alice unlocked (was locked; 3 failures cleared)"));
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=unlock", "account=alice", "person=root",
                                                             "reason=called the help desk, identity checked", NULL }),
                         1);
        assert_int_equal(fx_login_right(f, "alice", &c), PAM_SUCCESS);
}

static void status_shows_failures_lock_and_since_when(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;
        char out[4096];
        const char *argv[] = { "status", "alice", NULL };

        for (int i = 0; i < 3; i++)
                wrong_code(f, "alice", &c);
        assert_int_equal(fx_kagictl(f, out, sizeof(out), argv), 0);
        assert_non_null(strstr(out, "failures:      3 of 3"));
        assert_non_null(strstr(out, "locked:        yes"));
        assert_non_null(strstr(out, "locked since:  20"));
}

/* 20 parallel wrong attempts: exactly `threshold` codes are ever checked. */
static void parallel_guessing_gets_only_threshold_verifications(void **state)
{
        struct fx *f = *state;
        char out[4096];

        assert_int_equal(fx_parallel_logins(f, 20, wrong_code, "alice"), 0);
        /* a verified wrong code is a "failure" record; the rest were refused as locked */
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=auth", "result=failure", "reason=wrong code", NULL }),
                         3);
        assert_int_equal(fx_status_json(f, "alice", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "\"locked\":true"));
}

static void counted_failures_survive_kill_9(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;
        char out[4096];

        assert_int_equal(wrong_code(f, "alice", &c), PAM_AUTH_ERR);
        fx_stop(f, SIGKILL);
        assert_int_equal(fx_start(f), 0);
        assert_int_equal(wrong_code(f, "alice", &c), PAM_AUTH_ERR);
        fx_stop(f, SIGKILL);
        assert_int_equal(fx_start(f), 0);
        assert_int_equal(fx_status_json(f, "alice", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "\"failures\":2"));
        assert_int_equal(wrong_code(f, "alice", &c), PAM_AUTH_ERR);
        assert_true(fx_said(&c, "now locked"));
        /* and the audit chain survived the kills intact */
        {
                const char *argv[] = { "audit", "verify", NULL };
                assert_int_equal(fx_kagictl(f, out, sizeof(out), argv), 0);
        }
}

static void unlock_after_elapses(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        for (int i = 0; i < 3; i++)
                wrong_code(f, "alice", &c);
        assert_int_equal(fx_login_right(f, "alice", &c), PAM_MAXTRIES);
        sleep(3);
        assert_int_equal(fx_login_right(f, "alice", &c), PAM_SUCCESS);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=unlock", "result=unlocked", NULL }), 1);
}

static void privileged_accounts_lock_sooner(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;
        char out[4096];

        /* dave is in wheel: privileged_threshold = 2 */
        assert_int_equal(wrong_code(f, "dave", &c), PAM_AUTH_ERR);
        assert_int_equal(wrong_code(f, "dave", &c), PAM_AUTH_ERR);
        assert_true(fx_said(&c, "now locked"));
        assert_int_equal(fx_status_json(f, "dave", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "\"privileged\":true"));
        assert_non_null(strstr(out, "\"threshold\":2"));
        /* alice is not: two failures leave her unlocked */
        wrong_code(f, "alice", &c);
        wrong_code(f, "alice", &c);
        assert_int_equal(fx_status_json(f, "alice", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "\"locked\":false"));
}

static void lock_message_and_contact_are_configurable(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        for (int i = 0; i < 3; i++)
                wrong_code(f, "alice", &c);
        assert_true(fx_said(&c, "アカウントはロックされました。the help desk (ext. 1234)に連絡してください。"));
        assert_int_equal(fx_login_right(f, "alice", &c), PAM_MAXTRIES);
        assert_true(fx_said(&c, "Locked. Call the help desk (ext. 1234) with your staff number."));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
                T(third_wrong_code_locks_the_account),
                T(failures_of_any_factor_count_together),
                T(success_resets_the_count),
                T(locked_account_is_refused_without_checking_anything),
                T(unlock_by_administrator_is_audited_and_works),
                T(status_shows_failures_lock_and_since_when),
                T(parallel_guessing_gets_only_threshold_verifications),
                T(counted_failures_survive_kill_9),
                cmocka_unit_test_setup_teardown(unlock_after_elapses, setup_unlock_after, teardown),
                cmocka_unit_test_setup_teardown(privileged_accounts_lock_sooner, setup_privileged, teardown),
                cmocka_unit_test_setup_teardown(lock_message_and_contact_are_configurable, setup_message, teardown),
#undef T
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
