/* kagi-bench-sessions: the real kagid with many live sessions (issue 12).
 *
 *   kagi-bench-sessions rss    [-n N] [--kind pidfd|cgroup] [-p PROCS] [options]
 *   kagi-bench-sessions expire [-n N] [--stubborn] [--lead S] [options]
 *   options: [--dir PARENT] [--keep] [--nofile HARD] [--nofile-soft SOFT] [--kagid PATH]
 *
 * Both write a kagi.conf and a database in a fresh directory under PARENT
 * (/var/tmp), put N session rows into the store through libkagi-store, as
 * kagid itself would have registered them, and start kagid (-f -c CONF),
 * which takes every live session up at start — the path of a restart
 * (live.c). They wait until kagid is settled: "listening on" logged (after
 * the take-up) and then no CPU time spent for a second.
 *
 * rss: kagid's VmRSS and VmHWM from /proc, first on the empty store, then
 * with the N sessions (default 10,000). --kind pidfd: ordinary sessions
 * (no grant, no cgroup) tracked by a pidfd of the process that opened them,
 * PROCS long-lived processes shared round robin (default 8); --kind cgroup:
 * privileged ones, each under a grant of its own, in a cgroup of its own
 * (made with libkagi-enforce as kagid's session.c does) holding one process.
 *
 * expire: N privileged sessions (default 1,000), each under a grant of its
 * own, in a cgroup of its own with one process, all with the same deadline
 * (a whole second, --lead seconds after setup, default 10). kagid must end
 * them: message, SIGHUP, SIGTERM, and after its grace cgroup.kill. The
 * benchmark watches each process through a pidfd and reports from the
 * deadline to every process gone (first, last, p50, p99), when kagid wrote
 * the last records (the audit records' own times), and checks that the
 * store has every session ended, every grant expired, and the audit chain
 * verifies. --stubborn: every process ignores SIGHUP and SIGTERM, so only
 * cgroup.kill ends it, after kagid's grace.
 *
 * kagid runs with the soft file limit systemd gives a service (1024, or
 * --nofile-soft) and the hard limit --nofile (default: the benchmark's
 * own; systemd gives services 524288; raising it needs CAP_SYS_RESOURCE).
 * Prints figures; exits 0 whatever they are, 1 when the setup failed or
 * kagid did not hold or end every session. Kills every process and removes
 * every cgroup it made, also on failure and on SIGINT/SIGTERM. Needs root. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "enforce.h"
#include "store.h"

#ifndef KAGI_KAGID
#define KAGI_KAGID "kagid"
#endif

/* ---- what must be undone -------------------------------------------------------- */

static struct {
        char dir[256];                       /* the state directory */
        bool keep;
        pid_t kagid;
        pid_t *kids;                         /* our children: unreaped, so their PIDs are ours */
        size_t n_kids;
        struct enforce *e;                   /* holds the bench's cgroup root */
        struct store *store;
} g;

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
        (void)sig;
        interrupted = 1;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
        va_list ap;

        fputs("kagi-bench-sessions: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        exit(1);
}

static int64_t wall_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
        struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

        nanosleep(&ts, NULL);
}

static void stop_kagid(void)
{
        int status;

        if (g.kagid <= 0)
                return;
        kill(g.kagid, SIGTERM);
        for (int i = 0; i < 100; i++) {
                if (waitpid(g.kagid, &status, WNOHANG) == g.kagid) {
                        g.kagid = 0;
                        return;
                }
                sleep_ms(50);
        }
        fprintf(stderr, "kagi-bench-sessions: kagid did not stop within 5 s: killed\n");
        kill(g.kagid, SIGKILL);
        waitpid(g.kagid, &status, 0);
        g.kagid = 0;
}

static void kill_kids(void)
{
        for (size_t i = 0; i < g.n_kids; i++)
                if (g.kids[i] > 0)
                        kill(g.kids[i], SIGKILL);
        for (size_t i = 0; i < g.n_kids; i++)
                if (g.kids[i] > 0)
                        waitpid(g.kids[i], NULL, 0);
        g.n_kids = 0;
}

