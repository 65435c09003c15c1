/* Live sessions, the enforcing side (PRIV-4, PRIV-5): on kagid's timer
 * thread (maint.c), which owns the one struct enforce it uses here.
 *
 * Every session with a cgroup of its own is watched: when its processes
 * are all gone it is closed and recorded as such (a crash, a killed
 * process, a registration no session followed). A session under a grant is
 * warned on its terminal at the role's warning times and, at its deadline,
 * on revocation, on `kagictl session end` or when its card leaves the
 * reader, ended: a message, SIGHUP, SIGTERM, then cgroup.kill after a
 * grace — every process of it, also those that called setsid or ignore
 * SIGHUP, and those a root shell moved out that kagid had seen. Deadlines
 * and cgroups are in the store: a restarted kagid picks every live session
 * up again, ends what is overdue and closes what is gone. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "claims.h"
#include "enforce.h"
#include "live.h"
#include "login.h"

#define GRACE_MS 3000                         /* from SIGTERM to cgroup.kill */
/* A registration whose process is gone may still be opened by another:
 * sshd checks the account in its PAM process and opens the session in the
 * one that forks the shell. */
#define REGISTERED_GRACE_MS 15000
#define INTAKE_MAX 4096
#define WATCH_RETRY_MS 5000                   /* a session kagid could not hold: again after */

/* A session kagid watches: by its cgroup (privileged ones, and every one
 * with [broker] session_cgroups = all), or by a pidfd of the process that
 * opened it (the others: sshd's, su's, login's session process, whose end
 * is the session's). */
struct tracked {
        struct session_row row;
        struct enforce_session *s;            /* its cgroup, or NULL */
        int pidfd;                            /* without a cgroup: its process, or -1 */
        bool ending;                          /* the end sequence has started */
        bool end_queued;                      /* recorded, signalled at the next flush */
        int64_t kill_at;                      /* pidfd sessions: SIGKILL after the grace */
        int64_t wake_ms;                      /* when to look again (CLOCK_MONOTONIC) */
        int64_t empty_since;                  /* a registration with no process left, since */
};

struct live {
        struct broker *b;
        struct store *store;
        struct directory *dir;
        struct enforce *e;
        int epfd, wakefd;
        pthread_mutex_t lock;                 /* the intake, written by other threads */
        char (*intake)[65];
        size_t n_intake;
        char readers_removed[8][129];         /* cards that left these readers */
        size_t n_removed;
        struct tracked **t;
        size_t n, cap;
        size_t n_not_watched;                 /* failures to hold a session, for the log */
        struct request rq;                    /* kagid's own, for the bulk */
        struct bulk bulk;                     /* what is recorded, not yet committed */
        struct tracked **to_end;              /* recorded ending: signalled once committed */
        size_t n_to_end, cap_to_end;
        pthread_mutex_t readers_lock;         /* the readers the card watcher watches */
        char readers[16][129];
        size_t n_readers;
};

static void enforce_log_cb(void *userdata, int priority, const char *message)
{
        (void)userdata;
        log_msg(priority, "enforce: %s", message);
}

int live_enforce_new(struct broker *b, struct enforce **ret)
{
        const struct enforce_config cfg = { .log = enforce_log_cb, .cgroup_root = b->cfg->cgroup_root };

        return enforce_new(&cfg, ret);
}

/* ---- recording --------------------------------------------------------------------- */

static void own_request(struct live *lv, struct request *rq)
{
        *rq = (struct request){ .b = lv->b, .store = lv->store, .dir = lv->dir, .fd = -1, .peer_root = true,
                                .deadline = now_ms() + 60000 };
}

static void session_login(struct request *rq, const struct session_row *row, struct login *l)
{
        *l = (struct login){ .rq = rq, .bucket = -1, .user = row->account, .person = row->person,
                             .service = row->service };
        snprintf(l->terminal, sizeof(l->terminal), "%s", row->terminal);
}

