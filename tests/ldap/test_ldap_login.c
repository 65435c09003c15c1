/* Password + TOTP login with the directory in a real slapd: pam_kagi.so alone
 * collects both, kagid checks the password by an LDAP bind as the user and
 * counts every failure. */
#include <errno.h>
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
#include <json-c/json.h>
#include <security/pam_appl.h>

#include "harness.h"
#include "slapd.h"

static struct slapd slapd;

static int group_setup(void **state)
{
        (void)state;
        return slapd_test_start(&slapd);
}

static int group_teardown(void **state)
{
        (void)state;
        slapd_stop(&slapd);
        return 0;
}

/* A broker on the test directory; zone "default" admits the group staff
 * (alice, tanaka, suzuki). Everyone named here has FX_SECRET_ALICE. */
static int setup(void **state)
{
        char extra[2048], ca[300], pw[300];

        slapd_path(&slapd, "ca.pem", ca, sizeof(ca));
        slapd_path(&slapd, "service.pw", pw, sizeof(pw));
        snprintf(extra, sizeof(extra),
                 "[directory]\nbackend = ldap\nuri = %s\nbase = %s\nbind_dn = %s\nbind_password_file = %s\n"
                 "ca_file = %s\ntimeout = 2\ncache_ttl = 1\n"
                 "[zone default]\nfactors = password+totp card+pin\ngroups = staff\n"
                 "[shared madoguchi01]\ngroups = madoguchi\n",
                 slapd.ldaps_uri, slapd.base, slapd.service_dn, pw, ca);
        *state = fx_new(extra, (const char *[]){ "alice", "suzuki", "retired", "locked", "contractor", NULL });
        return *state ? 0 : -1;
}

static int teardown(void **state)
{
        return fx_free(*state);
}

/* kagi alone asks for the password itself, then the code. */
static int login(struct fx *f, const char *user, const char *password, const char *code, struct fx_conv *c)
{
        memset(c, 0, sizeof(*c));
        c->answers[0] = password;
        c->answers[1] = code;
        return fx_pam(f, "kagi-only", user, c, FX_AUTH | FX_ACCOUNT);
}

static int login_now(struct fx *f, const char *user, const char *password, struct fx_conv *c)
{
        char code[16];

        fx_code(FX_SECRET_ALICE, 0, code);
        return login(f, user, password, code, c);
}

static void directory_password_and_code_log_in(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        assert_int_equal(login_now(f, "alice", "alice-pw", &c), PAM_SUCCESS);
        assert_int_equal(c.n_prompts, 2);
        assert_string_equal(c.prompts[0], "Password: ");
        assert_string_equal(c.prompts[1], "Verification code: ");
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=auth", "account=alice", "factor=password+totp",
                                                             "result=success", NULL }),
                         1);
}

static void directory_details_reach_kagictl(void **state)
{
        struct fx *f = *state;
        char out[4096];
        const char *argv[] = { "user", "show", "suzuki", NULL };

        assert_int_equal(fx_kagictl(f, out, sizeof(out), argv), 0);
        assert_non_null(strstr(out, "in directory:  yes, enabled"));
        assert_non_null(strstr(out, "staff"));
}

static void third_wrong_password_locks(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;
        char out[4096];

        assert_int_equal(login_now(f, "alice", "wrong-1", &c), PAM_AUTH_ERR);
        assert_int_equal(login_now(f, "alice", "wrong-2", &c), PAM_AUTH_ERR);
        assert_int_equal(login_now(f, "alice", "wrong-3", &c), PAM_AUTH_ERR);
        assert_true(fx_said(&c, "now locked"));
        assert_int_equal(fx_status_json(f, "alice", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "\"locked\":true"));
        assert_int_equal(fx_audit_count(f, (const char *[]){ "reason=wrong password", NULL }), 3);
        /* locked: the right password is not even tried against the directory */
        assert_int_equal(login_now(f, "alice", "alice-pw", &c), PAM_MAXTRIES);
        assert_int_equal(c.n_prompts, 0);
}

static int guess_password(struct fx *f, const char *user, struct fx_conv *c)
{
        return login_now(f, user, "guess", c);
}

/* Binds are slow enough to overlap: the reservation alone must hold the line. */
static void parallel_wrong_passwords_get_only_threshold_binds(void **state)
{
        struct fx *f = *state;
        char out[4096];

        assert_int_equal(fx_parallel_logins(f, 20, guess_password, "suzuki"), 0);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "account=suzuki", "reason=wrong password", NULL }), 3);
        assert_int_equal(fx_status_json(f, "suzuki", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "\"locked\":true"));
}

