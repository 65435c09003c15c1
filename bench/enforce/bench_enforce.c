/* kagi-bench-enforce: N session cgroups, one process each, all ended in the
 * same second, driven the way kagid's event loop will drive them (epoll on
 * every session's cgroup.events, wake-ups for the grace). Prints the time
 * until all are gone and, per session, from end request to last process
 * gone (cgroup empty and removed), p50 and p99. Never fails on timing.
 *
 *   kagi-bench-enforce [-n SESSIONS] [-g GRACE_MS] [--stubborn]
 *
 * --stubborn: every process ignores SIGHUP and SIGTERM, so each session
 * ends only by cgroup.kill after the grace. Needs root. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "enforce.h"

struct bench_session {
        struct enforce_session *s;
        pid_t pid;
        int64_t wake_ms;
        uint64_t requested_us, gone_us;
        bool ready, done;
};

static uint64_t now_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

        return x < y ? -1 : x > y;
}

static double pct_ms(uint64_t *v, size_t n, double p)
{
        size_t i = (size_t)(p * (double)(n - 1) + 0.5);

        return (double)v[i] / 1000.0;
}

static void print_dist(const char *what, uint64_t *v, size_t n)
{
        qsort(v, n, sizeof(*v), cmp_u64);
        printf("%-34s p50 %8.2f ms   p99 %8.2f ms   max %8.2f ms\n", what,
               pct_ms(v, n, 0.50), pct_ms(v, n, 0.99), (double)v[n - 1] / 1000.0);
}

static void log_cb(void *userdata, int priority, const char *message)
{
        (void)userdata;
        if (priority <= 4)      /* LOG_WARNING and worse */
                fprintf(stderr, "enforce: %s\n", message);
}

static pid_t spawn(bool stubborn)
{
        pid_t pid = fork();

        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (stubborn) {
                        signal(SIGHUP, SIG_IGN);
                        signal(SIGTERM, SIG_IGN);
                }
                for (;;)
                        pause();
        }
        return pid;
}

static int usage(void)
{
        fprintf(stderr, "usage: kagi-bench-enforce [-n SESSIONS] [-g GRACE_MS] [--stubborn]\n");
        return 2;
}

/* Returns how many sessions were started (all n unless something failed). */
static size_t setup(struct enforce *e, struct bench_session *b, size_t n, bool stubborn, uint64_t *start_us)
{
        for (size_t i = 0; i < n; i++) {
                char id[32];
                uint64_t t0;
                int r;

                b[i].pid = spawn(stubborn);
                if (b[i].pid < 0) {
                        perror("fork");
                        return i;
                }
                snprintf(id, sizeof(id), "b%zu", i);
                t0 = now_us();
                r = enforce_session_start(e, id, b[i].pid, &b[i].s);
                start_us[i] = now_us() - t0;
                if (r < 0) {
                        fprintf(stderr, "session %s: %s\n", id, strerror(-r));
                        kill(b[i].pid, SIGKILL);        /* our own child, not yet reaped: its PID is ours */
                        return i;
                }
        }
        return n;
}

/* kagid's loop in small: events fds in epoll, the earliest wake-up as timeout */
static size_t drive(struct bench_session *b, size_t n, int ep, uint64_t limit_us)
{
        size_t left = n;
        uint64_t t_start = now_us();

        while (left > 0 && now_us() - t_start < limit_us) {
                struct epoll_event ev[64];
                int64_t next = INT64_MAX, now = now_ms();
                int k, timeout;

                for (size_t i = 0; i < n; i++)
                        if (!b[i].done && b[i].wake_ms < next)
                                next = b[i].wake_ms;
                timeout = next == INT64_MAX ? 100 : next <= now ? 0 : (int)(next - now);
                k = epoll_wait(ep, ev, ARRAY_SIZE(ev), timeout);
                for (int j = 0; j < k; j++)
                        b[ev[j].data.u64].ready = true;
                now = now_ms();
                for (size_t i = 0; i < n; i++) {
                        bool ready = b[i].ready;

                        b[i].ready = false;
                        if (b[i].done || (!ready && b[i].wake_ms > now))
                                continue;
                        if (enforce_session_end_continue(b[i].s, &b[i].wake_ms) == 1) {
                                b[i].gone_us = now_us();
                                b[i].done = true;
                                left--;
                        }
                }
                while (waitpid(-1, NULL, WNOHANG) > 0)
                        ;
        }
        return left;
}

