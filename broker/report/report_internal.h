/* What the files of libkagi-report share; nothing here is part of report.h. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "common.h"

/* Internal names are short in the source and prefixed in the object files,
 * so none of them can clash with another library's when kagid links them all
 * (defined after common.h, so a name common.h may take stays its own). */
#define cell_format report_cell_format
#define check_label report_check_label
#define clauses_format report_clauses_format
#define clean_append report_clean_append
#define clean_append_cut report_clean_append_cut
#define clean_width report_clean_width
#define csv_render report_csv_render
#define date_format report_date_format
#define date_format_era report_date_format_era
#define date_parse report_date_parse
#define department_label report_department_label
#define enum_known report_enum_known
#define enum_label report_enum_label
#define html_escape report_html_escape
#define html_render report_html_render
#define jbool report_jbool
#define jget report_jget
#define jidx report_jidx
#define jint report_jint
#define jlen report_jlen
#define json_render report_json_render
#define jstr report_jstr
#define jstr_at report_jstr_at
#define label report_label
#define label_fill report_label_fill
#define mark_code report_mark_code
#define mark_from_code report_mark_from_code
#define mark_label report_mark_label
#define mark_symbol report_mark_symbol
#define meta_rows report_meta_rows
#define offset_format report_offset_format
#define sbuf_add report_sbuf_add
#define sbuf_addc report_sbuf_addc
#define sbuf_addf report_sbuf_addf
#define sbuf_adds report_sbuf_adds
#define sbuf_free report_sbuf_free
#define sbuf_reset report_sbuf_reset
#define summary_compute report_summary_compute
#define svg_daily report_svg_daily
#define svg_minutes report_svg_minutes
#define text_render report_text_render
#define time_format report_time_format
#define time_parse report_time_parse
#define utf8_repair report_utf8_repair

#include "labels.h"
#include "report.h"

/* ---- a growing string (strbuf.c) -------------------------------------------
 * Out of memory is sticky: later adds do nothing and sbuf_failed() says so,
 * so callers check once at the end. */
struct sbuf {
        char *p;
        size_t len, cap;
        bool oom;
};
void sbuf_add(struct sbuf *b, const char *s, size_t n);
void sbuf_adds(struct sbuf *b, const char *s);
void sbuf_addc(struct sbuf *b, char c);
void sbuf_addf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_reset(struct sbuf *b);
void sbuf_free(struct sbuf *b);
static inline void sbuf_freep(struct sbuf *b) { sbuf_free(b); }
static inline const char *sbuf_str(const struct sbuf *b) { return b->p && !b->oom ? b->p : ""; }
static inline bool sbuf_failed(const struct sbuf *b) { return b->oom; }

/* ---- labels (labels.c; the texts are in labels.h) ---------------------------- */
const char *label(enum report_lang lang, enum label id);

/* The label of one enumerated value; the value itself when it is not known. */
struct enum_label {
        const char *value;
        const char *en;
        const char *ja;
};
const char *enum_label(const struct enum_label *v, enum report_lang lang, const char *value);
bool enum_known(const struct enum_label *v, const char *value);

/* "{1} days" with {1}..{9} replaced by args[0..8]; appended to b. */
void label_fill(struct sbuf *b, const char *tpl, const char *const *args, size_t n_args);

/* ---- untrusted text on a screen (width.c) -----------------------------------
 * clean_append() copies s with every control character made visible: C0, DEL,
 * C1, Unicode format characters (bidi overrides, zero-width ones, BOM) and
 * line/paragraph separators become \xHH or \uHHHH, invalid UTF-8 bytes \xHH.
 * What comes out is valid UTF-8 that cannot move a cursor or reorder text. */
