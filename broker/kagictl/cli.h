/* Private to the kagictl program: the parsed command line, the calls to
 * kagid and the printing every command shares (out.c), and the commands
 * (cmd_*.c). */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <termios.h>

#include <json-c/json.h>

#include "ctl.h"

#define EXIT_REFUSED 1
#define EXIT_USAGE 2
#define EXIT_UNREACHABLE 3

struct ctl {
        const char *socket;
        uid_t broker_uid;                     /* besides root, who may serve the socket */
        int timeout_ms;
        bool json;
};

/* Every option any command takes; each command says which it accepts. */
enum opt {
        OPT_JSON = 1u << 0,
        OPT_REASON = 1u << 1,
        OPT_SECRET = 1u << 2,
        OPT_NO_QR = 1u << 3,
        OPT_SINCE = 1u << 4,
        OPT_CERT = 1u << 5,
        OPT_FINGERPRINT = 1u << 6,
        OPT_RETIRE_OLD = 1u << 7,
        OPT_FOR = 1u << 8,
        OPT_BY = 1u << 9,
        OPT_BREAK_GLASS = 1u << 10,
        OPT_PENDING = 1u << 11,
        OPT_SECRET_FILE = 1u << 12,
        OPT_FROM = 1u << 13,
        OPT_TO = 1u << 14,
        OPT_FORMAT = 1u << 15,
        OPT_LANG = 1u << 16,
        OPT_OUT = 1u << 17,
        OPT_DORMANT_DAYS = 1u << 18,
};

struct args {
        const char *cmd;                      /* "user", "status" … */
        const char *sub;                      /* "list" …, or NULL */
        const char *pos[2];                   /* positional arguments */
        unsigned n_pos;
        unsigned given;                       /* enum opt */
        const char *reason;
        const char *secret;                   /* "-": read it from standard input */
        const char *secret_file;
        const char *since;
        const char *cert;
        const char *fingerprint;
        const char *duration;                 /* --for */
        const char *by;                       /* --by */
        const char *from, *to, *format, *lang, *out, *dormant_days;
};

/* out.c */
int die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Sends req and checks the RESULT: 0, or the exit status with the one line
 * on stderr already printed. */
int call(struct ctl *ctl, struct frame *req, client_record_cb cb, void *userdata, struct kagi_msg *ret);
/* call, then the answer's JSON document into *ret (freed by the caller). */
int call_json(struct ctl *ctl, struct frame *req, json_object **ret);
json_object *parse_json(const struct kagi_msg *m);
int print_json(json_object *j);
void json_putp(json_object **j);
const char *jstr(json_object *j, const char *key);   /* "-" when absent or null */
int64_t jint(json_object *j, const char *key);
bool jbool(json_object *j, const char *key);
/* Every text field kagid sends (names, terminals, reasons, directory values)
 * can hold whatever its sender chose, an ssh client's user name included:
 * text output goes through these, which print it escaped (common's
 * text_escape), padded on the right to width as %-*s does (0: none). JSON
 * output needs none of this: json-c escapes. */
void out_text(FILE *f, const char *s, int width);
void out_field(json_object *j, const char *key, int width);   /* jstr(j, key) to stdout */
struct column {
        const char *key;
        int width;
};
/* The columns, one space apart (no newline). */
void out_row(json_object *j, const struct column *cols, size_t n);
/* A listing: each RECORD printed by print (or, with --json, one array). */
int run_listing(struct ctl *ctl, struct frame *req, void (*print)(json_object *), const char *header);

/* The commands. */
int cmd_status(struct ctl *ctl, const struct args *a);
int cmd_user_show(struct ctl *ctl, const struct args *a);
int cmd_user_list(struct ctl *ctl, const struct args *a);
int cmd_unlock(struct ctl *ctl, const struct args *a);
int cmd_totp_enroll(struct ctl *ctl, const struct args *a);
int cmd_totp_remove(struct ctl *ctl, const struct args *a);
int cmd_audit_show(struct ctl *ctl, const struct args *a);
int cmd_audit_verify(struct ctl *ctl, const struct args *a);
int cmd_card_register(struct ctl *ctl, const struct args *a);
int cmd_card_revoke(struct ctl *ctl, const struct args *a);
int cmd_card_list(struct ctl *ctl, const struct args *a);
int cmd_grant_request(struct ctl *ctl, const struct args *a);
int cmd_grant_approve(struct ctl *ctl, const struct args *a);
int cmd_grant_deny(struct ctl *ctl, const struct args *a);
int cmd_grant_revoke(struct ctl *ctl, const struct args *a);
int cmd_grant_extend(struct ctl *ctl, const struct args *a);
int cmd_grant_list(struct ctl *ctl, const struct args *a);
int cmd_session_list(struct ctl *ctl, const struct args *a);
int cmd_session_end(struct ctl *ctl, const struct args *a);
int cmd_report_review(struct ctl *ctl, const struct args *a);

/* ---- secrets typed at the terminal (tty.c) ---------------------------------- */

struct tty_quiet {
        int fd;
        bool on;                              /* echo is off */
        struct termios saved;
        struct sigaction old[4];
};
/* Echo off on fd until tty_quiet_end, which also runs on SIGINT, SIGTERM,
 * SIGHUP and SIGQUIT. -ENOTTY: not a terminal (read as it is); another
 * error: a terminal whose echo cannot be turned off (read no secret). */
int tty_quiet_begin(struct tty_quiet *q, int fd);
void tty_quiet_end(struct tty_quiet *q);
