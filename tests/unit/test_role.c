/* [role NAME] and [shared ACCOUNT] (policy/config.c, policy/role.c): what
 * parses, what is refused and how, and the pure decisions on grants and
 * shared-ID membership. */
#include "unit.h"

#include "common.h"
#include "policy.h"

static struct kagi_config *parse(const char *text, char *err, size_t errsz)
{
        struct kagi_config *c = NULL;

        if (config_parse((const uint8_t *)text, strlen(text), "kagi.conf", &c, err, errsz) < 0)
                return NULL;
        return c;
}

static const char *const base = "[role dba]\n"
                                "targets = root dbadmin\n"
                                "users = tanaka\n"
                                "groups = infra\n"
                                "max_duration = 2h\n"
                                "approval = yes\n"
                                "approvers = infra-leads\n"
                                "warn = 1m 10m 5m\n";

static void role_section_parses(void **state)
{
        _cleanup_(config_freep) struct kagi_config *c = NULL;
        const struct kagi_role *r;
        char err[512];

        (void)state;
        c = parse(base, err, sizeof(err));
        if (!c)
                fail_msg("%s", err);
        r = config_role(c, "dba");
        assert_non_null(r);
        assert_true(role_opens(r, "root") && role_opens(r, "dbadmin") && !role_opens(r, "alice"));
        assert_true(config_is_target(c, "root"));
        assert_false(config_is_target(c, "tanaka"));
        assert_int_equal(r->max_duration, 7200);
        assert_true(r->approval);
        assert_string_equal(r->approvers, "infra-leads");
        /* warnings sorted, largest first */
        assert_int_equal(r->n_warn, 3);
        assert_int_equal(r->warn[0], 600);
        assert_int_equal(r->warn[1], 300);
        assert_int_equal(r->warn[2], 60);
        /* the defaults */
        assert_true(r->inline_request);
        assert_false(r->break_glass);
        assert_int_equal(r->card_removal, KAGI_CARD_REMOVAL_END);
}

/* Warned 10, 5 and 1 minutes before the end unless the role says; "none"
 * for no warnings. */
static void warnings_default_and_none(void **state)
{
        _cleanup_(config_freep) struct kagi_config *plain = NULL, *quiet = NULL;
        char err[512];

        (void)state;
        plain = parse("[role ops]\ntargets = root\nusers = tanaka\nmax_duration = 1h\n", err, sizeof(err));
        if (!plain)
                fail_msg("%s", err);
        assert_int_equal(config_role(plain, "ops")->n_warn, 3);
        assert_int_equal(config_role(plain, "ops")->warn[0], 600);
        assert_int_equal(config_role(plain, "ops")->warn[2], 60);
        quiet = parse("[role ops]\ntargets = root\nusers = tanaka\nmax_duration = 1h\nwarn = none\n", err,
                      sizeof(err));
        if (!quiet)
                fail_msg("%s", err);
        assert_int_equal(config_role(quiet, "ops")->n_warn, 0);
}

static void refused(const char *text, const char *want)
{
        char err[512] = "";
        struct kagi_config *c = parse(text, err, sizeof(err));

        if (c) {
                config_free(c);
                fail_msg("accepted: %s", text);
        }
        if (!strstr(err, want))
                fail_msg("'%s' does not say '%s'", err, want);
}

static void role_errors_name_what_is_wrong(void **state)
{
        (void)state;
        refused("[role dba]\nusers = a\nmax_duration = 1h\n", "[role dba]: targets: missing");
        refused("[role dba]\ntargets = root\nmax_duration = 1h\n", "nobody may hold it");
        refused("[role dba]\ntargets = root\nusers = a\n", "max_duration: missing");
        refused("[role dba]\ntargets = root\nusers = a\nmax_duration = never\n", "kagi.conf:4: max_duration");
        refused("[role dba]\ntargets = root\nusers = a\nmax_duration = 1h\napproval = yes\n", "approvers");
        refused("[role dba]\ntargets = root\nusers = *\nmax_duration = 1h\n", "named people");
        refused("[role DBA]\n", "role names are");
        refused("[role dba]\nfrobnicate = 1\n", "kagi.conf:2: frobnicate: unknown key in [role dba]");
        refused("[role dba]\ntargets = root\nusers = a\nmax_duration = 1h\ncard_removal = lock\n", "end or ignore");
        refused("[role dba]\ntargets = root\nusers = a\nmax_duration = 1h\nwarn = soon\n", "warn: 'soon'");
}

