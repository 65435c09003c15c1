/* PRIV-4/PRIV-5 mechanism, against the real kernel: a session's cgroup in
 * the cgroup v2 hierarchy (kagi's own directory, the mechanism of a host
 * without systemd), real processes that try to outlive it, and a real pty as
 * its terminal. Every test name says the mechanism it exercised. */
#include <pty.h>
#include <termios.h>

#include "helpers.h"

struct fx {
        struct t_env *t;
        struct enforce_session *s;
        int report[2];               /* children -> test: PIDs */
        int go[2];                   /* test -> the session's first process */
        int keep[8];                 /* pidfds the teardown kills if a test failed */
        size_t n_keep;
};

static int setup(void **state)
{
        struct fx *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        f->t = t_env_new();
        assert_int_equal(pipe2(f->report, O_CLOEXEC), 0);
        assert_int_equal(pipe2(f->go, O_CLOEXEC), 0);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fx *f = *state;

        for (size_t i = 0; i < f->n_keep; i++) {
                pidfd_send_signal(f->keep[i], SIGKILL, NULL, 0);
                close(f->keep[i]);
        }
        if (f->s) {
                /* a failed test's session: make sure it ends */
                cg_write(f->s->dir_fd, "cgroup.kill", "1");
                for (int i = 0; i < 200 && enforce_session_populated(f->s) > 0; i++)
                        usleep(5000);
                enforce_session_remove(f->s);
                enforce_session_free(f->s);
        }
        close(f->report[0]);
        close(f->report[1]);
        close(f->go[0]);
        close(f->go[1]);
        t_env_free(f->t);
        free(f);
        return 0;
}

static int keep(struct fx *f, pid_t pid)
{
        int fd = pidfd_open(pid, 0);

        assert_true(fd >= 0);
        assert_true(f->n_keep < ARRAY_SIZE(f->keep));
        f->keep[f->n_keep++] = fd;
        return fd;
}

/* The session's first process: forked, reported, moved in; returns its PID. */
static pid_t start_with(struct fx *f, void (*fn)(void *), const char *id)
{
        pid_t pid = t_fork(fn, NULL);

        assert_int_equal(t_read_pid(f->report[0]), pid);
        assert_int_equal(enforce_session_start(f->t->e, id, pid, &f->s), 0);
        return pid;
}

/* Ends the session as kagid would and checks that nothing of it is left;
 * killed: whether the grace must have run out (cgroup.kill), -1 either. */
static void end_and_check_gone(struct fx *f, int64_t grace_ms, int pidfd, int killed)
{
        char id[ENFORCE_ID_MAX + 1];

        snprintf(id, sizeof(id), "%s", enforce_session_id(f->s));
        assert_int_equal(enforce_session_end(f->s, NULL, grace_ms), 0);
        assert_int_equal(t_drive_end(f->s, grace_ms + T_WAIT_MS), 1);
        if (pidfd >= 0)
                assert_true(t_exited(pidfd));
        assert_false(t_session_dir_exists(f->t, id));
        if (killed >= 0)
                assert_int_equal(enforce_session_was_killed(f->s), killed);
        enforce_session_free(f->s);
        f->s = NULL;
}

/* ---- the processes -------------------------------------------------------- */

static struct fx *child_fx;     /* what the forked children read; set before fork */

static void forever(void)
{
        for (;;)
                pause();
}

/* The four report in any order: each says which it is. */
enum { LEADER, SETSID, DAEMON, IGNORES_HUP, IGNORES_HUP_TERM, N_PROCS };

static void report_as(int which)
{
        int msg[2] = { which, (int)getpid() };

        if (write(child_fx->report[1], msg, sizeof(msg)) != sizeof(msg))
                _exit(3);
}

static void read_reports(struct fx *f, pid_t pids[N_PROCS])
{
        for (int i = SETSID; i < N_PROCS; i++) {
                struct pollfd p = { .fd = f->report[0], .events = POLLIN };
                int msg[2];

                assert_int_equal(poll(&p, 1, T_WAIT_MS), 1);
                assert_int_equal(read(f->report[0], msg, sizeof(msg)), sizeof(msg));
                assert_in_range(msg[0], SETSID, N_PROCS - 1);
                pids[msg[0]] = msg[1];
        }
}

