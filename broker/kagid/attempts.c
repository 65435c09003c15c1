/* Attempts in flight (LOCK-1). A login reserves its attempt before any
 * credential is checked — at preauth, before the stacked password module
 * runs, or when kagid itself is about to check one — and settles it with a
 * durable success or failure. Until then the attempt counts toward the
 * threshold, so N parallel logins get at most `threshold` verifications.
 *
 * Reservations live in memory only: none of them is a failure anyone was
 * told about, so a crash loses nothing that must survive it, and reserving
 * costs no disk write. One that is never settled (the PAM transaction was
 * abandoned) lapses when it expires. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "attempts.h"

#define BUCKETS 4096

struct attempt {
        struct attempt *next;
        int64_t expires;
        uint8_t token[ATTEMPT_TOKEN_LEN];
        char key[ATTEMPT_KEY_MAX];
};

struct attempts {
        pthread_mutex_t lock;
        size_t n;
        struct attempt *bucket[BUCKETS];
};

int attempts_new(struct attempts **ret)
{
        struct attempts *a = calloc(1, sizeof(*a));

        if (!a)
                return -ENOMEM;
        pthread_mutex_init(&a->lock, NULL);
        *ret = a;
        return 0;
}

void attempts_free(struct attempts *a)
{
        if (!a)
                return;
        for (size_t i = 0; i < BUCKETS; i++)
                while (a->bucket[i]) {
                        struct attempt *x = a->bucket[i];
                        a->bucket[i] = x->next;
                        free(x);
                }
        pthread_mutex_destroy(&a->lock);
        free(a);
}

void attempts_lock(struct attempts *a)
{
        pthread_mutex_lock(&a->lock);
}

void attempts_unlock(struct attempts *a)
{
        pthread_mutex_unlock(&a->lock);
}

static struct attempt **chain(struct attempts *a, const char *key)
{
        uint32_t h = 2166136261u;                /* FNV-1a */

        for (const unsigned char *p = (const unsigned char *)key; *p; p++)
                h = (h ^ *p) * 16777619u;
        return &a->bucket[h % BUCKETS];
}

unsigned attempts_in_flight(struct attempts *a, const char *key, int64_t now)
{
        unsigned n = 0;

        for (struct attempt **p = chain(a, key); *p;) {
                struct attempt *x = *p;

                if (x->expires <= now) {
                        *p = x->next;
                        free(x);
                        a->n--;
                        continue;
                }
                n += strcmp(x->key, key) == 0;
                p = &x->next;
        }
        return n;
}

int attempts_add(struct attempts *a, const char *key, int64_t expires, uint8_t token[ATTEMPT_TOKEN_LEN])
{
        struct attempt *x, **c;

        if (a->n >= ATTEMPTS_MAX || strlen(key) >= ATTEMPT_KEY_MAX)
                return -ENOSPC;
        x = calloc(1, sizeof(*x));
        if (!x)
                return -ENOMEM;
        if (RAND_bytes(x->token, sizeof(x->token)) != 1) {
                free(x);
                return -EIO;
        }
        memcpy(token, x->token, sizeof(x->token));
        snprintf(x->key, sizeof(x->key), "%s", key);
        x->expires = expires;
        c = chain(a, key);
        x->next = *c;
        *c = x;
        a->n++;
        return 0;
}

static struct attempt **find(struct attempts *a, const char *key, const uint8_t *token, size_t len)
{
        if (len != ATTEMPT_TOKEN_LEN)
                return NULL;
        for (struct attempt **p = chain(a, key); *p; p = &(*p)->next)
                if (strcmp((*p)->key, key) == 0 && CRYPTO_memcmp((*p)->token, token, len) == 0)
                        return p;
        return NULL;
}

bool attempts_holds(struct attempts *a, const char *key, const uint8_t *token, size_t len, int64_t now)
{
        struct attempt **p;
        bool held;

        pthread_mutex_lock(&a->lock);
        p = find(a, key, token, len);
        held = p && (*p)->expires > now;
        pthread_mutex_unlock(&a->lock);
        return held;
}

void attempts_remove(struct attempts *a, const char *key, const uint8_t *token, size_t len)
{
        struct attempt **p, *x;

        pthread_mutex_lock(&a->lock);
        p = find(a, key, token, len);
        if (p) {
                x = *p;
                *p = x->next;
                free(x);
                a->n--;
        }
        pthread_mutex_unlock(&a->lock);
}
