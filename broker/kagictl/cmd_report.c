/* kagictl report review: asks kagid for the account review's model, puts its
 * RECORD frames back together (docs/protocol.md, "The account review"),
 * and renders it with libkagi-report, which computes the summary itself.
 *
 * --out FILE is written 0600 (the review names people, their departments
 * and when they logged in), to a new file beside FILE that replaces it only
 * once the whole review is written. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "report.h"

#define MODEL_MAX (256u << 20)                /* bytes of JSON kagid may send, in all */

/* ---- the period ------------------------------------------------------------ */

/* DATE: 2025-04-01 (a day of this host's calendar: from its first second,
 * or with end_of_day to its last), 2025-04-01T09:00:00 (this host's time)
 * or 2025-04-01T00:00:00Z (UTC). */
static int parse_date(const char *s, bool end_of_day, uint64_t *ret)
{
        struct tm tm = { 0 };
        const char *end;
        time_t t;

        end = strptime(s, "%Y-%m-%d", &tm);
        if (end && *end == '\0') {
                tm.tm_isdst = -1;
                if (end_of_day)
                        tm.tm_mday++;
                t = mktime(&tm);
                if (t == (time_t)-1 || (end_of_day && t == 0))
                        return -EINVAL;
                *ret = (uint64_t)(end_of_day ? t - 1 : t);
                return 0;
        }
        memset(&tm, 0, sizeof(tm));
        end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        if (!end || (*end != '\0' && strcmp(end, "Z") != 0))
                return -EINVAL;
        tm.tm_isdst = -1;
        t = *end == 'Z' ? timegm(&tm) : mktime(&tm);
        if (t == (time_t)-1 || t < 0)
                return -EINVAL;
        *ret = (uint64_t)t;
        return 0;
}

/* ---- the model, back together ---------------------------------------------- */

static const char *const sections[] = { "meta", "accounts", "factors", "locks", "privileged",
                                        "shared", "cards", "integrity", "series" };

struct assembly {
        json_object *model;
        size_t bytes;
        int64_t records, items;
        bool failed;                          /* said so; the rest is read and dropped */
};

static bool known_section(const char *s)
{
        for (size_t i = 0; s && i < ARRAY_SIZE(sections); i++)
                if (strcmp(sections[i], s) == 0)
                        return true;
        return false;
}

/* model[section], made an object if it is not one yet. */
static json_object *section_of(json_object *model, const char *name)
{
        json_object *s;

        if (json_object_object_get_ex(model, name, &s) && json_object_is_type(s, json_type_object))
                return s;
        s = json_object_new_object();
        json_object_object_add(model, name, s);
        return s;
}

static int add_record(struct assembly *a, json_object *rec)
{
        json_object *section, *value, *member, *items, *into;
        const char *name;

        if (!json_object_object_get_ex(rec, "section", &section) ||
            !known_section(name = json_object_get_string(section)))
                return -EBADMSG;
        if (json_object_object_get_ex(rec, "value", &value)) {
                if (!json_object_is_type(value, json_type_object))
                        return -EBADMSG;
                json_object_object_add(a->model, name, json_object_get(value));
                return 0;
        }
        if (!json_object_object_get_ex(rec, "member", &member) || !json_object_is_type(member, json_type_string) ||
            !json_object_object_get_ex(rec, "items", &items) || !json_object_is_type(items, json_type_array))
                return -EBADMSG;
        section = section_of(a->model, name);
        if (!json_object_object_get_ex(section, json_object_get_string(member), &into) ||
            !json_object_is_type(into, json_type_array)) {
                into = json_object_new_array();
                json_object_object_add(section, json_object_get_string(member), into);
        }
        for (size_t i = 0; i < json_object_array_length(items); i++)
                json_object_array_add(into, json_object_get(json_object_array_get_idx(items, i)));
        a->items += (int64_t)json_object_array_length(items);
        return 0;
}

/* Errors are noted rather than returned: kagid's RESULT is still read, so
 * that its own refusal, if any, is the one line shown. */
static int on_record(void *userdata, const struct kagi_msg *m)
{
        struct assembly *a = userdata;
        _cleanup_(json_putp) json_object *rec = NULL;

        a->records++;
        if (a->failed)
                return 0;
        a->bytes += m->f[KAGI_T_JSON].len;
        if (a->bytes > MODEL_MAX) {
                fprintf(stderr, "kagictl: kagid sent more than %u MiB for the review; nothing is written\n",
                        MODEL_MAX >> 20);
                a->failed = true;
                return 0;
        }
        rec = parse_json(m);
        if (!rec || add_record(a, rec) < 0) {
                if (rec)
                        fprintf(stderr, "kagictl: kagid sent a part of the review this kagictl does not know\n");
                a->failed = true;
        }
        return 0;
}

