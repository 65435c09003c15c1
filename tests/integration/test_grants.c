/* Privileged access by grant (PRIV-1, PRIV-2, PRIV-4, PRIV-6), through the
 * real PAM stack and a real kagid that checks people's passwords with its
 * own PAM service (pam_matrix here): su to a role's target is the person's
 * factors plus a grant; kagictl asks, approves, denies, revokes; inline in
 * su; durations refused, never shortened; nobody approves their own;
 * break-glass only where allowed, and it tells the approvers. The real su,
 * sudo and sshd are in tests/e2e/. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <security/pam_appl.h>

#include "common.h"
#include "harness.h"

static char extra[2048];
static int step;                              /* TOTP steps are used once, in order */

static int setup(void **state)
{
        char dir[64], path[128];
        struct fx *f;
        FILE *s;

        snprintf(dir, sizeof(dir), "/tmp/kagi-it-%d", (int)getpid());
        snprintf(extra, sizeof(extra),
                 "[totp]\nwindow = 10\n"
                 "[role ops]\ntargets = root\nusers = alice frank\nmax_duration = 1h\n"
                 "[role dba]\ntargets = bob\nusers = alice carol\nmax_duration = 2h\napproval = yes\n"
                 "approvers = kagi-admin\nbreak_glass = yes\nnotify = %s/notify.sh\n"
                 "[role late]\ntargets = latetarget\nusers = alice\nmax_duration = 1h\napproval = yes\n"
                 "approvers = kagi-admin\napproval_wait = 2s\nnotify = /bin/false\n",
                 dir);
        f = fx_new(extra, (const char *[]){ "alice", "carol", "eve", "frank", NULL });
        if (!f)
                return -1;
        /* what the approvers' notify command was told, one file per grant */
        snprintf(path, sizeof(path), "%s/notify.sh", f->dir);
        s = fopen(path, "we");
        if (!s)
                return -1;
        fprintf(s, "#!/bin/sh\nenv | grep '^KAGI_' | sort > %s/notified.$KAGI_GRANT_ID.$1\n", f->dir);
        fclose(s);
        chmod(path, 0755);
        step = -9;
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        return fx_free(*state);
}

/* The next unused code of the one secret everyone is enrolled with. */
static const char *next_code(char code[16])
{
        fx_code(FX_SECRET_ALICE, step++, code);
        return code;
}

/* su root by alice: her own password and code, then what else is asked. */
static int su_root(struct fx *f, const char *person, struct fx_conv *c, const char *reason, const char *span)
{
        char password[64], code[16];

        memset(c, 0, sizeof(*c));
        snprintf(password, sizeof(password), "pw-%s", person);
        c->answers[0] = password;
        c->answers[1] = next_code(code);
        c->answers[2] = reason;
        c->answers[3] = span;
        return fx_pam_items(f, "kagi-su", "root", "pts/4", NULL, person, c, FX_AUTH | FX_ACCOUNT);
}

/* kagictl as the person (uid), typing password and code at its prompts. */
static int ctl_as(struct fx *f, uid_t uid, const char *person, char *out, size_t outsz, const char *const argv[])
{
        char input[128], code[16];

        snprintf(input, sizeof(input), "pw-%s\n%s\n", person, next_code(code));
        return fx_kagictl_typed(f, uid, input, out, outsz, argv);
}

static bool prompted(const struct fx_conv *c, const char *needle)
{
        for (size_t i = 0; i < c->n_prompts; i++)
                if (strstr(c->prompts[i], needle))
                        return true;
        return false;
}

static void su_to_a_target_without_a_grant_is_refused_with_how_to_ask(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        assert_int_equal(su_root(f, "alice", &c, NULL, NULL), PAM_PERM_DENIED);
        /* her own factors, asked by name — never root's password */
        assert_true(prompted(&c, "Password of alice"));
        assert_true(prompted(&c, "Verification code of alice"));
        assert_true(fx_said(&c, "Privileged access needs a grant. Ask for one: kagictl grant request ops"));
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=account", "account=root", "person=alice",
                                                             "result=denied", NULL }),
                         1);
}

static void kagictl_grant_request_then_su_is_allowed_and_attributed(void **state)
{
        struct fx *f = *state;
        const char *argv[] = { "grant", "request", "ops", "--for", "30m", "--reason", "patch openssl", NULL };
        struct fx_conv c;
        char out[4096];

        if (ctl_as(f, 1000, "alice", out, sizeof(out), argv) != 0)
                fail_msg("kagictl: %s", out);
        assert_non_null(strstr(out, "grant 1: active, role ops for alice"));
        assert_int_equal(su_root(f, "alice", &c, NULL, NULL), PAM_SUCCESS);
        /* PRIV-6: the use names the person, and the grant */
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=grant-use", "account=root", "person=alice",
                                                             "reason=grant 1 (role ops) opens root", NULL }),
                         1);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=grant-request", "person=alice", "result=active",
                                                             NULL }),
                         1);
}

