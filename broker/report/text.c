/* The review for a terminal: aligned columns measured in display cells, so
 * Japanese names line up; every value cleaned of control characters. */
#include <errno.h>
#include <string.h>

#include "report_internal.h"

#define TEXT_CELL_MAX 40        /* cells; wider values are cut, except in the last column */
#define TEXT_LINE_MAX 120       /* a summary wider than this is printed transposed */

typedef void (*cell_cb)(void *userdata, size_t row, size_t col, struct sbuf *b);

struct text {
        const struct report *r;
        FILE *f;
        bool cut;                             /* some value was cut: say so at the end */
        struct sbuf line;                     /* a table row, written without trailing blanks */
};

static void pad(struct sbuf *b, size_t n)
{
        for (size_t i = 0; i < n; i++)
                sbuf_addc(b, ' ');
}

static void end_line(struct text *t)
{
        size_t n = t->line.len;

        while (n > 0 && t->line.p[n - 1] == ' ')
                n--;
        if (n > 0 && !sbuf_failed(&t->line))
                fwrite(t->line.p, 1, n, t->f);
        fputc('\n', t->f);
        sbuf_reset(&t->line);
}

/* One cell as printed: cleaned, and cut unless it is the last column. */
static void shown(struct text *t, const char *raw, bool last, struct sbuf *out)
{
        sbuf_reset(out);
        if (last) {
                clean_append(out, raw);
                return;
        }
        clean_append_cut(out, raw, TEXT_CELL_MAX);
        if (clean_width(sbuf_str(out)) == TEXT_CELL_MAX && clean_width(raw) > TEXT_CELL_MAX)
                t->cut = true;
}

/* Two passes over the cells: widths first, then the lines. Columns empty in
 * every row are left out. */
static void table(struct text *t, size_t n_cols, const char *const *heads, size_t n_rows, cell_cb cell,
                  void *userdata)
{
        _cleanup_(freep) size_t *w = calloc(n_cols ? n_cols : 1, sizeof(*w));
        _cleanup_(freep) bool *used = calloc(n_cols ? n_cols : 1, sizeof(*used));
        struct sbuf raw = { 0 }, out = { 0 };
        size_t last = 0;

        if (!w || !used)
                return;
        for (size_t row = 0; row < n_rows; row++)
                for (size_t c = 0; c < n_cols; c++) {
                        size_t cw;

                        sbuf_reset(&raw);
                        cell(userdata, row, c, &raw);
                        shown(t, sbuf_str(&raw), false, &out);
                        cw = clean_width(sbuf_str(&out));
                        if (cw > 0)
                                used[c] = true;
                        if (cw > w[c])
                                w[c] = cw;
                }
        for (size_t c = 0; c < n_cols; c++)
                if (used[c]) {
                        size_t hw;

                        sbuf_reset(&out);
                        clean_append(&out, heads[c]);
                        hw = clean_width(sbuf_str(&out));
                        if (hw > w[c])
                                w[c] = hw;
                        last = c;
                }
        for (size_t c = 0; c < n_cols; c++) {
                if (!used[c])
                        continue;
                sbuf_reset(&out);
                clean_append(&out, heads[c]);
                sbuf_adds(&t->line, sbuf_str(&out));
                if (c != last)
                        pad(&t->line, w[c] - clean_width(sbuf_str(&out)) + 2);
        }
        end_line(t);
        for (size_t c = 0; c < n_cols; c++) {
                if (!used[c])
                        continue;
                for (size_t i = 0; i < w[c]; i++)
                        sbuf_addc(&t->line, '-');
                if (c != last)
                        pad(&t->line, 2);
        }
        end_line(t);
        for (size_t row = 0; row < n_rows; row++) {
                for (size_t c = 0; c < n_cols; c++) {
                        if (!used[c])
                                continue;
                        sbuf_reset(&raw);
                        cell(userdata, row, c, &raw);
                        shown(t, sbuf_str(&raw), c == last, &out);
                        sbuf_adds(&t->line, sbuf_str(&out));
                        if (c != last)
                                pad(&t->line, w[c] - clean_width(sbuf_str(&out)) + 2);
                }
                end_line(t);
        }
        sbuf_free(&raw);
        sbuf_free(&out);
}

static void heading(struct text *t, const char *title, const char *const *clauses)
{
        struct sbuf b = { 0 };

        sbuf_adds(&b, title);
        if (clauses && clauses[0]) {
                sbuf_adds(&b, " [");
                clauses_format(clauses, &b);
                sbuf_adds(&b, "]");
        }
        fprintf(t->f, "\n== %s ==\n", sbuf_str(&b));
        sbuf_free(&b);
}

