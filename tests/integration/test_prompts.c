/* What the user reads when a login is refused, and what happens at a prompt
 * that gets no credential (pam_kagi(8): "Messages", "Abandoned prompts",
 * "The password at the code prompt"), through the real PAM stack. */
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

#define NOT_COUNTED "This does not count as a failed attempt."

static int setup(void **state)
{
        *state = fx_new(NULL, (const char *[]){ "alice", NULL });
        return *state ? 0 : -1;
}

static int teardown(void **state)
{
        return fx_free(*state);
}

static int failures(struct fx *f)
{
        char out[4096];
        const char *p;

        assert_int_equal(fx_status_json(f, "alice", out, sizeof(out)), 0);
        p = strstr(out, "\"failures\":");
        assert_non_null(p);
        return atoi(p + strlen("\"failures\":"));
}

static int login_tty(struct fx *f, const char *tty, struct fx_conv *c)
{
        return fx_pam_items(f, "kagi-stack", "alice", tty, NULL, NULL, c, FX_AUTH);
}

static void wrong_code(char code[16])
{
        fx_code(FX_SECRET_ALICE, 0, code);
        code[0] = code[0] == '0' ? '1' : '0';
}

/* sudo always passes PAM_SILENT: the line that says why is shown anyway */
static void the_refusal_is_shown_under_pam_silent(void **state)
{
        struct fx *f = *state;
        struct fx_conv c = { .flags = PAM_SILENT };
        char code[16];

        wrong_code(code);
        c.answers[0] = "pw-alice";
        c.answers[1] = code;
        assert_int_equal(login_tty(f, "pts/1", &c), PAM_AUTH_ERR);
        assert_int_equal(c.n_errors, 1);
        assert_string_equal(c.errors[0], "Authentication failed.");
        assert_int_equal(c.n_infos, 0);
}

static void a_wrong_password_is_explained_too(void **state)
{
        struct fx *f = *state;
        struct fx_conv c = { .flags = PAM_SILENT };

        c.answers[0] = "not-her-password";
        assert_int_equal(login_tty(f, "pts/1", &c), PAM_AUTH_ERR);
        assert_int_equal(c.n_errors, 1);
        assert_string_equal(c.errors[0], "Authentication failed.");
        assert_int_equal(failures(f), 1);
}

/* the OpenSSH client escapes message text but prints prompts as they are */
static void over_ssh_the_refusal_is_a_prompt_to_acknowledge(void **state)
{
        struct fx *f = *state;
        struct fx_conv c = { 0 };
        char code[16];

        wrong_code(code);
        c.answers[0] = "pw-alice";
        c.answers[1] = code;
        c.answers[2] = "typed by habit";
        assert_int_equal(login_tty(f, "ssh", &c), PAM_AUTH_ERR);
        assert_int_equal(c.n_prompts, 3);
        assert_string_equal(c.prompts[2], "Authentication failed. [press Enter] ");
        assert_int_equal(c.n_errors, 0);
        assert_int_equal(failures(f), 1);
}

static void over_ssh_without_a_prompt_the_refusal_is_a_message(void **state)
{
        struct fx *f = *state;
        struct fx_conv c = { 0 };
        char code[16];

        wrong_code(code);
        c.answers[0] = "pw-alice";
        c.answers[1] = code;      /* and no answer to the third prompt: the conversation refuses it */
        assert_int_equal(login_tty(f, "ssh", &c), PAM_AUTH_ERR);
        assert_int_equal(c.n_errors, 1);
        assert_string_equal(c.errors[0], "Authentication failed.");
}

static void no_answer_at_the_code_prompt_is_abandoned_and_not_counted(void **state)
{
        struct fx *f = *state;
        struct fx_conv c = { 0 };

        c.answers[0] = "pw-alice";       /* then none: Ctrl-C in sudo */
        assert_int_equal(login_tty(f, "pts/1", &c), PAM_AUTH_ERR);
        assert_int_equal(c.n_prompts, 2);
        assert_true(fx_said(&c, NOT_COUNTED));
        assert_int_equal(failures(f), 0);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=auth", "factor=totp", "result=abandoned",
                                                             "reason=no answer (interrupted, ended or timed out) "
                                                             "at the code prompt (not counted)",
                                                             NULL }),
                         1);
}

static void an_empty_code_is_abandoned_and_not_counted(void **state)
{
        struct fx *f = *state;
        struct fx_conv c = { 0 };

        c.answers[0] = "pw-alice";
        c.answers[1] = " ";
        assert_int_equal(login_tty(f, "pts/1", &c), PAM_AUTH_ERR);
        assert_true(fx_said(&c, "Login cancelled: nothing was entered. " NOT_COUNTED));
        assert_int_equal(failures(f), 0);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "result=abandoned",
                                                             "reason=empty answer at the code prompt (not counted)",
                                                             NULL }),
                         1);
}

/* The password module (pam_unix) leaves the password it checked in
 * PAM_AUTHTOK: the stack that emulates that. */
static int login_keeping_authtok(struct fx *f, struct fx_conv *c)
{
        int r;

        setenv("PAM_AUTHTOK", "pw-alice", 1);
        r = fx_pam(f, "kagi-keeps-authtok", "alice", c, FX_AUTH);
        unsetenv("PAM_AUTHTOK");
        return r;
}

