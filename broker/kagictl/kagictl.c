/* kagictl: the administrator's and auditor's command line. Everything goes
 * through kagid's socket, which checks who is asking. Exit status: 0 done,
 * 1 refused or failed, 2 usage error, 3 broker unreachable. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <qrencode.h>

#include "config.h"
#include "ctl.h"
#include "policy.h"

#define EXIT_REFUSED 1
#define EXIT_USAGE 2
#define EXIT_UNREACHABLE 3

struct ctl {
        const char *socket;
        int timeout_ms;
        bool json;
};

static int die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int die_usage(const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "kagictl: ");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nTry 'kagictl --help'.\n");
        return EXIT_USAGE;
}

static void usage(FILE *f)
{
        fputs("usage: kagictl [-c CONFIG] [--socket PATH] COMMAND ...\n"
              "\n"
              "  user list [--json]                      accounts kagi holds state for\n"
              "  user show NAME [--json]                 directory entry, groups and state\n"
              "  status NAME [--json]                    failures, lock state and since when\n"
              "  unlock NAME --reason TEXT               clear the lock (audited)\n"
              "  totp enroll NAME [--secret BASE32] [--no-qr]\n"
              "                                          store a TOTP secret, print URI and QR code\n"
              "  totp remove NAME                        delete the TOTP secret\n"
              "  card register NAME --cert FILE [--retire-old]\n"
              "  card revoke (SERIAL | --fingerprint SHA256) --reason TEXT\n"
              "  card list [NAME] [--json]\n"
              "  audit show [--since TIME] [--json]      TIME: 2026-11-21, 2026-11-21T09:00:00Z or 2h (ago)\n"
              "  audit verify [--json]                   check the hash chain; exit 1 if broken\n"
              "\n"
              "Exit status: 0 done, 1 refused or failed, 2 usage error, 3 kagid unreachable.\n",
              f);
}

static int check_result(const struct kagi_msg *m)
{
        uint32_t d = msg_u32(m, KAGI_T_DECISION, KAGI_ERROR);

        if (d == KAGI_ALLOW)
                return 0;
        fprintf(stderr, "kagictl: %s\n", msg_str(m, KAGI_T_MESSAGE) ? msg_str(m, KAGI_T_MESSAGE)
                                                                     : kagi_decision_name(d));
        return EXIT_REFUSED;
}

static int call(struct ctl *ctl, struct frame *req, client_record_cb cb, void *userdata, struct kagi_msg *ret)
{
        int r;

        if (!req || req->error) {
                fprintf(stderr, "kagictl: request too large\n");
                return EXIT_USAGE;
        }
        r = client_call(ctl->socket, ctl->timeout_ms, req, cb, userdata, ret);
        if (r < 0) {
                fprintf(stderr, "kagictl: cannot talk to kagid at %s: %s\n", ctl->socket,
                        r == -ETIMEDOUT ? "timed out" : strerror(-r));
                return EXIT_UNREACHABLE;
        }
        return check_result(ret);
}

static void json_putp(json_object **j)
{
        json_object_put(*j);
}

static const char *jstr(json_object *j, const char *key)
{
        json_object *v;

        if (!json_object_object_get_ex(j, key, &v) || json_object_is_type(v, json_type_null))
                return "-";
        return json_object_get_string(v);
}

static int64_t jint(json_object *j, const char *key)
{
        json_object *v;

        return json_object_object_get_ex(j, key, &v) ? json_object_get_int64(v) : 0;
}

static bool jbool(json_object *j, const char *key)
{
        json_object *v;

        return json_object_object_get_ex(j, key, &v) && json_object_get_boolean(v);
}

static json_object *parse_json(const struct kagi_msg *m)
{
        const char *s = msg_str(m, KAGI_T_JSON);
        json_object *j = s ? json_tokener_parse(s) : NULL;

        if (!j)
                fprintf(stderr, "kagictl: kagid sent an answer that is not JSON\n");
        return j;
}

/* ---- status / user ----------------------------------------------------------- */

