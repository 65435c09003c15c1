/* The one place decisions become PAM codes (pam_module/result.c). Fail
 * closed: only KAGI_ALLOW succeeds, and no refusal is a code that common
 * stack rules skip over (authinfo_unavail=ignore, user_unknown=ignore, a
 * module returning PAM_IGNORE). */
#include "unit.h"

#include <security/pam_modules.h>

#include "pam_kagi.h"

static const enum pk_phase phases[] = { PK_PHASE_AUTH, PK_PHASE_ACCOUNT, PK_PHASE_SESSION };

/* Decision -> PAM code, phase by phase: the whole table. */
static const int expected[][KAGI_DECISION_MAX_] = {
        [PK_PHASE_AUTH] = {
                [KAGI_ALLOW] = PAM_SUCCESS,
                [KAGI_CONTINUE] = PAM_AUTH_ERR,
                [KAGI_DENY_CREDENTIAL] = PAM_AUTH_ERR,
                [KAGI_DENY_LOCKED] = PAM_MAXTRIES,
                [KAGI_DENY_DISABLED] = PAM_PERM_DENIED,
                [KAGI_DENY_UNKNOWN] = PAM_AUTH_ERR,
                [KAGI_DENY_POLICY] = PAM_PERM_DENIED,
                [KAGI_DENY_REPLAY] = PAM_AUTH_ERR,
                [KAGI_DENY_NOT_ENROLLED] = PAM_AUTH_ERR,
                [KAGI_DENY_CARD] = PAM_AUTH_ERR,
                [KAGI_DENY_PERMISSION] = PAM_AUTH_ERR,
                [KAGI_DENY_INVALID] = PAM_AUTH_ERR,
                [KAGI_ERROR] = PAM_AUTH_ERR,
                [KAGI_UNAVAILABLE] = PAM_AUTH_ERR,
                [KAGI_DENY_ABANDONED] = PAM_AUTH_ERR,  /* applications may ask again */
        },
        [PK_PHASE_ACCOUNT] = {
                [KAGI_ALLOW] = PAM_SUCCESS,
                [KAGI_CONTINUE] = PAM_PERM_DENIED,
                [KAGI_DENY_CREDENTIAL] = PAM_PERM_DENIED,
                [KAGI_DENY_LOCKED] = PAM_PERM_DENIED,
                [KAGI_DENY_DISABLED] = PAM_ACCT_EXPIRED,
                [KAGI_DENY_UNKNOWN] = PAM_PERM_DENIED,
                [KAGI_DENY_POLICY] = PAM_PERM_DENIED,
                [KAGI_DENY_REPLAY] = PAM_PERM_DENIED,
                [KAGI_DENY_NOT_ENROLLED] = PAM_PERM_DENIED,
                [KAGI_DENY_CARD] = PAM_PERM_DENIED,
                [KAGI_DENY_PERMISSION] = PAM_PERM_DENIED,
                [KAGI_DENY_INVALID] = PAM_PERM_DENIED,
                [KAGI_ERROR] = PAM_PERM_DENIED,
                [KAGI_UNAVAILABLE] = PAM_PERM_DENIED,
                [KAGI_DENY_ABANDONED] = PAM_PERM_DENIED,
        },
        [PK_PHASE_SESSION] = {
                [KAGI_ALLOW] = PAM_SUCCESS,
                [KAGI_CONTINUE] = PAM_SESSION_ERR,
                [KAGI_DENY_CREDENTIAL] = PAM_SESSION_ERR,
                [KAGI_DENY_LOCKED] = PAM_SESSION_ERR,
                [KAGI_DENY_DISABLED] = PAM_SESSION_ERR,
                [KAGI_DENY_UNKNOWN] = PAM_SESSION_ERR,
                [KAGI_DENY_POLICY] = PAM_SESSION_ERR,
                [KAGI_DENY_REPLAY] = PAM_SESSION_ERR,
                [KAGI_DENY_NOT_ENROLLED] = PAM_SESSION_ERR,
                [KAGI_DENY_CARD] = PAM_SESSION_ERR,
                [KAGI_DENY_PERMISSION] = PAM_SESSION_ERR,
                [KAGI_DENY_INVALID] = PAM_SESSION_ERR,
                [KAGI_ERROR] = PAM_SESSION_ERR,
                [KAGI_UNAVAILABLE] = PAM_SESSION_ERR,
                [KAGI_DENY_ABANDONED] = PAM_SESSION_ERR,
        },
};

