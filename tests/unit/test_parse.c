/* Strict parsing (common/parse.c) and the shared vocabulary of factors and
 * decisions (common/secret.c). */
#include "unit.h"

#include "common.h"

/* ---- parse_uint ------------------------------------------------------------ */

static void parse_uint_reads_decimal(void **state)
{
        uint64_t v = 1;

        (void)state;
        assert_int_equal(parse_uint("0", 10, &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(parse_uint("007", 10, &v), 0);
        assert_int_equal(v, 7);
        assert_int_equal(parse_uint("18446744073709551615", UINT64_MAX, &v), 0);
        assert_int_equal(v, UINT64_MAX);
}

static void parse_uint_accepts_the_maximum_and_refuses_above(void **state)
{
        uint64_t v = 42;

        (void)state;
        assert_int_equal(parse_uint("100", 100, &v), 0);
        assert_int_equal(v, 100);
        v = 42;
        assert_int_equal(parse_uint("101", 100, &v), -ERANGE);
        assert_int_equal(v, 42);
}

static void parse_uint_refuses_overflow(void **state)
{
        uint64_t v = 42;

        (void)state;
        assert_int_equal(parse_uint("18446744073709551616", UINT64_MAX, &v), -ERANGE);
        assert_int_equal(parse_uint("99999999999999999999999999", UINT64_MAX, &v), -ERANGE);
        assert_int_equal(v, 42);
}

static void parse_uint_refuses_junk(void **state)
{
        const char *junk[] = { "12a", "a12", " 12", "12 ", "-1", "+1", "0x10", "1.5", "1e3", "１２" };
        uint64_t v = 42;

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(junk); i++)
                assert_int_equal(parse_uint(junk[i], UINT64_MAX, &v), -EINVAL);
        assert_int_equal(v, 42);
}

static void parse_uint_refuses_empty(void **state)
{
        uint64_t v = 42;

        (void)state;
        assert_int_equal(parse_uint("", 10, &v), -EINVAL);
        assert_int_equal(parse_uint(NULL, 10, &v), -EINVAL);
        assert_int_equal(v, 42);
}

/* ---- parse_duration -------------------------------------------------------- */

static void parse_duration_reads_every_unit(void **state)
{
        const struct {
                const char *s;
                uint64_t seconds;
        } ok[] = {
                { "90", 90 },   { "90s", 90 },      { "30m", 1800 },     { "8h", 28800 },
                { "2d", 172800 }, { "1w", 604800 }, { "0030m", 1800 },
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
                uint64_t v = 0;

                assert_int_equal(parse_duration(ok[i].s, &v), 0);
                assert_int_equal(v, ok[i].seconds);
        }
}

/* Zero parses; whether it means anything is the caller's question. */
static void parse_duration_reads_zero(void **state)
{
        uint64_t v = 42;

        (void)state;
        assert_int_equal(parse_duration("0", &v), 0);
        assert_int_equal(v, 0);
        v = 42;
        assert_int_equal(parse_duration("0h", &v), 0);
        assert_int_equal(v, 0);
}

/* Ten years in any unit, and not a second more. */
static void parse_duration_bounds_at_ten_years(void **state)
{
        uint64_t v = 0;

        (void)state;
        assert_int_equal(parse_duration("315360000", &v), 0);
        assert_int_equal(v, UINT64_C(315360000));
        assert_int_equal(parse_duration("3650d", &v), 0);
        assert_int_equal(v, UINT64_C(315360000));
        assert_int_equal(parse_duration("521w", &v), 0);
        assert_int_equal(v, UINT64_C(521) * 604800);

        v = 42;
        assert_int_equal(parse_duration("315360001", &v), -ERANGE);
        assert_int_equal(parse_duration("3651d", &v), -ERANGE);
        assert_int_equal(parse_duration("522w", &v), -ERANGE);
        assert_int_equal(parse_duration("87601h", &v), -ERANGE);
        assert_int_equal(parse_duration("99999999999999999999m", &v), -ERANGE);
        assert_int_equal(v, 42);
}

static void parse_duration_refuses_junk(void **state)
{
        const char *junk[] = { "", "m", "s", "10x", "10M", "10 m", " 10m", "10m ", "-5m", "+5m",
                               "1h30m", "1.5h", "h1", "10mm", "never", "123456789012345678901234s" };
        uint64_t v = 42;

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(junk); i++)
                assert_int_equal(parse_duration(junk[i], &v), -EINVAL);
        assert_int_equal(parse_duration(NULL, &v), -EINVAL);
        assert_int_equal(v, 42);
}