static void flush(struct live *lv);

/* The row as it is now, with an audit record: in the bulk, committed with
 * the other changes of this round (flush) — 1,000 sessions ending in the
 * same second are a few commits, not 2,000. */
static void record(struct live *lv, struct tracked *x, const char *event, const char *result, const char *reason)
{
        struct login l;
        size_t lost;
        int r;

        if (!lv->bulk.open)
                own_request(lv, &lv->rq);
        session_login(&lv->rq, &x->row, &l);
        r = bulk_begin(&lv->bulk, &lv->rq);
        if (r >= 0)
                r = store_session_watched(lv->store, &x->row);
        if (r >= 0 && event)
                r = bulk_audit(&lv->bulk, &lv->rq, &l, event, "-", result, reason, x->row.id);
        if (r < 0) {
                lost = lv->bulk.changes;
                bulk_abort(&lv->bulk, &lv->rq);
                log_err("session %s: cannot record it (%s): %s%s", x->row.id, event ? event : "update",
                        strerror(-r), lost ? "; nor the changes recorded with it" : "");
                return;
        }
        if (bulk_done_one(&lv->bulk))
                flush(lv);
}

/* ---- tracking ---------------------------------------------------------------------- */

static struct tracked *find(struct live *lv, const char *id)
{
        for (size_t i = 0; i < lv->n; i++)
                if (strcmp(lv->t[i]->row.id, id) == 0)
                        return lv->t[i];
        return NULL;
}

static void untrack(struct live *lv, struct tracked *x)
{
        for (size_t i = 0; i < lv->n; i++)
                if (lv->t[i] == x) {
                        lv->t[i] = lv->t[--lv->n];
                        break;
                }
        for (size_t i = 0; i < lv->n_to_end; i++)
                if (lv->to_end[i] == x) {
                        memmove(lv->to_end + i, lv->to_end + i + 1, (lv->n_to_end - i - 1) * sizeof(*lv->to_end));
                        lv->n_to_end--;
                        break;
                }
        if (x->s) {
                epoll_ctl(lv->epfd, EPOLL_CTL_DEL, enforce_session_events_fd(x->s), NULL);
                enforce_session_free(x->s);
        }
        if (x->pidfd >= 0) {
                epoll_ctl(lv->epfd, EPOLL_CTL_DEL, x->pidfd, NULL);
                close(x->pidfd);
        }
        free(x);
}

int proc_start_time(pid_t pid, int64_t *ret)
{
        char path[64], buf[1024], *p;
        long long start = 0;
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : -errno;       /* EMFILE: not known, not gone */
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return -ESRCH;
        buf[n] = '\0';
        /* after the command's ")": state is field 3, starttime field 22 */
        p = strrchr(buf, ')');
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %lld",
                         &start) != 1)
                return -EIO;
        *ret = start;
        return 0;
}

/* A pidfd on the session's process, if it is still that process; -ESRCH
 * when it is not. */
static int session_pidfd(const struct session_row *row)
{
        int64_t start;
        int fd, r;

        if (row->pid <= 0)
                return -ESRCH;
        fd = (int)syscall(SYS_pidfd_open, (pid_t)row->pid, 0);
        if (fd < 0)
                return -errno;
        /* opened first, then checked: the pidfd holds the process the
         * check saw, whatever becomes of its number */
        r = proc_start_time((pid_t)row->pid, &start);
        if (r < 0 || (row->pid_start && start != row->pid_start)) {
                close(fd);
                return r < 0 ? r : -ESRCH;
        }
        return fd;
}

static bool watched(const struct tracked *x)
{
        return x->s || x->pidfd >= 0;
}

/* Out of descriptors or memory: the session is there, kagid cannot hold it
 * yet. Anything else (no cgroup, no process, no mechanism) means it is gone. */
