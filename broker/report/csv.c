/* The review as one CSV file that Excel opens with its Japanese intact:
 * UTF-8 with a byte order mark, CRLF line ends, RFC 4180 quoting.
 *
 * Layout (docs/report-rules.md, "CSV layout"): a first row
 * "#kagi-report,<schema version>,<language>", then sections, each
 *   an empty row,
 *   "#section,<id>,<title>,<clause IDs>",
 *   a row of column heads,
 *   the rows.
 * Every field is cleaned of control characters; a field that would start
 * with = + - @ (or their full-width forms) gets a leading apostrophe, so a
 * name such as "=HYPERLINK(…)" stays text. A lone "-" (the "not applicable"
 * mark) is left as it is: Excel reads it as text. */
#include <errno.h>
#include <string.h>

#include "report_internal.h"

struct csv {
        const struct report *r;
        FILE *f;
        struct sbuf line, cell;
        size_t fields;                        /* in the current line */
};

static bool formula_start(const char *s)
{
        static const char *const fullwidth[] = { "＝", "＋", "－", "＠" };

        if (strcmp(s, "-") == 0)
                return false;
        if (*s == '=' || *s == '+' || *s == '-' || *s == '@')
                return true;
        for (size_t i = 0; i < ARRAY_SIZE(fullwidth); i++)
                if (strncmp(s, fullwidth[i], strlen(fullwidth[i])) == 0)
                        return true;
        return false;
}

static void field(struct csv *c, const char *raw)
{
        const char *s;
        bool quote;

        sbuf_reset(&c->cell);
        clean_append(&c->cell, raw ? raw : "");
        s = sbuf_str(&c->cell);
        if (c->fields++)
                sbuf_addc(&c->line, ',');
        quote = strpbrk(s, "\",\r\n") || (*s == ' ') || (*s && s[strlen(s) - 1] == ' ');
        if (quote)
                sbuf_addc(&c->line, '"');
        if (formula_start(s))
                sbuf_addc(&c->line, '\'');
        for (; *s; s++) {
                if (*s == '"')
                        sbuf_addc(&c->line, '"');
                sbuf_addc(&c->line, *s);
        }
        if (quote)
                sbuf_addc(&c->line, '"');
}

static void end_row(struct csv *c)
{
        sbuf_adds(&c->line, "\r\n");
        if (!sbuf_failed(&c->line))
                fwrite(c->line.p, 1, c->line.len, c->f);
        sbuf_reset(&c->line);
        c->fields = 0;
}

static void section(struct csv *c, const char *id, const char *title, const char *const *clauses)
{
        struct sbuf cl = { 0 };

        end_row(c);                           /* the empty row between sections */
        if (clauses)
                clauses_format(clauses, &cl);
        field(c, "#section");
        field(c, id);
        field(c, title);
        field(c, sbuf_str(&cl));
        end_row(c);
        sbuf_free(&cl);
}

static void meta_row(void *userdata, const char *lbl, const char *value)
{
        struct csv *c = userdata;

        field(c, lbl);
        field(c, value);
        end_row(c);
}

