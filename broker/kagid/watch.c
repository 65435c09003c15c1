/* Logins in progress, watched from kagid (pam_kagi(8), "Abandoned prompts").
 *
 * A PAM process that is asking its user for a credential can end without
 * another word to kagid: su and login die of Ctrl-C or of login's timeout,
 * and sshd kills its PAM process (SIGTERM) when the client goes away. The
 * module never regains control, so kagid watches instead: an attempt opens
 * when PREAUTH or BEGIN lets a login go on, keyed by the peer's pid (both
 * come from the one process that runs pam_authenticate), and ends with the
 * request that settles it (VERIFY, AUTHFAIL, CARD_VERIFY, ABANDON). If the
 * process exits first — its pidfd becomes readable — the watcher records the
 * attempt as abandoned and ends the attempt it held in flight (attempts.c),
 * which would otherwise count toward the threshold until it lapses. Nothing
 * abandoned counts toward the lock.
 *
 * Only the watcher closes pidfds and frees slots, so a slot a worker has
 * just ended is never reused while the watcher polls its pidfd. The table
 * lives in memory, as the attempts in flight do: a login abandoned while
 * kagid restarts is not recorded (nothing was counted for it either). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <unistd.h>

#include "login.h"
#include "watch.h"

#define WATCH_MAX 256
#define WATCH_MAX_AGE (15 * 60)       /* seconds: longer than any client waits for an answer */
#define WATCH_TICK_MS 250

enum slot_state {
        SLOT_FREE,
        SLOT_OPEN,
        SLOT_ENDED,                    /* settled by a request: just close */
        SLOT_REPLACED,                 /* the same process began anew: record, close */
};

struct slot {
        enum slot_state state;
        pid_t pid;
        int pidfd;
        bool has_attempt;              /* the attempt it holds in flight */
        uint8_t attempt[ATTEMPT_TOKEN_LEN];
        char key[ATTEMPT_KEY_MAX];
        int64_t opened;
        char user[257], person[257], service[65], terminal[600];
};

struct watch {
        pthread_mutex_t lock;
        bool full_logged;
        struct slot slot[WATCH_MAX];
        struct slot gone[WATCH_MAX];         /* the watcher's: to record */
        const char *why[WATCH_MAX];
};

int watch_new(struct watch **ret)
{
        struct watch *a = calloc(1, sizeof(*a));

        if (!a)
                return -ENOMEM;
        pthread_mutex_init(&a->lock, NULL);
        *ret = a;
        return 0;
}

void watch_free(struct watch *a)
{
        if (!a)
                return;
        for (size_t i = 0; i < WATCH_MAX; i++)
                if (a->slot[i].state != SLOT_FREE)
                        close(a->slot[i].pidfd);
        pthread_mutex_destroy(&a->lock);
        secret_wipe(a, sizeof(*a));          /* the attempts' tokens */
        free(a);
}

static struct slot *find_open(struct watch *a, pid_t pid)
{
        for (size_t i = 0; i < WATCH_MAX; i++)
                if (a->slot[i].state == SLOT_OPEN && a->slot[i].pid == pid)
                        return &a->slot[i];
        return NULL;
}

static struct slot *find_free(struct watch *a)
{
        for (size_t i = 0; i < WATCH_MAX; i++)
                if (a->slot[i].state == SLOT_FREE)
                        return &a->slot[i];
        return NULL;
}

/* The attempt the handler left in flight for this login (login_done). */
static void keep(struct slot *s, const struct request *rq)
{
        if (!rq->kept.set)
                return;
        memcpy(s->attempt, rq->kept.attempt, sizeof(s->attempt));
        snprintf(s->key, sizeof(s->key), "%s", rq->kept.key);
        s->has_attempt = true;
}

static void begin(struct request *rq, bool anew)
{
        struct watch *a = rq->b->watch;
        _cleanup_(login_done) struct login l = { 0 };
        struct slot *s;
        int pidfd;

        if (rq->peer_pid <= 0 || login_load(rq, &l) < 0)
                return;
        pthread_mutex_lock(&a->lock);
        s = find_open(a, rq->peer_pid);
        if (s && !anew) {
                /* BEGIN after PREAUTH: the same login going on */
                pthread_mutex_unlock(&a->lock);
                return;
        }
        if (s)
                s->state = SLOT_REPLACED;
        pthread_mutex_unlock(&a->lock);

        /* the peer waits for this answer, so its pid is still its own */
        pidfd = pidfd_open(rq->peer_pid, 0);
        if (pidfd < 0) {
                log_warn("cannot watch the login of %s (pid %d): %s", l.user, (int)rq->peer_pid, strerror(errno));
                return;
        }
        pthread_mutex_lock(&a->lock);
        s = find_free(a);
        if (s) {
                *s = (struct slot){ .state = SLOT_OPEN, .pid = rq->peer_pid, .pidfd = pidfd, .opened = wall_now() };
                keep(s, rq);
                snprintf(s->user, sizeof(s->user), "%s", rq->kept.set ? rq->kept.user : l.user);
                snprintf(s->person, sizeof(s->person), "%s", rq->kept.set ? rq->kept.person : l.person);
                snprintf(s->service, sizeof(s->service), "%s", l.service ? l.service : "");
                snprintf(s->terminal, sizeof(s->terminal), "%s", l.terminal);
        } else if (!a->full_logged) {
                a->full_logged = true;
                log_warn("%d logins in progress: further abandoned ones are not recorded", WATCH_MAX);
        }
        pthread_mutex_unlock(&a->lock);
        if (!s)
                close(pidfd);
}