/* ---- parse_bool -------------------------------------------------------------- */

static void parse_bool_reads_yes_and_no_words(void **state)
{
        const char *yes[] = { "yes", "true", "on", "1", "YES", "True", "oN" };
        const char *no[] = { "no", "false", "off", "0", "NO", "False", "OFF" };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
                bool b = false;

                assert_int_equal(parse_bool(yes[i], &b), 0);
                assert_true(b);
        }
        for (size_t i = 0; i < ARRAY_SIZE(no); i++) {
                bool b = true;

                assert_int_equal(parse_bool(no[i], &b), 0);
                assert_false(b);
        }
}

static void parse_bool_refuses_junk(void **state)
{
        const char *junk[] = { "", "y", "n", "2", "yes ", " no", "enable", "nope", "truee" };
        bool b = true;

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(junk); i++)
                assert_int_equal(parse_bool(junk[i], &b), -EINVAL);
        assert_int_equal(parse_bool(NULL, &b), -EINVAL);
        assert_true(b);
}

/* ---- factor sets -------------------------------------------------------------- */

static void factor_set_parse_reads_every_factor(void **state)
{
        const struct {
                const char *s;
                uint32_t mask;
        } ok[] = {
                { "password", KAGI_F_PASSWORD },
                { "totp", KAGI_F_TOTP },
                { "card", KAGI_F_CARD },
                { "pin", KAGI_F_PIN },
                { "password+totp", KAGI_F_PASSWORD | KAGI_F_TOTP },
                { "card+pin", KAGI_F_CARD | KAGI_F_PIN },
                { "pin+card", KAGI_F_CARD | KAGI_F_PIN },
                { "totp+password+pin+card", KAGI_F_ALL },
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
                uint32_t m = 0;

                assert_int_equal(factor_set_parse(ok[i].s, &m), 0);
                assert_int_equal(m, ok[i].mask);
        }
}

static void factor_set_parse_refuses_duplicates(void **state)
{
        uint32_t m = 99;

        (void)state;
        assert_int_equal(factor_set_parse("totp+totp", &m), -EINVAL);
        assert_int_equal(factor_set_parse("card+pin+card", &m), -EINVAL);
        assert_int_equal(m, 99);
}

static void factor_set_parse_refuses_empty_parts(void **state)
{
        const char *bad[] = { "", "+", "+totp", "password++totp", "++" };
        uint32_t m = 99;

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
                assert_int_equal(factor_set_parse(bad[i], &m), -EINVAL);
        assert_int_equal(factor_set_parse(NULL, &m), -EINVAL);
        assert_int_equal(m, 99);
}

static void factor_set_parse_refuses_trailing_plus(void **state)
{
        uint32_t m = 99;

        (void)state;
        assert_int_equal(factor_set_parse("password+", &m), -EINVAL);
        assert_int_equal(factor_set_parse("password+totp+", &m), -EINVAL);
        assert_int_equal(m, 99);
}

static void factor_set_parse_refuses_unknown_names(void **state)
{
        const char *bad[] = { "otp", "pass", "passwordx", "TOTP", "card pin", "card,pin", " card", "sms" };
        uint32_t m = 99;

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
                assert_int_equal(factor_set_parse(bad[i], &m), -EINVAL);
        assert_int_equal(m, 99);
}

static void factor_set_format_names_factors_in_fixed_order(void **state)
{
        char buf[64];

        (void)state;
        factor_set_format(KAGI_F_TOTP | KAGI_F_PASSWORD, buf, sizeof(buf));
        assert_string_equal(buf, "password+totp");
        factor_set_format(KAGI_F_PIN | KAGI_F_CARD, buf, sizeof(buf));
        assert_string_equal(buf, "card+pin");
        factor_set_format(KAGI_F_ALL, buf, sizeof(buf));
        assert_string_equal(buf, "password+totp+card+pin");
        factor_set_format(0, buf, sizeof(buf));
        assert_string_equal(buf, "");
        /* bits that are no factor are not named */
        factor_set_format(KAGI_F_TOTP | (1u << 20), buf, sizeof(buf));
        assert_string_equal(buf, "totp");
}

