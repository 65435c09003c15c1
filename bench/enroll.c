/* Enrolling the benchmark's accounts in kagi: the request `kagictl totp
 * enroll NAME --secret BASE32` sends, over kagid's socket, several at a
 * time. 100,000 kagictl processes one after the other would take minutes;
 * kagid does the same work for each (the directory, sealing, a commit with
 * its audit record) either way. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <liboath/oath.h>

#include "bench.h"

struct enroll {
        const char *socket;
        const struct bench_accounts *acc;
        atomic_size_t next;
        atomic_int failed;
        pthread_mutex_t lock;
        char err[512];
};

static int enroll_one(const char *socket, const struct bench_user *u, char *err, size_t errsz)
{
        _cleanup_(frame_freep) struct frame *req = frame_new(KAGI_REQ_TOTP_ENROLL);
        _cleanup_(msg_freep) struct kagi_msg *m = msg_new();
        _cleanup_(closep) int fd = -1;
        int64_t deadline = now_ms() + 30000;
        char *b32 = NULL;
        size_t b32len = 0;
        int r;

        if (!req || !m)
                return -ENOMEM;
        if (oath_base32_encode((const char *)u->secret, sizeof(u->secret), &b32, &b32len) != OATH_OK)
                return -EIO;
        frame_put_str(req, KAGI_T_USER, u->name);
        frame_put_str(req, KAGI_T_SECRET, b32);
        secret_free(b32, b32len);
        r = io_connect_unix(socket, deadline, &fd);
        if (r >= 0)
                r = frame_send(fd, req, deadline);
        if (r >= 0)
                r = frame_recv(fd, m, deadline);
        if (r < 0) {
                snprintf(err, errsz, "enrolling %s: %s: %s", u->name, socket, strerror(-r));
                return r;
        }
        if (m->type != KAGI_REP_RESULT || msg_u32(m, KAGI_T_DECISION, KAGI_ERROR) != KAGI_ALLOW) {
                snprintf(err, errsz, "enrolling %s: kagid said %s", u->name,
                         msg_str(m, KAGI_T_MESSAGE) ? msg_str(m, KAGI_T_MESSAGE) : "no");
                return -EPROTO;
        }
        return 0;
}

static void *enroll_worker(void *arg)
{
        struct enroll *e = arg;
        char err[512];

        for (;;) {
                size_t i = atomic_fetch_add(&e->next, 1);

                if (i >= e->acc->n || atomic_load(&e->failed))
                        return NULL;
                if (enroll_one(e->socket, &e->acc->users[i], err, sizeof(err)) < 0) {
                        pthread_mutex_lock(&e->lock);
                        if (!atomic_exchange(&e->failed, 1))
                                snprintf(e->err, sizeof(e->err), "%s", err);
                        pthread_mutex_unlock(&e->lock);
                        return NULL;
                }
        }
}

int enroll_all(const char *socket, const struct bench_accounts *acc, size_t from, unsigned jobs, char *err,
               size_t errsz)
{
        pthread_t t[64];
        struct enroll e = { .socket = socket, .acc = acc, .next = from, .lock = PTHREAD_MUTEX_INITIALIZER };
        unsigned started = 0;

        if (jobs > ARRAY_SIZE(t))
                jobs = ARRAY_SIZE(t);
        for (; started < jobs; started++)
                if (pthread_create(&t[started], NULL, enroll_worker, &e) != 0)
                        break;
        for (unsigned i = 0; i < started; i++)
                pthread_join(t[i], NULL);
        if (started == 0) {
                snprintf(err, errsz, "cannot start a thread");
                return -EAGAIN;
        }
        if (atomic_load(&e.failed)) {
                snprintf(err, errsz, "%s", e.err);
                return -EPROTO;
        }
        return 0;
}
