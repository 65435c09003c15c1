/* Password + TOTP login through the real PAM stack against a real kagid. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <security/pam_appl.h>

#include "harness.h"

static int setup(void **state)
{
        /* window 2 keeps the replay checks exact across a time-step boundary */
        *state = fx_new("[totp]\nwindow = 2\n", (const char *[]){ "alice", NULL });
        return *state ? 0 : -1;
}

static int teardown(void **state)
{
        return fx_free(*state);
}

static void correct_password_and_code_log_in(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        fx_right_answers(&c, "alice");
        assert_int_equal(fx_pam_items(f, "kagi-stack", "alice", "pts/3", "192.0.2.7", NULL, &c,
                                      FX_AUTH | FX_ACCOUNT | FX_SESSION),
                         PAM_SUCCESS);
        /* what the user was asked, in order: the stack's password, then kagi's code */
        assert_int_equal(c.n_prompts, 2);
        assert_string_equal(c.prompts[1], "Verification code: ");
        assert_int_equal(c.n_errors, 0);

        /* every step is on record, with the terminal */
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=auth", "account=alice", "result=success",
                                                             "factor=password+totp", NULL }),
                         1);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=account", "result=success", NULL }), 1);
        assert_true(fx_audit_count(f, (const char *[]){ "event=login", "account=alice", NULL }) == 1);
        assert_true(fx_audit_count(f, (const char *[]){ "event=logout", "account=alice", NULL }) == 1);
        {
                char out[1 << 16];
                const char *argv[] = { "audit", "show", NULL };
                assert_int_equal(fx_kagictl(f, out, sizeof(out), argv), 0);
                assert_non_null(strstr(out, "pts/3 from 192.0.2.7"));
        }
}

static void code_from_oathtool_is_accepted(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;
        char code[16] = "";
        FILE *p = popen("oathtool --totp -b " FX_SECRET_ALICE, "r");

        assert_non_null(p);
        assert_non_null(fgets(code, sizeof(code), p));
        pclose(p);
        code[strcspn(code, "\n")] = '\0';
        assert_int_equal(strlen(code), 6);
        assert_int_equal(fx_login(f, "alice", "pw-alice", code, &c), PAM_SUCCESS);
}

static void wrong_code_is_refused(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;
        char code[16];

        fx_code(FX_SECRET_ALICE, 0, code);
        code[0] = code[0] == '0' ? '1' : '0';
        assert_int_equal(fx_login(f, "alice", "pw-alice", code, &c), PAM_AUTH_ERR);
        assert_true(fx_said(&c, "Authentication failed."));
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=auth", "result=failure", "reason=wrong code", NULL }),
                         1);
}

static void replayed_code_is_refused(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;
        char code[16];

        fx_code(FX_SECRET_ALICE, 0, code);
        assert_int_equal(fx_login(f, "alice", "pw-alice", code, &c), PAM_SUCCESS);
        assert_int_equal(fx_login(f, "alice", "pw-alice", code, &c), PAM_AUTH_ERR);
        assert_true(fx_said(&c, "That code was already used"));
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=auth", "reason=code already used (replay)", NULL }),
                         1);
}

static void code_older_than_the_last_accepted_is_refused(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;
        char now[16], earlier[16], later[16];

        fx_code(FX_SECRET_ALICE, 1, later);
        fx_code(FX_SECRET_ALICE, 0, now);
        fx_code(FX_SECRET_ALICE, -1, earlier);
        /* a code one step ahead (clock skew) is accepted and recorded as skew */
        assert_int_equal(fx_login(f, "alice", "pw-alice", later, &c), PAM_SUCCESS);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=auth", "result=success", NULL }), 1);
        /* now the current and the earlier step are both in the past of that */
        assert_int_equal(fx_login(f, "alice", "pw-alice", now, &c), PAM_AUTH_ERR);
        assert_int_equal(fx_login(f, "alice", "pw-alice", earlier, &c), PAM_AUTH_ERR);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "reason=code already used (replay)", NULL }), 2);
}

