/* libnss_kagifold.so.2: answers for "alice" under other spellings — any
 * case, or with "@example" — with alice's own entry, as sssd does with
 * case_sensitive = false or a domain suffix. nss_wrapper asks it before its
 * files (NSS_WRAPPER_MODULE_SO_PATH, NSS_WRAPPER_MODULE_FN_PREFIX=kagifold);
 * everything else it leaves to them. */
#include <errno.h>
#include <nss.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum nss_status _nss_kagifold_getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t len, int *err);

enum nss_status _nss_kagifold_getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t len, int *err)
{
        static const char entry[] = "alice\0x\0Alice Example\0/home/alice\0/bin/sh";
        const size_t off[] = { 0, 6, 8, 22, 34 };

        if (strcmp(name, "alice") == 0 || (strcasecmp(name, "alice") != 0 && strcasecmp(name, "alice@example") != 0))
                return NSS_STATUS_NOTFOUND;
        if (len < sizeof(entry)) {
                *err = ERANGE;
                return NSS_STATUS_TRYAGAIN;
        }
        memcpy(buf, entry, sizeof(entry));
        *pw = (struct passwd){ .pw_name = buf + off[0], .pw_passwd = buf + off[1], .pw_gecos = buf + off[2],
                               .pw_dir = buf + off[3], .pw_shell = buf + off[4], .pw_uid = 1000, .pw_gid = 1000 };
        return NSS_STATUS_SUCCESS;
}