/* The RESULT says how much was sent: a cut model is never rendered. */
static int check_complete(const struct assembly *a, const struct kagi_msg *m)
{
        _cleanup_(json_putp) json_object *j = NULL;

        if (a->failed)
                return EXIT_REFUSED;
        j = parse_json(m);
        if (!j)
                return EXIT_REFUSED;
        if (jint(j, "records") != a->records || jint(j, "items") != a->items) {
                fprintf(stderr, "kagictl: the review arrived incomplete (%lld of %lld records)\n",
                        (long long)a->records, (long long)jint(j, "records"));
                return EXIT_REFUSED;
        }
        return 0;
}

/* ---- writing it ----------------------------------------------------------- */

static int render_to(json_object *model, enum report_format f, enum report_lang lang, FILE *out, const char *what)
{
        char err[512];
        int r = report_render(model, f, lang, out, err, sizeof(err));

        if (r == 0 && fflush(out) != 0)
                r = -errno;
        if (r < 0) {
                fprintf(stderr, "kagictl: %s: %s\n", what, r == -EINVAL ? err : strerror(-r));
                return EXIT_REFUSED;
        }
        return 0;
}

/* Written whole to FILE.XXXXXX (0600), then renamed over FILE. */
static int render_file(json_object *model, enum report_format f, enum report_lang lang, const char *path)
{
        _cleanup_(freep) char *tmp = NULL;
        _cleanup_(fclosep) FILE *out = NULL;
        int fd, r;

        if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
                return EXIT_REFUSED;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0) {
                fprintf(stderr, "kagictl: --out %s: %s\n", path, strerror(errno));
                return EXIT_REFUSED;
        }
        out = fdopen(fd, "w");
        if (!out) {
                close(fd);
                unlink(tmp);
                return EXIT_REFUSED;
        }
        r = render_to(model, f, lang, out, path);
        if (r == 0) {
                bool ok = fsync(fd) == 0;
                FILE *done = out;

                out = NULL;
                if (fclose(done) != 0 || !ok) {
                        fprintf(stderr, "kagictl: --out %s: %s\n", path, strerror(errno));
                        r = EXIT_REFUSED;
                }
        }
        if (r == 0 && rename(tmp, path) < 0) {
                fprintf(stderr, "kagictl: --out %s: %s\n", path, strerror(errno));
                r = EXIT_REFUSED;
        }
        if (r != 0)
                unlink(tmp);
        return r;
}

/* Without --lang: kagid's [broker] language, which it puts in meta.language. */
static enum report_lang kagid_language(json_object *model)
{
        enum report_lang l = REPORT_EN;
        json_object *meta, *lang;

        if (json_object_object_get_ex(model, "meta", &meta) && json_object_object_get_ex(meta, "language", &lang))
                report_lang_from_string(json_object_get_string(lang), &l);
        return l;
}

int cmd_report_review(struct ctl *ctl, const struct args *a)
{
        _cleanup_(frame_freep) struct frame *req = frame_new(KAGI_REQ_REPORT);
        _cleanup_(msg_freep) struct kagi_msg *m = msg_new();
        _cleanup_(json_putp) json_object *model = json_object_new_object();
        struct assembly as = { .model = model };
        enum report_format format = REPORT_TEXT;
        enum report_lang lang;
        uint64_t t, days;
        int r;

        if (!req || !m || !model)
                return EXIT_REFUSED;
        if (a->format && report_format_from_string(a->format, &format) < 0)
                return die_usage("--format: '%s' is not text, csv, json or html", a->format);
        if (a->lang && report_lang_from_string(a->lang, &lang) < 0)
                return die_usage("--lang: '%s' is neither ja nor en", a->lang);
        if (a->from) {
                if (parse_date(a->from, false, &t) < 0)
                        return die_usage("--from: '%s' is not a date (2025-04-01) or a time (2025-04-01T09:00:00)",
                                         a->from);
                frame_put_u64(req, KAGI_T_SINCE, t);
        }
        if (a->to) {
                if (parse_date(a->to, true, &t) < 0)
                        return die_usage("--to: '%s' is not a date (2025-09-30) or a time (2025-09-30T18:00:00)",
                                         a->to);
                frame_put_u64(req, KAGI_T_UNTIL, t);
        }
        if (a->dormant_days) {
                if (parse_uint(a->dormant_days, 36500, &days) < 0 || days == 0)
                        return die_usage("--dormant-days: '%s' is not a number of days from 1 to 36500",
                                         a->dormant_days);
                frame_put_u32(req, KAGI_T_DAYS, (uint32_t)days);
        }
        r = call(ctl, req, on_record, &as, m);
        if (r)
                return r;
        r = check_complete(&as, m);
        if (r)
                return r;
        if (!a->lang)
                lang = kagid_language(model);
        if (a->out)
                return render_file(model, format, lang, a->out);
        return render_to(model, format, lang, stdout, "stdout");
}
