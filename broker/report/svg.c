/* The charts of the HTML review, as inline SVG: logins and failures per day,
 * privileged minutes per person. Drawn here from the model, so the page
 * needs no script and no fetch, and prints as it shows. */
#include <string.h>

#include "report_internal.h"

#define W 760                   /* user units; the page scales the chart to its width */
#define LEFT 64
#define RIGHT 16

static const char *const months_en[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* 1, 2 or 5 × 10^k at or above v/4: four gridlines whatever the scale */
static int64_t nice_step(int64_t max)
{
        int64_t step = 1;

        while (step * 4 < max) {
                if (step * 2 * 4 >= max)
                        return step * 2;
                if (step * 5 * 4 >= max)
                        return step * 5;
                step *= 10;
        }
        return step;
}

static void svg_open(struct sbuf *b, int height, const char *id, const char *title)
{
        sbuf_addf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" "
                     "height=\"%d\" role=\"img\" aria-labelledby=\"%s\"><title id=\"%s\">", W, height, W, height, id, id);
        html_escape(b, title);
        sbuf_adds(b, "</title>");
}

static void no_data(struct sbuf *b, const struct report *r)
{
        sbuf_addf(b, "<text x=\"%d\" y=\"40\" class=\"note\">", W / 2);
        html_escape(b, label(r->lang, L_CHART_NO_DATA));
        sbuf_adds(b, "</text></svg>\n");
}

/* One panel of daily bars with its y axis; top/height in user units. */
static void panel(struct sbuf *b, const struct report *r, const char *key, const char *cls, enum label name,
                  int top, int height)
{
        const struct json_object *days = r->tables[T_DAYS];
        size_t n = jlen(days);
        int64_t max = 1, step;
        double plot = W - LEFT - RIGHT, bw = plot / (double)n;

        for (size_t i = 0; i < n; i++)
                if (jint(jidx(days, i), key, 0) > max)
                        max = jint(jidx(days, i), key, 0);
        step = nice_step(max);
        max = (max + step - 1) / step * step;
        for (int64_t v = 0; v <= max; v += step) {
                double y = top + height - (double)v * height / (double)max;

                sbuf_addf(b, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>", LEFT, y, W - RIGHT, y);
                sbuf_addf(b, "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%lld</text>", LEFT - 6,
                          y + 4, (long long)v);
        }
        sbuf_addf(b, "<text class=\"axis\" x=\"%d\" y=\"%d\">", LEFT, top - 6);
        html_escape(b, label(r->lang, name));
        sbuf_adds(b, "</text><g class=\"");
        sbuf_adds(b, cls);
        sbuf_adds(b, "\">");
        for (size_t i = 0; i < n; i++) {
                int64_t v = jint(jidx(days, i), key, 0);
                double h = (double)v * height / (double)max;

                if (v == 0)
                        continue;
                sbuf_addf(b, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"><title>", LEFT + i * bw,
                          top + height - h, bw > 2 ? bw - 1 : bw, h);
                html_escape(b, jstr(jidx(days, i), "date"));
                sbuf_addf(b, ": %lld</title></rect>", (long long)v);
        }
        sbuf_adds(b, "</g>");
}

void svg_daily(const struct report *r, struct sbuf *b)
{
        const struct json_object *days = r->tables[T_DAYS];
        size_t n = jlen(days);
        double bw;

        svg_open(b, 330, "chart-daily", label(r->lang, L_CHART_DAILY));
        if (n == 0) {
                no_data(b, r);
                return;
        }
        panel(b, r, "logins", "logins", L_COL_LOGINS, 24, 150);
        panel(b, r, "failures", "failures", L_COL_FAILURES, 210, 90);
        /* the x axis: each month's first day, or every week of a short period */
        bw = (double)(W - LEFT - RIGHT) / (double)n;
        for (size_t i = 0; i < n; i++) {
                const char *date = jstr(jidx(days, i), "date");
                unsigned month = (unsigned)(date[5] - '0') * 10 + (unsigned)(date[6] - '0');
                bool mark = n <= 62 ? i % 7 == 0 : strcmp(date + 8, "01") == 0 || i == 0;

                if (!mark || month < 1 || month > 12)
                        continue;
                sbuf_addf(b, "<line class=\"grid\" x1=\"%.1f\" y1=\"300\" x2=\"%.1f\" y2=\"306\"/>", LEFT + i * bw,
                          LEFT + i * bw);
                sbuf_addf(b, "<text class=\"tick\" x=\"%.1f\" y=\"320\">", LEFT + i * bw);
                if (n <= 62)
                        html_escape(b, date + 5);
                else if (r->lang == REPORT_JA)
                        sbuf_addf(b, "%u月", month);
                else
                        sbuf_adds(b, months_en[month - 1]);
                sbuf_adds(b, "</text>");
        }
        sbuf_adds(b, "</svg>\n");
}

void svg_minutes(const struct report *r, struct sbuf *b)
{
        const struct json_object *m = r->tables[T_MINUTES];
        size_t n = jlen(m) < SVG_MINUTES_TOP ? jlen(m) : SVG_MINUTES_TOP;
        int64_t max = 1;
        int height = 40 + (int)n * 22 + (jlen(m) > n ? 22 : 0), label_w = 180;
        struct sbuf title = { 0 }, name = { 0 };
        char top[16];
        const char *args[1] = { top };

        snprintf(top, sizeof(top), "%zu", (size_t)SVG_MINUTES_TOP);
        label_fill(&title, label(r->lang, L_CHART_MINUTES), args, 1);
        svg_open(b, n ? height : 60, "chart-minutes", sbuf_str(&title));
        sbuf_free(&title);
        if (n == 0) {
                no_data(b, r);
                return;
        }
        for (size_t i = 0; i < n; i++)
                if (jint(jidx(m, i), "minutes", 0) > max)
                        max = jint(jidx(m, i), "minutes", 0);
        for (size_t i = 0; i < n; i++) {
                const struct json_object *x = jidx(m, i);
                int64_t v = jint(x, "minutes", 0);
                double y = 24 + (double)i * 22, len = (double)v * (W - LEFT - RIGHT - label_w - 60) / (double)max;
                const char *who = jstr(x, "display_name") ? jstr(x, "display_name") : jstr(x, "person");

                /* names are untrusted and may be long: cut to what the column holds */
                sbuf_reset(&name);
                clean_append_cut(&name, who, 26);
                sbuf_addf(b, "<text class=\"name\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">", LEFT + label_w - 8, y + 14);
                html_escape(b, sbuf_str(&name));
                sbuf_addf(b, "</text><rect class=\"minutes\" x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"16\"><title>",
                          LEFT + label_w, y + 2, len < 1 ? 1 : len);
                html_escape(b, jstr(x, "person"));
                sbuf_addf(b, ": %lld</title></rect>", (long long)v);
                sbuf_addf(b, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\">%lld</text>", LEFT + label_w + len + 6, y + 14,
                          (long long)v);
        }
        if (jlen(m) > n) {
                char others[24];
                const char *a[1] = { others };

                snprintf(others, sizeof(others), "%zu", jlen(m) - n);
                sbuf_reset(&name);
                label_fill(&name, label(r->lang, L_CHART_OTHERS), a, 1);
                sbuf_addf(b, "<text class=\"note\" x=\"%d\" y=\"%d\" text-anchor=\"end\">", LEFT + label_w - 8,
                          24 + (int)n * 22 + 14);
                html_escape(b, sbuf_str(&name));
                sbuf_adds(b, "</text>");
        }
        sbuf_free(&name);
        sbuf_adds(b, "</svg>\n");
}
