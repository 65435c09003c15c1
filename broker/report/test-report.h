/* What the report's tests share: cmocka, models written as JSON text, and
 * reading the marks and findings of a summary the way a reader would. */
#pragma once

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report_internal.h"

/* A model: the meta every test shares (with more members when meta_extra is
 * not empty) plus the sections given as JSON text: members of the top-level
 * object, without braces. */
static inline struct json_object *test_model_with(const char *meta_extra, const char *sections)
{
        char *text = NULL;
        struct json_object *m;

        assert_true(asprintf(&text,
                             "{\"meta\": {\"schema_version\": 1, \"generated\": \"2025-10-01T00:00:00Z\","
                             " \"period\": {\"from\": \"2025-04-01T00:00:00Z\", \"to\": \"2025-10-01T00:00:00Z\"},"
                             " \"dormant_days\": 90, \"host\": \"ws1\", \"utc_offset_minutes\": 540%s%s}%s%s}",
                             *meta_extra ? ", " : "", meta_extra, *sections ? ", " : "", sections) > 0);
        m = json_tokener_parse(text);
        if (!m)
                fail_msg("not JSON: %s", text);
        free(text);
        return m;
}

static inline struct json_object *test_model(const char *sections)
{
        return test_model_with("", sections);
}

static inline struct json_object *test_summary(struct json_object *model, enum report_lang lang)
{
        struct json_object *s = NULL;
        char err[256];

        if (report_summarize(model, lang, &s, err, sizeof(err)) < 0)
                fail_msg("report_summarize: %s", err);
        return s;
}

/* The mark ("good", "advise", "fix", "none") of check × department. */
static inline const char *test_mark(struct json_object *summary, const char *check, const char *department)
{
        struct json_object *depts = jget(summary, "departments"), *checks = jget(summary, "checks");
        size_t d;

        for (d = 0; d < jlen(depts); d++)
                if (strcmp(jstr_at(depts, d), department) == 0)
                        break;
        if (d == jlen(depts))
                return "no such department";
        for (size_t i = 0; i < jlen(checks); i++)
                if (strcmp(jstr(jidx(checks, i), "id"), check) == 0)
                        return jstr_at(jget(jidx(checks, i), "marks"), d);
        return "no such check";
}

/* How many findings came from rule (e.g. "ACC-2.dormant"). */
static inline size_t test_findings(struct json_object *summary, const char *rule)
{
        struct json_object *f = jget(summary, "findings");
        size_t n = 0;

        for (size_t i = 0; i < jlen(f); i++)
                n += strcmp(jstr(jidx(f, i), "rule"), rule) == 0;
        return n;
}

/* The message of the first finding of a rule. */
static inline const char *test_message(struct json_object *summary, const char *rule)
{
        struct json_object *f = jget(summary, "findings");

        for (size_t i = 0; i < jlen(f); i++)
                if (strcmp(jstr(jidx(f, i), "rule"), rule) == 0)
                        return jstr(jidx(f, i), "message");
        return "";
}

#define assert_mark(summary, check, dept, expected) \
        assert_string_equal(test_mark((summary), (check), (dept)), (expected))

#define assert_contains(haystack, needle)                                              \
        do {                                                                           \
                const char *h_ = (haystack), *n_ = (needle);                           \
                if (!h_ || !strstr(h_, n_))                                            \
                        fail_msg("'%s' does not contain '%s'", h_ ? h_ : "(null)", n_); \
        } while (0)

#define assert_prefix(s, prefix)                                                           \
        do {                                                                               \
                const char *s_ = (s), *p_ = (prefix);                                      \
                if (!s_ || strncmp(s_, p_, strlen(p_)) != 0)                               \
                        fail_msg("'%.200s' does not start with '%s'", s_ ? s_ : "(null)", p_); \
        } while (0)

#define assert_not_contains(haystack, needle)                                     \
        do {                                                                      \
                const char *h_ = (haystack), *n_ = (needle);                      \
                if (h_ && strstr(h_, n_))                                         \
                        fail_msg("'%.200s…' contains '%s'", h_, n_);              \
        } while (0)
