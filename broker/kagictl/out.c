/* What every kagictl command shares: asking kagid, reading its JSON answer,
 * printing it, and the one line on stderr when something went wrong. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

int die_usage(const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "kagictl: ");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nTry 'kagictl --help'.\n");
        return EXIT_USAGE;
}

static int check_result(const struct kagi_msg *m)
{
        uint32_t d = msg_u32(m, KAGI_T_DECISION, KAGI_ERROR);

        if (d == KAGI_ALLOW)
                return 0;
        /* refusals name accounts and cards: printed escaped like everything else */
        fputs("kagictl: ", stderr);
        out_text(stderr, msg_str(m, KAGI_T_MESSAGE) ? msg_str(m, KAGI_T_MESSAGE) : kagi_decision_name(d), 0);
        fputc('\n', stderr);
        return EXIT_REFUSED;
}

int call(struct ctl *ctl, struct frame *req, client_record_cb cb, void *userdata, struct kagi_msg *ret)
{
        uid_t server = (uid_t)-1;
        int r;

        if (!req || req->error) {
                fprintf(stderr, "kagictl: request too large\n");
                return EXIT_USAGE;
        }
        r = client_call(ctl->socket, ctl->broker_uid, ctl->timeout_ms, req, cb, userdata, ret, &server);
        if (r == -EPERM) {
                fprintf(stderr, "kagictl: %s is served by uid %u, not by root%s: not kagid; refusing\n", ctl->socket,
                        (unsigned)server, ctl->broker_uid ? " or [broker] user" : "");
                return EXIT_UNREACHABLE;
        }
        if (r < 0) {
                fprintf(stderr, "kagictl: cannot talk to kagid at %s: %s\n", ctl->socket,
                        r == -ETIMEDOUT ? "timed out" : strerror(-r));
                return EXIT_UNREACHABLE;
        }
        return check_result(ret);
}

json_object *parse_json(const struct kagi_msg *m)
{
        const char *s = msg_str(m, KAGI_T_JSON);
        json_object *j = s ? json_tokener_parse(s) : NULL;

        if (!j)
                fprintf(stderr, "kagictl: kagid sent an answer that is not JSON\n");
        return j;
}

int call_json(struct ctl *ctl, struct frame *req, json_object **ret)
{
        _cleanup_(msg_freep) struct kagi_msg *m = msg_new();
        int r;

        if (!m)
                return EXIT_REFUSED;
        r = call(ctl, req, NULL, NULL, m);
        if (r)
                return r;
        *ret = parse_json(m);
        return *ret ? 0 : EXIT_REFUSED;
}

int print_json(json_object *j)
{
        puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        return 0;
}

void json_putp(json_object **j)
{
        json_object_put(*j);
}

const char *jstr(json_object *j, const char *key)
{
        json_object *v;

        if (!json_object_object_get_ex(j, key, &v) || json_object_is_type(v, json_type_null))
                return "-";
        return json_object_get_string(v);
}

int64_t jint(json_object *j, const char *key)
{
        json_object *v;

        return json_object_object_get_ex(j, key, &v) ? json_object_get_int64(v) : 0;
}

bool jbool(json_object *j, const char *key)
{
        json_object *v;

        return json_object_object_get_ex(j, key, &v) && json_object_get_boolean(v);
}

void out_text(FILE *f, const char *s, int width)
{
        char small[512];
        size_t n = text_escape_str(s, small, sizeof(small));
        _cleanup_(freep) char *big = n < sizeof(small) ? NULL : text_escape_dup(s);

        fprintf(f, "%-*s", width, big ? big : n < sizeof(small) ? small : "(out of memory)");
}

void out_field(json_object *j, const char *key, int width)
{
        out_text(stdout, jstr(j, key), width);
}

void out_row(json_object *j, const struct column *cols, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                if (i)
                        putchar(' ');
                out_field(j, cols[i].key, cols[i].width);
        }
}

struct listing {
        struct ctl *ctl;
        json_object *all;
        void (*print)(json_object *j);
};

static int on_listing(void *userdata, const struct kagi_msg *m)
{
        struct listing *l = userdata;
        json_object *j = parse_json(m);

        if (!j)
                return -EBADMSG;
        if (l->ctl->json) {
                json_object_array_add(l->all, j);
                return 0;
        }
        l->print(j);
        json_object_put(j);
        return 0;
}

int run_listing(struct ctl *ctl, struct frame *req, void (*print)(json_object *), const char *header)
{
        _cleanup_(msg_freep) struct kagi_msg *m = msg_new();
        _cleanup_(json_putp) json_object *all = json_object_new_array();
        struct listing l = { .ctl = ctl, .all = all, .print = print };
        int r;

        if (!ctl->json && header)
                puts(header);
        r = call(ctl, req, on_listing, &l, m);
        if (r)
                return r;
        if (ctl->json)
                print_json(all);
        return 0;
}
