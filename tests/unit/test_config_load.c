/* Reading kagi.conf from disk (policy/config_load.c): like doas, a file that
 * someone besides root (or the broker's user) could have changed is refused.
 * The ownership tests need root and are skipped without it. */
#include "unit.h"

#include "common.h"
#include "policy.h"

#define OTHER_UID 54321

struct fixture {
        char *dir;
        char path[PATH_MAX];
        struct kagi_config *c;
        char err[512];
};

static const char good[] = "[lockout]\nthreshold = 4\n";

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));

        if (!f)
                return -1;
        f->dir = unit_tmpdir();
        unit_path(f->path, sizeof(f->path), f->dir, "kagi.conf");
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;

        config_free(f->c);
        unit_rmtree(f->dir);
        free(f);
        return 0;
}

static int load(struct fixture *f, uid_t owner)
{
        config_free(f->c);
        f->c = NULL;
        f->err[0] = '\0';
        return config_load(f->path, owner, &f->c, f->err, sizeof(f->err));
}

static void own_0644_file_is_loaded(void **state)
{
        struct fixture *f = *state;

        unit_write_file(f->path, good, strlen(good), 0644);
        assert_int_equal(load(f, geteuid()), 0);
        assert_non_null(f->c);
        assert_int_equal(f->c->lockout.threshold, 4);
        assert_string_equal(f->c->path, f->path);
}

static void group_writable_file_is_refused(void **state)
{
        struct fixture *f = *state;

        unit_write_file(f->path, good, strlen(good), 0664);
        assert_int_equal(load(f, geteuid()), -EPERM);
        assert_null(f->c);
        assert_prefix(f->err, f->path);
        assert_contains(f->err, "writable by group or others (mode 0664)");
}

static void world_writable_file_is_refused(void **state)
{
        struct fixture *f = *state;

        unit_write_file(f->path, good, strlen(good), 0646);
        assert_int_equal(load(f, geteuid()), -EPERM);
        assert_null(f->c);
        assert_contains(f->err, "mode 0646");
}

static void file_owned_by_another_uid_is_refused(void **state)
{
        struct fixture *f = *state;

        unit_need_root();
        unit_write_file(f->path, good, strlen(good), 0600);
        assert_int_equal(chown(f->path, OTHER_UID, 0), 0);
        assert_int_equal(load(f, geteuid()), -EPERM);
        assert_null(f->c);
        assert_contains(f->err, "owned by uid 54321");
        /* another broker user is not that uid either */
        assert_int_equal(load(f, OTHER_UID + 1), -EPERM);
}

static void file_owned_by_the_broker_user_is_loaded(void **state)
{
        struct fixture *f = *state;

        unit_need_root();
        unit_write_file(f->path, good, strlen(good), 0600);
        assert_int_equal(chown(f->path, OTHER_UID, 0), 0);
        assert_int_equal(load(f, OTHER_UID), 0);
        assert_non_null(f->c);
}

static void missing_file_is_an_error(void **state)
{
        struct fixture *f = *state;

        assert_int_equal(load(f, geteuid()), -ENOENT);
        assert_null(f->c);
        assert_prefix(f->err, f->path);
}

static void directory_is_not_a_config_file(void **state)
{
        struct fixture *f = *state;

        assert_int_equal(mkdir(f->path, 0755), 0);
        assert_int_equal(load(f, geteuid()), -EINVAL);
        assert_contains(f->err, "not a regular file");
}

static void file_too_large_is_refused(void **state)
{
        struct fixture *f = *state;
        _cleanup_(freep) char *big = malloc(KAGI_CONFIG_MAX + 1);

        assert_non_null(big);
        memset(big, '\n', KAGI_CONFIG_MAX + 1);
        unit_write_file(f->path, big, KAGI_CONFIG_MAX + 1, 0644);
        assert_int_equal(load(f, geteuid()), -E2BIG);
        assert_null(f->c);
        assert_contains(f->err, "larger than");
}

/* Parse errors name the path the file was loaded from. */
static void parse_error_names_the_path_and_line(void **state)
{
        struct fixture *f = *state;
        const char bad[] = "[lockout]\nthreshold = 4\nwindow = 2\n";
        char want[PATH_MAX + 64];

        unit_write_file(f->path, bad, strlen(bad), 0644);
        assert_int_equal(load(f, geteuid()), -EINVAL);
        snprintf(want, sizeof(want), "%s:3: window: unknown key in [lockout]", f->path);
        assert_string_equal(f->err, want);
}

/* config_check_file is also what the store and the key directory rely on. */
static void check_file_refuses_a_group_writable_directory(void **state)
{
        struct fixture *f = *state;
        char err[256];
        int fd;

        assert_int_equal(chmod(f->dir, 0770), 0);
        fd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(config_check_file(fd, f->dir, geteuid(), err, sizeof(err)), -EPERM);
        assert_int_equal(fchmod(fd, 0750), 0);
        assert_int_equal(config_check_file(fd, f->dir, geteuid(), err, sizeof(err)), 0);
        close(fd);
}

/* [broker] user: who besides root may serve kagid's socket. */
static uid_t broker_uid_of(const char *text, int want)
{
        struct kagi_config *c = NULL;
        char err[256] = "";
        uid_t uid = 4711;

        assert_int_equal(config_parse((const uint8_t *)text, strlen(text), "t", &c, err, sizeof(err)), 0);
        assert_int_equal(config_broker_uid(c, &uid, err, sizeof(err)), want);
        if (want < 0)
                assert_non_null(strstr(err, "[broker] user"));
        config_free(c);
        return uid;
}

static void broker_user_is_root_unless_named(void **state)
{
        (void)state;
        assert_int_equal(broker_uid_of("", 0), 0);
        assert_int_equal(broker_uid_of("[broker]\nuser = root\n", 0), 0);
        assert_int_equal(broker_uid_of("[broker]\nuser = 4242\n", 0), 4242);
        /* a name nobody has is not anyone: clients then refuse every socket */
        assert_int_equal(broker_uid_of("[broker]\nuser = no-such-kagi-user\n", -ENOENT), 4711);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
                T(own_0644_file_is_loaded),
                T(group_writable_file_is_refused),
                T(world_writable_file_is_refused),
                T(file_owned_by_another_uid_is_refused),
                T(file_owned_by_the_broker_user_is_loaded),
                T(missing_file_is_an_error),
                T(directory_is_not_a_config_file),
                T(file_too_large_is_refused),
                T(parse_error_names_the_path_and_line),
                T(check_file_refuses_a_group_writable_directory),
                T(broker_user_is_root_unless_named),
#undef T
        };

        return cmocka_run_group_tests_name("config_load", tests, NULL, NULL);
}
