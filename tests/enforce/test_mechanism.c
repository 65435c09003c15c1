/* Finding the mechanism: the cgroup2 mount read from mountinfo (pure), what
 * this host offers, and "none" as a value when nothing can bound a session,
 * so that the caller refuses the privileged login. */
#include <systemd/sd-daemon.h>

#include "helpers.h"

static const char hybrid[] =
        "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
        "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

static void the_cgroup2_mount_is_found_in_mountinfo(void **state)
{
        char *mount = NULL, *root = NULL;

        (void)state;
        assert_int_equal(enforce_mountinfo_cgroup2(hybrid, &mount, &root), 0);
        assert_string_equal(mount, "/sys/fs/cgroup/unified");
        assert_string_equal(root, "/");
        free(mount);
        free(root);

        /* pure v2, with optional fields before the separator */
        assert_int_equal(enforce_mountinfo_cgroup2(
                "25 20 0:22 / /sys/fs/cgroup rw,nosuid shared:9 master:2 - cgroup2 cgroup2 rw,nsdelegate\n",
                &mount, &root), 0);
        assert_string_equal(mount, "/sys/fs/cgroup");
        free(mount);
        free(root);

        /* inside a cgroup namespace, with an escaped space in the path */
        assert_int_equal(enforce_mountinfo_cgroup2(
                "25 20 0:22 /kagi\\040box /mnt/cg\\134x rw - cgroup2 none rw", &mount, &root), 0);
        assert_string_equal(mount, "/mnt/cg\\x");
        assert_string_equal(root, "/kagi box");
        free(mount);
        free(root);
}

static void no_cgroup2_mount_is_no_mount(void **state)
{
        char *mount = (char *)"untouched", *root = NULL;

        (void)state;
        assert_int_equal(enforce_mountinfo_cgroup2("", &mount, &root), -ENOENT);
        /* "cgroup2" as a source or an option is not the file system type */
        assert_int_equal(enforce_mountinfo_cgroup2(
                "31 23 0:28 / /sys/fs/cgroup rw - tmpfs cgroup2 rw\n"
                "32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup2x cgroup rw,cpu\n"
                "33 31 0:29 / /x rw - cgroup cgroup cgroup2\n"
                "garbage\n", &mount, &root), -ENOENT);
        assert_string_equal(mount, "untouched");
}

/* ---- this host ------------------------------------------------------------- */

static void this_host_is_detected_as_it_is(void **state)
{
        struct enforce_config cfg = { .cgroup_root = NULL, .log = t_log };
        struct enforce *e = NULL;
        char root[64];
        int fd;

        (void)state;
        snprintf(root, sizeof(root), "kagi-test-%d-detect", (int)getpid());
        cfg.cgroup_root = root;
        assert_int_equal(enforce_new(&cfg, &e), 0);
        printf("# detected mechanism: %s%s%s\n", enforce_kind_name(enforce_kind(e)),
               enforce_why_none(e) ? ": " : "", enforce_why_none(e) ? enforce_why_none(e) : "");
        if (sd_booted() > 0) {
                assert_int_equal(enforce_kind(e), ENFORCE_SYSTEMD_SCOPE);
        } else {
                /* this machine: no systemd, cgroup v2 at /sys/fs/cgroup/unified */
                assert_int_equal(enforce_kind(e), ENFORCE_CGROUP);
                assert_null(enforce_why_none(e));
                fd = dup(e->mount_fd);
                assert_int_equal(unlinkat(fd, root, AT_REMOVEDIR), 0);
                close(fd);
        }
        enforce_free(e);
}

static void write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "we");

        assert_non_null(f);
        fputs(text, f);
        assert_int_equal(fclose(f), 0);
}

/* A mountinfo with no cgroup2, or whose cgroup2 is a plain directory. */
static struct enforce *probe_with(bool cgroup2_elsewhere)
{
        char dir[] = "/tmp/kagi-enforce-XXXXXX", path[64];
        struct enforce_config cfg = { .force = ENFORCE_CGROUP, .cgroup_root = "kagi-test-never", .log = t_log };
        struct enforce *e = NULL;
        char *text = NULL;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/mountinfo", dir);
        if (cgroup2_elsewhere)
                assert_true(asprintf(&text, "41 31 0:38 / %s rw - cgroup2 cgroup2 rw\n", dir) > 0);
        else
                assert_non_null(text = strdup("31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"));
        write_file(path, text);
        cfg.mountinfo = path;
        assert_int_equal(enforce_new(&cfg, &e), 0);
        unlink(path);
        rmdir(dir);
        free(text);
        return e;
}

