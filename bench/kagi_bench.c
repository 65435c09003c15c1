/* kagi-bench: logins per second and their latency, kagi against the local
 * pam_oath + pam_faillock stack. bench/run sets up the accounts, kagid and
 * the PAM service files and calls this; see bench/README.md. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <pthread.h>
#include <security/pam_appl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <liboath/oath.h>

#include "bench.h"
#include "config.h"
#include "names.h"
#include "stack.h"
#include "timing.h"

#define MAX_THREAD_COUNTS 8
#define MAX_THREADS 256

static const char *const stack_names[STACK_MAX_] = {
        [STACK_KAGI] = "kagi",
        [STACK_PEER] = "peer",
        [STACK_PEER_SHARED] = "peer-shared",
        [STACK_PASSWORD] = "password",
        [STACK_MATRIX] = "matrix",
};

/* Hidden prompts a user answers on each stack: password (+ code). */
static const unsigned stack_prompts[STACK_MAX_] = {
        [STACK_KAGI] = 2,
        [STACK_PEER] = 2,
        [STACK_PEER_SHARED] = 2,
        [STACK_PASSWORD] = 1,
        [STACK_MATRIX] = 1,
};

struct options {
        const char *dir;
        char confdir[4096];
        bool stacks[STACK_MAX_];
        uint64_t threads[MAX_THREAD_COUNTS];
        size_t n_threads;
        uint64_t duration, warmup, rounds, threshold;
        uint64_t logins;                      /* a measured run is this many logins, not duration */
        bool right, wrong;                    /* which codes to measure with */
        bool prime;                           /* first log every account in once */
        bool probe;                           /* time an fsync in the state directory */
        struct code_params code;
        pid_t kagid;                          /* to charge its CPU time to kagi's logins */
        uint64_t hog;                         /* connections the hog tries to hold; 0: no hog run */
        const char *socket;                   /* kagid's, for the hog */
};

/* What one configuration (stack, threads, right or wrong code) adds up to
 * over all rounds. */
struct tally {
        struct latencies lat;
        uint64_t ok, failed;
        uint64_t refused;                     /* right codes peer-shared refused (refused()) */
        uint64_t ended_early;                 /* runs cut short: accounts used up */
        uint64_t delayed;                     /* logins after which a module asked for a delay */
        unsigned delay_us;                    /* the longest it asked for */
        double seconds;
        double cpu_self, cpu_kagid;           /* CPU seconds: the logins in this process, kagid */
        char first_error[512];
};

/* What a run does. */
enum run_kind {
        RUN_TIMED,                            /* log in until the time is up */
        RUN_FIRST,                            /* one right login per account, unmeasured */
        RUN_CLEAR,                            /* one right login per account with failures */
};

struct run {
        const struct options *o;
        struct bench_accounts *acc;
        enum bench_stack stack;
        enum run_kind kind;
        bool wrong;                           /* RUN_TIMED with wrong codes */
        size_t threads;
        size_t from;                          /* the first account, acc->next[stack] */
        atomic_bool stop;
        atomic_uint_fast64_t begun;           /* logins begun, against o->logins */
        /* the workers start together once all exist */
        pthread_mutex_t lock;
        pthread_cond_t cond;
        bool go;
};

struct worker {
        pthread_t thread;
        struct run *run;
        size_t index;
        size_t visited;                       /* accounts it looked at */
        struct tally t;
};

/* CPU time of the calling thread, user and system: what its logins cost
 * (libpam and the modules), not the benchmark's own work around them. */
