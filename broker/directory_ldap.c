/* LDAP directory backend: see issue "LDAP directory". Until it lands, a
 * config that asks for it is refused at start, never half-served. */
#include <errno.h>
#include <stdio.h>

#include "broker.h"

static int ldap_open(const struct kagi_config *c, void **ret, char *err, size_t errsz)
{
        (void)c;
        (void)ret;
        snprintf(err, errsz, "[directory] backend = ldap is not available in this build");
        return -ENOTSUP;
}

static void ldap_close(void *h)
{
        (void)h;
}

static int ldap_lookup(void *h, const char *user, struct dir_account *ret)
{
        (void)h;
        (void)user;
        (void)ret;
        return -EHOSTDOWN;
}

const struct directory_ops directory_ldap_ops = {
        .name = "ldap",
        .open = ldap_open,
        .close = ldap_close,
        .lookup = ldap_lookup,
};