static void the_password_at_the_code_prompt_is_explained_and_not_counted(void **state)
{
        struct fx *f = *state;
        struct fx_conv c = { .flags = PAM_SILENT };
        char code[16];

        c.answers[0] = "pw-alice";
        c.answers[1] = "pw-alice";       /* sudo -p, or a tool answering every prompt */
        assert_int_equal(login_keeping_authtok(f, &c), PAM_AUTH_ERR);
        assert_int_equal(c.n_errors, 1);
        assert_string_equal(c.errors[0], "That was your password. This prompt asks for the verification code shown "
                                         "by your authenticator app. " NOT_COUNTED);
        assert_int_equal(failures(f), 0);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "result=denied", "factor=totp",
                                                             "reason=the password was typed at the code prompt "
                                                             "(not counted)",
                                                             NULL }),
                         1);
        /* three times over is still no guess: the account is not locked */
        for (int i = 0; i < 2; i++) {
                memset(&c, 0, sizeof(c));
                c.answers[0] = "pw-alice";
                c.answers[1] = "pw-alice";
                assert_int_equal(login_keeping_authtok(f, &c), PAM_AUTH_ERR);
        }
        assert_int_equal(failures(f), 0);
        memset(&c, 0, sizeof(c));
        fx_code(FX_SECRET_ALICE, 0, code);
        c.answers[0] = "pw-alice";
        c.answers[1] = code;
        assert_int_equal(login_keeping_authtok(f, &c), PAM_SUCCESS);
}

/* With pam_matrix, which wipes PAM_AUTHTOK, nothing can be compared: the
 * answer is checked as a code and counts. */
static void without_the_password_to_compare_the_answer_is_a_code(void **state)
{
        struct fx *f = *state;
        struct fx_conv c = { 0 };

        c.answers[0] = "pw-alice";
        c.answers[1] = "pw-alice";
        assert_int_equal(login_tty(f, "pts/1", &c), PAM_AUTH_ERR);
        assert_int_equal(failures(f), 1);
}

static void no_answer_at_the_password_prompt_is_abandoned_and_not_counted(void **state)
{
        struct fx *f = *state;
        struct fx_conv c = { 0 };    /* no answers at all: Ctrl-C at the password */

        assert_int_equal(login_tty(f, "pts/1", &c), PAM_AUTH_ERR);
        assert_int_equal(failures(f), 0);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "factor=password", "result=abandoned", NULL }), 1);
        assert_true(fx_said(&c, NOT_COUNTED));
}

/* su and login die of Ctrl-C at a prompt; sshd kills its PAM process when
 * the client goes away. kagid notices and records it. */
static void a_login_whose_process_dies_at_the_code_prompt_is_recorded_as_abandoned(void **state)
{
        struct fx *f = *state;
        struct fx_conv c = { 0 };

        /* the harness runs the transaction in a process of its own */
        c.answers[0] = "pw-alice";
        c.answers[1] = FX_DIE;
        assert_int_equal(login_tty(f, "pts/1", &c), PAM_SYSTEM_ERR);
        assert_int_equal(c.died_of, SIGKILL);
        for (int i = 0; i < 40; i++) {
                if (fx_audit_count(f, (const char *[]){ "result=abandoned", NULL }) > 0)
                        break;
                usleep(50000);
        }
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=auth", "account=alice", "result=abandoned",
                                                             "reason=the login process ended before an answer "
                                                             "(interrupted, disconnected or timed out) (not counted)",
                                                             NULL }),
                         1);
        assert_int_equal(failures(f), 0);
}

/* a settled login is not abandoned when its process ends afterwards */
static void a_process_that_ends_after_its_answer_leaves_nothing_abandoned(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;
        char code[16];

        /* its process has ended when the harness returns */
        wrong_code(code);
        assert_int_equal(fx_login(f, "alice", "pw-alice", code, &c), PAM_AUTH_ERR);
        usleep(600000);      /* more than the watcher's tick */
        assert_int_equal(fx_audit_count(f, (const char *[]){ "result=abandoned", NULL }), 0);
        assert_int_equal(failures(f), 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
                T(the_refusal_is_shown_under_pam_silent),
                T(a_wrong_password_is_explained_too),
                T(over_ssh_the_refusal_is_a_prompt_to_acknowledge),
                T(over_ssh_without_a_prompt_the_refusal_is_a_message),
                T(no_answer_at_the_code_prompt_is_abandoned_and_not_counted),
                T(an_empty_code_is_abandoned_and_not_counted),
                T(the_password_at_the_code_prompt_is_explained_and_not_counted),
                T(without_the_password_to_compare_the_answer_is_a_code),
                T(no_answer_at_the_password_prompt_is_abandoned_and_not_counted),
                T(a_login_whose_process_dies_at_the_code_prompt_is_recorded_as_abandoned),
                T(a_process_that_ends_after_its_answer_leaves_nothing_abandoned),
#undef T
        };

        return cmocka_run_group_tests_name("prompts", tests, NULL, NULL);
}
