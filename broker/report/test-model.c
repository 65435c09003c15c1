/* Checking a model: what the renderers refuse, with a message that names the
 * member, and what the report computes itself instead of trusting it. */
#include "test-report.h"

static void refused(const char *meta_extra, const char *sections, const char *why)
{
        struct json_object *m = test_model_with(meta_extra, sections);
        char err[256];

        assert_int_equal(report_check(m, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, why);
        json_object_put(m);
}

static void a_model_of_another_version_is_refused(void **state)
{
        struct json_object *m = json_tokener_parse("{\"meta\": {\"schema_version\": 2}}");
        char err[256];

        (void)state;
        assert_int_equal(report_check(m, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "meta.schema_version: 2, this kagi reads version 1");
        json_object_put(m);
        assert_int_equal(report_check(NULL, err, sizeof(err)), -EINVAL);
}

static void every_refusal_names_the_member(void **state)
{
        (void)state;
        refused("", "\"accounts\": {\"items\": [{\"type\": \"personal\"}]}", "accounts.items[0].name: missing");
        refused("", "\"accounts\": {\"items\": [{\"name\": \"a\", \"type\": \"robot\"}]}",
                "accounts.items[0].type: not one of the values the schema allows");
        refused("", "\"accounts\": {\"items\": [{\"name\": \"a\", \"type\": \"personal\", \"last_success\": \"yesterday\"}]}",
                "accounts.items[0].last_success: not an RFC 3339 time");
        refused("", "\"accounts\": {\"items\": [{\"name\": \"a\", \"type\": \"personal\", \"factors\": [\"iris\"]}]}",
                "accounts.items[0].factors: not an array of known values");
        refused("", "\"locks\": {\"items\": [{\"account\": \"a\", \"locked_at\": \"2025-05-01T00:00:00Z\","
                    " \"failures\": [{\"factor\": \"totp\"}]}]}",
                "locks.items[0].failures: not an array of {time, factor, terminal}");
        refused("", "\"privileged\": {\"grants\": [{\"id\": \"1\", \"role\": \"r\", \"person\": \"p\","
                    " \"requested_at\": \"2025-05-01T00:00:00Z\", \"requested_minutes\": -5, \"end\": \"expired\"}]}",
                "privileged.grants[0].requested_minutes: not an integer >= 0");
        refused("", "\"shared\": {\"uses\": {}}", "shared.uses: not an array");
        refused("", "\"cards\": []", "cards: not an object");
        refused("", "\"integrity\": {\"verified\": true, \"records\": 3}", "integrity.ok: missing");
        refused("", "\"series\": {\"days\": [{\"date\": \"2025-13-01\", \"logins\": 1, \"failures\": 0}]}",
                "series.days[0].date: not a YYYY-MM-DD date");
        refused("\"utc_offset_minutes\": 900", "", "meta.utc_offset_minutes: not -720..840");
}

static void members_the_schema_does_not_name_are_dropped(void **state)
{
        struct json_object *m = test_model("\"accounts\": {\"items\": [{\"name\": \"a\", \"type\": \"personal\","
                                           " \"password_hash\": \"$6$secret\"}]}, \"extra\": 1");
        char *text = NULL;
        size_t len = 0;

        (void)state;
        assert_int_equal(report_render_buffer(m, REPORT_JSON, REPORT_EN, &text, &len, NULL, 0), 0);
        assert_not_contains(text, "password_hash");
        assert_not_contains(text, "secret");
        assert_not_contains(text, "extra");
        free(text);
        json_object_put(m);
}

static void derived_sections_replace_what_the_model_says(void **state)
{
        struct json_object *m = test_model(
                "\"accounts\": {\"items\": [{\"name\": \"a\", \"type\": \"personal\", \"last_success\": \"2025-01-01T00:00:00Z\"}]},"
                "\"dormant\": {\"items\": [{\"account\": \"forged\", \"type\": \"personal\", \"never\": true}]},"
                "\"summary\": {\"findings\": []}");
        struct json_object *out;
        char *text = NULL;
        size_t len = 0;

        (void)state;
        assert_int_equal(report_render_buffer(m, REPORT_JSON, REPORT_EN, &text, &len, NULL, 0), 0);
        out = json_tokener_parse(text);
        assert_non_null(out);
        assert_int_equal(jlen(jget(jget(out, "dormant"), "items")), 1);
        assert_string_equal(jstr(jidx(jget(jget(out, "dormant"), "items"), 0), "account"), "a");
        assert_int_equal(jint(jidx(jget(jget(out, "dormant"), "items"), 0), "idle_days", 0), 273);
        assert_true(jlen(jget(jget(out, "summary"), "findings")) > 0);
        json_object_put(out);
        free(text);
        json_object_put(m);
}

static void holders_and_minutes_are_counted_from_the_grants(void **state)
{
        struct json_object *m = test_model(
                "\"accounts\": {\"items\": [{\"name\": \"ito\", \"type\": \"personal\", \"department\": \"IT\"}]},"
                "\"privileged\": {\"roles\": [{\"name\": \"root\", \"holders\": [\"ito\", \"sato\"]}],"
                " \"grants\": ["
                "{\"id\": \"1\", \"role\": \"root\", \"person\": \"ito\", \"requested_at\": \"2025-08-01T00:00:00Z\","
                " \"requested_minutes\": 30, \"actual_minutes\": 20, \"end\": \"expired\"},"
                "{\"id\": \"2\", \"role\": \"root\", \"person\": \"ito\", \"requested_at\": \"2025-08-02T00:00:00Z\","
                " \"requested_minutes\": 30, \"actual_minutes\": 25, \"end\": \"ended\", \"break_glass\": true},"
                "{\"id\": \"3\", \"role\": \"root\", \"person\": \"ito\", \"requested_at\": \"2025-08-03T00:00:00Z\","
                " \"requested_minutes\": 30, \"end\": \"denied\"}]}");
        struct json_object *out, *priv, *h, *mins;
        char *text = NULL;
        size_t len = 0;

        (void)state;
        assert_int_equal(report_render_buffer(m, REPORT_JSON, REPORT_EN, &text, &len, NULL, 0), 0);
        out = json_tokener_parse(text);
        priv = jget(out, "privileged");
        h = jget(priv, "holders");
        mins = jget(priv, "minutes");
        assert_int_equal(jlen(h), 2);
        assert_string_equal(jstr(jidx(h, 0), "person"), "ito");
        assert_string_equal(jstr(jidx(h, 0), "department"), "IT");
        assert_int_equal(jint(jidx(h, 0), "grants", -1), 2);          /* the denied one opened nothing */
        assert_int_equal(jint(jidx(h, 0), "minutes", -1), 45);
        assert_string_equal(jstr(jidx(h, 0), "last_grant"), "2025-08-02T00:00:00Z");
        assert_int_equal(jint(jidx(h, 1), "grants", -1), 0);
        assert_int_equal(jlen(mins), 1);
        assert_int_equal(jint(jidx(mins, 0), "minutes", -1), 45);
        assert_int_equal(jint(jidx(mins, 0), "break_glass", -1), 1);
        json_object_put(out);
        free(text);
        json_object_put(m);
}

static void the_same_model_gives_the_same_bytes(void **state)
{
        struct json_object *m = test_model("\"accounts\": {\"items\": [{\"name\": \"a\", \"type\": \"personal\"}]}");

        (void)state;
        for (int f = 0; f < REPORT_FORMAT_MAX_; f++) {
                char *a = NULL, *b = NULL;
                size_t la = 0, lb = 0;

                assert_int_equal(report_render_buffer(m, (enum report_format)f, REPORT_JA, &a, &la, NULL, 0), 0);
                assert_int_equal(report_render_buffer(m, (enum report_format)f, REPORT_JA, &b, &lb, NULL, 0), 0);
                assert_int_equal(la, lb);
                assert_memory_equal(a, b, la);
                free(a);
                free(b);
        }
        json_object_put(m);
}

static void format_and_language_names(void **state)
{
        enum report_format f;
        enum report_lang l;

        (void)state;
        assert_int_equal(report_format_from_string("html", &f), 0);
        assert_int_equal(f, REPORT_HTML);
        assert_int_equal(report_format_from_string("pdf", &f), -EINVAL);
        assert_int_equal(report_lang_from_string("ja", &l), 0);
        assert_int_equal(l, REPORT_JA);
        assert_int_equal(report_lang_from_string("JA", &l), -EINVAL);
        assert_string_equal(report_format_to_string(REPORT_CSV), "csv");
        assert_string_equal(report_lang_to_string(REPORT_EN), "en");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(a_model_of_another_version_is_refused),
                cmocka_unit_test(every_refusal_names_the_member),
                cmocka_unit_test(members_the_schema_does_not_name_are_dropped),
                cmocka_unit_test(derived_sections_replace_what_the_model_says),
                cmocka_unit_test(holders_and_minutes_are_counted_from_the_grants),
                cmocka_unit_test(the_same_model_gives_the_same_bytes),
                cmocka_unit_test(format_and_language_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
