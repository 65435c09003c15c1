/* Untrusted names on a screen: control characters come out visible and
 * inert, and widths are display cells, so Japanese columns line up. */
#include "test-report.h"

static char *cleaned(const char *s)
{
        struct sbuf b = { 0 };

        clean_append(&b, s);
        assert_false(sbuf_failed(&b));
        return b.p ? b.p : strdup("");
}

static void terminal_escapes_are_shown_not_obeyed(void **state)
{
        _cleanup_(freep) char *a = cleaned("小林\x1b[31m赤\x07\r\n\t");
        _cleanup_(freep) char *b = cleaned("x\x7f" "\xc2\x9b" "2J");         /* DEL, then C1 CSI */

        (void)state;
        assert_string_equal(a, "小林\\x1B[31m赤\\x07\\x0D\\x0A\\x09");
        assert_string_equal(b, "x\\x7F\\u009B2J");
}

static void bidi_and_invisible_characters_are_shown(void **state)
{
        /* U+202E right-to-left override, U+200B zero width space, U+FEFF, U+2028 */
        _cleanup_(freep) char *a = cleaned("evil\xe2\x80\xaetxt.exe\xe2\x80\x8b\xef\xbb\xbf\xe2\x80\xa8");

        (void)state;
        assert_string_equal(a, "evil\\u202Etxt.exe\\u200B\\uFEFF\\u2028");
}

static void invalid_utf8_is_shown_byte_by_byte(void **state)
{
        _cleanup_(freep) char *a = cleaned("ok\xff\xe3\x81" "end");        /* a stray byte, a cut sequence */
        _cleanup_(freep) char *fixed = NULL;

        (void)state;
        assert_string_equal(a, "ok\\xFF\\xE3\\x81end");
        assert_int_equal(utf8_repair("ok\xff", 3, &fixed), 0);
        assert_string_equal(fixed, "ok\xef\xbf\xbd");
        free(fixed);
        fixed = NULL;
        assert_int_equal(utf8_repair("田中", strlen("田中"), &fixed), 0);
        assert_null(fixed);
}

static void japanese_text_is_two_cells_a_character(void **state)
{
        (void)state;
        assert_int_equal(clean_width("田中 太郎"), 9);
        assert_int_equal(clean_width("ｶﾀｶﾅ"), 4);                      /* half-width kana */
        assert_int_equal(clean_width("abc"), 3);
        assert_int_equal(clean_width("が"), 2);
        assert_int_equal(clean_width("か\xe3\x82\x99"), 2);            /* combining voiced mark: 0 */
        assert_int_equal(clean_width("○△×-"), 4);                     /* the marks: narrow */
}

static void a_cut_value_ends_in_an_ellipsis_within_its_cells(void **state)
{
        struct sbuf b = { 0 };

        (void)state;
        clean_append_cut(&b, "保険年金課の非常に長い名前", 9);
        assert_string_equal(sbuf_str(&b), "保険年金…");
        assert_int_equal(clean_width(sbuf_str(&b)), 9);
        sbuf_reset(&b);
        clean_append_cut(&b, "短い", 9);
        assert_string_equal(sbuf_str(&b), "短い");
        sbuf_reset(&b);
        /* an escape is never split */
        clean_append_cut(&b, "ab\x1b" "cdef", 6);
        assert_string_equal(sbuf_str(&b), "ab…");
        sbuf_free(&b);
}

static void html_escaping_covers_markup_and_quotes(void **state)
{
        struct sbuf b = { 0 };

        (void)state;
        html_escape(&b, "<script>alert('x')</script> & \"q\" \x1b");
        assert_string_equal(sbuf_str(&b),
                            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot; \\x1B");
        sbuf_free(&b);
}

static void times_print_at_the_model_offset_and_in_the_era(void **state)
{
        int64_t t;
        char buf[48];

        (void)state;
        assert_int_equal(time_parse("2025-03-31T15:00:00Z", &t), 0);
        time_format(t, 540, buf);
        assert_string_equal(buf, "2025-04-01 00:00:00");
        date_format_era(t, 540, buf);
        assert_string_equal(buf, "令和7年4月1日");
        assert_int_equal(time_parse("2019-05-01T00:00:00+09:00", &t), 0);
        date_format_era(t, 540, buf);
        assert_string_equal(buf, "令和元年5月1日");
        date_format_era(t - 1, 540, buf);
        assert_string_equal(buf, "平成31年4月30日");
        assert_int_equal(time_parse("2025-06-10T00:12:00.123456Z", &t), 0);
        assert_true(time_parse("2025-02-29T00:00:00Z", &t) < 0);
        assert_true(time_parse("2025-06-10 00:12:00Z", &t) < 0);
        assert_true(time_parse("2025-06-10T00:12:00", &t) < 0);
        offset_format(-150, buf);
        assert_string_equal(buf, "UTC-02:30");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(terminal_escapes_are_shown_not_obeyed),
                cmocka_unit_test(bidi_and_invisible_characters_are_shown),
                cmocka_unit_test(invalid_utf8_is_shown_byte_by_byte),
                cmocka_unit_test(japanese_text_is_two_cells_a_character),
                cmocka_unit_test(a_cut_value_ends_in_an_ellipsis_within_its_cells),
                cmocka_unit_test(html_escaping_covers_markup_and_quotes),
                cmocka_unit_test(times_print_at_the_model_offset_and_in_the_era),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
