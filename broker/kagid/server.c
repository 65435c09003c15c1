/* The socket and its event loop. One thread reads every connection's
 * request without ever blocking on a peer: waiting for a frame costs a few
 * bytes of memory, never a thread. Every peer-controllable resource has a
 * limit (limits.c): connections in all and per uid, with a share kept for
 * root; the time to deliver the whole request ([broker] request_timeout);
 * the bytes buffered (one frame, at most 64 KiB). A request read whole goes
 * to a worker pool (pool.c):
 *
 *   login   root's login decisions that may ask the directory
 *   quick   root's login decisions that need no directory call (sessions,
 *           accounts fresh in the lookup cache)
 *   admin   everything else: kagictl, and any peer that is not root
 *
 * so a stalled directory holds up only the logins that must wait for it,
 * and no unprivileged peer can hold up a login. The quick pool has as many
 * workers as the login pool: it answers most of the requests that commit
 * (a login's VERIFY finds its account cached by PREAUTH), and transactions
 * can share a commit only if as many run at once (store/commit.c). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "limits.h"
#include "login.h"
#include "pool.h"
#include "watch.h"

#define ADMIN_WORKERS 2
#define LOG_EVERY_MS 10000            /* a limit that bites is logged at most this often */
#define ACCEPT_BATCH 1024             /* then what else is ready is read, then more */
#define SMALL_FRAME 1024              /* a login's request: read in one recv, no allocation */

/* A connection whose request is still arriving. The list is in order of
 * deadline: every connection gets the same time, so arrival order is it. */
struct conn {
        struct conn *prev, *next;
        int fd;
        bool polled;                          /* registered with epoll */
        struct ucred cred;
        int64_t accepted, deadline;
        size_t have;                          /* bytes read, header included */
        size_t total;                         /* the frame's length, once the header is in */
        uint8_t *buf;                         /* small, or total bytes allocated for a larger frame */
        uint8_t small[SMALL_FRAME];
};

struct server {
        struct broker *b;
        struct limits limits;
        struct pool *login, *quick, *admin;
        struct directory *probe;              /* the I/O thread's: cache lookups only */
        int epfd, lfd;
        struct conn *first, *last;
        int64_t logged[4];                    /* when each limit was last logged */
        uint64_t refused[4];                  /* refusals since */
};

void server_release(struct server *srv, const struct ucred *cred)
{
        limits_release(&srv->limits, cred->uid);
}

static void conn_unlink(struct server *srv, struct conn *c)
{
        if (c->prev)
                c->prev->next = c->next;
        else
                srv->first = c->next;
        if (c->next)
                c->next->prev = c->prev;
        else
                srv->last = c->prev;
        c->prev = c->next = NULL;
}

/* The connection's request, as far as it came, is wiped (it can hold a
 * secret), and so is the connection. */
static void conn_free(struct conn *c)
{
        if (c->buf != c->small)
                secret_free(c->buf, c->total);
        secret_wipe(c->small, c->have < sizeof(c->small) ? c->have : sizeof(c->small));
        free(c);
}