/* Codes a stack may be configured to pass over, or that mean "go on". */
static const int skippable[] = { PAM_SUCCESS, PAM_IGNORE, PAM_AUTHINFO_UNAVAIL, PAM_USER_UNKNOWN,
                                 PAM_INCOMPLETE, PAM_NEW_AUTHTOK_REQD, PAM_TRY_AGAIN };

static void every_decision_maps_as_the_table_says(void **state)
{
        (void)state;
        for (size_t p = 0; p < ARRAY_SIZE(phases); p++)
                for (int d = 0; d < KAGI_DECISION_MAX_; d++) {
                        int got = pk_decision_to_pam(phases[p], d);

                        if (got != expected[phases[p]][d])
                                fail_msg("phase %zu, %s: got %d, want %d", p, kagi_decision_name(d), got,
                                         expected[phases[p]][d]);
                }
}

static void only_allow_succeeds(void **state)
{
        (void)state;
        for (size_t p = 0; p < ARRAY_SIZE(phases); p++) {
                assert_int_equal(pk_decision_to_pam(phases[p], KAGI_ALLOW), PAM_SUCCESS);
                for (int d = 1; d < KAGI_DECISION_MAX_ + 8; d++)
                        assert_int_not_equal(pk_decision_to_pam(phases[p], d), PAM_SUCCESS);
        }
}

static void no_refusal_is_a_code_stacks_skip(void **state)
{
        (void)state;
        for (size_t p = 0; p < ARRAY_SIZE(phases); p++)
                for (int d = 1; d < KAGI_DECISION_MAX_ + 8; d++) {
                        int got = pk_decision_to_pam(phases[p], d);

                        for (size_t i = 0; i < ARRAY_SIZE(skippable); i++)
                                if (got == skippable[i])
                                        fail_msg("phase %zu, decision %d: %s", p, d, pam_strerror(NULL, got));
                }
}

/* A broker that sends a decision this module does not know is refused too. */
static void decisions_from_a_newer_broker_are_refusals(void **state)
{
        (void)state;
        assert_int_equal(pk_decision_to_pam(PK_PHASE_AUTH, 99), PAM_AUTH_ERR);
        assert_int_equal(pk_decision_to_pam(PK_PHASE_ACCOUNT, 99), PAM_PERM_DENIED);
        assert_int_equal(pk_decision_to_pam(PK_PHASE_SESSION, 99), PAM_SESSION_ERR);
        assert_int_equal(pk_decision_to_pam(PK_PHASE_AUTH, (enum kagi_decision)-1), PAM_AUTH_ERR);
}

static void unknown_phase_is_an_auth_error(void **state)
{
        (void)state;
        assert_int_equal(pk_decision_to_pam((enum pk_phase)7, KAGI_ALLOW), PAM_AUTH_ERR);
}

/* Locked: applications stop asking instead of prompting again. */
static void locked_account_stops_retries(void **state)
{
        (void)state;
        assert_int_equal(pk_decision_to_pam(PK_PHASE_AUTH, KAGI_DENY_LOCKED), PAM_MAXTRIES);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(every_decision_maps_as_the_table_says),
                cmocka_unit_test(only_allow_succeeds),
                cmocka_unit_test(no_refusal_is_a_code_stacks_skip),
                cmocka_unit_test(decisions_from_a_newer_broker_are_refusals),
                cmocka_unit_test(unknown_phase_is_an_auth_error),
                cmocka_unit_test(locked_account_stops_retries),
        };

        return cmocka_run_group_tests_name("result", tests, NULL, NULL);
}
