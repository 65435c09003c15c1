/* Requests kagictl would send, one per account, over kagid's socket,
 * several at a time: enrolling the accounts (100,000 kagictl processes one
 * after the other would take minutes; kagid does the same work for each
 * either way), and between runs with wrong codes, unlocking the accounts
 * the last run left with failures. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <liboath/oath.h>

#include "bench.h"

/* Puts the request's fields for u; false: nothing to send for u. */
typedef bool (*admin_build)(struct frame *req, const struct bench_user *u);

struct admin {
        const char *socket;
        const struct bench_accounts *acc;
        uint8_t type;
        admin_build build;
        atomic_size_t next;
        atomic_int failed;
        pthread_mutex_t lock;
        char err[512];
};

static int admin_one(const struct admin *a, const struct bench_user *u, char *err, size_t errsz)
{
        _cleanup_(frame_freep) struct frame *req = frame_new(a->type);
        _cleanup_(msg_freep) struct kagi_msg *m = msg_new();
        _cleanup_(closep) int fd = -1;
        int64_t deadline = now_ms() + 30000;
        int r;

        if (!req || !m)
                return -ENOMEM;
        if (!a->build(req, u))
                return 0;
        r = io_connect_unix(a->socket, deadline, &fd);
        if (r >= 0)
                r = frame_send(fd, req, deadline);
        if (r >= 0)
                r = frame_recv(fd, m, deadline);
        if (r < 0) {
                snprintf(err, errsz, "%s for %s: %s: %s", kagi_msg_type_name(a->type), u->name, a->socket,
                         strerror(-r));
                return r;
        }
        if (m->type != KAGI_REP_RESULT || msg_u32(m, KAGI_T_DECISION, KAGI_ERROR) != KAGI_ALLOW) {
                snprintf(err, errsz, "%s for %s: kagid said %s", kagi_msg_type_name(a->type), u->name,
                         msg_str(m, KAGI_T_MESSAGE) ? msg_str(m, KAGI_T_MESSAGE) : "no");
                return -EPROTO;
        }
        return 0;
}

static void *admin_worker(void *arg)
{
        struct admin *a = arg;
        char err[512];

        for (;;) {
                size_t i = atomic_fetch_add(&a->next, 1);

                if (i >= a->acc->n || atomic_load(&a->failed))
                        return NULL;
                if (admin_one(a, &a->acc->users[i], err, sizeof(err)) < 0) {
                        pthread_mutex_lock(&a->lock);
                        if (!atomic_exchange(&a->failed, 1))
                                snprintf(a->err, sizeof(a->err), "%s", err);
                        pthread_mutex_unlock(&a->lock);
                        return NULL;
                }
        }
}

static int admin_each(const char *socket, const struct bench_accounts *acc, size_t from, uint8_t type,
                      admin_build build, char *err, size_t errsz)
{
        pthread_t t[16];
        struct admin a = { .socket = socket, .acc = acc, .type = type, .build = build, .next = from,
                           .lock = PTHREAD_MUTEX_INITIALIZER };
        unsigned started = 0;

        for (; started < ARRAY_SIZE(t); started++)
                if (pthread_create(&t[started], NULL, admin_worker, &a) != 0)
                        break;
        for (unsigned i = 0; i < started; i++)
                pthread_join(t[i], NULL);
        if (started == 0) {
                snprintf(err, errsz, "cannot start a thread");
                return -EAGAIN;
        }
        if (atomic_load(&a.failed)) {
                snprintf(err, errsz, "%s", a.err);
                return -EPROTO;
        }
        return 0;
}

/* kagictl totp enroll NAME --secret BASE32 */
static bool build_enroll(struct frame *req, const struct bench_user *u)
{
        char *b32 = NULL;
        size_t b32len = 0;

        frame_put_str(req, KAGI_T_USER, u->name);
        if (oath_base32_encode((const char *)u->secret, sizeof(u->secret), &b32, &b32len) != OATH_OK) {
                req->error = -EIO;            /* refused by frame_send */
                return true;
        }
        frame_put_str(req, KAGI_T_SECRET, b32);
        secret_free(b32, b32len);
        return true;
}

int enroll_all(const char *socket, const struct bench_accounts *acc, size_t from, char *err, size_t errsz)
{
        return admin_each(socket, acc, from, KAGI_REQ_TOTP_ENROLL, build_enroll, err, errsz);
}

/* kagictl unlock NAME --reason TEXT, for the accounts kagi counts failures of */
static bool build_unlock(struct frame *req, const struct bench_user *u)
{
        if (u->failures[STACK_KAGI] == 0)
                return false;
        frame_put_str(req, KAGI_T_USER, u->name);
        frame_put_str(req, KAGI_T_REASON, "benchmark: the wrong codes of its last run");
        return true;
}

int unlock_failed(const char *socket, const struct bench_accounts *acc, char *err, size_t errsz)
{
        return admin_each(socket, acc, 0, KAGI_REQ_UNLOCK, build_unlock, err, errsz);
}
