/* The review as one self-contained HTML page: no script, no fetch (a
 * Content-Security-Policy says so to the browser too), local fonts only,
 * inline SVG charts, print CSS for A4, the summary coloured as a committee
 * colours its table. Every value is cleaned of control characters and
 * escaped; the markup is also well-formed XML, so strict parsers read it. */
#include <errno.h>
#include <string.h>

#include "report_internal.h"

#define FLUSH_AT (64 * 1024)

static const char css[] =
        "@page{size:A4;margin:14mm 12mm}"
        ":root{color-scheme:light}"
        "body{font-family:\"Noto Sans CJK JP\",\"Noto Sans JP\",\"Hiragino Kaku Gothic ProN\",\"Yu Gothic\","
        "Meiryo,system-ui,sans-serif;font-size:10.5pt;line-height:1.55;color:#202124;background:#fff;"
        "max-width:1120px;margin:1.5em auto;padding:0 1em}"
        "h1{font-size:18pt;margin:0 0 .2em;border-bottom:3px double #202124}"
        "p.sub{margin:0 0 1em;color:#5f6368}"
        "h2{font-size:13pt;margin:2em 0 .6em;padding:.1em .5em;border-left:6px solid #1a56a8;background:#f1f5fb;"
        "break-after:avoid}"
        "h3{font-size:11pt;margin:1.4em 0 .4em;break-after:avoid}"
        ".clauses{font-size:8.5pt;font-weight:normal;color:#3c4043;margin-left:.8em;padding:0 .4em;"
        "border:1px solid #9aa0a6;border-radius:3px;white-space:nowrap}"
        "table{border-collapse:collapse;margin:.4em 0 1em;font-size:9pt}"
        "table.list{width:100%}"
        "th,td{border:1px solid #9aa0a6;padding:2px 6px;text-align:left;vertical-align:top;overflow-wrap:break-word}"
        ".nw{white-space:nowrap}"
        "thead th{background:#e8eaed;font-weight:bold}"
        "thead{display:table-header-group}"
        "tr{break-inside:avoid}"
        "td.num{text-align:right;font-variant-numeric:tabular-nums}"
        "table.meta th{background:#f8f9fa;white-space:nowrap}"
        "table.matrix th.dept{text-align:center;min-width:3.2em}"
        "table.matrix.many th.dept{writing-mode:vertical-rl;white-space:nowrap;min-width:0;padding:4px 1px}"
        "td.m{text-align:center;font-weight:bold;font-size:11pt;padding:1px 4px}"
        ".m-good{background:#e6f4ea;color:#137333}"
        ".m-advise{background:#fef3c7;color:#a15c00}"
        ".m-fix{background:#fce8e6;color:#c5221f}"
        ".m-none{background:#f1f3f4;color:#80868b}"
        "p.legend span.m{display:inline-block;min-width:1.6em;text-align:center;font-weight:bold;margin-right:.2em}"
        "p.legend span.item{margin-right:1.4em;white-space:nowrap}"
        ".scroll{overflow-x:auto}"
        "p.none{color:#5f6368}"
        "dl.totals{display:grid;grid-template-columns:max-content max-content;gap:.1em 1.2em;font-size:9.5pt}"
        "dl.totals dd{margin:0;text-align:right;font-variant-numeric:tabular-nums}"
        "svg.chart{display:block;max-width:100%;height:auto;margin:.4em 0 1.2em;font-size:11px}"
        "svg .grid{stroke:#dadce0;stroke-width:1}"
        "svg .tick{fill:#5f6368;font-size:10px}"
        "svg .axis{fill:#202124;font-size:11px;font-weight:bold}"
        "svg .name{fill:#202124;font-size:11px}"
        "svg .note{fill:#5f6368;font-size:11px}"
        "svg .logins rect{fill:#1a56a8}"
        "svg .failures rect{fill:#c5221f}"
        "svg rect.minutes{fill:#a15c00}"
        "nav ol{columns:2;font-size:9.5pt}"
        "figure{margin:.6em 0 1.4em;break-inside:avoid}figcaption{font-weight:bold;font-size:10pt}"
        ".broken{color:#c5221f;font-weight:bold}"
        "@media print{body{max-width:none;margin:0;padding:0;font-size:9pt}nav{display:none}"
        ".scroll{overflow:visible}*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
        "section.part{break-before:page}h2{background:none}table.list{font-size:7.5pt}}";