static void proc_setsid(void)
{
        setsid();
        report_as(SETSID);
        forever();
}

static void proc_daemon(void)
{
        if (setsid() < 0 || fork() != 0)
                _exit(0);       /* the middle one: gone at once, as daemon(3) does */
        if (chdir("/") < 0)
                _exit(1);
        report_as(DAEMON);
        forever();
}

static void proc_ignores(int sig1, int sig2, int which)
{
        signal(sig1, SIG_IGN);
        signal(sig2, SIG_IGN);
        report_as(which);
        forever();
}

static void spawn(void (*fn)(void))
{
        pid_t pid = fork();

        if (pid == 0) {
                fn();
                _exit(0);
        }
}

static void proc_ignores_hup(void) { proc_ignores(SIGHUP, SIGHUP, IGNORES_HUP); }
static void proc_ignores_hup_term(void) { proc_ignores(SIGHUP, SIGTERM, IGNORES_HUP_TERM); }

/* su's or sudo's parent: moved in, then starts everything that tries to stay. */
/* As a root shell could: into another cgroup, given as a path below the mount. */
static void move_self(const char *cgroup)
{
        char path[1024], line[24];
        int fd;

        snprintf(path, sizeof(path), "%s%s/cgroup.procs", child_fx->t->e->mount, strcmp(cgroup, "/") ? cgroup : "");
        fd = open(path, O_WRONLY | O_CLOEXEC);
        snprintf(line, sizeof(line), "%d\n", (int)getpid());
        if (fd < 0 || write(fd, line, strlen(line)) < 0)
                _exit(2);
        close(fd);
}