static void subheading(struct text *t, const char *title)
{
        fprintf(t->f, "\n-- %s --\n", title);
}

/* ---- key / value rows ------------------------------------------------------ */

struct pairs {
        const char *labels[16];
        char *values[16];
        size_t n;
};

static void pair_add(void *userdata, const char *lbl, const char *value)
{
        struct pairs *p = userdata;

        if (p->n < ARRAY_SIZE(p->labels)) {
                p->labels[p->n] = lbl;
                p->values[p->n] = strdup(value ? value : "");
                p->n++;
        }
}

static void pairs_print(struct text *t, struct pairs *p)
{
        size_t w = 0;
        struct sbuf out = { 0 };

        for (size_t i = 0; i < p->n; i++)
                if (clean_width(p->labels[i]) > w)
                        w = clean_width(p->labels[i]);
        for (size_t i = 0; i < p->n; i++) {
                sbuf_adds(&t->line, p->labels[i]);
                pad(&t->line, w - clean_width(p->labels[i]) + 2);
                clean_append(&t->line, p->values[i]);
                end_line(t);
                free(p->values[i]);
        }
        p->n = 0;
        sbuf_free(&out);
}

/* ---- the summary ----------------------------------------------------------- */

struct matrix {
        const struct report *r;
        const struct json_object *depts, *checks;
        bool transposed;
};

static void matrix_cell(void *userdata, size_t row, size_t col, struct sbuf *b)
{
        const struct matrix *m = userdata;
        size_t check = m->transposed ? col - 1 : row, d = m->transposed ? row : col - 2;
        const struct json_object *c = jidx(m->checks, check);
        enum mark mk = MARK_NONE;

        if (!m->transposed && col == 0) {
                sbuf_adds(b, jstr(c, "label"));
                return;
        }
        if (!m->transposed && col == 1) {
                sbuf_adds(b, jstr(c, "clause"));
                return;
        }
        if (m->transposed && col == 0) {
                sbuf_adds(b, department_label(m->r, jstr_at(m->depts, d)));
                return;
        }
        (void)mark_from_code(jstr_at(jget(c, "marks"), d), &mk);
        sbuf_adds(b, mark_symbol(mk));
}

static void summary_table(struct text *t)
{
        const struct report *r = t->r;
        struct matrix m = { r, jget(r->summary, "departments"), jget(r->summary, "checks"), false };
        size_t n_depts = jlen(m.depts), n_checks = jlen(m.checks), width = 0;
        _cleanup_(freep) const char **heads = NULL;

        heads = calloc(n_depts + n_checks + 2, sizeof(*heads));
        if (!heads)
                return;
        width = clean_width(label(r->lang, L_CHK_PRIV_HOLDERS)) + 8;
        for (size_t i = 0; i < n_depts; i++)
                width += clean_width(department_label(r, jstr_at(m.depts, i))) + 2;
        m.transposed = width > TEXT_LINE_MAX;
        if (!m.transposed) {
                heads[0] = label(r->lang, L_CHECK);
                heads[1] = label(r->lang, L_CLAUSE);
                for (size_t i = 0; i < n_depts; i++)
                        heads[i + 2] = department_label(r, jstr_at(m.depts, i));
                table(t, n_depts + 2, heads, n_checks, matrix_cell, &m);
        } else {
                fprintf(t->f, "%s\n", label(r->lang, L_TRANSPOSED_NOTE));
                heads[0] = label(r->lang, L_DEPARTMENT);
                for (size_t i = 0; i < n_checks; i++)
                        heads[i + 1] = jstr(jidx(m.checks, i), "clause");
                table(t, n_checks + 1, heads, n_depts, matrix_cell, &m);
                fputc('\n', t->f);
                for (size_t i = 0; i < n_checks; i++)
                        fprintf(t->f, "%-7s %s\n", jstr(jidx(m.checks, i), "clause"),
                                jstr(jidx(m.checks, i), "label"));
        }
}

static void legend(struct text *t)
{
        const struct json_object *l = jget(t->r->summary, "legend");

        fprintf(t->f, "\n%s: ", label(t->r->lang, L_LEGEND));
        for (size_t i = 0; i < jlen(l); i++)
                fprintf(t->f, "%s%s%s%s", i ? "  " : "", jstr(jidx(l, i), "symbol"),
                        t->r->lang == REPORT_JA ? "：" : " ", jstr(jidx(l, i), "label"));
        fputc('\n', t->f);
}

