/* libnss_kagibench.so.2: the benchmark's accounts, answered in constant
 * time. nss_wrapper asks it before its own files (NSS_WRAPPER_MODULE_SO_PATH,
 * NSS_WRAPPER_MODULE_FN_PREFIX=kagibench). nss_wrapper's files are scanned
 * line by line on every look-up, about 70 ns an account: with thousands of
 * accounts that would cost a login more than the stacks being measured
 * (kagid looks an account up four times a login, pam_faillock three), where
 * a real directory (sssd's memory cache, a short /etc/passwd) answers in a
 * few microseconds.
 *
 * KAGI_BENCH_ACCOUNTS=COUNT: accounts benchNNNNN (0 <= N < COUNT) with uid
 * BENCH_GID + 1 + N in group "bench" (BENCH_GID), as accounts.c names them.
 * Nothing is enumerated. */
#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"

/* glibc's NSS interface, which nss_wrapper loads by name */
enum nss_status _nss_kagibench_getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t len, int *err);
enum nss_status _nss_kagibench_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t len, int *err);
enum nss_status _nss_kagibench_getgrnam_r(const char *name, struct group *gr, char *buf, size_t len, int *err);
enum nss_status _nss_kagibench_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t len, int *err);
enum nss_status _nss_kagibench_initgroups_dyn(const char *user, gid_t group, long int *start, long int *size,
                                              gid_t **groups, long int limit, int *err);

static bool range(unsigned long *ret_count, unsigned long *ret_base)
{
        const char *env = getenv(BENCH_ACCOUNTS_ENV);
        char *end;

        if (!env || !*env)
                return false;
        errno = 0;
        *ret_count = strtoul(env, &end, 10);
        *ret_base = BENCH_GID;
        return errno == 0 && *end == '\0';
}

static enum nss_status fill_pw(unsigned long n, unsigned long base, struct passwd *pw, char *buf, size_t len,
                               int *err)
{
        /* name, gecos, dir and shell, one after the other in buf */
        int used = snprintf(buf, len, BENCH_NAME_FMT "%cBench %lu%c/nonexistent%c/bin/sh", n, '\0', n, '\0', '\0');

        if (used < 0 || (size_t)used >= len) {
                *err = ERANGE;
                return NSS_STATUS_TRYAGAIN;
        }
        pw->pw_name = buf;
        pw->pw_passwd = (char *)"x";
        pw->pw_uid = (uid_t)(base + 1 + n);
        pw->pw_gid = (gid_t)base;
        pw->pw_gecos = buf + strlen(buf) + 1;
        pw->pw_dir = pw->pw_gecos + strlen(pw->pw_gecos) + 1;
        pw->pw_shell = pw->pw_dir + strlen(pw->pw_dir) + 1;
        return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_kagibench_getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t len, int *err)
{
        unsigned long count, base, n = 0;
        const char *digits = name + strlen(BENCH_NAME_PREFIX);

        if (!range(&count, &base) || strncmp(name, BENCH_NAME_PREFIX, strlen(BENCH_NAME_PREFIX)) != 0 ||
            strlen(digits) != BENCH_NAME_DIGITS || strspn(digits, "0123456789") != BENCH_NAME_DIGITS)
                return NSS_STATUS_NOTFOUND;
        for (const char *d = digits; *d; d++)
                n = n * 10 + (unsigned long)(*d - '0');
        return n < count ? fill_pw(n, base, pw, buf, len, err) : NSS_STATUS_NOTFOUND;
}

enum nss_status _nss_kagibench_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t len, int *err)
{
        unsigned long count, base;

        if (!range(&count, &base) || uid <= base || uid - base - 1 >= count)
                return NSS_STATUS_NOTFOUND;
        return fill_pw(uid - base - 1, base, pw, buf, len, err);
}

static enum nss_status fill_gr(unsigned long base, struct group *gr, char *buf, size_t len, int *err)
{
        /* the member list (empty) first, aligned for a pointer */
        size_t pad = (size_t)(-(uintptr_t)buf & (_Alignof(char *) - 1));
        char **members;

        if (len < pad + sizeof(char *) + sizeof(BENCH_GROUP)) {
                *err = ERANGE;
                return NSS_STATUS_TRYAGAIN;
        }
        members = (char **)(void *)(buf + pad);
        members[0] = NULL;
        gr->gr_mem = members;
        gr->gr_name = (char *)(members + 1);
        memcpy(gr->gr_name, BENCH_GROUP, sizeof(BENCH_GROUP));
        gr->gr_passwd = (char *)"x";
        gr->gr_gid = (gid_t)base;
        return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_kagibench_getgrnam_r(const char *name, struct group *gr, char *buf, size_t len, int *err)
{
        unsigned long count, base;

        if (!range(&count, &base) || strcmp(name, BENCH_GROUP) != 0)
                return NSS_STATUS_NOTFOUND;
        return fill_gr(base, gr, buf, len, err);
}

enum nss_status _nss_kagibench_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t len, int *err)
{
        unsigned long count, base;

        if (!range(&count, &base) || gid != base)
                return NSS_STATUS_NOTFOUND;
        return fill_gr(base, gr, buf, len, err);
}

/* Only the primary group, which getgrouplist() adds by itself. */
enum nss_status _nss_kagibench_initgroups_dyn(const char *user, gid_t group, long int *start, long int *size,
                                              gid_t **groups, long int limit, int *err)
{
        (void)user;
        (void)group;
        (void)start;
        (void)size;
        (void)groups;
        (void)limit;
        (void)err;
        return NSS_STATUS_NOTFOUND;
}
