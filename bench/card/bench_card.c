/* bench-card: a card + PIN login measured end to end, kagi against
 * pam_pkcs11 + OpenSC, on the same virtual card in the same private pcscd.
 *
 *   kagi-bench-card [-n LOGINS] [-w WARMUP] [-k rsa|ec|all] [-s kagi|pkcs11|all] [-d]
 *
 * Each login is a whole PAM transaction (pam_start, pam_authenticate,
 * pam_end) through the real Linux-PAM stack under pam_wrapper, as the
 * integration tests run it. The process re-executes itself once with
 * pam_wrapper and libkagi-scard-timer preloaded; the timer adds up the time
 * spent inside PC/SC calls during each login, which is what the card (and
 * pcscd) take; the rest is the stack's own overhead. */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "bench_card.h"
#include "fixture.h"
#include "harness.h"

#define PAM_PKCS11 "/lib/x86_64-linux-gnu/security/pam_pkcs11.so"
#define PAM_DENY "/lib/x86_64-linux-gnu/security/pam_deny.so"
#define USER "alice"
#define PIN "123456"
#define CHILD_MARK "KAGI_BENCH_CARD_CHILD"

struct key {
        const char *name;     /* as printed */
        const char *pki;      /* file stem in the test PKI */
        const char *opt;      /* -k value */
};
static const struct key keys[] = {
        { "RSA-2048", "alice-rsa", "rsa" },
        { "P-256", "alice-ec", "ec" },
};

struct options {
        size_t logins, warmup;
        const char *key;      /* "rsa", "ec", "all" */
        const char *stack;    /* "kagi", "pkcs11", "all" */
        int debug;
};

static struct {
        scard_timer_reset_fn *reset;
        scard_timer_read_fn *read;
        scard_timer_name_fn *name;
} timer;

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
        (void)sig;
        stop = 1;
}

static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the process: preloads, paths ---------------------------------------- */

/* pam_wrapper and the PC/SC timer must be preloaded when the process starts:
 * set the environment the integration tests get from meson, and start over. */
static void reexec_preloaded(char **argv)
{
        char preload[1024], self[1024];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

        if (getenv(CHILD_MARK))
                return;
        if (n <= 0) {
                fprintf(stderr, "bench-card: /proc/self/exe: %s\n", strerror(errno));
                exit(1);
        }
        self[n] = '\0';
        snprintf(preload, sizeof(preload), "libpam_wrapper.so:%s", KAGI_SCARD_TIMER);
        setenv("LD_PRELOAD", preload, 1);
        setenv("PAM_WRAPPER", "1", 1);
        setenv("PAM_WRAPPER_DISABLE_DEEPBIND", "1", 1);
        setenv("UID_WRAPPER_DISABLE_DEEPBIND", "1", 1);
        setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 0);
        setenv("KAGID", KAGI_KAGID, 0);
        setenv("KAGICTL", KAGI_KAGICTL, 0);
        setenv("PAM_KAGI", KAGI_PAM_KAGI, 0);
        /* pam_pkcs11 refuses a login with a remote-looking DISPLAY */
        unsetenv("DISPLAY");
        setenv(CHILD_MARK, "1", 1);
        /* by its path, not /proc/self/exe, so profilers see its name */
        execv(self, argv);
        fprintf(stderr, "bench-card: re-executing myself: %s\n", strerror(errno));
        exit(1);
}

/* The timer must be the SCardTransmit every module sees, or the card's time
 * would silently count as overhead. */
static int timer_resolve(void)
{
        void *transmit = dlsym(RTLD_DEFAULT, "SCardTransmit");
        Dl_info a, b;

        timer.reset = (scard_timer_reset_fn *)dlsym(RTLD_DEFAULT, "scard_timer_reset");
        timer.read = (scard_timer_read_fn *)dlsym(RTLD_DEFAULT, "scard_timer_read");
        timer.name = (scard_timer_name_fn *)dlsym(RTLD_DEFAULT, "scard_timer_name");
        if (!transmit || !timer.reset || !timer.read || !timer.name || !dladdr(transmit, &a) ||
            !dladdr((void *)timer.read, &b) || a.dli_fbase != b.dli_fbase) {
                fprintf(stderr, "bench-card: %s is not preloaded in front of libpcsclite\n", KAGI_SCARD_TIMER);
                return -ENOENT;
        }
        return 0;
}

/* ---- one login -------------------------------------------------------------- */

struct conv_log {
        size_t prompts;
        char text[2048];      /* everything the stack said, for a failure report */
};

static void conv_note(struct conv_log *l, const char *kind, const char *msg)
{
        size_t used = strlen(l->text);

        snprintf(l->text + used, sizeof(l->text) - used, "  %s: %s\n", kind, msg);
}