static bool transient(int r)
{
        return r == -EMFILE || r == -ENFILE || r == -ENOMEM || r == -ENOBUFS || r == -EAGAIN || r == -EINTR;
}

/* Holds the session: its cgroup, or a pidfd of its process, in the epoll set. */
static int watch(struct live *lv, struct tracked *x)
{
        int r;

        if (x->row.cgroup[0]) {
                r = lv->e ? enforce_session_open(lv->e, x->row.id, &x->s) : -ENOENT;
                if (r < 0)
                        x->s = NULL;
        } else {
                r = session_pidfd(&x->row);
                if (r >= 0) {
                        x->pidfd = r;
                        r = 0;
                }
        }
        if (r < 0)
                return r;
        if (epoll_ctl(lv->epfd, EPOLL_CTL_ADD, x->s ? enforce_session_events_fd(x->s) : x->pidfd,
                      &(struct epoll_event){ .events = x->s ? EPOLLPRI : EPOLLIN, .data.ptr = x }) < 0) {
                r = -errno;
                enforce_session_free(x->s);
                x->s = NULL;
                if (x->pidfd >= 0)
                        close(x->pidfd);
                x->pidfd = -1;
                return r;
        }
        if (x->s)
                enforce_session_scan(x->s);
        return 0;
}

/* A session kagid cannot hold yet: it is kept and tried again, never
 * recorded as gone (its processes may well run, and a privileged one must
 * still end at its deadline). */
static void not_watched(struct live *lv, struct tracked *x, int r)
{
        x->wake_ms = now_ms() + WATCH_RETRY_MS;
        if (lv->n_not_watched++ < 10)
                log_err("session %s of %s: cannot watch it (%s); trying again every %d s", x->row.id,
                        x->row.account, strerror(-r), WATCH_RETRY_MS / 1000);
        else if (lv->n_not_watched == 11)
                log_err("more sessions cannot be watched; raise kagid's file limit (LimitNOFILE)");
}

static bool privileged(const struct tracked *x)
{
        return x->row.grant != 0;
}

/* All its processes are gone: closed, and how. */
static void gone(struct live *lv, struct tracked *x)
{
        bool was_live = strcmp(x->row.state, "ended") != 0;
        char why[200];

        if (x->s)
                enforce_session_remove(x->s);
        x->row.last_gone = wall_now();
        if (was_live) {
                if (!x->row.end_how[0])
                        snprintf(x->row.end_how, sizeof(x->row.end_how), "%s",
                                 strcmp(x->row.state, "registered") == 0 ? "no session followed"
                                                                         : "its processes were gone");
                snprintf(x->row.state, sizeof(x->row.state), "ended");
                x->row.ended = x->row.last_gone;
        }
        snprintf(why, sizeof(why), "%s%s", x->row.end_how,
                 x->s && enforce_session_was_killed(x->s) ? "; processes that outlived the grace were killed" : "");
        /* a logout was recorded when it happened: only when the last
         * process went is new */
        record(lv, x, was_live || x->ending ? "session-end" : NULL, "ended", why);
        /* it holds nothing any more: a shared ID, a card, a terminal are free */
        claims_release(lv->b->claims, x->row.id);
        untrack(lv, x);
}

/* Its processes are gone. A registration waits a little for the process
 * that opens it; anything else is closed. */
static void processes_gone(struct live *lv, struct tracked *x)
{
        if (strcmp(x->row.state, "registered") != 0 || x->ending) {
                gone(lv, x);
                return;
        }
        if (!x->empty_since) {
                x->empty_since = now_ms();
                /* a pidfd that ended stays readable: out of the epoll set */
                if (x->pidfd >= 0)
                        epoll_ctl(lv->epfd, EPOLL_CTL_DEL, x->pidfd, NULL);
        }
        if (now_ms() - x->empty_since >= REGISTERED_GRACE_MS)
                gone(lv, x);
        else
                x->wake_ms = x->empty_since + REGISTERED_GRACE_MS;
}

