/* LOCK-1 as arithmetic (policy/lockout.c): attempts in flight count before
 * any credential is verified, a settled failure is counted, the third
 * failure locks, and a locked account is refused without verifying anything. */
#include "unit.h"

#include "policy.h"

#define T0 INT64_C(1700000000)

/* A failure checked elsewhere (authfail, the card's PIN), settled alone. */
static void lockout_settle_failure(const struct lockout_rule *r, struct lock_state *st, int64_t now,
                                   enum lock_event *ret_event)
{
        lockout_settle(r, st, false, now, ret_event);
}

static const struct lockout_rule three = { .threshold = 3, .unlock_after = 0 };
static const struct lockout_rule three_for_30m = { .threshold = 3, .unlock_after = 1800 };

/* One whole attempt, alone: may it try, then (if so) settle with the
 * result. Returns whether the credential would have been verified. */
static bool attempt(const struct lockout_rule *r, struct lock_state *st, bool success, int64_t now,
                    enum lock_event *ret_event)
{
        *ret_event = LOCK_EV_NONE;
        if (lockout_may_try(r, st, 0, now) != LOCK_PROCEED)
                return false;
        lockout_settle(r, st, success, now, ret_event);
        return true;
}

static void attempts_in_flight_count_before_they_are_verified(void **state)
{
        const struct lock_state st = { 0 };

        (void)state;
        assert_int_equal(lockout_may_try(&three, &st, 0, T0), LOCK_PROCEED);
        assert_int_equal(lockout_may_try(&three, &st, 2, T0), LOCK_PROCEED);
        assert_int_equal(lockout_may_try(&three, &st, 3, T0), LOCK_BUSY);
}

/* N parallel guesses: only `threshold` of them are ever verified. */
static void attempts_in_flight_stop_at_the_threshold(void **state)
{
        struct lock_state st = { 0 };
        unsigned in_flight = 0;
        int verified = 0;

        (void)state;
        for (int i = 0; i < 20; i++)
                if (lockout_may_try(&three, &st, in_flight, T0 + i) == LOCK_PROCEED) {
                        in_flight++;
                        verified++;
                }
        assert_int_equal(verified, 3);
        /* nothing is counted until one of them settles */
        assert_int_equal(st.failures, 0);
}

static void failures_and_attempts_in_flight_add_up(void **state)
{
        const struct lock_state two = { .failures = 2 };

        (void)state;
        assert_int_equal(lockout_may_try(&three, &two, 0, T0), LOCK_PROCEED);
        assert_int_equal(lockout_may_try(&three, &two, 1, T0), LOCK_BUSY);
}

static void success_clears_the_count(void **state)
{
        struct lock_state st = { 0 };
        enum lock_event ev;

        (void)state;
        assert_true(attempt(&three, &st, false, T0, &ev));
        assert_true(attempt(&three, &st, false, T0 + 1, &ev));
        assert_int_equal(st.failures, 2);
        assert_true(attempt(&three, &st, true, T0 + 2, &ev));
        assert_int_equal(ev, LOCK_EV_NONE);
        assert_int_equal(st.failures, 0);
        assert_int_equal(st.locked_at, 0);
        /* so two more failures do not lock */
        assert_true(attempt(&three, &st, false, T0 + 3, &ev));
        assert_true(attempt(&three, &st, false, T0 + 4, &ev));
        assert_false(lockout_is_locked(&three, &st, T0 + 5));
}

static void failures_below_the_threshold_do_not_lock(void **state)
{
        struct lock_state st = { 0 };
        enum lock_event ev;

        (void)state;
        assert_true(attempt(&three, &st, false, T0, &ev));
        assert_int_equal(ev, LOCK_EV_NONE);
        assert_true(attempt(&three, &st, false, T0 + 1, &ev));
        assert_int_equal(ev, LOCK_EV_NONE);
        assert_int_equal(st.failures, 2);
        assert_int_equal(st.locked_at, 0);
        assert_false(lockout_is_locked(&three, &st, T0 + 2));
}

static void third_failure_locks(void **state)
{
        struct lock_state st = { 0 };
        enum lock_event ev;

        (void)state;
        assert_true(attempt(&three, &st, false, T0, &ev));
        assert_true(attempt(&three, &st, false, T0 + 1, &ev));
        assert_true(attempt(&three, &st, false, T0 + 2, &ev));
        assert_int_equal(ev, LOCK_EV_LOCKED);
        assert_int_equal(st.locked_at, T0 + 2);
        assert_true(lockout_is_locked(&three, &st, T0 + 2));
}

