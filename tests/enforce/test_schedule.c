/* The warning schedule (pure): a role warns at 10, 5 and 1 minutes before
 * the grant's deadline; kagid asks at each wake-up what is due. */
#include "helpers.h"

static const uint32_t leads[] = { 600, 300, 60 };
#define START 1000000
#define HOUR 3600
#define DEADLINE (START + HOUR)

static struct enforce_plan plan(int64_t last_warned, int64_t now)
{
        struct enforce_plan p;

        assert_int_equal(enforce_schedule(START, DEADLINE, leads, ARRAY_SIZE(leads), last_warned, now, &p), 0);
        return p;
}

static void nothing_is_due_at_the_start_and_the_first_warning_is_the_wake_up(void **state)
{
        struct enforce_plan p = plan(ENFORCE_NEVER, START);

        (void)state;
        assert_false(p.warn);
        assert_false(p.expired);
        assert_int_equal(p.wake, DEADLINE - 600);
}

static void each_warning_is_due_at_its_time_and_the_next_one_follows(void **state)
{
        struct enforce_plan p;

        (void)state;
        p = plan(ENFORCE_NEVER, DEADLINE - 600);
        assert_true(p.warn);
        assert_int_equal(p.lead, 600);
        assert_int_equal(p.wake, DEADLINE - 300);

        p = plan(DEADLINE - 600, DEADLINE - 300);
        assert_true(p.warn);
        assert_int_equal(p.lead, 300);
        assert_int_equal(p.wake, DEADLINE - 60);

        p = plan(DEADLINE - 300, DEADLINE - 60);
        assert_true(p.warn);
        assert_int_equal(p.lead, 60);
        assert_int_equal(p.wake, DEADLINE);
}

static void a_warning_already_given_is_not_given_again(void **state)
{
        struct enforce_plan p = plan(DEADLINE - 600, DEADLINE - 500);

        (void)state;
        assert_false(p.warn);
        assert_int_equal(p.wake, DEADLINE - 300);
}

static void several_overdue_warnings_give_one_the_latest(void **state)
{
        /* kagid was down from before the 10-minute warning to after the 5-minute one */
        struct enforce_plan p = plan(ENFORCE_NEVER, DEADLINE - 200);

        (void)state;
        assert_true(p.warn);
        assert_int_equal(p.lead, 300);
        assert_int_equal(p.wake, DEADLINE - 60);
}

static void at_the_deadline_the_session_expires_without_a_warning(void **state)
{
        struct enforce_plan p;

        (void)state;
        p = plan(DEADLINE - 60, DEADLINE);
        assert_true(p.expired);
        assert_false(p.warn);
        p = plan(ENFORCE_NEVER, DEADLINE + 3 * HOUR);        /* ended while kagid was down */
        assert_true(p.expired);
        assert_false(p.warn);
        assert_int_equal(p.wake, DEADLINE);
}

static void warnings_before_the_start_of_a_short_grant_are_skipped(void **state)
{
        struct enforce_plan p;

        (void)state;
        /* a 5-minute grant: no 10-minute warning; the 5-minute one is at the start */
        assert_int_equal(enforce_schedule(START, START + 300, leads, 3, ENFORCE_NEVER, START, &p), 0);
        assert_true(p.warn);
        assert_int_equal(p.lead, 300);
        assert_int_equal(p.wake, START + 240);
        /* a 2-minute grant: only the last one */
        assert_int_equal(enforce_schedule(START, START + 120, leads, 3, ENFORCE_NEVER, START + 10, &p), 0);
        assert_false(p.warn);
        assert_int_equal(p.wake, START + 60);
}

static void an_extension_brings_the_warnings_back(void **state)
{
        struct enforce_plan p;
        int64_t warned = DEADLINE - 60, extended = DEADLINE + HOUR;

        (void)state;
        /* warned one minute before, then extended by an hour */
        assert_int_equal(enforce_schedule(START, extended, leads, 3, warned, DEADLINE - 30, &p), 0);
        assert_false(p.warn);
        assert_false(p.expired);
        assert_int_equal(p.wake, extended - 600);
        assert_int_equal(enforce_schedule(START, extended, leads, 3, warned, extended - 600, &p), 0);
        assert_true(p.warn);
        assert_int_equal(p.lead, 600);
}

static void leads_in_any_order_and_none_at_all(void **state)
{
        const uint32_t shuffled[] = { 60, 600, 300, 300 };
        struct enforce_plan p;

        (void)state;
        assert_int_equal(enforce_schedule(START, DEADLINE, shuffled, 4, ENFORCE_NEVER, DEADLINE - 250, &p), 0);
        assert_true(p.warn);
        assert_int_equal(p.lead, 300);
        assert_int_equal(p.wake, DEADLINE - 60);
        assert_int_equal(enforce_schedule(START, DEADLINE, NULL, 0, ENFORCE_NEVER, START, &p), 0);
        assert_false(p.warn);
        assert_int_equal(p.wake, DEADLINE);
}

static void nonsense_is_refused(void **state)
{
        struct enforce_plan p = { .wake = 42 };
        uint32_t many[65] = { 0 };

        (void)state;
        assert_int_equal(enforce_schedule(DEADLINE, START, leads, 3, ENFORCE_NEVER, START, &p), -EINVAL);
        assert_int_equal(enforce_schedule(START, DEADLINE, many, 65, ENFORCE_NEVER, START, &p), -EINVAL);
        assert_int_equal(enforce_schedule(START, DEADLINE, NULL, 2, ENFORCE_NEVER, START, &p), -EINVAL);
        assert_int_equal(enforce_schedule(INT64_MIN, INT64_MIN + 5, leads, 3, ENFORCE_NEVER, 0, &p), -EINVAL);
        assert_int_equal(p.wake, 42);
}

#define T(name) { "schedule (pure): " #name, name, NULL, NULL, NULL }

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(nothing_is_due_at_the_start_and_the_first_warning_is_the_wake_up),
                T(each_warning_is_due_at_its_time_and_the_next_one_follows),
                T(a_warning_already_given_is_not_given_again),
                T(several_overdue_warnings_give_one_the_latest),
                T(at_the_deadline_the_session_expires_without_a_warning),
                T(warnings_before_the_start_of_a_short_grant_are_skipped),
                T(an_extension_brings_the_warnings_back),
                T(leads_in_any_order_and_none_at_all),
                T(nonsense_is_refused),
        };

        return cmocka_run_group_tests_name("enforce-schedule", tests, NULL, NULL);
}