static double thread_cpu(void)
{
        struct timespec ts;

        if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
                return 0;
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* utime + stime of another process, from /proc/PID/stat; 0 if unknown. */
static double process_cpu(pid_t pid)
{
        _cleanup_(fclosep) FILE *f = NULL;
        unsigned long long ut, st;
        char path[64], buf[1024], *p;

        if (pid <= 0)
                return 0;
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        f = fopen(path, "re");
        if (!f || !fgets(buf, sizeof(buf), f))
                return 0;
        /* the command name may hold spaces: fields resume after the last ')' */
        p = strrchr(buf, ')');
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
                return 0;
        return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static int64_t mono_us(void)
{
        return mono_ns() / 1000;
}

/* The next account of this worker that can log in now, and its code.
 * Accounts are dealt to workers round robin from where the stack's last
 * run stopped (acc->next), so no two threads ever use one account at the
 * same time, its steps stay in order, and run after run every account has
 * its turn: 100,000 accounts are 100,000, not the first few thousand again
 * and again (which would flatter every stack whose cost grows with them). */
static size_t accounts_of(const struct worker *w)
{
        const struct run *run = w->run;

        return run->acc->n > w->index ? (run->acc->n - w->index + run->threads - 1) / run->threads : 0;
}

static struct bench_user *pick(struct worker *w, size_t *cursor, char code[16], uint64_t *ret_step)
{
        struct run *run = w->run;
        size_t mine = accounts_of(w);

        for (size_t tries = 0; tries < mine && !(run->kind != RUN_TIMED && *cursor >= mine); tries++) {
                struct bench_user *u = &run->acc->users[(run->from + w->index + (*cursor % mine) * run->threads) %
                                                        run->acc->n];
                int64_t now = (int64_t)time(NULL);

                (*cursor)++;
                if (run->kind == RUN_CLEAR && u->failures[run->stack] == 0)
                        continue;
                if (!stack_has_code(run->stack)) {
                        /* no code asked: any account will do */
                        code[0] = '\0';
                        *ret_step = u->last_step[run->stack];
                        return u;
                }
                /* never the login that would lock the account (peer-shared
                 * refuses right codes too, see refused()) */
                if (run->kind == RUN_TIMED && u->failures[run->stack] + 1 >= run->o->threshold)
                        continue;
                if (run->wrong) {
                        if (code_wrong(&run->o->code, u, now, code) == 0)
                                return u;
                } else if (code_next(&run->o->code, u, run->stack, now, code, ret_step) == 0) {
                        return u;
                }
        }
        return NULL;
}

static bool expected(const struct run *run, const struct login_result *res)
{
        if (res->prompts != stack_prompts[run->stack])
                return false;
        /* pam_faillock's authfail answers PAM_IGNORE, so libpam ends a
         * [default=die] stack with its must-fail code, PAM_PERM_DENIED */
        if (run->wrong)
                return res->auth == PAM_AUTH_ERR || res->auth == PAM_PERM_DENIED;
        return res->auth == PAM_SUCCESS && res->account == PAM_SUCCESS;
}

/* peer-shared refuses a right code when another login holds its users
 * file: pam_oath creates users.oath.lock with O_EXCL and gives up at once
 * on EEXIST (Debian 12's liboath 2.6.7-3.1+deb12u1), between processes as
 * between threads. That is the stack's behaviour under concurrency, counted
 * apart, not an error of the benchmark. */
static bool refused(const struct run *run, const struct login_result *res)
{
        return run->stack == STACK_PEER_SHARED && !run->wrong && run->kind == RUN_TIMED &&
               res->prompts == stack_prompts[run->stack] && res->auth == PAM_PERM_DENIED;
}

static void note_failure(struct worker *w, const struct bench_user *u, const struct login_result *res)
{
        w->t.failed++;
        if (w->t.first_error[0])
                return;
        snprintf(w->t.first_error, sizeof(w->t.first_error),
                 "%s: auth %s, account %s; asked \"%s\" \"%s\"%s; said \"%s\"", u->name,
                 pam_strerror(NULL, res->auth), res->account < 0 ? "not run" : pam_strerror(NULL, res->account),
                 res->asked[0], res->asked[1], res->prompts > 2 ? " and more" : "", res->message);
}

static void *worker_main(void *arg)
{
        struct worker *w = arg;
        struct run *run = w->run;
        size_t cursor = 0;

        pthread_mutex_lock(&run->lock);
        while (!run->go)
                pthread_cond_wait(&run->cond, &run->lock);
        pthread_mutex_unlock(&run->lock);
        while (!atomic_load(&run->stop)) {
                struct login_result res;
                struct bench_user *u;
                uint64_t step = 0;
                char code[16];
                double cpu0;
                int64_t t0;
                int r;

                u = pick(w, &cursor, code, &step);
                if (!u && run->kind != RUN_TIMED)
                        break;
                if (u && run->kind == RUN_TIMED && run->o->logins && atomic_fetch_add(&run->begun, 1) >= run->o->logins)
                        break;
                if (!u) {
                        /* every account of this worker is one failure from
                         * the lock (wrong codes), or has used every code it
                         * may use now (right ones): end the run for all
                         * (they share the accounts evenly, so all are about
                         * there). Its rate is what it reached until then;
                         * waiting for the clock would only lower it. */
                        w->t.ended_early = 1;
                        pthread_mutex_lock(&run->lock);
                        atomic_store(&run->stop, true);
                        pthread_cond_broadcast(&run->cond);
                        pthread_mutex_unlock(&run->lock);
                        break;
                }
                t0 = mono_us();
                cpu0 = thread_cpu();
                r = login_run(run->o->confdir, stack_names[run->stack], u->name, u->password, code, &res);
                w->t.cpu_self += thread_cpu() - cpu0;
                if (r < 0) {
                        note_failure(w, u, &res);
                        continue;
                }
                /* never offer a code twice, whatever the stack made of it */
                if (!run->wrong)
                        u->last_step[run->stack] = step;
                /* a refused login is a failure on the stack, whatever the code */
                if (run->wrong || !expected(run, &res))
                        u->failures[run->stack]++;
                if (refused(run, &res)) {
                        w->t.refused++;
                        continue;
                }
                if (!expected(run, &res)) {
                        note_failure(w, u, &res);
                        continue;
                }
                if (!run->wrong)
                        u->failures[run->stack] = 0;
                if (res.delay_us) {
                        w->t.delayed++;
                        if (res.delay_us > w->t.delay_us)
                                w->t.delay_us = res.delay_us;
                }
                w->t.ok++;
                if (latencies_add(&w->t.lat, (uint32_t)(mono_us() - t0)) < 0)
                        break;
        }
        w->visited = cursor;
        return NULL;
}

static int run_once(const struct options *o, struct bench_accounts *acc, enum bench_stack stack, enum run_kind kind,
                    bool wrong, size_t threads, uint64_t seconds, struct tally *into)
{
        struct run run = { .o = o, .acc = acc, .stack = stack, .kind = kind, .wrong = wrong, .threads = threads,
                           .from = acc->next[stack],
                           .lock = PTHREAD_MUTEX_INITIALIZER };
        pthread_condattr_t ca;
        _cleanup_(freep) struct worker *w = calloc(threads, sizeof(*w));
        size_t started = 0;
        double kcpu0 = stack == STACK_KAGI ? process_cpu(o->kagid) : 0;
        bool early = false;
        int64_t t0;
        int r = 0;

        if (!w)
                return -ENOMEM;
        /* the deadline is on the monotonic clock, like every time here */
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&run.cond, &ca);
        pthread_condattr_destroy(&ca);
        for (; started < threads; started++) {
                w[started] = (struct worker){ .run = &run, .index = started };
                r = -pthread_create(&w[started].thread, NULL, worker_main, &w[started]);
                if (r < 0)
                        break;
        }
        if (r < 0)
                atomic_store(&run.stop, true);
        pthread_mutex_lock(&run.lock);
        run.go = true;
        pthread_cond_broadcast(&run.cond);
        pthread_mutex_unlock(&run.lock);
        t0 = mono_us();
        if (r >= 0 && kind == RUN_TIMED && !o->logins) {
                /* until the time is up, or a worker ends the run early */
                struct timespec end;

                clock_gettime(CLOCK_MONOTONIC, &end);
                end.tv_sec += (time_t)seconds;
                pthread_mutex_lock(&run.lock);
                while (!atomic_load(&run.stop) &&
                       pthread_cond_timedwait(&run.cond, &run.lock, &end) != ETIMEDOUT)
                        ;
                atomic_store(&run.stop, true);
                pthread_mutex_unlock(&run.lock);
        }
        for (size_t i = 0; i < started; i++) {
                pthread_join(w[i].thread, NULL);
                acc->next[stack] = (acc->next[stack] + w[i].visited) % acc->n;
        }
        if (into && r >= 0) {
                into->seconds += (double)(mono_us() - t0) / 1e6;
                if (stack == STACK_KAGI)
                        into->cpu_kagid += process_cpu(o->kagid) - kcpu0;
                for (size_t i = 0; i < threads; i++) {
                        into->ok += w[i].t.ok;
                        into->failed += w[i].t.failed;
                        into->cpu_self += w[i].t.cpu_self;
                        into->refused += w[i].t.refused;
                        early |= w[i].t.ended_early != 0;
                        into->delayed += w[i].t.delayed;
                        if (w[i].t.delay_us > into->delay_us)
                                into->delay_us = w[i].t.delay_us;
                        if (!into->first_error[0])
                                memcpy(into->first_error, w[i].t.first_error, sizeof(into->first_error));
                        if (latencies_append(&into->lat, &w[i].t.lat) < 0)
                                r = -ENOMEM;
                }
                into->ended_early += early;
        }
        for (size_t i = 0; i < started; i++)
                latencies_free(&w[i].t.lat);
        pthread_cond_destroy(&run.cond);
        return r;
}

/* An unmeasured pass (RUN_FIRST, RUN_CLEAR); every login must succeed, so
 * peer-shared's logins go one at a time (see refused()). */
static int run_pass(const struct options *o, struct bench_accounts *acc, enum bench_stack stack, enum run_kind kind)
{
        struct tally t = { 0 };
        int r = run_once(o, acc, stack, kind, false, stack == STACK_PEER_SHARED ? 1 : o->threads[o->n_threads - 1], 0,
                         &t);

        if (r >= 0 && t.failed) {
                printf("  %s on %s: %llu unexpected outcomes, first: %s\n",
                       kind == RUN_FIRST ? "first login of every account" : "clearing failures", stack_names[stack],
                       (unsigned long long)t.failed, t.first_error);
                r = -EPROTO;
        }
        latencies_free(&t.lat);
        return r;
}

/* The failures earlier runs left (wrong codes, peer-shared's refusals),
 * cleared as an administrator would: kagi's with kagictl unlock over the
 * socket, pam_faillock's by emptying the account's tally file, as
 * faillock --reset does. A right login per account would do too (and does
 * without --socket), but uses up codes: with 1,000 accounts they run out. */
static int clear_failures(const struct options *o, struct bench_accounts *acc, enum bench_stack stack)
{
        char err[512];
        int r = 0;

        if (stack == STACK_KAGI && !o->socket)
                return run_pass(o, acc, stack, RUN_CLEAR);
        if (stack == STACK_KAGI) {
                r = unlock_failed(o->socket, acc, err, sizeof(err));
                if (r < 0)
                        fprintf(stderr, "kagi-bench: %s\n", err);
        }
        for (size_t i = 0; i < acc->n && r >= 0; i++) {
                struct bench_user *u = &acc->users[i];
                char path[4200];

                if (stack != STACK_KAGI && u->failures[stack] > 0) {
                        snprintf(path, sizeof(path), "%s/%s/%s", o->dir,
                                 stack == STACK_PEER ? BENCH_FAILLOCK_DIR : BENCH_FAILLOCK_SHARED_DIR, u->name);
                        if (truncate(path, 0) < 0 && errno != ENOENT) {
                                r = -errno;
                                fprintf(stderr, "kagi-bench: %s: %s\n", path, strerror(errno));
                        }
                }
                u->failures[stack] = 0;
        }
        return r;
}

/* Before each measured run: clear the failures of earlier runs, so nobody
 * reaches the lock; then write the dirty pages of earlier runs to disk, so
 * that one stack's unsynced writes are not flushed by the next one's
 * fsync. */
static int settle(const struct options *o, struct bench_accounts *acc, enum bench_stack stack)
{
        _cleanup_(closep) int fd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r = 0;

        if (stack_has_code(stack))
                r = clear_failures(o, acc, stack);
        if (r >= 0 && (fd < 0 || syncfs(fd) < 0))
                r = -errno;
        return r;
}

static double per_second(const struct tally *t)
{
        return t->seconds > 0 ? (double)t->ok / t->seconds : 0;
}

static void print_row(const char *label, size_t threads, bool wrong, struct tally *t)
{
        uint64_t n = t->ok + t->failed;

        printf("  %-11s %7zu %9llu %7llu %11.1f %9.3f %9.3f %8.3f", label, threads, (unsigned long long)t->ok,
               (unsigned long long)t->failed, per_second(t), latencies_quantile(&t->lat, 0.50) / 1000.0,
               latencies_quantile(&t->lat, 0.99) / 1000.0, n ? (t->cpu_self + t->cpu_kagid) * 1000.0 / (double)n : 0);
        if (t->cpu_kagid > 0 && n)
                printf("  (PAM side %.3f + kagid %.3f)", t->cpu_self * 1000.0 / (double)n, t->cpu_kagid * 1000.0 / (double)n);
        printf("\n");
        if (t->delayed)
                printf("    a module asked the application to wait up to %.1f s after %llu of these (not slept here)\n",
                       t->delay_us / 1e6, (unsigned long long)t->delayed);
        if (t->failed)
                printf("    unexpected outcomes: %llu, first: %s\n", (unsigned long long)t->failed, t->first_error);
        if (t->refused)
                printf("    %llu right codes refused (%.1f%%): pam_oath found the users file locked by another login\n",
                       (unsigned long long)t->refused, 100.0 * (double)t->refused / (double)(t->ok + t->refused));
        if (t->ended_early)
                printf("    %llu run(s) ended early (%.1f s measured): every account was %s\n",
                       (unsigned long long)t->ended_early, t->seconds,
                       wrong ? "one failure from the lock" : "out of unused codes for now");
}

/* Is stack s measured in this table? Only stacks that ask for a code can be
 * given a wrong one. */
static bool measured(const struct options *o, int s, bool wrong)
{
        return o->stacks[s] && (!wrong || stack_has_code((enum bench_stack)s));
}

static double ratio(double a, double b)
{
        return b > 0 ? a / b : 0;
}

/* kagi against each other stack measured: throughput, p50 and p99. */
static void print_ratios(const struct options *o, struct tally *t, uint64_t threads, bool wrong)
{
        struct tally *k = &t[STACK_KAGI];

        if (!o->stacks[STACK_KAGI])
                return;
        for (int s = 0; s < STACK_MAX_; s++) {
                struct tally *p = &t[s];

                if (s == STACK_KAGI || !measured(o, s, wrong))
                        continue;
                printf("  kagi/%s at %llu thread(s): throughput x%.2f, p50 x%.2f, p99 x%.2f\n", stack_names[s],
                       (unsigned long long)threads, ratio(per_second(k), per_second(p)),
                       ratio(latencies_quantile(&k->lat, 0.5), latencies_quantile(&p->lat, 0.5)),
                       ratio(latencies_quantile(&k->lat, 0.99), latencies_quantile(&p->lat, 0.99)));
        }
}

/* One line per configuration for bench/run to gather across runs. */
static void print_result(const struct options *o, size_t accounts, enum bench_stack s, uint64_t threads, bool wrong,
                         struct tally *t)
{
        uint64_t n = t->ok + t->failed;

        printf("result accounts=%zu codes=%s stack=%s threads=%llu logins=%llu failed=%llu refused=%llu ended_early=%llu "
               "per_s=%.1f p50_ms=%.3f p99_ms=%.3f cpu_ms=%.3f pam_ms=%.3f kagid_ms=%.3f\n",
               accounts, wrong ? "wrong" : "right", stack_names[s], (unsigned long long)threads,
               (unsigned long long)t->ok, (unsigned long long)t->failed, (unsigned long long)t->refused,
               (unsigned long long)t->ended_early,
               per_second(t), latencies_quantile(&t->lat, 0.50) / 1000.0, latencies_quantile(&t->lat, 0.99) / 1000.0,
               n ? (t->cpu_self + t->cpu_kagid) * 1000.0 / (double)n : 0, n ? t->cpu_self * 1000.0 / (double)n : 0,
               n && s == STACK_KAGI && o->kagid > 0 ? t->cpu_kagid * 1000.0 / (double)n : 0);
}

/* One table: every stack at every thread count, over all rounds. */
static int measure(const struct options *o, struct bench_accounts *acc, bool wrong)
{
        size_t n_accounts = acc->n;
        struct tally t[MAX_THREAD_COUNTS][STACK_MAX_] = { 0 };
        int r = 0;

        printf("\n%s, %llu round(s) of %llu s per configuration after %llu s warm-up\n",
               wrong ? "WRONG CODE (right password): every login refused and counted as a failure"
                     : "RIGHT CODE: every login succeeds (auth + account)",
               (unsigned long long)o->rounds, (unsigned long long)o->duration, (unsigned long long)o->warmup);
        for (size_t i = 0; i < o->n_threads && r >= 0 && o->warmup; i++)
                for (int s = 0; s < STACK_MAX_ && r >= 0; s++)
                        if (measured(o, s, wrong)) {
                                r = settle(o, acc, (enum bench_stack)s);
                                if (r >= 0)
                                        r = run_once(o, acc, (enum bench_stack)s, RUN_TIMED, wrong, o->threads[i],
                                                     o->warmup, NULL);
                        }
        for (uint64_t round = 0; round < o->rounds && r >= 0; round++)
                for (size_t i = 0; i < o->n_threads && r >= 0; i++)
                        for (int k = 0; k < STACK_MAX_ && r >= 0; k++) {
                                /* alternate the order so drift in the machine hits both stacks alike */
                                int s = round % 2 ? STACK_MAX_ - 1 - k : k;

                                if (!measured(o, s, wrong))
                                        continue;
                                r = settle(o, acc, (enum bench_stack)s);
                                if (r >= 0)
                                        r = run_once(o, acc, (enum bench_stack)s, RUN_TIMED, wrong, o->threads[i],
                                                     o->duration, &t[i][s]);
                        }
        if (r < 0)
                return r;

        printf("  %-11s %7s %9s %7s %11s %9s %9s %8s\n", "stack", "threads", "logins", "failed", "logins/s", "p50 ms",
               "p99 ms", "CPU ms");
        for (size_t i = 0; i < o->n_threads; i++) {
                for (int s = 0; s < STACK_MAX_; s++)
                        if (measured(o, s, wrong))
                                print_row(stack_names[s], o->threads[i], wrong, &t[i][s]);
                print_ratios(o, t[i], o->threads[i], wrong);
        }
        for (size_t i = 0; i < o->n_threads; i++)
                for (int s = 0; s < STACK_MAX_; s++)
                        if (measured(o, s, wrong))
                                print_result(o, n_accounts, (enum bench_stack)s, o->threads[i], wrong, &t[i][s]);
        fflush(stdout);
        for (size_t i = 0; i < o->n_threads; i++)
                for (int s = 0; s < STACK_MAX_; s++) {
                        if (t[i][s].failed)
                                r = -EPROTO;
                        latencies_free(&t[i][s].lat);
                }
        return r;
}

static void print_hog_row(const char *label, uint64_t threads, struct tally *t)
{
        printf("  %-20s %7llu %9llu %7llu %11.1f %9.3f %9.3f\n", label, (unsigned long long)threads,
               (unsigned long long)t->ok, (unsigned long long)t->failed, per_second(t),
               latencies_quantile(&t->lat, 0.50) / 1000.0, latencies_quantile(&t->lat, 0.99) / 1000.0);
        if (t->failed)
                printf("    unexpected outcomes: %llu, first: %s\n", (unsigned long long)t->failed, t->first_error);
}

/* Right-code kagi logins, every round at every thread count. */
static int kagi_rounds(const struct options *o, struct bench_accounts *acc, struct tally *t)
{
        int r = 0;

        for (uint64_t round = 0; round < o->rounds && r >= 0; round++)
                for (size_t i = 0; i < o->n_threads && r >= 0; i++) {
                        r = settle(o, acc, STACK_KAGI);
                        if (r >= 0)
                                r = run_once(o, acc, STACK_KAGI, RUN_TIMED, false, o->threads[i], o->duration, &t[i]);
                }
        return r;
}

/* Root's logins through the kagi stack at each thread count, first on a
 * quiet socket, then while the hog (hog.c) tries to hold o->hog
 * connections to it. */
static int measure_hog(const struct options *o, struct bench_accounts *acc)
{
        struct tally quiet[MAX_THREAD_COUNTS] = { 0 }, hogged[MAX_THREAD_COUNTS] = { 0 };
        struct hog_stats st = { 0 };
        struct hog h;
        int r;

        printf("\nCONNECTION HOG: uid 65534 tries to hold %llu connections to kagid's socket, dripping bytes on\n"
               "those it gets and reconnecting those kagid closes; root logs in through the kagi stack, right\n"
               "codes, %llu round(s) of %llu s per thread count, first without the hog, then with it\n",
               (unsigned long long)o->hog, (unsigned long long)o->rounds, (unsigned long long)o->duration);
        r = kagi_rounds(o, acc, quiet);
        if (r >= 0)
                r = hog_start(o->socket, o->hog, &h);
        if (r < 0)
                return r;
        /* let it take what it can */
        nanosleep(&(struct timespec){ .tv_sec = 1 }, NULL);
        r = kagi_rounds(o, acc, hogged);
        if (hog_stop(&h, &st) < 0 && r >= 0) {
                fprintf(stderr, "kagi-bench: the hog failed (could it reach %s as uid 65534?)\n", o->socket);
                r = -EIO;
        }
        if (r < 0)
                return r;
        printf("  %-20s %7s %9s %7s %11s %9s %9s\n", "root logins", "threads", "logins", "failed", "logins/s",
               "p50 ms", "p99 ms");
        for (size_t i = 0; i < o->n_threads; i++) {
                print_hog_row("without the hog", o->threads[i], &quiet[i]);
                print_hog_row("while it hogs", o->threads[i], &hogged[i]);
        }
        printf("  the hog: %llu connects in %llu passes, %llu closed by kagid, at most %llu held at once,\n"
               "           %llu refused with the listen queue full, %llu other errors, %llu bytes dripped\n",
               (unsigned long long)st.connects, (unsigned long long)st.passes, (unsigned long long)st.closed,
               (unsigned long long)st.open_max, (unsigned long long)st.queue_full, (unsigned long long)st.errors,
               (unsigned long long)st.bytes);
        for (size_t i = 0; i < o->n_threads; i++) {
                printf("result accounts=%zu codes=right stack=kagi-quiet threads=%llu logins=%llu failed=%llu "
                       "p50_ms=%.3f p99_ms=%.3f\n", acc->n, (unsigned long long)o->threads[i],
                       (unsigned long long)quiet[i].ok, (unsigned long long)quiet[i].failed,
                       latencies_quantile(&quiet[i].lat, 0.5) / 1000.0, latencies_quantile(&quiet[i].lat, 0.99) / 1000.0);
                printf("result accounts=%zu codes=right stack=kagi-hog threads=%llu logins=%llu failed=%llu "
                       "p50_ms=%.3f p99_ms=%.3f hog_connects=%llu hog_held=%llu\n", acc->n,
                       (unsigned long long)o->threads[i], (unsigned long long)hogged[i].ok,
                       (unsigned long long)hogged[i].failed, latencies_quantile(&hogged[i].lat, 0.5) / 1000.0,
                       latencies_quantile(&hogged[i].lat, 0.99) / 1000.0, (unsigned long long)st.connects,
                       (unsigned long long)st.open_max);
        }
        for (size_t i = 0; i < o->n_threads; i++) {
                if (quiet[i].failed || hogged[i].failed)
                        r = -EPROTO;
                latencies_free(&quiet[i].lat);
                latencies_free(&hogged[i].lat);
        }
        return r;
}

/* libpam loads a stack's modules at pam_start and unloads them at pam_end;
 * kept loaded here, each login costs its work, not the loading, which
 * kagi-bench-load measures on its own (this process has libcrypto and
 * liboath loaded anyway, which would favour whichever stack needs them). */
static int pin_modules(const struct options *o, enum bench_stack s)
{
        struct stack_modules m;
        char path[4200], err[512];
        int r;

        snprintf(path, sizeof(path), "%s/%s", o->confdir, stack_names[s]);
        r = stack_modules(path, &m);
        if (r < 0) {
                fprintf(stderr, "kagi-bench: %s: %s\n", path, strerror(-r));
                return r;
        }
        r = stack_load(&m, true, err, sizeof(err));
        if (r < 0)
                fprintf(stderr, "kagi-bench: %s: %s\n", path, err);
        stack_modules_free(&m);
        return r;
}

static void print_header(const struct options *o, const struct bench_accounts *acc)
{
        struct machine m;
        char when[64];
        time_t now = time(NULL);

        machine_describe(o->dir, o->probe, &m);
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&now));
        printf("kagi-bench %s, %s\n", KAGI_VERSION, when);
        printf("machine: %ld CPU(s) (%s), %s, load %.2f\n", m.cpus, m.cpu_model, m.kernel, m.load1);
        if (m.fsync_us >= 0)
                printf("state directory: %s (%s); write(4 KiB)+fsync there: median %.0f us\n", o->dir, m.fs,
                       m.fsync_us);
        else
                printf("state directory: %s (%s)\n", o->dir, m.fs);
        printf("accounts: %zu; TOTP %u digits, %u s step, window +-%u steps (both stacks); lockout after %llu\n",
               acc->n, o->code.digits, o->code.step, o->code.window, (unsigned long long)o->threshold);
        printf("kagi: pam_kagi.so preauth / pam_benchpw / authfail / pam_kagi.so, account pam_kagi.so;\n"
               "      kagid over its Unix socket: preauth reserves the attempt (in memory), verify checks\n"
               "      the code and commits the result and its audit records before answering (SQLite WAL,\n"
               "      synchronous=FULL; concurrent logins share one commit); the account phase is answered\n"
               "      with verify\n");
        printf("peer: pam_faillock preauth / pam_benchpw / authfail / pam_oath / authfail / authsucc,\n"
               "      account pam_faillock; pam_oath rewrites the account's own users file on success (fsync,\n"
               "      rename), pam_faillock writes its tally file without fsync\n");
        if (o->stacks[STACK_PEER_SHARED])
                printf("peer-shared: the same with one pam_oath users file for all %zu accounts (as most sites\n"
                       "      deploy it), which pam_oath rewrites whole on every success%s\n",
                       acc->n, o->prime ? "; not primed" : "");
        if (o->stacks[STACK_PASSWORD])
                printf("password: pam_benchpw alone, the floor every stack stands on (libpam and a password\n"
                       "      looked up in a hash table on disk, in constant time)\n");
        if (o->stacks[STACK_MATRIX])
                printf("matrix: pam_matrix alone, the first benchmark's floor (reads its passdb line by line,\n"
                       "      so it grows with the accounts)\n");
        printf("modules stay loaded between logins (a long-running process); the cost of loading them,\n"
               "paid once per process by login, su or an sshd child, is measured apart below\n");
        printf("CPU ms: CPU time per login of the threads logging in, while in libpam and the modules\n"
               "        (not the benchmark's own work, such as making codes)%s\n",
               o->kagid > 0 ? ", plus, for kagi, kagid's" : "");
}