static void disabled_accounts_are_refused(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        /* shadowExpire in the past: the password is right, the account is not */
        assert_int_equal(login_now(f, "retired", "retired-pw", &c), PAM_PERM_DENIED);
        assert_true(fx_said(&c, "This account is disabled."));
        /* an administrative ppolicy lock: slapd itself refuses the bind, so the
         * user learns nothing, and the record says why */
        assert_int_equal(login_now(f, "locked", "locked-pw", &c), PAM_AUTH_ERR);
        assert_true(fx_said(&c, "Authentication failed."));
        assert_int_equal(fx_audit_count(f, (const char *[]){ "account=locked",
                                                             "reason=password refused; account disabled in the directory",
                                                             NULL }),
                         1);
        memset(&c, 0, sizeof(c));
        assert_int_equal(fx_pam(f, "kagi-only", "retired", &c, FX_ACCOUNT), PAM_ACCT_EXPIRED);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "account=retired", "reason=account disabled in the directory",
                                                             NULL }),
                         2);
}

static void group_membership_changes_take_effect(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        /* contractor is not in staff */
        assert_int_equal(login_now(f, "contractor", "contractor-pw", &c), PAM_PERM_DENIED);
        assert_true(fx_said(&c, "You are not permitted to log in here."));
        assert_int_equal(slapd_modify(&slapd, "dn: cn=staff,ou=groups,dc=kagi,dc=test\nchangetype: modify\n"
                                              "add: member\nmember: uid=contractor,ou=people,dc=kagi,dc=test\n"),
                         0);
        sleep(2);       /* cache_ttl = 1 */
        {
                char code[16];
                fx_code(FX_SECRET_ALICE, 1, code);
                assert_int_equal(login(f, "contractor", "contractor-pw", code, &c), PAM_SUCCESS);
        }
        assert_int_equal(slapd_modify(&slapd, "dn: cn=staff,ou=groups,dc=kagi,dc=test\nchangetype: modify\n"
                                              "delete: member\nmember: uid=contractor,ou=people,dc=kagi,dc=test\n"),
                         0);
        sleep(2);
        memset(&c, 0, sizeof(c));
        assert_int_equal(fx_pam(f, "kagi-only", "contractor", &c, FX_ACCOUNT), PAM_PERM_DENIED);
}

static void injection_attempts_match_nobody(void **state)
{
        struct fx *f = *state;
        static const char *const names[] = { "*)(uid=*", "*", "alice)(|(uid=*", "al*", "\\2a" };
        struct fx_conv c;

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                assert_int_equal(login_now(f, names[i], "alice-pw", &c), PAM_AUTH_ERR);
                /* the same questions as anybody */
                assert_int_equal(c.n_prompts, 2);
        }
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=auth", "result=success", NULL }), 0);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "account=*)(uid=*", "reason=unknown account", NULL }), 1);
}

static void directory_down_refuses_without_counting(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;
        char out[4096];

        assert_int_equal(slapd_ctl(&slapd, "stop"), 0);
        assert_int_equal(login_now(f, "alice", "alice-pw", &c), PAM_AUTH_ERR);
        assert_true(fx_said(&c, "The authentication service is unavailable."));
        assert_int_equal(slapd_ctl(&slapd, "restart"), 0);
        assert_int_equal(fx_status_json(f, "alice", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "\"failures\":0"));
        assert_int_equal(login_now(f, "alice", "alice-pw", &c), PAM_SUCCESS);
}

static void directory_stopped_right_after_a_login_counts_nothing(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;
        char out[4096];

        /* the lookup may still be cached (cache_ttl 1 s) and the bind find no
         * server, or the lookup itself fail: either way nothing is counted */
        assert_int_equal(login_now(f, "alice", "alice-pw", &c), PAM_SUCCESS);
        assert_int_equal(slapd_ctl(&slapd, "stop"), 0);
        {
                char code[16];
                fx_code(FX_SECRET_ALICE, 1, code);
                assert_int_equal(login(f, "alice", "alice-pw", code, &c), PAM_AUTH_ERR);
        }
        assert_true(fx_said(&c, "The authentication service is unavailable."));
        assert_int_equal(slapd_ctl(&slapd, "restart"), 0);
        assert_int_equal(fx_status_json(f, "alice", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "\"failures\":0"));
}

/* A shared ID in the directory: its members are a directory group's, each
 * logs in with their personal ID and their own directory password; the
 * ID's own directory password is no way in. */
