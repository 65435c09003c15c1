/* kagictl: the administrator's and auditor's command line. Everything goes
 * through kagid's socket, which checks who is asking. Exit status: 0 done,
 * 1 refused or failed, 2 usage error, 3 broker unreachable.
 *
 * The commands are a table: each names the options it takes and how many
 * arguments; main() parses once and refuses what the command does not take. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "policy.h"

static const struct command {
        const char *cmd, *sub;
        unsigned min_pos, max_pos;
        unsigned opts;                        /* enum opt */
        int (*fn)(struct ctl *ctl, const struct args *a);
        const char *synopsis, *help;
} commands[] = {
        { "user", "list", 0, 0, OPT_JSON, cmd_user_list, "user list [--json]", "accounts kagi holds state for" },
        { "user", "show", 1, 1, OPT_JSON, cmd_user_show, "user show NAME [--json]", "directory entry, groups and state" },
        { "status", NULL, 1, 1, OPT_JSON, cmd_status, "status NAME [--json]", "failures, lock state and since when" },
        { "unlock", NULL, 1, 1, OPT_REASON, cmd_unlock, "unlock NAME --reason TEXT", "clear the lock (audited)" },
        { "totp", "enroll", 1, 1, OPT_SECRET | OPT_SECRET_FILE | OPT_NO_QR | OPT_JSON, cmd_totp_enroll,
          "totp enroll NAME [--secret-file FILE | --secret -|BASE32] [--no-qr]",
          "store a TOTP secret (given, or a new one), print URI and QR code" },
        { "totp", "remove", 1, 1, 0, cmd_totp_remove, "totp remove NAME", "delete the TOTP secret" },
        { "card", "register", 1, 1, OPT_CERT | OPT_RETIRE_OLD | OPT_JSON, cmd_card_register,
          "card register NAME --cert FILE [--retire-old]", "bind a card to its owner" },
        { "card", "revoke", 0, 1, OPT_FINGERPRINT | OPT_REASON | OPT_JSON, cmd_card_revoke,
          "card revoke (SERIAL | --fingerprint SHA256) --reason TEXT", "stop a card at once" },
        { "card", "list", 0, 1, OPT_JSON, cmd_card_list, "card list [NAME] [--json]", "every card and its state" },
        { "audit", "show", 0, 0, OPT_SINCE | OPT_JSON, cmd_audit_show, "audit show [--since TIME] [--json]",
          "TIME: 2026-11-21, 2026-11-21T09:00:00Z or 2h (ago)" },
        { "audit", "verify", 0, 0, OPT_JSON, cmd_audit_verify, "audit verify [--json]",
          "check the hash chain; exit 1 if broken" },
        { "grant", "request", 1, 1, OPT_FOR | OPT_REASON | OPT_BREAK_GLASS | OPT_JSON, cmd_grant_request,
          "grant request ROLE --for DURATION --reason TEXT [--break-glass]",
          "ask for privileged access (as yourself; asks your password and code)" },
        { "grant", "approve", 1, 1, OPT_REASON | OPT_JSON, cmd_grant_approve, "grant approve ID",
          "approve another person's request (asks your password and code)" },
        { "grant", "deny", 1, 1, OPT_REASON | OPT_JSON, cmd_grant_deny, "grant deny ID --reason TEXT",
          "refuse a request (asks your password and code)" },
        { "grant", "revoke", 1, 1, OPT_REASON | OPT_JSON, cmd_grant_revoke, "grant revoke ID --reason TEXT",
          "end a grant now" },
        { "grant", "extend", 1, 1, OPT_BY | OPT_REASON | OPT_JSON, cmd_grant_extend,
          "grant extend ID --by DURATION --reason TEXT", "within the role's longest grant" },
        { "grant", "list", 0, 0, OPT_PENDING | OPT_JSON, cmd_grant_list, "grant list [--pending] [--json]",
          "grants you may see" },
        { "session", "list", 0, 0, OPT_JSON, cmd_session_list, "session list [--json]",
          "live sessions: account, person, grant, terminal, start and deadline" },
        { "session", "end", 1, 1, OPT_REASON | OPT_JSON, cmd_session_end, "session end ID --reason TEXT",
          "end a live session now: every process of it (audited)" },
        { "report", "review", 0, 0, OPT_FROM | OPT_TO | OPT_FORMAT | OPT_LANG | OPT_OUT | OPT_DORMANT_DAYS,
          cmd_report_review,
          "report review [--from DATE] [--to DATE] [--format text|csv|json|html] [--lang ja|en] [--out FILE] "
          "[--dormant-days N]",
          "the account review (default: the year up to now, text)" },
};

