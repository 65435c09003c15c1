/* kagid's own timers, in a thread of their own with its own store
 * connection: live sessions are watched and ended (live.c), grants that
 * reach their end are expired and recorded (PRIV-4), requests that waited
 * too long for approval lapse, the notify commands it
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

/* A notify command running, or one that failed and is to be recorded. */
struct notified {
        pid_t pid;                            /* 0: a free slot */
        int64_t grant;
        char person[257];
        char event[16];
        char failed[160];                     /* why, once it failed; "" while it runs */
};

struct maint {
        struct broker *b;
        pthread_t thread;
        pthread_mutex_t lock;
        bool stop, started;
        struct store *store;
        struct directory *dir;
        struct live *live;
        struct cardwatch *cards;
        struct notified children[CHILDREN_MAX];
};

/* A request of kagid's own, for the transactions that record what it did. */
static void own_request(struct maint *m, struct request *rq)
{
        *rq = (struct request){ .b = m->b, .store = m->store, .dir = m->dir, .fd = -1, .peer_root = true,
                                .deadline = now_ms() + 60000 };
}

struct due {
        int64_t *ids;
        size_t n, cap;
};

static int due_one(void *userdata, const struct grant_row *g)
{
        struct due *d = userdata;

        if (d->n == d->cap) {
                size_t cap = d->cap ? d->cap * 2 : 64;
                int64_t *p = reallocarray(d->ids, cap, sizeof(*p));

                if (!p)
                        return -ENOMEM;
                d->ids = p;
                d->cap = cap;
        }
        d->ids[d->n++] = g->id;
        return 0;
}

/* One grant at its end, inside the bulk: read again there, so a revocation
 * committed since the list was read stays what it is. 1: expired. */
static int expire_one(struct request *rq, struct bulk *b, int64_t id, int64_t now)
{
        struct grant_row g;
        struct login l;
        char why[400];
        int r;

        r = store_grant_get(rq->store, id, &g);
        if (r == -ENOENT || (r >= 0 && (strcmp(g.state, "active") != 0 || g.ends > now)))
                return 0;
        if (r < 0)
                return r;
        l = (struct login){ .rq = rq, .bucket = -1, .user = g.person, .person = g.person, .service = "kagid" };
        snprintf(l.terminal, sizeof(l.terminal), "%s:kagid", rq->b->host);
        snprintf(g.state, sizeof(g.state), "expired");
        g.closed = g.ends;
        snprintf(g.closed_by, sizeof(g.closed_by), "kagid");
        snprintf(g.closed_reason, sizeof(g.closed_reason), "its time was up");
        snprintf(why, sizeof(why), "grant %lld of %s (role %s) ended at its deadline", (long long)g.id, g.person,
                 g.role);
        r = store_grant_put(rq->store, &g);
        if (r >= 0)
                r = bulk_audit(b, rq, &l, "grant-expire", "-", "expired", why, NULL);
        return r < 0 ? r : 1;
}

/* A request that waited longer than its role's approval_wait lapses:
 * approving it days later would start a grant nobody is waiting for. 1:
 * lapsed. */
static int lapse_one(struct request *rq, struct bulk *b, int64_t id, int64_t now)
{
        const struct kagi_role *role;
        struct grant_row g;
        struct login l;
        char why[400];
        uint64_t wait;
        int r;

        r = store_grant_get(rq->store, id, &g);
        if (r == -ENOENT || (r >= 0 && strcmp(g.state, "pending") != 0))
                return 0;
        if (r < 0)
                return r;
        role = config_role(rq->b->cfg, g.role);
        wait = role ? role->approval_wait : 24 * 3600;
        if (g.created + (int64_t)wait > now)
                return 0;
        l = (struct login){ .rq = rq, .bucket = -1, .user = g.person, .person = g.person, .service = "kagid" };
        snprintf(l.terminal, sizeof(l.terminal), "%s:kagid", rq->b->host);
        snprintf(g.state, sizeof(g.state), "expired");
        g.closed = now;
        snprintf(g.closed_by, sizeof(g.closed_by), "kagid");
        snprintf(g.closed_reason, sizeof(g.closed_reason), "not approved within %llus (approval_wait)",
                 (unsigned long long)wait);
        snprintf(why, sizeof(why), "request %lld of %s (role %s) lapsed: not approved within %llus", (long long)g.id,
                 g.person, g.role, (unsigned long long)wait);
        r = store_grant_put(rq->store, &g);
        if (r >= 0)
                r = bulk_audit(b, rq, &l, "grant-expire", "-", "expired", why, NULL);
        return r < 0 ? r : 1;
}