struct html {
        const struct report *r;
        FILE *f;
        struct sbuf b, v;
};

static void flush(struct html *h, bool force)
{
        if ((force || h->b.len >= FLUSH_AT) && !sbuf_failed(&h->b)) {
                fwrite(h->b.p ? h->b.p : "", 1, h->b.len, h->f);
                sbuf_reset(&h->b);
        }
}

static void raw(struct html *h, const char *s)
{
        sbuf_adds(&h->b, s);
}

static void esc(struct html *h, const char *s)
{
        html_escape(&h->b, s);
}

void html_escape(struct sbuf *b, const char *s)
{
        struct sbuf clean = { 0 };

        if (!s)
                return;
        clean_append(&clean, s);
        for (const char *p = sbuf_str(&clean); *p; p++)
                switch (*p) {
                case '&': sbuf_adds(b, "&amp;"); break;
                case '<': sbuf_adds(b, "&lt;"); break;
                case '>': sbuf_adds(b, "&gt;"); break;
                case '"': sbuf_adds(b, "&quot;"); break;
                case '\'': sbuf_adds(b, "&#39;"); break;
                default: sbuf_addc(b, *p);
                }
        if (sbuf_failed(&clean))
                b->oom = true;
        sbuf_free(&clean);
}

static void heading(struct html *h, const char *tag, const char *id, const char *title, const char *const *clauses)
{
        struct sbuf c = { 0 };

        sbuf_addf(&h->b, "<%s id=\"%s\">", tag, id);
        esc(h, title);
        if (clauses && clauses[0]) {
                clauses_format(clauses, &c);
                raw(h, " <span class=\"clauses\">");
                esc(h, sbuf_str(&c));
                raw(h, "</span>");
        }
        sbuf_addf(&h->b, "</%s>\n", tag);
        sbuf_free(&c);
}

static void mark_cell(struct html *h, const char *tag, const char *code)
{
        enum mark mk = MARK_NONE;

        (void)mark_from_code(code, &mk);
        sbuf_addf(&h->b, "<%s class=\"m nw m-%s\" title=\"", tag, mark_code(mk));
        esc(h, label(h->r->lang, mark_label(mk)));
        sbuf_addf(&h->b, "\">%s</%s>", mark_symbol(mk), tag);
}

static void meta_row(void *userdata, const char *lbl, const char *value)
{
        struct html *h = userdata;

        raw(h, "<tr><th>");
        esc(h, lbl);
        raw(h, "</th><td>");
        esc(h, value);
        raw(h, "</td></tr>\n");
}

