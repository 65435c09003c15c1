/* What the report computes instead of trusting the gatherer: dormant
 * accounts, role holders and their use, privileged minutes per person, how
 * long each lock lasted. One rule each, tested here, so kagid only gathers
 * facts. */
#include <errno.h>
#include <string.h>

#include "report_internal.h"

struct json_object *report_account(const struct report *r, const char *name)
{
        return name ? jget(r->by_name, name) : NULL;
}

const char *report_department(const struct report *r, const struct json_object *item, const char *who)
{
        const char *d = jstr(item, "department");

        return d ? d : jstr(report_account(r, jstr(item, who)), "department");
}

const char *report_display_name(const struct report *r, const struct json_object *item, const char *who)
{
        const char *d = jstr(item, "display_name");

        return d ? d : jstr(report_account(r, jstr(item, who)), "display_name");
}

/* dst.to = src.from, sharing the value (json-c counts references) */
static void copy(struct json_object *dst, const struct json_object *src, const char *from, const char *to)
{
        struct json_object *v = jget(src, from);

        if (v)
                json_object_object_add(dst, to, json_object_get(v));
}

static void add_str(struct json_object *dst, const char *key, const char *s)
{
        if (s)
                json_object_object_add(dst, key, json_object_new_string(s));
}

/* A new array kept alive by the report. */
static struct json_object *owned_array(struct report *r)
{
        struct json_object *a = json_object_new_array();

        if (a && json_object_array_add(r->own, a) < 0) {
                json_object_put(a);
                return NULL;
        }
        return a;
}

static int index_accounts(struct report *r)
{
        const struct json_object *a = r->tables[T_ACCOUNTS];

        r->by_name = json_object_new_object();
        if (!r->by_name)
                return -ENOMEM;
        for (size_t i = 0; i < jlen(a); i++) {
                struct json_object *item = jidx(a, i);
                const char *name = jstr(item, "name");

                /* the first entry of a name wins: later duplicates are still listed */
                if (!jget(r->by_name, name))
                        json_object_object_add(r->by_name, name, json_object_get(item));
        }
        return 0;
}

static int derive_dormant(struct report *r)
{
        const struct json_object *a = r->tables[T_ACCOUNTS];
        struct json_object *out = owned_array(r);
        int64_t limit = r->meta.dormant_days * 86400;

        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < jlen(a); i++) {
                struct json_object *acc = jidx(a, i), *d;
                int64_t last, created;
                bool never = !jstr(acc, "last_success");

                if (!never) {
                        if (time_parse(jstr(acc, "last_success"), &last) < 0 || r->meta.to - last < limit)
                                continue;
                } else if (time_parse(jstr(acc, "created"), &created) == 0 &&
                           r->meta.to - created < limit) {
                        continue;      /* new: it has had less than N days to be used */
                }
                d = json_object_new_object();
                if (!d)
                        return -ENOMEM;
                copy(d, acc, "name", "account");
                copy(d, acc, "display_name", "display_name");
                copy(d, acc, "type", "type");
                copy(d, acc, "department", "department");
                copy(d, acc, "last_success", "last_success");
                if (!never)
                        json_object_object_add(d, "idle_days", json_object_new_int64((r->meta.to - last) / 86400));
                json_object_object_add(d, "never", json_object_new_boolean(never));
                copy(d, acc, "created", "created");
                json_object_array_add(out, d);
        }
        r->tables[T_DORMANT] = out;
        return 0;
}

/* A grant that was used: pending and denied ones never opened anything. */
static bool grant_used(const struct json_object *g)
{
        const char *end = jstr(g, "end");

        return end && strcmp(end, "denied") != 0 && strcmp(end, "pending") != 0;
}

struct use {
        int64_t grants, minutes, break_glass;
        const char *last;                     /* requested_at of the latest grant */
        int64_t last_t;
};

static void count(struct use *u, const struct json_object *g)
{
        int64_t t;

        u->grants++;
        u->minutes += jint(g, "actual_minutes", 0);
        u->break_glass += jbool(g, "break_glass");
        if (time_parse(jstr(g, "requested_at"), &t) == 0 && (!u->last || t > u->last_t)) {
                u->last = jstr(g, "requested_at");
                u->last_t = t;
        }
}

/* uses[] indexed through a json object of key → position */
struct tally {
        struct json_object *index;
        struct use *uses;
        size_t n;
};

static struct use *tally_get(struct tally *t, const char *key)
{
        struct json_object *pos = jget(t->index, key);

        if (pos)
                return &t->uses[json_object_get_int64(pos)];
        json_object_object_add(t->index, key, json_object_new_int64((int64_t)t->n));
        t->uses[t->n] = (struct use){ 0 };
        return &t->uses[t->n++];
}

static void tally_free(struct tally *t)
{
        json_object_put(t->index);
        free(t->uses);
}