static void without_cgroup2_there_is_no_mechanism(void **state)
{
        struct enforce *e = probe_with(false);
        struct enforce_session *s = NULL;

        (void)state;
        assert_int_equal(enforce_kind(e), ENFORCE_NONE);
        assert_non_null(strstr(enforce_why_none(e), "no cgroup v2"));
        printf("# mechanism: none (%s)\n", enforce_why_none(e));
        /* the caller's privileged login is refused on this */
        assert_int_equal(enforce_session_start(e, "s1", getpid(), &s), -EOPNOTSUPP);
        assert_int_equal(enforce_session_open(e, "s1", &s), -EOPNOTSUPP);
        assert_null(s);
        enforce_free(e);
}

static void a_cgroup2_entry_on_another_file_system_is_no_mechanism(void **state)
{
        struct enforce *e = probe_with(true);

        (void)state;
        assert_int_equal(enforce_kind(e), ENFORCE_NONE);
        assert_non_null(strstr(enforce_why_none(e), "not a cgroup2 file system"));
        printf("# mechanism: none (%s)\n", enforce_why_none(e));
        enforce_free(e);
}

/* Where systemd is not running, asking for its scopes must not pass for a
 * mechanism: it is "none", and privileged logins are refused. */
static void systemd_scopes_without_systemd_are_no_mechanism(void **state)
{
        struct enforce *e = NULL;
        struct enforce_session *s = NULL;

        (void)state;
        if (sd_booted() > 0)
                skip();
        assert_int_equal(enforce_new(&(struct enforce_config){ .force = ENFORCE_SYSTEMD_SCOPE, .log = t_log }, &e), 0);
        assert_int_equal(enforce_kind(e), ENFORCE_NONE);
        printf("# mechanism asked: systemd-scope; got none (%s)\n", enforce_why_none(e));
        assert_int_equal(enforce_session_start(e, "s1", getpid(), &s), -EOPNOTSUPP);
        enforce_free(e);
}

static void bad_configurations_are_refused(void **state)
{
        const char *roots[] = { "", "/kagi", "kagi/", "a//b", "..", "a/../b", "./a", "a b", "a\nb" };
        const char *slices[] = { "", "kagi", ".slice", "kagi.scope", "a/b.slice", "ka gi.slice" };
        struct enforce *e = NULL;

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(roots); i++)
                assert_int_equal(enforce_new(&(struct enforce_config){ .cgroup_root = roots[i] }, &e), -EINVAL);
        for (size_t i = 0; i < ARRAY_SIZE(slices); i++)
                assert_int_equal(enforce_new(&(struct enforce_config){ .slice = slices[i] }, &e), -EINVAL);
        assert_int_equal(enforce_new(&(struct enforce_config){ .force = 7 }, &e), -EINVAL);
        assert_null(e);
}

static void scope_units_are_named_from_the_session_id(void **state)
{
        char buf[96];

        (void)state;
        assert_int_equal(scope_unit_name("20261201-0001", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "kagi-session-20261201-0001.scope");
        assert_int_equal(scope_unit_name("../x", buf, sizeof(buf)), -EINVAL);
        assert_int_equal(scope_unit_name("abc", buf, 10), -ENAMETOOLONG);
        assert_string_equal(enforce_kind_name(ENFORCE_SYSTEMD_SCOPE), "systemd-scope");
        assert_string_equal(enforce_kind_name(ENFORCE_CGROUP), "cgroup");
        assert_string_equal(enforce_kind_name(ENFORCE_NONE), "none");
}

#define T(name) { "mechanism: " #name, name, NULL, NULL, NULL }

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(the_cgroup2_mount_is_found_in_mountinfo),
                T(no_cgroup2_mount_is_no_mount),
                T(this_host_is_detected_as_it_is),
                T(without_cgroup2_there_is_no_mechanism),
                T(a_cgroup2_entry_on_another_file_system_is_no_mechanism),
                T(systemd_scopes_without_systemd_are_no_mechanism),
                T(bad_configurations_are_refused),
                T(scope_units_are_named_from_the_session_id),
        };
        int r = t_main_checks();

        if (r)
                return r;
        return cmocka_run_group_tests_name("enforce-mechanism", tests, NULL, NULL);
}