/* Depth first; a cgroup directory goes with rmdir once it is empty. */
static void remove_cgroup_tree(int parent_fd, const char *name)
{
        int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;

        if (fd >= 0 && !d)
                close(fd);
        while (d && (de = readdir(d)))
                if (de->d_type == DT_DIR && strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        remove_cgroup_tree(dirfd(d), de->d_name);
        if (d)
                closedir(d);
        if (unlinkat(parent_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                fprintf(stderr, "kagi-bench-sessions: cannot remove cgroup %s: %m\n", name);
}

static void remove_cgroups(void)
{
        const char *root = g.e ? enforce_cgroup_root(g.e) : NULL;
        char path[512], buf[256];

        if (!root)
                return;
        /* anything still in it (nothing should be: kagid is stopped and
         * our children reaped) */
        snprintf(path, sizeof(path), "%s/cgroup.kill", root);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
                if (write(fd, "1", 1) < 0)
                        fprintf(stderr, "kagi-bench-sessions: %s: %m\n", path);
                close(fd);
        }
        snprintf(path, sizeof(path), "%s/cgroup.events", root);
        for (int i = 0; i < 100; i++) {
                FILE *f = fopen(path, "re");
                bool empty = false;

                while (f && fgets(buf, sizeof(buf), f))
                        empty |= strcmp(buf, "populated 0\n") == 0;
                if (f)
                        fclose(f);
                if (empty || !f)
                        break;
                sleep_ms(50);
        }
        remove_cgroup_tree(AT_FDCWD, root);
}

static void cleanup(void)
{
        char cmd[300];

        stop_kagid();
        kill_kids();
        remove_cgroups();
        enforce_free(g.e);
        g.e = NULL;
        store_close(g.store);
        g.store = NULL;
        if (g.dir[0] && g.keep) {
                printf("kept %s\n", g.dir);
        } else if (g.dir[0] && strstr(g.dir, "/kagi-bench-sessions.")) {
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g.dir);
                if (system(cmd) != 0)
                        fprintf(stderr, "kagi-bench-sessions: could not remove %s\n", g.dir);
        }
        g.dir[0] = '\0';
}

static void check_interrupted(void)
{
        if (interrupted)
                die("interrupted");
}

/* ---- the processes the sessions hold ------------------------------------------ */

/* One process that waits for ever; stubborn: ignoring SIGHUP and SIGTERM.
 * It dies with the benchmark. */
static pid_t spawn(bool stubborn)
{
        pid_t pid = fork();

        if (pid < 0)
                die("fork: %m (%zu processes so far)", g.n_kids);
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                syscall(SYS_close_range, 3U, ~0U, 0U);
                signal(SIGINT, SIG_DFL);
                signal(SIGHUP, stubborn ? SIG_IGN : SIG_DFL);
                signal(SIGTERM, stubborn ? SIG_IGN : SIG_DFL);
                for (;;)
                        pause();
        }
        g.kids[g.n_kids++] = pid;
        return pid;
}

/* starttime from /proc/PID/stat, as kagid records pid_start */
static int64_t proc_start(pid_t pid)
{
        char path[64], buf[1024], *p;
        long long start = 0;
        FILE *f;
        size_t n;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        f = fopen(path, "re");
        if (!f)
                return 0;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        p = strrchr(buf, ')');
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %lld",
                         &start) != 1)
                return 0;
        return start;
}

/* ---- the state directory, the store and kagid ----------------------------------- */

struct setup {
        const char *kagid_path;
        const char *parent;
        uint64_t nofile, nofile_soft;
        char conf[300], db[300], log[300], keys[300];
        char cgroup_root[64];
};

static void write_conf(struct setup *s)
{
        FILE *f;

        snprintf(s->conf, sizeof(s->conf), "%s/kagi.conf", g.dir);
        snprintf(s->db, sizeof(s->db), "%s/kagi.db", g.dir);
        snprintf(s->log, sizeof(s->log), "%s/kagid.log", g.dir);
        snprintf(s->keys, sizeof(s->keys), "%s/keys", g.dir);
        if (mkdir(s->keys, 0700) < 0)
                die("%s: %m", s->keys);
        f = fopen(s->conf, "we");
        if (!f)
                die("%s: %m", s->conf);
        fprintf(f,
                "[broker]\n"
                "socket = %s/kagid.sock\n"
                "database = %s\n"
                "key_dir = %s\n"
                "cgroup_root = %s\n"
                "\n"
                "[role bench]\n"
                "targets = root\n"
                "users = root\n"
                "max_duration = 8h\n",
                g.dir, s->db, s->keys, s->cgroup_root);
        if (fclose(f) != 0)
                die("%s: %m", s->conf);
}

static long status_kb(pid_t pid, const char *field)
{
        char path[64], line[256];
        size_t len = strlen(field);
        long v = -1;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        f = fopen(path, "re");
        while (f && fgets(line, sizeof(line), f))
                if (strncmp(line, field, len) == 0 && line[len] == ':')
                        v = strtol(line + len + 1, NULL, 10);
        if (f)
                fclose(f);
        return v;
}

static long count_fds(pid_t pid)
{
        char path[64];
        struct dirent *de;
        long n = 0;
        DIR *d;

        snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
        d = opendir(path);
        while (d && (de = readdir(d)))
                n += de->d_name[0] != '.';
        if (d)
                closedir(d);
        return n;
}