typedef int (*close_fn)(struct request *rq, struct bulk *b, int64_t id, int64_t now);

/* Each grant of ids closed by fn and recorded; many (a thousand ending in
 * the same second) in a few commits. */
static void close_each(struct request *rq, const struct due *d, close_fn fn, int64_t now)
{
        struct bulk b = { 0 };
        size_t n;
        int r;

        for (size_t i = 0; i < d->n; i++) {
                r = bulk_begin(&b, rq);
                if (r >= 0)
                        r = fn(rq, &b, d->ids[i], now);
                if (r > 0 && bulk_done_one(&b)) {
                        n = b.changes;
                        r = bulk_commit(&b, rq, NULL);
                        if (r < 0)
                                log_err("could not record the end of %zu grant(s): %s", n, strerror(-r));
                }
                if (r < 0 && b.open) {
                        log_err("could not record the end of grant %lld%s: %s", (long long)d->ids[i],
                                b.changes ? " nor of the ones before it" : "", strerror(-r));
                        bulk_abort(&b, rq);
                }
        }
        n = b.changes;
        r = bulk_commit(&b, rq, NULL);
        if (r < 0)
                log_err("could not record the end of %zu grant(s): %s", n, strerror(-r));
        free(b.lines);
}

/* PRIV-4: the grants whose end has come, expired and recorded; and the
 * requests that waited too long for approval, lapsed. */
static void expire_due(struct request *rq, int64_t now)
{
        struct due d = { 0 };
        int r;

        r = store_grants_due(rq->store, now, due_one, &d);
        if (r < 0)
                log_err("cannot read the grants that are due: %s", strerror(-r));
        close_each(rq, &d, expire_one, now);
        d.n = 0;
        r = store_grants(rq->store, NULL, "pending", NULL, due_one, &d);
        if (r < 0)
                log_err("cannot read the pending requests: %s", strerror(-r));
        close_each(rq, &d, lapse_one, now);
        free(d.ids);
}

/* The approvers' notify commands that ended, reaped; one that failed is
 * an audit record (PRIV-2: a request nobody was told of is to be seen). */
static void reap(struct maint *m)
{
        struct notified failed[CHILDREN_MAX];
        size_t n_failed = 0;

        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < CHILDREN_MAX; i++) {
                struct notified *c = &m->children[i];
                int status;

                if (c->pid > 0 && waitpid(c->pid, &status, WNOHANG) == c->pid) {
                        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                                snprintf(c->failed, sizeof(c->failed), "%s %d",
                                         WIFEXITED(status) ? "it exited with" : "it was killed by signal",
                                         WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
                        else
                                c->pid = 0;
                }
                if (c->pid != 0 && c->failed[0]) {
                        failed[n_failed++] = *c;
                        *c = (struct notified){ 0 };
                }
        }
        pthread_mutex_unlock(&m->lock);
        for (size_t i = 0; i < n_failed; i++) {
                struct notified *c = &failed[i];
                struct request rq;
                struct login l;
                char why[400];

                own_request(m, &rq);
                l = (struct login){ .rq = &rq, .bucket = -1, .user = c->person, .person = c->person,
                                    .service = "kagid" };
                snprintf(l.terminal, sizeof(l.terminal), "%s:kagid", m->b->host);
                snprintf(why, sizeof(why), "the approvers were not told of grant %lld (%s): %s", (long long)c->grant,
                         c->event, c->failed);
                log_warn("%s", why);
                if (audit_only(&rq, &l, "grant-notify", "-", "failed", why) < 0)
                        log_err("could not record that the notify command of grant %lld failed", (long long)c->grant);
        }
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
                        expire_due(&rq, wall_now());
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

/* pid < 0: the command could not be started (-pid is the errno). */
void maint_notified(struct broker *b, pid_t pid, const struct grant_row *g, const char *event)
{
        struct maint *m = b->maint;
        bool kept = false;

        if (!m)
                return;
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < CHILDREN_MAX && !kept; i++) {
                struct notified *c = &m->children[i];

                if (c->pid != 0)
                        continue;
                *c = (struct notified){ .pid = pid, .grant = g->id };
                snprintf(c->person, sizeof(c->person), "%s", g->person);
                snprintf(c->event, sizeof(c->event), "%s", event);
                if (pid < 0)
                        snprintf(c->failed, sizeof(c->failed), "it could not be started: %s", strerror((int)-pid));
                kept = true;
        }
        pthread_mutex_unlock(&m->lock);
        /* more at once than it keeps: the next one it reaps makes room */
        if (!kept && pid > 0)
                log_warn("notify command pid %d is not reaped until kagid stops", (int)pid);
}
