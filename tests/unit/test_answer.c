/* What an answer at a prompt is (pam_module/answer.c): a credential to check,
 * or — counting nothing — no answer, an empty one, or the password typed at
 * the code prompt. */
#include "unit.h"

#include "pam_kagi.h"

static void no_answer_and_empty_answer_are_no_credential(void **state)
{
        char empty[] = "", blanks[] = "   ";

        (void)state;
        assert_int_equal(pk_secret_answer(NULL), KAGI_ABANDON_NO_ANSWER);
        assert_int_equal(pk_secret_answer(""), KAGI_ABANDON_EMPTY);
        assert_int_equal(pk_secret_answer("pw"), KAGI_ABANDON_NONE);
        assert_int_equal(pk_code_answer(NULL, "pw", 6), KAGI_ABANDON_NO_ANSWER);
        assert_int_equal(pk_code_answer(empty, "pw", 6), KAGI_ABANDON_EMPTY);
        /* only the spaces apps show between digit groups: nothing left */
        assert_int_equal(pk_code_answer(blanks, "pw", 6), KAGI_ABANDON_EMPTY);
}

static void a_code_is_checked_with_its_spaces_removed(void **state)
{
        char code[] = "123 456";

        (void)state;
        assert_int_equal(pk_code_answer(code, "pw-alice", 6), KAGI_ABANDON_NONE);
        assert_string_equal(code, "123456");
        /* and nothing of the original is left past the end */
        assert_int_equal(code[6], '\0');
        assert_int_equal(code[7], '\0');
}

static void the_password_at_the_code_prompt_is_not_a_guess(void **state)
{
        char answer[] = "pw-alice", spaced[] = "correct horse";

        (void)state;
        assert_int_equal(pk_code_answer(answer, "pw-alice", 6), KAGI_ABANDON_PASSWORD_AS_CODE);
        /* left as it was: the caller wipes it */
        assert_string_equal(answer, "pw-alice");
        assert_int_equal(pk_code_answer(spaced, "correct horse", 6), KAGI_ABANDON_PASSWORD_AS_CODE);
}

static void another_wrong_answer_is_a_code_to_check(void **state)
{
        char answer[] = "pw-alicf", longer[] = "pw-alice1", code[] = "000000";

        (void)state;
        assert_int_equal(pk_code_answer(answer, "pw-alice", 6), KAGI_ABANDON_NONE);
        assert_int_equal(pk_code_answer(longer, "pw-alice", 6), KAGI_ABANDON_NONE);
        /* nothing proved by the stack: nothing to compare with */
        assert_int_equal(pk_code_answer(code, NULL, 6), KAGI_ABANDON_NONE);
}

static void a_password_of_code_form_is_checked_as_a_code(void **state)
{
        char six[] = "123456", spaced[] = "123 456", eight[] = "12345678", seven[] = "1234567";

        (void)state;
        /* the documented exception: it cannot be told from a code */
        assert_int_equal(pk_code_answer(six, "123456", 6), KAGI_ABANDON_NONE);
        assert_int_equal(pk_code_answer(spaced, "123 456", 6), KAGI_ABANDON_NONE);
        assert_int_equal(pk_code_answer(eight, "12345678", 8), KAGI_ABANDON_NONE);
        /* digits, but not as many as a code has */
        assert_int_equal(pk_code_answer(seven, "1234567", 6), KAGI_ABANDON_PASSWORD_AS_CODE);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(no_answer_and_empty_answer_are_no_credential),
                cmocka_unit_test(a_code_is_checked_with_its_spaces_removed),
                cmocka_unit_test(the_password_at_the_code_prompt_is_not_a_guess),
                cmocka_unit_test(another_wrong_answer_is_a_code_to_check),
                cmocka_unit_test(a_password_of_code_form_is_checked_as_a_code),
        };

        return cmocka_run_group_tests_name("answer", tests, NULL, NULL);
}