/* utime + stime of the whole process, in clock ticks */
static long long cpu_ticks(pid_t pid)
{
        char path[64], buf[1024], *p;
        unsigned long long ut = 0, st = 0;
        FILE *f;
        size_t n;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        f = fopen(path, "re");
        if (!f)
                return -1;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        p = strrchr(buf, ')');
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
                return -1;
        return (long long)(ut + st);
}

static bool log_has(const char *path, const char *what)
{
        char line[2048];
        bool found = false;
        FILE *f = fopen(path, "re");

        while (f && !found && fgets(line, sizeof(line), f))
                found = strstr(line, what) != NULL;
        if (f)
                fclose(f);
        return found;
}

static void show_log(const char *path)
{
        char line[2048];
        FILE *f = fopen(path, "re");
        int shown = 0;

        fprintf(stderr, "kagid's log (%s), warnings and errors:\n", path);
        while (f && fgets(line, sizeof(line), f) && shown < 30)
                if (!strstr(line, ": info: ") && !strstr(line, ": audit: ") && !strstr(line, "card-ca.pem")) {
                        fprintf(stderr, "  %s", line);
                        shown++;
                }
        if (f)
                fclose(f);
}

struct started {
        double listening_ms;                 /* exec to "listening on" (after the take-up) */
        double settled_ms;                   /* exec to a second without CPU time */
        long long cpu_ticks;                 /* CPU time spent until settled */
};

/* kagid -f -c CONF, with systemd's soft file limit and the given hard one;
 * returns once it is settled. */
static void start_kagid(struct setup *s, struct started *ret)
{
        int64_t t0 = now_ms(), quiet_since, deadline = t0 + 300000;
        long long last;
        pid_t pid;

        if (truncate(s->log, 0) < 0 && errno != ENOENT)
                die("%s: %m", s->log);
        pid = fork();
        if (pid < 0)
                die("fork: %m");
        if (pid == 0) {
                struct rlimit rl = { .rlim_cur = s->nofile_soft < s->nofile ? s->nofile_soft : s->nofile,
                                     .rlim_max = s->nofile };
                int fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

                prctl(PR_SET_PDEATHSIG, SIGTERM);
                if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
                        _exit(126);
                syscall(SYS_close_range, 3U, ~0U, 0U);
                if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                        fprintf(stderr, "kagi-bench-sessions: setrlimit(NOFILE, %llu, %llu): %m\n",
                                (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
                signal(SIGINT, SIG_DFL);
                signal(SIGHUP, SIG_DFL);
                signal(SIGTERM, SIG_DFL);
                execl(s->kagid_path, "kagid", "-f", "-c", s->conf, (char *)NULL);
                fprintf(stderr, "kagi-bench-sessions: %s: %m\n", s->kagid_path);
                _exit(127);
        }
        g.kagid = pid;
        while (!log_has(s->log, "listening on")) {
                int status;

                check_interrupted();
                if (waitpid(pid, &status, WNOHANG) == pid) {
                        g.kagid = 0;
                        show_log(s->log);
                        die("kagid exited before it listened");
                }
                if (now_ms() > deadline)
                        die("kagid did not start within 300 s");
                sleep_ms(20);
        }
        ret->listening_ms = (double)(now_ms() - t0);
        /* its timer thread's first look at every session follows: settled
         * when a whole second passes without a clock tick of CPU time
         * (the timer's own 1 s tick is well below one) */
        last = cpu_ticks(pid);
        quiet_since = now_ms();
        while (now_ms() - quiet_since < 1000) {
                long long t;

                check_interrupted();
                if (now_ms() > deadline)
                        die("kagid did not settle within 300 s");
                sleep_ms(100);
                t = cpu_ticks(pid);
                if (t < 0)
                        die("kagid is gone");
                if (t - last > 1)
                        quiet_since = now_ms();
                if (t - last > 1 || now_ms() - quiet_since >= 1000)
                        last = t;
        }
        ret->settled_ms = (double)(quiet_since - t0);
        ret->cpu_ticks = last;
}

static void make_dir(struct setup *s, const char *mode)
{
        char tmpl[256];
        struct sigaction sa = { .sa_handler = on_signal };
        struct enforce_config cfg = { .force = ENFORCE_CGROUP };
        char err[512];

        if (geteuid() != 0)
                die("needs root (real cgroups; kagid answers only root)");
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        atexit(cleanup);
        snprintf(s->cgroup_root, sizeof(s->cgroup_root), "kagi-bench-%d", (int)getpid());
        cfg.cgroup_root = s->cgroup_root;
        if (enforce_new(&cfg, &g.e) < 0 || enforce_kind(g.e) != ENFORCE_CGROUP)
                die("no cgroup v2 mechanism here: %s", g.e ? enforce_why_none(g.e) : "enforce_new failed");
        snprintf(tmpl, sizeof(tmpl), "%s/kagi-bench-sessions.XXXXXX", s->parent);
        if (!mkdtemp(tmpl))
                die("mkdtemp %s: %m", tmpl);
        snprintf(g.dir, sizeof(g.dir), "%s", tmpl);
        write_conf(s);
        if (store_open(s->db, 0, &g.store, err, sizeof(err)) < 0)
                die("store: %s", err);
        printf("kagi-bench-sessions %s, %s\n", mode, g.dir);
}

static void machine_line(void)
{
        struct utsname u;
        double load[3] = { 0 };
        time_t now = time(NULL);
        char when[64];

        uname(&u);
        getloadavg(load, 3);
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&now));
        printf("%s; %ld CPU(s), Linux %s %s, load %.2f %.2f %.2f\n", when, sysconf(_SC_NPROCESSORS_ONLN),
               u.release, u.machine, load[0], load[1], load[2]);
}