/* Why it ended, as the person at the terminal reads it: the record keeps
 * kagid's English; a Japanese terminal gets Japanese for the usual ends. */
static const char *end_words(const struct kagi_config *cfg, const char *how)
{
        static const struct {
                const char *prefix, *ja;
        } ja[] = {
                { "expired", "許可された時間が終了しました" },
                { "grant revoked", "特権の許可が取り消されました" },
                { "its card left the reader", "ICカードがリーダーから抜かれました" },
                { "ended by", "管理者が終了しました" },
        };

        if (cfg->language != KAGI_LANG_JA)
                return how;
        for (size_t i = 0; i < ARRAY_SIZE(ja); i++)
                if (strncmp(how, ja[i].prefix, strlen(ja[i].prefix)) == 0)
                        return ja[i].ja;
        return how;
}

static void end_message(struct live *lv, const struct tracked *x, char *buf, size_t size)
{
        message_format_name(lv->b->cfg, MSG_SESSION_ENDED, 0, end_words(lv->b->cfg, x->row.end_how), buf, size);
}

/* The end itself, once what says why is committed (flush). */
static void end_now(struct live *lv, struct tracked *x)
{
        char msg[512];

        end_message(lv, x, msg, sizeof(msg));
        if (x->s) {
                enforce_session_end(x->s, msg, GRACE_MS);
        } else {
                /* no cgroup: the session's process, through its pidfd */
                if (x->row.tty[0] && x->row.tty_uid >= 0)
                        enforce_tty_write(x->row.tty, (uid_t)x->row.tty_uid, msg);
                syscall(SYS_pidfd_send_signal, x->pidfd, SIGHUP, NULL, 0);
                syscall(SYS_pidfd_send_signal, x->pidfd, SIGTERM, NULL, 0);
                x->kill_at = now_ms() + GRACE_MS;
        }
        x->end_queued = false;
        x->wake_ms = now_ms();
        log_info("ending session %s of %s (%s): %s", x->row.id, x->row.account, x->row.person, x->row.end_how);
}

static void start_end(struct live *lv, struct tracked *x, const char *how, const char *by)
{
        if (x->ending || !watched(x))
                return;
        if (lv->n_to_end == lv->cap_to_end) {
                size_t cap = lv->cap_to_end ? lv->cap_to_end * 2 : 64;
                struct tracked **p = reallocarray(lv->to_end, cap, sizeof(*p));

                if (!p) {
                        x->wake_ms = now_ms() + 100;        /* again in a moment */
                        return;
                }
                lv->to_end = p;
                lv->cap_to_end = cap;
        }
        x->ending = true;
        x->end_queued = true;                 /* no look at it before the flush that ends it */
        lv->to_end[lv->n_to_end++] = x;
        if (strcmp(x->row.state, "ended") == 0) {
                char why[sizeof(x->row.end_how)];

                /* logged out, but processes of it are left: they end too,
                 * and its record says why they did */
                snprintf(why, sizeof(why), "what was left after the logout: %s", how);
                snprintf(x->row.end_how, sizeof(x->row.end_how), "%s", why);
                snprintf(x->row.end_by, sizeof(x->row.end_by), "%s", by);
                record(lv, x, "session-end", "ending", why);
        } else if (strcmp(x->row.state, "ending") != 0 || !x->row.end_how[0]) {
                snprintf(x->row.end_how, sizeof(x->row.end_how), "%s", how);
                snprintf(x->row.end_by, sizeof(x->row.end_by), "%s", by);
                snprintf(x->row.state, sizeof(x->row.state), "ending");
                record(lv, x, "session-end", "ending", how);
        }
}

/* Commits what was recorded, then ends the sessions whose end it holds:
 * their record is on disk before their processes hear of it. An end does
 * not wait for the store: when the commit fails, it is logged and they end
 * all the same. */