static void matrix(struct html *h)
{
        const struct report *r = h->r;
        const struct json_object *depts = jget(r->summary, "departments"), *checks = jget(r->summary, "checks");
        const struct json_object *legend = jget(r->summary, "legend");

        sbuf_addf(&h->b, "<div class=\"scroll\"><table class=\"matrix%s\"><thead><tr><th>",
                  jlen(depts) > 10 ? " many" : "");
        esc(h, label(r->lang, L_CHECK));
        raw(h, "</th><th>");
        esc(h, label(r->lang, L_CLAUSE));
        raw(h, "</th>");
        for (size_t i = 0; i < jlen(depts); i++) {
                raw(h, "<th class=\"dept\">");
                esc(h, department_label(r, jstr_at(depts, i)));
                raw(h, "</th>");
        }
        raw(h, "</tr></thead>\n<tbody>\n");
        for (size_t i = 0; i < jlen(checks); i++) {
                const struct json_object *row = jidx(checks, i), *marks = jget(row, "marks");

                raw(h, "<tr><th>");
                esc(h, jstr(row, "label"));
                raw(h, "</th><td class=\"nw\">");
                esc(h, jstr(row, "clause"));
                raw(h, "</td>");
                for (size_t d = 0; d < jlen(marks); d++)
                        mark_cell(h, "td", jstr_at(marks, d));
                raw(h, "</tr>\n");
        }
        raw(h, "</tbody></table></div>\n<p class=\"legend\"><strong>");
        esc(h, label(r->lang, L_LEGEND));
        raw(h, "</strong> ");
        for (size_t i = 0; i < jlen(legend); i++) {
                raw(h, "<span class=\"item\">");
                mark_cell(h, "span", jstr(jidx(legend, i), "mark"));
                esc(h, jstr(jidx(legend, i), "label"));
                raw(h, "</span>");
        }
        raw(h, "</p>\n");
}

static void totals(struct html *h)
{
        const struct json_object *t = jget(h->r->summary, "totals");

        heading(h, "h3", "totals", label(h->r->lang, L_TOTALS), NULL);
        raw(h, "<dl class=\"totals\">");
        for (size_t i = 0; i < report_n_totals; i++) {
                raw(h, "<dt>");
                esc(h, label(h->r->lang, report_totals[i].label));
                sbuf_addf(&h->b, "</dt><dd>%lld</dd>", (long long)jint(t, report_totals[i].key, 0));
        }
        raw(h, "</dl>\n");
}

static void findings(struct html *h)
{
        const struct report *r = h->r;
        const struct json_object *f = jget(r->summary, "findings");
        static const enum label heads[] = { L_MARK, L_CLAUSE, L_CHECK, L_DEPARTMENT, L_FINDING, L_RULE };

        heading(h, "h3", "findings", label(r->lang, L_FINDINGS), NULL);
        if (jlen(f) == 0) {
                raw(h, "<p class=\"none\">");
                esc(h, label(r->lang, L_NO_FINDINGS));
                raw(h, "</p>\n");
                return;
        }
        raw(h, "<table class=\"list\"><thead><tr>");
        for (size_t i = 0; i < ARRAY_SIZE(heads); i++) {
                raw(h, "<th>");
                esc(h, label(r->lang, heads[i]));
                raw(h, "</th>");
        }
        raw(h, "</tr></thead>\n<tbody>\n");
        for (size_t i = 0; i < jlen(f); i++) {
                const struct json_object *x = jidx(f, i);

                raw(h, "<tr>");
                mark_cell(h, "td", jstr(x, "mark"));
                raw(h, "<td class=\"nw\">");
                esc(h, jstr(x, "clause"));
                raw(h, "</td><td>");
                esc(h, check_label(r, jstr(x, "check")));
                raw(h, "</td><td class=\"nw\">");
                esc(h, department_label(r, jstr(x, "department")));
                raw(h, "</td><td>");
                esc(h, jstr(x, "message"));
                raw(h, "</td><td class=\"nw\">");
                esc(h, jstr(x, "rule"));
                raw(h, "</td></tr>\n");
                flush(h, false);
        }
        raw(h, "</tbody></table>\n");
}

