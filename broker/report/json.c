/* The review as JSON, the model of docs/report.schema.json: the sections
 * checked and normalised (only the members the schema names, invalid UTF-8
 * replaced), the derived sections and the summary. Written item by item, so
 * a listing of tens of thousands of rows never exists twice in memory. */
#include <errno.h>
#include <string.h>

#include "report_internal.h"

/* one item a line; meta and the summary, which people read, indented */
#define JSON_ITEM (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define JSON_PRETTY (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)

/* A new reference to v, with every string in it valid UTF-8. */
static struct json_object *repaired(struct json_object *v)
{
        struct json_object *out;
        char *fixed = NULL;

        switch (json_object_get_type(v)) {
        case json_type_string:
                if (utf8_repair(json_object_get_string(v), (size_t)json_object_get_string_len(v), &fixed) < 0)
                        return NULL;
                if (!fixed)
                        return json_object_get(v);
                out = json_object_new_string(fixed);
                free(fixed);
                return out;
        case json_type_array:
                out = json_object_new_array_ext((int)jlen(v));
                for (size_t i = 0; out && i < jlen(v); i++)
                        json_object_array_add(out, repaired(jidx(v, i)));
                return out;
        case json_type_object:
                out = json_object_new_object();
                if (!out)
                        return NULL;
                json_object_object_foreach(v, key, child) {
                        char *k = NULL;

                        if (utf8_repair(key, strlen(key), &k) < 0) {
                                json_object_put(out);
                                return NULL;
                        }
                        json_object_object_add(out, k ? k : key, repaired(child));
                        free(k);
                }
                return out;
        default:
                return json_object_get(v);
        }
}

static struct json_object *events(struct json_object *v)
{
        static const char *const keys[] = { "time", "factor", "terminal" };
        struct json_object *out = json_object_new_array();

        for (size_t i = 0; out && i < jlen(v); i++) {
                struct json_object *e = json_object_new_object();

                for (size_t k = 0; e && k < ARRAY_SIZE(keys); k++) {
                        struct json_object *x = jget(jidx(v, i), keys[k]);

                        if (x)
                                json_object_object_add(e, keys[k], repaired(x));
                }
                json_object_array_add(out, e);
        }
        return out;
}

/* The item with only the members its columns name. */
static struct json_object *item_out(const struct column *cols, size_t n_cols, const struct json_object *item)
{
        struct json_object *out = json_object_new_object();

        for (size_t k = 0; out && k < n_cols; k++) {
                struct json_object *v = jget(item, cols[k].key);

                if (!v)
                        continue;
                json_object_object_add(out, cols[k].key, cols[k].kind == COL_EVENTS ? events(v) : repaired(v));
        }
        return out;
}

static int put(FILE *f, struct json_object *o, int flags)
{
        const char *s;

        if (!o)
                return -ENOMEM;
        s = json_object_to_json_string_ext(o, flags);
        if (!s) {
                json_object_put(o);
                return -ENOMEM;
        }
        fputs(s, f);
        json_object_put(o);
        return 0;
}

static struct json_object *clauses(const char *const *c)
{
        struct json_object *a = json_object_new_array();

        for (size_t i = 0; a && i < 4 && c[i]; i++)
                json_object_array_add(a, json_object_new_string(c[i]));
        return a;
}

static struct json_object *meta_out(const struct report *r)
{
        const struct json_object *meta = jget(r->model, "meta"), *period = jget(meta, "period");
        struct json_object *o = json_object_new_object(), *p = json_object_new_object();
        static const char *const optional[] = { "organisation", "generator", "departments" };

        if (!o || !p) {
                json_object_put(o);
                json_object_put(p);
                return NULL;
        }
        json_object_object_add(o, "schema_version", json_object_new_int(REPORT_SCHEMA_VERSION));
        json_object_object_add(o, "generated", repaired(jget(meta, "generated")));
        json_object_object_add(p, "from", repaired(jget(period, "from")));
        json_object_object_add(p, "to", repaired(jget(period, "to")));
        json_object_object_add(o, "period", p);
        json_object_object_add(o, "language", json_object_new_string(report_lang_to_string(r->lang)));
        json_object_object_add(o, "dormant_days", json_object_new_int64(r->meta.dormant_days));
        json_object_object_add(o, "host", repaired(jget(meta, "host")));
        json_object_object_add(o, "utc_offset_minutes", json_object_new_int(r->meta.offset_min));
        for (size_t i = 0; i < ARRAY_SIZE(optional); i++)
                if (jget(meta, optional[i]))
                        json_object_object_add(o, optional[i], repaired(jget(meta, optional[i])));
        if (r->meta.directory) {
                struct json_object *d = json_object_new_object();

                json_object_object_add(d, "backend", repaired(jget(jget(meta, "directory"), "backend")));
                json_object_object_add(d, "answered", json_object_new_boolean(r->meta.directory_answered));
                json_object_object_add(d, "unanswered", json_object_new_int64(r->meta.directory_unanswered));
                json_object_object_add(o, "directory", d);
        }
        return o;
}

static int integrity_out(const struct report *r, FILE *f)
{
        struct json_object *o;

        if (r->integrity) {
                o = item_out(report_integrity_cols, report_n_integrity_cols, r->integrity);
        } else {
                /* nothing was verified: say so rather than leave the member out */
                o = json_object_new_object();
                if (o) {
                        json_object_object_add(o, "verified", json_object_new_boolean(false));
                        json_object_object_add(o, "ok", json_object_new_boolean(false));
                        json_object_object_add(o, "records", json_object_new_int(0));
                }
        }
        if (!o)
                return -ENOMEM;
        json_object_object_add(o, "clauses", clauses(report_sections[S_INTEGRITY].clauses));
        return put(f, o, JSON_ITEM);
}

static int section_out(const struct report *r, enum section_id s, FILE *f)
{
        const struct section_spec *sec = &report_sections[s];
        int k;

        fprintf(f, "\"%s\": {\"clauses\": ", sec->key);
        k = put(f, clauses(sec->clauses), JSON_ITEM);
        if (k < 0)
                return k;
        for (size_t id = 0; id < T_MAX_; id++) {
                const struct table_spec *t = &report_tables[id];
                const struct json_object *items = r->tables[id];

                if (t->section != s)
                        continue;
                fprintf(f, ",\n\"%s\": [", t->member);
                for (size_t i = 0; i < jlen(items); i++) {
                        fputs(i ? ",\n" : "\n", f);
                        k = put(f, item_out(t->cols, t->n_cols, jidx(items, i)), JSON_ITEM);
                        if (k < 0)
                                return k;
                }
                fputs(jlen(items) ? "\n]" : "]", f);
        }
        fputs("}", f);
        return 0;
}

int json_render(const struct report *r, FILE *f)
{
        int k;

        fputs("{\n\"meta\": ", f);
        k = put(f, meta_out(r), JSON_PRETTY);
        if (k < 0)
                return k;
        for (size_t s = 0; s < S_MAX_; s++) {
                fputs(",\n", f);
                if (s == S_INTEGRITY) {
                        fputs("\"integrity\": ", f);
                        k = integrity_out(r, f);
                } else {
                        k = section_out(r, (enum section_id)s, f);
                }
                if (k < 0)
                        return k;
        }
        fputs(",\n\"summary\": ", f);
        k = put(f, repaired(r->summary), JSON_PRETTY);
        if (k < 0)
                return k;
        fputs("\n}\n", f);
        return ferror(f) ? -EIO : 0;
}
