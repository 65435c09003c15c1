/* What the enforce tests share: cmocka, real processes that report their
 * PIDs through a pipe, pidfds to watch them (the tests never signal a bare
 * PID either), and a kagi cgroup root of the test's own below the real
 * cgroup2 mount, removed at the end so nothing is left behind. */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common.h"
#define ENFORCE_INTERNAL
#include "enforce.h"

#define T_WAIT_MS 5000

static inline int64_t t_now(void)
{
        return now_ms();
}

/* A child that runs fn and never returns to cmocka. */
static inline pid_t t_fork(void (*fn)(void *), void *arg)
{
        pid_t pid = fork();

        assert_true(pid >= 0);
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                fn(arg);
                _exit(0);
        }
        return pid;
}

static inline void t_report(int fd, pid_t pid)
{
        if (write(fd, &pid, sizeof(pid)) != sizeof(pid))
                _exit(3);
}

/* The next PID a child reported, within T_WAIT_MS. */
static inline pid_t t_read_pid(int fd)
{
        struct pollfd p = { .fd = fd, .events = POLLIN };
        pid_t pid = 0;

        assert_int_equal(poll(&p, 1, T_WAIT_MS), 1);
        assert_int_equal(read(fd, &pid, sizeof(pid)), sizeof(pid));
        assert_true(pid > 0);
        return pid;
}

/* Blocks until one byte arrives (a child waiting for the test's go). */
static inline void t_wait_go(int fd)
{
        char c;

        while (read(fd, &c, 1) < 0 && errno == EINTR)
                ;
}

static inline void t_go(int fd)
{
        assert_int_equal(write(fd, "g", 1), 1);
}

static inline bool t_exited(int pidfd)
{
        struct pollfd p = { .fd = pidfd, .events = POLLIN };

        return poll(&p, 1, 0) == 1;
}

static inline bool t_wait_exit(int pidfd, int64_t deadline)
{
        while (!t_exited(pidfd)) {
                if (t_now() >= deadline)
                        return false;
                usleep(2000);
        }
        return true;
}

/* Reaps whatever died: the test is the subreaper of everything it made. */
static inline void t_reap(void)
{
        while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
}

/* The cgroup v2 path of a process, "/..." */
static inline bool t_cgroup_of(pid_t pid, char *buf, size_t size)
{
        char path[64], text[4096], *line;
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        n = read(fd, text, sizeof(text) - 1);
        close(fd);
        if (n <= 0)
                return false;
        text[n] = '\0';
        line = strstr(text, "0::");
        if (!line || (line != text && line[-1] != '\n'))
                return false;
        line += 3;
        n = (ssize_t)strcspn(line, "\n");
        if ((size_t)n >= size)
                return false;
        memcpy(buf, line, (size_t)n);
        buf[n] = '\0';
        return true;
}

static inline bool t_pids_contain(struct enforce_session *s, pid_t pid)
{
        pid_t *pids = NULL;
        size_t n = 0;
        bool found = false;

        assert_int_equal(enforce_session_pids(s, &pids, &n), 0);
        for (size_t i = 0; i < n; i++)
                found |= pids[i] == pid;
        free(pids);
        return found;
}

/* Each test's own kagi root: kagi-test-PID-N below the cgroup2 mount. */
struct t_env {
        struct enforce *e;
        char root[64];
        char mechanism[160];
};

static inline void t_log(void *userdata, int priority, const char *message)
{
        (void)userdata;
        fprintf(stderr, "# enforce log <%d>: %s\n", priority, message);
}

static inline struct t_env *t_env_new(void)
{
        static unsigned n;
        struct enforce_config cfg = { .force = ENFORCE_CGROUP, .log = t_log };
        struct t_env *t = calloc(1, sizeof(*t));

        assert_non_null(t);
        snprintf(t->root, sizeof(t->root), "kagi-test-%d-%u", (int)getpid(), n++);
        cfg.cgroup_root = t->root;
        assert_int_equal(enforce_new(&cfg, &t->e), 0);
        if (enforce_kind(t->e) != ENFORCE_CGROUP)
                fail_msg("no cgroup mechanism on this host: %s", enforce_why_none(t->e));
        snprintf(t->mechanism, sizeof(t->mechanism), "mechanism: cgroup at %s/%s", t->e->mount, t->root);
        printf("# %s\n", t->mechanism);
        return t;
}

/* Nothing may be left: the root must be empty, so rmdir must work. */
static inline void t_env_free(struct t_env *t)
{
        int fd;

        if (!t)
                return;
        fd = dup(t->e->mount_fd);
        enforce_free(t->e);
        t_reap();
        if (unlinkat(fd, t->root, AT_REMOVEDIR) < 0) {
                int err = errno;

                /* kill what a failed test left, then report it */
                cg_remove_tree(fd, t->root, 0);
                close(fd);
                free(t);
                fail_msg("cgroup root left behind: %s", strerror(err));
        }
        close(fd);
        free(t);
}

static inline bool t_session_dir_exists(struct t_env *t, const char *id)
{
        char path[160];

        snprintf(path, sizeof(path), "%s/%s", t->root, id);
        return faccessat(t->e->mount_fd, path, F_OK, 0) == 0;
}

/* Drives the end sequence as kagid's loop would: events fd and wake time. */
static inline int t_drive_end(struct enforce_session *s, int64_t limit_ms)
{
        int64_t deadline = t_now() + limit_ms;

        for (;;) {
                int64_t wake = 0, now;
                struct pollfd p = { .fd = enforce_session_events_fd(s), .events = POLLPRI };
                int r = enforce_session_end_continue(s, &wake);

                if (r != 0)
                        return r;
                now = t_now();
                if (now >= deadline)
                        return -ETIMEDOUT;
                if (wake > deadline)
                        wake = deadline;
                poll(&p, 1, wake > now ? (int)(wake - now) : 0);
                t_reap();
        }
}

static inline int t_main_checks(void)
{
        if (geteuid() != 0) {
                printf("# needs root (real cgroups): skipped\n");
                return 77;
        }
        /* orphans of the test's processes come back to it, to be reaped */
        prctl(PR_SET_CHILD_SUBREAPER, 1);
        return 0;
}
