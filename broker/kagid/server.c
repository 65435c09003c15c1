/* The socket and the workers. A fixed pool of workers, each with its own
 * database connection and directory handle, accepts and answers one
 * request per connection. A client that sends a malformed frame
 * or stalls is dropped; nobody else notices. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "attempts.h"
#include "request.h"

#define REQUEST_TIMEOUT_MS 5000       /* to receive one request frame */
#define REPLY_TIMEOUT_MS 10000

struct worker {
        pthread_t thread;
        struct broker *b;
        int lfd;                       /* the listening socket, shared */
        volatile int *stop;
        struct store *store;
        struct directory *dir;
};

static void serve(struct worker *w, int fd)
{
        _cleanup_(msg_freep) struct kagi_msg *m = msg_new();
        _cleanup_(frame_freep) struct frame *reply = frame_new(KAGI_REP_RESULT);
        struct ucred cred;
        socklen_t len = sizeof(cred);
        struct request rq = { .b = w->b, .store = w->store, .dir = w->dir, .fd = fd, .decision = KAGI_ERROR };
        int r;

        if (!m || !reply)
                return;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
                log_err("SO_PEERCRED: %s", strerror(errno));
                return;
        }
        rq.peer_uid = cred.uid;
        rq.peer_gid = cred.gid;
        rq.peer_pid = cred.pid;
        rq.peer_root = cred.uid == 0;
        r = frame_recv(fd, m, now_ms() + REQUEST_TIMEOUT_MS);
        if (r < 0) {
                if (r != -ECONNRESET)
                        log_warn("dropped connection from uid %u pid %d: %s", (unsigned)cred.uid, (int)cred.pid,
                                 r == -EBADMSG ? "frame breaks the protocol schema"
                                 : r == -EPROTO ? "wrong protocol version"
                                 : r == -E2BIG  ? "frame too large"
                                 : r == -ETIMEDOUT ? "no complete request in time"
                                                   : "malformed frame");
                return;
        }
        rq.peer_admin = !rq.peer_root && peer_in_group(cred.uid, cred.gid, w->b->cfg->admin_group);
        rq.msg = m;
        rq.reply = reply;
        r = dispatch(&rq);
        if (store_in_transaction(w->store)) {
                /* a handler that forgot its transaction must not hold every
                 * other writer up: undo it, and say so */
                log_err("%s left a transaction open; rolled back", kagi_msg_type_name(m->type));
                store_rollback(w->store);
                /* what it was about to answer was not written: fail closed */
                frame_free(reply);
                reply = frame_new(KAGI_REP_RESULT);
                if (!reply)
                        return;
                rq.reply = reply;
                reply_decision(&rq, KAGI_ERROR, MSG_INTERNAL);
        }
        if (r == -EBADMSG)
                return;
        if (reply->len == KAGI_FRAME_HEADER) {
                /* a handler that failed before answering still answers: fail closed */
                reply_decision(&rq, KAGI_ERROR, MSG_INTERNAL);
        }
        r = frame_send(fd, reply, now_ms() + REPLY_TIMEOUT_MS);
        if (r < 0 && r != -EPIPE && r != -ECONNRESET)
                log_warn("could not answer uid %u: %s", (unsigned)cred.uid, strerror(-r));
}

/* Each worker accepts for itself (the kernel wakes one waiter per
 * connection): no hand-over between threads on the way to an answer. */
static void *worker_main(void *arg)
{
        struct worker *w = arg;

        while (!*w->stop) {
                struct pollfd p = { .fd = w->lfd, .events = POLLIN };
                int fd;

                if (poll(&p, 1, 500) <= 0)
                        continue;
                fd = accept4(w->lfd, NULL, NULL, SOCK_CLOEXEC);
                if (fd < 0) {
                        /* another worker took it, or the client left */
                        if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
                                log_warn("accept: %s", strerror(errno));
                        continue;
                }
                serve(w, fd);
                close(fd);
        }
        return NULL;
}

