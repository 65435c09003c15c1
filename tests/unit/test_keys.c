/* Key files (broker/secrets/keys.c, CRED-1): created 0600 with random bytes when
 * absent, the same keys read back after, and refused when others could read
 * or replace them. */
#include "unit.h"

#include <dirent.h>
#include <sys/wait.h>

#include "secrets.h"

#define OTHER_UID 54321
#define UNTOUCHED 0xAA

struct fixture {
        char *dir;
        char keys[PATH_MAX];
        char audit[PATH_MAX];
        char seal[PATH_MAX];
        struct kagi_keys k;
        char err[512];
};

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));

        if (!f)
                return -1;
        f->dir = unit_tmpdir();
        unit_path(f->keys, sizeof(f->keys), f->dir, "keys");
        unit_path(f->audit, sizeof(f->audit), f->keys, "audit.key");
        unit_path(f->seal, sizeof(f->seal), f->keys, "seal.key");
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;

        unit_rmtree(f->dir);
        free(f);
        return 0;
}

static int load(struct fixture *f)
{
        memset(&f->k, UNTOUCHED, sizeof(f->k));
        f->err[0] = '\0';
        return keys_load(f->keys, geteuid(), true, &f->k, f->err, sizeof(f->err));
}

/* kagid -t: look, change nothing */
static void checking_only_creates_nothing(void **state)
{
        struct fixture *f = *state;

        assert_int_equal(keys_load(f->keys, geteuid(), false, &f->k, f->err, sizeof(f->err)), 0);
        assert_int_equal(access(f->keys, F_OK), -1);
        assert_int_equal(mkdir(f->keys, 0700), 0);
        assert_int_equal(keys_load(f->keys, geteuid(), false, &f->k, f->err, sizeof(f->err)), 0);
        assert_int_equal(access(f->audit, F_OK), -1);
        assert_int_equal(access(f->seal, F_OK), -1);
}