static void ignore_hup_term(void)
{
        signal(SIGHUP, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
}

static void session_leader(void *arg)
{
        (void)arg;
        t_report(child_fx->report[1], getpid());
        t_wait_go(child_fx->go[0]);
        spawn(proc_setsid);
        spawn(proc_daemon);
        spawn(proc_ignores_hup);
        spawn(proc_ignores_hup_term);
        forever();
}

/* The person's own login: starts the privileged session's leader, stays outside. */
static void own_login(void *arg)
{
        (void)arg;
        t_report(child_fx->report[1], getpid());
        if (fork() == 0)
                session_leader(NULL);
        forever();
}

/* ---- tests ---------------------------------------------------------------- */

static void every_process_ends_and_own_login_survives(void **state)
{
        struct fx *f = *state;
        int master = -1, slave = -1, pidfd[N_PROCS], login_fd;
        pid_t login, pids[N_PROCS] = { 0 };
        char tty[64], buf[2048];
        struct termios raw;
        int64_t t0, grace_ms = 1000;
        ssize_t n;

        child_fx = f;
        login = t_fork(own_login, NULL);
        assert_int_equal(t_read_pid(f->report[0]), login);
        login_fd = keep(f, login);
        pids[LEADER] = t_read_pid(f->report[0]);
        pidfd[LEADER] = keep(f, pids[LEADER]);

        assert_int_equal(enforce_session_start(f->t->e, "s1", pids[LEADER], &f->s), 0);
        printf("# %s, session cgroup %s\n", f->t->mechanism, enforce_session_cgroup(f->s));

        /* its terminal: a real pty, owned by root like the person's here */
        assert_int_equal(openpty(&master, &slave, tty, NULL, NULL), 0);
        assert_int_equal(tcgetattr(slave, &raw), 0);
        cfmakeraw(&raw);
        assert_int_equal(tcsetattr(slave, TCSANOW, &raw), 0);
        assert_int_equal(enforce_session_set_terminal(f->s, tty, 0), 0);

        t_go(f->go[1]);
        read_reports(f, pids);
        for (int i = SETSID; i < N_PROCS; i++)
                pidfd[i] = keep(f, pids[i]);
        for (int i = 0; i < N_PROCS; i++)
                assert_true(t_pids_contain(f->s, pids[i]));
        assert_false(t_pids_contain(f->s, login));
        assert_int_equal(enforce_session_populated(f->s), 1);

        t0 = t_now();
        assert_int_equal(enforce_session_end(f->s, "\x1b]0;owned\x07特権セッションは終了します。\n", grace_ms), 0);

        /* HUP or TERM ends all but the one that ignores both, within the grace */
        for (int i = 0; i < IGNORES_HUP_TERM; i++)
                assert_true(t_wait_exit(pidfd[i], t0 + grace_ms - 100));
        assert_false(t_exited(pidfd[IGNORES_HUP_TERM]));

        /* then cgroup.kill; the end is complete when the cgroup is removed */
        assert_int_equal(t_drive_end(f->s, grace_ms + T_WAIT_MS), 1);
        assert_true(enforce_session_was_killed(f->s));
        printf("# all gone and cgroup removed %lld ms after the end request (grace %lld ms)\n",
               (long long)(t_now() - t0), (long long)grace_ms);
        for (int i = 0; i < N_PROCS; i++)
                assert_true(t_exited(pidfd[i]));
        assert_false(t_session_dir_exists(f->t, "s1"));

        /* the person's own login is untouched */
        assert_false(t_exited(login_fd));

        /* the message reached the terminal, without its escape sequence */
        n = read(master, buf, sizeof(buf) - 1);
        assert_true(n > 0);
        buf[n] = '\0';
        assert_string_equal(buf, "]0;owned特権セッションは終了します。\r\n");

        close(master);
        close(slave);
        enforce_session_free(f->s);
        f->s = NULL;
}

static void exiting_child(void *arg)
{
        (void)arg;
        t_report(child_fx->report[1], getpid());
        t_wait_go(child_fx->go[0]);
        if (fork() == 0) {
                usleep(200 * 1000);
                _exit(0);
        }
        usleep(300 * 1000);
        _exit(0);
}

static void emptiness_is_seen_when_processes_exit_on_their_own(void **state)
{
        struct fx *f = *state;
        struct pollfd p;
        pid_t leader;
        int64_t t0;
        int populated = 1;

        child_fx = f;
        leader = t_fork(exiting_child, NULL);
        assert_int_equal(t_read_pid(f->report[0]), leader);
        assert_int_equal(enforce_session_start(f->t->e, "s2", leader, &f->s), 0);
        assert_int_equal(enforce_session_populated(f->s), 1);
        t_go(f->go[1]);

        t0 = t_now();
        p = (struct pollfd){ .fd = enforce_session_events_fd(f->s), .events = POLLPRI };
        while (populated == 1 && t_now() - t0 < T_WAIT_MS) {
                /* the event loop's view: woken by the fd, not by polling files */
                assert_true(poll(&p, 1, T_WAIT_MS) >= 0);
                t_reap();
                populated = enforce_session_populated(f->s);
        }
        assert_int_equal(populated, 0);
        printf("# %s: empty %lld ms after its processes were told to go (they take 300 ms)\n",
               f->t->mechanism, (long long)(t_now() - t0));
        assert_int_equal(enforce_session_remove(f->s), 0);
        assert_false(t_session_dir_exists(f->t, "s2"));
        enforce_session_free(f->s);
        f->s = NULL;
}

/* The known limit and what kagi does about it: a root shell can move a
 * process out of any cgroup; one kagi saw in the session still ends. */
static void mover(void *arg)
{
        char own[512];

        (void)arg;
        ignore_hup_term();
        t_report(child_fx->report[1], getpid());
        t_wait_go(child_fx->go[0]);
        /* into the cgroup the test runs in */
        if (!t_cgroup_of(getppid(), own, sizeof(own)))
                _exit(2);
        move_self(own);
        t_report(child_fx->report[1], getpid());
        forever();
}

static void a_process_moved_out_after_it_was_seen_still_ends(void **state)
{
        struct fx *f = *state;
        char cg[512];
        pid_t pid;
        int pidfd;

        child_fx = f;
        pid = start_with(f, mover, "s3");
        pidfd = keep(f, pid);
        assert_int_equal(enforce_session_scan(f->s), 0);        /* already seen at start */
        t_go(f->go[1]);
        assert_int_equal(t_read_pid(f->report[0]), pid);
        assert_true(t_cgroup_of(pid, cg, sizeof(cg)));
        assert_string_not_equal(cg, enforce_session_cgroup(f->s));
        assert_false(t_pids_contain(f->s, pid));
        assert_int_equal(enforce_session_populated(f->s), 0);

        end_and_check_gone(f, 200, pidfd, 1);
        printf("# %s: process %d left the cgroup for %s and was still killed through its pidfd\n",
               f->t->mechanism, (int)pid, cg);
}

/* A root shell may also make cgroups inside the session's own. */
static void nester(void *arg)
{
        char inner[256], path[1024];

        (void)arg;
        ignore_hup_term();
        t_report(child_fx->report[1], getpid());
        t_wait_go(child_fx->go[0]);
        /* forked before the session existed: its path from the naming rule */
        snprintf(inner, sizeof(inner), "/%s/s4/inner", child_fx->t->root);
        snprintf(path, sizeof(path), "%s%s", child_fx->t->e->mount, inner);
        if (mkdir(path, 0755) < 0)
                _exit(2);
        move_self(inner);
        t_report(child_fx->report[1], getpid());
        forever();
}

static void a_cgroup_made_inside_the_session_ends_with_it(void **state)
{
        struct fx *f = *state;
        pid_t pid;
        int pidfd;

        child_fx = f;
        pid = start_with(f, nester, "s4");
        pidfd = keep(f, pid);
        t_go(f->go[1]);
        assert_int_equal(t_read_pid(f->report[0]), pid);
        assert_true(t_pids_contain(f->s, pid));        /* found below the session's cgroup */
        assert_int_equal(enforce_session_populated(f->s), 1);
        end_and_check_gone(f, 200, pidfd, 1);
}

/* A process that forks and exits in a loop, so its PID keeps changing. */
static void runaway(void *arg)
{
        (void)arg;
        ignore_hup_term();
        t_report(child_fx->report[1], getpid());
        t_wait_go(child_fx->go[0]);
        for (;;) {
                pid_t pid = fork();

                if (pid > 0)
                        _exit(0);
                if (pid < 0)
                        usleep(1000);
        }
}

static void a_process_that_keeps_forking_away_still_ends(void **state)
{
        struct fx *f = *state;
        int64_t t0;

        child_fx = f;
        start_with(f, runaway, "s8");
        t_go(f->go[1]);
        usleep(50 * 1000);
        assert_int_equal(enforce_session_populated(f->s), 1);
        t0 = t_now();
        end_and_check_gone(f, 200, -1, -1);
        printf("# %s: the fork chain was gone %lld ms after the end request (grace 200 ms)\n",
               f->t->mechanism, (long long)(t_now() - t0));
}

/* A root shell hides a process deeper in cgroups of its own than the scan
 * looks (8 levels): it is never seen, and cgroup.kill, which covers the
 * whole subtree, still ends it; the removal goes as deep as it has to. */
static void deep_nester(void *arg)
{
        char deep[512], path[1024];
        size_t n;

        (void)arg;
        t_report(child_fx->report[1], getpid());
        t_wait_go(child_fx->go[0]);
        /* the leader was seen when it was moved in; its child is not */
        if (fork() != 0)
                forever();
        ignore_hup_term();
        n = (size_t)snprintf(deep, sizeof(deep), "/%s/s9", child_fx->t->root);
        for (int i = 0; i < 12; i++) {
                n += (size_t)snprintf(deep + n, sizeof(deep) - n, "/d");
                snprintf(path, sizeof(path), "%s%s", child_fx->t->e->mount, deep);
                if (mkdir(path, 0755) < 0)
                        _exit(2);
        }
        move_self(deep);
        t_report(child_fx->report[1], getpid());
        forever();
}

static void a_process_hidden_below_the_scan_ends_by_cgroup_kill(void **state)
{
        struct fx *f = *state;
        pid_t pid;
        int pidfd;

        child_fx = f;
        start_with(f, deep_nester, "s9");
        t_go(f->go[1]);
        pid = t_read_pid(f->report[0]);
        pidfd = keep(f, pid);
        assert_false(t_pids_contain(f->s, pid));        /* 12 levels down: not listed */
        assert_int_equal(enforce_session_scan(f->s), 0);        /* nor seen */
        assert_int_equal(enforce_session_populated(f->s), 1);
        end_and_check_gone(f, 200, pidfd, 1);
        printf("# %s: a process 12 cgroups below the session ended by cgroup.kill\n", f->t->mechanism);
}

static void sleeper(void *arg)
{
        (void)arg;
        t_report(child_fx->report[1], getpid());
        forever();
}

/* kagid restarted: the session is found again by its ID and still ends. */
static void a_session_is_found_again_after_a_restart(void **state)
{
        struct fx *f = *state;
        struct enforce_config cfg = { .force = ENFORCE_CGROUP, .cgroup_root = f->t->root, .log = t_log };
        struct enforce *again = NULL;
        struct enforce_session *other = NULL;
        int pidfd;

        child_fx = f;
        pidfd = keep(f, start_with(f, sleeper, "s5"));
        enforce_session_free(f->s);     /* kagid dies: the cgroup stays */
        f->s = NULL;

        assert_int_equal(enforce_new(&cfg, &again), 0);
        assert_int_equal(enforce_session_open(again, "s5", &f->s), 0);
        assert_int_equal(enforce_session_populated(f->s), 1);
        assert_int_equal(f->s->n_seen, 1);              /* the scan at open found it */
        assert_int_equal(enforce_session_open(again, "nosuch", &other), -ENOENT);
        assert_int_equal(enforce_session_start(again, "s5", getpid(), &other), -EEXIST);
        assert_null(other);

        end_and_check_gone(f, 200, pidfd, 0);     /* it went on SIGHUP */
        enforce_free(again);
}

static void bad_ids_and_gone_processes_are_refused(void **state)
{
        struct fx *f = *state;
        const char *bad[] = { "", "UPPER", "a/b", "..", "a.b", "ünï", "a b",
                "0123456789012345678901234567890123456789012345678901234567890123456789" };

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
                assert_int_equal(enforce_session_start(f->t->e, bad[i], getpid(), &f->s), -EINVAL);
        assert_int_equal(enforce_session_start(f->t->e, "s6", 0x3ffffff0, &f->s), -ESRCH);
        assert_false(t_session_dir_exists(f->t, "s6"));
        assert_true(f->s == NULL);
}

/* The check every signal relies on, both ways it can be made. */
static void a_pidfd_counts_only_while_its_process_is_in_the_session(void **state)
{
        struct fx *f = *state;
        pid_t pid;
        int pidfd, self;

        child_fx = f;
        pid = start_with(f, sleeper, "s7");
        pidfd = keep(f, pid);
        self = pidfd_open(getpid(), 0);
        assert_true(self >= 0);

        assert_int_equal(pidfd_in_cgroup(pidfd, pid, f->s->dir_fd, f->s->cgroup), 1);
        assert_int_equal(pidfd_in_cgroup_proc(pidfd, pid, f->s->cgroup), 1);
        assert_int_equal(pidfd_in_cgroup(self, getpid(), f->s->dir_fd, f->s->cgroup), 0);
        assert_int_equal(pidfd_in_cgroup_proc(self, getpid(), f->s->cgroup), 0);

        /* a process that exited (and was reaped) is never "in" anything */
        assert_int_equal(pidfd_send_signal(pidfd, SIGKILL, NULL, 0), 0);
        assert_true(t_wait_exit(pidfd, t_now() + T_WAIT_MS));
        assert_int_equal(waitpid(pid, NULL, 0), pid);
        assert_int_equal(pidfd_in_cgroup(pidfd, pid, f->s->dir_fd, f->s->cgroup), -ESRCH);
        assert_int_equal(pidfd_in_cgroup_proc(pidfd, pid, f->s->cgroup), -ESRCH);
        close(self);

        assert_int_equal(enforce_session_remove(f->s), 0);
        enforce_session_free(f->s);
        f->s = NULL;
}

#define T(name) { "cgroup: " #name, name, setup, teardown, NULL }

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(every_process_ends_and_own_login_survives),
                T(emptiness_is_seen_when_processes_exit_on_their_own),
                T(a_process_moved_out_after_it_was_seen_still_ends),
                T(a_cgroup_made_inside_the_session_ends_with_it),
                T(a_process_that_keeps_forking_away_still_ends),
                T(a_process_hidden_below_the_scan_ends_by_cgroup_kill),
                T(a_session_is_found_again_after_a_restart),
                T(bad_ids_and_gone_processes_are_refused),
                T(a_pidfd_counts_only_while_its_process_is_in_the_session),
        };
        int r = t_main_checks();

        if (r)
                return r;
        return cmocka_run_group_tests_name("enforce-cgroup", tests, NULL, NULL);
}