static void flush(struct live *lv)
{
        size_t n;
        int r = bulk_commit(&lv->bulk, &lv->rq, &n);

        if (r < 0)
                log_err("cannot record %zu session change(s): %s", n, strerror(-r));
        /* end_now never untracks, so the list stays as it is meanwhile */
        for (size_t i = 0; i < lv->n_to_end; i++)
                end_now(lv, lv->to_end[i]);
        lv->n_to_end = 0;
}

/* The wall clock in ms, the same clock as time() but not its coarse tick. */
static int64_t wall_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const struct kagi_role *role_of(struct live *lv, const struct tracked *x)
{
        return x->row.role[0] ? config_role(lv->b->cfg, x->row.role) : NULL;
}

/* Warnings, then the deadline. */
static void timers(struct live *lv, struct tracked *x)
{
        const struct kagi_role *role = role_of(lv, x);
        uint32_t leads[KAGI_WARN_MAX];
        size_t n = 0;
        struct enforce_plan plan;
        int64_t wall = wall_ms(), now = wall / 1000;

        if (!x->row.deadline || x->ending)
                return;
        for (size_t i = 0; role && i < role->n_warn; i++)
                leads[n++] = (uint32_t)role->warn[i];
        if (enforce_schedule(x->row.started ? x->row.started : now, x->row.deadline, leads, n,
                             x->row.warned ? x->row.warned : ENFORCE_NEVER, now, &plan) < 0)
                return;
        if (plan.expired) {
                start_end(lv, x, "expired: the grant's time was up", "kagid");
                return;
        }
        if (plan.warn && x->row.tty[0] && x->row.tty_uid >= 0) {
                char msg[512], grant[32];
                int r;

                snprintf(grant, sizeof(grant), "%lld", (long long)x->row.grant);
                message_format_name(lv->b->cfg, MSG_SESSION_WARN, (unsigned)((plan.lead + 59) / 60), grant, msg,
                                    sizeof(msg));
                r = enforce_tty_write(x->row.tty, (uid_t)x->row.tty_uid, msg);
                if (r < 0 && r != -EAGAIN)
                        log_warn("session %s: no warning on %s: %s", x->row.id, x->row.tty, strerror(-r));
                x->row.warned = now;
                record(lv, x, r >= 0 ? "session-warn" : NULL, "warned", msg);
        }
        /* to the millisecond: a deadline is a whole second, and waking
         * at the next whole second after now would be up to 1 s late */
        x->wake_ms = now_ms() + (plan.wake > now ? plan.wake * 1000 - wall : 1000);
}

/* A row that changed, or one read at start (fresh: not tracked yet, no
 * need to look — a linear search for each of 10,000 sessions at a restart
 * was half of kagid's start-up CPU time). */
