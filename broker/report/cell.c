/* How one value of the model reads in the report: times at the report's
 * offset, enumerated values and factors in words, lists joined. The result
 * is still raw text; each renderer escapes it for its format. */
#include <string.h>

#include "report_internal.h"

static const char *list_separator(enum report_lang lang)
{
        return lang == REPORT_JA ? "、" : ", ";
}

/* "card+pin" → "ICカード+PIN" */
static void factor_set(const struct column *c, enum report_lang lang, const char *s, struct sbuf *b)
{
        char part[64];

        while (*s) {
                size_t n = strcspn(s, "+");

                if (n < sizeof(part)) {
                        memcpy(part, s, n);
                        part[n] = '\0';
                        sbuf_adds(b, enum_label(c->values, lang, part));
                } else {
                        sbuf_add(b, s, n);
                }
                s += n;
                if (*s == '+') {
                        sbuf_addc(b, '+');
                        s++;
                }
        }
}

void cell_format(const struct report *r, const struct column *c, const struct json_object *item,
                 struct sbuf *b)
{
        struct json_object *v = jget(item, c->key);
        char buf[32];
        int64_t t;

        /* a listing that names an account or a person but not who they are:
         * the account inventory knows */
        if (!v && (strcmp(c->key, "display_name") == 0 || strcmp(c->key, "department") == 0)) {
                const char *name = jstr(item, "person") ? jstr(item, "person") : jstr(item, "account");

                v = jget(report_account(r, name), c->key);
        }
        if (!v)
                return;
        switch (c->kind) {
        case COL_STR:
        case COL_DATE:
                sbuf_adds(b, json_object_get_string(v));
                break;
        case COL_TIME:
                if (time_parse(json_object_get_string(v), &t) == 0) {
                        time_format(t, r->meta.offset_min, buf);
                        sbuf_adds(b, buf);
                }
                break;
        case COL_INT:
                sbuf_addf(b, "%lld", (long long)json_object_get_int64(v));
                break;
        case COL_BOOL:
                if (c->values)
                        sbuf_adds(b, enum_label(c->values, r->lang, json_object_get_boolean(v) ? "true" : "false"));
                else
                        sbuf_adds(b, label(r->lang, json_object_get_boolean(v) ? L_YES : L_NO));
                break;
        case COL_ENUM:
                sbuf_adds(b, enum_label(c->values, r->lang, json_object_get_string(v)));
                break;
        case COL_LIST:
        case COL_ENUMLIST:
                for (size_t i = 0; i < jlen(v); i++) {
                        if (i)
                                sbuf_adds(b, list_separator(r->lang));
                        if (c->kind == COL_LIST)
                                sbuf_adds(b, jstr_at(v, i));
                        else
                                factor_set(c, r->lang, jstr_at(v, i), b);
                }
                break;
        case COL_EVENTS:
                for (size_t i = 0; i < jlen(v); i++) {
                        struct json_object *e = jidx(v, i);

                        if (i)
                                sbuf_adds(b, list_separator(r->lang));
                        if (time_parse(jstr(e, "time"), &t) == 0) {
                                time_format(t, r->meta.offset_min, buf);
                                sbuf_adds(b, buf);
                        }
                        if (jstr(e, "factor"))
                                sbuf_addf(b, " %s", jstr(e, "factor"));
                        if (jstr(e, "terminal"))
                                sbuf_addf(b, " %s", jstr(e, "terminal"));
                }
                break;
        }
}

void clauses_format(const char *const *clauses, struct sbuf *b)
{
        for (size_t i = 0; i < 4 && clauses[i]; i++) {
                if (i)
                        sbuf_addc(b, ' ');
                sbuf_adds(b, clauses[i]);
        }
}

const char *check_label(const struct report *r, const char *id)
{
        const struct json_object *checks = jget(r->summary, "checks");

        for (size_t i = 0; id && i < jlen(checks); i++)
                if (strcmp(jstr(jidx(checks, i), "id"), id) == 0)
                        return jstr(jidx(checks, i), "label");
        return id;
}

const char *department_label(const struct report *r, const char *name)
{
        if (!name)
                return label(r->lang, L_ALL_DEPARTMENTS);
        return *name ? name : label(r->lang, L_NO_DEPARTMENT);
}

void meta_rows(const struct report *r, meta_row_cb row, void *userdata)
{
        const struct report_meta *m = &r->meta;
        struct sbuf b = { 0 };
        char from[32], to[32], era_from[48], era_to[48], offset[16], n[24];
        const char *args[1] = { n };

        time_format(m->from, m->offset_min, from);
        time_format(m->to, m->offset_min, to);
        offset_format(m->offset_min, offset);
        if (m->organisation)
                row(userdata, label(r->lang, L_ORGANISATION), m->organisation);
        if (r->lang == REPORT_JA) {
                /* a municipal document dates itself in the era; the ISO times follow */
                date_format_era(m->from, m->offset_min, era_from);
                date_format_era(m->to, m->offset_min, era_to);
                sbuf_addf(&b, "%s～%s（%s ～ %s）", era_from, era_to, from, to);
        } else {
                sbuf_addf(&b, "%s – %s", from, to);
        }
        row(userdata, label(r->lang, L_PERIOD), sbuf_str(&b));
        time_format(m->generated, m->offset_min, from);
        row(userdata, label(r->lang, L_GENERATED), from);
        row(userdata, label(r->lang, L_HOST), m->host);
        snprintf(n, sizeof(n), "%lld", (long long)m->dormant_days);
        sbuf_reset(&b);
        label_fill(&b, label(r->lang, L_DORMANT_DAYS), args, 1);
        row(userdata, label(r->lang, L_DORMANT_RULE), sbuf_str(&b));
        row(userdata, label(r->lang, L_TIMES_IN), offset);
        if (m->directory) {
                const char *dir_args[2] = { m->directory, n };

                snprintf(n, sizeof(n), "%lld", (long long)m->directory_unanswered);
                sbuf_reset(&b);
                label_fill(&b, label(r->lang, m->directory_answered ? L_DIRECTORY_ANSWERED : L_DIRECTORY_UNANSWERED),
                           dir_args, 2);
                row(userdata, label(r->lang, L_DIRECTORY), sbuf_str(&b));
        }
        if (m->generator)
                row(userdata, label(r->lang, L_GENERATOR), m->generator);
        snprintf(n, sizeof(n), "%d", REPORT_SCHEMA_VERSION);
        row(userdata, label(r->lang, L_SCHEMA), n);
        sbuf_free(&b);
}
