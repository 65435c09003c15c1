/* libkagibench_shadow.so (LD_PRELOAD, bench/run --fast-shadow): answers
 * getspnam_r for the benchmark's accounts at once, with "no shadow entry",
 * which is what glibc answers too - after asking every source in
 * /etc/nsswitch.conf: on Debian 12 "files systemd", so /etc/shadow is read
 * and nss-systemd looks for the account in six userdb directories, about
 * 75 system calls and 80,000 instructions a look-up. kagid looks an account
 * up once a login (directory_nss.c, is it expired?); a system where the
 * accounts are local (/etc/shadow) or in sssd answers in a few. This
 * measures kagid as it would run there; everything else is unchanged. */
#include <dlfcn.h>
#include <errno.h>
#include <shadow.h>
#include <string.h>

#include "names.h"

int getspnam_r(const char *name, struct spwd *sp, char *buf, size_t len, struct spwd **res)
{
        int (*next)(const char *, struct spwd *, char *, size_t, struct spwd **);

        if (name && strncmp(name, BENCH_NAME_PREFIX, strlen(BENCH_NAME_PREFIX)) == 0) {
                *res = NULL;
                return 0;
        }
        next = (int (*)(const char *, struct spwd *, char *, size_t, struct spwd **))dlsym(RTLD_NEXT, "getspnam_r");
        if (!next) {
                *res = NULL;
                return ENOENT;
        }
        return next(name, sp, buf, len, res);
}