static void a_grant_asked_inline_in_su_needs_no_second_code(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        assert_int_equal(su_root(f, "alice", &c, "restart the spooler", "15m"), PAM_SUCCESS);
        /* two hidden prompts (password, code), then reason and duration */
        assert_int_equal(c.n_prompts, 4);
        assert_true(prompted(&c, "Reason for privileged access (ops)"));
        assert_true(prompted(&c, "at most 60 minutes"));
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=grant-request", "person=alice", "result=active",
                                                             NULL }),
                         1);
}

static void an_inline_duration_that_is_none_says_so(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        assert_int_equal(su_root(f, "alice", &c, "restart the spooler", "soon"), PAM_PERM_DENIED);
        assert_true(fx_said(&c, "The grant was not given: not a duration such as 30m or 2h."));
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=grant-request", NULL }), 0);
}

static void over_long_grants_are_refused_never_shortened(void **state)
{
        struct fx *f = *state;
        const char *argv[] = { "grant", "request", "ops", "--for", "2h", "--reason", "long job", NULL };
        char out[4096];

        assert_int_equal(ctl_as(f, 1000, "alice", out, sizeof(out), argv), 1);
        assert_non_null(strstr(out, "longer than the role's max_duration"));
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=grant-request", "result=active", NULL }), 0);
}

static void a_non_holder_cannot_ask(void **state)
{
        struct fx *f = *state;
        const char *argv[] = { "grant", "request", "ops", "--for", "10m", "--reason", "curious", NULL };
        char out[4096];

        assert_int_equal(ctl_as(f, 1002, "carol", out, sizeof(out), argv), 1);
        assert_non_null(strstr(out, "carol does not hold the role ops"));
}

static void approval_by_another_person_only(void **state)
{
        struct fx *f = *state;
        const char *ask[] = { "grant", "request", "dba", "--for", "1h", "--reason", "schema change", NULL };
        const char *approve[] = { "grant", "approve", "1", NULL };
        const char *pending[] = { "grant", "list", "--pending", NULL };
        char out[8192], path[128];

        assert_int_equal(ctl_as(f, 1000, "alice", out, sizeof(out), ask), 0);
        assert_non_null(strstr(out, "grant 1: pending, role dba for alice"));
        /* the approvers were told, with the request in the environment */
        sleep(1);
        snprintf(path, sizeof(path), "%s/notified.1.request", f->dir);
        assert_int_equal(access(path, F_OK), 0);
        assert_int_equal(fx_kagictl(f, out, sizeof(out), pending), 0);
        assert_non_null(strstr(out, "schema change"));
        /* alice is no approver, and nobody approves their own */
        assert_int_equal(ctl_as(f, 1000, "alice", out, sizeof(out), approve), 1);
        assert_non_null(strstr(out, "nobody approves their own grant"));
        /* eve is in kagi-admin, the approver group */
        assert_int_equal(ctl_as(f, 1004, "eve", out, sizeof(out), approve), 0);
        assert_non_null(strstr(out, "grant 1: active"));
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=grant-approve", "person=eve", NULL }), 1);
}

static void one_extension_waits_for_approval_at_a_time(void **state)
{
        struct fx *f = *state;
        const char *ask[] = { "grant", "request", "dba", "--for", "30m", "--reason", "schema change", NULL };
        const char *approve[] = { "grant", "approve", "1", NULL };
        const char *extend[] = { "grant", "extend", "1", "--by", "10m", "--reason", "the migration is slow", NULL };
        const char *again[] = { "grant", "extend", "1", "--by", "20m", "--reason", "even slower", NULL };
        char out[8192];

        assert_int_equal(ctl_as(f, 1000, "alice", out, sizeof(out), ask), 0);
        assert_int_equal(ctl_as(f, 1004, "eve", out, sizeof(out), approve), 0);
        assert_int_equal(ctl_as(f, 1000, "alice", out, sizeof(out), extend), 0);
        assert_int_equal(ctl_as(f, 1000, "alice", out, sizeof(out), again), 1);
        assert_non_null(strstr(out, "an extension of grant 1 by 10 min already waits for approval"));
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=grant-extend", "result=pending", NULL }), 1);
        /* the approvers were told of the request and of the extension */
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=grant-notify", "result=sent", NULL }), 2);
}