static void locked_account_is_refused_without_verifying(void **state)
{
        struct lock_state st = { .failures = 3, .locked_at = T0 };
        enum lock_event ev;

        (void)state;
        /* even the right credential is never looked at */
        assert_false(attempt(&three, &st, true, T0 + 60, &ev));
        assert_int_equal(ev, LOCK_EV_NONE);        /* already locked: nothing new to record */
        assert_int_equal(st.failures, 3);
        assert_int_equal(st.locked_at, T0);
}

static void settle_of_a_locked_account_keeps_the_lock_time(void **state)
{
        struct lock_state st = { .failures = 3, .locked_at = T0 };
        enum lock_event ev;

        (void)state;
        lockout_settle(&three, &st, false, T0 + 10, &ev);
        assert_int_equal(ev, LOCK_EV_NONE);
        assert_int_equal(st.locked_at, T0);
}

static void privileged_rule_can_be_stricter(void **state)
{
        const struct lockout_rule one = { .threshold = 1 };
        struct lock_state st = { 0 };
        enum lock_event ev;

        (void)state;
        assert_true(attempt(&one, &st, false, T0, &ev));
        assert_int_equal(ev, LOCK_EV_LOCKED);
        assert_false(attempt(&one, &st, true, T0 + 1, &ev));
}

/* ---- failures checked elsewhere (authfail, the card's PIN) ------------------------ */

static void counted_failures_lock_at_the_threshold(void **state)
{
        struct lock_state st = { 0 };
        enum lock_event ev;

        (void)state;
        lockout_settle_failure(&three, &st, T0, &ev);
        assert_int_equal(ev, LOCK_EV_NONE);
        lockout_settle_failure(&three, &st, T0 + 1, &ev);
        assert_int_equal(ev, LOCK_EV_NONE);
        assert_int_equal(st.failures, 2);
        lockout_settle_failure(&three, &st, T0 + 2, &ev);
        assert_int_equal(ev, LOCK_EV_LOCKED);
        assert_int_equal(st.locked_at, T0 + 2);
}

static void counted_failure_of_a_locked_account_is_no_new_lock(void **state)
{
        struct lock_state st = { .failures = 3, .locked_at = T0 };
        enum lock_event ev;

        (void)state;
        lockout_settle_failure(&three, &st, T0 + 5, &ev);
        assert_int_equal(ev, LOCK_EV_NONE);
        assert_int_equal(st.locked_at, T0);
        assert_int_equal(st.failures, 4);
}

static void counted_failures_mix_with_reserved_ones(void **state)
{
        struct lock_state st = { 0 };
        enum lock_event ev;

        (void)state;
        lockout_settle_failure(&three, &st, T0, &ev);                   /* pam_unix said no */
        assert_true(attempt(&three, &st, false, T0 + 1, &ev)); /* wrong code */
        lockout_settle_failure(&three, &st, T0 + 2, &ev);               /* pam_unix said no */
        assert_int_equal(ev, LOCK_EV_LOCKED);
}

static void count_saturates_instead_of_wrapping(void **state)
{
        struct lock_state st = { .failures = UINT32_MAX, .locked_at = T0 };
        enum lock_event ev;

        (void)state;
        lockout_settle_failure(&three, &st, T0 + 1, &ev);
        assert_int_equal(st.failures, UINT32_MAX);
        assert_true(lockout_is_locked(&three, &st, T0 + 1));
}

/* ---- unlocking by time ------------------------------------------------------------- */

static void unlock_after_unlocks_when_the_time_has_passed(void **state)
{
        struct lock_state st = { .failures = 3, .locked_at = T0 };
        enum lock_event ev;

        (void)state;
        assert_true(lockout_is_locked(&three_for_30m, &st, T0 + 1799));
        assert_int_equal(lockout_may_try(&three_for_30m, &st, 0, T0 + 1799), LOCK_REFUSE);

        assert_false(lockout_is_locked(&three_for_30m, &st, T0 + 1800));
        assert_int_equal(lockout_may_try(&three_for_30m, &st, 0, T0 + 1800), LOCK_PROCEED);
        /* the old failures no longer count toward attempts in flight */
        assert_int_equal(lockout_may_try(&three_for_30m, &st, 2, T0 + 1800), LOCK_PROCEED);
        lockout_settle(&three_for_30m, &st, false, T0 + 1800, &ev);
        assert_int_equal(ev, LOCK_EV_AUTO_UNLOCKED);
        /* a fresh start: this attempt is the only one counted */
        assert_int_equal(st.failures, 1);
        assert_int_equal(st.locked_at, 0);
}

