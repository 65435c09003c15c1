/* The connection hog: an unprivileged uid (65534) that tries to hold
 * `connections` connections to kagid's socket, drips a byte now and then on
 * the ones kagid accepted (announcing the largest frame allowed, so that
 * each one costs kagid its whole buffer until request_timeout), and
 * reconnects every one kagid closes — refused at once over its limits, or
 * dropped when its time to deliver a request is up. It runs in a child
 * process while the benchmark measures root's logins. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "bench.h"

#define HOG_UID 65534
#define HOG_PAUSE_MS 10                      /* between passes over all its connections */

struct hog_slot {
        int fd;
        uint32_t sent;                       /* bytes of the frame dripped so far */
};

static int hog_connect(const struct sockaddr_un *sa, struct hog_stats *st)
{
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

        if (fd < 0) {
                st->errors++;
                return -1;
        }
        st->connects++;
        if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 && errno != EINPROGRESS) {
                /* EAGAIN: the listen queue is full */
                if (errno == EAGAIN)
                        st->queue_full++;
                else
                        st->errors++;
                close(fd);
                return -1;
        }
        return fd;
}

/* One byte of a frame header that announces KAGI_FRAME_MAX bytes, then
 * zeros: never a whole request. */
static void hog_drip(struct hog_slot *s, struct hog_stats *st)
{
        const uint32_t n = KAGI_FRAME_MAX - 4;
        uint8_t b = s->sent < 4 ? (uint8_t)(n >> (8 * (3 - s->sent))) : 0;

        if (send(s->fd, &b, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1) {
                s->sent++;
                st->bytes++;
        }
}

/* The parent closes its end of the stop pipe to end the hog. */
static bool hog_stopped(int stop)
{
        char c;

        return read(stop, &c, 1) == 0;
}

static void hog_main(const char *socket_path, size_t connections, int stop, int report)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct hog_stats st = { 0 };
        struct hog_slot *slot = calloc(connections, sizeof(*slot));
        struct rlimit rl = { .rlim_cur = connections + 64, .rlim_max = connections + 64 };
        unsigned pass = 0;

        /* as root still: room for every descriptor it wants */
        if (!slot || strlen(socket_path) >= sizeof(sa.sun_path) || setrlimit(RLIMIT_NOFILE, &rl) < 0 ||
            setgroups(0, NULL) < 0 || setgid(HOG_UID) < 0 || setuid(HOG_UID) < 0)
                _exit(2);
        memcpy(sa.sun_path, socket_path, strlen(socket_path) + 1);
        for (size_t i = 0; i < connections; i++)
                slot[i].fd = -1;
        while (!hog_stopped(stop)) {
                size_t open_now = 0;

                for (size_t i = 0; i < connections; i++) {
                        struct hog_slot *s = &slot[i];
                        char c;

                        if (s->fd >= 0 && recv(s->fd, &c, 1, MSG_DONTWAIT) == 0) {
                                /* kagid closed it: over a limit, or out of time */
                                close(s->fd);
                                *s = (struct hog_slot){ .fd = -1 };
                                st.closed++;
                        }
                        if (s->fd < 0)
                                s->fd = hog_connect(&sa, &st);
                        else if ((i + pass) % 2)
                                hog_drip(s, &st);
                        open_now += s->fd >= 0;
                }
                if (open_now > st.open_max)
                        st.open_max = open_now;
                st.passes = ++pass;
                nanosleep(&(struct timespec){ .tv_nsec = HOG_PAUSE_MS * 1000000L }, NULL);
        }
        _exit(write(report, &st, sizeof(st)) == (ssize_t)sizeof(st) ? 0 : 1);
}

int hog_start(const char *socket_path, size_t connections, struct hog *ret)
{
        int report[2], stop[2];
        pid_t pid;

        if (pipe2(report, O_CLOEXEC) < 0)
                return -errno;
        if (pipe2(stop, O_CLOEXEC | O_NONBLOCK) < 0) {
                int r = -errno;
                close(report[0]);
                close(report[1]);
                return r;
        }
        pid = fork();
        if (pid < 0) {
                int r = -errno;
                close(report[0]);
                close(report[1]);
                close(stop[0]);
                close(stop[1]);
                return r;
        }
        if (pid == 0) {
                close(report[0]);
                close(stop[1]);
                hog_main(socket_path, connections, stop[0], report[1]);
        }
        close(report[1]);
        close(stop[0]);
        *ret = (struct hog){ .pid = pid, .report = report[0], .stop = stop[1] };
        return 0;
}

int hog_stop(struct hog *h, struct hog_stats *ret)
{
        int status = 0;
        ssize_t n;

        close(h->stop);
        n = read(h->report, ret, sizeof(*ret));
        close(h->report);
        waitpid(h->pid, &status, 0);
        if (n != (ssize_t)sizeof(*ret) || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return -EIO;
        return 0;
}