static void factor_set_format_and_parse_agree_on_every_set(void **state)
{
        (void)state;
        for (uint32_t mask = 1; mask <= KAGI_F_ALL; mask++) {
                char buf[64];
                uint32_t back = 0;

                factor_set_format(mask, buf, sizeof(buf));
                assert_int_equal(factor_set_parse(buf, &back), 0);
                assert_int_equal(back, mask);
        }
}

static void factor_set_format_stays_inside_the_buffer(void **state)
{
        (void)state;
        for (size_t size = 0; size < 32; size++) {
                char buf[40];

                memset(buf, '#', sizeof(buf));
                factor_set_format(KAGI_F_ALL, buf, size);
                for (size_t i = size; i < sizeof(buf); i++)
                        assert_int_equal(buf[i], '#');
                if (size > 0)
                        assert_non_null(memchr(buf, '\0', size));
        }
}

/* ---- decisions ------------------------------------------------------------------ */

static void every_decision_has_its_own_name(void **state)
{
        (void)state;
        for (uint32_t d = 0; d < KAGI_DECISION_MAX_; d++) {
                const char *name = kagi_decision_name(d);

                assert_true(kagi_decision_valid(d));
                assert_non_null(name);
                assert_string_not_equal(name, "invalid");
                for (uint32_t e = 0; e < d; e++)
                        assert_string_not_equal(name, kagi_decision_name(e));
        }
        assert_string_equal(kagi_decision_name(KAGI_ALLOW), "allow");
        assert_string_equal(kagi_decision_name(KAGI_DENY_LOCKED), "deny-locked");
}

static void decisions_out_of_range_are_invalid(void **state)
{
        (void)state;
        assert_false(kagi_decision_valid(KAGI_DECISION_MAX_));
        assert_false(kagi_decision_valid(UINT32_MAX));
        assert_string_equal(kagi_decision_name(KAGI_DECISION_MAX_), "invalid");
        assert_string_equal(kagi_decision_name((enum kagi_decision)-1), "invalid");
}

/* ---- secrets ---------------------------------------------------------------------- */

static void secret_equal_compares_every_byte(void **state)
{
        (void)state;
        assert_true(secret_equal("123456", "123456", 6));
        assert_false(secret_equal("123456", "123457", 6));
        assert_false(secret_equal("023456", "123456", 6));
        assert_true(secret_equal("", "", 0));
}

static void secret_wipe_clears_the_buffer(void **state)
{
        char buf[16] = "correct horse";
        const char zero[16] = { 0 };

        (void)state;
        secret_wipe(buf, sizeof(buf));
        assert_memory_equal(buf, zero, sizeof(buf));
        secret_wipe(NULL, 4);   /* harmless */
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(parse_uint_reads_decimal),
                cmocka_unit_test(parse_uint_accepts_the_maximum_and_refuses_above),
                cmocka_unit_test(parse_uint_refuses_overflow),
                cmocka_unit_test(parse_uint_refuses_junk),
                cmocka_unit_test(parse_uint_refuses_empty),
                cmocka_unit_test(parse_duration_reads_every_unit),
                cmocka_unit_test(parse_duration_reads_zero),
                cmocka_unit_test(parse_duration_bounds_at_ten_years),
                cmocka_unit_test(parse_duration_refuses_junk),
                cmocka_unit_test(parse_bool_reads_yes_and_no_words),
                cmocka_unit_test(parse_bool_refuses_junk),
                cmocka_unit_test(factor_set_parse_reads_every_factor),
                cmocka_unit_test(factor_set_parse_refuses_duplicates),
                cmocka_unit_test(factor_set_parse_refuses_empty_parts),
                cmocka_unit_test(factor_set_parse_refuses_trailing_plus),
                cmocka_unit_test(factor_set_parse_refuses_unknown_names),
                cmocka_unit_test(factor_set_format_names_factors_in_fixed_order),
                cmocka_unit_test(factor_set_format_and_parse_agree_on_every_set),
                cmocka_unit_test(factor_set_format_stays_inside_the_buffer),
                cmocka_unit_test(every_decision_has_its_own_name),
                cmocka_unit_test(decisions_out_of_range_are_invalid),
                cmocka_unit_test(secret_equal_compares_every_byte),
                cmocka_unit_test(secret_wipe_clears_the_buffer),
        };

        return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
