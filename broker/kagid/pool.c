/* Worker pools. The event loop (server.c) reads every request whole without
 * holding a thread; a worker takes it from its pool's queue, decides, and
 * writes the answer. Work that blocks — the store's commit, a directory
 * call — blocks a worker of one pool only: logins that need the directory,
 * logins that do not, and administration each have their own. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "enforce.h"
#include "login.h"
#include "pool.h"

/* What a request from the module has left once it reaches kagid: the answer
 * must be on disk and sent before the module gives up. */
#define DEADLINE_MARGIN_MS 250
#define ADMIN_DEADLINE_MS 30000
#define REPLY_TIMEOUT_MS 10000

struct worker {
        pthread_t thread;
        struct pool *pool;
        struct store *store;
        struct directory *dir;
        struct enforce *enforce;              /* one per thread, as enforce.h asks */
};

struct pool {
        const char *name;
        struct broker *b;
        struct server *srv;
        pthread_mutex_t lock;
        pthread_cond_t more;
        struct job *head, *tail;
        bool stop;
        size_t n;                             /* workers started */
        size_t cap;                           /* workers allocated */
        struct worker *w;
};

void job_free(struct job *j)
{
        if (!j)
                return;
        if (j->fd >= 0)
                close(j->fd);
        msg_free(j->msg);
        free(j);
}

bool request_alive(const struct request *rq)
{
        struct pollfd p = { .fd = rq->fd, .events = POLLRDHUP };

        if (now_ms() >= rq->deadline)
                return false;
        /* the module closes its end when it gives up: nothing more to read
         * from a live one, which is waiting for its answer */
        return poll(&p, 1, 0) == 0;
}

static void serve(struct worker *w, struct job *j)
{
        _cleanup_(frame_freep) struct frame *reply = frame_new(KAGI_REP_RESULT);
        struct broker *b = w->pool->b;
        uint64_t deadline = msg_u64(j->msg, KAGI_T_DEADLINE, 0);
        struct request rq = {
                .b = b, .store = w->store, .dir = w->dir, .enforce = w->enforce, .fd = j->fd, .msg = j->msg,
                .peer_uid = j->cred.uid, .peer_gid = j->cred.gid, .peer_pid = j->cred.pid,
                .peer_root = j->cred.uid == 0, .decision = KAGI_ERROR,
        };
        int r;

        if (!reply)
                return;
        rq.reply = reply;
        rq.deadline = deadline ? (int64_t)deadline - DEADLINE_MARGIN_MS : j->received + ADMIN_DEADLINE_MS;
        if (!request_alive(&rq)) {
                /* queued past what the client waits for: it has been told
                 * "unavailable" already, so nothing may happen on its behalf */
                log_warn("%s from uid %u pid %d dropped: its client gave up before a worker was free",
                         kagi_msg_type_name(j->msg->type), (unsigned)j->cred.uid, (int)j->cred.pid);
                return;
        }
        rq.peer_admin = !rq.peer_root && peer_in_group(j->cred.uid, j->cred.gid, b->cfg->admin_group);
        r = dispatch(&rq);
        /* a handler may have started its answer afresh (reply_restart) */
        reply = rq.reply;
        if (store_in_transaction(w->store)) {
                /* a handler that forgot its transaction must not hold every
                 * other writer up: undo it, and say so */
                log_err("%s left a transaction open; rolled back", kagi_msg_type_name(j->msg->type));
                store_rollback(w->store);
                /* what it was about to answer was not written: fail closed */
                reply_restart(&rq);
                reply = rq.reply;
                reply_decision(&rq, KAGI_ERROR, MSG_INTERNAL);
        }
        if (r == -EBADMSG)
                return;
        if (reply->len == KAGI_FRAME_HEADER)
                /* a handler that failed before answering still answers: fail closed */
                reply_decision(&rq, KAGI_ERROR, MSG_INTERNAL);
        r = frame_send(j->fd, reply, now_ms() + REPLY_TIMEOUT_MS);
        if (r < 0 && r != -EPIPE && r != -ECONNRESET)
                log_warn("could not answer uid %u: %s", (unsigned)j->cred.uid, strerror(-r));
}

static void *worker_main(void *arg)
{
        struct worker *w = arg;
        struct pool *p = w->pool;

        for (;;) {
                struct job *j;

                pthread_mutex_lock(&p->lock);
                while (!p->head && !p->stop)
                        pthread_cond_wait(&p->more, &p->lock);
                j = p->head;
                if (j) {
                        p->head = j->next;
                        if (!p->head)
                                p->tail = NULL;
                }
                pthread_mutex_unlock(&p->lock);
                if (!j)
                        return NULL;            /* stopping, and nothing left */
                serve(w, j);
                server_release(p->srv, &j->cred);
                job_free(j);
        }
}

void pool_push(struct pool *p, struct job *j)
{
        j->next = NULL;
        pthread_mutex_lock(&p->lock);
        if (p->tail)
                p->tail->next = j;
        else
                p->head = j;
        p->tail = j;
        pthread_cond_signal(&p->more);
        pthread_mutex_unlock(&p->lock);
}

int pool_start(struct pool **ret, const char *name, size_t n, struct broker *b, struct server *srv, char *err,
               size_t errsz)
{
        struct pool *p = calloc(1, sizeof(*p));
        int r = 0;

        if (!p || !(p->w = calloc(n, sizeof(*p->w)))) {
                free(p);
                snprintf(err, errsz, "out of memory");
                return -ENOMEM;
        }
        *p = (struct pool){ .name = name, .b = b, .srv = srv, .w = p->w, .cap = n };
        pthread_mutex_init(&p->lock, NULL);
        pthread_cond_init(&p->more, NULL);
        for (size_t i = 0; i < n && r >= 0; i++) {
                struct worker *w = &p->w[i];

                w->pool = p;
                r = store_open(b->cfg->database, b->uid, &w->store, err, errsz);
                if (r >= 0)
                        r = directory_open(b->cfg, &w->dir, err, errsz);
                if (r >= 0)
                        r = live_enforce_new(b, &w->enforce);
                if (r >= 0) {
                        r = -pthread_create(&w->thread, NULL, worker_main, w);
                        if (r < 0)
                                snprintf(err, errsz, "cannot start a worker: %s", strerror(-r));
                }
                if (r >= 0)
                        p->n++;
        }
        *ret = p;
        return r;
}

void pool_stop(struct pool *p)
{
        if (!p)
                return;
        pthread_mutex_lock(&p->lock);
        p->stop = true;
        pthread_cond_broadcast(&p->more);
        pthread_mutex_unlock(&p->lock);
        for (size_t i = 0; i < p->n; i++)
                pthread_join(p->w[i].thread, NULL);
        /* the one that failed to start may hold a store or directory too */
        for (size_t i = 0; i < p->cap; i++) {
                store_close(p->w[i].store);
                directory_close(p->w[i].dir);
                enforce_free(p->w[i].enforce);
        }
        free(p->w);
        pthread_cond_destroy(&p->more);
        pthread_mutex_destroy(&p->lock);
        free(p);
}