static void summary(struct csv *c)
{
        const struct report *r = c->r;
        const struct json_object *depts = jget(r->summary, "departments"), *checks = jget(r->summary, "checks");
        const struct json_object *findings = jget(r->summary, "findings"), *rules = jget(r->summary, "rules");
        const struct json_object *legend = jget(r->summary, "legend"), *totals = jget(r->summary, "totals");
        static const char *const clauses[] = { "ACC-3", NULL };
        enum mark mk;

        section(c, "summary", label(r->lang, L_SUMMARY), clauses);
        field(c, label(r->lang, L_CHECK));
        field(c, label(r->lang, L_CLAUSE));
        for (size_t i = 0; i < jlen(depts); i++)
                field(c, department_label(r, jstr_at(depts, i)));
        end_row(c);
        for (size_t i = 0; i < jlen(checks); i++) {
                const struct json_object *row = jidx(checks, i), *marks = jget(row, "marks");

                field(c, jstr(row, "label"));
                field(c, jstr(row, "clause"));
                for (size_t d = 0; d < jlen(marks); d++) {
                        mk = MARK_NONE;
                        (void)mark_from_code(jstr_at(marks, d), &mk);
                        field(c, mark_symbol(mk));
                }
                end_row(c);
        }

        section(c, "legend", label(r->lang, L_LEGEND), NULL);
        field(c, label(r->lang, L_MARK));
        field(c, label(r->lang, L_VALUE));
        end_row(c);
        for (size_t i = 0; i < jlen(legend); i++) {
                field(c, jstr(jidx(legend, i), "symbol"));
                field(c, jstr(jidx(legend, i), "label"));
                end_row(c);
        }

        section(c, "findings", label(r->lang, L_FINDINGS), NULL);
        field(c, label(r->lang, L_MARK));
        field(c, label(r->lang, L_CLAUSE));
        field(c, label(r->lang, L_CHECK));
        field(c, label(r->lang, L_DEPARTMENT));
        field(c, label(r->lang, L_SUBJECT));
        field(c, label(r->lang, L_RULE));
        field(c, label(r->lang, L_FINDING));
        end_row(c);
        for (size_t i = 0; i < jlen(findings); i++) {
                const struct json_object *f = jidx(findings, i);
                mk = MARK_NONE;
                (void)mark_from_code(jstr(f, "mark"), &mk);
                field(c, mark_symbol(mk));
                field(c, jstr(f, "clause"));
                field(c, check_label(r, jstr(f, "check")));
                field(c, department_label(r, jstr(f, "department")));
                field(c, jstr(f, "subject"));
                field(c, jstr(f, "rule"));
                field(c, jstr(f, "message"));
                end_row(c);
        }

        section(c, "rules", label(r->lang, L_RULES), NULL);
        field(c, label(r->lang, L_MARK));
        field(c, label(r->lang, L_RULE));
        field(c, label(r->lang, L_CLAUSE));
        field(c, label(r->lang, L_VALUE));
        end_row(c);
        field(c, "");
        field(c, "");
        field(c, "");
        field(c, label(r->lang, L_RULES_INTRO));
        end_row(c);
        for (size_t i = 0; i < jlen(rules); i++) {
                const struct json_object *x = jidx(rules, i);

                mk = MARK_NONE;
                (void)mark_from_code(jstr(x, "mark"), &mk);
                field(c, mark_symbol(mk));
                field(c, jstr(x, "id"));
                field(c, jstr(x, "clause"));
                field(c, jstr(x, "text"));
                end_row(c);
        }

        section(c, "totals", label(r->lang, L_TOTALS), NULL);
        field(c, label(r->lang, L_ITEM));
        field(c, label(r->lang, L_VALUE));
        end_row(c);
        for (size_t i = 0; i < report_n_totals; i++) {
                char n[24];

                snprintf(n, sizeof(n), "%lld", (long long)jint(totals, report_totals[i].key, 0));
                field(c, label(r->lang, report_totals[i].label));
                field(c, n);
                end_row(c);
        }
}

static void listing(struct csv *c, enum table_id id)
{
        const struct table_spec *spec = &report_tables[id];
        const struct json_object *items = c->r->tables[id];
        struct sbuf v = { 0 };

        section(c, spec->id, label(c->r->lang, spec->title), report_sections[spec->section].clauses);
        for (size_t k = 0; k < spec->n_cols; k++)
                field(c, label(c->r->lang, spec->cols[k].head));
        end_row(c);
        for (size_t i = 0; i < jlen(items); i++) {
                for (size_t k = 0; k < spec->n_cols; k++) {
                        sbuf_reset(&v);
                        cell_format(c->r, &spec->cols[k], jidx(items, i), &v);
                        field(c, sbuf_str(&v));
                }
                end_row(c);
        }
        sbuf_free(&v);
}

static void integrity(struct csv *c)
{
        struct sbuf v = { 0 };

        section(c, "integrity", label(c->r->lang, L_SEC_INTEGRITY), report_sections[S_INTEGRITY].clauses);
        field(c, label(c->r->lang, L_ITEM));
        field(c, label(c->r->lang, L_VALUE));
        end_row(c);
        for (size_t k = 0; k < report_n_integrity_cols; k++) {
                sbuf_reset(&v);
                if (c->r->integrity)
                        cell_format(c->r, &report_integrity_cols[k], c->r->integrity, &v);
                else if (k == 0)
                        sbuf_adds(&v, enum_label(report_integrity_cols[0].values, c->r->lang, "false"));
                field(c, label(c->r->lang, report_integrity_cols[k].head));
                field(c, sbuf_str(&v));
                end_row(c);
        }
        sbuf_free(&v);
}

int csv_render(const struct report *r, FILE *f)
{
        struct csv c = { .r = r, .f = f };
        char version[16];
        bool oom;

        fputs("\xEF\xBB\xBF", f);             /* Excel reads UTF-8 only with it */
        snprintf(version, sizeof(version), "%d", REPORT_SCHEMA_VERSION);
        field(&c, "#kagi-report");
        field(&c, version);
        field(&c, report_lang_to_string(r->lang));
        end_row(&c);
        section(&c, "meta", label(r->lang, L_TITLE), NULL);
        field(&c, label(r->lang, L_ITEM));
        field(&c, label(r->lang, L_VALUE));
        end_row(&c);
        meta_rows(r, meta_row, &c);
        summary(&c);
        for (size_t id = 0; id < T_MAX_; id++) {
                if (id == T_DAYS)
                        integrity(&c);
                listing(&c, (enum table_id)id);
        }
        oom = sbuf_failed(&c.line) || sbuf_failed(&c.cell);
        sbuf_free(&c.line);
        sbuf_free(&c.cell);
        if (oom)
                return -ENOMEM;
        return ferror(f) ? -EIO : 0;
}