static void assert_file(const char *path, mode_t mode, const uint8_t *content)
{
        uint8_t buf[64];
        struct stat st;
        int fd;

        assert_int_equal(stat(path, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_mode & 07777, mode);
        assert_int_equal(st.st_uid, geteuid());
        fd = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(read(fd, buf, sizeof(buf)), KAGI_KEY_LEN);
        close(fd);
        assert_memory_equal(buf, content, KAGI_KEY_LEN);
}

/* After a refusal no key read from disk is left in the caller's struct: it
 * is untouched (load() fills it with UNTOUCHED) or wiped. */
static void assert_wiped(const struct kagi_keys *k)
{
        const uint8_t *p = (const uint8_t *)k;

        for (size_t i = 0; i < sizeof(*k); i++)
                if (p[i] != 0 && p[i] != UNTOUCHED)
                        fail_msg("byte %zu of the keys is 0x%02x after a refusal", i, p[i]);
}

static void missing_keys_are_created_0600(void **state)
{
        struct fixture *f = *state;
        struct stat st;

        assert_int_equal(load(f), 0);
        assert_int_equal(stat(f->keys, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0700);
        assert_file(f->audit, 0600, f->k.audit);
        assert_file(f->seal, 0600, f->k.seal);
        /* two keys, not one used twice */
        assert_memory_not_equal(f->k.audit, f->k.seal, KAGI_KEY_LEN);
}

static void existing_keys_are_read_back(void **state)
{
        struct fixture *f = *state;
        struct kagi_keys first;

        assert_int_equal(load(f), 0);
        first = f->k;
        assert_int_equal(load(f), 0);
        assert_memory_equal(&f->k, &first, sizeof(first));
}

static void key_readable_by_others_is_refused(void **state)
{
        struct fixture *f = *state;

        assert_int_equal(load(f), 0);
        assert_int_equal(chmod(f->seal, 0644), 0);
        assert_int_equal(load(f), -EPERM);
        assert_contains(f->err, "seal.key: must be a regular file owned by root or the broker user with mode 0600");
        assert_contains(f->err, "is 0644");
        assert_wiped(&f->k);

        assert_int_equal(chmod(f->seal, 0640), 0);
        assert_int_equal(load(f), -EPERM);
        assert_int_equal(chmod(f->seal, 0400), 0);
        assert_int_equal(load(f), 0);
}

static void key_of_the_wrong_size_is_refused(void **state)
{
        struct fixture *f = *state;
        const uint8_t bytes[KAGI_KEY_LEN + 1] = { 1 };

        assert_int_equal(load(f), 0);
        unit_write_file(f->audit, bytes, KAGI_KEY_LEN - 1, 0600);
        assert_int_equal(load(f), -EINVAL);
        assert_contains(f->err, "audit.key: must hold exactly 32 bytes");
        assert_wiped(&f->k);

        unit_write_file(f->audit, bytes, KAGI_KEY_LEN + 1, 0600);
        assert_int_equal(load(f), -EINVAL);
        unit_write_file(f->audit, bytes, 0, 0600);
        assert_int_equal(load(f), -EINVAL);

        unit_write_file(f->audit, bytes, KAGI_KEY_LEN, 0600);
        assert_int_equal(load(f), 0);
        assert_memory_equal(f->k.audit, bytes, KAGI_KEY_LEN);
}

static void key_owned_by_another_user_is_refused(void **state)
{
        struct fixture *f = *state;

        unit_need_root();
        assert_int_equal(load(f), 0);
        assert_int_equal(chown(f->audit, OTHER_UID, 0), 0);
        assert_int_equal(load(f), -EPERM);
        assert_contains(f->err, "uid 54321");
}

static void key_that_is_a_symlink_is_refused(void **state)
{
        struct fixture *f = *state;
        char elsewhere[PATH_MAX];
        const uint8_t bytes[KAGI_KEY_LEN] = { 7 };

        assert_int_equal(load(f), 0);
        unit_path(elsewhere, sizeof(elsewhere), f->dir, "planted.key");
        unit_write_file(elsewhere, bytes, sizeof(bytes), 0600);
        assert_int_equal(unlink(f->seal), 0);
        assert_int_equal(symlink(elsewhere, f->seal), 0);
        assert_int_equal(load(f), -ELOOP);
        assert_wiped(&f->k);
}

static void group_writable_key_dir_is_refused(void **state)
{
        struct fixture *f = *state;

        assert_int_equal(load(f), 0);
        assert_int_equal(chmod(f->keys, 0770), 0);
        assert_int_equal(load(f), -EPERM);
        assert_contains(f->err, "key directory must be owned by root or the broker user and not writable by others");
        assert_wiped(&f->k);
        assert_int_equal(chmod(f->keys, 0702), 0);
        assert_int_equal(load(f), -EPERM);
}

/* Refused before anything is created in it. */
static void group_writable_key_dir_gets_no_new_keys(void **state)
{
        struct fixture *f = *state;

        assert_int_equal(mkdir(f->keys, 0700), 0);
        assert_int_equal(chmod(f->keys, 0777), 0);
        assert_int_equal(load(f), -EPERM);
        assert_int_equal(access(f->audit, F_OK), -1);
        assert_int_equal(access(f->seal, F_OK), -1);
}

static void key_dir_owned_by_another_user_is_refused(void **state)
{
        struct fixture *f = *state;

        unit_need_root();
        assert_int_equal(mkdir(f->keys, 0700), 0);
        assert_int_equal(chown(f->keys, OTHER_UID, 0), 0);
        assert_int_equal(load(f), -EPERM);
}

/* ---- writing a new key: write() may write less than asked ------------------------
 * The test binary is linked with -Wl,--wrap=write: __wrap_write plays a
 * disk that takes only part of what is written, then fails, or a broker
 * that dies half-way. */
enum { WRITE_OK, WRITE_SHORT_THEN_OK, WRITE_SHORT_THEN_ENOSPC, WRITE_SHORT_THEN_CRASH };
static int write_mode;
static int writes_seen;

ssize_t __real_write(int fd, const void *p, size_t n);
ssize_t __wrap_write(int fd, const void *p, size_t n);
ssize_t __wrap_write(int fd, const void *p, size_t n)
{
        if (write_mode == WRITE_OK || n < 2)
                return __real_write(fd, p, n);
        if (writes_seen++ == 0) {
                /* part of it, and no error: errno is what it was */
                errno = 0;
                return __real_write(fd, p, n / 3);
        }
        switch (write_mode) {
        case WRITE_SHORT_THEN_ENOSPC:
                errno = ENOSPC;
                return -1;
        case WRITE_SHORT_THEN_CRASH:
                _exit(3);
        default:
                return __real_write(fd, p, n);
        }
}

static void write_like(int mode)
{
        write_mode = mode;
        writes_seen = 0;
}

/* The key directory holds exactly these names. */
static void assert_dir_holds(const char *dir, const char *const names[])
{
        size_t want = 0, have = 0;
        DIR *d = opendir(dir);
        struct dirent *de;

        assert_non_null(d);
        while (names[want])
                want++;
        while ((de = readdir(d))) {
                bool known = false;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                for (size_t i = 0; names[i]; i++)
                        known |= strcmp(names[i], de->d_name) == 0;
                if (!known)
                        fail_msg("%s holds %s", dir, de->d_name);
                have++;
        }
        closedir(d);
        assert_int_equal(have, want);
}

static void a_short_write_still_writes_the_whole_key(void **state)
{
        struct fixture *f = *state;

        write_like(WRITE_SHORT_THEN_OK);
        assert_int_equal(load(f), 0);
        assert_true(writes_seen > 1);
        write_like(WRITE_OK);
        assert_file(f->audit, 0600, f->k.audit);
        assert_file(f->seal, 0600, f->k.seal);
        assert_dir_holds(f->keys, (const char *[]){ "audit.key", "seal.key", NULL });
}

static void a_failed_write_is_an_error_and_leaves_no_key(void **state)
{
        struct fixture *f = *state;

        write_like(WRITE_SHORT_THEN_ENOSPC);
        assert_int_equal(load(f), -ENOSPC);
        write_like(WRITE_OK);
        assert_contains(f->err, "audit.key: cannot write");
        assert_contains(f->err, "No space left on device");
        assert_wiped(&f->k);
        /* nothing a restart would take for a key, nothing half-written */
        assert_dir_holds(f->keys, (const char *[]){ NULL });
        /* and the next start makes both */
        assert_int_equal(load(f), 0);
        assert_file(f->audit, 0600, f->k.audit);
}

/* A broker killed half-way through writing a key leaves no half key under
 * its name: the next start makes a whole one instead of refusing to run. */
static void a_crash_while_writing_leaves_no_half_key(void **state)
{
        struct fixture *f = *state;
        int status;
        pid_t pid = fork();

        assert_true(pid >= 0);
        if (pid == 0) {
                write_like(WRITE_SHORT_THEN_CRASH);
                load(f);
                _exit(0);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_int_equal(WEXITSTATUS(status), 3);
        assert_int_equal(access(f->audit, F_OK), -1);
        assert_int_equal(load(f), 0);
        assert_file(f->audit, 0600, f->k.audit);
        assert_file(f->seal, 0600, f->k.seal);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
                T(missing_keys_are_created_0600),
                T(checking_only_creates_nothing),
                T(existing_keys_are_read_back),
                T(key_readable_by_others_is_refused),
                T(key_of_the_wrong_size_is_refused),
                T(key_owned_by_another_user_is_refused),
                T(key_that_is_a_symlink_is_refused),
                T(group_writable_key_dir_is_refused),
                T(group_writable_key_dir_gets_no_new_keys),
                T(key_dir_owned_by_another_user_is_refused),
                T(a_short_write_still_writes_the_whole_key),
                T(a_failed_write_is_an_error_and_leaves_no_key),
                T(a_crash_while_writing_leaves_no_half_key),
#undef T
        };

        return cmocka_run_group_tests_name("keys", tests, NULL, NULL);
}