static void shared_section_parses_and_refuses(void **state)
{
        _cleanup_(config_freep) struct kagi_config *c = NULL;
        const struct kagi_shared *sh;
        char err[512];
        struct strv groups = { 0 };

        (void)state;
        c = parse("[shared madoguchi01]\nusers = sato\ngroups = counter\nfactors = card+pin\n", err, sizeof(err));
        if (!c)
                fail_msg("%s", err);
        sh = config_shared(c, "madoguchi01");
        assert_non_null(sh);
        assert_int_equal(sh->max_sessions, 1);
        assert_int_equal(sh->n_sets, 1);
        assert_true(shared_member(sh, "sato", NULL));
        assert_false(shared_member(sh, "suzuki", NULL));
        assert_int_equal(strv_add(&groups, "counter"), 0);
        assert_true(shared_member(sh, "suzuki", &groups));
        strv_clear(&groups);
        assert_null(config_shared(c, "sato"));

        refused("[shared madoguchi01]\nmax_sessions = 2\n", "nobody may use it");
        refused("[shared madoguchi01]\nusers = a\nfactors = totp\n", "single-factor");
        refused("[shared -x]\n", "named for its account");
        refused("[shared root]\nusers = a\n[role dba]\ntargets = root\nusers = b\nmax_duration = 1h\n",
                "also a target of [role dba]");
}

static struct kagi_role test_role(bool approval, bool break_glass)
{
        return (struct kagi_role){ .max_duration = 3600, .approval = approval, .approvers = (char *)"leads",
                                   .break_glass = break_glass };
}

static void grant_requests_are_refused_never_shortened(void **state)
{
        struct kagi_role open = test_role(false, false), approved = test_role(true, true);

        (void)state;
        assert_int_equal(role_request_check(&open, 3600, false), GRANT_ACTIVE);
        assert_int_equal(role_request_check(&open, 3601, false), GRANT_TOO_LONG);
        assert_int_equal(role_request_check(&open, 0, false), GRANT_NO_DURATION);
        assert_int_equal(role_request_check(&open, 60, true), GRANT_NO_BREAK_GLASS);
        assert_int_equal(role_request_check(&approved, 60, false), GRANT_PENDING);
        /* break-glass: active at once, where the role allows it */
        assert_int_equal(role_request_check(&approved, 60, true), GRANT_ACTIVE);
}

static void nobody_approves_their_own_grant(void **state)
{
        struct kagi_role r = test_role(true, false);
        struct strv leads = { 0 }, others = { 0 };

        (void)state;
        assert_int_equal(strv_add(&leads, "leads"), 0);
        assert_int_equal(strv_add(&others, "staff"), 0);
        assert_int_equal(role_approval_check(&r, "sato", &leads, "tanaka"), GRANT_ACTIVE);
        assert_int_equal(role_approval_check(&r, "tanaka", &leads, "tanaka"), GRANT_SELF_APPROVAL);
        assert_int_equal(role_approval_check(&r, "suzuki", &others, "tanaka"), GRANT_NOT_APPROVER);
        strv_clear(&leads);
        strv_clear(&others);
}

/* A refusal reads in the configured language; the audit keeps the English. */
static void verdicts_read_in_the_users_language(void **state)
{
        (void)state;
        assert_string_equal(grant_verdict_words(GRANT_TOO_LONG, KAGI_LANG_EN), "longer than the role's max_duration");
        assert_string_equal(grant_verdict_words(GRANT_TOO_LONG, KAGI_LANG_JA),
                            "ロールの最長時間（max_duration）を超えています");
        assert_string_equal(grant_verdict_text(GRANT_TOO_LONG), "longer than the role's max_duration");
        for (int v = GRANT_ACTIVE; v <= GRANT_NOT_APPROVER; v++)
                assert_string_not_equal(grant_verdict_words((enum grant_verdict)v, KAGI_LANG_JA), "?");
        assert_string_equal(grant_duration_unreadable(KAGI_LANG_EN), "not a duration such as 30m or 2h");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(role_section_parses),
                cmocka_unit_test(warnings_default_and_none),
                cmocka_unit_test(role_errors_name_what_is_wrong),
                cmocka_unit_test(shared_section_parses_and_refuses),
                cmocka_unit_test(grant_requests_are_refused_never_shortened),
                cmocka_unit_test(nobody_approves_their_own_grant),
                cmocka_unit_test(verdicts_read_in_the_users_language),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