/* The user: types the PIN at any hidden prompt, reads everything else. */
static int conv(int n, const struct pam_message **msgs, struct pam_response **ret, void *data)
{
        struct conv_log *l = data;
        struct pam_response *resp = calloc((size_t)n, sizeof(*resp));

        if (!resp)
                return PAM_BUF_ERR;
        for (int i = 0; i < n; i++) {
                switch (msgs[i]->msg_style) {
                case PAM_PROMPT_ECHO_OFF:
                        conv_note(l, "prompt", msgs[i]->msg);
                        l->prompts++;
                        resp[i].resp = strdup(PIN);
                        break;
                case PAM_PROMPT_ECHO_ON:
                        conv_note(l, "prompt (echo on, not answered)", msgs[i]->msg);
                        for (int k = 0; k < i; k++)
                                free(resp[k].resp);
                        free(resp);
                        return PAM_CONV_ERR;
                case PAM_ERROR_MSG:
                        conv_note(l, "error", msgs[i]->msg);
                        break;
                default:
                        conv_note(l, "info", msgs[i]->msg);
                        break;
                }
        }
        *ret = resp;
        return PAM_SUCCESS;
}

static const char *service_of(enum stack s)
{
        return s == STACK_KAGI ? "bench-kagi" : "bench-pkcs11";
}

/* CPU time of a process's live threads (ns, from the scheduler, not ticks);
 * kagid's workers and the virtual card live as long as the run. */
static uint64_t task_cpu_ns(pid_t pid)
{
        char path[64], line[128];
        uint64_t sum = 0;
        struct dirent *e;
        DIR *d;

        if (pid <= 0)
                return 0;
        snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
        d = opendir(path);
        if (!d)
                return 0;
        while ((e = readdir(d))) {
                char stat[400];
                FILE *f;

                if (e->d_name[0] == '.')
                        continue;
                snprintf(stat, sizeof(stat), "%s/%s/schedstat", path, e->d_name);
                f = fopen(stat, "re");
                if (f && fgets(line, sizeof(line), f))
                        sum += strtoull(line, NULL, 10);
                if (f)
                        fclose(f);
        }
        closedir(d);
        return sum;
}

static uint64_t self_cpu_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The processes whose CPU time is counted per login besides this one. */
static pid_t broker_pid, card_pid;

static int login_once(enum stack stack, struct sample *ret, struct conv_log *log)
{
        struct pam_conv c = { conv, log };
        struct scard_timer_stats st;
        pam_handle_t *h = NULL;
        uint64_t t0, t1, cpu0, broker0, card0;
        int rc;

        memset(log, 0, sizeof(*log));
        broker0 = task_cpu_ns(broker_pid);
        card0 = task_cpu_ns(card_pid);
        timer.reset();
        cpu0 = self_cpu_ns();
        t0 = now_ns();
        rc = pam_start(service_of(stack), USER, &c, &h);
        if (rc == PAM_SUCCESS)
                rc = pam_authenticate(h, 0);
        if (h)
                pam_end(h, rc);
        t1 = now_ns();
        memset(ret, 0, sizeof(*ret));
        ret->cpu_pam = self_cpu_ns() - cpu0;
        timer.read(&st);
        ret->cpu_broker = task_cpu_ns(broker_pid) - broker0;
        ret->cpu_card = task_cpu_ns(card_pid) - card0;

        ret->total = t1 - t0;
        for (int fn = 0; fn < SCARD_FN_MAX_; fn++) {
                ret->fn_calls[fn] = st.calls[fn];
                ret->fn_ns[fn] = st.ns[fn];
                ret->pcsc_calls += (uint32_t)st.calls[fn];
                if (fn == SCARD_FN_TRANSMIT || fn == SCARD_FN_CONTROL)
                        ret->card += st.ns[fn];
                else if (fn < SCARD_FN_ESTABLISH_CONTEXT)
                        ret->session += st.ns[fn];
                else
                        ret->service += st.ns[fn];
        }
        ret->apdus = (uint32_t)st.calls[SCARD_FN_TRANSMIT];
        return rc;
}

/* ---- set-up ------------------------------------------------------------------ */

static int write_service(struct fx *f, const char *name, const char *line)
{
        char path[FX_PATH + 64];
        FILE *o;

        snprintf(path, sizeof(path), "%s/%s", f->pamdir, name);
        o = fopen(path, "we");
        if (!o)
                return -errno;
        fprintf(o, "%s\n", line);
        return fclose(o) == 0 ? 0 : -errno;
}

/* pam_wrapper reads the service directory at the first pam_start: both
 * services are written before. Each is the stack's module alone; "other",
 * which Linux-PAM reads with every service as on any system, denies. */
