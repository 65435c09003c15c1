/* Test harness: a real kagid on a temporary directory, accounts through
 * nss_wrapper, and PAM transactions through the real Linux-PAM stack under
 * pam_wrapper. Every fixture starts its own broker and removes everything it
 * made, so tests are independent and may run in parallel. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FX_PATH 512

struct fx {
        char dir[64];
        char conf[FX_PATH];
        char sock[FX_PATH];
        char db[FX_PATH];
        char log[FX_PATH];
        char passwd[FX_PATH];
        char group[FX_PATH];
        char pamdir[FX_PATH];
        char matrix[FX_PATH];
        pid_t pid;
};

/* The accounts every fixture has (nss_wrapper files):
 *   alice 1000, bob 1001, carol 1002, frank 1005 — ordinary staff
 *   dave 1003 in group wheel (privileged)
 *   eve 1004 in group kagi-admin (may use kagictl without being root)
 *   madoguchi01 2001 — a shared ID's account (pam_matrix password "pw-shared")
 *   group counter 2100: carol
 *   nobody 65534
 * Every ordinary user's password (pam_matrix) is "pw-NAME". */
#define FX_SECRET_ALICE "JBSWY3DPEHPK3PXP"

/* extra: more kagi.conf text appended after the fixture's [broker] section
 * (may add sections; may be NULL). Starts kagid and waits for its socket. */
int fx_setup(struct fx *f, const char *extra);
/* Stops kagid (SIGTERM) and removes the directory; -1 when kagid did not
 * exit cleanly (a sanitizer report, a crash). */
int fx_teardown(struct fx *f);
/* fx_setup on a new fixture, then TOTP enrollment (with FX_SECRET_ALICE) of
 * each account named in the NULL-terminated list; NULL on any failure. */
struct fx *fx_new(const char *extra, const char *const enroll[]);
int fx_free(struct fx *f);
/* Start kagid (again); wait until it answers. */
int fx_start(struct fx *f);
/* Send sig to kagid and reap it (not for SIGSTOP). Returns kagid's exit
 * status for a stop that should be clean. SIGKILL leaves the socket behind. */
int fx_stop(struct fx *f, int sig);
/* Run kagictl with the fixture's config. argv is NULL-terminated, without
 * the program name. Output (stdout then stderr) into out; returns exit code. */
int fx_kagictl(struct fx *f, char *out, size_t outsz, const char *const argv[]);
/* Run kagictl as another uid (fork, setuid). */
int fx_kagictl_as(struct fx *f, uid_t uid, gid_t gid, char *out, size_t outsz, const char *const argv[]);
/* The same, as uid (its own gid), with `input` on its standard input: what
 * the user types at kagictl's prompts (password, code). */
int fx_kagictl_typed(struct fx *f, uid_t uid, const char *input, char *out, size_t outsz, const char *const argv[]);
int fx_enroll(struct fx *f, const char *user, const char *secret_b32);
/* kagictl status USER --json into out; returns kagictl's exit code. */
int fx_status_json(struct fx *f, const char *user, char *out, size_t outsz);
/* The TOTP code of secret at time t plus `steps` time steps (30 s, 6 digits). */
void fx_code(const char *secret_b32, int steps, char code[16]);
/* Run kagid -f (with -t: only check the config) in the foreground until it
 * exits; returns its exit code. */
int fx_run_kagid(const char *conf, bool check_only, char *out, size_t outsz);
/* Count audit records whose `kagictl audit show --json` objects have all the
 * given key=value pairs (NULL-terminated list of "key=value"). */
int fx_audit_count(struct fx *f, const char *const match[]);
/* Read the whole kagid log. */
int fx_log(struct fx *f, char *out, size_t outsz);
bool fx_log_contains(struct fx *f, const char *needle);

/* A stand-in for kagid on f->sock (stop kagid first), listening as `uid`:
 * each request of a type in the table gets that decision (with FACTORS
 * when non-zero, a 32-byte CHALLENGE with CONTINUE, the JSON document when
 * given), any other request KAGI_ERROR. For the clients' side of the
 * socket: what they do with answers kagid would never give, or with a
 * socket someone else put there. fx_fake_broker_stop ends it. */
struct fx_fake_answer {
        uint8_t type;
        uint32_t decision;
        uint32_t factors;
        const char *json;
};
pid_t fx_fake_broker(struct fx *f, uid_t uid, const struct fx_fake_answer *answers, size_t n);
void fx_fake_broker_stop(pid_t pid);

/* One PAM transaction: answers to the prompts in order; what was asked and
 * what was told are recorded. */
#define FX_MAX_MSGS 8
/* An answer that makes the process die (SIGKILL) at that prompt, as su does
 * on Ctrl-C and sshd's PAM process when the client goes away. */
extern const char FX_DIE[];
struct fx_conv {
        int flags;                             /* PAM flags of each call: PAM_SILENT */
        const char *answers[FX_MAX_MSGS];
        size_t next;
        char prompts[FX_MAX_MSGS][256];
        size_t n_prompts;
        char errors[FX_MAX_MSGS][1024];
        size_t n_errors;
        char infos[FX_MAX_MSGS][1024];
        size_t n_infos;
        char password[64], code[16];  /* the answers fx_right_answers gives */
        unsigned delay_ms;            /* a user who takes this long to answer each prompt */
        int died_of;                  /* set: the transaction's process was killed by this signal */
};
enum fx_ops { FX_AUTH = 1, FX_ACCOUNT = 2, FX_SESSION = 4 };
/* Runs the given operations in order, stopping at the first that does not
 * return PAM_SUCCESS; returns that PAM code (PAM_SUCCESS if all passed). */
int fx_pam(struct fx *f, const char *service, const char *user, struct fx_conv *c, unsigned ops);
/* The same with PAM_TTY / PAM_RHOST / PAM_RUSER set. */
int fx_pam_items(struct fx *f, const char *service, const char *user, const char *tty, const char *rhost,
                 const char *ruser, struct fx_conv *c, unsigned ops);
/* A session held open: in a child, auth, account and open session with the
 * answers in c (PAM_TTY tty, PAM_RUSER ruser); the PAM result. On success
 * *ret_pid is the child, which keeps the session until fx_unhold: SIGTERM
 * logs out (close session; returns its PAM result), SIGKILL is a crash. */
int fx_hold(struct fx *f, const char *service, const char *user, const char *tty, const char *ruser, struct fx_conv *c,
            pid_t *ret_pid);
int fx_unhold(pid_t pid, int sig);
/* The password+TOTP login through the documented stack ("kagi-stack"). */
int fx_login(struct fx *f, const char *user, const char *password, const char *code, struct fx_conv *c);
/* c cleared, then answering with USER's own password ("pw-USER") and the
 * current code of FX_SECRET_ALICE, the secret fx_new enrolls everyone with. */
void fx_right_answers(struct fx_conv *c, const char *user);
/* fx_login with those answers. */
int fx_login_right(struct fx *f, const char *user, struct fx_conv *c);
/* n logins at once, each login(f, user, conv) in a process of its own.
 * Returns how many returned PAM_SUCCESS, or -1 when a process could not be
 * started or did not end normally. */
int fx_parallel_logins(struct fx *f, int n, int (*login)(struct fx *f, const char *user, struct fx_conv *c),
                       const char *user);
bool fx_said(const struct fx_conv *c, const char *needle);
/* What the user was shown (prompts, errors, infos), on stderr: for a failure. */
void fx_conv_print(const struct fx_conv *c);