static void take_up(struct live *lv, const struct session_row *row, bool fresh)
{
        struct tracked *x = fresh ? NULL : find(lv, row->id);
        bool lost;
        int r;

        if (!x) {
                if (strcmp(row->state, "ended") == 0 && !row->cgroup[0])
                        return;       /* logged out, and nothing of it to watch */
                x = calloc(1, sizeof(*x));
                if (!x)
                        return;
                x->row = *row;
                x->pidfd = -1;
                r = watch(lv, x);
                lost = r < 0 && !transient(r);
                /* its processes are gone (a crash, a reboot, kagid down) —
                 * but a registration may yet be opened by another process
                 * (sshd's PAM process ends before its session opens) */
                if (lost && strcmp(row->state, "registered") != 0) {
                        /* a logged-out one is only marked gone (no record) */
                        gone(lv, x);
                        return;
                }
                if (lv->n == lv->cap) {
                        size_t cap = lv->cap ? lv->cap * 2 : 64;
                        struct tracked **t = realloc(lv->t, cap * sizeof(*t));

                        if (!t) {
                                untrack(lv, x);
                                return;
                        }
                        lv->t = t;
                        lv->cap = cap;
                }
                lv->t[lv->n++] = x;
                if (lost) {
                        processes_gone(lv, x);
                        return;
                }
                if (r < 0) {
                        not_watched(lv, x, r);
                        return;
                }
        } else {
                /* opened by another process than registered it (sshd): its
                 * pidfd is that process's now */
                if (!x->s && row->pid != x->row.pid) {
                        if (x->pidfd >= 0) {
                                epoll_ctl(lv->epfd, EPOLL_CTL_DEL, x->pidfd, NULL);
                                close(x->pidfd);
                        }
                        x->pidfd = session_pidfd(row);
                        if (x->pidfd >= 0)
                                epoll_ctl(lv->epfd, EPOLL_CTL_ADD, x->pidfd,
                                          &(struct epoll_event){ .events = EPOLLIN, .data.ptr = x });
                }
                x->row = *row;
                x->empty_since = 0;
                if (x->s)
                        enforce_session_scan(x->s);
        }
        if (x->s && x->row.tty[0] && x->row.tty_uid >= 0)
                enforce_session_set_terminal(x->s, x->row.tty, (uid_t)x->row.tty_uid);
        x->wake_ms = now_ms();
}

/* Has the process of a session without a cgroup ended? */
static bool pidfd_done(int pidfd)
{
        struct pollfd p = { .fd = pidfd, .events = POLLIN };

        return poll(&p, 1, 0) > 0;
}

/* ---- the card watcher's list ---------------------------------------------------------- */

static void watch_readers(struct live *lv)
{
        pthread_mutex_lock(&lv->readers_lock);
        lv->n_readers = 0;
        for (size_t i = 0; i < lv->n && lv->n_readers < ARRAY_SIZE(lv->readers); i++) {
                const struct session_row *r = &lv->t[i]->row;
                bool known = false;

                if (!r->card_ends || !r->reader[0] || strcmp(r->state, "ended") == 0)
                        continue;
                for (size_t k = 0; k < lv->n_readers && !known; k++)
                        known = strcmp(lv->readers[k], r->reader) == 0;
                if (!known)
                        snprintf(lv->readers[lv->n_readers++], sizeof(lv->readers[0]), "%s", r->reader);
        }
        pthread_mutex_unlock(&lv->readers_lock);
}

size_t live_watched_readers(struct live *lv, char (*out)[129], size_t max)
{
        size_t n;

        pthread_mutex_lock(&lv->readers_lock);
        n = lv->n_readers < max ? lv->n_readers : max;
        memcpy(out, lv->readers, n * sizeof(*out));
        pthread_mutex_unlock(&lv->readers_lock);
        return n;
}

/* ---- the thread's loop --------------------------------------------------------------------- */

/* At start: what every live session held is held again. */
static int take_row(void *userdata, const struct session_row *row)
{
        struct live *lv = userdata;
        struct claim c = { .since = row->started, .registered = strcmp(row->state, "registered") == 0 };
        static const struct claim_rules none;

        snprintf(c.id, sizeof(c.id), "%s", row->id);
        snprintf(c.account, sizeof(c.account), "%s", row->account);
        snprintf(c.person, sizeof(c.person), "%s", row->person);
        snprintf(c.terminal, sizeof(c.terminal), "%s", row->terminal);
        snprintf(c.card, sizeof(c.card), "%s", row->card);
        if (strcmp(row->state, "ended") != 0)
                claims_take(lv->b->claims, &c, &none, NULL);
        take_up(lv, row, true);       /* the store's rows are distinct, none tracked yet */
        return 0;
}