static int write_services(struct fx *f, const struct pkcs11_conf *pc)
{
        char line[1024];
        int r;

        r = write_service(f, "other", "auth required " PAM_DENY);
        if (r < 0)
                return r;
        snprintf(line, sizeof(line), "auth required %s config=%s", getenv("PAM_KAGI"), f->conf);
        r = write_service(f, "bench-kagi", line);
        if (r < 0)
                return r;
        snprintf(line, sizeof(line), "auth required %s config_file=%s", PAM_PKCS11, pc->pam_conf);
        return write_service(f, "bench-pkcs11", line);
}

static int register_cards(struct fx *f, struct card_fixture *card)
{
        char out[4096], cert[64];

        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
                snprintf(cert, sizeof(cert), "%s.pem", keys[i].pki);
                const char *argv[] = { "card", "register", USER, "--cert", fixture_pki(card, cert), NULL };

                if (fx_kagictl(f, out, sizeof(out), argv) != 0) {
                        fprintf(stderr, "bench-card: kagictl card register %s: %s\n", cert, out);
                        return -EIO;
                }
        }
        return 0;
}

static int insert_card(struct card_fixture *card, const struct key *k)
{
        char cert[64], key[64];

        snprintf(cert, sizeof(cert), "%s.pem", k->pki);
        snprintf(key, sizeof(key), "%s.key", k->pki);
        unlink(card->vcard_state);
        const char *args[] = { "--piv-cert", fixture_pki(card, cert), "--piv-key", fixture_pki(card, key),
                               "--piv-pin", PIN, NULL };
        return fixture_vcard_start(card, args);
}

/* ---- the run ------------------------------------------------------------------ */

static bool stack_wanted(const struct options *o, enum stack s)
{
        return strcmp(o->stack, "all") == 0 || strcmp(o->stack, s == STACK_KAGI ? "kagi" : "pkcs11") == 0;
}

/* warmup + logins rounds; in each round every wanted stack logs in once,
 * in alternating order, so drift on a shared machine hits both alike. */
static int run_key(const struct options *o, const struct key *k, struct series *out, size_t *n_out)
{
        enum stack order[STACK_MAX_];
        size_t n = 0, first = *n_out;
        struct conv_log log;
        struct sample s;

        for (int st = 0; st < STACK_MAX_; st++)
                if (stack_wanted(o, (enum stack)st)) {
                        order[n] = (enum stack)st;
                        out[*n_out] = (struct series){ .key = k->name, .stack = (enum stack)st };
                        out[*n_out].s = calloc(o->logins, sizeof(struct sample));
                        if (!out[*n_out].s)
                                return -ENOMEM;
                        (*n_out)++;
                        n++;
                }
        for (size_t round = 0; round < o->warmup + o->logins && !stop; round++) {
                for (size_t i = 0; i < n; i++) {
                        size_t idx = round % 2 ? n - 1 - i : i;
                        struct series *se = &out[first + idx];
                        int rc = login_once(order[idx], &s, &log);

                        if (rc != PAM_SUCCESS || (o->debug && round == 0)) {
                                fprintf(stderr, "bench-card: %s %s login %zu: %s; the conversation:\n%s", k->name,
                                        stack_name(order[idx]), round, pam_strerror(NULL, rc), log.text);
                                if (rc != PAM_SUCCESS)
                                        return -EACCES;
                        }
                        if (round >= o->warmup)
                                se->s[se->n++] = s;
                }
        }
        return stop ? -EINTR : 0;
}

static void usage(FILE *f)
{
        fputs("usage: kagi-bench-card [-n LOGINS] [-w WARMUP] [-k rsa|ec|all] [-s kagi|pkcs11|all] [-d]\n"
              "  -n  measured logins per stack and key (200)\n"
              "  -w  warm-up logins, not counted (20)\n"
              "  -k  the card's key: RSA-2048, P-256 or both (all)\n"
              "  -s  the stacks: kagi, pam_pkcs11 + OpenSC, or both (all)\n"
              "  -d  show the first conversation; pam_pkcs11 debug output, OpenSC's debug log\n"
              "      (with KAGI_TEST_KEEP=1 the fixture directory, logs included, is kept)\n"
              "Needs root (a private pcscd in its own mount namespace).\n",
              f);
}