/* Done with a connection that never became a job. */
static void conn_drop(struct server *srv, struct conn *c)
{
        conn_unlink(srv, c);
        if (c->polled)
                epoll_ctl(srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        limits_release(&srv->limits, c->cred.uid);
        conn_free(c);
}

static void log_limit(struct server *srv, enum limit_verdict v, const struct ucred *cred)
{
        int64_t now = now_ms();

        srv->refused[v]++;
        if (now - srv->logged[v] < LOG_EVERY_MS && srv->logged[v] != 0)
                return;
        log_warn("refused a connection from uid %u pid %d: %s reached (%llu refused since the last such line)",
                 (unsigned)cred->uid, (int)cred->pid, limit_verdict_name(v), (unsigned long long)srv->refused[v]);
        srv->logged[v] = now;
        srv->refused[v] = 0;
}

static bool is_login_request(uint8_t type)
{
        return type >= KAGI_REQ_PREAUTH && type < KAGI_REQ_STATUS;
}

/* Which pool answers it. */
static struct pool *pool_for(struct server *srv, const struct job *j)
{
        const struct kagi_msg *m = j->msg;
        const char *user = msg_str(m, KAGI_T_USER);

        if (j->cred.uid != 0 || !is_login_request(m->type))
                return srv->admin;
        /* a session of a role's target is decided like an account phase */
        if (m->type == KAGI_REQ_SESSION_CLOSE ||
            (m->type == KAGI_REQ_SESSION_OPEN && !(user && config_is_target(srv->b->cfg, user))))
                return srv->quick;
        if (msg_has(m, KAGI_T_PASSWORD))
                return srv->login;            /* a bind, whatever the cache holds */
        return user && directory_cached(srv->probe, user) ? srv->quick : srv->login;
}

static const char *frame_error(int r)
{
        return r == -EBADMSG ? "frame breaks the protocol schema"
               : r == -EPROTO ? "wrong protocol version"
               : r == -E2BIG  ? "frame too large"
                              : "malformed frame";
}

/* The whole frame is in: hand it to a pool. */
static void request_ready(struct server *srv, struct conn *c)
{
        struct job *j = calloc(1, sizeof(*j));
        int r = -ENOMEM;

        if (j && (j->msg = msg_new()))
                r = frame_decode(c->buf, c->total, j->msg);
        if (r < 0) {
                log_warn("dropped connection from uid %u pid %d: %s", (unsigned)c->cred.uid, (int)c->cred.pid,
                         r == -ENOMEM ? "out of memory" : frame_error(r));
                if (j)
                        msg_free(j->msg);
                free(j);
                conn_drop(srv, c);
                return;
        }
        /* the job takes the connection (and its place in the limits) */
        conn_unlink(srv, c);
        if (c->polled)
                epoll_ctl(srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
        j->fd = c->fd;
        j->cred = c->cred;
        j->received = now_ms();
        conn_free(c);
        pool_push(pool_for(srv, j), j);
}

/* The frame's length is in (the first 4 bytes): a frame larger than the
 * inline buffer gets one of its own. 0, or the connection was dropped. */
static int frame_sized(struct server *srv, struct conn *c)
{
        int r = frame_total_length(c->small, &c->total);

        if (r >= 0 && c->total > sizeof(c->small)) {
                c->buf = malloc(c->total);
                if (!c->buf)
                        r = -ENOMEM;
                else
                        memcpy(c->buf, c->small, c->have);
        }
        if (r < 0) {
                log_warn("dropped connection from uid %u pid %d: %s", (unsigned)c->cred.uid, (int)c->cred.pid,
                         frame_error(r));
                c->buf = c->small;
                c->total = 0;
                conn_drop(srv, c);
        }
        return r;
}

/* Reads what has arrived. A login's request usually arrives in one piece
 * and fits the inline buffer: one recv. Bytes a client sends after its
 * frame are never looked at. true while the connection waits for more. */
static bool readable(struct server *srv, struct conn *c)
{
        for (;;) {
                /* before the length is known, as much as the inline buffer holds */
                size_t want = c->total ? c->total - c->have : sizeof(c->small) - c->have;
                ssize_t n = recv(c->fd, c->buf + c->have, want, MSG_DONTWAIT);

                if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                        /* gone before its request was in: nothing to answer */
                        conn_drop(srv, c);
                        return false;
                }
                if (n < 0) {
                        if (errno == EAGAIN)
                                return true;
                        continue;
                }
                c->have += (size_t)n;
                if (!c->total && c->have >= 4 && frame_sized(srv, c) < 0)
                        return false;
                if (c->total && c->have >= c->total) {
                        request_ready(srv, c);
                        return false;
                }
        }
}

/* Each connection is read at once: the module sends its request as soon
 * as it is connected, so it is usually there, and then the connection
 * never goes through epoll (nor waits behind whatever else is queued to be
 * accepted: a peer that floods the listen queue holds up every connection
 * behind it there). At most ACCEPT_BATCH per wake-up, so that a flood
 * does not keep the loop from reading requests that arrive in pieces, or
 * from closing connections out of time. */
static void accept_some(struct server *srv)
{
        for (int k = 0; k < ACCEPT_BATCH; k++) {
                struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
                socklen_t len = sizeof(struct ucred);
                enum limit_verdict v;
                struct conn *c;
                struct ucred cred;
                int fd = accept4(srv->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

                if (fd < 0) {
                        if (errno == EMFILE || errno == ENFILE)
                                log_err("accept: %s", strerror(errno));
                        else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                                log_warn("accept: %s", strerror(errno));
                        return;
                }
                if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
                        log_err("SO_PEERCRED: %s", strerror(errno));
                        close(fd);
                        continue;
                }
                v = limits_admit(&srv->limits, cred.uid);
                if (v != LIMIT_OK) {
                        log_limit(srv, v, &cred);
                        close(fd);
                        continue;
                }
                c = malloc(sizeof(*c));
                if (!c) {
                        limits_release(&srv->limits, cred.uid);
                        close(fd);
                        continue;
                }
                /* not the inline buffer: only what is read into it is used (and wiped) */
                memset(c, 0, offsetof(struct conn, small));
                c->fd = fd;
                c->cred = cred;
                c->prev = srv->last;
                c->buf = c->small;
                c->accepted = now_ms();
                c->deadline = c->accepted + srv->b->cfg->request_timeout_ms;
                if (srv->last)
                        srv->last->next = c;
                else
                        srv->first = c;
                srv->last = c;
                if (!readable(srv, c))
                        continue;
                ev.data.ptr = c;
                if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                        log_err("epoll: %s", strerror(errno));
                        conn_drop(srv, c);
                        continue;
                }
                c->polled = true;
        }
}