static void wrong_password_is_counted_and_no_code_is_asked(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;
        char out[4096];

        assert_int_equal(fx_login(f, "alice", "not-her-password", "000000", &c), PAM_AUTH_ERR);
        assert_int_equal(c.n_prompts, 1);  /* the stack stopped at the password */
        assert_int_equal(fx_status_json(f, "alice", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "\"failures\":1"));
}

static void unknown_user_gets_the_same_prompts_and_a_plain_refusal(void **state)
{
        struct fx *f = *state;
        struct fx_conv known = { 0 }, unknown = { 0 };

        /* "ghost" passes the password module but has no account in kagi's
         * directory; alice is known. Wrong codes for both. */
        known.answers[0] = "pw-alice";
        known.answers[1] = "000000";
        unknown.answers[0] = "pw-ghost";
        unknown.answers[1] = "000000";
        assert_int_equal(fx_pam(f, "kagi-stack", "alice", &known, FX_AUTH), PAM_AUTH_ERR);
        assert_int_equal(fx_pam(f, "kagi-stack", "ghost", &unknown, FX_AUTH), PAM_AUTH_ERR);
        assert_int_equal(known.n_prompts, 2);
        assert_int_equal(unknown.n_prompts, 2);
        assert_string_equal(known.prompts[1], unknown.prompts[1]);
        assert_int_equal(known.n_errors, 1);
        assert_int_equal(unknown.n_errors, 1);
        assert_string_equal(known.errors[0], unknown.errors[0]);
        /* the log knows the difference */
        assert_int_equal(fx_audit_count(f, (const char *[]){ "account=ghost", "reason=unknown account", NULL }), 1);
}

static void user_without_totp_is_refused_like_a_wrong_code(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        assert_int_equal(fx_login(f, "bob", "pw-bob", "123456", &c), PAM_AUTH_ERR);
        assert_true(fx_said(&c, "Authentication failed."));
        assert_int_equal(fx_audit_count(f, (const char *[]){ "account=bob", "reason=no TOTP enrolled", NULL }), 1);
}

static int setup_totp_zone(void **state)
{
        *state = fx_new("[zone default]\nfactors = password+totp\nusers = *\n", (const char *[]){ "alice", NULL });
        return *state ? 0 : -1;
}

static void kagi_alone_refuses_when_nothing_checks_the_password(void **state)
{
        struct fx *f = *state;
        struct fx_conv c = { 0 };
        char code[16];

        fx_code(FX_SECRET_ALICE, 0, code);
        c.answers[0] = code;
        /* NSS cannot check passwords and no module before kagi did: one factor is not enough */
        assert_int_equal(fx_pam(f, "kagi-only", "alice", &c, FX_AUTH), PAM_PERM_DENIED);
        assert_int_equal(c.n_prompts, 0);
        assert_true(fx_said(&c, "No permitted way to log in"));
}

static void removed_totp_no_longer_logs_in(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;
        char out[1024];
        const char *argv[] = { "totp", "remove", "alice", NULL };

        assert_int_equal(fx_kagictl(f, out, sizeof(out), argv), 0);
        assert_int_equal(fx_login_right(f, "alice", &c), PAM_AUTH_ERR);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=unenroll", "account=alice", "person=root", NULL }),
                         1);
}

static void unknown_module_argument_is_an_error(void **state)
{
        struct fx *f = *state;
        struct fx_conv c = { 0 };

        c.answers[0] = "x";
        assert_int_equal(fx_pam(f, "kagi-badarg", "alice", &c, FX_AUTH), PAM_SERVICE_ERR);
        assert_int_equal(c.n_prompts, 0);
}

/* A name kagi cannot take is a refusal (PAM_AUTH_ERR), never
 * PAM_USER_UNKNOWN, which stacks commonly skip over. */
