/* libkagi-report: the account review (issue 14) — its model, the committee's
 * summary, and renderers for text, csv, json and html.
 *
 * Holds: the report model, a json-c object documented by
 * docs/report.schema.json; the rules that turn its sections into the
 * committee's table of check items × departments marked ○ △ × -
 * (docs/report-rules.md); the renderers.
 *
 * Must never: read the store, the audit log, the directory, the clock, the
 * locale or the environment; open a file or a socket; write anywhere but the
 * FILE * it is given. The same model gives the same bytes. Every string in
 * the model is untrusted (names come from the directory and from login
 * attempts) and is escaped for the format it lands in. The model holds no
 * secret, and nothing here may add one.
 */
#pragma once

#include <stddef.h>
#include <stdio.h>

struct json_object;

/* meta.schema_version of the models this library reads and writes. */
#define REPORT_SCHEMA_VERSION 1

enum report_format {
        REPORT_TEXT,
        REPORT_CSV,
        REPORT_JSON,
        REPORT_HTML,
        REPORT_FORMAT_MAX_
};

enum report_lang {
        REPORT_EN,
        REPORT_JA,
        REPORT_LANG_MAX_
};

/* "text" "csv" "json" "html" / "en" "ja"; -EINVAL for anything else. */
int report_format_from_string(const char *s, enum report_format *ret);
const char *report_format_to_string(enum report_format f);
int report_lang_from_string(const char *s, enum report_lang *ret);
const char *report_lang_to_string(enum report_lang l);

/* Checks a model as the renderers need it: schema version, required members,
 * types, time syntax, enumerated values. 0, or -EINVAL with "path: why" in
 * err (err may be NULL). Members it does not know are ignored. */
int report_check(const struct json_object *model, char *err, size_t errsz);

/* Pure: the committee summary — check items × departments, the findings
 * behind each △ and ×, the rules, the totals — computed from the model's raw
 * sections; a "summary" already in the model is ignored. On success
 * *ret_summary is a new object owned by the caller (json_object_put). */
int report_summarize(const struct json_object *model, enum report_lang lang,
                     struct json_object **ret_summary, char *err, size_t errsz);

/* Writes the review to out: the model's sections, the ones derived from them
 * (dormant accounts, role holders, privileged minutes per person, how long
 * each lock lasted) and the summary, in lang. The model is not changed, but
 * json-c reference counts inside it are: render one model from one thread at
 * a time. 0, -EINVAL (the model; err says why), -EIO (a write failed),
 * -ENOMEM. */
int report_render(const struct json_object *model, enum report_format format,
                  enum report_lang lang, FILE *out, char *err, size_t errsz);

/* The same into a new buffer: *ret_buf (free it) holds *ret_len bytes and a
 * terminating NUL that is not counted. */
int report_render_buffer(const struct json_object *model, enum report_format format,
                         enum report_lang lang, char **ret_buf, size_t *ret_len,
                         char *err, size_t errsz);
