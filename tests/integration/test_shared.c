/* Shared IDs (共用ID: SID-1, SID-2, PRIV-6) through the real PAM stack and a
 * real kagid: madoguchi01 is used only by its members (alice, and carol
 * through the group counter), each with their own personal ID, password and
 * code; never with the ID's own password; one at a time; every record names
 * the person; a session whose process was killed frees the ID by itself.
 * The card path is in tests/card/, su and sshd in tests/e2e/. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <security/pam_appl.h>

#include "harness.h"

#define SHARED "madoguchi01"

static int step;                              /* TOTP steps are used once, in order */

static int setup(void **state)
{
        struct fx *f = fx_new("[totp]\nwindow = 10\n"
                              "[shared " SHARED "]\nusers = alice\ngroups = counter\n",
                              (const char *[]){ "alice", "bob", "carol", "frank", NULL });

        step = -9;
        *state = f;
        return f ? 0 : -1;
}

/* A zone where a person is on one terminal at a time. */
static int setup_one_terminal(void **state)
{
        struct fx *f = fx_new("[totp]\nwindow = 10\n"
                              "[zone default]\nfactors = password+totp\nusers = *\none_terminal = yes\n",
                              (const char *[]){ "bob", NULL });

        step = -9;
        *state = f;
        return f ? 0 : -1;
}

/* The held session's process went, within a few seconds. */
static bool gone_soon(pid_t pid)
{
        int status;

        for (int i = 0; i < 100; i++) {
                if (waitpid(pid, &status, WNOHANG) == pid)
                        return true;
                usleep(50 * 1000);
        }
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return false;
}

static int teardown(void **state)
{
        return fx_free(*state);
}

/* The answers of a member logging in as the shared ID by personal ID. */
static void member_answers(struct fx_conv *c, const char *person, char password[64], char code[16])
{
        memset(c, 0, sizeof(*c));
        snprintf(password, 64, "pw-%s", person);
        fx_code(FX_SECRET_ALICE, step++, code);
        c->answers[0] = person;
        c->answers[1] = password;
        c->answers[2] = code;
}

static bool prompted(const struct fx_conv *c, const char *needle)
{
        for (size_t i = 0; i < c->n_prompts; i++)
                if (strstr(c->prompts[i], needle))
                        return true;
        return false;
}

static int failures(struct fx *f, const char *user)
{
        char out[4096];
        const char *p;

        if (fx_status_json(f, user, out, sizeof(out)) < 0 || !(p = strstr(out, "\"failures\":")))
                return -1;
        return atoi(p + 11);
}

static void member_by_personal_id_is_allowed_and_attributed(void **state)
{
        struct fx *f = *state;
        char password[64], code[16];
        struct fx_conv c;

        member_answers(&c, "alice", password, code);
        assert_int_equal(fx_pam_items(f, "kagi-stack", SHARED, "pts/1", NULL, NULL, &c, FX_AUTH | FX_ACCOUNT | FX_SESSION),
                         PAM_SUCCESS);
        /* the ID's own password is never asked: the person's are, by name */
        assert_true(prompted(&c, "personal ID"));
        assert_true(prompted(&c, "Password of alice"));
        assert_true(prompted(&c, "Verification code of alice"));
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=auth", "account=" SHARED, "person=alice",
                                                             "result=success", NULL }),
                         1);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=login", "account=" SHARED, "person=alice",
                                                             NULL }),
                         1);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=logout", "account=" SHARED, "person=alice",
                                                             NULL }),
                         1);
}

static void member_through_a_directory_group(void **state)
{
        struct fx *f = *state;
        char password[64], code[16];
        struct fx_conv c;

        member_answers(&c, "carol", password, code);
        assert_int_equal(fx_pam_items(f, "kagi-stack", SHARED, "pts/2", NULL, NULL, &c, FX_AUTH | FX_ACCOUNT),
                         PAM_SUCCESS);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=account", "account=" SHARED,
                                                             "person=carol", "result=success", NULL }),
                         1);
}