static void rules(struct html *h)
{
        const struct report *r = h->r;
        const struct json_object *x = jget(r->summary, "rules");

        heading(h, "h3", "rules", label(r->lang, L_RULES), NULL);
        raw(h, "<p>");
        esc(h, label(r->lang, L_RULES_INTRO));
        raw(h, "</p>\n<table class=\"list\"><thead><tr><th>");
        esc(h, label(r->lang, L_MARK));
        raw(h, "</th><th>");
        esc(h, label(r->lang, L_CLAUSE));
        raw(h, "</th><th>");
        esc(h, label(r->lang, L_RULE));
        raw(h, "</th><th>");
        esc(h, label(r->lang, L_VALUE));
        raw(h, "</th></tr></thead>\n<tbody>\n");
        for (size_t i = 0; i < jlen(x); i++) {
                const struct json_object *e = jidx(x, i);

                raw(h, "<tr>");
                mark_cell(h, "td", jstr(e, "mark"));
                raw(h, "<td class=\"nw\">");
                esc(h, jstr(e, "clause"));
                raw(h, "</td><td class=\"nw\">");
                esc(h, jstr(e, "id"));
                raw(h, "</td><td>");
                esc(h, jstr(e, "text"));
                raw(h, "</td></tr>\n");
        }
        raw(h, "</tbody></table>\n");
}

static void listing(struct html *h, enum table_id id, bool sub)
{
        const struct report *r = h->r;
        const struct table_spec *spec = &report_tables[id];
        const struct json_object *items = r->tables[id];
        char anchor[64];

        /* "privileged.grants" → "privileged-grants": a valid id everywhere */
        snprintf(anchor, sizeof(anchor), "%s", spec->id);
        for (char *p = anchor; *p; p++)
                if (*p == '.' || *p == '_')
                        *p = '-';
        if (sub)
                heading(h, "h3", anchor, label(r->lang, spec->title), NULL);
        if (jlen(items) == 0) {
                raw(h, "<p class=\"none\">");
                esc(h, label(r->lang, L_NONE_ROWS));
                raw(h, "</p>\n");
                return;
        }
        raw(h, "<div class=\"scroll\"><table class=\"list\"><thead><tr>");
        for (size_t k = 0; k < spec->n_cols; k++) {
                raw(h, "<th>");
                esc(h, label(r->lang, spec->cols[k].head));
                raw(h, "</th>");
        }
        raw(h, "</tr></thead>\n<tbody>\n");
        for (size_t i = 0; i < jlen(items); i++) {
                raw(h, "<tr>");
                for (size_t k = 0; k < spec->n_cols; k++) {
                        sbuf_reset(&h->v);
                        cell_format(r, &spec->cols[k], jidx(items, i), &h->v);
                        raw(h, spec->cols[k].kind == COL_INT    ? "<td class=\"num\">"
                               : spec->cols[k].kind == COL_TIME ? "<td class=\"nw\">"
                                                                : "<td>");
                        esc(h, sbuf_str(&h->v));
                        raw(h, "</td>");
                }
                raw(h, "</tr>\n");
                flush(h, false);
        }
        raw(h, "</tbody></table></div>\n");
}

static void integrity(struct html *h)
{
        const struct report *r = h->r;
        bool broken = !r->integrity || !jbool(r->integrity, "verified") || !jbool(r->integrity, "ok");

        raw(h, "<table class=\"meta\"><tbody>\n");
        for (size_t k = 0; k < report_n_integrity_cols; k++) {
                sbuf_reset(&h->v);
                if (r->integrity)
                        cell_format(r, &report_integrity_cols[k], r->integrity, &h->v);
                else if (k == 0)
                        sbuf_adds(&h->v, enum_label(report_integrity_cols[0].values, r->lang, "false"));
                if (h->v.len == 0)
                        continue;
                raw(h, "<tr><th>");
                esc(h, label(r->lang, report_integrity_cols[k].head));
                raw(h, k <= 1 && broken ? "</th><td class=\"broken\">" : "</th><td>");
                esc(h, sbuf_str(&h->v));
                raw(h, "</td></tr>\n");
        }
        raw(h, "</tbody></table>\n");
}

