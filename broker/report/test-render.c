/* Each renderer from the fixture model (testdata/review.json): Japanese
 * names, a tampered audit chain, control characters and spreadsheet formulas
 * in names. test-formats.py parses the same outputs back with real CSV, JSON
 * Schema and HTML parsers; this file checks what a reader would see. */
#include "test-report.h"

static struct json_object *fixture(void)
{
        const char *path = getenv("KAGI_REPORT_FIXTURE");
        struct json_object *m;

        if (!path)
                fail_msg("KAGI_REPORT_FIXTURE is not set (meson test sets it)");
        m = json_object_from_file(path);
        if (!m)
                fail_msg("%s: %s", path, json_util_get_last_err());
        return m;
}

static char *render(enum report_format f, enum report_lang lang, size_t *ret_len)
{
        _cleanup_(json_object_putp) struct json_object *m = fixture();
        char *out = NULL, err[256];
        size_t len = 0;

        if (report_render_buffer(m, f, lang, &out, &len, err, sizeof(err)) < 0)
                fail_msg("render: %s", err);
        assert_int_equal(strlen(out), len);           /* no NUL inside */
        if (ret_len)
                *ret_len = len;
        return out;
}

/* No byte that a terminal, a spreadsheet or a browser would act on. */
static void assert_inert(const char *s)
{
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                if (*p < 0x20 && *p != '\n' && *p != '\r')
                        fail_msg("control byte 0x%02x at offset %zu", *p, (size_t)(p - (const unsigned char *)s));
        assert_not_contains(s, "\xe2\x80\xae");       /* U+202E */
        assert_not_contains(s, "\xc2\x9b");           /* C1 CSI */
}

/* The line of the text summary that starts with this check's label. */
static const char *line_of(const char *text, const char *start, char *buf, size_t size)
{
        const char *p = strstr(text, start), *end;

        if (!p)
                fail_msg("no line starts with %s", start);
        end = strchr(p, '\n');
        snprintf(buf, size, "%.*s", (int)(end - p), p);
        return buf;
}

static size_t count(const char *s, const char *needle)
{
        size_t n = 0;

        for (const char *p = strstr(s, needle); p; p = strstr(p + strlen(needle), needle))
                n++;
        return n;
}

static void text_in_japanese(void **state)
{
        _cleanup_(freep) char *t = render(REPORT_TEXT, REPORT_JA, NULL);
        char line[512];

        (void)state;
        assert_prefix(t, "アカウント棚卸し結果報告書\n");
        assert_contains(t, "対象期間              令和7年4月1日～令和7年9月30日");
        assert_contains(t, "== 点検結果一覧 [ACC-3] ==");
        assert_contains(t, "評価の凡例: ○：適正  △：改善が望ましい  ×：改善が必要  -：該当なし");
        assert_contains(t, "== 監査ログの完全性 [LOG-3] ==");
        assert_contains(t, "検証結果                  改ざん・欠落・順序の入替えを検出");
        /* what was checked, and a directory that did not answer for everyone */
        assert_contains(t, "検証の範囲                ログ全体（最初の記録から最新の記録まで）");
        assert_contains(t, "対象期間内の記録数        1490");
        assert_contains(t, "ディレクトリ          ldap（2件のアカウントについて応答なし。");
        /* the tampered chain: × for every one of the five departments */
        line_of(t, "監査ログの改ざん防止", line, sizeof(line));
        assert_int_equal(count(line, "×"), 5);
        assert_contains(t, "監査ログの連鎖が記録番号812で途切れている");
        /* Japanese columns line up: the department heads start where their dashes do */
        assert_contains(t, "点検項目                  条項    保険年金課  市民窓口課  地域づくり推進課  情報政策課  所属なし\n"
                           "------------------------  ------  ----------  ----------  ----------------  ----------  --------\n"
                           "長期未使用IDの整理        ACC-2   △           △           -                 ○           △\n");
        /* a name's escape sequence is shown, never sent */
        assert_contains(t, "小林\\x1B[31m 赤\\x07");
        assert_inert(t);
}

static void text_in_english(void **state)
{
        _cleanup_(freep) char *t = render(REPORT_TEXT, REPORT_EN, NULL);

        (void)state;
        assert_prefix(t, "Account review\n");
        assert_contains(t, "== Summary of the review [ACC-3] ==");
        assert_contains(t, "Legend: ○ adequate  △ improvement advised  × improvement required  - not applicable");
        assert_contains(t, "Audit log protected against tampering   LOG-3   ×           ×");
        assert_contains(t, "all departments  Audit chain broken at record 812");
        assert_inert(t);
}

