/* The model as the renderers need it: checked once (version, members, types,
 * times, enumerated values), then read through accessors that never fail. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "report_internal.h"

struct json_object *jget(const struct json_object *o, const char *key)
{
        struct json_object *v = NULL;

        if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
                return NULL;
        return json_object_is_type(v, json_type_null) ? NULL : v;
}

const char *jstr(const struct json_object *o, const char *key)
{
        struct json_object *v = jget(o, key);

        /* json_object_get_string() only converts (and so changes) non-strings */
        return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

int64_t jint(const struct json_object *o, const char *key, int64_t dflt)
{
        struct json_object *v = jget(o, key);

        return v && json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : dflt;
}

bool jbool(const struct json_object *o, const char *key)
{
        struct json_object *v = jget(o, key);

        return v && json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

size_t jlen(const struct json_object *a)
{
        return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

struct json_object *jidx(const struct json_object *a, size_t i)
{
        return i < jlen(a) ? json_object_array_get_idx(a, i) : NULL;
}

const char *jstr_at(const struct json_object *a, size_t i)
{
        struct json_object *v = jidx(a, i);

        return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static int bad(char *err, size_t errsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(char *err, size_t errsz, const char *fmt, ...)
{
        va_list ap;

        if (err && errsz > 0) {
                va_start(ap, fmt);
                vsnprintf(err, errsz, fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

static bool is_string_list(const struct json_object *v, const struct enum_label *values)
{
        if (!json_object_is_type(v, json_type_array))
                return false;
        for (size_t i = 0; i < jlen(v); i++) {
                const char *s = jstr_at(v, i);
                char part[64];

                if (!s)
                        return false;
                if (!values)
                        continue;
                /* factor sets are written "card+pin": each part must be known */
                while (*s) {
                        size_t n = strcspn(s, "+");

                        if (n == 0 || n >= sizeof(part))
                                return false;
                        memcpy(part, s, n);
                        part[n] = '\0';
                        if (!enum_known(values, part))
                                return false;
                        s += n;
                        if (*s == '+' && !*++s)
                                return false;
                }
        }
        return true;
}

static bool is_events(const struct json_object *v)
{
        int64_t t;

        if (!json_object_is_type(v, json_type_array))
                return false;
        for (size_t i = 0; i < jlen(v); i++) {
                struct json_object *e = jidx(v, i);
                struct json_object *f = jget(e, "factor"), *term = jget(e, "terminal");

                if (!json_object_is_type(e, json_type_object) || time_parse(jstr(e, "time"), &t) < 0)
                        return false;
                if ((f && !json_object_is_type(f, json_type_string)) ||
                    (term && !json_object_is_type(term, json_type_string)))
                        return false;
        }
        return true;
}

static const char *check_value(const struct column *c, const struct json_object *v)
{
        int64_t t;

        switch (c->kind) {
        case COL_STR:
                return json_object_is_type(v, json_type_string) ? NULL : "not a string";
        case COL_TIME:
                if (!json_object_is_type(v, json_type_string) || time_parse(json_object_get_string((struct json_object *)v), &t) < 0)
                        return "not an RFC 3339 time";
                return NULL;
        case COL_DATE:
                if (!json_object_is_type(v, json_type_string) || date_parse(json_object_get_string((struct json_object *)v), &t) < 0)
                        return "not a YYYY-MM-DD date";
                return NULL;
        case COL_INT:
                if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
                        return "not an integer >= 0";
                return NULL;
        case COL_BOOL:
                return json_object_is_type(v, json_type_boolean) ? NULL : "not true or false";
        case COL_ENUM:
                if (!json_object_is_type(v, json_type_string) ||
                    !enum_known(c->values, json_object_get_string((struct json_object *)v)))
                        return "not one of the values the schema allows";
                return NULL;
        case COL_LIST:
                return is_string_list(v, NULL) ? NULL : "not an array of strings";
        case COL_ENUMLIST:
                return is_string_list(v, c->values) ? NULL : "not an array of known values";
        case COL_EVENTS:
                return is_events(v) ? NULL : "not an array of {time, factor, terminal}";
        }
        return "unknown column kind";
}

static int check_item(const struct table_spec *t, size_t i, const struct json_object *item,
                      char *err, size_t errsz)
{
        const char *sec = report_sections[t->section].key;

        if (!json_object_is_type(item, json_type_object))
                return bad(err, errsz, "%s.%s[%zu]: not an object", sec, t->member, i);
        for (size_t k = 0; k < t->n_cols; k++) {
                const struct column *c = &t->cols[k];
                struct json_object *v = jget(item, c->key);
                const char *why;

                /* computed here: whatever the model says is replaced */
                if (t->section == S_LOCKS && strcmp(c->key, "locked_minutes") == 0)
                        continue;
                if (!v) {
                        if (c->required)
                                return bad(err, errsz, "%s.%s[%zu].%s: missing", sec, t->member, i, c->key);
                        continue;
                }
                why = check_value(c, v);
                if (why)
                        return bad(err, errsz, "%s.%s[%zu].%s: %s", sec, t->member, i, c->key, why);
        }
        return 0;
}

static int load_tables(struct report *r, char *err, size_t errsz)
{
        for (size_t s = 0; s < S_MAX_; s++) {
                struct json_object *sec = jget(r->model, report_sections[s].key);

                if (sec && !json_object_is_type(sec, json_type_object))
                        return bad(err, errsz, "%s: not an object", report_sections[s].key);
        }
        for (size_t id = 0; id < T_MAX_; id++) {
                const struct table_spec *t = &report_tables[id];
                struct json_object *sec = jget(r->model, report_sections[t->section].key);
                struct json_object *a = jget(sec, t->member);
                int k;

                if (t->derived)
                        continue;
                if (a && !json_object_is_type(a, json_type_array))
                        return bad(err, errsz, "%s.%s: not an array", report_sections[t->section].key,
                                   t->member);
                for (size_t i = 0; i < jlen(a); i++) {
                        k = check_item(t, i, jidx(a, i), err, errsz);
                        if (k < 0)
                                return k;
                }
                r->tables[id] = a;
        }
        return 0;
}

static int load_integrity(struct report *r, char *err, size_t errsz)
{
        struct json_object *in = jget(r->model, "integrity");

        if (!in)
                return 0;              /* not verified: the summary says × */
        for (size_t k = 0; k < report_n_integrity_cols; k++) {
                const struct column *c = &report_integrity_cols[k];
                struct json_object *v = jget(in, c->key);
                const char *why;

                if (!v) {
                        if (c->required)
                                return bad(err, errsz, "integrity.%s: missing", c->key);
                        continue;
                }
                why = check_value(c, v);
                if (why)
                        return bad(err, errsz, "integrity.%s: %s", c->key, why);
        }
        r->integrity = in;
        return 0;
}

static int meta_time(const struct json_object *o, const char *path, const char *key, int64_t *ret,
                     char *err, size_t errsz)
{
        const char *s = jstr(o, key);

        if (!s)
                return bad(err, errsz, "%s%s: missing", path, key);
        if (time_parse(s, ret) < 0)
                return bad(err, errsz, "%s%s: not an RFC 3339 time", path, key);
        return 0;
}

/* meta.directory, optional: whether the names, departments and groups are
 * all there. */
static int load_directory(const struct json_object *d, struct report_meta *m, char *err, size_t errsz)
{
        struct json_object *answered = jget(d, "answered"), *unanswered = jget(d, "unanswered");

        if (!d)
                return 0;
        if (!json_object_is_type(d, json_type_object) || !jstr(d, "backend"))
                return bad(err, errsz, "meta.directory.backend: missing");
        if (!answered || !json_object_is_type(answered, json_type_boolean))
                return bad(err, errsz, "meta.directory.answered: missing or not a boolean");
        if (unanswered && (!json_object_is_type(unanswered, json_type_int) || json_object_get_int64(unanswered) < 0))
                return bad(err, errsz, "meta.directory.unanswered: not an integer >= 0");
        m->directory = jstr(d, "backend");
        m->directory_answered = json_object_get_boolean(answered);
        m->directory_unanswered = jint(d, "unanswered", 0);
        return 0;
}

static int load_meta(struct report *r, char *err, size_t errsz)
{
        struct json_object *meta = jget(r->model, "meta"), *period, *v;
        struct report_meta *m = &r->meta;
        int k;

        if (!meta || !json_object_is_type(meta, json_type_object))
                return bad(err, errsz, "meta: missing");
        v = jget(meta, "schema_version");
        if (!v || !json_object_is_type(v, json_type_int))
                return bad(err, errsz, "meta.schema_version: missing");
        if (json_object_get_int64(v) != REPORT_SCHEMA_VERSION)
                return bad(err, errsz, "meta.schema_version: %lld, this kagi reads version %d",
                           (long long)json_object_get_int64(v), REPORT_SCHEMA_VERSION);
        k = meta_time(meta, "meta.", "generated", &m->generated, err, errsz);
        if (k < 0)
                return k;
        period = jget(meta, "period");
        if (!period)
                return bad(err, errsz, "meta.period: missing");
        k = meta_time(period, "meta.period.", "from", &m->from, err, errsz);
        if (k < 0)
                return k;
        k = meta_time(period, "meta.period.", "to", &m->to, err, errsz);
        if (k < 0)
                return k;
        if (m->to < m->from)
                return bad(err, errsz, "meta.period: ends before it starts");
        m->dormant_days = jint(meta, "dormant_days", 0);
        if (m->dormant_days < 1 || m->dormant_days > 36500)
                return bad(err, errsz, "meta.dormant_days: missing or not 1..36500");
        m->host = jstr(meta, "host");
        if (!m->host)
                return bad(err, errsz, "meta.host: missing");
        v = jget(meta, "utc_offset_minutes");
        if (v) {
                if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < -720 ||
                    json_object_get_int64(v) > 840)
                        return bad(err, errsz, "meta.utc_offset_minutes: not -720..840");
                m->offset_min = (int)json_object_get_int64(v);
        }
        m->organisation = jstr(meta, "organisation");
        m->generator = jstr(meta, "generator");
        v = jget(meta, "departments");
        if (v && !is_string_list(v, NULL))
                return bad(err, errsz, "meta.departments: not an array of strings");
        m->departments = v;
        return load_directory(jget(meta, "directory"), m, err, errsz);
}

int report_load(const struct json_object *model, enum report_lang lang, struct report **ret,
                char *err, size_t errsz)
{
        _cleanup_(report_freep) struct report *r = NULL;
        int k;

        if (err && errsz > 0)
                err[0] = '\0';
        if (!model || !json_object_is_type(model, json_type_object))
                return bad(err, errsz, "the model is not a JSON object");
        if ((unsigned)lang >= REPORT_LANG_MAX_)
                return bad(err, errsz, "unknown language");
        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->model = model;
        r->lang = lang;
        r->own = json_object_new_array();
        if (!r->own)
                return -ENOMEM;
        k = load_meta(r, err, errsz);
        if (k < 0)
                return k;
        k = load_tables(r, err, errsz);
        if (k < 0)
                return k;
        k = load_integrity(r, err, errsz);
        if (k < 0)
                return k;
        k = report_derive(r);
        if (k < 0)
                return k;
        k = summary_compute(r);
        if (k < 0)
                return k;
        *ret = r;
        r = NULL;
        return 0;
}

void report_free(struct report *r)
{
        if (!r)
                return;
        json_object_put(r->summary);
        json_object_put(r->by_name);
        json_object_put(r->own);
        free(r);
}

int report_check(const struct json_object *model, char *err, size_t errsz)
{
        _cleanup_(report_freep) struct report *r = NULL;

        return report_load(model, REPORT_EN, &r, err, errsz);
}

int report_summarize(const struct json_object *model, enum report_lang lang,
                     struct json_object **ret_summary, char *err, size_t errsz)
{
        _cleanup_(report_freep) struct report *r = NULL;
        int k = report_load(model, lang, &r, err, errsz);

        if (k < 0)
                return k;
        *ret_summary = json_object_get(r->summary);
        return 0;
}