static void non_member_is_refused_counted_and_audited_as_misuse(void **state)
{
        struct fx *f = *state;
        char password[64], code[16];
        struct fx_conv c;

        /* frank's own factors are right: he is still not a member */
        member_answers(&c, "frank", password, code);
        assert_int_not_equal(fx_pam_items(f, "kagi-stack", SHARED, "pts/1", NULL, NULL, &c, FX_AUTH), PAM_SUCCESS);
        assert_true(fx_said(&c, "not a registered member of the shared ID " SHARED));
        assert_int_equal(failures(f, "frank"), 1);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=shared-misuse", "account=" SHARED,
                                                             "person=frank", "result=denied", NULL }),
                         1);
}

static void the_shared_password_alone_is_refused(void **state)
{
        struct fx *f = *state;
        struct fx_conv c = { 0 };

        /* the documented stack never asks for it: naming the ID itself as
         * the person is no person */
        c.answers[0] = SHARED;
        c.answers[1] = "pw-shared";
        c.answers[2] = "000000";
        assert_int_not_equal(fx_pam_items(f, "kagi-stack", SHARED, "pts/1", NULL, NULL, &c, FX_AUTH), PAM_SUCCESS);
        /* a stack where the password module checks the ID's own password
         * first: it passes, and counts for nothing — kagi still wants a
         * member's own factors */
        memset(&c, 0, sizeof(c));
        c.answers[0] = "pw-shared";
        assert_int_not_equal(fx_pam_items(f, "kagi-requisite", SHARED, "pts/1", NULL, NULL, &c, FX_AUTH), PAM_SUCCESS);
        assert_true(prompted(&c, "personal ID"));
        assert_int_equal(fx_audit_count(f, (const char *[]){ "account=" SHARED, "result=success", NULL }), 0);
}

static void a_second_login_is_refused_with_who_holds_it_until_the_first_logs_out(void **state)
{
        struct fx *f = *state;
        char password[64], code[16];
        struct fx_conv c;
        pid_t first;

        member_answers(&c, "alice", password, code);
        assert_int_equal(fx_hold(f, "kagi-stack", SHARED, "pts/1", NULL, &c, &first), PAM_SUCCESS);
        member_answers(&c, "carol", password, code);
        assert_int_not_equal(fx_pam_items(f, "kagi-stack", SHARED, "pts/2", NULL, NULL, &c, FX_AUTH | FX_ACCOUNT),
                             PAM_SUCCESS);
        assert_true(fx_said(&c, "This ID is already in use"));
        assert_true(fx_said(&c, "pts/1, by alice"));
        assert_int_equal(fx_unhold(first, SIGTERM), PAM_SUCCESS);
        member_answers(&c, "carol", password, code);
        assert_int_equal(fx_pam_items(f, "kagi-stack", SHARED, "pts/2", NULL, NULL, &c, FX_AUTH | FX_ACCOUNT),
                         PAM_SUCCESS);
}

static void a_killed_session_frees_the_id_without_an_admin(void **state)
{
        struct fx *f = *state;
        char password[64], code[16], out[8192];
        struct fx_conv c;
        pid_t first;
        int rc = -1;

        member_answers(&c, "alice", password, code);
        assert_int_equal(fx_hold(f, "kagi-stack", SHARED, "pts/1", NULL, &c, &first), PAM_SUCCESS);
        assert_int_equal(fx_kagictl(f, out, sizeof(out), (const char *[]){ "session", "list", NULL }), 0);
        assert_non_null(strstr(out, SHARED));
        assert_non_null(strstr(out, "alice"));
        /* a crash: no logout ever comes */
        fx_unhold(first, SIGKILL);
        for (int i = 0; i < 50 && rc != PAM_SUCCESS; i++) {
                usleep(100 * 1000);
                member_answers(&c, "carol", password, code);
                rc = fx_pam_items(f, "kagi-stack", SHARED, "pts/2", NULL, NULL, &c, FX_AUTH | FX_ACCOUNT);
        }
        assert_int_equal(rc, PAM_SUCCESS);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=session-end", "account=" SHARED,
                                                             "person=alice", "result=ended", NULL }),
                         1);
}