static void csv_for_excel(void **state)
{
        size_t len;
        _cleanup_(freep) char *c = render(REPORT_CSV, REPORT_JA, &len);

        (void)state;
        assert_memory_equal(c, "\xEF\xBB\xBF#kagi-report,1,ja\r\n", 22);
        for (size_t i = 0; i < len; i++)
                if (c[i] == '\n' && (i == 0 || c[i - 1] != '\r'))
                        fail_msg("a bare LF at offset %zu", i);
        assert_contains(c, "\r\n#section,summary,点検結果一覧,ACC-3\r\n");
        assert_contains(c, "監査ログの改ざん防止,LOG-3,×,×,×,×,×\r\n");
        assert_contains(c, "\r\n#section,integrity,監査ログの完全性,LOG-3\r\n");
        /* formulas stay text */
        assert_contains(c, ",\"'=HYPERLINK(\"\"http://x.invalid/\"\",\"\"開く\"\")\",");
        assert_contains(c, ",'@SUM(A1) 障害対応,");
        assert_contains(c, ",'-cmd|' /C calc'!A0\r\n");
        assert_contains(c, ",'=1+1,");
        assert_not_contains(c, ",=");
        assert_not_contains(c, ",@");
        /* the "not applicable" mark is not a formula: left alone */
        assert_contains(c, "特権ID保有者の最小化,PRIV-1,-,-,-,△,-\r\n");
        assert_inert(c);
}

static void json_is_the_model_with_its_summary(void **state)
{
        _cleanup_(freep) char *j = render(REPORT_JSON, REPORT_JA, NULL);
        _cleanup_(json_object_putp) struct json_object *o = json_tokener_parse(j);
        struct json_object *checks, *marks = NULL;

        (void)state;
        assert_non_null(o);
        assert_string_equal(jstr(jget(o, "meta"), "language"), "ja");
        assert_false(jbool(jget(o, "integrity"), "ok"));
        assert_int_equal(jint(jget(o, "integrity"), "first_bad", 0), 812);
        checks = jget(jget(o, "summary"), "checks");
        for (size_t i = 0; i < jlen(checks); i++)
                if (strcmp(jstr(jidx(checks, i), "id"), "audit_integrity") == 0)
                        marks = jget(jidx(checks, i), "marks");
        assert_int_equal(jlen(marks), 5);
        for (size_t i = 0; i < jlen(marks); i++)
                assert_string_equal(jstr_at(marks, i), "fix");
        /* names keep what they hold; JSON escapes it */
        assert_contains(j, "\"display_name\":\"小林\\u001b[31m 赤\\u0007\"");
        assert_contains(j, "\"display_name\":\"田中 太郎\"");
        assert_contains(j, "\"directory\": {\n    \"backend\": \"ldap\",\n    \"answered\": false,\n    \"unanswered\": 2\n  }");
        assert_contains(j, "\"scope\":\"chain\",\"period_records\":1490");
}

static void html_self_contained_and_escaped(void **state)
{
        _cleanup_(freep) char *h = render(REPORT_HTML, REPORT_JA, NULL);
        const char *row;
        char buf[2048];

        (void)state;
        assert_prefix(h, "<!DOCTYPE html>\n<html lang=\"ja\">");
        assert_contains(h, "content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\"");
        assert_contains(h, "@page{size:A4");
        assert_contains(h, "@media print");
        assert_int_equal(count(h, "<svg xmlns=\"http://www.w3.org/2000/svg\""), 2);
        assert_not_contains(h, "<script");
        assert_not_contains(h, "<link");
        assert_not_contains(h, "<img");
        assert_not_contains(h, "url(");
        assert_not_contains(h, "src=");
        assert_not_contains(h, "href=\"http");
        /* the summary coloured as the committee's: × cells of the integrity row */
        row = strstr(h, "<th>監査ログの改ざん防止</th>");
        assert_non_null(row);
        snprintf(buf, sizeof(buf), "%.*s", (int)(strstr(row, "</tr>") - row), row);
        assert_int_equal(count(buf, "<td class=\"m nw m-fix\" title=\"改善が必要\">×</td>"), 5);
        assert_contains(h, "=HYPERLINK(&quot;http://x.invalid/&quot;,&quot;開く&quot;)");
        assert_contains(h, "小林\\x1B[31m 赤\\x07");
        assert_contains(h, "<figcaption>日別のログイン成功件数と認証失敗件数</figcaption>");
        assert_inert(h);
}

static void html_in_english(void **state)
{
        _cleanup_(freep) char *h = render(REPORT_HTML, REPORT_EN, NULL);

        (void)state;
        assert_prefix(h, "<!DOCTYPE html>\n<html lang=\"en\">");
        assert_contains(h, "<h2 id=\"summary\">Summary of the review <span class=\"clauses\">ACC-3</span></h2>");
        assert_contains(h, "Privileged minutes per person (top 15)");
        assert_inert(h);
}

static void a_failed_write_is_reported(void **state)
{
        _cleanup_(json_object_putp) struct json_object *m = fixture();
        _cleanup_(fclosep) FILE *full = fopen("/dev/full", "we");

        (void)state;
        if (!full)
                skip();
        for (int f = 0; f < REPORT_FORMAT_MAX_; f++)
                assert_int_equal(report_render(m, (enum report_format)f, REPORT_JA, full, NULL, 0), -EIO);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(text_in_japanese),
                cmocka_unit_test(text_in_english),
                cmocka_unit_test(csv_for_excel),
                cmocka_unit_test(json_is_the_model_with_its_summary),
                cmocka_unit_test(html_self_contained_and_escaped),
                cmocka_unit_test(html_in_english),
                cmocka_unit_test(a_failed_write_is_reported),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
