/* kagi-bench: whole PAM logins (pam_start … pam_end) against kagi and
 * against the local stack users would otherwise deploy (pam_oath +
 * pam_faillock), same accounts, same secrets, same password module.
 *
 *   accounts.c  the benchmark's accounts: NSS files, passdb, TOTP secrets
 *   codes.c     which TOTP code each login may use without being a replay
 *   login.c     one PAM transaction with a scripted conversation
 *   stats.c     latencies, percentiles
 *   machine.c   what the figures were measured on (cores, kernel, fsync)
 *   kagi_bench.c  the command line, the threads, the report
 *
 * Never part of the test suite: figures depend on the machine.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common.h"

/* ---- accounts ----------------------------------------------------------- */

#define BENCH_SECRET_LEN 20           /* 160-bit HMAC-SHA-1 key, as RFC 4226 recommends */
#define BENCH_NAME_MAX 32

/* The stacks compared; each keeps its own replay and failure state.
 * password is the floor the others stand on (pam_benchpw alone); matrix is
 * the first benchmark's floor, pam_matrix alone, which grows with the
 * number of accounts. */
enum bench_stack { STACK_KAGI, STACK_PEER, STACK_PEER_SHARED, STACK_PASSWORD, STACK_MATRIX, STACK_MAX_ };

/* A stack that asks for a code (and so can be given a wrong one). */
static inline bool stack_has_code(enum bench_stack s)
{
        return s == STACK_KAGI || s == STACK_PEER || s == STACK_PEER_SHARED;
}

struct bench_user {
        char name[BENCH_NAME_MAX];
        char password[BENCH_NAME_MAX];
        uint8_t secret[BENCH_SECRET_LEN];
        /* Per stack, owned by one thread at a time. */
        uint64_t last_step[STACK_MAX_];       /* last time step whose code was accepted */
        unsigned failures[STACK_MAX_];        /* wrong codes since the last success */
};

struct bench_accounts {
        struct bench_user *users;
        size_t n;
        size_t next[STACK_MAX_];              /* where each stack's next run starts */
};

/* Writes into dir: passwd and group (root only, for nss_wrapper; the
 * accounts come from libnss_kagibench), passdb.table (pam_benchpw), passdb
 * (pam_matrix), accounts (one "NAME PASSWORD BASE32" line each, for
 * enrolling them in kagi), oath/NAME (one pam_oath users file per account)
 * and users.oath (one for all). */
int accounts_create(const char *dir, size_t n, char *err, size_t errsz);
/* Reads dir/passdb and dir/secrets back. */
int accounts_load(const char *dir, struct bench_accounts *ret, char *err, size_t errsz);
void accounts_free(struct bench_accounts *a);
/* What the stacks have accepted so far (dir/progress), so that a second run
 * on a kept directory offers no code twice. Loading a missing file is fine. */
int accounts_load_progress(const char *dir, struct bench_accounts *a);
int accounts_save_progress(const char *dir, const struct bench_accounts *a);

/* Over kagid's socket, 16 requests at a time (admin.c): enrolls accounts
 * from..n-1 with their secrets, as kagictl totp enroll --secret does;
 * unlocks, as kagictl unlock does, the accounts with failures on kagi. */
int enroll_all(const char *socket, const struct bench_accounts *acc, size_t from, char *err, size_t errsz);
int unlock_failed(const char *socket, const struct bench_accounts *acc, char *err, size_t errsz);

/* ---- codes ---------------------------------------------------------------- */

struct code_params {
        uint32_t step;                        /* seconds, 30 */
        uint32_t window;                      /* steps accepted either side of now */
        uint32_t digits;
};

/* The code for the current time step, or if this stack has accepted it
 * (or a later one) for u already, for the earliest later step it has not,
 * safely inside the window (a step of margin at its far edge, so a login
 * crossing a step boundary stays valid), and whose code no other step
 * within a step of the window shares. Returns 0 and the step, or -EAGAIN
 * when u has no such step left for now. */
int code_next(const struct code_params *p, const struct bench_user *u, enum bench_stack s, int64_t now,
              char code[16], uint64_t *ret_step);
/* A well-formed code that matches no step within two windows of now. */
int code_wrong(const struct code_params *p, const struct bench_user *u, int64_t now, char code[16]);

/* ---- one login -------------------------------------------------------------- */

struct login_result {
        int auth;                             /* pam_authenticate */
        int account;                          /* pam_acct_mgmt, or -1 if not reached */
        unsigned prompts;                     /* prompts answered */
        char asked[2][48];                    /* the first two prompts */
        unsigned delay_us;                    /* failure delay the modules asked for */
        char message[160];                    /* last error or info text shown */
};

/* pam_start_confdir(service, user, confdir) → pam_authenticate →
 * pam_acct_mgmt (only after a successful authentication) → pam_end. The
 * conversation answers the first hidden prompt with the password and the
 * second with the code. */
int login_run(const char *confdir, const char *service, const char *user, const char *password,
              const char *code, struct login_result *ret);

/* ---- statistics ------------------------------------------------------------- */

struct latencies {
        uint32_t *us;                         /* microseconds */
        size_t n, cap;
};

int latencies_add(struct latencies *l, uint32_t us);
int latencies_append(struct latencies *l, const struct latencies *more);
void latencies_free(struct latencies *l);
/* Sorts in place; q in [0, 1]; nearest-rank. 0 for an empty set. */
uint32_t latencies_quantile(struct latencies *l, double q);

/* ---- the connection hog (hog.c) ----------------------------------------------- */

struct hog {
        pid_t pid;
        int report;                           /* its stats arrive here when it ends */
        int stop;                             /* closing it ends the hog */
};

struct hog_stats {
        uint64_t connects;                    /* connections it opened */
        uint64_t closed;                      /* of them, closed by kagid */
        uint64_t queue_full;                  /* connects refused: the listen queue was full */
        uint64_t errors;                      /* any other failure to connect */
        uint64_t bytes;                       /* dripped */
        uint64_t open_max;                    /* connections held at once, at most */
        uint64_t passes;
};

/* Forks the hog: as uid 65534 it keeps trying to hold `connections`
 * connections to socket_path until hog_stop(), which returns what it did. */
int hog_start(const char *socket_path, size_t connections, struct hog *ret);
int hog_stop(struct hog *h, struct hog_stats *ret);

/* ---- the machine --------------------------------------------------------------- */

struct machine {
        long cpus;
        char kernel[200];
        char cpu_model[128];
        double load1;
        const char *fs;                       /* file system of the state dir */
        double fsync_us;                      /* median write(4 KiB)+fsync in the state dir; -1: not measured */
};

/* probe: time write+fsync in dir (off when something counts the syncs) */
int machine_describe(const char *dir, bool probe, struct machine *ret);