void clean_append(struct sbuf *b, const char *s);
/* Display cells of a cleaned string (CJK wide = 2, combining = 0). */
size_t clean_width(const char *s);
/* Appends at most `cells` cells of s (cleaned), ending in "…" when cut. */
void clean_append_cut(struct sbuf *b, const char *s, size_t cells);
/* s with invalid UTF-8 (and NUL bytes) replaced by U+FFFD in *ret (free it);
 * *ret is NULL when s is valid as it is. 0 or -ENOMEM. */
int utf8_repair(const char *s, size_t len, char **ret);

/* ---- time (datetime.c): no clock, no time zone database --------------------- */
/* RFC 3339 ("2025-04-01T09:00:00Z", fraction and ±hh:mm offset allowed). */
int time_parse(const char *s, int64_t *ret);
/* "YYYY-MM-DD" → days since 1970-01-01 */
int date_parse(const char *s, int64_t *ret_days);
/* "2025-04-01 18:00:00" at UTC+offset_min */
void time_format(int64_t t, int offset_min, char buf[static 32]);
/* "2025-04-01" */
void date_format(int64_t t, int offset_min, char buf[static 16]);
/* "令和7年4月1日" (Reiwa from 2019-05-01, Heisei before) */
void date_format_era(int64_t t, int offset_min, char buf[static 48]);
/* "UTC+09:00" */
void offset_format(int offset_min, char buf[static 16]);

/* ---- the model's layout (tables.c) --------------------------------------- */
enum section_id {
        S_ACCOUNTS,
        S_DORMANT,
        S_FACTORS,
        S_LOCKS,
        S_PRIVILEGED,
        S_SHARED,
        S_CARDS,
        S_INTEGRITY,
        S_SERIES,
        S_MAX_
};

struct section_spec {
        const char *key;                      /* member of the model */
        enum label title;
        const char *clauses[4];               /* NULL-terminated */
};
extern const struct section_spec report_sections[S_MAX_];

enum table_id {
        T_ACCOUNTS,
        T_DORMANT,
        T_MISSING,
        T_NOT_ADMITTED,
        T_LOCKS,
        T_ROLES,
        T_HOLDERS,
        T_GRANTS,
        T_MINUTES,
        T_SHARED_IDS,
        T_SHARED_USES,
        T_SHARED_REFUSALS,
        T_CARDS_ACTIVE,
        T_CARDS_REVOKED,
        T_CARDS_RETIRED,
        T_CARD_SHARING,
        T_DAYS,
        T_MAX_
};

enum col_kind {
        COL_STR,        /* string or null */
        COL_TIME,       /* RFC 3339 string or null */
        COL_DATE,       /* YYYY-MM-DD */
        COL_INT,        /* integer >= 0 or null */
        COL_BOOL,       /* shown as values[0] (false) or values[1] (true) */
        COL_ENUM,       /* one of values */
        COL_LIST,       /* array of strings */
        COL_ENUMLIST,   /* array of values, each may be "a+b" */
        COL_EVENTS,     /* array of {time, factor, terminal} */
};

struct column {
        const char *key;
        enum label head;
        enum col_kind kind;
        bool required;
        const struct enum_label *values;      /* {NULL}-terminated */
};

struct table_spec {
        enum section_id section;
        const char *member;                   /* array member of the section */
        const char *id;                       /* "privileged.grants": CSV section, HTML anchor */
        enum label title;
        const struct column *cols;
        size_t n_cols;
        bool derived;                         /* computed here; the model's copy is ignored */
};
extern const struct table_spec report_tables[T_MAX_];

/* summary.totals: its members in the order the report prints them */
struct total_spec {
        const char *key;
        enum label label;
};
extern const struct total_spec report_totals[];
extern const size_t report_n_totals;

/* The integrity section is one object, not a table. */
extern const struct column report_integrity_cols[];
extern const size_t report_n_integrity_cols;