static int derive_holders(struct report *r)
{
        const struct json_object *roles = r->tables[T_ROLES], *grants = r->tables[T_GRANTS];
        _cleanup_(tally_free) struct tally t = { 0 };
        struct json_object *out = owned_array(r);
        struct sbuf key = { 0 };
        size_t slots = 0;

        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < jlen(roles); i++)
                slots += jlen(jget(jidx(roles, i), "holders"));
        t.index = json_object_new_object();
        t.uses = calloc(slots ? slots : 1, sizeof(*t.uses));
        if (!t.index || !t.uses)
                return -ENOMEM;
        /* holders first, so grants of non-holders are not counted here */
        for (size_t i = 0; i < jlen(roles); i++) {
                struct json_object *role = jidx(roles, i), *h = jget(role, "holders");

                for (size_t j = 0; j < jlen(h); j++) {
                        sbuf_reset(&key);
                        sbuf_addf(&key, "%s\x1f%s", jstr(role, "name"), jstr_at(h, j));
                        tally_get(&t, sbuf_str(&key));
                }
        }
        for (size_t i = 0; i < jlen(grants); i++) {
                struct json_object *g = jidx(grants, i), *pos;

                if (!grant_used(g))
                        continue;
                sbuf_reset(&key);
                sbuf_addf(&key, "%s\x1f%s", jstr(g, "role"), jstr(g, "person"));
                pos = jget(t.index, sbuf_str(&key));
                if (pos)
                        count(&t.uses[json_object_get_int64(pos)], g);
        }
        for (size_t i = 0; i < jlen(roles); i++) {
                struct json_object *role = jidx(roles, i), *h = jget(role, "holders");

                for (size_t j = 0; j < jlen(h); j++) {
                        const char *person = jstr_at(h, j);
                        struct json_object *acc = report_account(r, person), *o;
                        struct use *u;

                        sbuf_reset(&key);
                        sbuf_addf(&key, "%s\x1f%s", jstr(role, "name"), person);
                        u = &t.uses[json_object_get_int64(jget(t.index, sbuf_str(&key)))];
                        o = json_object_new_object();
                        if (!o)
                                break;
                        copy(o, role, "name", "role");
                        add_str(o, "person", person);
                        copy(o, acc, "display_name", "display_name");
                        copy(o, acc, "department", "department");
                        json_object_object_add(o, "grants", json_object_new_int64(u->grants));
                        json_object_object_add(o, "minutes", json_object_new_int64(u->minutes));
                        add_str(o, "last_grant", u->last);
                        json_object_array_add(out, o);
                }
        }
        r->tables[T_HOLDERS] = out;
        if (sbuf_failed(&key)) {
                sbuf_free(&key);
                return -ENOMEM;
        }
        sbuf_free(&key);
        return 0;
}

static int by_minutes(const void *a, const void *b)
{
        const struct json_object *x = *(const struct json_object *const *)a;
        const struct json_object *y = *(const struct json_object *const *)b;
        int64_t mx = jint(x, "minutes", 0), my = jint(y, "minutes", 0);

        if (mx != my)
                return mx > my ? -1 : 1;
        return strcmp(jstr(x, "person"), jstr(y, "person"));
}

static int derive_minutes(struct report *r)
{
        const struct json_object *grants = r->tables[T_GRANTS];
        _cleanup_(tally_free) struct tally t = { 0 };
        struct json_object *out = owned_array(r), *first;

        if (!out)
                return -ENOMEM;
        t.index = json_object_new_object();
        t.uses = calloc(jlen(grants) ? jlen(grants) : 1, sizeof(*t.uses));
        /* the first grant of each person names them and their department */
        first = json_object_new_object();
        if (!t.index || !t.uses || !first) {
                json_object_put(first);
                return -ENOMEM;
        }
        for (size_t i = 0; i < jlen(grants); i++) {
                struct json_object *g = jidx(grants, i);
                const char *person = jstr(g, "person");

                if (!grant_used(g))
                        continue;
                if (!jget(first, person))
                        json_object_object_add(first, person, json_object_get(g));
                count(tally_get(&t, person), g);
        }
        json_object_object_foreach(t.index, person, pos) {
                struct use *u = &t.uses[json_object_get_int64(pos)];
                struct json_object *g = jget(first, person), *o = json_object_new_object();
                const char *dept = report_department(r, g, "person");
                const char *name = report_display_name(r, g, "person");

                if (!o)
                        break;
                add_str(o, "person", person);
                add_str(o, "display_name", name);
                add_str(o, "department", dept);
                json_object_object_add(o, "grants", json_object_new_int64(u->grants));
                json_object_object_add(o, "minutes", json_object_new_int64(u->minutes));
                json_object_object_add(o, "break_glass", json_object_new_int64(u->break_glass));
                json_object_array_add(out, o);
        }
        json_object_put(first);
        json_object_array_sort(out, by_minutes);
        r->tables[T_MINUTES] = out;
        return 0;
}

static int derive_locks(struct report *r)
{
        const struct json_object *locks = r->tables[T_LOCKS];
        const struct table_spec *t = &report_tables[T_LOCKS];
        struct json_object *out = owned_array(r);

        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < jlen(locks); i++) {
                struct json_object *l = jidx(locks, i), *o = json_object_new_object();
                int64_t from = 0, until;

                if (!o)
                        return -ENOMEM;
                for (size_t k = 0; k < t->n_cols; k++)
                        if (strcmp(t->cols[k].key, "locked_minutes") != 0)
                                copy(o, l, t->cols[k].key, t->cols[k].key);
                /* still locked: it has lasted until the end of the period so far */
                (void)time_parse(jstr(l, "locked_at"), &from);
                if (time_parse(jstr(l, "unlocked_at"), &until) < 0)
                        until = r->meta.to;
                json_object_object_add(o, "locked_minutes",
                                       json_object_new_int64(until > from ? (until - from) / 60 : 0));
                json_object_array_add(out, o);
        }
        r->tables[T_LOCKS] = out;
        return 0;
}

int report_derive(struct report *r)
{
        int k;

        k = index_accounts(r);
        if (k < 0)
                return k;
        k = derive_dormant(r);
        if (k < 0)
                return k;
        k = derive_holders(r);
        if (k < 0)
                return k;
        k = derive_minutes(r);
        if (k < 0)
                return k;
        return derive_locks(r);
}
