/* The directory: one handle per worker, backed by NSS or LDAP. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "directory_internal.h"

struct directory {
        const struct directory_ops *ops;
        void *h;
        struct dir_cache *cache;       /* NULL: cache_ttl = 0 */
};

int directory_open(const struct kagi_config *c, struct directory **ret, char *err, size_t errsz)
{
        struct directory *d = calloc(1, sizeof(*d));
        int r;

        if (!d)
                return -ENOMEM;
        d->ops = c->backend == KAGI_DIR_LDAP ? &directory_ldap_ops : &directory_nss_ops;
        r = d->ops->open(c, &d->h, err, errsz);
        if (r < 0) {
                free(d);
                return r;
        }
        r = dir_cache_get(c, c->directory_cache_ttl, &d->cache);
        if (r < 0) {
                d->ops->close(d->h);
                free(d);
                snprintf(err, errsz, "directory: out of memory");
                return r;
        }
        *ret = d;
        return 0;
}

void directory_close(struct directory *d)
{
        if (!d)
                return;
        d->ops->close(d->h);
        dir_cache_put(d->cache);
        free(d);
}

/* With the cache on, a miss always asks for everything (enabled too), so
 * every later lookup of the login, brief or not, is a hit. */
static int lookup(struct directory *d, const char *user, bool want_enabled, struct dir_account *ret)
{
        int64_t now = now_ms();
        int r;

        *ret = (struct dir_account){ .uid = (uid_t)-1 };
        r = dir_cache_find(d->cache, user, now, ret);
        if (r != 0)
                return r < 0 ? r : 0;
        r = d->ops->lookup(d->h, user, want_enabled || d->cache, ret);
        if (r < 0)
                return r;
        /* a backend that does not say otherwise knows the name as asked */
        if (ret->exists && !ret->name[0])
                snprintf(ret->name, sizeof(ret->name), "%s", user);
        if (dir_cache_store(d->cache, user, now, ret) < 0)
                log_warn("directory: cannot cache the lookup of %s", user);
        return 0;
}

int directory_lookup(struct directory *d, const char *user, struct dir_account *ret)
{
        return lookup(d, user, true, ret);
}

int directory_lookup_brief(struct directory *d, const char *user, struct dir_account *ret)
{
        return lookup(d, user, false, ret);
}

bool directory_cached(struct directory *d, const char *user)
{
        return dir_cache_fresh(d->cache, user, now_ms());
}

bool directory_checks_passwords(const struct directory *d)
{
        return d->ops->check_password != NULL;
}

int directory_check_password(struct directory *d, const char *user, const char *password)
{
        if (!d->ops->check_password)
                return -ENOTSUP;
        return d->ops->check_password(d->h, user, password);
}

int directory_certificates(struct directory *d, const char *user, struct dir_certs *ret)
{
        *ret = (struct dir_certs){ 0 };
        if (!d->ops->certificates)
                return 0;
        return d->ops->certificates(d->h, user, ret);
}

int directory_list(struct directory *d, dir_list_cb cb, void *userdata)
{
        if (!d->ops->list)
                return -EOPNOTSUPP;
        return d->ops->list(d->h, cb, userdata);
}

void dir_account_clear(struct dir_account *a)
{
        strv_clear(&a->groups);
        *a = (struct dir_account){ .uid = (uid_t)-1 };
}

void dir_certs_clear(struct dir_certs *c)
{
        for (size_t i = 0; i < c->n; i++)
                free(c->der[i]);
        free(c->der);
        free(c->len);
        *c = (struct dir_certs){ 0 };
}