static void kagictl_session_end_frees_the_id(void **state)
{
        struct fx *f = *state;
        char password[64], code[16], out[8192], id[65] = "";
        struct fx_conv c;
        const char *p;
        pid_t first;

        member_answers(&c, "alice", password, code);
        assert_int_equal(fx_hold(f, "kagi-stack", SHARED, "pts/1", NULL, &c, &first), PAM_SUCCESS);
        assert_int_equal(fx_kagictl(f, out, sizeof(out), (const char *[]){ "session", "list", NULL }), 0);
        /* the listing's first column is the id */
        p = strstr(out, "\n");
        assert_non_null(p);
        assert_int_equal(sscanf(p + 1, "%64s", id), 1);
        assert_int_equal(fx_kagictl(f, out, sizeof(out),
                                    (const char *[]){ "session", "end", id, "--reason", "counter closed", NULL }),
                         0);
        assert_non_null(strstr(out, "is ending"));
        /* its process is told to go, and goes: the ID is free */
        assert_true(gone_soon(first));
        member_answers(&c, "carol", password, code);
        for (int i = 0; i < 50; i++) {
                if (fx_pam_items(f, "kagi-stack", SHARED, "pts/2", NULL, NULL, &c, FX_AUTH | FX_ACCOUNT) == PAM_SUCCESS)
                        break;
                usleep(100 * 1000);
                member_answers(&c, "carol", password, code);
        }
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=session-end", "person=alice",
                                                             "result=ended", NULL }),
                         1);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=account", "person=carol", "result=success",
                                                             NULL }),
                         1);
}

static void one_terminal_at_a_time_where_the_zone_says_so(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;
        char code[16];
        pid_t first;

        fx_right_answers(&c, "bob");
        fx_code(FX_SECRET_ALICE, step++, code);
        c.answers[1] = code;
        assert_int_equal(fx_hold(f, "kagi-stack", "bob", "pts/1", NULL, &c, &first), PAM_SUCCESS);
        fx_right_answers(&c, "bob");
        fx_code(FX_SECRET_ALICE, step++, code);
        c.answers[1] = code;
        assert_int_not_equal(fx_pam_items(f, "kagi-stack", "bob", "pts/2", NULL, NULL, &c, FX_AUTH | FX_ACCOUNT),
                             PAM_SUCCESS);
        assert_true(fx_said(&c, "already logged in on another terminal"));
        assert_true(fx_said(&c, "pts/1"));
        /* logged out there: here is fine */
        assert_int_equal(fx_unhold(first, SIGTERM), PAM_SUCCESS);
        fx_right_answers(&c, "bob");
        fx_code(FX_SECRET_ALICE, step++, code);
        c.answers[1] = code;
        assert_int_equal(fx_pam_items(f, "kagi-stack", "bob", "pts/2", NULL, NULL, &c, FX_AUTH | FX_ACCOUNT),
                         PAM_SUCCESS);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(member_by_personal_id_is_allowed_and_attributed),
                T(member_through_a_directory_group),
                T(non_member_is_refused_counted_and_audited_as_misuse),
                T(the_shared_password_alone_is_refused),
                T(a_second_login_is_refused_with_who_holds_it_until_the_first_logs_out),
                T(a_killed_session_frees_the_id_without_an_admin),
                T(kagictl_session_end_frees_the_id),
                cmocka_unit_test_setup_teardown(one_terminal_at_a_time_where_the_zone_says_so, setup_one_terminal,
                                                teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
