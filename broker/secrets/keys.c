/* Key files. Created with 32 random bytes and mode 0600 when absent, whole
 * or not at all; an existing key that others could read or write is
 * refused (CRED-1). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/rand.h>

#include "log.h"
#include "secrets.h"

static int read_exact(int fd, uint8_t *p, size_t n)
{
        size_t got = 0;
        uint8_t extra;

        while (got < n) {
                ssize_t r = read(fd, p + got, n - got);

                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -errno;
                if (r == 0)
                        return -EINVAL;
                got += (size_t)r;
        }
        if (read(fd, &extra, 1) != 0)
                return -EINVAL;
        return 0;
}

/* write() may take less than it was given (a full disk, a signal) without
 * any error: all of it is written, or this fails. */
static int write_all(int fd, const uint8_t *p, size_t n)
{
        while (n > 0) {
                ssize_t w = write(fd, p, n);

                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        return -errno;
                if (w == 0)
                        return -EIO;
                p += w;
                n -= (size_t)w;
        }
        return 0;
}

/* Into place under `name` only if nothing is there yet: two brokers
 * starting at once cannot both make a key, the second uses the first's. */
static int link_into_place(int dirfd, const char *tmp, const char *name)
{
        if (renameat2(dirfd, tmp, dirfd, name, RENAME_NOREPLACE) == 0)
                return 0;
        if (errno != EINVAL && errno != ENOSYS)
                return -errno;
        /* a file system without RENAME_NOREPLACE: link(2) refuses too */
        if (linkat(dirfd, tmp, dirfd, name, 0) < 0)
                return -errno;
        unlinkat(dirfd, tmp, 0);
        return 0;
}

/* A new key: written whole to a file of its own, flushed, moved under its
 * name and the directory flushed, so that after a crash at any point the
 * name holds a whole key or nothing (a restart then makes one). Returns
 * -EEXIST when another broker made it first. */
static int create_key(int dirfd, const char *dir, const char *name, uint8_t key[KAGI_KEY_LEN], char *err,
                      size_t errsz)
{
        _cleanup_(closep) int fd = -1;
        char tmp[96];
        uint32_t nonce;
        int r;

        if (RAND_bytes((uint8_t *)&nonce, sizeof(nonce)) != 1 || RAND_bytes(key, KAGI_KEY_LEN) != 1) {
                snprintf(err, errsz, "%s/%s: no randomness", dir, name);
                return -EIO;
        }
        snprintf(tmp, sizeof(tmp), ".%s.new-%ld-%08x", name, (long)getpid(), nonce);
        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) {
                r = -errno;
                snprintf(err, errsz, "%s/%s: cannot create: %s", dir, tmp, strerror(-r));
                secret_wipe(key, KAGI_KEY_LEN);
                return r;
        }
        r = write_all(fd, key, KAGI_KEY_LEN);
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r >= 0 && close(fd) < 0)
                r = -errno;
        fd = -1;
        if (r < 0) {
                snprintf(err, errsz, "%s/%s: cannot write: %s", dir, name, strerror(-r));
                goto fail;
        }
        r = link_into_place(dirfd, tmp, name);
        if (r == -EEXIST)
                goto fail;
        if (r < 0) {
                snprintf(err, errsz, "%s/%s: cannot put in place: %s", dir, name, strerror(-r));
                goto fail;
        }
        if (fsync(dirfd) < 0) {
                r = -errno;
                snprintf(err, errsz, "%s: cannot flush the directory: %s", dir, strerror(-r));
                /* the name may not survive a crash; the key must not be used */
                unlinkat(dirfd, name, 0);
                secret_wipe(key, KAGI_KEY_LEN);
                return r;
        }
        log_info("created key %s/%s", dir, name);
        return 0;
fail:
        unlinkat(dirfd, tmp, 0);
        secret_wipe(key, KAGI_KEY_LEN);
        return r;
}

static int load_one(int dirfd, const char *dir, const char *name, uid_t owner, bool create,
                    uint8_t key[KAGI_KEY_LEN], char *err, size_t errsz)
{
        _cleanup_(closep) int fd = -1;
        struct stat st;
        int r;

        fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0 && errno == ENOENT && !create)
                return 0;
        if (fd < 0 && errno == ENOENT) {
                r = create_key(dirfd, dir, name, key, err, errsz);
                if (r != -EEXIST)
                        return r;
                /* another broker made it first: use that one */
                fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        }
        if (fd < 0) {
                r = -errno;
                snprintf(err, errsz, "%s/%s: %s", dir, name, strerror(errno));
                return r;
        }
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) || (st.st_uid != 0 && st.st_uid != owner) || (st.st_mode & 077)) {
                snprintf(err, errsz, "%s/%s: must be a regular file owned by root or the broker user "
                         "with mode 0600 (is %04o, uid %u)", dir, name, (unsigned)(st.st_mode & 07777),
                         (unsigned)st.st_uid);
                return -EPERM;
        }
        r = read_exact(fd, key, KAGI_KEY_LEN);
        if (r < 0) {
                snprintf(err, errsz, "%s/%s: must hold exactly %d bytes", dir, name, KAGI_KEY_LEN);
                return r;
        }
        return 0;
}

int keys_load(const char *dir, uid_t owner, bool create, struct kagi_keys *ret, char *err, size_t errsz)
{
        _cleanup_(closep) int dirfd = -1;
        struct stat st;
        int r;

        if (!create && access(dir, F_OK) < 0 && errno == ENOENT)
                return 0;
        if (create && mkdir(dir, 0700) < 0 && errno != EEXIST) {
                r = -errno;
                snprintf(err, errsz, "%s: cannot create: %s", dir, strerror(errno));
                return r;
        }
        dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0) {
                r = -errno;
                snprintf(err, errsz, "%s: %s", dir, strerror(errno));
                return r;
        }
        if (fstat(dirfd, &st) < 0)
                return -errno;
        if ((st.st_uid != 0 && st.st_uid != owner) || (st.st_mode & 022)) {
                snprintf(err, errsz, "%s: key directory must be owned by root or the broker user and "
                         "not writable by others (is %04o)", dir, (unsigned)(st.st_mode & 07777));
                return -EPERM;
        }
        r = load_one(dirfd, dir, "audit.key", owner, create, ret->audit, err, errsz);
        if (r >= 0)
                r = load_one(dirfd, dir, "seal.key", owner, create, ret->seal, err, errsz);
        if (r < 0)
                keys_wipe(ret);
        return r;
}

void keys_wipe(struct kagi_keys *k)
{
        secret_wipe(k, sizeof(*k));
}
