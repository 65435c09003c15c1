/* kagictl grant request, approve, deny, revoke, extend, list: privileged
 * access by grant. Asking, approving and extending prove the person afresh:
 * kagictl asks for their password and a verification code — on the
 * terminal without echo, or one per line on standard input when that is
 * not a terminal — and kagid checks them (counted toward their lock). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define SECRET_MAX 512

/* One line, without its newline; from the terminal without echo. Read a
 * byte at a time, so that no copy of it stays in a stdio buffer and the
 * next line (the code, on a pipe) is still there for the next call. */
static int read_secret(const char *prompt, char *buf, size_t size)
{
        struct tty_quiet q;
        size_t n = 0;
        int r = tty_quiet_begin(&q, STDIN_FILENO);

        if (r < 0 && r != -ENOTTY) {
                fprintf(stderr, "kagictl: cannot turn off echo on the terminal: %s\n", strerror(-r));
                return r;
        }
        if (q.on)
                fprintf(stderr, "%s", prompt);
        for (;;) {
                char ch;
                ssize_t got = read(STDIN_FILENO, &ch, 1);

                if (got < 0 && errno == EINTR)
                        continue;
                if (got <= 0 || ch == '\n')
                        break;
                if (n + 1 < size)
                        buf[n++] = ch;
        }
        buf[n] = '\0';
        if (q.on)
                fputc('\n', stderr);
        tty_quiet_end(&q);
        n = strcspn(buf, "\r");
        buf[n] = '\0';
        return n ? 0 : -ENODATA;
}

/* The person's password and code, into the request. */
static int put_factors(struct frame *req)
{
        char password[SECRET_MAX], code[32];
        int r = read_secret("Your password: ", password, sizeof(password));

        if (r >= 0)
                r = read_secret("Verification code: ", code, sizeof(code));
        if (r >= 0) {
                frame_put_str(req, KAGI_T_PASSWORD, password);
                frame_put_str(req, KAGI_T_CODE, code);
        }
        secret_wipe(password, sizeof(password));
        secret_wipe(code, sizeof(code));
        if (r < 0)
                fprintf(stderr, "kagictl: a password and a verification code are needed\n");
        return r;
}

static int parse_id(const char *s, uint64_t *ret)
{
        if (!s || parse_uint(s, INT64_MAX, ret) < 0 || *ret == 0)
                return die_usage("'%s' is not a grant number", s ? s : "");
        return 0;
}

static int parse_span(const char *what, const char *s, uint64_t *ret)
{
        if (!s)
                return die_usage("%s DURATION is required (e.g. 30m, 2h)", what);
        if (parse_duration(s, ret) < 0 || *ret == 0)
                return die_usage("%s: '%s' is not a duration like 30m, 2h", what, s);
        return 0;
}

static void print_grant(json_object *j)
{
        printf("grant %s: ", jstr(j, "id"));
        out_field(j, "state", 0);
        printf(", role ");
        out_field(j, "role", 0);
        printf(" for ");
        out_field(j, "person", 0);
        if (strcmp(jstr(j, "ends"), "-") != 0) {
                printf(", until ");
                out_field(j, "ends", 0);
        }
        if (jbool(j, "break_glass"))
                printf(" (break-glass)");
        if (jint(j, "pending_extension_seconds"))
                printf(" (extension by %lld min waits for approval)",
                       (long long)(jint(j, "pending_extension_seconds") / 60));
        putchar('\n');
}

static int call_grant(struct ctl *ctl, struct frame *req)
{
        _cleanup_(json_putp) json_object *j = NULL;
        int r = call_json(ctl, req, &j);

        if (r)
                return r;
        if (ctl->json)
                return print_json(j);
        print_grant(j);
        if (strcmp(jstr(j, "state"), "pending") == 0)
                printf("It waits for a member of the role's approver group: kagictl grant approve %s\n",
                       jstr(j, "id"));
        return 0;
}