int live_new(struct broker *b, struct store *store, struct directory *dir, struct live **ret)
{
        struct live *lv = calloc(1, sizeof(*lv));
        int r;

        if (!lv || !(lv->intake = calloc(INTAKE_MAX, sizeof(*lv->intake)))) {
                free(lv);
                return -ENOMEM;
        }
        *lv = (struct live){ .b = b, .store = store, .dir = dir, .intake = lv->intake, .epfd = -1, .wakefd = -1 };
        pthread_mutex_init(&lv->lock, NULL);
        pthread_mutex_init(&lv->readers_lock, NULL);
        *ret = lv;
        lv->epfd = epoll_create1(EPOLL_CLOEXEC);
        lv->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (lv->epfd < 0 || lv->wakefd < 0 ||
            epoll_ctl(lv->epfd, EPOLL_CTL_ADD, lv->wakefd, &(struct epoll_event){ .events = EPOLLIN }) < 0)
                return -errno;
        r = live_enforce_new(b, &lv->e);
        if (r < 0)
                return r;
        if (enforce_kind(lv->e) == ENFORCE_NONE)
                log_warn("no way to bound sessions on this host (%s): privileged sessions are refused",
                         enforce_why_none(lv->e));
        else
                log_info("sessions are bounded by %s", enforce_kind_name(enforce_kind(lv->e)));
        /* a restart: every session still live, as the store remembers it,
         * and what is left of privileged ones logged out (a daemon left
         * behind still ends at the deadline) */
        r = store_sessions_live(store, take_row, lv);
        if (r >= 0)
                r = store_sessions_left(store, take_row, lv);
        flush(lv);
        watch_readers(lv);
        return r;
}

void live_free(struct live *lv)
{
        if (!lv)
                return;
        if (lv->store)
                flush(lv);
        while (lv->n)
                untrack(lv, lv->t[lv->n - 1]);
        free(lv->t);
        free(lv->to_end);
        free(lv->bulk.lines);
        free(lv->intake);
        enforce_free(lv->e);
        if (lv->epfd >= 0)
                close(lv->epfd);
        if (lv->wakefd >= 0)
                close(lv->wakefd);
        pthread_mutex_destroy(&lv->lock);
        pthread_mutex_destroy(&lv->readers_lock);
        free(lv);
}

static void wake(struct live *lv)
{
        uint64_t one = 1;

        if (write(lv->wakefd, &one, sizeof(one)) < 0 && errno != EAGAIN)
                log_warn("cannot wake kagid's timer thread: %s", strerror(errno));
}

void live_push(struct live *lv, const char *id)
{
        pthread_mutex_lock(&lv->lock);
        if (lv->n_intake < INTAKE_MAX)
                snprintf(lv->intake[lv->n_intake++], sizeof(lv->intake[0]), "%s", id);
        else
                log_warn("session %s: kagid's timer thread is behind; it reads every session again", id);
        pthread_mutex_unlock(&lv->lock);
        wake(lv);
}

void live_card_removed(struct live *lv, const char *reader)
{
        pthread_mutex_lock(&lv->lock);
        if (lv->n_removed < ARRAY_SIZE(lv->readers_removed))
                snprintf(lv->readers_removed[lv->n_removed++], sizeof(lv->readers_removed[0]), "%s", reader);
        pthread_mutex_unlock(&lv->lock);
        wake(lv);
}

static void intake(struct live *lv)
{
        char (*ids)[65] = malloc(INTAKE_MAX * sizeof(*ids));
        char removed[8][129];
        size_t n, n_removed;
        uint64_t count;

        if (read(lv->wakefd, &count, sizeof(count)) < 0 && errno != EAGAIN)
                log_warn("timer thread: %s", strerror(errno));
        if (!ids)
                return;
        pthread_mutex_lock(&lv->lock);
        n = lv->n_intake;
        memcpy(ids, lv->intake, n * sizeof(*ids));
        lv->n_intake = 0;
        n_removed = lv->n_removed;
        memcpy(removed, lv->readers_removed, n_removed * sizeof(removed[0]));
        lv->n_removed = 0;
        pthread_mutex_unlock(&lv->lock);
        for (size_t i = 0; i < n; i++) {
                struct session_row row;

                if (store_session_get(lv->store, ids[i], &row) == 0)
                        take_up(lv, &row, false);
        }
        free(ids);
        /* PRIV-5: the card that opened a session left its reader */
        for (size_t k = 0; k < n_removed; k++)
                for (size_t i = 0; i < lv->n; i++) {
                        struct tracked *x = lv->t[i];

                        if (x->row.card_ends && strcmp(x->row.reader, removed[k]) == 0 &&
                            strcmp(x->row.state, "ended") != 0)
                                start_end(lv, x, "its card left the reader", "kagid");
                }
        flush(lv);
        watch_readers(lv);
}