static void print_state(json_object *j)
{
        printf("account:       %s\n", jstr(j, "account"));
        printf("failures:      %lld of %lld%s\n", (long long)jint(j, "failures"), (long long)jint(j, "threshold"),
               jbool(j, "privileged") ? " (privileged account)" : "");
        printf("locked:        %s\n", jbool(j, "locked") ? "yes" : "no");
        printf("locked since:  %s\n", jstr(j, "locked_since"));
        if (strcmp(jstr(j, "unlock_after"), "-") != 0)
                printf("unlocks after: %ss\n", jstr(j, "unlock_after"));
        if (jbool(j, "totp_enrolled"))
                printf("totp:          enrolled %s (last clock skew %+lld steps)\n", jstr(j, "totp_enrolled_at"),
                       (long long)jint(j, "totp_last_skew"));
        else
                printf("totp:          not enrolled\n");
        printf("last success:  %s\n", jstr(j, "last_success"));
        printf("last failure:  %s\n", jstr(j, "last_failure"));
}

static int cmd_status(struct ctl *ctl, const char *user, bool with_directory)
{
        _cleanup_(frame_freep) struct frame *req = frame_new(with_directory ? KAGI_REQ_USER_SHOW : KAGI_REQ_STATUS);
        _cleanup_(msg_freep) struct kagi_msg *m = msg_new();
        _cleanup_(json_putp) json_object *j = NULL;
        int r;

        frame_put_str(req, KAGI_T_USER, user);
        r = call(ctl, req, NULL, NULL, m);
        if (r)
                return r;
        j = parse_json(m);
        if (!j)
                return EXIT_REFUSED;
        if (ctl->json) {
                puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
                return 0;
        }
        print_state(j);
        if (with_directory) {
                json_object *groups;

                printf("in directory:  %s\n", jbool(j, "exists") ? (jbool(j, "enabled") ? "yes, enabled" : "yes, DISABLED")
                                                                 : "NO");
                printf("name:          %s\n", jstr(j, "display_name"));
                printf("department:    %s\n", jstr(j, "department"));
                printf("groups:       ");
                if (json_object_object_get_ex(j, "groups", &groups))
                        for (size_t i = 0; i < json_object_array_length(groups); i++)
                                printf(" %s", json_object_get_string(json_object_array_get_idx(groups, i)));
                printf("\n");
        }
        return 0;
}

struct listing {
        struct ctl *ctl;
        json_object *all;
        void (*print)(json_object *j);
        size_t n;
};

static int on_listing(void *userdata, const struct kagi_msg *m)
{
        struct listing *l = userdata;
        json_object *j = parse_json(m);

        if (!j)
                return -EBADMSG;
        l->n++;
        if (l->ctl->json) {
                json_object_array_add(l->all, j);
                return 0;
        }
        l->print(j);
        json_object_put(j);
        return 0;
}