void watch_note(struct request *rq, enum watch_step step)
{
        struct watch *a = rq->b->watch;
        bool going_on = rq->decision == KAGI_ALLOW || rq->decision == KAGI_CONTINUE;
        struct slot *s;

        if (!a)
                return;
        switch (step) {
        case WATCH_START:
        case WATCH_GO_ON:
                if (going_on)
                        begin(rq, step == WATCH_START);
                return;
        case WATCH_RESERVED:
        case WATCH_END:
                pthread_mutex_lock(&a->lock);
                s = find_open(a, rq->peer_pid);
                if (s && step == WATCH_END)
                        s->state = SLOT_ENDED;
                else if (s && going_on)
                        keep(s, rq);
                pthread_mutex_unlock(&a->lock);
                return;
        }
}

/* ---- the watcher ------------------------------------------------------------- */

static void record(struct request *rq, const struct slot *s, const char *why)
{
        struct login l = { .rq = rq, .user = s->user, .person = s->person, .service = s->service, .bucket = -1,
                           .has_attempt = s->has_attempt };
        char reason[160];
        int r;

        snprintf(l.terminal, sizeof(l.terminal), "%s", s->terminal);
        snprintf(l.key, sizeof(l.key), "%s", s->key);
        memcpy(l.attempt, s->attempt, sizeof(l.attempt));
        snprintf(reason, sizeof(reason), "%s (not counted)", why);
        r = attempt_release(rq, &l, "-", "abandoned", reason);
        secret_wipe(l.attempt, sizeof(l.attempt));
        if (r < 0)
                log_err("abandoned login of %s (pid %d) could not be recorded: %s", s->user, (int)s->pid,
                        strerror(-r));
}

/* Moves slot i to the list to record (or just frees it); under the lock. */
static size_t retire(struct watch *a, size_t i, const char *why, size_t n)
{
        struct slot *s = &a->slot[i];

        close(s->pidfd);
        if (why) {
                a->gone[n] = *s;
                a->why[n++] = why;
        }
        s->state = SLOT_FREE;
        return n;
}

/* Collects what is settled, replaced or too old; fills the poll set. */
static size_t sweep(struct watch *a, struct pollfd *pfd, size_t *map, size_t *ret_n)
{
        int64_t now = wall_now();
        size_t n = 0, gone = 0;

        for (size_t i = 0; i < WATCH_MAX; i++) {
                struct slot *s = &a->slot[i];

                if (s->state == SLOT_ENDED)
                        gone = retire(a, i, NULL, gone);
                else if (s->state == SLOT_REPLACED)
                        gone = retire(a, i, "the same process began a new login without answering", gone);
                else if (s->state == SLOT_OPEN && now - s->opened > WATCH_MAX_AGE)
                        gone = retire(a, i, "no answer within 15 minutes", gone);
                else if (s->state == SLOT_OPEN) {
                        pfd[n] = (struct pollfd){ .fd = s->pidfd, .events = POLLIN };
                        map[n++] = i;
                }
        }
        *ret_n = n;
        return gone;
}

static void record_gone(struct watch *a, struct request *rq, size_t n)
{
        for (size_t i = 0; i < n; i++)
                record(rq, &a->gone[i], a->why[i]);
}

static void watch(struct broker *b, struct store *store, volatile int *stop)
{
        struct watch *a = b->watch;
        /* no client waits for these records: a request that never gives up */
        struct request rq = { .b = b, .store = store, .fd = -1, .deadline = INT64_MAX, .decision = KAGI_ERROR };
        struct pollfd pfd[WATCH_MAX];
        size_t map[WATCH_MAX], n, gone;

        while (!*stop) {
                pthread_mutex_lock(&a->lock);
                gone = sweep(a, pfd, map, &n);
                pthread_mutex_unlock(&a->lock);
                record_gone(a, &rq, gone);

                if (poll(pfd, n, WATCH_TICK_MS) <= 0)
                        continue;
                gone = 0;
                pthread_mutex_lock(&a->lock);
                for (size_t k = 0; k < n; k++) {
                        struct slot *s = &a->slot[map[k]];

                        /* a worker may have settled it meanwhile: then it is ENDED */
                        if (pfd[k].revents && s->state == SLOT_OPEN)
                                gone = retire(a, map[k], "the login process ended before an answer "
                                                          "(interrupted, disconnected or timed out)", gone);
                }
                pthread_mutex_unlock(&a->lock);
                record_gone(a, &rq, gone);
        }
}

struct watcher {
        struct broker *b;
        struct store *store;
        volatile int *stop;
};

static void *watcher_main(void *arg)
{
        struct watcher *w = arg;

        watch(w->b, w->store, w->stop);
        store_close(w->store);
        free(w);
        return NULL;
}

int watch_start(struct broker *b, volatile int *stop, pthread_t *ret)
{
        struct watcher *w = calloc(1, sizeof(*w));
        char err[512];
        int r;

        if (!w)
                return -ENOMEM;
        *w = (struct watcher){ .b = b, .stop = stop };
        r = store_open(b->cfg->database, b->uid, &w->store, err, sizeof(err));
        if (r < 0) {
                log_err("%s", err);
                free(w);
                return r;
        }
        r = -pthread_create(ret, NULL, watcher_main, w);
        if (r < 0) {
                store_close(w->store);
                free(w);
        }
        return r;
}