/* One look at a session: what state it is in decides. */
static void look(struct live *lv, struct tracked *x)
{
        int64_t wake_ms;
        int r;

        if (x->end_queued)
                return;
        if (!watched(x)) {
                r = watch(lv, x);
                if (r < 0 && !transient(r)) {
                        processes_gone(lv, x);
                        return;
                }
                if (r < 0) {
                        not_watched(lv, x, r);
                        return;
                }
                if (x->s && x->row.tty[0] && x->row.tty_uid >= 0)
                        enforce_session_set_terminal(x->s, x->row.tty, (uid_t)x->row.tty_uid);
                log_info("session %s of %s is watched again", x->row.id, x->row.account);
        }
        if (!x->s) {
                if (x->pidfd < 0 || pidfd_done(x->pidfd)) {
                        processes_gone(lv, x);
                        return;
                }
                if (x->ending) {
                        if (now_ms() >= x->kill_at)
                                syscall(SYS_pidfd_send_signal, x->pidfd, SIGKILL, NULL, 0);
                        x->wake_ms = now_ms() + 200;
                        return;
                }
        } else {
                enforce_session_scan(x->s);
                if (x->ending) {
                        r = enforce_session_end_continue(x->s, &wake_ms);
                        if (r == 1)
                                gone(lv, x);
                        else if (r < 0) {
                                /* its cgroup could not be read: the end goes
                                 * on, looked at again in a moment */
                                log_warn("ending session %s of %s: %s; trying again", x->row.id, x->row.account,
                                         strerror(-r));
                                x->wake_ms = now_ms() + 1000;
                        } else
                                x->wake_ms = wake_ms;
                        return;
                }
                if (enforce_session_populated(x->s) == 0) {
                        processes_gone(lv, x);
                        return;
                }
                x->empty_since = 0;
        }
        if (strcmp(x->row.state, "ending") == 0) {
                start_end(lv, x, x->row.end_how, x->row.end_by);
                return;
        }
        /* after a logout, what is left of a privileged session still ends
         * at the deadline; of any other, it is the user's */
        x->wake_ms = INT64_MAX;
        if (privileged(x))
                timers(lv, x);
}

int live_run(struct live *lv, int timeout_ms)
{
        struct epoll_event evs[64];
        int64_t next = now_ms() + timeout_ms;
        int n;

        for (size_t i = 0; i < lv->n; i++)
                if (lv->t[i]->wake_ms < next)
                        next = lv->t[i]->wake_ms;
        n = epoll_wait(lv->epfd, evs, ARRAY_SIZE(evs), next > now_ms() ? (int)(next - now_ms()) : 0);
        if (n < 0 && errno != EINTR)
                return -errno;
        for (int i = 0; i < n; i++) {
                if (evs[i].data.ptr == NULL)
                        intake(lv);
                else
                        ((struct tracked *)evs[i].data.ptr)->wake_ms = 0;
        }
        /* look at what is due; a look may untrack, so walk from the end */
        for (size_t i = lv->n; i-- > 0;)
                if (i < lv->n && lv->t[i]->wake_ms <= now_ms())
                        look(lv, lv->t[i]);
        flush(lv);
        return 0;
}