static int parse_count(const char *s, size_t *ret)
{
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || end == s || *end || v > 1000000 || s[0] == '-')
                return -EINVAL;
        *ret = v;
        return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
        int c;

        *o = (struct options){ .logins = 200, .warmup = 20, .key = "all", .stack = "all" };
        while ((c = getopt(argc, argv, "n:w:k:s:dh")) != -1) {
                switch (c) {
                case 'n':
                        if (parse_count(optarg, &o->logins) < 0 || o->logins == 0)
                                return -EINVAL;
                        break;
                case 'w':
                        if (parse_count(optarg, &o->warmup) < 0)
                                return -EINVAL;
                        break;
                case 'k':
                        o->key = optarg;
                        if (strcmp(optarg, "rsa") && strcmp(optarg, "ec") && strcmp(optarg, "all"))
                                return -EINVAL;
                        break;
                case 's':
                        o->stack = optarg;
                        if (strcmp(optarg, "kagi") && strcmp(optarg, "pkcs11") && strcmp(optarg, "all"))
                                return -EINVAL;
                        break;
                case 'd':
                        o->debug = 1;
                        break;
                case 'h':
                        usage(stdout);
                        exit(0);
                default:
                        return -EINVAL;
                }
        }
        return optind == argc ? 0 : -EINVAL;
}

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

/* kagid with the card registered, pam_pkcs11 + OpenSC configured for the
 * same CA, CRL and card, and the two PAM services. */
static int bench_setup(const struct options *o, struct card_fixture *card, struct fx **fxp)
{
        char extra[1024], dir[128], name[64], paths[N_KEYS][PATH_MAX];
        const char *certs[N_KEYS + 1] = { 0 };
        struct pkcs11_conf pc;
        int r;

        /* bench-kagi stands for the console: cards are used only there */
        snprintf(extra, sizeof(extra), "[card]\nca_file = %s\ncrl_file = %s\nwait = 1\nlocal_services = bench-kagi\n",
                 fixture_pki(card, "ca.pem"), fixture_pki(card, "crl.pem"));
        *fxp = fx_new(extra, NULL);
        if (!*fxp)
                return -EIO;
        r = register_cards(*fxp, card);
        if (r < 0)
                return r;

        for (size_t i = 0; i < N_KEYS; i++) {
                snprintf(name, sizeof(name), "%s.pem", keys[i].pki);
                snprintf(paths[i], sizeof(paths[i]), "%s", fixture_pki(card, name));
                certs[i] = paths[i];
        }
        snprintf(dir, sizeof(dir), "%s/pkcs11", card->dir);
        r = pkcs11_conf_write(&pc, dir, fixture_pki(card, "ca.pem"), fixture_pki(card, "crl.pem"), certs, USER,
                              KAGI_SCARD_TIMER, o->debug);
        if (r < 0)
                return r;
        setenv("OPENSC_CONF", pc.opensc_conf, 1);
        /* OpenSC's per-user files (cache off anyway) stay in the fixture */
        setenv("HOME", card->dir, 1);
        return write_services(*fxp, &pc);
}

/* Each wanted key in turn: its card in the reader, the logins, then the tables. */
static int bench_run(const struct options *o, struct card_fixture *card, const struct fx *f)
{
        struct series all[N_KEYS * STACK_MAX_] = { 0 };
        size_t n = 0;
        int r = 0;

        for (size_t i = 0; i < N_KEYS && r >= 0; i++) {
                if (strcmp(o->key, "all") != 0 && strcmp(o->key, keys[i].opt) != 0)
                        continue;
                r = insert_card(card, &keys[i]);
                broker_pid = f->pid;
                card_pid = card->vcard;
                if (r >= 0)
                        r = run_key(o, &keys[i], all, &n);
                fixture_vcard_stop(card);
        }
        if (r >= 0) {
                report_table(all, n, o->logins, o->warmup);
                report_cpu(all, n);
                report_pcsc(all, n, timer.name);
        }
        for (size_t i = 0; i < n; i++)
                free(all[i].s);
        return r;
}

int main(int argc, char **argv)
{
        struct card_fixture card;
        struct options o;
        struct fx *f = NULL;
        int r;

        if (parse_options(argc, argv, &o) < 0) {
                usage(stderr);
                return 2;
        }
        reexec_preloaded(argv);
        if (timer_resolve() < 0)
                return 1;
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        setvbuf(stdout, NULL, _IOLBF, 0);

        report_machine();
        r = fixture_init(&card);
        if (r >= 0)
                r = fixture_pcscd_start(&card);
        if (r == -EPERM)
                fprintf(stderr, "bench-card: a private pcscd needs root or user namespaces\n");
        if (r >= 0)
                r = bench_setup(&o, &card, &f);
        if (r >= 0)
                r = bench_run(&o, &card, f);
        if (f && fx_free(f) < 0 && r >= 0)
                r = -EIO;
        fixture_cleanup(&card);
        if (r < 0 && r != -EPERM)
                fprintf(stderr, "bench-card: failed: %s\n", strerror(-r));
        return r == -EPERM ? 77 : r < 0 ? 1 : 0;
}
