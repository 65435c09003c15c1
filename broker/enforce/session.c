/* A session's cgroup: made (by kagi or by systemd), a process moved in and
 * verified there through its pidfd, looked at, and let go. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "common.h"
#define ENFORCE_INTERNAL
#include "enforce.h"

bool enforce_id_valid(const char *id)
{
        size_t n = 0;

        if (!id)
                return false;
        for (; id[n]; n++)
                if (!((id[n] >= 'a' && id[n] <= 'z') || (id[n] >= '0' && id[n] <= '9') || id[n] == '-'))
                        return false;
        return n > 0 && n <= ENFORCE_ID_MAX;
}

static int session_new(struct enforce *e, const char *id, const char *cgroup, struct enforce_session **ret)
{
        struct enforce_session *s = calloc(1, sizeof(*s));
        const char *mroot = strcmp(e->mount_root, "/") == 0 ? "" : e->mount_root;

        if (!s)
                return -ENOMEM;
        s->e = e;
        s->dir_fd = s->events_fd = -1;
        memcpy(s->id, id, strlen(id) + 1);
        /* cgroup: below the mount; /proc/PID/cgroup prefixes the mount's root */
        if (asprintf(&s->cgroup, "%s/%s", mroot, cgroup) < 0) {
                s->cgroup = NULL;
                enforce_session_free(s);
                return -ENOMEM;
        }
        s->rel = strdup(cgroup);
        if (!s->rel) {
                enforce_session_free(s);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}

/* Where the session's cgroup is below the mount, without a leading '/'. */
static int session_locate(struct enforce *e, const char *id, char **ret)
{
        _cleanup_(freep) char *cg = NULL;
        int r;

        if (e->kind == ENFORCE_CGROUP)
                return asprintf(ret, "%s/%s", e->root, id) < 0 ? -ENOMEM : 0;
        r = scope_cgroup(e, id, &cg);
        if (r < 0)
                return r;
        /* systemd names it from the hierarchy's root: strip our mount's root */
        size_t mr = strcmp(e->mount_root, "/") == 0 ? 0 : strlen(e->mount_root);
        if (strncmp(cg, e->mount_root, mr) != 0 || cg[mr] != '/' || !cg[mr + 1] || strstr(cg, "/.."))
                return -EBADMSG;
        *ret = strdup(cg + mr + 1);
        return *ret ? 0 : -ENOMEM;
}

/* cgroup.procs takes a PID: the pidfd says it is still the process meant
 * just before (reusing it in between would take a whole cycle of PIDs), and
 * seen_adopt checks the process that was moved afterwards. */
static int move_pid(struct enforce_session *s, pid_t pid, int pidfd)
{
        char line[24];

        if (pidfd_send_signal(pidfd, 0, NULL, 0) < 0)
                return -errno;
        snprintf(line, sizeof(line), "%d\n", (int)pid);
        return cg_write(s->dir_fd, "cgroup.procs", line);
}

int enforce_session_start(struct enforce *e, const char *id, pid_t pid, struct enforce_session **ret)
{
        _cleanup_(enforce_session_freep) struct enforce_session *s = NULL;
        _cleanup_(freep) char *rel = NULL;
        int pidfd, r;

        if (e->kind == ENFORCE_NONE)
                return -EOPNOTSUPP;
        if (!enforce_id_valid(id) || pid <= 0)
                return -EINVAL;
        /* opened first: whatever happens to the PID, this is the process we
         * mean, and the checks below are about it */
        pidfd = pidfd_open(pid, 0);
        if (pidfd < 0)
                return -errno;

        /* -EEXIST here leaves the existing session alone */
        r = e->kind == ENFORCE_CGROUP ? (mkdirat(e->root_fd, id, 0755) < 0 ? -errno : 0)
                                      : scope_start(e, id, pid);
        if (r < 0) {
                close(pidfd);
                return r;
        }
        r = session_locate(e, id, &rel);
        if (r >= 0)
                r = session_new(e, id, rel, &s);
        if (r >= 0)
                r = cg_open_session(s);
        if (r >= 0 && e->kind == ENFORCE_CGROUP)
                r = move_pid(s, pid, pidfd);
        if (r >= 0) {
                r = seen_adopt(s, pid, pidfd);
                pidfd = -1;
        }
        if (r < 0) {
                if (pidfd >= 0)
                        close(pidfd);
                if (e->kind == ENFORCE_CGROUP)
                        cg_remove_tree(e->root_fd, id, 0);
                else
                        scope_stop(e, id);
                return r;
        }
        *ret = s;
        s = NULL;
        return 0;
}