static void shared_id_members_come_from_a_directory_group(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;
        char code[16];

        fx_code(FX_SECRET_ALICE, 0, code);
        memset(&c, 0, sizeof(c));
        c.answers[0] = "suzuki";
        c.answers[1] = "suzuki-pw";
        c.answers[2] = code;
        assert_int_equal(fx_pam(f, "kagi-only", "madoguchi01", &c, FX_AUTH | FX_ACCOUNT), PAM_SUCCESS);
        assert_string_equal(c.prompts[0], "Your personal ID: ");
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=auth", "account=madoguchi01", "person=suzuki",
                                                             "result=success", NULL }),
                         1);
        /* alice is staff, not a member of the group */
        memset(&c, 0, sizeof(c));
        c.answers[0] = "alice";
        c.answers[1] = "alice-pw";
        c.answers[2] = code;
        assert_int_not_equal(fx_pam(f, "kagi-only", "madoguchi01", &c, FX_AUTH | FX_ACCOUNT), PAM_SUCCESS);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=shared-misuse", "person=alice", NULL }), 1);
        /* the ID's own password, given as if it were a person's */
        memset(&c, 0, sizeof(c));
        c.answers[0] = "madoguchi01";
        c.answers[1] = "shared-pw";
        c.answers[2] = code;
        assert_int_not_equal(fx_pam(f, "kagi-only", "madoguchi01", &c, FX_AUTH | FX_ACCOUNT), PAM_SUCCESS);
}

/* The review's accounts and what it says of each. */
static json_object *review_item(json_object *m, const char *name)
{
        json_object *accounts = NULL, *items = NULL;

        if (!json_object_object_get_ex(m, "accounts", &accounts) ||
            !json_object_object_get_ex(accounts, "items", &items))
                return NULL;
        for (size_t i = 0; i < json_object_array_length(items); i++) {
                json_object *it = json_object_array_get_idx(items, i), *n = NULL;

                if (json_object_object_get_ex(it, "name", &n) && strcmp(json_object_get_string(n), name) == 0)
                        return it;
        }
        return NULL;
}

static bool review_field(json_object *m, const char *name, const char *field, json_object **ret)
{
        json_object *it = review_item(m, name);

        return it && json_object_object_get_ex(it, field, ret);
}

/* One listing for the whole review, not a search or two per account. */
static void the_review_lists_the_directory_in_a_few_searches(void **state)
{
        struct fx *f = *state;
        char path[FX_PATH + 32], out[4096];
        json_object *m, *v;
        long before, after;

        snprintf(path, sizeof(path), "%s/review.json", f->dir);
        before = slapd_ops(&slapd, "Search");
        assert_int_equal(fx_kagictl(f, out, sizeof(out),
                                    (const char *[]){ "report", "review", "--format", "json", "--out", path, NULL }),
                         0);
        after = slapd_ops(&slapd, "Search");
        assert_true(fx_log_contains(f, "review: the directory listed"));
        /* users and groups, and slapd_ops's own search */
        fprintf(stderr, "review: %ld searches\n", after - before - 1);
        assert_true(before >= 0 && after - before - 1 <= 3);
        m = json_object_from_file(path);
        assert_non_null(m);
        assert_true(review_field(m, "alice", "display_name", &v));
        assert_string_equal(json_object_get_string(v), "Alice Sato");
        assert_true(review_field(m, "alice", "disabled", &v));
        assert_false(json_object_get_boolean(v));
        assert_true(review_field(m, "retired", "disabled", &v));
        assert_true(json_object_get_boolean(v));
        assert_true(review_field(m, "locked", "disabled", &v));
        assert_true(json_object_get_boolean(v));
        /* the shared ID's members come from the listed groups */
        assert_true(review_field(m, "madoguchi01", "members", &v));
        assert_int_equal(json_object_array_length(v), 1);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 0)), "suzuki");
        json_object_put(m);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
                T(directory_password_and_code_log_in),
                T(shared_id_members_come_from_a_directory_group),
                T(directory_details_reach_kagictl),
                T(third_wrong_password_locks),
                T(parallel_wrong_passwords_get_only_threshold_binds),
                T(disabled_accounts_are_refused),
                T(group_membership_changes_take_effect),
                T(injection_attempts_match_nobody),
                T(directory_down_refuses_without_counting),
                T(directory_stopped_right_after_a_login_counts_nothing),
                T(the_review_lists_the_directory_in_a_few_searches),
#undef T
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
