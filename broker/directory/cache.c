/* The directory lookup cache, for every backend: one login asks about the
 * same account several times (preauth, verify, account, session) on
 * whichever worker is free, so the workers of one broker share one cache,
 * behind a mutex.
 *
 * Entries live cache_ttl seconds, then the directory is asked again: that is
 * how long a disabled or deleted account can still be seen as it was. Errors
 * are never cached. The cache holds at most DIR_CACHE_MAX accounts; when
 * full it drops the expired entries, then the oldest one.
 *
 * Every operation costs the same however full the cache is: entries sit in
 * a ring in the order they were stored (so the oldest, and every expired
 * one, is at its head), and a hash table on the name finds one. An entry
 * dropped out of order (stale, or stored again) leaves a hole in the ring
 * that the head skips.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "directory_internal.h"

#define BUCKETS (2 * DIR_CACHE_MAX)          /* hash chains, for a short walk on each */
#define NONE UINT32_MAX

struct cache_entry {
        char *user;                           /* NULL: a hole */
        int64_t stored_ms;
        uint32_t next;                        /* the next entry of its hash chain, or NONE */
        struct dir_account acct;
};

struct dir_cache {
        const void *key;                      /* the kagi_config it serves */
        unsigned refs;
        int64_t ttl_ms;
        pthread_mutex_t lock;
        struct cache_entry *e;                /* the ring, DIR_CACHE_MAX entries */
        uint32_t head;                        /* the oldest slot in use */
        uint32_t used;                        /* slots from head on, holes included */
        uint32_t *bucket;                     /* first entry of each chain, or NONE */
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

static struct dir_cache *cache_new(const void *key, uint32_t ttl_seconds)
{
        struct dir_cache *c = calloc(1, sizeof(*c));

        if (!c)
                return NULL;
        c->e = calloc(DIR_CACHE_MAX, sizeof(*c->e));
        c->bucket = malloc(BUCKETS * sizeof(*c->bucket));
        if (!c->e || !c->bucket) {
                free(c->e);
                free(c->bucket);
                free(c);
                return NULL;
        }
        for (size_t i = 0; i < BUCKETS; i++)
                c->bucket[i] = NONE;
        c->key = key;
        c->ttl_ms = (int64_t)ttl_seconds * 1000;
        pthread_mutex_init(&c->lock, NULL);
        return c;
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
                c = cache_new(key, ttl_seconds);
                if (!c) {
                        pthread_mutex_unlock(&registry_lock);
                        return -ENOMEM;
                }
                c->next = registry;
                registry = c;
        }
        c->refs++;
        pthread_mutex_unlock(&registry_lock);
        *ret = c;
        return 0;
}

static uint32_t *chain_of(struct dir_cache *c, const char *user)
{
        uint32_t h = 2166136261u;             /* FNV-1a */

        for (const unsigned char *p = (const unsigned char *)user; *p; p++)
                h = (h ^ *p) * 16777619u;
        return &c->bucket[h % BUCKETS];
}

/* Where the link to user's entry is (its bucket, or the entry before it in
 * the chain), or NULL. Caller holds the lock. */
static uint32_t *entry_link(struct dir_cache *c, const char *user)
{
        for (uint32_t *link = chain_of(c, user); *link != NONE; link = &c->e[*link].next)
                if (strcmp(c->e[*link].user, user) == 0)
                        return link;
        return NULL;
}

/* Makes the entry its link points to a hole. Caller holds the lock. */
static void entry_drop(struct dir_cache *c, uint32_t *link)
{
        struct cache_entry *e = &c->e[*link];

        *link = e->next;
        free(e->user);
        dir_account_clear(&e->acct);
        *e = (struct cache_entry){ .next = NONE };
}

static bool fresh(const struct dir_cache *c, const struct cache_entry *e, int64_t now_ms)
{
        return now_ms >= e->stored_ms && now_ms - e->stored_ms < c->ttl_ms;
}

/* Advances the head past holes and, when asked to, past expired entries
 * and the oldest one, until a slot is free. Caller holds the lock. */
static void ring_trim(struct dir_cache *c, int64_t now_ms, bool need_room)
{
        while (c->used > 0) {
                struct cache_entry *e = &c->e[c->head];

                if (e->user && fresh(c, e, now_ms) && !(need_room && c->used == DIR_CACHE_MAX))
                        return;
                if (e->user)
                        entry_drop(c, entry_link(c, e->user));
                c->head = (c->head + 1) % DIR_CACHE_MAX;
                c->used--;
        }
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
        /* everything expires at the end of time */
        ring_trim(c, INT64_MIN, false);
        pthread_mutex_destroy(&c->lock);
        free(c->bucket);
        free(c->e);
        free(c);
}

/* The fresh entry of user, or NULL; drops a stale one. Caller holds the lock. */
static struct cache_entry *entry_fresh(struct dir_cache *c, const char *user, int64_t now_ms)
{
        uint32_t *link = entry_link(c, user);

        if (!link)
                return NULL;
        if (fresh(c, &c->e[*link], now_ms))
                return &c->e[*link];
        entry_drop(c, link);
        return NULL;
}

int dir_cache_find(struct dir_cache *c, const char *user, int64_t now_ms, struct dir_account *ret)
{
        struct cache_entry *e;
        int r = 0;

        if (!c)
                return 0;
        pthread_mutex_lock(&c->lock);
        e = entry_fresh(c, user, now_ms);
        if (e) {
                r = dir_account_copy(&e->acct, ret);
                if (r == 0)
                        r = 1;
        }
        pthread_mutex_unlock(&c->lock);
        return r;
}

bool dir_cache_fresh(struct dir_cache *c, const char *user, int64_t now_ms)
{
        bool r;

        if (!c)
                return false;
        pthread_mutex_lock(&c->lock);
        r = entry_fresh(c, user, now_ms) != NULL;
        pthread_mutex_unlock(&c->lock);
        return r;
}

int dir_cache_store(struct dir_cache *c, const char *user, int64_t now_ms, const struct dir_account *a)
{
        struct cache_entry e = { .stored_ms = now_ms };
        uint32_t *link, *chain, slot;

        if (!c)
                return 0;
        e.user = strdup(user);
        if (!e.user || dir_account_copy(a, &e.acct) < 0) {
                free(e.user);
                return -ENOMEM;
        }
        pthread_mutex_lock(&c->lock);
        link = entry_link(c, user);
        if (link)
                entry_drop(c, link);
        ring_trim(c, now_ms, true);
        slot = (c->head + c->used) % DIR_CACHE_MAX;
        c->used++;
        chain = chain_of(c, user);
        e.next = *chain;
        *chain = slot;
        c->e[slot] = e;
        pthread_mutex_unlock(&c->lock);
        return 0;
}
