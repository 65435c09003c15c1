/* What the unit tests share: cmocka, and scratch directories for the few
 * tests that need files (config_load, keys, the audit store). Each test gets
 * its own directory from mkdtemp, so test binaries can run in parallel and
 * nothing is left behind for the next one. */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

/* A fresh private directory (0700) below $TMPDIR or /tmp. */
static inline char *unit_tmpdir(void)
{
        const char *base = getenv("TMPDIR");
        char *dir = NULL;

        if (!base || !*base)
                base = "/tmp";
        assert_true(asprintf(&dir, "%s/kagi-unit-XXXXXX", base) > 0);
        assert_non_null(mkdtemp(dir));
        return dir;
}

static inline int unit_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path);
}

/* Removes the directory and everything below it, then frees the name. */
static inline void unit_rmtree(char *dir)
{
        if (!dir)
                return;
        nftw(dir, unit_rm_one, 16, FTW_DEPTH | FTW_PHYS);
        free(dir);
}

/* dir/name, asserted to fit. */
static inline void unit_path(char *buf, size_t size, const char *dir, const char *name)
{
        int n = snprintf(buf, size, "%s/%s", dir, name);

        assert_true(n > 0 && (size_t)n < size);
}

/* Writes len bytes to path with exactly this mode (no umask). */
static inline void unit_write_file(const char *path, const void *p, size_t len, mode_t mode)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, p, len), (ssize_t)len);
        assert_int_equal(fchmod(fd, mode), 0);
        assert_int_equal(close(fd), 0);
}

/* Tests that change a file's owner need root; elsewhere they are skipped. */
static inline void unit_need_root(void)
{
        if (geteuid() != 0) {
                print_message("not root: skipping an ownership test\n");
                skip();
        }
}

/* Does haystack contain needle? With the text in the failure message. */
#define assert_contains(haystack, needle)                                              \
        do {                                                                           \
                const char *h_ = (haystack), *n_ = (needle);                           \
                if (!h_ || !strstr(h_, n_))                                            \
                        fail_msg("'%s' does not contain '%s'", h_ ? h_ : "(null)", n_); \
        } while (0)

/* Does s start with prefix? */
#define assert_prefix(s, prefix)                                                           \
        do {                                                                               \
                const char *s_ = (s), *p_ = (prefix);                                      \
                if (!s_ || strncmp(s_, p_, strlen(p_)) != 0)                               \
                        fail_msg("'%s' does not start with '%s'", s_ ? s_ : "(null)", p_); \
        } while (0)