/* ---- the rows --------------------------------------------------------------------- */

static uint64_t mix(uint64_t x)
{
        x += 0x9e3779b97f4a7c15ULL;
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
        return x ^ (x >> 31);
}

static void base_row(struct session_row *r, size_t i, int64_t started)
{
        *r = (struct session_row){ .started = started, .tty_uid = -1 };
        /* 32 hex digits, as kagid's session IDs (random there, distinct here) */
        snprintf(r->id, sizeof(r->id), "%016llx%016llx", (unsigned long long)mix(2 * i),
                 (unsigned long long)mix(2 * i + 1));
        snprintf(r->account, sizeof(r->account), "root");
        snprintf(r->person, sizeof(r->person), "person%05zu", i);
        snprintf(r->service, sizeof(r->service), "sudo");
        snprintf(r->terminal, sizeof(r->terminal), "bench:pts/%zu", i);
        snprintf(r->state, sizeof(r->state), "open");
}

/* A grant of its own, active until deadline, and the session's cgroup with
 * pid in it, as session.c's confine() fills the row. */
static void privileged_row(struct session_row *r, size_t i, pid_t pid, int64_t deadline)
{
        struct grant_row gr = { .requested = deadline - r->started, .starts = r->started, .ends = deadline,
                                .created = r->started, .decided = r->started };
        struct enforce_session *es = NULL;
        int k;

        snprintf(gr.role, sizeof(gr.role), "bench");
        snprintf(gr.person, sizeof(gr.person), "%s", r->person);
        snprintf(gr.reason, sizeof(gr.reason), "kagi-bench-sessions");
        snprintf(gr.state, sizeof(gr.state), "active");
        snprintf(gr.approver, sizeof(gr.approver), "-");
        k = store_grant_add(g.store, &gr);
        if (k < 0)
                die("grant %zu: %s", i, strerror(-k));
        r->grant = gr.id;
        r->deadline = deadline;
        snprintf(r->role, sizeof(r->role), "bench");
        k = enforce_session_start(g.e, r->id, pid, &es);
        if (k < 0)
                die("session %s: cgroup: %s", r->id, strerror(-k));
        snprintf(r->cgroup, sizeof(r->cgroup), "%s", enforce_session_cgroup(es));
        snprintf(r->mechanism, sizeof(r->mechanism), "%s", enforce_kind_name(enforce_kind(g.e)));
        enforce_session_free(es);
        r->pid = pid;
        r->pid_start = proc_start(pid);
}

static int count_row(void *userdata, const struct session_row *r)
{
        (void)r;
        ++*(size_t *)userdata;
        return 0;
}

static size_t live_rows(void)
{
        size_t n = 0;
        int k = store_sessions_live(g.store, count_row, &n);

        if (k < 0)
                die("cannot read the sessions: %s", strerror(-k));
        return n;
}

/* "Max open files  SOFT  HARD  files" */
static void fd_limits(pid_t pid, char *buf, size_t size)
{
        char path[64], line[256];
        FILE *f;

        snprintf(buf, size, "?");
        snprintf(path, sizeof(path), "/proc/%d/limits", (int)pid);
        f = fopen(path, "re");
        while (f && fgets(line, sizeof(line), f)) {
                char soft[32], hard[32];

                if (sscanf(line, "Max open files %31s %31s", soft, hard) == 2)
                        snprintf(buf, size, "%s/%s", soft, hard);
        }
        if (f)
                fclose(f);
}

static int count_grant(void *userdata, const struct grant_row *gr)
{
        (void)gr;
        ++*(size_t *)userdata;
        return 0;
}