static void an_over_long_name_is_refused_not_unknown(void **state)
{
        struct fx *f = *state;
        struct fx_conv c = { 0 };
        char name[301];

        memset(name, 'a', sizeof(name) - 1);
        name[sizeof(name) - 1] = '\0';
        c.answers[0] = "x";
        c.answers[1] = "000000";
        assert_int_equal(fx_pam(f, "kagi-only", name, &c, FX_AUTH), PAM_AUTH_ERR);
        memset(&c, 0, sizeof(c));
        assert_int_equal(fx_pam(f, "kagi-only", name, &c, FX_ACCOUNT), PAM_AUTH_ERR);
}

static void su_records_the_person_behind_the_account(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        fx_right_answers(&c, "alice");
        assert_int_equal(fx_pam_items(f, "kagi-stack", "alice", "pts/9", NULL, "carol", &c, FX_AUTH), PAM_SUCCESS);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=auth", "account=alice", "person=carol", NULL }), 1);
}

static void enrollment_prints_uri_and_qr_and_the_new_secret_works(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;
        char out[16384], secret[64] = "", code[16];
        const char *argv[] = { "totp", "enroll", "frank", NULL };
        const char *p;

        assert_int_equal(fx_kagictl(f, out, sizeof(out), argv), 0);
        p = strstr(out, "otpauth://totp/kagi:frank?secret=");
        assert_non_null(p);
        assert_non_null(strstr(out, "&digits=6&period=30"));
        assert_non_null(strstr(out, "\xe2\x96\x88"));      /* the QR code's blocks */
        sscanf(p + strlen("otpauth://totp/kagi:frank?secret="), "%63[A-Z2-7]", secret);
        assert_int_equal(strlen(secret), 32);           /* 160 bits */
        fx_code(secret, 0, code);
        assert_int_equal(fx_login(f, "frank", "pw-frank", code, &c), PAM_SUCCESS);
        /* the secret is stored sealed, never in clear */
        {
                char cmd[FX_PATH + 128], hits[64] = "";
                FILE *p2;
                snprintf(cmd, sizeof(cmd), "grep -c '%s' %s* 2>/dev/null | grep -v ':0' | wc -l", secret, f->db);
                p2 = popen(cmd, "r");
                assert_non_null(p2);
                assert_non_null(fgets(hits, sizeof(hits), p2));
                pclose(p2);
                assert_int_equal(atoi(hits), 0);
        }
}

static void enrolling_an_unknown_account_is_refused(void **state)
{
        struct fx *f = *state;
        char out[4096];
        const char *argv[] = { "totp", "enroll", "mallory", "--no-qr", NULL };
        const char *bad_secret[] = { "totp", "enroll", "bob", "--secret", "not base32!", NULL };

        assert_int_equal(fx_kagictl(f, out, sizeof(out), argv), 1);
        assert_non_null(strstr(out, "no account named mallory"));
        assert_int_equal(fx_kagictl(f, out, sizeof(out), bad_secret), 1);
        assert_non_null(strstr(out, "--secret is not base32"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
                T(correct_password_and_code_log_in),
                T(code_from_oathtool_is_accepted),
                T(wrong_code_is_refused),
                T(replayed_code_is_refused),
                T(code_older_than_the_last_accepted_is_refused),
                T(wrong_password_is_counted_and_no_code_is_asked),
                T(unknown_user_gets_the_same_prompts_and_a_plain_refusal),
                T(user_without_totp_is_refused_like_a_wrong_code),
                cmocka_unit_test_setup_teardown(kagi_alone_refuses_when_nothing_checks_the_password, setup_totp_zone,
                                                teardown),
                T(removed_totp_no_longer_logs_in),
                T(unknown_module_argument_is_an_error),
                T(an_over_long_name_is_refused_not_unknown),
                T(su_records_the_person_behind_the_account),
                T(enrollment_prints_uri_and_qr_and_the_new_secret_works),
                T(enrolling_an_unknown_account_is_refused),
#undef T
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