static int parse_list(const char *s, struct options *o)
{
        _cleanup_(freep) char *copy = strdup(s);
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        o->n_threads = 0;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                uint64_t v;

                if (o->n_threads == MAX_THREAD_COUNTS || parse_uint(t, MAX_THREADS, &v) < 0 || v == 0)
                        return -EINVAL;
                o->threads[o->n_threads++] = v;
        }
        return o->n_threads ? 0 : -EINVAL;
}

static int parse_stacks(const char *s, struct options *o)
{
        _cleanup_(freep) char *copy = strdup(s);
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        memset(o->stacks, 0, sizeof(o->stacks));
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                int found = -1;

                for (int i = 0; i < STACK_MAX_; i++)
                        if (strcmp(t, stack_names[i]) == 0)
                                found = i;
                if (found < 0)
                        return -EINVAL;
                o->stacks[found] = true;
        }
        return 0;
}

static void usage(FILE *f)
{
        fputs("usage: kagi-bench setup DIR [--users N]\n"
              "       kagi-bench enroll DIR SOCKET\n"
              "       kagi-bench run DIR [options]\n"
              "\n"
              "setup writes DIR/passwd, group (nss_wrapper), passdb (pam_matrix), accounts\n"
              "(NAME PASSWORD BASE32 for kagictl totp enroll) and oath/NAME (pam_oath); the\n"
              "accounts themselves come from libnss_kagibench.so.2 through nss_wrapper.\n"
              "run logs in through the PAM services in DIR/pam.d (kagi, peer, password).\n"
              "\n"
              "  --stacks LIST     kagi,peer,peer-shared,password,matrix (default kagi,peer)\n"
              "  --threads LIST    concurrent logins, e.g. 1,16 (default)\n"
              "  --duration S      seconds per measured run (default 5)\n"
              "  --warmup S        seconds of unmeasured logins first (default 1)\n"
              "  --rounds N        measured runs per configuration, alternating stacks (default 3)\n"
              "  --window W        TOTP window both stacks are configured with (default 10)\n"
              "  --threshold N     lockout threshold both stacks use (default 3)\n"
              "  --codes WHICH     right (default), wrong (right password, wrong code) or both\n"
              "  --kagid-pid PID   report kagid's CPU time per login too\n"
              "  --no-prime        skip the first (unmeasured) login of every account on kagi and peer\n"
              "  --no-probe        do not time an fsync first (when the stacks' syncs are being counted)\n"
              "  --logins N        a run is N logins instead of --duration seconds (for callgrind)\n"
              "  --socket PATH     kagid's, to unlock accounts between runs (else right logins clear them)\n"
              "  --hog N           instead: root's kagi logins without, then with uid 65534 trying to\n"
              "                    hold N connections to kagid's socket (needs --socket)\n"
              "\n"
              "bench/run does all of it; see bench/README.md.\n",
              f);
}

