/* Private to broker/directory/: the backends and the lookup cache. */
#pragma once

#include "common.h"
#include "directory.h"
#include "log.h"

/* The lookup cache (cache.c), shared by the workers of one broker:
 * entries live [directory] cache_ttl seconds (0: no cache); errors are never
 * cached; at most DIR_CACHE_MAX accounts, the oldest dropped first. Keyed
 * by the configuration it serves; reference counted. */
#define DIR_CACHE_MAX 1024
struct dir_cache;
int dir_cache_get(const void *key, uint32_t ttl_seconds, struct dir_cache **ret);  /* NULL when ttl is 0 */
void dir_cache_put(struct dir_cache *c);
/* 1 with *ret filled when fresh, 0 when not there (or c is NULL). */
int dir_cache_find(struct dir_cache *c, const char *user, int64_t now_ms, struct dir_account *ret);
/* The same without a copy: is there a fresh entry? */
bool dir_cache_fresh(struct dir_cache *c, const char *user, int64_t now_ms);
int dir_cache_store(struct dir_cache *c, const char *user, int64_t now_ms, const struct dir_account *a);

/* The backends, behind the functions of directory.h. */
struct directory_ops {
        const char *name;
        int (*open)(const struct kagi_config *c, void **ret, char *err, size_t errsz);
        void (*close)(void *h);
        int (*lookup)(void *h, const char *user, bool want_enabled, struct dir_account *ret);
        int (*check_password)(void *h, const char *user, const char *password);  /* NULL: cannot */
        int (*certificates)(void *h, const char *user, struct dir_certs *ret);   /* NULL: none */
        int (*list)(void *h, dir_list_cb cb, void *userdata);                     /* NULL: cannot */
};
extern const struct directory_ops directory_nss_ops;
extern const struct directory_ops directory_ldap_ops;