int main(int argc, char **argv)
{
        struct enforce_config cfg = { .force = ENFORCE_CGROUP, .log = log_cb };
        _cleanup_(freep) struct bench_session *b = NULL;
        _cleanup_(freep) uint64_t *start_us = NULL, *lat = NULL;
        struct enforce *e = NULL;
        struct rlimit rl;
        uint64_t n = 1000, grace = 500, t_first, t_issued, t_last = 0;
        bool stubborn = false;
        char root[64];
        size_t left, started;
        int ep, rc = 0;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
                        if (parse_uint(argv[++i], 100000, &n) < 0 || n == 0)
                                return usage();
                } else if (strcmp(argv[i], "-g") == 0 && i + 1 < argc) {
                        if (parse_uint(argv[++i], 60000, &grace) < 0)
                                return usage();
                } else if (strcmp(argv[i], "--stubborn") == 0)
                        stubborn = true;
                else
                        return usage();
        }
        if (geteuid() != 0) {
                fprintf(stderr, "kagi-bench-enforce: needs root (real cgroups)\n");
                return 1;
        }
        /* three fds a session (cgroup dir, cgroup.events, pidfd) */
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                setrlimit(RLIMIT_NOFILE, &rl);
        }
        prctl(PR_SET_CHILD_SUBREAPER, 1);
        snprintf(root, sizeof(root), "kagi-bench-%d", (int)getpid());
        cfg.cgroup_root = root;
        if (enforce_new(&cfg, &e) < 0 || enforce_kind(e) != ENFORCE_CGROUP) {
                fprintf(stderr, "kagi-bench-enforce: no cgroup mechanism: %s\n",
                        e ? enforce_why_none(e) : "enforce_new failed");
                enforce_free(e);
                return 1;
        }
        b = calloc(n, sizeof(*b));
        start_us = calloc(n, sizeof(*start_us));
        lat = calloc(n, sizeof(*lat));
        ep = epoll_create1(EPOLL_CLOEXEC);
        if (!b || !start_us || !lat || ep < 0)
                return 1;

        printf("kagi-bench-enforce: %llu sessions, one %s process each, grace %llu ms, mechanism %s (%s)\n",
               (unsigned long long)n, stubborn ? "HUP/TERM-ignoring" : "ordinary",
               (unsigned long long)grace, enforce_kind_name(enforce_kind(e)), root);
        started = setup(e, b, n, stubborn, start_us);
        if (started < n) {
                rc = 1;
                n = started;
        }
        for (size_t i = 0; i < n; i++) {
                struct epoll_event ev = { .events = EPOLLPRI, .data.u64 = i };

                epoll_ctl(ep, EPOLL_CTL_ADD, enforce_session_events_fd(b[i].s), &ev);
        }
        if (n > 0 && rc == 0)
                print_dist("session start (mkdir + move):", start_us, n);

        /* all in the same second: as fast as one loop can issue them */
        t_first = now_us();
        for (size_t i = 0; i < n; i++) {
                b[i].requested_us = now_us();
                enforce_session_end(b[i].s, NULL, (int64_t)grace);
                b[i].wake_ms = now_ms();
        }
        t_issued = now_us();
        left = drive(b, n, ep, 30ULL * 1000 * 1000);

        for (size_t i = 0; i < n; i++) {
                if (b[i].done) {
                        lat[i] = b[i].gone_us - b[i].requested_us;
                        if (b[i].gone_us > t_last)
                                t_last = b[i].gone_us;
                }
                enforce_session_free(b[i].s);
        }
        if (n > 0) {
                printf("%-34s %8.2f ms\n", "end requests issued in:", (double)(t_issued - t_first) / 1000.0);
                printf("%-34s %8.2f ms%s\n", "all gone after the first request:",
                       (double)(t_last - t_first) / 1000.0, left ? " (NOT ALL: see below)" : "");
                print_dist("end request -> last process gone:", lat, n - left);
        }
        if (left) {
                printf("%zu sessions not ended within 30 s\n", left);
                rc = 1;
        }
        close(ep);
        /* the bench's own kagi directory goes too: it is empty now */
        if (rmdir(enforce_cgroup_root(e)) < 0)
                fprintf(stderr, "kagi-bench-enforce: %s left behind: %m\n", enforce_cgroup_root(e));
        enforce_free(e);
        while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
        return rc;
}
