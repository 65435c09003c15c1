/* Printing text that came from outside (common/escape.c): nothing a user
 * name or a reason holds may reach a terminal or a log line as a control
 * sequence, a line break or the end of a quoted field. */
#include "unit.h"

#include "common.h"

static const char *esc(const char *s, char *buf, size_t size)
{
        text_escape_str(s, buf, size);
        return buf;
}

static void plain_text_and_japanese_stay_as_they_are(void **state)
{
        char buf[256];

        (void)state;
        assert_string_equal(esc("alice", buf, sizeof(buf)), "alice");
        assert_string_equal(esc("tanaka@example.lg.jp pts/3", buf, sizeof(buf)), "tanaka@example.lg.jp pts/3");
        assert_string_equal(esc("情報政策課（内線1234）", buf, sizeof(buf)), "情報政策課（内線1234）");
        assert_string_equal(esc("", buf, sizeof(buf)), "");
        assert_string_equal(esc(NULL, buf, sizeof(buf)), "");
}

static void quotes_and_backslashes_cannot_end_a_field(void **state)
{
        char buf[256];

        (void)state;
        assert_string_equal(esc("x\" person=\"root\" result=success", buf, sizeof(buf)),
                            "x\\\" person=\\\"root\\\" result=success");
        assert_string_equal(esc("a\\\"b", buf, sizeof(buf)), "a\\\\\\\"b");
}

static void terminal_control_characters_are_escaped(void **state)
{
        char buf[256];

        (void)state;
        /* erase the line, back to its start, write something else */
        assert_string_equal(esc("x\x1b[2K\rroot", buf, sizeof(buf)), "x\\x1b[2K\\rroot");
        assert_string_equal(esc("a\nb\tc\x7f\x01", buf, sizeof(buf)), "a\\nb\\tc\\x7f\\x01");
}

static void c1_controls_and_invisible_characters_are_escaped(void **state)
{
        char buf[256];

        (void)state;
        /* U+009B CSI, U+202E RIGHT-TO-LEFT OVERRIDE, U+2028 LINE SEPARATOR, U+200B, U+FEFF */
        assert_string_equal(esc("\xc2\x9b" "2J", buf, sizeof(buf)), "\\u{009b}2J");
        assert_string_equal(esc("abc\xe2\x80\xaegpj.exe", buf, sizeof(buf)), "abc\\u{202e}gpj.exe");
        assert_string_equal(esc("a\xe2\x80\xa8" "b", buf, sizeof(buf)), "a\\u{2028}b");
        assert_string_equal(esc("a\xe2\x80\x8b" "b\xef\xbb\xbf", buf, sizeof(buf)), "a\\u{200b}b\\u{feff}");
}

static void bytes_that_are_not_utf8_are_escaped_one_by_one(void **state)
{
        char buf[256];

        (void)state;
        /* a raw 8-bit CSI, a lone continuation byte, an overlong '/', a
         * surrogate, a truncated sequence */
        assert_string_equal(esc("\x9b" "2J", buf, sizeof(buf)), "\\x9b2J");
        assert_string_equal(esc("\x80", buf, sizeof(buf)), "\\x80");
        assert_string_equal(esc("\xc0\xaf", buf, sizeof(buf)), "\\xc0\\xaf");
        assert_string_equal(esc("\xed\xa0\x80", buf, sizeof(buf)), "\\xed\\xa0\\x80");
        assert_string_equal(esc("ok\xe6\x83", buf, sizeof(buf)), "ok\\xe6\\x83");
        assert_string_equal(esc("\xf4\x90\x80\x80", buf, sizeof(buf)), "\\xf4\\x90\\x80\\x80");
}

static void a_nul_inside_the_text_is_escaped(void **state)
{
        char buf[64];

        (void)state;
        assert_int_equal(text_escape((const uint8_t *)"a\0b", 3, buf, sizeof(buf)), 6);
        assert_string_equal(buf, "a\\x00b");
}

static void too_small_a_buffer_holds_whole_escapes_only(void **state)
{
        char buf[6];

        (void)state;
        /* "ab" fits, "\x1b" would need 4 more bytes: it is left out whole */
        assert_int_equal(text_escape_str("ab\x1b" "cd", buf, sizeof(buf)), 8);
        assert_string_equal(buf, "ab");
        /* a Japanese character is never cut in two either */
        assert_int_equal(text_escape_str("a情報", buf, 5), 7);
        assert_string_equal(buf, "a情");
        assert_int_equal(text_escape_str("abc", NULL, 0), 3);
}

static void the_copy_is_the_escaped_text(void **state)
{
        char *s = text_escape_dup("bob\x1b]0;owned\x07");

        (void)state;
        assert_non_null(s);
        assert_string_equal(s, "bob\\x1b]0;owned\\x07");
        free(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(plain_text_and_japanese_stay_as_they_are),
                cmocka_unit_test(quotes_and_backslashes_cannot_end_a_field),
                cmocka_unit_test(terminal_control_characters_are_escaped),
                cmocka_unit_test(c1_controls_and_invisible_characters_are_escaped),
                cmocka_unit_test(bytes_that_are_not_utf8_are_escaped_one_by_one),
                cmocka_unit_test(a_nul_inside_the_text_is_escaped),
                cmocka_unit_test(too_small_a_buffer_holds_whole_escapes_only),
                cmocka_unit_test(the_copy_is_the_escaped_text),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