static const struct option options[] = {
        { "json", no_argument, NULL, 'j' },
        { "reason", required_argument, NULL, 'r' },
        { "secret", required_argument, NULL, 's' },
        { "secret-file", required_argument, NULL, 'L' },
        { "no-qr", no_argument, NULL, 'q' },
        { "since", required_argument, NULL, 'S' },
        { "cert", required_argument, NULL, 'C' },
        { "fingerprint", required_argument, NULL, 'F' },
        { "retire-old", no_argument, NULL, 'R' },
        { "for", required_argument, NULL, 'f' },
        { "by", required_argument, NULL, 'b' },
        { "break-glass", no_argument, NULL, 'B' },
        { "pending", no_argument, NULL, 'p' },
        { "from", required_argument, NULL, 'i' },
        { "to", required_argument, NULL, 't' },
        { "format", required_argument, NULL, 'o' },
        { "lang", required_argument, NULL, 'l' },
        { "out", required_argument, NULL, 'O' },
        { "dormant-days", required_argument, NULL, 'd' },
        { NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
        fputs("usage: kagictl [-c CONFIG] [--socket PATH] COMMAND ...\n\n", f);
        for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
                const struct command *c = &commands[i];

                if (strlen(c->synopsis) < 40)
                        fprintf(f, "  %-40s%s\n", c->synopsis, c->help);
                else
                        fprintf(f, "  %s\n  %-40s%s\n", c->synopsis, "", c->help);
        }
        fputs("\nA secret given as --secret BASE32 is on the command line, which every local user\n"
              "can read (ps, /proc/PID/cmdline): give it with --secret-file FILE or on standard\n"
              "input with --secret - instead.\n", f);
        fputs("\nExit status: 0 done, 1 refused or failed, 2 usage error, 3 kagid unreachable.\n", f);
}

static const struct command *find(const char *cmd, const char *sub, bool *ret_has_sub)
{
        *ret_has_sub = false;
        for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
                if (strcmp(commands[i].cmd, cmd) != 0)
                        continue;
                if (!commands[i].sub)
                        return &commands[i];
                *ret_has_sub = true;
                if (sub && strcmp(commands[i].sub, sub) == 0)
                        return &commands[i];
        }
        return NULL;
}

/* The options and arguments after the command words. */
static int parse_args(int argc, char **argv, const struct command *c, struct args *a)
{
        int opt, idx = 0;

        /* optind = 0 makes GNU getopt start afresh (argv[0] is the last command word) */
        optind = 0;
        while ((opt = getopt_long(argc, argv, "", options, &idx)) != -1) {
                unsigned bit;

                switch (opt) {
                case 'j': bit = OPT_JSON; break;
                case 'r': bit = OPT_REASON; a->reason = optarg; break;
                case 's': bit = OPT_SECRET; a->secret = optarg; break;
                case 'L': bit = OPT_SECRET_FILE; a->secret_file = optarg; break;
                case 'q': bit = OPT_NO_QR; break;
                case 'S': bit = OPT_SINCE; a->since = optarg; break;
                case 'C': bit = OPT_CERT; a->cert = optarg; break;
                case 'F': bit = OPT_FINGERPRINT; a->fingerprint = optarg; break;
                case 'R': bit = OPT_RETIRE_OLD; break;
                case 'f': bit = OPT_FOR; a->duration = optarg; break;
                case 'b': bit = OPT_BY; a->by = optarg; break;
                case 'B': bit = OPT_BREAK_GLASS; break;
                case 'p': bit = OPT_PENDING; break;
                case 'i': bit = OPT_FROM; a->from = optarg; break;
                case 't': bit = OPT_TO; a->to = optarg; break;
                case 'o': bit = OPT_FORMAT; a->format = optarg; break;
                case 'l': bit = OPT_LANG; a->lang = optarg; break;
                case 'O': bit = OPT_OUT; a->out = optarg; break;
                case 'd': bit = OPT_DORMANT_DAYS; a->dormant_days = optarg; break;
                default: return EXIT_USAGE;
                }
                if (!(c->opts & bit))
                        return die_usage("%s%s%s: unexpected option --%s", c->cmd, c->sub ? " " : "",
                                         c->sub ? c->sub : "", options[idx].name);
                a->given |= bit;
        }
        for (; optind < argc; optind++) {
                if (a->n_pos >= c->max_pos)
                        return die_usage("unexpected argument '%s'", argv[optind]);
                a->pos[a->n_pos++] = argv[optind];
        }
        if (a->n_pos < c->min_pos)
                return die_usage("%s: which %s?", c->cmd,
                                 strcmp(c->cmd, "grant") == 0     ? "grant (or role)"
                                 : strcmp(c->cmd, "session") == 0 ? "session (its ID in kagictl session list)"
                                                                  : "account");
        return 0;
}

int main(int argc, char **argv)
{
        static const struct option global[] = {
                { "config", required_argument, NULL, 'c' }, { "socket", required_argument, NULL, 's' },
                { "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' }, { NULL, 0, NULL, 0 } };
        const char *config = KAGI_DEFAULT_CONFIG, *socket = NULL;
        _cleanup_(config_freep) struct kagi_config *cfg = NULL;
        struct ctl ctl = { .timeout_ms = 30000 };
        const struct command *c;
        struct args a = { 0 };
        bool has_sub;
        char err[1024];
        int opt, r;

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
        a.cmd = argv[0];
        c = find(a.cmd, argc > 1 ? argv[1] : NULL, &has_sub);
        if (!c && has_sub)
                return argc > 1 ? die_usage("%s: unknown command '%s'", a.cmd, argv[1])
                                : die_usage("%s: which subcommand?", a.cmd);
        if (!c)
                return die_usage("unknown command '%s'", a.cmd);
        if (c->sub) {
                a.sub = c->sub;
                argc--;
                argv++;
        }
        r = parse_args(argc, argv, c, &a);
        if (r)
                return r;
        ctl.json = a.given & OPT_JSON;

        if (!socket) {
                if (config_load(config, 0, &cfg, err, sizeof(err)) < 0 ||
                    config_broker_uid(cfg, &ctl.broker_uid, err, sizeof(err)) < 0) {
                        fprintf(stderr, "kagictl: %s\n", err);
                        return EXIT_USAGE;
                }
                socket = cfg->socket;
        }
        ctl.socket = socket;
        return c->fn(&ctl, &a);
}