/* A chart with its caption; the minutes chart words its own (top N). */
static void figure(struct html *h, const char *caption, void (*draw)(const struct report *, struct sbuf *))
{
        struct sbuf c = { 0 };
        char top[16];
        const char *args[1] = { top };

        if (!caption) {
                snprintf(top, sizeof(top), "%d", SVG_MINUTES_TOP);
                label_fill(&c, label(h->r->lang, L_CHART_MINUTES), args, 1);
                caption = sbuf_str(&c);
        }
        raw(h, "<figure><figcaption>");
        esc(h, caption);
        raw(h, "</figcaption>\n");
        draw(h->r, &h->b);
        raw(h, "</figure>\n");
        sbuf_free(&c);
}

static void contents(struct html *h)
{
        const struct report *r = h->r;

        raw(h, "<nav><h2>");
        esc(h, label(r->lang, L_CONTENTS));
        raw(h, "</h2><ol><li><a href=\"#summary\">");
        esc(h, label(r->lang, L_SUMMARY));
        raw(h, "</a></li>");
        for (size_t s = 0; s < S_MAX_; s++) {
                sbuf_addf(&h->b, "<li><a href=\"#%s\">", report_sections[s].key);
                esc(h, label(r->lang, report_sections[s].title));
                raw(h, "</a></li>");
        }
        raw(h, "</ol></nav>\n");
}

int html_render(const struct report *r, FILE *f)
{
        struct html h = { .r = r, .f = f };
        static const char *const summary_clauses[] = { "ACC-3", NULL };
        bool oom;

        raw(&h, "<!DOCTYPE html>\n");
        sbuf_addf(&h.b, "<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\"/>\n", report_lang_to_string(r->lang));
        /* the page may load nothing at all: no script, font, image or frame */
        raw(&h, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                "style-src 'unsafe-inline'; img-src data:\"/>\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
                "<meta name=\"generator\" content=\"kagi\"/>\n<title>");
        esc(&h, label(r->lang, L_TITLE));
        raw(&h, " - ");
        esc(&h, r->meta.host);
        raw(&h, "</title>\n<style>");
        raw(&h, css);
        raw(&h, "</style>\n</head>\n<body>\n<header><h1>");
        esc(&h, label(r->lang, L_TITLE));
        raw(&h, "</h1><p class=\"sub\">");
        esc(&h, label(r->lang, L_SUBTITLE));
        raw(&h, "</p>\n<table class=\"meta\"><tbody>\n");
        meta_rows(r, meta_row, &h);
        raw(&h, "</tbody></table></header>\n");
        contents(&h);

        raw(&h, "<section id=\"summary-part\">\n");
        heading(&h, "h2", "summary", label(r->lang, L_SUMMARY), summary_clauses);
        matrix(&h);
        findings(&h);
        totals(&h);
        heading(&h, "h3", "charts", label(r->lang, L_CHARTS), NULL);
        figure(&h, label(r->lang, L_CHART_DAILY), svg_daily);
        figure(&h, NULL, svg_minutes);
        rules(&h);
        raw(&h, "</section>\n");
        flush(&h, false);

        for (size_t s = 0; s < S_MAX_; s++) {
                const struct section_spec *sec = &report_sections[s];
                size_t n_tables = 0;

                sbuf_addf(&h.b, "<section class=\"part\" id=\"%s-part\">\n", sec->key);
                heading(&h, "h2", sec->key, label(r->lang, sec->title), sec->clauses);
                for (size_t id = 0; id < T_MAX_; id++)
                        n_tables += report_tables[id].section == s;
                if (s == S_INTEGRITY)
                        integrity(&h);
                for (size_t id = 0; id < T_MAX_; id++)
                        if (report_tables[id].section == s)
                                listing(&h, (enum table_id)id, n_tables > 1);
                raw(&h, "</section>\n");
                flush(&h, false);
        }
        raw(&h, "</body>\n</html>\n");
        oom = sbuf_failed(&h.b) || sbuf_failed(&h.v);
        flush(&h, true);
        sbuf_free(&h.b);
        sbuf_free(&h.v);
        if (oom)
                return -ENOMEM;
        return ferror(f) ? -EIO : 0;
}
