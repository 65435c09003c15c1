/* The TOTP code as typed (pam_module/code.c): spaces go, and nothing of the
 * code is left behind the new end, where a strlen-based wipe never looks. */
#include "unit.h"

#include "pam_kagi.h"

static void spaces_are_removed(void **state)
{
        char code[] = " 123 456 ";

        (void)state;
        pk_code_strip_spaces(code);
        assert_string_equal(code, "123456");
}

static void nothing_of_the_code_is_left_after_its_end(void **state)
{
        char code[] = "12 34 56";
        size_t len = strlen(code);

        (void)state;
        pk_code_strip_spaces(code);
        assert_string_equal(code, "123456");
        /* secret_strfree wipes strlen(code) bytes: the rest must be clean */
        for (size_t i = strlen(code); i <= len; i++)
                assert_int_equal(code[i], 0);
}

static void a_code_of_spaces_leaves_nothing(void **state)
{
        char code[] = "1 2 3 4 5 6";
        char none[] = "   ";

        (void)state;
        pk_code_strip_spaces(code);
        assert_string_equal(code, "123456");
        for (size_t i = 6; i < sizeof(code); i++)
                assert_int_equal(code[i], 0);
        pk_code_strip_spaces(none);
        assert_memory_equal(none, "\0\0\0\0", 4);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(spaces_are_removed),
                cmocka_unit_test(nothing_of_the_code_is_left_after_its_end),
                cmocka_unit_test(a_code_of_spaces_leaves_nothing),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