int enforce_session_open(struct enforce *e, const char *id, struct enforce_session **ret)
{
        _cleanup_(enforce_session_freep) struct enforce_session *s = NULL;
        _cleanup_(freep) char *rel = NULL;
        int r;

        if (e->kind == ENFORCE_NONE)
                return -EOPNOTSUPP;
        if (!enforce_id_valid(id))
                return -EINVAL;
        r = session_locate(e, id, &rel);
        if (r < 0)
                return r;
        r = session_new(e, id, rel, &s);
        if (r < 0)
                return r;
        r = cg_open_session(s);
        if (r < 0)
                return r;
        r = enforce_session_scan(s);
        if (r < 0)
                return r;
        *ret = s;
        s = NULL;
        return 0;
}

int enforce_session_add(struct enforce_session *s, pid_t pid)
{
        int pidfd, r;

        if (pid <= 0)
                return -EINVAL;
        pidfd = pidfd_open(pid, 0);
        if (pidfd < 0)
                return -errno;
        r = s->e->kind == ENFORCE_SYSTEMD_SCOPE ? scope_attach(s->e, s->id, pid) : move_pid(s, pid, pidfd);
        if (r < 0) {
                close(pidfd);
                return r;
        }
        return seen_adopt(s, pid, pidfd);
}

void enforce_session_free(struct enforce_session *s)
{
        if (!s)
                return;
        seen_clear(s);
        if (s->events_fd >= 0)
                close(s->events_fd);
        if (s->dir_fd >= 0)
                close(s->dir_fd);
        free(s->cgroup);
        free(s->rel);
        free(s->tty);
        free(s);
}

const char *enforce_session_id(const struct enforce_session *s)
{
        return s->id;
}

const char *enforce_session_cgroup(const struct enforce_session *s)
{
        return s->cgroup;
}

int enforce_session_set_terminal(struct enforce_session *s, const char *pam_tty, uid_t owner)
{
        char path[64];
        char *copy;
        int r;

        r = enforce_tty_path(pam_tty, path, sizeof(path));
        if (r < 0)
                return r;
        copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        free(s->tty);
        s->tty = copy;
        s->tty_owner = owner;
        return 0;
}

struct pid_list {
        pid_t *pids;
        size_t n;
};

static int collect(int dir_fd, const char *cgroup, void *userdata)
{
        struct pid_list *l = userdata;
        _cleanup_(freep) pid_t *pids = NULL;
        size_t n = 0;
        pid_t *p;
        int r;

        (void)cgroup;
        r = cg_read_pids(dir_fd, &pids, &n);
        if (r < 0)
                return r == -ENOENT || r == -ENODEV ? 0 : r;
        if (n == 0)
                return 0;
        p = reallocarray(l->pids, l->n + n, sizeof(*p));
        if (!p)
                return -ENOMEM;
        memcpy(p + l->n, pids, n * sizeof(*p));
        l->pids = p;
        l->n += n;
        return 0;
}

int enforce_session_pids(struct enforce_session *s, pid_t **ret_pids, size_t *ret_n)
{
        struct pid_list l = { 0 };
        int r = cg_walk(s->dir_fd, s->cgroup, collect, &l);

        if (r < 0) {
                free(l.pids);
                return r;
        }
        *ret_pids = l.pids;
        *ret_n = l.n;
        return 0;
}

int enforce_session_populated(struct enforce_session *s)
{
        return cg_populated(s->events_fd);
}

int enforce_session_events_fd(const struct enforce_session *s)
{
        return s->events_fd;
}