static void unlock_after_zero_never_unlocks(void **state)
{
        struct lock_state st = { .failures = 3, .locked_at = T0 };
        enum lock_event ev;
        const int64_t ten_years = INT64_C(10) * 365 * 86400;

        (void)state;
        assert_true(lockout_is_locked(&three, &st, T0 + ten_years));
        assert_int_equal(lockout_may_try(&three, &st, 0, T0 + ten_years), LOCK_REFUSE);
        lockout_settle_failure(&three, &st, T0 + ten_years, &ev);
        assert_int_equal(st.locked_at, T0);
}

/* An authfail arriving after unlock_after has passed unlocks too, and the
 * unlock is reported so that it is audited like any other. */
static void count_after_unlock_time_reports_the_unlock(void **state)
{
        struct lock_state st = { .failures = 3, .locked_at = T0 };
        enum lock_event ev = LOCK_EV_NONE;

        (void)state;
        lockout_settle_failure(&three_for_30m, &st, T0 + 1800, &ev);
        assert_int_equal(ev, LOCK_EV_AUTO_UNLOCKED);
        assert_int_equal(st.failures, 1);
        assert_int_equal(st.locked_at, 0);
}

static void lockout_is_locked_reads_the_state(void **state)
{
        const struct lock_state fresh = { 0 }, two = { .failures = 2 }, locked = { .failures = 3, .locked_at = T0 };

        (void)state;
        assert_false(lockout_is_locked(&three, &fresh, T0));
        assert_false(lockout_is_locked(&three, &two, T0));
        assert_true(lockout_is_locked(&three, &locked, T0));
        assert_true(lockout_is_locked(&three, &locked, T0 - 100));
}

/* ---- crashes ------------------------------------------------------------------------ */

/* Attempts in flight are kagid's memory, not its disk: a crash forgets
 * them, and only settled failures — each answered only once durable —
 * remain. Two failures and a crash: one more failure locks. */
static void settled_failures_are_what_a_restart_reads(void **state)
{
        struct lock_state st = { 0 };
        enum lock_event ev;

        (void)state;
        assert_true(attempt(&three, &st, false, T0, &ev));
        assert_true(attempt(&three, &st, false, T0 + 1, &ev));
        /* -- crash; the restarted broker reads st back -- */
        assert_int_equal(lockout_may_try(&three, &st, 0, T0 + 10), LOCK_PROCEED);
        assert_int_equal(lockout_may_try(&three, &st, 1, T0 + 10), LOCK_BUSY);
        assert_true(attempt(&three, &st, false, T0 + 11, &ev));
        assert_int_equal(ev, LOCK_EV_LOCKED);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(attempts_in_flight_count_before_they_are_verified),
                cmocka_unit_test(attempts_in_flight_stop_at_the_threshold),
                cmocka_unit_test(failures_and_attempts_in_flight_add_up),
                cmocka_unit_test(success_clears_the_count),
                cmocka_unit_test(failures_below_the_threshold_do_not_lock),
                cmocka_unit_test(third_failure_locks),
                cmocka_unit_test(locked_account_is_refused_without_verifying),
                cmocka_unit_test(settle_of_a_locked_account_keeps_the_lock_time),
                cmocka_unit_test(privileged_rule_can_be_stricter),
                cmocka_unit_test(counted_failures_lock_at_the_threshold),
                cmocka_unit_test(counted_failure_of_a_locked_account_is_no_new_lock),
                cmocka_unit_test(counted_failures_mix_with_reserved_ones),
                cmocka_unit_test(count_saturates_instead_of_wrapping),
                cmocka_unit_test(unlock_after_unlocks_when_the_time_has_passed),
                cmocka_unit_test(unlock_after_zero_never_unlocks),
                cmocka_unit_test(count_after_unlock_time_reports_the_unlock),
                cmocka_unit_test(lockout_is_locked_reads_the_state),
                cmocka_unit_test(settled_failures_are_what_a_restart_reads),
        };

        return cmocka_run_group_tests_name("lockout", tests, NULL, NULL);
}
