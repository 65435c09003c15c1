/* The directory lookup cache, for every backend: one login asks about the
 * same account several times (preauth, verify, account, session) on
 * whichever worker is free, so the workers of one broker share one cache,
 * behind a mutex.
 *
 * Entries live cache_ttl seconds, then the directory is asked again: that is
 * how long a disabled or deleted account can still be seen as it was. Errors
 * are never cached. The cache holds at most CACHE_MAX accounts; when full it
 * drops the expired entries, then the oldest one.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "directory_internal.h"

#define CACHE_MAX 1024

struct cache_entry {
        char *user;
        int64_t stored_ms;
        struct dir_account acct;
};

struct dir_cache {
        const void *key;                      /* the kagi_config it serves */
        unsigned refs;
        int64_t ttl_ms;
        pthread_mutex_t lock;
        struct cache_entry *e;
        size_t n;
        struct dir_cache *next;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dir_cache *registry;

int dir_account_copy(const struct dir_account *from, struct dir_account *to)
{
        struct dir_account a = *from;

        a.groups = (struct strv){ 0 };
        for (size_t i = 0; i < from->groups.n; i++) {
                if (strv_add(&a.groups, from->groups.v[i]) < 0) {
                        dir_account_clear(&a);
                        return -ENOMEM;
                }
        }
        *to = a;
        return 0;
}

int dir_cache_get(const void *key, uint32_t ttl_seconds, struct dir_cache **ret)
{
        struct dir_cache *c;

        *ret = NULL;
        if (ttl_seconds == 0)
                return 0;
        pthread_mutex_lock(&registry_lock);
        for (c = registry; c; c = c->next)
                if (c->key == key)
                        break;
        if (!c) {
                c = calloc(1, sizeof(*c));
                if (c)
                        c->e = calloc(CACHE_MAX, sizeof(*c->e));
                if (!c || !c->e) {
                        pthread_mutex_unlock(&registry_lock);
                        if (c)
                                free(c);
                        return -ENOMEM;
                }
                c->key = key;
                c->ttl_ms = (int64_t)ttl_seconds * 1000;
                pthread_mutex_init(&c->lock, NULL);
                c->next = registry;
                registry = c;
        }
        c->refs++;
        pthread_mutex_unlock(&registry_lock);
        *ret = c;
        return 0;
}

static void entry_clear(struct cache_entry *e)
{
        free(e->user);
        dir_account_clear(&e->acct);
        *e = (struct cache_entry){ 0 };
}

/* Removes entry i, keeping the array dense. Caller holds the lock. */
static void entry_drop(struct dir_cache *c, size_t i)
{
        entry_clear(&c->e[i]);
        c->e[i] = c->e[c->n - 1];
        c->e[c->n - 1] = (struct cache_entry){ 0 };
        c->n--;
}

void dir_cache_put(struct dir_cache *c)
{
        struct dir_cache **pp;

        if (!c)
                return;
        pthread_mutex_lock(&registry_lock);
        if (--c->refs > 0) {
                pthread_mutex_unlock(&registry_lock);
                return;
        }
        for (pp = &registry; *pp; pp = &(*pp)->next)
                if (*pp == c) {
                        *pp = c->next;
                        break;
                }
        pthread_mutex_unlock(&registry_lock);
        while (c->n > 0)
                entry_drop(c, c->n - 1);
        pthread_mutex_destroy(&c->lock);
        free(c->e);
        free(c);
}

static bool fresh(const struct dir_cache *c, const struct cache_entry *e, int64_t now_ms)
{
        return now_ms >= e->stored_ms && now_ms - e->stored_ms < c->ttl_ms;
}

static ssize_t entry_find(const struct dir_cache *c, const char *user)
{
        for (size_t i = 0; i < c->n; i++)
                if (strcmp(c->e[i].user, user) == 0)
                        return (ssize_t)i;
        return -1;
}

int dir_cache_find(struct dir_cache *c, const char *user, int64_t now_ms, struct dir_account *ret)
{
        ssize_t i;
        int r = 0;

        if (!c)
                return 0;
        pthread_mutex_lock(&c->lock);
        i = entry_find(c, user);
        if (i >= 0 && !fresh(c, &c->e[i], now_ms)) {
                entry_drop(c, (size_t)i);
        } else if (i >= 0) {
                r = dir_account_copy(&c->e[i].acct, ret);
                if (r == 0)
                        r = 1;
        }
        pthread_mutex_unlock(&c->lock);
        return r;
}

/* Room for one more entry. Caller holds the lock. */
static void make_room(struct dir_cache *c, int64_t now_ms)
{
        size_t oldest = 0;

        for (size_t i = c->n; i-- > 0;)
                if (!fresh(c, &c->e[i], now_ms))
                        entry_drop(c, i);
        if (c->n < CACHE_MAX)
                return;
        for (size_t i = 1; i < c->n; i++)
                if (c->e[i].stored_ms < c->e[oldest].stored_ms)
                        oldest = i;
        entry_drop(c, oldest);
}

int dir_cache_store(struct dir_cache *c, const char *user, int64_t now_ms, const struct dir_account *a)
{
        struct cache_entry e = { .stored_ms = now_ms };
        ssize_t i;

        if (!c)
                return 0;
        e.user = strdup(user);
        if (!e.user || dir_account_copy(a, &e.acct) < 0) {
                free(e.user);
                return -ENOMEM;
        }
        pthread_mutex_lock(&c->lock);
        i = entry_find(c, user);
        if (i >= 0)
                entry_drop(c, (size_t)i);
        if (c->n >= CACHE_MAX)
                make_room(c, now_ms);
        c->e[c->n++] = e;
        pthread_mutex_unlock(&c->lock);
        return 0;
}
