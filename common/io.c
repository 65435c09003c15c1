/* Framed I/O on a stream socket, every step bounded by a deadline. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "common.h"

int64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_fd(int fd, short events, int64_t deadline)
{
        for (;;) {
                int64_t left = deadline - now_ms();
                struct pollfd p = { .fd = fd, .events = events };
                int r;

                if (left <= 0)
                        return -ETIMEDOUT;
                r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -errno;
                if (r > 0)
                        return 0;
        }
}

int io_connect_unix(const char *path, int64_t deadline, int *ret_fd)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_(closep) int fd = -1;
        int r, err = 0;
        socklen_t elen = sizeof(err);

        if (!path || strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, path, strlen(path) + 1);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        for (;;) {
                if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
                        break;
                if (errno == EAGAIN) {
                        /* the listen queue is full (kagid is busy, or someone
                         * floods it): nothing is in progress, try again */
                        if (now_ms() >= deadline)
                                return -ETIMEDOUT;
                        poll(NULL, 0, 1);
                        continue;
                }
                if (errno != EINPROGRESS)
                        return -errno;
                r = wait_fd(fd, POLLOUT, deadline);
                if (r < 0)
                        return r;
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
                        return -errno;
                if (err)
                        return -err;
                break;
        }
        *ret_fd = fd;
        fd = -1;
        return 0;
}

int io_check_server(int fd, uid_t owner, uid_t *ret_uid)
{
        struct ucred cred;
        socklen_t len = sizeof(cred);

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return -errno;
        *ret_uid = cred.uid;
        return cred.uid == 0 || cred.uid == owner ? 0 : -EPERM;
}

static int write_all(int fd, const uint8_t *p, size_t n, int64_t deadline)
{
        while (n > 0) {
                ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);

                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN && errno != EWOULDBLOCK)
                                return -errno;
                        int r = wait_fd(fd, POLLOUT, deadline);
                        if (r < 0)
                                return r;
                        continue;
                }
                p += w;
                n -= (size_t)w;
        }
        return 0;
}

static int read_all(int fd, uint8_t *p, size_t n, int64_t deadline)
{
        while (n > 0) {
                ssize_t r = recv(fd, p, n, MSG_DONTWAIT);

                if (r == 0)
                        return -ECONNRESET;
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN && errno != EWOULDBLOCK)
                                return -errno;
                        int w = wait_fd(fd, POLLIN, deadline);
                        if (w < 0)
                                return w;
                        continue;
                }
                p += r;
                n -= (size_t)r;
        }
        return 0;
}

int frame_send(int fd, const struct frame *f, int64_t deadline)
{
        if (f->error)
                return f->error;
        return write_all(fd, f->buf, f->len, deadline);
}

int frame_recv(int fd, struct kagi_msg *m, int64_t deadline)
{
        uint8_t *buf = malloc(KAGI_FRAME_MAX);
        size_t total = 4;
        int r;

        if (!buf)
                return -ENOMEM;
        r = read_all(fd, buf, 4, deadline);
        if (r >= 0)
                r = frame_total_length(buf, &total);
        if (r >= 0)
                r = read_all(fd, buf + 4, total - 4, deadline);
        if (r >= 0)
                r = frame_decode(buf, total, m);
        /* only what was received can hold a secret */
        secret_free(buf, total);
        return r;
}