/* and its approvers' notify command fails */
static void a_request_nobody_approves_in_time_lapses(void **state)
{
        struct fx *f = *state;
        const char *ask[] = { "grant", "request", "late", "--for", "1h", "--reason", "weekend job", NULL };
        const char *approve[] = { "grant", "approve", "1", NULL };
        const char *list[] = { "grant", "list", NULL };
        char out[8192];

        assert_int_equal(ctl_as(f, 1000, "alice", out, sizeof(out), ask), 0);
        assert_non_null(strstr(out, "grant 1: pending"));
        sleep(4);                            /* approval_wait = 2s, looked at every second */
        assert_int_equal(fx_kagictl(f, out, sizeof(out), list), 0);
        assert_non_null(strstr(out, "expired"));
        assert_int_equal(ctl_as(f, 1004, "eve", out, sizeof(out), approve), 1);
        assert_non_null(strstr(out, "grant 1 waits for no decision (it is expired)"));
        /* its notify command failed: that is on record too */
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=grant-notify", "person=alice", "result=failed",
                                                             "reason=the approvers were not told of grant 1 "
                                                             "(request): it exited with 1",
                                                             NULL }),
                         1);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=grant-expire", "person=alice", "result=expired",
                                                             "reason=request 1 of alice (role late) lapsed: not "
                                                             "approved within 2s",
                                                             NULL }),
                         1);
}

static void deny_and_revoke_take_effect_at_the_next_use(void **state)
{
        struct fx *f = *state;
        const char *ask_dba[] = { "grant", "request", "dba", "--for", "1h", "--reason", "index", NULL };
        const char *deny[] = { "grant", "deny", "1", "--reason", "not this week", NULL };
        const char *ask_ops[] = { "grant", "request", "ops", "--for", "30m", "--reason", "patch", NULL };
        const char *revoke[] = { "grant", "revoke", "2", "--reason", "patch postponed", NULL };
        struct fx_conv c;
        char out[8192];

        assert_int_equal(ctl_as(f, 1000, "alice", out, sizeof(out), ask_dba), 0);
        assert_int_equal(ctl_as(f, 1004, "eve", out, sizeof(out), deny), 0);
        assert_non_null(strstr(out, "grant 1: denied"));
        assert_int_equal(ctl_as(f, 1000, "alice", out, sizeof(out), ask_ops), 0);
        assert_int_equal(su_root(f, "alice", &c, NULL, NULL), PAM_SUCCESS);
        assert_int_equal(fx_kagictl(f, out, sizeof(out), revoke), 0);
        assert_non_null(strstr(out, "grant 2: revoked"));
        assert_int_equal(su_root(f, "alice", &c, NULL, NULL), PAM_PERM_DENIED);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=grant-revoke", "result=revoked", NULL }), 1);
}

static void break_glass_only_where_allowed_and_it_tells(void **state)
{
        struct fx *f = *state;
        const char *dba[] = { "grant", "request", "dba", "--for", "20m", "--reason", "outage", "--break-glass", NULL };
        const char *ops[] = { "grant", "request", "ops", "--for", "20m", "--reason", "outage", "--break-glass", NULL };
        char out[4096], path[128];

        assert_int_equal(ctl_as(f, 1002, "carol", out, sizeof(out), dba), 0);
        assert_non_null(strstr(out, "grant 1: active, role dba for carol"));
        assert_non_null(strstr(out, "(break-glass)"));
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=break-glass", "person=carol", NULL }), 1);
        sleep(1);
        snprintf(path, sizeof(path), "%s/notified.1.break-glass", f->dir);
        assert_int_equal(access(path, F_OK), 0);
        assert_int_equal(ctl_as(f, 1000, "alice", out, sizeof(out), ops), 1);
        assert_non_null(strstr(out, "does not allow break-glass"));
}

static void a_direct_root_login_with_password_and_code_is_refused(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;
        char code[16];

        memset(&c, 0, sizeof(c));
        c.answers[0] = "pw-root";
        c.answers[1] = next_code(code);
        assert_int_not_equal(fx_pam_items(f, "kagi-stack", "root", "pts/5", "192.0.2.4", NULL, &c, FX_AUTH),
                             PAM_SUCCESS);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=auth", "account=root", "result=success", NULL }),
                         0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(su_to_a_target_without_a_grant_is_refused_with_how_to_ask),
                T(kagictl_grant_request_then_su_is_allowed_and_attributed),
                T(a_grant_asked_inline_in_su_needs_no_second_code),
                T(an_inline_duration_that_is_none_says_so),
                T(over_long_grants_are_refused_never_shortened),
                T(a_non_holder_cannot_ask),
                T(approval_by_another_person_only),
                T(one_extension_waits_for_approval_at_a_time),
                T(a_request_nobody_approves_in_time_lapses),
                T(deny_and_revoke_take_effect_at_the_next_use),
                T(break_glass_only_where_allowed_and_it_tells),
                T(a_direct_root_login_with_password_and_code_is_refused),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
