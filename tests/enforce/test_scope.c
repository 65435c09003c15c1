/* The systemd path, on a host without systemd: the real sd-bus client code
 * (scope.c) against fake-systemd.py, a stand-in for systemd's Manager on a
 * private dbus-daemon, which makes real cgroups. It proves the calls, their
 * signatures and properties, the wait for the job, the ControlGroup read
 * back and the same kill logic on the scope's cgroup — not systemd's own
 * behaviour, which only a systemd host can show. */
#include "helpers.h"

struct fx {
        char dir[64], record[96], prefix[64], address[512];
        char *mount;
        int dbus_fd, fake_fd;        /* pidfds of the two helpers */
        pid_t dbus_pid, fake_pid;
        struct enforce *e;
        struct enforce_session *s;
        int report[2];
};

static struct fx *child_fx;

/* Runs argv with stdout into a pipe; returns the read end. */
static int spawn_reading(char *const argv[], pid_t *ret_pid)
{
        int p[2];
        pid_t pid;

        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                dup2(p[1], 1);
                execv(argv[0], argv);
                _exit(127);
        }
        close(p[1]);
        *ret_pid = pid;
        return p[0];
}

static void read_line(int fd, char *buf, size_t size)
{
        size_t n = 0;

        while (n < size - 1) {
                struct pollfd p = { .fd = fd, .events = POLLIN };

                assert_int_equal(poll(&p, 1, 10 * 1000), 1);
                assert_int_equal(read(fd, buf + n, 1), 1);
                if (buf[n] == '\n')
                        break;
                n++;
        }
        buf[n] = '\0';
}

