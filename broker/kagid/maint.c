/* kagid's own timers, in a thread of their own with its own store
 * connection: live sessions are watched and ended (live.c), grants that
 * reach their end are expired and recorded (PRIV-4), the notify commands it
 * started are reaped; a second thread watches the card readers whose card
 * ends a session (cardwatch.c). Deadlines live in the store, so a
 * restarted kagid picks up where the last one stopped. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "live.h"
#include "login.h"

#define TICK_MS 1000
#define CHILDREN_MAX 64

struct maint {
        struct broker *b;
        pthread_t thread;
        pthread_mutex_t lock;
        bool stop, started;
        struct store *store;
        struct directory *dir;
        struct live *live;
        struct cardwatch *cards;
        pid_t children[CHILDREN_MAX];
};

/* A request of kagid's own, for the transactions that record what it did. */
static void own_request(struct maint *m, struct request *rq)
{
        *rq = (struct request){ .b = m->b, .store = m->store, .dir = m->dir, .fd = -1, .peer_root = true,
                                .deadline = now_ms() + 60000 };
}

static int expire_one(void *userdata, const struct grant_row *due)
{
        struct request *rq = userdata;
        struct grant_row g = *due;
        struct login l;
        char why[400];
        struct txn t;
        int r;

        l = (struct login){ .rq = rq, .bucket = -1, .user = g.person, .person = g.person, .service = "kagid" };
        snprintf(l.terminal, sizeof(l.terminal), "%s:kagid", rq->b->host);
        snprintf(g.state, sizeof(g.state), "expired");
        g.closed = g.ends;
        snprintf(g.closed_by, sizeof(g.closed_by), "kagid");
        snprintf(g.closed_reason, sizeof(g.closed_reason), "its time was up");
        snprintf(why, sizeof(why), "grant %lld of %s (role %s) ended at its deadline", (long long)g.id, g.person,
                 g.role);
        r = txn_begin(&t, rq);
        if (r >= 0)
                r = store_grant_put(rq->store, &g);
        if (r >= 0)
                r = txn_audit(&t, &l, "grant-expire", "-", "expired", why, NULL);
        r = txn_finish(&t, r);
        if (r < 0)
                log_err("could not record the end of grant %lld: %s", (long long)g.id, strerror(-r));
        return 0;
}

static void reap(struct maint *m)
{
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < CHILDREN_MAX; i++) {
                int status;

                if (m->children[i] > 0 && waitpid(m->children[i], &status, WNOHANG) == m->children[i]) {
                        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                                log_warn("notify command pid %d ended with %d", (int)m->children[i],
                                         WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
                        m->children[i] = 0;
                }
        }
        pthread_mutex_unlock(&m->lock);
}

static bool stopping(struct maint *m)
{
        bool stop;

        pthread_mutex_lock(&m->lock);
        stop = m->stop;
        pthread_mutex_unlock(&m->lock);
        return stop;
}

static void *maint_main(void *arg)
{
        struct maint *m = arg;
        int64_t next_tick = 0;
        struct request rq;

        while (!stopping(m)) {
                if (now_ms() >= next_tick) {
                        own_request(m, &rq);
                        if (store_grants_due(m->store, wall_now(), expire_one, &rq) < 0)
                                log_err("cannot read the grants that are due");
                        reap(m);
                        next_tick = now_ms() + TICK_MS;
                }
                /* sessions: their events and their times, until the next tick */
                if (live_run(m->live, (int)(next_tick - now_ms())) < 0)
                        usleep(100 * 1000);
        }
        return NULL;
}

int maint_start(struct broker *b, char *err, size_t errsz)
{
        struct maint *m = calloc(1, sizeof(*m));
        int r;

        if (!m)
                return -ENOMEM;
        m->b = b;
        pthread_mutex_init(&m->lock, NULL);
        b->maint = m;
        r = store_open(b->cfg->database, b->uid, &m->store, err, errsz);
        if (r >= 0)
                r = directory_open(b->cfg, &m->dir, err, errsz);
        if (r >= 0) {
                r = live_new(b, m->store, m->dir, &m->live);
                if (r < 0)
                        snprintf(err, errsz, "cannot take up the live sessions: %s", strerror(-r));
        }
        if (r >= 0)
                r = cardwatch_start(b, m->live, &m->cards);
        if (r >= 0) {
                r = -pthread_create(&m->thread, NULL, maint_main, m);
                if (r < 0)
                        snprintf(err, errsz, "cannot start kagid's timers: %s", strerror(-r));
        }
        m->started = r >= 0;
        return r;
}

void maint_stop(struct broker *b)
{
        struct maint *m = b->maint;

        if (!m)
                return;
        pthread_mutex_lock(&m->lock);
        m->stop = true;
        pthread_mutex_unlock(&m->lock);
        if (m->live)
                live_push(m->live, "");
        if (m->started)
                pthread_join(m->thread, NULL);
        cardwatch_stop(m->cards);
        reap(m);
        live_free(m->live);
        store_close(m->store);
        directory_close(m->dir);
        pthread_mutex_destroy(&m->lock);
        free(m);
        b->maint = NULL;
}

void live_session_changed(struct broker *b, const char *id)
{
        if (b->maint && b->maint->live)
                live_push(b->maint->live, id);
}

void maint_reap_later(struct broker *b, pid_t pid)
{
        struct maint *m = b->maint;

        if (!m)
                return;
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < CHILDREN_MAX; i++)
                if (m->children[i] <= 0) {
                        m->children[i] = pid;
                        pid = 0;
                        break;
                }
        pthread_mutex_unlock(&m->lock);
        /* more at once than it keeps: the next one it reaps makes room */
        if (pid > 0)
                log_warn("notify command pid %d is not reaped until kagid stops", (int)pid);
}