static int listen_on(const char *path, char *err, size_t errsz)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_(freep) char *dir = strdup(path);
        _cleanup_(closep) int fd = -1;
        struct stat st;
        int probe = -1, r;

        if (!dir)
                return -ENOMEM;
        if (strlen(path) >= sizeof(sa.sun_path)) {
                snprintf(err, errsz, "%s: socket path too long", path);
                return -ENAMETOOLONG;
        }
        memcpy(sa.sun_path, path, strlen(path) + 1);
        if (mkdir(dirname(dir), 0755) < 0 && errno != EEXIST) {
                r = -errno;
                snprintf(err, errsz, "%s: cannot create its directory: %s", path, strerror(errno));
                return r;
        }
        if (lstat(path, &st) == 0) {
                if (!S_ISSOCK(st.st_mode)) {
                        snprintf(err, errsz, "%s: exists and is not a socket", path);
                        return -EEXIST;
                }
                /* a live kagid answers; a stale socket from a crash does not */
                if (io_connect_unix(path, now_ms() + 500, &probe) == 0) {
                        close(probe);
                        snprintf(err, errsz, "%s: another kagid is listening there", path);
                        return -EADDRINUSE;
                }
                unlink(path);
        }
        /* non-blocking: the workers that lose the race for a connection go
         * back to poll() instead of blocking in accept() */
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 128) < 0) {
                r = -errno;
                snprintf(err, errsz, "%s: %s", path, strerror(errno));
                return r;
        }
        /* anyone may connect; SO_PEERCRED decides what they may ask */
        if (chmod(path, 0666) < 0) {
                r = -errno;
                snprintf(err, errsz, "%s: chmod: %s", path, strerror(errno));
                return r;
        }
        r = fd;
        fd = -1;
        return r;
}

int server_run(struct broker *b, volatile int *stop)
{
        struct worker *workers;
        size_t n = b->cfg->workers, started = 0;
        pthread_t watcher;
        bool watching = false;
        char err[512];
        int lfd = -1, r = 0;

        workers = calloc(n, sizeof(*workers));
        if (!workers)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                workers[i] = (struct worker){ .b = b, .stop = stop, .lfd = -1 };
                r = store_open(b->cfg->database, b->uid, &workers[i].store, err, sizeof(err));
                if (r >= 0)
                        r = directory_open(b->cfg, &workers[i].dir, err, sizeof(err));
                if (r < 0) {
                        log_err("%s", err);
                        goto out;
                }
        }
        lfd = listen_on(b->cfg->socket, err, sizeof(err));
        if (lfd < 0) {
                log_err("%s", err);
                r = lfd;
                goto out;
        }
        r = attempts_watch_start(b, stop, &watcher);
        if (r < 0) {
                log_err("cannot watch logins in progress: %s", strerror(-r));
                goto out;
        }
        watching = true;
        for (; started < n; started++) {
                workers[started].lfd = lfd;
                r = -pthread_create(&workers[started].thread, NULL, worker_main, &workers[started]);
                if (r < 0) {
                        log_err("cannot start worker: %s", strerror(-r));
                        *stop = 1;
                        break;
                }
        }
        if (r >= 0)
                log_info("listening on %s with %zu workers (directory %s, database %s)", b->cfg->socket, n,
                         b->cfg->backend == KAGI_DIR_LDAP ? "ldap" : "nss", b->cfg->database);
        /* the workers finish the requests they hold, then see the stop */
        for (size_t i = 0; i < started; i++)
                pthread_join(workers[i].thread, NULL);
        if (watching)
                pthread_join(watcher, NULL);
        log_info("stopping");
out:
        if (lfd >= 0) {
                close(lfd);
                unlink(b->cfg->socket);
        }
        for (size_t i = 0; i < n; i++) {
                store_close(workers[i].store);
                directory_close(workers[i].dir);
        }
        free(workers);
        return r < 0 ? r : 0;
}
