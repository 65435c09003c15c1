/* LOCK-1 as arithmetic (policy/lockout.c): an attempt is counted before the
 * credential is verified and settled afterwards, the third failure locks,
 * and a locked account is refused without verifying anything. */
#include "unit.h"

#include "policy.h"

#define T0 INT64_C(1700000000)

static const struct lockout_rule three = { .threshold = 3, .unlock_after = 0 };
static const struct lockout_rule three_for_30m = { .threshold = 3, .unlock_after = 1800 };

/* One whole attempt: reserve, then (if allowed) settle with the result.
 * Returns whether the credential would have been verified. */
static bool attempt(const struct lockout_rule *r, struct lock_state *st, bool success, int64_t now,
                    enum lock_event *ret_event)
{
        enum lock_event ev;

        if (lockout_reserve(r, st, now, &ev) == LOCK_REFUSE) {
                *ret_event = ev;
                return false;
        }
        lockout_settle(r, st, success, now, ret_event);
        if (*ret_event == LOCK_EV_NONE)
                *ret_event = ev;
        return true;
}

static void reserve_counts_the_attempt_before_it_is_verified(void **state)
{
        struct lock_state st = { 0 };
        enum lock_event ev = LOCK_EV_LOCKED;

        (void)state;
        assert_int_equal(lockout_reserve(&three, &st, T0, &ev), LOCK_PROCEED);
        assert_int_equal(ev, LOCK_EV_NONE);
        assert_int_equal(st.failures, 1);
        assert_int_equal(st.locked_at, 0);
}

/* N parallel guesses: only `threshold` of them are ever verified. */
static void reservations_stop_at_the_threshold(void **state)
{
        struct lock_state st = { 0 };
        enum lock_event ev;
        int verified = 0;

        (void)state;
        for (int i = 0; i < 20; i++)
                if (lockout_reserve(&three, &st, T0 + i, &ev) == LOCK_PROCEED)
                        verified++;
        assert_int_equal(verified, 3);
        assert_int_equal(st.failures, 3);
        assert_int_equal(st.locked_at, T0 + 3);   /* the fourth reservation locked it */
}

static void reservation_past_the_threshold_locks_with_an_event(void **state)
{
        struct lock_state st = { .failures = 3 };
        enum lock_event ev = LOCK_EV_NONE;

        (void)state;
        assert_int_equal(lockout_reserve(&three, &st, T0, &ev), LOCK_REFUSE);
        assert_int_equal(ev, LOCK_EV_LOCKED);
        assert_int_equal(st.locked_at, T0);
        assert_int_equal(st.failures, 3);
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
        lockout_count(&three, &st, T0, &ev);
        assert_int_equal(ev, LOCK_EV_NONE);
        lockout_count(&three, &st, T0 + 1, &ev);
        assert_int_equal(ev, LOCK_EV_NONE);
        assert_int_equal(st.failures, 2);
        lockout_count(&three, &st, T0 + 2, &ev);
        assert_int_equal(ev, LOCK_EV_LOCKED);
        assert_int_equal(st.locked_at, T0 + 2);
}

static void counted_failure_of_a_locked_account_is_no_new_lock(void **state)
{
        struct lock_state st = { .failures = 3, .locked_at = T0 };
        enum lock_event ev;

        (void)state;
        lockout_count(&three, &st, T0 + 5, &ev);
        assert_int_equal(ev, LOCK_EV_NONE);
        assert_int_equal(st.locked_at, T0);
        assert_int_equal(st.failures, 4);
}

static void counted_failures_mix_with_reserved_ones(void **state)
{
        struct lock_state st = { 0 };
        enum lock_event ev;

        (void)state;
        lockout_count(&three, &st, T0, &ev);                   /* pam_unix said no */
        assert_true(attempt(&three, &st, false, T0 + 1, &ev)); /* wrong code */
        lockout_count(&three, &st, T0 + 2, &ev);               /* pam_unix said no */
        assert_int_equal(ev, LOCK_EV_LOCKED);
}

static void count_saturates_instead_of_wrapping(void **state)
{
        struct lock_state st = { .failures = UINT32_MAX, .locked_at = T0 };
        enum lock_event ev;

        (void)state;
        lockout_count(&three, &st, T0 + 1, &ev);
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
        assert_int_equal(lockout_reserve(&three_for_30m, &st, T0 + 1799, &ev), LOCK_REFUSE);
        assert_int_equal(ev, LOCK_EV_NONE);

        assert_false(lockout_is_locked(&three_for_30m, &st, T0 + 1800));
        assert_int_equal(lockout_reserve(&three_for_30m, &st, T0 + 1800, &ev), LOCK_PROCEED);
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
        assert_int_equal(lockout_reserve(&three, &st, T0 + ten_years, &ev), LOCK_REFUSE);
        assert_int_equal(ev, LOCK_EV_NONE);
        lockout_count(&three, &st, T0 + ten_years, &ev);
        assert_int_equal(st.locked_at, T0);
}

/* An authfail arriving after unlock_after has passed unlocks too, and the
 * unlock is reported so that it is audited like any other. */
static void count_after_unlock_time_reports_the_unlock(void **state)
{
        struct lock_state st = { .failures = 3, .locked_at = T0 };
        enum lock_event ev = LOCK_EV_NONE;

        (void)state;
        lockout_count(&three_for_30m, &st, T0 + 1800, &ev);
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

/* kagid reserved three attempts and died before settling any of them: the
 * state on disk holds three failures and no lock time. */
static void unsettled_reservations_count_as_failures(void **state)
{
        struct lock_state st = { 0 };
        enum lock_event ev;

        (void)state;
        for (int i = 0; i < 3; i++)
                assert_int_equal(lockout_reserve(&three, &st, T0, &ev), LOCK_PROCEED);
        /* -- crash; the restarted broker reads st back -- */
        assert_true(lockout_is_locked(&three, &st, T0 + 10));
        assert_int_equal(lockout_reserve(&three, &st, T0 + 10, &ev), LOCK_REFUSE);
        assert_int_equal(ev, LOCK_EV_LOCKED);
        assert_int_equal(st.locked_at, T0 + 10);
}

static void one_unsettled_reservation_and_two_failures_lock(void **state)
{
        struct lock_state st = { 0 };
        enum lock_event ev;

        (void)state;
        assert_int_equal(lockout_reserve(&three, &st, T0, &ev), LOCK_PROCEED);
        /* -- crash -- */
        assert_true(attempt(&three, &st, false, T0 + 1, &ev));
        assert_int_equal(ev, LOCK_EV_NONE);
        assert_true(attempt(&three, &st, false, T0 + 2, &ev));
        assert_int_equal(ev, LOCK_EV_LOCKED);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(reserve_counts_the_attempt_before_it_is_verified),
                cmocka_unit_test(reservations_stop_at_the_threshold),
                cmocka_unit_test(reservation_past_the_threshold_locks_with_an_event),
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
                cmocka_unit_test(unsettled_reservations_count_as_failures),
                cmocka_unit_test(one_unsettled_reservation_and_two_failures_lock),
        };

        return cmocka_run_group_tests_name("lockout", tests, NULL, NULL);
}