static void expire(struct server *srv, int64_t now)
{
        while (srv->first && srv->first->deadline <= now) {
                struct conn *c = srv->first;

                log_warn("dropped connection from uid %u pid %d: no complete request within %ums (%zu of %zu bytes)",
                         (unsigned)c->cred.uid, (int)c->cred.pid, srv->b->cfg->request_timeout_ms, c->have,
                         c->total ? c->total : (size_t)4);
                conn_drop(srv, c);
        }
}

/* The socket's directory must be root's (or ours) and writable by nobody
 * else, so that nobody else can put a socket of their own in its place. */
static int socket_dir(const char *path, uid_t owner, char *err, size_t errsz)
{
        _cleanup_(freep) char *copy = strdup(path);
        _cleanup_(closep) int fd = -1;
        const char *dir;

        if (!copy)
                return -ENOMEM;
        dir = dirname(copy);
        if (mkdir(dir, 0755) == 0)
                chmod(dir, 0755);                /* whatever the umask: others must reach the socket */
        else if (errno != EEXIST) {
                int r = -errno;
                snprintf(err, errsz, "%s: cannot create its directory: %s", path, strerror(errno));
                return r;
        }
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                int r = -errno;
                snprintf(err, errsz, "%s: %s", dir, strerror(errno));
                return r;
        }
        return config_check_file(fd, dir, owner, err, errsz);
}

static int listen_on(const char *path, uid_t owner, char *err, size_t errsz)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_(closep) int fd = -1;
        struct stat st;
        int probe = -1, r;
        mode_t old;

        if (strlen(path) >= sizeof(sa.sun_path)) {
                snprintf(err, errsz, "%s: socket path too long", path);
                return -ENAMETOOLONG;
        }
        memcpy(sa.sun_path, path, strlen(path) + 1);
        r = socket_dir(path, owner, err, errsz);
        if (r < 0)
                return r;
        if (lstat(path, &st) == 0) {
                if (!S_ISSOCK(st.st_mode)) {
                        snprintf(err, errsz, "%s: exists and is not a socket", path);
                        return -EEXIST;
                }
                /* a live kagid answers (or keeps its full listen queue);
                 * a stale socket from a crash refuses */
                r = io_connect_unix(path, now_ms() + 500, &probe);
                if (r == 0 || r == -ETIMEDOUT) {
                        if (r == 0)
                                close(probe);
                        snprintf(err, errsz, "%s: another kagid is listening there", path);
                        return -EADDRINUSE;
                }
                unlink(path);
        }
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        /* anyone may connect (SO_PEERCRED decides what they may ask): the
         * socket is made 0666 by bind itself, never chmod()ed by path
         * afterwards. No other thread runs yet to see this umask. */
        old = umask(0111);
        r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
        umask(old);
        if (r < 0 || listen(fd, 4096) < 0) {
                r = -errno;
                snprintf(err, errsz, "%s: %s", path, strerror(errno));
                return r;
        }
        r = fd;
        fd = -1;
        return r;
}

/* Descriptors for every connection the limits allow, and for the live
 * sessions: each holds a pidfd of its process, or its cgroup's directory,
 * its cgroup.events and a pidfd per process it had (three and more). kagid
 * waits with epoll, never select(), so it takes the whole hard limit: the
 * soft limit a service gets (1024 from systemd) would leave room for a few
 * hundred sessions only. */
