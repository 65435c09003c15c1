/* The directory: one handle per worker, backed by NSS or LDAP. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "broker.h"

struct directory {
        const struct directory_ops *ops;
        void *h;
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
        *ret = d;
        return 0;
}

void directory_close(struct directory *d)
{
        if (!d)
                return;
        d->ops->close(d->h);
        free(d);
}

int directory_lookup(struct directory *d, const char *user, struct dir_account *ret)
{
        *ret = (struct dir_account){ .uid = (uid_t)-1 };
        return d->ops->lookup(d->h, user, ret);
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