static int cmd_setup(int argc, char **argv)
{
        uint64_t users = 8000;
        char err[512];
        int opt;
        static const struct option longopts[] = {
                { "users", required_argument, NULL, 'u' },
                { 0 },
        };

        while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
                if (opt == 'u' && parse_uint(optarg, 999999, &users) == 0 && users > 0)
                        continue;
                usage(stderr);
                return 2;
        }
        if (optind != argc - 1) {
                usage(stderr);
                return 2;
        }
        if (accounts_create(argv[optind], users, err, sizeof(err)) < 0) {
                fprintf(stderr, "kagi-bench: %s\n", err);
                return 1;
        }
        return 0;
}

/* kagi-bench enroll DIR SOCKET: every account but the first, which
 * bench/run enrolls with kagictl itself. */
static int cmd_enroll(int argc, char **argv)
{
        struct bench_accounts acc;
        char err[512];
        int r;

        if (argc != 3) {
                usage(stderr);
                return 2;
        }
        if (accounts_load(argv[1], &acc, err, sizeof(err)) < 0) {
                fprintf(stderr, "kagi-bench: %s\n", err);
                return 1;
        }
        r = enroll_all(argv[2], &acc, 1, err, sizeof(err));
        accounts_free(&acc);
        if (r < 0)
                fprintf(stderr, "kagi-bench: %s\n", err);
        return r < 0 ? 1 : 0;
}

