/* The processes a session is known to have had, each held by a pidfd that
 * was opened while the process was verifiably in the session's cgroup. A PID
 * read from cgroup.procs may belong to another process by the time it is
 * used; a pidfd cannot change its process, so every signal goes through one,
 * and the pidfd keeps reaching a process a root shell moved out on purpose. */
#include <errno.h>
#include <fcntl.h>
#include <linux/types.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "common.h"
#define ENFORCE_INTERNAL
#include "enforce.h"

/* Linux >= 6.13 answers from the pidfd itself: no window between reading
 * /proc and checking the process is still the one opened. */
#ifndef PIDFD_GET_INFO
struct pidfd_info {
        __u64 mask;
        __u64 cgroupid;
        __u32 pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
        __u32 spare0[1];
};
#define PIDFD_GET_INFO _IOWR(0xFF, 11, struct pidfd_info)
#define PIDFD_INFO_CGROUPID (1UL << 2)
#endif

int pidfd_in_cgroup_proc(int pidfd, pid_t pid, const char *cgroup)
{
        char path[64], *line, *save = NULL;
        _cleanup_(freep) char *text = NULL;
        _cleanup_(closep) int fd = -1;
        int r, in = 0;

        snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        r = enforce_read_all(fd, 64 * 1024, &text, NULL);
        if (r < 0)
                return r == -ENODEV ? -ESRCH : r;
        for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                if (strncmp(line, "0::", 3) == 0) {
                        in = strcmp(line + 3, cgroup) == 0;
                        break;
                }
        /* Still alive (or an unreaped zombie) now, so it held that PID
         * while /proc was read: what was read was this process. */
        if (pidfd_send_signal(pidfd, 0, NULL, 0) < 0)
                return errno == ESRCH ? -ESRCH : -errno;
        return in;
}

int pidfd_in_cgroup(int pidfd, pid_t pid, int dir_fd, const char *cgroup)
{
        struct pidfd_info info = { .mask = PIDFD_INFO_CGROUPID };
        struct stat st;

        if (ioctl(pidfd, PIDFD_GET_INFO, &info) == 0) {
                /* a cgroup's ID is its directory's inode number */
                if ((info.mask & PIDFD_INFO_CGROUPID) && fstat(dir_fd, &st) == 0)
                        return info.cgroupid == (uint64_t)st.st_ino;
        } else if (errno == ESRCH)
                return -ESRCH;
        else if (errno != ENOTTY && errno != EINVAL && errno != EOPNOTSUPP)
                return -errno;
        return pidfd_in_cgroup_proc(pidfd, pid, cgroup);
}

static void seen_drop(struct enforce_session *s, size_t i)
{
        close(s->seen[i].pidfd);
        s->seen[i] = s->seen[--s->n_seen];
}

void seen_clear(struct enforce_session *s)
{
        while (s->n_seen)
                seen_drop(s, s->n_seen - 1);
        free(s->seen);
        s->seen = NULL;
}

size_t seen_prune(struct enforce_session *s)
{
        _cleanup_(freep) struct pollfd *p = NULL;
        size_t n = s->n_seen;

        if (n == 0)
                return 0;
        p = calloc(n, sizeof(*p));
        if (!p)
                return n;       /* keep them all: forgetting one would be worse */
        for (size_t i = 0; i < n; i++)
                p[i] = (struct pollfd){ .fd = s->seen[i].pidfd, .events = POLLIN };
        /* a pidfd is readable once its process has exited */
        if (poll(p, n, 0) <= 0)
                return n;
        for (size_t i = n; i-- > 0;)
                if (p[i].revents & (POLLIN | POLLHUP | POLLERR))
                        seen_drop(s, i);
        return s->n_seen;
}

static bool seen_has(const struct enforce_session *s, pid_t pid)
{
        for (size_t i = 0; i < s->n_seen; i++)
                if (s->seen[i].pid == pid)
                        return true;
        return false;
}

static int seen_push(struct enforce_session *s, pid_t pid, int pidfd)
{
        if (s->n_seen >= ENFORCE_SEEN_MAX) {
                if (!s->seen_full_logged)
                        enforce_log(s->e, LOG_WARNING, "session %s: more than %d processes; "
                                    "the rest are reached through cgroup.kill only", s->id, ENFORCE_SEEN_MAX);
                s->seen_full_logged = true;
                close(pidfd);
                return 0;
        }
        if (s->n_seen % 64 == 0) {
                struct enforce_seen *p = reallocarray(s->seen, s->n_seen + 64, sizeof(*p));

                if (!p) {
                        close(pidfd);
                        return -ENOMEM;
                }
                s->seen = p;
        }
        s->seen[s->n_seen++] = (struct enforce_seen){ .pid = pid, .pidfd = pidfd };
        return 1;
}

/* Checks against one directory of the session's tree and remembers. */
static int adopt_in(struct enforce_session *s, pid_t pid, int pidfd, int dir_fd, const char *cgroup)
{
        int r = pidfd_in_cgroup(pidfd, pid, dir_fd, cgroup);

        if (r <= 0) {
                close(pidfd);
                return r == 0 ? -ESRCH : r;
        }
        return seen_push(s, pid, pidfd);
}

int seen_adopt(struct enforce_session *s, pid_t pid, int pidfd)
{
        int r = adopt_in(s, pid, pidfd, s->dir_fd, s->cgroup);

        return r < 0 ? r : 0;
}

struct scan {
        struct enforce_session *s;
        int added;
};

/* One directory of the session's tree: remember what is in it. */
static int scan_dir(int dir_fd, const char *cgroup, void *userdata)
{
        struct scan *c = userdata;
        _cleanup_(freep) pid_t *pids = NULL;
        size_t n = 0;
        int r;

        r = cg_read_pids(dir_fd, &pids, &n);
        if (r < 0)
                return r == -ENOENT || r == -ENODEV ? 0 : r;    /* removed meanwhile */
        for (size_t i = 0; i < n; i++) {
                int pidfd;

                if (seen_has(c->s, pids[i]))
                        continue;
                pidfd = pidfd_open(pids[i], 0);
                if (pidfd < 0) {
                        if (errno == ESRCH)
                                continue;
                        return -errno;
                }
                r = adopt_in(c->s, pids[i], pidfd, dir_fd, cgroup);
                if (r == -ESRCH)
                        continue;       /* exited or moved on: the next scan sees where */
                if (r < 0)
                        return r;
                c->added += r;
        }
        return 0;
}

int enforce_session_scan(struct enforce_session *s)
{
        struct scan c = { .s = s };
        int r;

        seen_prune(s);
        r = cg_walk(s->dir_fd, s->cgroup, scan_dir, &c);
        return r < 0 ? r : c.added;
}
