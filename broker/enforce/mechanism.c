/* Which mechanism can bound a session on this host, found once at start:
 * systemd's transient scopes where systemd runs (it owns the cgroup tree
 * there), else a directory of kagi's own in the cgroup v2 hierarchy, else
 * none. "None" is a value, not an error: the caller refuses privileged
 * logins on it rather than let them run unbounded. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <syslog.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "common.h"
#define ENFORCE_INTERNAL
#include "enforce.h"

#define MOUNTINFO_MAX (4u << 20)

const char *enforce_kind_name(enum enforce_kind kind)
{
        switch (kind) {
        case ENFORCE_SYSTEMD_SCOPE: return "systemd-scope";
        case ENFORCE_CGROUP: return "cgroup";
        case ENFORCE_NONE: break;
        }
        return "none";
}

void enforce_log(const struct enforce *e, int priority, const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        if (!e->log)
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        e->log(e->log_data, priority, msg);
}

int enforce_none(struct enforce *e, const char *fmt, ...)
{
        va_list ap;

        e->kind = ENFORCE_NONE;
        va_start(ap, fmt);
        vsnprintf(e->why_none, sizeof(e->why_none), fmt, ap);
        va_end(ap);
        enforce_log(e, LOG_WARNING, "no way to bound sessions: %s", e->why_none);
        return 0;
}

int enforce_read_all(int fd, size_t max, char **ret, size_t *ret_len)
{
        _cleanup_(freep) char *buf = NULL;
        size_t len = 0, cap = 0;

        for (;;) {
                ssize_t n;

                if (cap - len < 4096) {
                        char *p;

                        if (cap >= max)
                                return -EFBIG;
                        cap = cap ? cap * 2 : 8192;
                        if (cap > max)
                                cap = max;
                        p = realloc(buf, cap + 1);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                }
                n = read(fd, buf + len, cap - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        if (!buf && !(buf = malloc(1)))
                return -ENOMEM;
        buf[len] = '\0';
        *ret = buf;
        buf = NULL;
        if (ret_len)
                *ret_len = len;
        return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *unescape(const char *s, size_t n)
{
        char *out = malloc(n + 1), *o = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' &&
                    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
                        *o++ = (char)((s[i + 1] - '0') << 6 | (s[i + 2] - '0') << 3 | (s[i + 3] - '0'));
                        i += 3;
                } else
                        *o++ = s[i];
        }
        *o = '\0';
        return out;
}

/* One line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SRC SUPER". */
static int mountinfo_line(const char *line, size_t len, char **ret_mount, char **ret_root)
{
        const char *field[6], *end = line + len, *p = line;
        size_t flen[6], i = 0;
        bool cgroup2 = false;

        while (p < end) {
                const char *q;

                while (p < end && *p == ' ')
                        p++;
                if (p == end)
                        break;
                q = p;
                while (q < end && *q != ' ')
                        q++;
                if (i < 6) {
                        field[i] = p;
                        flen[i] = (size_t)(q - p);
                } else if (q - p == 1 && *p == '-') {
                        /* the separator: the file system type follows */
                        const char *t = q;

                        while (t < end && *t == ' ')
                                t++;
                        cgroup2 = (size_t)(end - t) >= 7 && memcmp(t, "cgroup2", 7) == 0 &&
                                  (t + 7 == end || t[7] == ' ');
                        break;
                }
                i++;
                p = q;
        }
        if (!cgroup2 || i < 6)
                return -ENOENT;
        _cleanup_(freep) char *root = unescape(field[3], flen[3]);
        char *mount = unescape(field[4], flen[4]);
        if (!root || !mount) {
                free(mount);
                return -ENOMEM;
        }
        if (mount[0] != '/' || root[0] != '/') {
                free(mount);
                return -EINVAL;
        }
        *ret_mount = mount;
        *ret_root = root;
        root = NULL;
        return 0;
}

