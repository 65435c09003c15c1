/* Reading kagi.conf from disk. Like doas, a file that someone other than root
 * (or the broker's own user) could have changed is not trusted at all. And
 * who that broker user is ([broker] user), which takes a look-up. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "policy.h"

int config_check_file(int fd, const char *path, uid_t owner, char *err, size_t errsz)
{
        struct stat st;

        if (fstat(fd, &st) < 0) {
                snprintf(err, errsz, "%s: %s", path, strerror(errno));
                return -errno;
        }
        if (st.st_uid != 0 && st.st_uid != owner) {
                snprintf(err, errsz, "%s: owned by uid %u; must be owned by root%s", path,
                         (unsigned)st.st_uid, owner ? " or the broker user" : "");
                return -EPERM;
        }
        if (st.st_mode & (S_IWGRP | S_IWOTH)) {
                snprintf(err, errsz, "%s: writable by group or others (mode %04o); refusing to use it",
                         path, (unsigned)(st.st_mode & 07777));
                return -EPERM;
        }
        return 0;
}

int config_load(const char *path, uid_t owner, struct kagi_config **ret, char *err, size_t errsz)
{
        _cleanup_(closep) int fd = -1;
        _cleanup_(freep) uint8_t *buf = NULL;
        struct stat st;
        size_t len = 0;
        int r;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                r = -errno;
                snprintf(err, errsz, "%s: %s", path, strerror(errno));
                return r;
        }
        r = config_check_file(fd, path, owner, err, errsz);
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                snprintf(err, errsz, "%s: not a regular file", path);
                return -EINVAL;
        }
        if (st.st_size > KAGI_CONFIG_MAX) {
                snprintf(err, errsz, "%s: larger than %d bytes", path, KAGI_CONFIG_MAX);
                return -E2BIG;
        }
        buf = malloc((size_t)st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        while (len < (size_t)st.st_size + 1) {
                ssize_t n = read(fd, buf + len, (size_t)st.st_size + 1 - len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        snprintf(err, errsz, "%s: %s", path, strerror(errno));
                        return r;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        if (len > (size_t)st.st_size) {
                snprintf(err, errsz, "%s: changed while being read", path);
                return -EAGAIN;
        }
        return config_parse(buf, len, path, ret, err, errsz);
}

int config_broker_uid(const struct kagi_config *c, uid_t *ret_uid, char *err, size_t errsz)
{
        struct passwd pw, *res = NULL;
        char buf[4096];
        uint64_t n;

        if (!c->broker_user) {
                *ret_uid = 0;
                return 0;
        }
        if (getpwnam_r(c->broker_user, &pw, buf, sizeof(buf), &res) == 0 && res) {
                *ret_uid = res->pw_uid;
                return 0;
        }
        if (parse_uint(c->broker_user, UINT32_MAX - 1, &n) == 0) {
                *ret_uid = (uid_t)n;
                return 0;
        }
        snprintf(err, errsz, "[broker] user: no account named '%s'", c->broker_user);
        return -ENOENT;
}