/* ---- the checked model (model.c, derive.c) ---------------------------------- */
struct report_meta {
        int64_t generated, from, to;          /* unix seconds */
        int64_t dormant_days;
        int offset_min;                       /* times are shown at UTC+offset */
        const char *host, *organisation, *generator;
        const struct json_object *departments; /* array: column order, or NULL */
        /* meta.directory: which directory kagid asked, and whether it answered */
        const char *directory;                /* its backend; NULL: the model does not say */
        bool directory_answered;
        int64_t directory_unanswered;         /* accounts it did not answer for */
};

struct report {
        const struct json_object *model;
        enum report_lang lang;
        struct report_meta meta;
        const struct json_object *tables[T_MAX_]; /* arrays; NULL when absent */
        const struct json_object *integrity;  /* object */
        struct json_object *own;              /* array keeping what this report made alive */
        struct json_object *by_name;          /* account name → its item in accounts.items */
        struct json_object *summary;
};

int report_load(const struct json_object *model, enum report_lang lang, struct report **ret,
                char *err, size_t errsz);
void report_free(struct report *r);
static inline void report_freep(struct report **r) { report_free(*r); *r = NULL; }

/* derive.c: the tables computed from others, and the index of accounts. */
int report_derive(struct report *r);
/* The department of an item: its own "department" member, else that of the
 * account named by its member `who`; NULL when neither is known. */
const char *report_department(const struct report *r, const struct json_object *item, const char *who);
/* The account item of that name in accounts.items, or NULL. */
struct json_object *report_account(const struct report *r, const char *name);
/* The item's display_name, else that of the account named by `who`. */
const char *report_display_name(const struct report *r, const struct json_object *item, const char *who);

/* summary.c */
int summary_compute(struct report *r);
enum mark { MARK_NONE, MARK_GOOD, MARK_ADVISE, MARK_FIX, MARK_MAX_ };
const char *mark_code(enum mark m);
const char *mark_symbol(enum mark m);
enum label mark_label(enum mark m);
int mark_from_code(const char *s, enum mark *ret);

static inline void json_object_putp(struct json_object **o) { json_object_put(*o); }

/* json accessors that never fail: NULL / 0 / false when absent or mistyped */
struct json_object *jget(const struct json_object *o, const char *key);
const char *jstr(const struct json_object *o, const char *key);
int64_t jint(const struct json_object *o, const char *key, int64_t dflt);
bool jbool(const struct json_object *o, const char *key);
size_t jlen(const struct json_object *array);
struct json_object *jidx(const struct json_object *array, size_t i);
const char *jstr_at(const struct json_object *array, size_t i);

/* cell.c: one value as a reader sees it (not yet escaped), appended to b. */
void cell_format(const struct report *r, const struct column *c, const struct json_object *item,
                 struct sbuf *b);
/* "PRIV-1 PRIV-2 PRIV-4" */
void clauses_format(const char *const *clauses, struct sbuf *b);
/* The document's header rows (organisation, period, generated, host …), each
 * as a label and a value not yet escaped. */
typedef void (*meta_row_cb)(void *userdata, const char *label, const char *value);
void meta_rows(const struct report *r, meta_row_cb row, void *userdata);
/* The label of summary check `id` ("dormant" → "長期未使用IDの整理"). */
const char *check_label(const struct report *r, const char *id);
/* The label of a department column: "" is the no-department bucket, NULL all. */
const char *department_label(const struct report *r, const char *name);

/* ---- renderers (text.c, csv.c, json.c, html.c; svg.c draws the charts) ---- */
int text_render(const struct report *r, FILE *f);
int csv_render(const struct report *r, FILE *f);
int json_render(const struct report *r, FILE *f);
int html_render(const struct report *r, FILE *f);
#define SVG_MINUTES_TOP 15      /* persons in the privileged-minutes chart */
void svg_daily(const struct report *r, struct sbuf *b);
void svg_minutes(const struct report *r, struct sbuf *b);
/* &, <, >, " and ' as references; the rest cleaned (clean_append). */
void html_escape(struct sbuf *b, const char *s);