static void raise_fd_limit(uint32_t need)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return;
        if (rl.rlim_cur < rl.rlim_max) {
                struct rlimit want = { .rlim_cur = rl.rlim_max, .rlim_max = rl.rlim_max };

                if (setrlimit(RLIMIT_NOFILE, &want) == 0)
                        rl = want;
        }
        if (rl.rlim_cur < need)
                log_warn("only %llu file descriptors (LimitNOFILE): max_connections wants %u, and every live "
                         "session one to three more", (unsigned long long)rl.rlim_cur, need);
}

static void loop(struct server *srv, volatile int *stop)
{
        struct epoll_event evs[64];

        while (!*stop) {
                int64_t now = now_ms();
                int timeout = 500, n;

                if (srv->first)
                        timeout = srv->first->deadline <= now ? 0
                                  : srv->first->deadline - now < 500 ? (int)(srv->first->deadline - now)
                                                                      : 500;
                n = epoll_wait(srv->epfd, evs, ARRAY_SIZE(evs), timeout);
                if (n < 0 && errno != EINTR) {
                        log_err("epoll_wait: %s", strerror(errno));
                        return;
                }
                for (int i = 0; i < n; i++) {
                        if (evs[i].data.ptr == NULL)
                                accept_some(srv);
                        else
                                readable(srv, evs[i].data.ptr);
                }
                expire(srv, now_ms());
        }
}

int server_run(struct broker *b, volatile int *stop)
{
        const struct kagi_config *cfg = b->cfg;
        struct server srv = { .b = b, .epfd = -1, .lfd = -1 };
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
        pthread_t watcher;
        bool watching = false;
        char err[512];
        int r;

        limits_init(&srv.limits, cfg->max_connections, cfg->max_connections_per_uid, cfg->root_connections);
        raise_fd_limit(cfg->max_connections + 64 + 4 * (2 * cfg->workers + ADMIN_WORKERS));
        r = directory_open(cfg, &srv.probe, err, sizeof(err));
        if (r >= 0) {
                srv.lfd = listen_on(cfg->socket, b->uid, err, sizeof(err));
                r = srv.lfd;
        }
        if (r >= 0) {
                srv.epfd = epoll_create1(EPOLL_CLOEXEC);
                r = srv.epfd < 0 || epoll_ctl(srv.epfd, EPOLL_CTL_ADD, srv.lfd, &ev) < 0 ? -errno : 0;
                if (r < 0)
                        snprintf(err, sizeof(err), "epoll: %s", strerror(-r));
        }
        if (r >= 0)
                r = pool_start(&srv.login, "login", cfg->workers, b, &srv, err, sizeof(err));
        if (r >= 0)
                r = pool_start(&srv.quick, "quick", cfg->workers, b, &srv, err, sizeof(err));
        if (r >= 0)
                r = pool_start(&srv.admin, "admin", ADMIN_WORKERS, b, &srv, err, sizeof(err));
        if (r >= 0)
                r = maint_start(b, err, sizeof(err));
        if (r >= 0) {
                r = watch_start(b, stop, &watcher);
                watching = r >= 0;
                if (r < 0)
                        snprintf(err, sizeof(err), "cannot watch logins in progress: %s", strerror(-r));
        }
        if (r < 0) {
                log_err("%s", err);
        } else {
                log_info("listening on %s with %u+%u+%d workers (directory %s, database %s)", cfg->socket,
                         cfg->workers, cfg->workers, ADMIN_WORKERS, cfg->backend == KAGI_DIR_LDAP ? "ldap" : "nss",
                         cfg->database);
                loop(&srv, stop);
                log_info("stopping");
        }
        while (srv.first)
                conn_drop(&srv, srv.first);
        /* the workers finish the requests they hold */
        pool_stop(srv.login);
        pool_stop(srv.quick);
        pool_stop(srv.admin);
        maint_stop(b);
        if (watching)
                pthread_join(watcher, NULL);
        if (srv.lfd >= 0) {
                close(srv.lfd);
                unlink(cfg->socket);
        }
        if (srv.epfd >= 0)
                close(srv.epfd);
        directory_close(srv.probe);
        pthread_mutex_destroy(&srv.limits.lock);
        return r < 0 ? r : 0;
}