static size_t active_grants(void)
{
        size_t n = 0;
        int k = store_grants(g.store, NULL, "active", NULL, count_grant, &n);

        if (k < 0)
                die("cannot read the grants: %s", strerror(-k));
        return n;
}

static void kagid_line(const char *what, pid_t pid)
{
        char lim[80];

        fd_limits(pid, lim, sizeof(lim));
        printf("  %-28s VmRSS %7.1f MB   VmHWM %7.1f MB   RssAnon %7.1f MB   fds %6ld (limit %s)   threads %ld\n", what,
               (double)status_kb(pid, "VmRSS") / 1024.0, (double)status_kb(pid, "VmHWM") / 1024.0,
               (double)status_kb(pid, "RssAnon") / 1024.0, count_fds(pid), lim, status_kb(pid, "Threads"));
}

/* kagid holds a pidfd per ordinary session; per cgroup session the
 * cgroup's directory, its cgroup.events and a pidfd of its process. */
static void fd_room(const struct setup *s, size_t n, bool cgroup)
{
        uint64_t need = (cgroup ? 3 : 1) * (uint64_t)n + 200;

        if (need > s->nofile)
                die("kagid would need about %llu file descriptors for %zu %s sessions, and its hard limit "
                    "would be %llu: use -n %llu at most, or --nofile (raising it needs CAP_SYS_RESOURCE)",
                    (unsigned long long)need, n, cgroup ? "cgroup" : "pidfd", (unsigned long long)s->nofile,
                    (unsigned long long)((s->nofile - 200) / (cgroup ? 3 : 1)));
}

/* What kagid said about descriptors or sessions it could not hold. */
static bool log_complains(const char *path)
{
        return log_has(path, "cannot watch") || log_has(path, "file descriptors");
}

/* ---- rss ---------------------------------------------------------------------------- */

static int run_rss(struct setup *s, size_t n, bool cgroup, size_t procs)
{
        struct started st;
        int64_t now = time(NULL), t0;
        bool bad = false;
        pid_t *shared = NULL;
        size_t live;
        double rss0, hwm0;
        int k;

        fd_room(s, n, cgroup);
        make_dir(s, "rss");
        machine_line();
        printf("sessions: %zu %s\n", n,
               cgroup ? "privileged: a grant each, a cgroup each holding one process (cgroup.events + pidfd)"
                      : "ordinary: no grant, no cgroup, tracked by a pidfd of the process that opened it");
        g.kids = calloc(cgroup ? n : procs, sizeof(pid_t));
        if (!g.kids)
                die("out of memory");

        start_kagid(s, &st);
        printf("kagid, empty store: settled %.0f ms after start\n", st.settled_ms);
        kagid_line("0 sessions:", g.kagid);
        rss0 = (double)status_kb(g.kagid, "VmRSS") / 1024.0;
        hwm0 = (double)status_kb(g.kagid, "VmHWM") / 1024.0;
        stop_kagid();

        t0 = now_ms();
        if (!cgroup) {
                shared = calloc(procs, sizeof(*shared));
                if (!shared)
                        die("out of memory");
                for (size_t i = 0; i < procs; i++)
                        shared[i] = spawn(false);
        }
        k = store_begin(g.store);
        for (size_t i = 0; k >= 0 && i < n; i++) {
                struct session_row r;

                check_interrupted();
                base_row(&r, i, now - 60);
                if (cgroup) {
                        privileged_row(&r, i, spawn(false), now + 8 * 3600);
                } else {
                        r.pid = shared[i % procs];
                        r.pid_start = proc_start(r.pid);
                }
                k = store_session_add(g.store, &r);
        }
        if (k >= 0)
                k = store_commit(g.store);
        else
                store_rollback(g.store);
        if (k < 0)
                die("writing the sessions: %s", strerror(-k));
        printf("setup: %zu rows%s in %.1f s\n", n, cgroup ? ", grants, cgroups and processes" : "",
               (double)(now_ms() - t0) / 1000.0);

        start_kagid(s, &st);
        printf("kagid, %zu sessions: listening %.0f ms after start (the take-up is before), settled after "
               "%.0f ms, %.2f s CPU\n",
               n, st.listening_ms, st.settled_ms, (double)st.cpu_ticks / (double)sysconf(_SC_CLK_TCK));
        printf("  %-28s VmRSS %7.1f MB   VmHWM %7.1f MB\n", "0 sessions (above):", rss0, hwm0);
        {
                char what[64];

                snprintf(what, sizeof(what), "%zu sessions:", n);
                kagid_line(what, g.kagid);
        }
        live = live_rows();
        if (live != n) {
                printf("%zu of %zu sessions were recorded ended at the take-up, though every process is "
                       "alive\n", n - live, n);
                bad = true;
        }
        if (count_fds(g.kagid) < (long)((cgroup ? 3 : 1) * n)) {
                printf("kagid holds fewer descriptors than its sessions need: it does not watch them all\n");
                bad = true;
        }
        if (log_complains(s->log)) {
                printf("kagid could not hold every session\n");
                bad = true;
        }
        if (bad)
                show_log(s->log);
        printf("per session: %.1f KB of VmRSS\n",
               ((double)status_kb(g.kagid, "VmRSS") / 1024.0 - rss0) * 1024.0 / (double)(n ? n : 1));
        free(shared);
        return bad ? 1 : 0;
}