static void finding_cell(void *userdata, size_t row, size_t col, struct sbuf *b)
{
        const struct report *r = userdata;
        const struct json_object *f = jidx(jget(r->summary, "findings"), row);
        enum mark mk = MARK_NONE;

        switch (col) {
        case 0:
                (void)mark_from_code(jstr(f, "mark"), &mk);
                sbuf_adds(b, mark_symbol(mk));
                break;
        case 1:
                sbuf_adds(b, jstr(f, "clause"));
                break;
        case 2:
                sbuf_adds(b, check_label(r, jstr(f, "check")));
                break;
        case 3:
                sbuf_adds(b, department_label(r, jstr(f, "department")));
                break;
        default:
                sbuf_adds(b, jstr(f, "message"));
        }
}

static void rule_cell(void *userdata, size_t row, size_t col, struct sbuf *b)
{
        const struct report *r = userdata;
        const struct json_object *x = jidx(jget(r->summary, "rules"), row);
        enum mark mk = MARK_NONE;

        switch (col) {
        case 0:
                (void)mark_from_code(jstr(x, "mark"), &mk);
                sbuf_adds(b, mark_symbol(mk));
                break;
        case 1:
                sbuf_adds(b, jstr(x, "id"));
                break;
        default:
                sbuf_adds(b, jstr(x, "text"));
        }
}

static void totals(struct text *t)
{
        const struct json_object *tot = jget(t->r->summary, "totals");
        struct pairs p = { 0 };
        char n[16][24];

        for (size_t i = 0; i < report_n_totals && i < ARRAY_SIZE(n); i++) {
                snprintf(n[i], sizeof(n[i]), "%lld", (long long)jint(tot, report_totals[i].key, 0));
                pair_add(&p, label(t->r->lang, report_totals[i].label), n[i]);
        }
        pairs_print(t, &p);
}

static void summary(struct text *t)
{
        const struct report *r = t->r;
        const struct json_object *findings = jget(r->summary, "findings");
        static const char *const clauses[] = { "ACC-3", NULL };
        const char *heads[5] = {
                label(r->lang, L_MARK), label(r->lang, L_CLAUSE), label(r->lang, L_CHECK),
                label(r->lang, L_DEPARTMENT), label(r->lang, L_FINDING),
        };
        const char *rule_heads[3] = { label(r->lang, L_MARK), label(r->lang, L_RULE), label(r->lang, L_VALUE) };

        heading(t, label(r->lang, L_SUMMARY), clauses);
        summary_table(t);
        legend(t);
        heading(t, label(r->lang, L_TOTALS), NULL);
        totals(t);
        heading(t, label(r->lang, L_FINDINGS), NULL);
        if (jlen(findings) == 0)
                fprintf(t->f, "%s\n", label(r->lang, L_NO_FINDINGS));
        else
                table(t, 5, heads, jlen(findings), finding_cell, (void *)r);
        heading(t, label(r->lang, L_RULES), NULL);
        fprintf(t->f, "%s\n\n", label(r->lang, L_RULES_INTRO));
        table(t, 3, rule_heads, jlen(jget(r->summary, "rules")), rule_cell, (void *)r);
}

/* ---- the sections ---------------------------------------------------------- */

struct listing {
        const struct report *r;
        const struct table_spec *spec;
        const struct json_object *items;
};

static void listing_cell(void *userdata, size_t row, size_t col, struct sbuf *b)
{
        const struct listing *l = userdata;

        cell_format(l->r, &l->spec->cols[col], jidx(l->items, row), b);
}

static void listing(struct text *t, enum table_id id)
{
        const struct table_spec *spec = &report_tables[id];
        struct listing l = { t->r, spec, t->r->tables[id] };
        const char *heads[32];

        if (jlen(l.items) == 0) {
                fprintf(t->f, "%s\n", label(t->r->lang, L_NONE_ROWS));
                return;
        }
        for (size_t c = 0; c < spec->n_cols && c < ARRAY_SIZE(heads); c++)
                heads[c] = label(t->r->lang, spec->cols[c].head);
        table(t, spec->n_cols, heads, jlen(l.items), listing_cell, &l);
}

