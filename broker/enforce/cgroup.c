/* The cgroup v2 files a session's cgroup has, whoever made it (kagi itself,
 * or systemd as a scope): cgroup.procs, cgroup.events, cgroup.kill. Every
 * file is reached relative to a directory fd held open, so a path that
 * changes under us cannot redirect a write. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "common.h"
#define ENFORCE_INTERNAL
#include "enforce.h"

/* A session a root shell filled with sub-cgroups still ends through
 * cgroup.kill (it covers the whole subtree); these bound only how far the
 * scan for processes to remember looks. */
#define WALK_DEPTH 8
#define WALK_DIRS 256
#define REMOVE_DEPTH 32         /* deeper than that, rmdir gives up: -EBUSY */
#define PROCS_MAX (1u << 20)

int cg_write(int dir_fd, const char *file, const char *text)
{
        _cleanup_(closep) int fd = openat(dir_fd, file, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
        size_t len = strlen(text);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = write(fd, text, len);
        if (n < 0)
                return -errno;
        return (size_t)n == len ? 0 : -EIO;
}

int cg_read_pids(int dir_fd, pid_t **ret, size_t *ret_n)
{
        _cleanup_(closep) int fd = openat(dir_fd, "cgroup.procs", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_(freep) char *text = NULL;
        _cleanup_(freep) pid_t *pids = NULL;
        size_t n = 0, cap = 0;
        char *line, *save = NULL;
        int r;

        if (fd < 0)
                return -errno;
        r = enforce_read_all(fd, PROCS_MAX, &text, NULL);
        if (r < 0)
                return r;
        for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                uint64_t v;

                if (parse_uint(line, INT32_MAX, &v) < 0)
                        return -EBADMSG;
                if (v == 0)
                        continue;       /* a process outside our PID namespace */
                if (n == cap) {
                        pid_t *p;

                        cap = cap ? cap * 2 : 16;
                        p = reallocarray(pids, cap, sizeof(*pids));
                        if (!p)
                                return -ENOMEM;
                        pids = p;
                }
                pids[n++] = (pid_t)v;
        }
        *ret = pids;
        pids = NULL;
        *ret_n = n;
        return 0;
}

int cg_populated(int events_fd)
{
        char buf[512];
        ssize_t n = pread(events_fd, buf, sizeof(buf) - 1, 0);
        const char *p;

        if (n < 0)
                return -errno;
        buf[n] = '\0';
        for (p = buf; (p = strstr(p, "populated ")); p++)
                if (p == buf || p[-1] == '\n') {
                        if (p[10] == '0' || p[10] == '1')
                                return p[10] == '1';
                        break;
                }
        return -EBADMSG;
}

/* s->rel names the cgroup below the mount: open it and its events file. */
int cg_open_session(struct enforce_session *s)
{
        _cleanup_(closep) int dir_fd = -1, events_fd = -1;
        int r;

        dir_fd = openat(s->e->mount_fd, s->rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dir_fd < 0)
                return -errno;
        events_fd = openat(dir_fd, "cgroup.events", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (events_fd < 0)
                return -errno;
        /* kernfs reports a change by POLLPRI after a read: read once now */
        r = cg_populated(events_fd);
        if (r < 0)
                return r;
        if (faccessat(dir_fd, "cgroup.kill", W_OK, 0) < 0)
                return -EOPNOTSUPP;
        s->dir_fd = dir_fd;
        s->events_fd = events_fd;
        dir_fd = events_fd = -1;
        return 0;
}

static int walk(int dir_fd, const char *cgroup, unsigned depth, unsigned *dirs, cg_visit_fn visit, void *userdata)
{
        DIR *d;
        struct dirent *de;
        int fd, r;

        r = visit(dir_fd, cgroup, userdata);
        if (r < 0)
                return r;
        if (depth >= WALK_DEPTH)
                return 0;
        fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                close(fd);
                return r;
        }
        while ((de = readdir(d)) && *dirs < WALK_DIRS) {
                _cleanup_(freep) char *sub = NULL;
                _cleanup_(closep) int sub_fd = -1;

                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                sub_fd = openat(dir_fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub_fd < 0)
                        continue;       /* removed meanwhile */
                if (asprintf(&sub, "%s/%s", cgroup, de->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                (*dirs)++;
                r = walk(sub_fd, sub, depth + 1, dirs, visit, userdata);
                if (r < 0)
                        break;
        }
        closedir(d);
        return r < 0 ? r : 0;
}

int cg_walk(int dir_fd, const char *cgroup, cg_visit_fn visit, void *userdata)
{
        unsigned dirs = 0;

        return walk(dir_fd, cgroup, 0, &dirs, visit, userdata);
}

/* rmdir the cgroup and any sub-cgroups a root shell made inside it. */
int cg_remove_tree(int parent_fd, const char *name, unsigned depth)
{
        _cleanup_(closep) int fd = -1;
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (depth > REMOVE_DEPTH)
                return -EBUSY;
        fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        d = fdopendir(fd);
        if (!d)
                return -errno;
        fd = -1;        /* owned by d now; dirfd(d) still works */
        while ((de = readdir(d))) {
                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                r = cg_remove_tree(dirfd(d), de->d_name, depth + 1);
                if (r < 0)
                        break;
        }
        closedir(d);
        if (r < 0)
                return r;
        if (unlinkat(parent_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}