/* ---- expire ------------------------------------------------------------------------- */

struct audit_count {
        size_t ending, ended, killed, expired_grants, other_ended;
        int64_t last_ending_us, last_ended_us, last_expired_us;    /* record times */
};

static int count_audit(void *userdata, const struct audit_record *r)
{
        struct audit_count *c = userdata;

        if (strcmp(r->event, "grant-expire") == 0) {
                c->expired_grants++;
                c->last_expired_us = r->time_us > c->last_expired_us ? r->time_us : c->last_expired_us;
        }
        if (strcmp(r->event, "session-end") != 0)
                return 0;
        if (strcmp(r->result, "ending") == 0) {
                c->ending++;
                c->last_ending_us = r->time_us > c->last_ending_us ? r->time_us : c->last_ending_us;
        }
        if (strcmp(r->result, "ended") == 0) {
                c->ended++;
                c->last_ended_us = r->time_us > c->last_ended_us ? r->time_us : c->last_ended_us;
                if (r->reason && strstr(r->reason, "killed"))
                        c->killed++;
                if (!r->reason || !strstr(r->reason, "expired"))
                        c->other_ended++;
        }
        return 0;
}

#define NOT_GONE INT64_MIN

static int cmp_i64(const void *a, const void *b)
{
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

        return x < y ? -1 : x > y;
}

static int64_t pct(const int64_t *v, size_t n, double p)
{
        return v[(size_t)(p * (double)(n - 1) + 0.5)];
}

static bool audit_ok(struct setup *s, struct audit_verdict *v)
{
        uint8_t key[KAGI_KEY_LEN];
        char path[400];
        bool ok = false;
        int fd;

        snprintf(path, sizeof(path), "%s/audit.key", s->keys);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && read(fd, key, sizeof(key)) == (ssize_t)sizeof(key))
                ok = audit_verify(g.store, key, v) >= 0;
        if (fd >= 0)
                close(fd);
        secret_wipe(key, sizeof(key));
        return ok;
}

