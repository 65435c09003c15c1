/* The embedded default directory: the system's own accounts through NSS
 * (files, sssd, winbind …). The broker cannot check passwords here; the PAM
 * stack does, with kagi's preauth/authfail around it. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <shadow.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "directory_internal.h"

static int nss_open(const struct kagi_config *c, void **ret, char *err, size_t errsz)
{
        (void)c;
        (void)err;
        (void)errsz;
        *ret = NULL;
        return 0;
}

static void nss_close(void *h)
{
        (void)h;
}

/* An account is disabled when its shadow entry has expired. Without a shadow
 * entry (NSS modules that have none) there is nothing to say it is. */
static bool shadow_enabled(const char *user)
{
        struct spwd sp, *res = NULL;
        char buf[4096];
        long today = (long)(time(NULL) / 86400);

        if (getspnam_r(user, &sp, buf, sizeof(buf), &res) != 0 || !res)
                return true;
        return !(res->sp_expire > 0 && res->sp_expire <= today);
}

static int nss_lookup(void *h, const char *user, bool want_enabled, struct dir_account *ret)
{
        struct passwd pw, *res = NULL;
        char buf[16384];
        gid_t groups[256];
        int ngroups = (int)ARRAY_SIZE(groups), r;

        (void)h;
        r = getpwnam_r(user, &pw, buf, sizeof(buf), &res);
        if (r != 0 && r != ENOENT && r != ESRCH && r != EBADF && r != EPERM) {
                log_err("directory (nss): looking up %s: %s", user, strerror(r));
                return -EHOSTDOWN;
        }
        if (!res) {
                ret->exists = false;
                return 0;
        }
        ret->exists = true;
        ret->uid = pw.pw_uid;
        if (snprintf(ret->name, sizeof(ret->name), "%s", pw.pw_name) >= (int)sizeof(ret->name)) {
                log_warn("directory (nss): %s: the account's name is too long", user);
                ret->exists = false;
                return 0;
        }
        /* the shadow lookup costs as much as the rest: only when it matters */
        ret->enabled = want_enabled ? shadow_enabled(pw.pw_name) : true;
        snprintf(ret->display_name, sizeof(ret->display_name), "%.*s",
                 (int)strcspn(pw.pw_gecos ? pw.pw_gecos : "", ","), pw.pw_gecos ? pw.pw_gecos : "");

        if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &ngroups) < 0) {
                log_warn("directory (nss): %s is in more than %zu groups; using the first ones", user,
                         ARRAY_SIZE(groups));
                ngroups = (int)ARRAY_SIZE(groups);
        }
        for (int i = 0; i < ngroups; i++) {
                struct group gr, *gres = NULL;
                char gbuf[16384];

                if (getgrgid_r(groups[i], &gr, gbuf, sizeof(gbuf), &gres) == 0 && gres &&
                    strv_add(&ret->groups, gr.gr_name) < 0)
                        return -ENOMEM;
        }
        return 0;
}

const struct directory_ops directory_nss_ops = {
        .name = "nss",
        .open = nss_open,
        .close = nss_close,
        .lookup = nss_lookup,
        /* no password checks (the PAM stack does them) and no certificates */
};