static int cmd_run(int argc, char **argv)
{
        struct options o = {
                .stacks = { [STACK_KAGI] = true, [STACK_PEER] = true },
                .threads = { 1, 16 },
                .n_threads = 2,
                .duration = 5,
                .warmup = 1,
                .rounds = 3,
                .threshold = 3,
                .prime = true,
                .probe = true,
                .right = true,
                .code = { .step = 30, .window = 10, .digits = 6 },
        };
        struct bench_accounts acc;
        uint64_t window = o.code.window, pid = 0;
        char err[512];
        int opt, r;
        static const struct option longopts[] = {
                { "stacks", required_argument, NULL, 's' },
                { "threads", required_argument, NULL, 't' },
                { "duration", required_argument, NULL, 'd' },
                { "warmup", required_argument, NULL, 'w' },
                { "rounds", required_argument, NULL, 'r' },
                { "window", required_argument, NULL, 'W' },
                { "threshold", required_argument, NULL, 'T' },
                { "codes", required_argument, NULL, 'c' },
                { "kagid-pid", required_argument, NULL, 'k' },
                { "no-prime", no_argument, NULL, 'n' },
                { "no-probe", no_argument, NULL, 'P' },
                { "logins", required_argument, NULL, 'L' },
                { "hog", required_argument, NULL, 'H' },
                { "socket", required_argument, NULL, 'K' },
                { 0 },
        };

        while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
                switch (opt) {
                case 's': r = parse_stacks(optarg, &o); break;
                case 't': r = parse_list(optarg, &o); break;
                case 'd': r = parse_uint(optarg, 3600, &o.duration); break;
                case 'w': r = parse_uint(optarg, 3600, &o.warmup); break;
                case 'r': r = parse_uint(optarg, 100, &o.rounds); break;
                case 'W': r = parse_uint(optarg, 100, &window); break;
                case 'T': r = parse_uint(optarg, 100, &o.threshold); break;
                case 'c':
                        o.right = strcmp(optarg, "right") == 0 || strcmp(optarg, "both") == 0;
                        o.wrong = strcmp(optarg, "wrong") == 0 || strcmp(optarg, "both") == 0;
                        r = o.right || o.wrong ? 0 : -EINVAL;
                        break;
                case 'n': o.prime = false; r = 0; break;
                case 'P': o.probe = false; r = 0; break;
                case 'L': r = parse_uint(optarg, UINT32_MAX, &o.logins); break;
                case 'H': r = parse_uint(optarg, 1000000, &o.hog); break;
                case 'K': o.socket = optarg; r = 0; break;
                case 'k':
                        r = parse_uint(optarg, INT32_MAX, &pid);
                        o.kagid = (pid_t)pid;
                        break;
                default: r = -EINVAL; break;
                }
                if (r < 0) {
                        usage(stderr);
                        return 2;
                }
        }
        if (optind != argc - 1 || window < 1 || (o.hog && !o.socket) || o.duration < 1 || o.rounds < 1 || o.threshold < 2) {
                usage(stderr);
                return 2;
        }
        o.code.window = (uint32_t)window;
        o.dir = argv[optind];
        snprintf(o.confdir, sizeof(o.confdir), "%s/pam.d", o.dir);
        if (accounts_load(o.dir, &acc, err, sizeof(err)) < 0) {
                fprintf(stderr, "kagi-bench: %s\n", err);
                return 1;
        }
        /* Also loads nss_wrapper's files before the threads start: several
         * threads doing that at once can miss an account. */
        if (!getpwnam(acc.users[acc.n - 1].name)) {
                fprintf(stderr, "kagi-bench: %s is not known to NSS: run under nss_wrapper with "
                        "libnss_kagibench (bench/run does)\n", acc.users[acc.n - 1].name);
                accounts_free(&acc);
                return 1;
        }
        r = accounts_load_progress(o.dir, &acc);
        if (r < 0) {
                fprintf(stderr, "kagi-bench: %s/progress: %s\n", o.dir, strerror(-r));
                accounts_free(&acc);
                return 1;
        }
        if (oath_init() != OATH_OK) {
                fprintf(stderr, "kagi-bench: liboath failed to initialise\n");
                accounts_free(&acc);
                return 1;
        }
        print_header(&o, &acc);
        fflush(stdout);
        r = 0;
        for (int s = 0; s < STACK_MAX_ && r >= 0; s++)
                if (o.stacks[s])
                        r = pin_modules(&o, (enum bench_stack)s);
        /* Every account has logged in before, as on a machine in use: kagi
         * holds its row, pam_oath's file its counter. Not peer-shared, whose
         * every login rewrites the file of all accounts: 100,000 first
         * logins would take an hour. */
        for (int s = 0; s < STACK_MAX_ && r >= 0 && o.prime; s++)
                if (o.stacks[s] && (s == STACK_KAGI || s == STACK_PEER))
                        r = run_pass(&o, &acc, (enum bench_stack)s, RUN_FIRST);
        if (r >= 0 && o.hog)
                r = measure_hog(&o, &acc);
        else if (r >= 0 && o.right)
                r = measure(&o, &acc, false);
        if (r >= 0 && o.wrong && !o.hog)
                r = measure(&o, &acc, true);
        if (accounts_save_progress(o.dir, &acc) < 0)
                fprintf(stderr, "kagi-bench: cannot save %s/progress: a second run there may reuse codes\n", o.dir);
        accounts_free(&acc);
        oath_done();
        if (r == -EPROTO)
                fprintf(stderr, "kagi-bench: some logins did not end as expected (see above)\n");
        else if (r < 0)
                fprintf(stderr, "kagi-bench: %s\n", strerror(-r));
        return r < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
        if (argc >= 2 && strcmp(argv[1], "setup") == 0)
                return cmd_setup(argc - 1, argv + 1);
        if (argc >= 2 && strcmp(argv[1], "run") == 0)
                return cmd_run(argc - 1, argv + 1);
        if (argc >= 2 && strcmp(argv[1], "enroll") == 0)
                return cmd_enroll(argc - 1, argv + 1);
        usage(argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) ? stdout : stderr);
        return 2;
}