static int run_expire(struct setup *s, size_t n, bool stubborn, int lead)
{
        _cleanup_(freep) int *pidfd = NULL;
        _cleanup_(freep) int64_t *gone = NULL;
        struct audit_count ac = { 0 };
        struct audit_verdict av = { 0 };
        struct started st;
        int64_t now = time(NULL), deadline, t0, t_recorded = -1, t_expired = -1, first = INT64_MAX, last = 0;

        long long cpu0;
        size_t left, early = 0;
        int ep, k, rc = 0;

        fd_room(s, n, true);
        make_dir(s, stubborn ? "expire --stubborn" : "expire");
        machine_line();
        g.kids = calloc(n, sizeof(pid_t));
        pidfd = calloc(n, sizeof(*pidfd));
        gone = calloc(n, sizeof(*gone));
        ep = epoll_create1(EPOLL_CLOEXEC);
        if (!g.kids || !pidfd || !gone || ep < 0)
                die("out of memory");
        for (size_t i = 0; i < n; i++)
                gone[i] = NOT_GONE;

        t0 = now_ms();
        deadline = now + lead;
        k = store_begin(g.store);
        for (size_t i = 0; k >= 0 && i < n; i++) {
                struct session_row r;
                pid_t pid;

                check_interrupted();
                pid = spawn(stubborn);
                pidfd[i] = (int)syscall(SYS_pidfd_open, pid, 0);
                if (pidfd[i] < 0)
                        die("pidfd_open: %m");
                if (epoll_ctl(ep, EPOLL_CTL_ADD, pidfd[i], &(struct epoll_event){ .events = EPOLLIN,
                                                                                   .data.u64 = i }) < 0)
                        die("epoll: %m");
                base_row(&r, i, now - 60);
                privileged_row(&r, i, pid, deadline);
                k = store_session_add(g.store, &r);
        }
        if (k >= 0)
                k = store_commit(g.store);
        else
                store_rollback(g.store);
        if (k < 0)
                die("writing the sessions: %s", strerror(-k));
        printf("sessions: %zu privileged, a grant each (all ending at the same second), a cgroup each holding "
               "one %s process\n",
               n, stubborn ? "HUP/TERM-ignoring" : "ordinary");
        printf("setup: rows, grants, cgroups and processes in %.1f s; deadline in %.1f s\n",
               (double)(now_ms() - t0) / 1000.0, (double)(deadline * 1000 - wall_ms()) / 1000.0);

        start_kagid(s, &st);
        printf("kagid: settled %.0f ms after start; %.1f s before the deadline\n", st.settled_ms,
               (double)(deadline * 1000 - wall_ms()) / 1000.0);
        if (wall_ms() > deadline * 1000 - 500)
                printf("WARNING: kagid settled less than 0.5 s before the deadline; the figures include its "
                       "start (raise --lead)\n");
        kagid_line("before the deadline:", g.kagid);
        cpu0 = cpu_ticks(g.kagid);

        left = n;
        while (left > 0 && wall_ms() < deadline * 1000 + 30000) {
                struct epoll_event ev[64];
                int m;

                check_interrupted();
                m = epoll_wait(ep, ev, ARRAY_SIZE(ev), 100);
                for (int j = 0; j < m; j++) {
                        size_t i = ev[j].data.u64;

                        gone[i] = wall_ms() - deadline * 1000;
                        early += gone[i] < 0;
                        epoll_ctl(ep, EPOLL_CTL_DEL, pidfd[i], NULL);
                        left--;
                }
        }
        /* the store: every session recorded ended, every grant expired */
        while (left == 0 && wall_ms() < deadline * 1000 + 30000 && (t_recorded < 0 || t_expired < 0)) {
                check_interrupted();
                if (t_recorded < 0 && live_rows() == 0)
                        t_recorded = wall_ms() - deadline * 1000;
                if (t_expired < 0 && active_grants() == 0)
                        t_expired = wall_ms() - deadline * 1000;
                sleep_ms(20);
        }
        sleep_ms(300);        /* the last records, and cgroup removals */
        kagid_line("after:", g.kagid);
        printf("  kagid CPU from settled until all ended: %.2f s\n",
               (double)(cpu_ticks(g.kagid) - cpu0) / (double)sysconf(_SC_CLK_TCK));
        k = audit_each(g.store, (deadline - 3600) * 1000000, count_audit, &ac);
        if (k < 0)
                die("audit: %s", strerror(-k));

        printf("from the deadline (%lld.000) to:\n", (long long)deadline);
        {
                _cleanup_(freep) int64_t *v = calloc(n, sizeof(*v));
                size_t m = 0;

                if (!v)
                        die("out of memory");
                for (size_t i = 0; i < n; i++)
                        if (gone[i] != NOT_GONE) {
                                v[m++] = gone[i];
                                first = gone[i] < first ? gone[i] : first;
                                last = gone[i] > last ? gone[i] : last;
                        }
                if (m) {
                        qsort(v, m, sizeof(*v), cmp_i64);
                        printf("  %-34s %6lld ms\n", "the first process gone:", (long long)first);
                        printf("  %-34s %6lld ms%s\n", "the last process gone:", (long long)last,
                               left ? " (NOT ALL)" : "");
                        printf("  %-34s p50 %6lld ms   p99 %6lld ms   max %6lld ms\n",
                               "each session's process gone:", (long long)pct(v, m, 0.50),
                               (long long)pct(v, m, 0.99), (long long)v[m - 1]);
                }
        }
        /* when kagid wrote them: the audit records' own times, just before
         * their commit */
        if (ac.ending)
                printf("  %-34s %6lld ms\n", "the last end begun (audit):",
                       (long long)(ac.last_ending_us / 1000 - deadline * 1000));
        if (ac.ended)
                printf("  %-34s %6lld ms\n", "the last session ended (audit):",
                       (long long)(ac.last_ended_us / 1000 - deadline * 1000));
        if (ac.expired_grants)
                printf("  %-34s %6lld ms\n", "the last grant expired (audit):",
                       (long long)(ac.last_expired_us / 1000 - deadline * 1000));
        if (t_recorded >= 0)
                printf("  %-34s %6lld ms (polled every 20 ms once all were gone)\n", "all ended in the store:",
                       (long long)t_recorded);
        printf("audit: %zu grant-expire, %zu session-end ending, %zu session-end ended (%zu with processes "
               "killed after the grace, %zu not for the deadline)\n",
               ac.expired_grants, ac.ending, ac.ended, ac.killed, ac.other_ended);
        if (audit_ok(s, &av))
                printf("audit chain: %s, %lld records\n", av.ok ? "verifies" : av.why, (long long)av.records);
        else
                printf("audit chain: could not be verified\n");

        if (early) {
                printf("%zu processes were gone before the deadline\n", early);
                rc = 1;
        }
        if (left) {
                printf("%zu of %zu processes still alive 30 s after the deadline\n", left, n);
                rc = 1;
        } else if (t_recorded < 0 || t_expired < 0) {
                printf("%zu sessions not recorded ended, %zu grants not expired 30 s after the deadline\n",
                       live_rows(), active_grants());
                rc = 1;
        }
        if (ac.ended != n || ac.ending != n || ac.expired_grants != n || ac.other_ended || !av.ok ||
            (stubborn && ac.killed != n)) {
                printf("the audit log does not show every session ended at its deadline\n");
                rc = 1;
        }
        {
                /* kagid removed each session's cgroup */
                DIR *d = opendir(enforce_cgroup_root(g.e));
                struct dirent *de;
                size_t dirs = 0;

                while (d && (de = readdir(d)))
                        dirs += de->d_type == DT_DIR && de->d_name[0] != '.';
                if (d)
                        closedir(d);
                if (dirs) {
                        printf("%zu session cgroups left behind by kagid\n", dirs);
                        rc = 1;
                }
        }
        for (size_t i = 0; i < n; i++)
                close(pidfd[i]);
        close(ep);
        if (rc)
                show_log(s->log);
        return rc;
}