static int run_listing(struct ctl *ctl, struct frame *req, void (*print)(json_object *), const char *header)
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
                puts(json_object_to_json_string_ext(all, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        return 0;
}

static void print_user_row(json_object *j)
{
        printf("%-20s %8lld %-7s %-5s %-20s %s\n", jstr(j, "account"), (long long)jint(j, "failures"),
               jbool(j, "locked") ? "LOCKED" : "-", jbool(j, "totp_enrolled") ? "yes" : "no",
               jstr(j, "last_success"), jbool(j, "privileged") ? "privileged" : "");
}

static int cmd_user_list(struct ctl *ctl)
{
        _cleanup_(frame_freep) struct frame *req = frame_new(KAGI_REQ_USER_LIST);

        return run_listing(ctl, req, print_user_row,
                           "ACCOUNT              FAILURES LOCK    TOTP  LAST SUCCESS");
}

/* ---- unlock, totp ---------------------------------------------------------------- */

static int cmd_unlock(struct ctl *ctl, const char *user, const char *reason)
{
        _cleanup_(frame_freep) struct frame *req = frame_new(KAGI_REQ_UNLOCK);
        _cleanup_(msg_freep) struct kagi_msg *m = msg_new();
        _cleanup_(json_putp) json_object *j = NULL;
        int r;

        frame_put_str(req, KAGI_T_USER, user);
        frame_put_str(req, KAGI_T_REASON, reason);
        r = call(ctl, req, NULL, NULL, m);
        if (r)
                return r;
        j = parse_json(m);
        if (!j)
                return EXIT_REFUSED;
        printf("%s unlocked (%s; %lld failure%s cleared)\n", user, jbool(j, "was_locked") ? "was locked" : "was not locked",
               (long long)jint(j, "failures_cleared"), jint(j, "failures_cleared") == 1 ? "" : "s");
        return 0;
}

static void print_qr(const char *text)
{
        QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
        int w, quiet = 2;

        if (!qr) {
                fprintf(stderr, "kagictl: cannot draw a QR code; use the URI above\n");
                return;
        }
        w = qr->width;
        /* two modules per character cell: upper and lower half blocks */
        for (int y = -quiet; y < w + quiet; y += 2) {
                for (int x = -quiet; x < w + quiet; x++) {
                        bool top = y >= 0 && y < w && x >= 0 && x < w && (qr->data[y * w + x] & 1);
                        bool bot = y + 1 >= 0 && y + 1 < w && x >= 0 && x < w && (qr->data[(y + 1) * w + x] & 1);

                        /* dark modules print as spaces on a light background */
                        fputs(top && bot ? " " : top ? "\xe2\x96\x84" : bot ? "\xe2\x96\x80" : "\xe2\x96\x88", stdout);
                }
                putchar('\n');
        }
        QRcode_free(qr);
}

static int cmd_totp_enroll(struct ctl *ctl, const char *user, const char *secret, bool no_qr)
{
        _cleanup_(frame_freep) struct frame *req = frame_new(KAGI_REQ_TOTP_ENROLL);
        _cleanup_(msg_freep) struct kagi_msg *m = msg_new();
        _cleanup_(json_putp) json_object *j = NULL;
        int r;

        frame_put_str(req, KAGI_T_USER, user);
        if (secret)
                frame_put_str(req, KAGI_T_SECRET, secret);
        r = call(ctl, req, NULL, NULL, m);
        if (r)
                return r;
        j = parse_json(m);
        if (!j)
                return EXIT_REFUSED;
        if (ctl->json) {
                puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
                return 0;
        }
        printf("TOTP enrolled for %s.\n", user);
        printf("secret: %s\n", jstr(j, "secret"));
        printf("uri:    %s\n", jstr(j, "uri"));
        if (!no_qr) {
                printf("Scan with the authenticator app:\n");
                print_qr(jstr(j, "uri"));
        }
        return 0;
}

static int cmd_totp_remove(struct ctl *ctl, const char *user)
{
        _cleanup_(frame_freep) struct frame *req = frame_new(KAGI_REQ_TOTP_REMOVE);
        _cleanup_(msg_freep) struct kagi_msg *m = msg_new();
        int r;

        frame_put_str(req, KAGI_T_USER, user);
        r = call(ctl, req, NULL, NULL, m);
        if (!r)
                printf("TOTP removed for %s.\n", user);
        return r;
}

/* ---- audit ------------------------------------------------------------------------ */

static void print_record(json_object *j)
{
        const char *reason = jstr(j, "reason"), *session = jstr(j, "session");

        printf("%6lld %s %-8s %-8s %-12s %-12s %-10s %-14s %s", (long long)jint(j, "seq"), jstr(j, "time"),
               jstr(j, "event"), jstr(j, "result"), jstr(j, "account"), jstr(j, "person"), jstr(j, "service"),
               jstr(j, "factor"), jstr(j, "terminal"));
        if (*reason)
                printf(" \"%s\"", reason);
        if (*session)
                printf(" session=%s", session);
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

static int cmd_audit_show(struct ctl *ctl, const char *since)
{
        _cleanup_(frame_freep) struct frame *req = frame_new(KAGI_REQ_AUDIT_SHOW);
        uint64_t t;

        if (since) {
                if (parse_since(since, &t) < 0)
                        return die_usage("--since: '%s' is not a date, a UTC time or a duration", since);
                frame_put_u64(req, KAGI_T_SINCE, t);
        }
        return run_listing(ctl, req, print_record,
                           "   SEQ TIME (UTC)                  EVENT    RESULT   ACCOUNT      PERSON       SERVICE    "
                           "FACTOR         TERMINAL");
}

static int cmd_audit_verify(struct ctl *ctl)
{
        _cleanup_(frame_freep) struct frame *req = frame_new(KAGI_REQ_AUDIT_VERIFY);
        _cleanup_(msg_freep) struct kagi_msg *m = msg_new();
        _cleanup_(json_putp) json_object *j = NULL;
        int r;

        r = call(ctl, req, NULL, NULL, m);
        if (r)
                return r;
        j = parse_json(m);
        if (!j)
                return EXIT_REFUSED;
        if (ctl->json)
                puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        if (!jbool(j, "ok")) {
                fprintf(stderr, "kagictl: audit log verification FAILED at record %s: %s\n", jstr(j, "first_bad"),
                        jstr(j, "why"));
                return EXIT_REFUSED;
        }
        if (!ctl->json)
                printf("audit log OK: %lld records, chain intact\n", (long long)jint(j, "records"));
        return 0;
}

/* ---- card ------------------------------------------------------------------------- */

static int read_file(const char *path, uint8_t **ret, size_t *ret_len)
{
        _cleanup_(fclosep) FILE *f = fopen(path, "rbe");
        uint8_t *buf;
        size_t n;

        if (!f)
                return -errno;
        buf = malloc(16385);
        if (!buf)
                return -ENOMEM;
        n = fread(buf, 1, 16385, f);
        if (n == 0 || n > 16384) {
                free(buf);
                return -EFBIG;
        }
        *ret = buf;
        *ret_len = n;
        return 0;
}

static void print_card_row(json_object *j)
{
        printf("%-16s %-10s %-24s %-20s %s\n", jstr(j, "account"), jstr(j, "state"), jstr(j, "serial"),
               jstr(j, "registered"), jstr(j, "fingerprint"));
}

static int cmd_card(struct ctl *ctl, int argc, char **argv)
{
        static const struct option opts[] = {
                { "cert", required_argument, NULL, 'C' }, { "fingerprint", required_argument, NULL, 'F' },
                { "reason", required_argument, NULL, 'r' }, { "retire-old", no_argument, NULL, 'R' },
                { "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 } };
        const char *cert = NULL, *fpr = NULL, *reason = NULL;
        bool retire = false;
        _cleanup_(frame_freep) struct frame *req = NULL;
        _cleanup_(msg_freep) struct kagi_msg *m = msg_new();
        int opt, r;

        if (argc < 2)
                return die_usage("card: expected register, revoke or list");
        argc--;
        argv++;
        optind = 0;
        while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (opt) {
                case 'C': cert = optarg; break;
                case 'F': fpr = optarg; break;
                case 'r': reason = optarg; break;
                case 'R': retire = true; break;
                case 'j': ctl->json = true; break;
                default: return EXIT_USAGE;
                }
        }
        if (strcmp(argv[0], "register") == 0) {
                _cleanup_(freep) uint8_t *der = NULL;
                size_t len = 0;

                if (optind + 1 != argc || !cert)
                        return die_usage("usage: card register NAME --cert FILE [--retire-old]");
                r = read_file(cert, &der, &len);
                if (r < 0) {
                        fprintf(stderr, "kagictl: %s: %s\n", cert, strerror(-r));
                        return EXIT_REFUSED;
                }
                req = frame_new(KAGI_REQ_CARD_REGISTER);
                frame_put_str(req, KAGI_T_USER, argv[optind]);
                frame_put_blob(req, KAGI_T_CERT, der, len);
                frame_put_u32(req, KAGI_T_FLAGS, retire ? KAGI_FLAG_RETIRE_OLD : 0);
        } else if (strcmp(argv[0], "revoke") == 0) {
                if (!reason || (fpr ? optind != argc : optind + 1 != argc))
                        return die_usage("usage: card revoke (SERIAL | --fingerprint SHA256) --reason TEXT");
                req = frame_new(KAGI_REQ_CARD_REVOKE);
                if (fpr)
                        frame_put_str(req, KAGI_T_FINGERPRINT, fpr);
                else
                        frame_put_str(req, KAGI_T_SERIAL, argv[optind]);
                frame_put_str(req, KAGI_T_REASON, reason);
        } else if (strcmp(argv[0], "list") == 0) {
                if (optind + 1 < argc)
                        return die_usage("usage: card list [NAME] [--json]");
                req = frame_new(KAGI_REQ_CARD_LIST);
                if (optind < argc)
                        frame_put_str(req, KAGI_T_USER, argv[optind]);
                return run_listing(ctl, req, print_card_row,
                                   "ACCOUNT          STATE      SERIAL                   REGISTERED           FINGERPRINT (SHA-256)");
        } else {
                return die_usage("card: unknown command '%s'", argv[0]);
        }
        r = call(ctl, req, NULL, NULL, m);
        if (r)
                return r;
        if (msg_str(m, KAGI_T_JSON)) {
                _cleanup_(json_putp) json_object *j = parse_json(m);
                if (j)
                        puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        }
        return 0;
}

/* ---- main ------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
        static const struct option global[] = {
                { "config", required_argument, NULL, 'c' }, { "socket", required_argument, NULL, 's' },
                { "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' }, { NULL, 0, NULL, 0 } };
        static const struct option sub[] = {
                { "json", no_argument, NULL, 'j' }, { "reason", required_argument, NULL, 'r' },
                { "secret", required_argument, NULL, 's' }, { "no-qr", no_argument, NULL, 'q' },
                { "since", required_argument, NULL, 'S' }, { NULL, 0, NULL, 0 } };
        const char *config = KAGI_DEFAULT_CONFIG, *socket = NULL, *reason = NULL, *secret = NULL, *since = NULL;
        _cleanup_(config_freep) struct kagi_config *cfg = NULL;
        struct ctl ctl = { .timeout_ms = 30000 };
        bool no_qr = false;
        char err[1024];
        int opt;

        /* global options stop at the first word: the command */
        while ((opt = getopt_long(argc, argv, "+c:s:hV", global, NULL)) != -1) {
                switch (opt) {
                case 'c': config = optarg; break;
                case 's': socket = optarg; break;
                case 'h': usage(stdout); return 0;
                case 'V': printf("kagictl %s\n", KAGI_VERSION); return 0;
                default: usage(stderr); return EXIT_USAGE;
                }
        }
        argc -= optind;
        argv += optind;
        if (argc < 1) {
                usage(stderr);
                return EXIT_USAGE;
        }
        if (!socket) {
                if (config_load(config, 0, &cfg, err, sizeof(err)) < 0) {
                        fprintf(stderr, "kagictl: %s\n", err);
                        return EXIT_USAGE;
                }
                socket = cfg->socket;
        }
        ctl.socket = socket;

        if (strcmp(argv[0], "card") == 0)
                return cmd_card(&ctl, argc, argv);

        /* the rest: COMMAND [SUBCOMMAND] [NAME] with options anywhere after */
        {
                const char *cmd = argv[0], *subcmd = NULL, *name = NULL;
                int needs_sub = strcmp(cmd, "user") == 0 || strcmp(cmd, "totp") == 0 || strcmp(cmd, "audit") == 0;

                if (needs_sub) {
                        if (argc < 2)
                                return die_usage("%s: which subcommand?", cmd);
                        subcmd = argv[1];
                        argc--;
                        argv++;
                }
                /* optind = 0 makes GNU getopt start afresh (argv[0] is the command word) */
                optind = 0;
                while ((opt = getopt_long(argc, argv, "", sub, NULL)) != -1) {
                        switch (opt) {
                        case 'j': ctl.json = true; break;
                        case 'r': reason = optarg; break;
                        case 's': secret = optarg; break;
                        case 'q': no_qr = true; break;
                        case 'S': since = optarg; break;
                        default: return EXIT_USAGE;
                        }
                }
                if (optind < argc)
                        name = argv[optind++];
                if (optind < argc)
                        return die_usage("unexpected argument '%s'", argv[optind]);

#define NEED_NAME() do { if (!name) return die_usage("%s: which account?", cmd); } while (0)
#define NO_NAME() do { if (name) return die_usage("unexpected argument '%s'", name); } while (0)
                if (strcmp(cmd, "status") == 0) {
                        NEED_NAME();
                        return cmd_status(&ctl, name, false);
                }
                if (strcmp(cmd, "unlock") == 0) {
                        NEED_NAME();
                        if (!reason || !*reason)
                                return die_usage("unlock: --reason TEXT is required (it is audited)");
                        return cmd_unlock(&ctl, name, reason);
                }
                if (strcmp(cmd, "user") == 0 && strcmp(subcmd, "list") == 0) {
                        NO_NAME();
                        return cmd_user_list(&ctl);
                }
                if (strcmp(cmd, "user") == 0 && strcmp(subcmd, "show") == 0) {
                        NEED_NAME();
                        return cmd_status(&ctl, name, true);
                }
                if (strcmp(cmd, "totp") == 0 && strcmp(subcmd, "enroll") == 0) {
                        NEED_NAME();
                        return cmd_totp_enroll(&ctl, name, secret, no_qr);
                }
                if (strcmp(cmd, "totp") == 0 && strcmp(subcmd, "remove") == 0) {
                        NEED_NAME();
                        return cmd_totp_remove(&ctl, name);
                }
                if (strcmp(cmd, "audit") == 0 && strcmp(subcmd, "show") == 0) {
                        NO_NAME();
                        return cmd_audit_show(&ctl, since);
                }
                if (strcmp(cmd, "audit") == 0 && strcmp(subcmd, "verify") == 0) {
                        NO_NAME();
                        return cmd_audit_verify(&ctl);
                }
                return die_usage("unknown command '%s'", subcmd ? subcmd : cmd);
        }
}