static int setup(void **state)
{
        struct fx *f = calloc(1, sizeof(*f));
        const char *script = getenv("FAKE_SYSTEMD");
        char *root = NULL, *text = NULL, ready[16];
        int fd;

        assert_non_null(f);
        assert_non_null(script);
        snprintf(f->dir, sizeof(f->dir), "/tmp/kagi-scope-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->record, sizeof(f->record), "%s/started.jsonl", f->dir);
        snprintf(f->prefix, sizeof(f->prefix), "/kagi-fake-systemd-%d", (int)getpid());
        fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(enforce_read_all(fd, 1 << 22, &text, NULL), 0);
        close(fd);
        assert_int_equal(enforce_mountinfo_cgroup2(text, &f->mount, &root), 0);
        free(text);
        free(root);

        fd = spawn_reading((char *[]){ "/usr/bin/dbus-daemon", "--session", "--nofork", "--nopidfile",
                                        "--print-address=1", NULL }, &f->dbus_pid);
        read_line(fd, f->address, sizeof(f->address));
        close(fd);
        f->dbus_fd = pidfd_open(f->dbus_pid, 0);
        fd = spawn_reading((char *[]){ "/usr/bin/python3", (char *)script, f->address, f->mount, f->prefix,
                                        f->record, NULL }, &f->fake_pid);
        f->fake_fd = pidfd_open(f->fake_pid, 0);
        read_line(fd, ready, sizeof(ready));
        close(fd);
        assert_string_equal(ready, "ready");

        /* sd_bus_open_system() takes the system bus from here */
        setenv("DBUS_SYSTEM_BUS_ADDRESS", f->address, 1);
        assert_int_equal(enforce_new(&(struct enforce_config){ .force = ENFORCE_SYSTEMD_SCOPE, .log = t_log }, &f->e), 0);
        assert_int_equal(enforce_kind(f->e), ENFORCE_SYSTEMD_SCOPE);
        printf("# mechanism: systemd-scope through sd-bus, against fake-systemd.py on %s\n", f->address);
        assert_int_equal(pipe2(f->report, O_CLOEXEC), 0);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fx *f = *state;
        int mount_fd = open(f->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (f->s) {
                cg_write(f->s->dir_fd, "cgroup.kill", "1");
                for (int i = 0; i < 200 && enforce_session_populated(f->s) > 0; i++)
                        usleep(5000);
                enforce_session_free(f->s);
        }
        enforce_free(f->e);
        pidfd_send_signal(f->fake_fd, SIGTERM, NULL, 0);
        pidfd_send_signal(f->dbus_fd, SIGTERM, NULL, 0);
        waitpid(f->fake_pid, NULL, 0);
        waitpid(f->dbus_pid, NULL, 0);
        close(f->fake_fd);
        close(f->dbus_fd);
        t_reap();
        /* what the fake systemd made: kagi.slice, and scopes a failed test left */
        assert_int_equal(cg_remove_tree(mount_fd, f->prefix + 1, 0), 0);
        close(mount_fd);
        unlink(f->record);
        rmdir(f->dir);
        close(f->report[0]);
        close(f->report[1]);
        free(f->mount);
        free(f);
        unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
        return 0;
}

static void stubborn(void *arg)
{
        (void)arg;
        signal(SIGHUP, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
        t_report(child_fx->report[1], getpid());
        for (;;)
                pause();
}

static void read_record(struct fx *f, char *buf, size_t size)
{
        int fd = open(f->record, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        assert_true(fd >= 0);
        n = read(fd, buf, size - 1);
        close(fd);
        assert_true(n > 0);
        buf[n] = '\0';
}

static void a_session_is_a_transient_scope_in_kagi_slice_and_ends(void **state)
{
        struct fx *f = *state;
        char want[256], rec[1024], cg[256];
        pid_t first, second;
        int first_fd, second_fd;

        child_fx = f;
        first = t_fork(stubborn, NULL);
        assert_int_equal(t_read_pid(f->report[0]), first);
        second = t_fork(stubborn, NULL);
        assert_int_equal(t_read_pid(f->report[0]), second);
        first_fd = pidfd_open(first, 0);
        second_fd = pidfd_open(second, 0);

        assert_int_equal(enforce_session_start(f->e, "sc1", first, &f->s), 0);
        /* what systemd was asked for, as logind asks for a session scope */
        read_record(f, rec, sizeof(rec));
        snprintf(want, sizeof(want), "{\"name\": \"kagi-session-sc1.scope\", \"mode\": \"fail\", \"PIDs\": [%d], "
                 "\"Slice\": \"kagi.slice\", \"CollectMode\": \"inactive-or-failed\", "
                 "\"Description\": \"kagi session sc1\"}\n", (int)first);
        assert_string_equal(rec, want);
        /* its cgroup, read back from ControlGroup */
        snprintf(want, sizeof(want), "%s/kagi.slice/kagi-session-sc1.scope", f->prefix);
        assert_string_equal(enforce_session_cgroup(f->s), want);
        assert_true(t_cgroup_of(first, cg, sizeof(cg)));
        assert_string_equal(cg, want);

        /* AttachProcessesToUnit for one more */
        assert_int_equal(enforce_session_add(f->s, second), 0);
        assert_true(t_pids_contain(f->s, second));

        assert_int_equal(enforce_session_end(f->s, NULL, 200), 0);
        assert_int_equal(t_drive_end(f->s, T_WAIT_MS), 1);
        assert_true(enforce_session_was_killed(f->s));
        assert_true(t_exited(first_fd));
        assert_true(t_exited(second_fd));
        /* StopUnit: the fake removes the scope's cgroup as systemd would */
        assert_int_equal(enforce_session_open(f->e, "sc1", &(struct enforce_session *){ NULL }), -ENOENT);
        enforce_session_free(f->s);
        f->s = NULL;
        close(first_fd);
        close(second_fd);
}

static void a_scope_is_found_again_by_its_unit_and_not_started_twice(void **state)
{
        struct fx *f = *state;
        struct enforce_session *again = NULL, *twice = NULL;
        pid_t pid;
        int pidfd;

        child_fx = f;
        pid = t_fork(stubborn, NULL);
        assert_int_equal(t_read_pid(f->report[0]), pid);
        pidfd = pidfd_open(pid, 0);
        assert_int_equal(enforce_session_start(f->e, "sc2", pid, &f->s), 0);
        assert_int_equal(enforce_session_start(f->e, "sc2", pid, &twice), -EEXIST);
        assert_null(twice);

        /* kagid restarted: GetUnit + ControlGroup find the same cgroup */
        assert_int_equal(enforce_session_open(f->e, "sc2", &again), 0);
        assert_string_equal(enforce_session_cgroup(again), enforce_session_cgroup(f->s));
        assert_int_equal(again->n_seen, 1);
        assert_int_equal(enforce_session_open(f->e, "nosuch", &twice), -ENOENT);

        assert_int_equal(enforce_session_end(again, NULL, 100), 0);
        assert_int_equal(t_drive_end(again, T_WAIT_MS), 1);
        assert_true(t_exited(pidfd));
        enforce_session_free(again);
        enforce_session_free(f->s);
        f->s = NULL;
        close(pidfd);
}

#define T(name) { "systemd-scope (fake systemd on a private bus): " #name, name, setup, teardown, NULL }

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(a_session_is_a_transient_scope_in_kagi_slice_and_ends),
                T(a_scope_is_found_again_by_its_unit_and_not_started_twice),
        };
        int r = t_main_checks();

        if (r)
                return r;
        if (access("/usr/bin/dbus-daemon", X_OK) < 0 || system("/usr/bin/python3 -c 'import dbus, gi' 2>/dev/null")) {
                printf("# needs dbus-daemon and python3-dbus, python3-gi: skipped\n");
                return 77;
        }
        return cmocka_run_group_tests_name("enforce-scope", tests, NULL, NULL);
}