/* ---- main ----------------------------------------------------------------------------- */

static int usage(void)
{
        fprintf(stderr,
                "usage: kagi-bench-sessions rss [-n N] [--kind pidfd|cgroup] [-p PROCS] [options]\n"
                "       kagi-bench-sessions expire [-n N] [--stubborn] [--lead SECONDS] [options]\n"
                "options: --dir PARENT (default /var/tmp)  --keep  --nofile HARD (default: this process's)\n"
                "         --nofile-soft SOFT (default 1024, as systemd gives a service)\n"
                "         --kagid PATH (default %s)\n",
                KAGI_KAGID);
        return 2;
}

int main(int argc, char **argv)
{
        struct setup s = { .kagid_path = KAGI_KAGID, .parent = "/var/tmp", .nofile_soft = 1024 };
        uint64_t n = 0, procs = 8, lead = 10;
        bool rss, cgroup = false, stubborn = false, nofile_given = false;
        int rc;

        if (argc < 2 || (strcmp(argv[1], "rss") != 0 && strcmp(argv[1], "expire") != 0))
                return usage();
        rss = strcmp(argv[1], "rss") == 0;
        n = rss ? 10000 : 1000;
        for (int i = 2; i < argc; i++) {
                const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

                if (strcmp(a, "-n") == 0 && v && parse_uint(v, 100000, &n) >= 0 && n > 0)
                        i++;
                else if (rss && strcmp(a, "-p") == 0 && v && parse_uint(v, 1000, &procs) >= 0 && procs > 0)
                        i++;
                else if (rss && strcmp(a, "--kind") == 0 && v && (strcmp(v, "pidfd") == 0 || strcmp(v, "cgroup") == 0))
                        cgroup = strcmp(argv[++i], "cgroup") == 0;
                else if (!rss && strcmp(a, "--stubborn") == 0)
                        stubborn = true;
                else if (!rss && strcmp(a, "--lead") == 0 && v && parse_uint(v, 600, &lead) >= 0 && lead >= 2)
                        i++;
                else if (strcmp(a, "--dir") == 0 && v)
                        s.parent = argv[++i];
                else if (strcmp(a, "--kagid") == 0 && v)
                        s.kagid_path = argv[++i];
                else if (strcmp(a, "--nofile") == 0 && v && parse_uint(v, 1 << 30, &s.nofile) >= 0 &&
                         s.nofile >= 1024)
                        i++, nofile_given = true;
                else if (strcmp(a, "--nofile-soft") == 0 && v && parse_uint(v, 1 << 30, &s.nofile_soft) >= 0)
                        i++;
                else if (strcmp(a, "--keep") == 0)
                        g.keep = true;
                else
                        return usage();
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        {
                /* a hard limit above ours needs CAP_SYS_RESOURCE */
                struct rlimit rl;

                if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY && !nofile_given)
                        s.nofile = rl.rlim_max;
                else if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
                         s.nofile > rl.rlim_max && setrlimit(RLIMIT_NOFILE, &(struct rlimit){ rl.rlim_cur,
                                                                                             s.nofile }) < 0) {
                        fprintf(stderr, "kagi-bench-sessions: cannot raise the hard file limit to %llu (%m): "
                                "kagid gets %llu\n", (unsigned long long)s.nofile,
                                (unsigned long long)rl.rlim_max);
                        s.nofile = rl.rlim_max;
                }
        }
        rc = rss ? run_rss(&s, n, cgroup, procs) : run_expire(&s, n, stubborn, (int)lead);
        cleanup();
        return rc;
}