static void integrity(struct text *t)
{
        struct pairs p = { 0 };
        struct sbuf b = { 0 };

        if (!t->r->integrity) {
                pair_add(&p, label(t->r->lang, L_COL_VERIFIED),
                         enum_label(report_integrity_cols[0].values, t->r->lang, "false"));
                pairs_print(t, &p);
                return;
        }
        for (size_t k = 0; k < report_n_integrity_cols; k++) {
                sbuf_reset(&b);
                cell_format(t->r, &report_integrity_cols[k], t->r->integrity, &b);
                if (b.len > 0)
                        pair_add(&p, label(t->r->lang, report_integrity_cols[k].head), sbuf_str(&b));
        }
        pairs_print(t, &p);
        sbuf_free(&b);
}

/* A year of days is too long for a terminal: months, with their sums. */
struct month {
        char key[8];
        int64_t logins, failures, locks;
};

struct months {
        struct month *m;
        size_t n;
        enum report_lang lang;
};

static void month_cell(void *userdata, size_t row, size_t col, struct sbuf *b)
{
        const struct months *ms = userdata;
        const struct month *m = &ms->m[row];

        switch (col) {
        case 0:
                sbuf_adds(b, m->key);
                break;
        case 1:
                sbuf_addf(b, "%lld", (long long)m->logins);
                break;
        case 2:
                sbuf_addf(b, "%lld", (long long)m->failures);
                break;
        default:
                sbuf_addf(b, "%lld", (long long)m->locks);
        }
}

static void series(struct text *t)
{
        const struct json_object *days = t->r->tables[T_DAYS];
        _cleanup_(freep) struct month *m = calloc(jlen(days) ? jlen(days) : 1, sizeof(*m));
        struct months ms = { m, 0, t->r->lang };
        const char *heads[4] = {
                label(t->r->lang, L_COL_MONTH), label(t->r->lang, L_COL_LOGINS),
                label(t->r->lang, L_COL_FAILURES), label(t->r->lang, L_COL_LOCKS),
        };

        if (!m)
                return;
        if (jlen(days) == 0) {
                fprintf(t->f, "%s\n", label(t->r->lang, L_NONE_ROWS));
                return;
        }
        for (size_t i = 0; i < jlen(days); i++) {
                const struct json_object *d = jidx(days, i);
                const char *date = jstr(d, "date");
                size_t k;

                /* days come in order; a month seen before is looked for anyway */
                for (k = 0; k < ms.n; k++)
                        if (strncmp(m[k].key, date, 7) == 0)
                                break;
                if (k == ms.n) {
                        memcpy(m[k].key, date, 7);
                        ms.n++;
                }
                m[k].logins += jint(d, "logins", 0);
                m[k].failures += jint(d, "failures", 0);
                m[k].locks += jint(d, "locks", 0);
        }
        subheading(t, label(t->r->lang, L_TAB_MONTHS));
        table(t, 4, heads, ms.n, month_cell, &ms);
}

static void sections(struct text *t)
{
        for (size_t s = 0; s < S_MAX_; s++) {
                const struct section_spec *sec = &report_sections[s];
                size_t n_tables = 0;

                heading(t, label(t->r->lang, sec->title), sec->clauses);
                if (s == S_INTEGRITY) {
                        integrity(t);
                        continue;
                }
                if (s == S_SERIES) {
                        series(t);
                        continue;
                }
                for (size_t id = 0; id < T_MAX_; id++)
                        n_tables += report_tables[id].section == s;
                for (size_t id = 0; id < T_MAX_; id++) {
                        if (report_tables[id].section != s)
                                continue;
                        if (n_tables > 1)
                                subheading(t, label(t->r->lang, report_tables[id].title));
                        listing(t, (enum table_id)id);
                }
        }
}

int text_render(const struct report *r, FILE *f)
{
        struct text t = { .r = r, .f = f };
        struct pairs p = { 0 };
        char n[16];
        const char *args[1] = { n };
        struct sbuf note = { 0 };
        bool oom;

        fprintf(f, "%s\n%s\n\n", label(r->lang, L_TITLE), label(r->lang, L_SUBTITLE));
        meta_rows(r, pair_add, &p);
        pairs_print(&t, &p);
        summary(&t);
        sections(&t);
        if (t.cut) {
                snprintf(n, sizeof(n), "%d", TEXT_CELL_MAX);
                label_fill(&note, label(r->lang, L_CUT_NOTE), args, 1);
                fprintf(f, "\n%s\n", sbuf_str(&note));
                sbuf_free(&note);
        }
        oom = sbuf_failed(&t.line);
        sbuf_free(&t.line);
        if (oom)
                return -ENOMEM;
        return ferror(f) ? -EIO : 0;
}