int cmd_grant_request(struct ctl *ctl, const struct args *a)
{
        _cleanup_(frame_freep) struct frame *req = frame_new(KAGI_REQ_GRANT_REQUEST);
        uint64_t span;
        int r = parse_span("--for", a->duration, &span);

        if (r)
                return r;
        if (!a->reason || !*a->reason)
                return die_usage("grant request: --reason TEXT is required (it is audited)");
        frame_put_str(req, KAGI_T_ROLE, a->pos[0]);
        frame_put_u64(req, KAGI_T_DURATION, span);
        frame_put_str(req, KAGI_T_REASON, a->reason);
        if (a->given & OPT_BREAK_GLASS)
                frame_put_u32(req, KAGI_T_FLAGS, KAGI_FLAG_BREAK_GLASS);
        if (put_factors(req) < 0)
                return EXIT_REFUSED;
        return call_grant(ctl, req);
}

static int decide(struct ctl *ctl, const struct args *a, bool approve)
{
        _cleanup_(frame_freep) struct frame *req = frame_new(KAGI_REQ_GRANT_DECIDE);
        uint64_t id;
        int r = parse_id(a->pos[0], &id);

        if (r)
                return r;
        if (!approve && (!a->reason || !*a->reason))
                return die_usage("grant deny: --reason TEXT is required (it is audited)");
        frame_put_u64(req, KAGI_T_GRANT, id);
        frame_put_u32(req, KAGI_T_FLAGS, approve ? KAGI_FLAG_APPROVE : 0);
        if (a->reason)
                frame_put_str(req, KAGI_T_REASON, a->reason);
        if (put_factors(req) < 0)
                return EXIT_REFUSED;
        return call_grant(ctl, req);
}

int cmd_grant_approve(struct ctl *ctl, const struct args *a)
{
        return decide(ctl, a, true);
}

int cmd_grant_deny(struct ctl *ctl, const struct args *a)
{
        return decide(ctl, a, false);
}

int cmd_grant_revoke(struct ctl *ctl, const struct args *a)
{
        _cleanup_(frame_freep) struct frame *req = frame_new(KAGI_REQ_GRANT_REVOKE);
        uint64_t id;
        int r = parse_id(a->pos[0], &id);

        if (r)
                return r;
        if (!a->reason || !*a->reason)
                return die_usage("grant revoke: --reason TEXT is required (it is audited)");
        frame_put_u64(req, KAGI_T_GRANT, id);
        frame_put_str(req, KAGI_T_REASON, a->reason);
        return call_grant(ctl, req);
}

int cmd_grant_extend(struct ctl *ctl, const struct args *a)
{
        _cleanup_(frame_freep) struct frame *req = frame_new(KAGI_REQ_GRANT_EXTEND);
        uint64_t id, span;
        int r = parse_id(a->pos[0], &id);

        if (!r)
                r = parse_span("--by", a->by, &span);
        if (r)
                return r;
        if (!a->reason || !*a->reason)
                return die_usage("grant extend: --reason TEXT is required (it is audited)");
        frame_put_u64(req, KAGI_T_GRANT, id);
        frame_put_u64(req, KAGI_T_DURATION, span);
        frame_put_str(req, KAGI_T_REASON, a->reason);
        if (put_factors(req) < 0)
                return EXIT_REFUSED;
        return call_grant(ctl, req);
}

static void print_grant_row(json_object *j)
{
        static const struct column cols[] = { { "state", 9 },   { "role", 12 }, { "person", 14 },
                                              { "starts", 20 }, { "ends", 20 } };

        printf("%6s ", jstr(j, "id"));
        out_row(j, cols, ARRAY_SIZE(cols));
        printf(" %s", jbool(j, "break_glass") ? "BREAK-GLASS " : "");
        out_field(j, "reason", 0);
        putchar('\n');
}

int cmd_grant_list(struct ctl *ctl, const struct args *a)
{
        _cleanup_(frame_freep) struct frame *req = frame_new(KAGI_REQ_GRANT_LIST);

        if (a->given & OPT_PENDING)
                frame_put_u32(req, KAGI_T_FLAGS, KAGI_FLAG_PENDING);
        return run_listing(ctl, req, print_grant_row,
                           "    ID STATE     ROLE         PERSON         STARTS               ENDS                 REASON");
}
