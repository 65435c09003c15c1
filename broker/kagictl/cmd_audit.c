/* kagictl audit show, audit verify. */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "cli.h"

static void print_record(json_object *j)
{
        static const struct column cols[] = { { "time", 0 },     { "event", 8 },   { "result", 8 },
                                              { "account", 12 }, { "person", 12 }, { "service", 10 },
                                              { "factor", 14 },  { "terminal", 0 } };
        const char *reason = jstr(j, "reason"), *session = jstr(j, "session");

        printf("%6lld ", (long long)jint(j, "seq"));
        out_row(j, cols, ARRAY_SIZE(cols));
        if (*reason) {
                fputs(" \"", stdout);
                out_text(stdout, reason, 0);
                putchar('"');
        }
        if (*session) {
                fputs(" session=", stdout);
                out_text(stdout, session, 0);
        }
        putchar('\n');
}

/* TIME: 2026-11-21, 2026-11-21T09:00:00Z, "2026-11-21 09:00:00" (UTC), or a
 * duration meaning that long ago. */
static int parse_since(const char *s, uint64_t *ret)
{
        static const char *const formats[] = { "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S",
                                               "%Y-%m-%d" };
        uint64_t ago;

        if (parse_duration(s, &ago) == 0) {
                time_t now = time(NULL);
                *ret = (uint64_t)now > ago ? (uint64_t)now - ago : 0;
                return 0;
        }
        for (size_t i = 0; i < ARRAY_SIZE(formats); i++) {
                struct tm tm = { 0 };
                const char *end = strptime(s, formats[i], &tm);

                if (end && *end == '\0') {
                        time_t t = timegm(&tm);
                        if (t < 0)
                                return -EINVAL;
                        *ret = (uint64_t)t;
                        return 0;
                }
        }
        return -EINVAL;
}

int cmd_audit_show(struct ctl *ctl, const struct args *a)
{
        _cleanup_(frame_freep) struct frame *req = frame_new(KAGI_REQ_AUDIT_SHOW);
        uint64_t t;

        if (a->since) {
                if (parse_since(a->since, &t) < 0)
                        return die_usage("--since: '%s' is not a date, a UTC time or a duration", a->since);
                frame_put_u64(req, KAGI_T_SINCE, t);
        }
        return run_listing(ctl, req, print_record,
                           "   SEQ TIME (UTC)                  EVENT    RESULT   ACCOUNT      PERSON       SERVICE    "
                           "FACTOR         TERMINAL");
}

int cmd_audit_verify(struct ctl *ctl, const struct args *a)
{
        _cleanup_(frame_freep) struct frame *req = frame_new(KAGI_REQ_AUDIT_VERIFY);
        _cleanup_(json_putp) json_object *j = NULL;
        int r;

        (void)a;
        r = call_json(ctl, req, &j);
        if (r)
                return r;
        if (ctl->json)
                print_json(j);
        if (!jbool(j, "ok")) {
                fprintf(stderr, "kagictl: audit log verification FAILED at record %s: ", jstr(j, "first_bad"));
                out_text(stderr, jstr(j, "why"), 0);
                fputc('\n', stderr);
                return EXIT_REFUSED;
        }
        if (!ctl->json)
                printf("audit log OK: %lld records, chain intact\n", (long long)jint(j, "records"));
        return 0;
}