int enforce_mountinfo_cgroup2(const char *text, char **ret_mount, char **ret_root)
{
        for (const char *line = text; *line;) {
                const char *nl = strchr(line, '\n');
                size_t len = nl ? (size_t)(nl - line) : strlen(line);
                int r = mountinfo_line(line, len, ret_mount, ret_root);

                if (r != -ENOENT)
                        return r;
                line += len + (nl ? 1 : 0);
        }
        return -ENOENT;
}

static int find_cgroup2(struct enforce *e, const char *mountinfo)
{
        _cleanup_(closep) int fd = open(mountinfo, O_RDONLY | O_CLOEXEC);
        _cleanup_(freep) char *text = NULL;
        struct statfs sfs;
        int r;

        if (fd < 0)
                return enforce_none(e, "cannot read %s: %s", mountinfo, strerror(errno));
        r = enforce_read_all(fd, MOUNTINFO_MAX, &text, NULL);
        if (r < 0)
                return r == -ENOMEM ? r : enforce_none(e, "cannot read %s: %s", mountinfo, strerror(-r));
        r = enforce_mountinfo_cgroup2(text, &e->mount, &e->mount_root);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return enforce_none(e, "no cgroup v2 hierarchy is mounted");
        e->mount_fd = open(e->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (e->mount_fd < 0)
                return enforce_none(e, "cannot open the cgroup2 mount %s: %s", e->mount, strerror(errno));
        if (fstatfs(e->mount_fd, &sfs) < 0 || sfs.f_type != CGROUP2_SUPER_MAGIC)
                return enforce_none(e, "%s is not a cgroup2 file system", e->mount);
        return 1;
}

/* kagi's directory: made once, kept across restarts (sessions live in it). */
static int own_root(struct enforce *e, const char *root)
{
        _cleanup_(closep) int fd = -1;
        char path[256];
        const char *p = root;

        e->root = strdup(root);
        if (!e->root)
                return -ENOMEM;
        fd = fcntl(e->mount_fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        while (*p) {
                size_t n = strcspn(p, "/");
                int next;

                memcpy(path, p, n);
                path[n] = '\0';
                if (mkdirat(fd, path, 0755) < 0 && errno != EEXIST)
                        return enforce_none(e, "cannot create %s/%s: %s", e->mount, root, strerror(errno));
                next = openat(fd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0)
                        return enforce_none(e, "cannot open %s/%s: %s", e->mount, root, strerror(errno));
                close(fd);
                fd = next;
                p += n + (p[n] == '/');
        }
        /* Without cgroup.kill (Linux < 5.14) a process that forks faster than
         * it is signalled could outlive its session: refuse instead. */
        if (faccessat(fd, "cgroup.kill", W_OK, 0) < 0)
                return enforce_none(e, "%s/%s has no cgroup.kill (needs Linux >= 5.14)", e->mount, root);
        if (asprintf(&e->root_path, "%s/%s", e->mount, root) < 0) {
                e->root_path = NULL;
                return -ENOMEM;
        }
        e->root_fd = fd;
        fd = -1;
        return 1;
}

/* systemd mode: systemd made kagid's own cgroup, so cgroup.kill there says
 * whether scopes will have it. In the root cgroup there is none to look at:
 * then each session's start checks its scope. */
static int scope_kill_supported(struct enforce *e)
{
        _cleanup_(closep) int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
        _cleanup_(freep) char *text = NULL, *path = NULL;
        const char *own, *mr;
        size_t len;

        if (fd < 0 || enforce_read_all(fd, 64 * 1024, &text, NULL) < 0)
                return 1;
        own = strstr(text, "0::/");
        if (!own || (own != text && own[-1] != '\n'))
                return 1;
        own += 3;
        len = strcspn(own, "\n");
        mr = strcmp(e->mount_root, "/") == 0 ? "" : e->mount_root;
        if (len <= 1 || strncmp(own, mr, strlen(mr)) != 0)
                return 1;
        if (asprintf(&path, "%.*s/cgroup.kill", (int)(len - strlen(mr) - 1), own + strlen(mr) + 1) < 0)
                return -ENOMEM;
        if (faccessat(e->mount_fd, path, F_OK, 0) < 0 && errno == ENOENT)
                return enforce_none(e, "the cgroup v2 tree has no cgroup.kill (needs Linux >= 5.14)");
        return 1;
}

static bool valid_root(const char *root)
{
        size_t len = strlen(root);

        if (len == 0 || len > 200 || root[0] == '/' || root[len - 1] == '/')
                return false;
        for (const char *p = root; *p; p++) {
                bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                          (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' || *p == '/';

                if (!ok || (p[0] == '/' && p[1] == '/'))
                        return false;
                /* no "." or ".." component */
                if ((p == root || p[-1] == '/') && p[0] == '.' &&
                    (p[1] == '/' || !p[1] || (p[1] == '.' && (p[2] == '/' || !p[2]))))
                        return false;
        }
        return true;
}

static bool valid_slice(const char *slice)
{
        size_t len = strlen(slice);

        if (len <= 6 || len > 120 || strcmp(slice + len - 6, ".slice") != 0)
                return false;
        for (const char *p = slice; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
                        return false;
        return true;
}

int enforce_new(const struct enforce_config *cfg, struct enforce **ret)
{
        static const struct enforce_config defaults;
        struct enforce *e;
        const char *root, *slice;
        int r;

        if (!cfg)
                cfg = &defaults;
        root = cfg->cgroup_root ? cfg->cgroup_root : "kagi";
        slice = cfg->slice ? cfg->slice : "kagi.slice";
        if (!valid_root(root) || !valid_slice(slice) ||
            (cfg->force != ENFORCE_NONE && cfg->force != ENFORCE_CGROUP && cfg->force != ENFORCE_SYSTEMD_SCOPE))
                return -EINVAL;

        e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        e->mount_fd = e->root_fd = -1;
        e->log = cfg->log;
        e->log_data = cfg->log_data;
        e->slice = strdup(slice);
        if (!e->slice) {
                enforce_free(e);
                return -ENOMEM;
        }
        /* sd_booted(): /run/systemd/system exists only when systemd is PID 1 */
        e->kind = cfg->force != ENFORCE_NONE ? cfg->force
                  : sd_booted() > 0 ? ENFORCE_SYSTEMD_SCOPE : ENFORCE_CGROUP;

        r = find_cgroup2(e, cfg->mountinfo ? cfg->mountinfo : "/proc/self/mountinfo");
        if (r > 0)
                r = e->kind == ENFORCE_CGROUP ? own_root(e, root) : scope_kill_supported(e);
        if (r > 0 && e->kind == ENFORCE_SYSTEMD_SCOPE)
                r = scope_connect(e);
        if (r < 0) {
                enforce_free(e);
                return r;
        }
        if (e->kind != ENFORCE_NONE)
                enforce_log(e, LOG_INFO, "sessions are bounded by %s (%s)", enforce_kind_name(e->kind),
                            e->kind == ENFORCE_CGROUP ? e->root : e->slice);
        *ret = e;
        return 0;
}

void enforce_free(struct enforce *e)
{
        if (!e)
                return;
        if (e->bus)
                sd_bus_flush_close_unref(e->bus);
        if (e->root_fd >= 0)
                close(e->root_fd);
        if (e->mount_fd >= 0)
                close(e->mount_fd);
        free(e->mount);
        free(e->mount_root);
        free(e->root);
        free(e->root_path);
        free(e->slice);
        free(e);
}

enum enforce_kind enforce_kind(const struct enforce *e)
{
        return e->kind;
}

const char *enforce_why_none(const struct enforce *e)
{
        return e->kind == ENFORCE_NONE ? e->why_none : NULL;
}

const char *enforce_cgroup_root(const struct enforce *e)
{
        return e->kind == ENFORCE_CGROUP ? e->root_path : NULL;
}
