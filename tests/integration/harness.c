/* Test harness for the integration tests: see harness.h. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <libpamtest.h>
#include <liboath/oath.h>
#include <json-c/json.h>
#include <security/pam_appl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdnoreturn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "harness.h"

/* the current fixture's PAM services (PAM_WRAPPER_SERVICE_DIR of the PAM
 * children) */
static char pam_services[FX_PATH];

#define PAM_MATRIX "/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_matrix.so"
#define PAM_SET_ITEMS "/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_set_items.so"

static const char *env_or_die(const char *name)
{
        const char *v = getenv(name);

        if (!v || !*v) {
                fprintf(stderr, "harness: %s is not set (run the tests through meson)\n", name);
                abort();
        }
        return v;
}

static int write_file(const char *path, mode_t mode, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int write_file(const char *path, mode_t mode, const char *fmt, ...)
{
        FILE *f;
        va_list ap;
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

        if (fd < 0)
                return -errno;
        fchmod(fd, mode);
        f = fdopen(fd, "w");
        if (!f) {
                close(fd);
                return -errno;
        }
        va_start(ap, fmt);
        vfprintf(f, fmt, ap);
        va_end(ap);
        return fclose(f) == 0 ? 0 : -errno;
}

static void path_join(char out[FX_PATH], const char dir[64], const char *name)
{
        snprintf(out, FX_PATH, "%s/%s", dir, name);
}

/* A copy of a build-tree program in the fixture's directory (0755 under
 * /tmp): the checkout may sit below a directory other uids cannot enter
 * (/root is 0700), and PAM's configuration cannot name a path with a space. */
static int copy_program(const struct fx *f, const char *from, const char *name, char out[FX_PATH])
{
        char cmd[2 * FX_PATH + 64];

        path_join(out, f->dir, name);
        if (access(out, X_OK) == 0)
                return 0;
        if (strchr(from, '\'') || strchr(out, '\''))
                return -EINVAL;
        snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && chmod 0755 '%s'", from, out, out);
        return system(cmd) == 0 ? 0 : -EIO;
}

static int write_pam_services(struct fx *f)
{
        char mod[FX_PATH];
        char p[FX_PATH + 64];
        int r;

        r = copy_program(f, env_or_die("PAM_KAGI"), "pam_kagi.so", mod);
        /* its card stack, which it loads from its own directory */
        if (r >= 0)
                r = copy_program(f, env_or_die("PAM_KAGI_CARD"), "pam_kagi_card.so", p);
        if (r < 0)
                return r;
        if (mkdir(f->pamdir, 0755) < 0 && errno != EEXIST)
                return -errno;
        /* The documented stack: kagi around the password module, then TOTP. */
        snprintf(p, sizeof(p), "%s/kagi-stack", f->pamdir);
        r = write_file(p, 0644,
                       "auth     optional                     %s\n"
                       "auth     [success=ok ignore=2 default=die] %s config=%s preauth\n"
                       "auth     [success=1 default=ignore]   %s passdb=%s\n"
                       "auth     [default=die]                %s config=%s authfail\n"
                       "auth     required                     %s config=%s\n"
                       "account  required                     %s config=%s\n"
                       "session  optional                     %s\n"
                       "session  required                     %s config=%s\n",
                       PAM_SET_ITEMS, mod, f->conf, PAM_MATRIX, f->matrix, mod, f->conf, mod, f->conf, mod,
                       f->conf, PAM_SET_ITEMS, mod, f->conf);
        if (r < 0)
                return r;
        /* The same, with the password left in PAM_AUTHTOK as pam_unix and
         * pam_sss leave it (pam_matrix wipes it in place after its check):
         * pam_set_items puts back $PAM_AUTHTOK, which the test sets. */
        snprintf(p, sizeof(p), "%s/kagi-keeps-authtok", f->pamdir);
        r = write_file(p, 0644,
                       "auth     [success=ok ignore=2 default=die] %s config=%s preauth\n"
                       "auth     [success=1 default=ignore]   %s passdb=%s\n"
                       "auth     [default=die]                %s config=%s authfail\n"
                       "auth     optional                     %s\n"
                       "auth     required                     %s config=%s\n",
                       mod, f->conf, PAM_MATRIX, f->matrix, mod, f->conf, PAM_SET_ITEMS, mod, f->conf);
        if (r < 0)
                return r;
        /* The documented stack as sites had it before the jump on a role's
         * target or a shared ID: the password module checks that account's
         * own password first (which must count for nothing). */
        snprintf(p, sizeof(p), "%s/kagi-requisite", f->pamdir);
        r = write_file(p, 0644,
                       "auth     optional                     %s\n"
                       "auth     requisite                    %s config=%s preauth\n"
                       "auth     [success=1 default=ignore]   %s passdb=%s\n"
                       "auth     [default=die]                %s config=%s authfail\n"
                       "auth     required                     %s config=%s\n"
                       "account  required                     %s config=%s\n",
                       PAM_SET_ITEMS, mod, f->conf, PAM_MATRIX, f->matrix, mod, f->conf, mod, f->conf, mod, f->conf);
        if (r < 0)
                return r;
        /* kagi alone, no password module before it; and su's (kagi-su),
         * the same stack, whose tests set PAM_RUSER (the person) */
        for (size_t i = 0; i < 2; i++) {
                snprintf(p, sizeof(p), "%s/%s", f->pamdir, i == 0 ? "kagi-only" : "kagi-su");
                r = write_file(p, 0644,
                               "auth optional %s\nauth required %s config=%s\n"
                               "account optional %s\naccount required %s config=%s\n"
                               "session optional %s\nsession required %s config=%s\n",
                               PAM_SET_ITEMS, mod, f->conf, PAM_SET_ITEMS, mod, f->conf, PAM_SET_ITEMS, mod, f->conf);
                if (r < 0)
                        return r;
        }
        snprintf(p, sizeof(p), "%s/kagi-password", f->pamdir);
        r = write_file(p, 0644, "auth required %s passdb=%s\naccount required pam_permit.so\n", PAM_MATRIX, f->matrix);
        if (r < 0)
                return r;
        snprintf(p, sizeof(p), "%s/kagi-badarg", f->pamdir);
        return write_file(p, 0644, "auth required %s config=%s frobnicate\naccount required %s config=%s wat=1\n",
                          mod, f->conf, mod, f->conf);
}

int fx_setup(struct fx *f, const char *extra)
{
        static const char *const users[] = { "alice", "bob", "carol", "dave", "eve", "frank" };
        char matrix[2048] = "";
        int r;

        memset(f, 0, sizeof(*f));
        /* pam_wrapper reads the service directory once per process, so the
         * paths in the service files must stay the same for all fixtures of
         * one test program: one directory per process, made afresh each time */
        snprintf(f->dir, sizeof(f->dir), "/tmp/kagi-it-%d", (int)getpid());
        if (mkdir(f->dir, 0700) < 0)
                return -errno;
        /* 0755: kagictl run as a non-root admin must reach the config and socket */
        chmod(f->dir, 0755);
        path_join(f->conf, f->dir, "kagi.conf");
        path_join(f->sock, f->dir, "kagid.sock");
        path_join(f->db, f->dir, "kagi.db");
        path_join(f->log, f->dir, "kagid.log");
        path_join(f->passwd, f->dir, "passwd");
        path_join(f->group, f->dir, "group");
        path_join(f->pamdir, f->dir, "pam.d");
        path_join(f->matrix, f->dir, "matrix.db");

        r = write_file(f->passwd, 0644,
                       "root:x:0:0:root:/root:/bin/sh\n"
                       "alice:x:1000:1000:Alice Example:/home/alice:/bin/sh\n"
                       "bob:x:1001:1001:Bob Example:/home/bob:/bin/sh\n"
                       "carol:x:1002:1002:Carol Example:/home/carol:/bin/sh\n"
                       "dave:x:1003:1003:Dave Operator:/home/dave:/bin/sh\n"
                       "eve:x:1004:1004:Eve Auditor:/home/eve:/bin/sh\n"
                       "frank:x:1005:1005:Frank Example:/home/frank:/bin/sh\n"
                       "madoguchi01:x:2001:2001:Counter 1 (shared):/home/madoguchi01:/bin/sh\n"
                       "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
        if (r >= 0)
                r = write_file(f->group, 0644,
                               "root:x:0:\nalice:x:1000:\nbob:x:1001:\ncarol:x:1002:\ndave:x:1003:\n"
                               "eve:x:1004:\nfrank:x:1005:\nwheel:x:10:dave\nkagi-admin:x:990:eve\n"
                               "madoguchi01:x:2001:\ncounter:x:2100:carol\n"
                               "nogroup:x:65534:\n");
        for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
                size_t n = strlen(matrix);
                /* the documented stack's password module, and kagid's own
                 * password service (the person behind su, grant requests) */
                snprintf(matrix + n, sizeof(matrix) - n, "%s:pw-%s:kagi-stack\n%s:pw-%s:kagi-password\n", users[i],
                         users[i], users[i], users[i]);
        }
        /* ghost: known to the password module, unknown to kagi's directory */
        if (r >= 0)
                r = write_file(f->matrix, 0600,
                               "%sghost:pw-ghost:kagi-stack\nmadoguchi01:pw-shared:kagi-stack\n"
                               "madoguchi01:pw-shared:kagi-requisite\nalice:pw-alice:kagi-requisite\n",
                               matrix);
        /* extra text starting with [broker] adds keys to the fixture's own [broker] */
        {
                const char *broker_more = "", *rest = extra ? extra : "";
                char more[1024] = "";

                if (strncmp(rest, "[broker]\n", 9) == 0) {
                        const char *end = strstr(rest + 9, "\n[");
                        size_t n = end ? (size_t)(end + 1 - (rest + 9)) : strlen(rest + 9);

                        snprintf(more, sizeof(more), "%.*s", (int)n, rest + 9);
                        broker_more = more;
                        rest = rest + 9 + n;
                }
                if (r >= 0)
                        r = write_file(f->conf, 0644,
                                       "[broker]\nsocket = %s\ndatabase = %s\nkey_dir = %s/keys\nworkers = 4\n"
                                       "cgroup_root = kagi-test-%d\n%s"
                                       "[pam]\ntimeout = 3\n%s",
                                       f->sock, f->db, f->dir, (int)getpid(), broker_more, rest);
        }
        if (r >= 0)
                r = write_pam_services(f);
        if (r < 0) {
                fx_teardown(f);
                return r;
        }
        /* only the PAM children and kagid get pam_wrapper's services: every
         * other program it is preloaded into would make a /tmp/pam.X of its
         * own, and one that execs leaves it behind */
        snprintf(pam_services, sizeof(pam_services), "%s", f->pamdir);
        r = fx_start(f);
        if (r < 0) {
                char log[4096];
                fx_log(f, log, sizeof(log));
                fprintf(stderr, "harness: kagid did not start:\n%s\n", log);
        }
        return r;
}

static bool broker_answers(const char *sock)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool ok;

        if (strlen(sock) >= sizeof(sa.sun_path)) {
                if (fd >= 0)
                        close(fd);
                return false;
        }
        memcpy(sa.sun_path, sock, strlen(sock) + 1);
        ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
        if (fd >= 0)
                close(fd);
        return ok;
}

int fx_start(struct fx *f)
{
        const char *kagid = env_or_die("KAGID");
        pid_t pid = fork();

        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int fd = open(f->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

                /* a test that dies without its teardown takes its broker along */
                prctl(PR_SET_PDEATHSIG, SIGTERM);

                if (fd >= 0) {
                        dup2(fd, STDERR_FILENO);
                        dup2(fd, STDOUT_FILENO);
                }
                /* kagid's accounts, and its own PAM service for the passwords
                 * it checks itself (kagi-password: pam_matrix) */
                setenv("LD_PRELOAD", "libnss_wrapper.so libpam_wrapper.so", 1);
                setenv("NSS_WRAPPER_PASSWD", f->passwd, 1);
                setenv("NSS_WRAPPER_GROUP", f->group, 1);
                /* RTLD_DEEPBIND and the sanitizers do not mix */
                setenv("NSS_WRAPPER_DISABLE_DEEPBIND", "1", 1);
                setenv("PAM_WRAPPER", "1", 1);
                setenv("PAM_WRAPPER_SERVICE_DIR", f->pamdir, 1);
                execl(kagid, "kagid", "-f", "-c", f->conf, (char *)NULL);
                _exit(127);
        }
        f->pid = pid;
        /* up to 30 s: kagid may run under valgrind */
        for (int i = 0; i < 1200; i++) {
                int status;

                if (broker_answers(f->sock))
                        return 0;
                if (waitpid(pid, &status, WNOHANG) == pid) {
                        f->pid = 0;
                        return -ECHILD;
                }
                usleep(25000);
        }
        return -ETIMEDOUT;
}

int fx_stop(struct fx *f, int sig)
{
        int status = 0;

        if (f->pid <= 0)
                return 0;
        kill(f->pid, sig);
        if (sig == SIGSTOP)
                return 0;
        waitpid(f->pid, &status, 0);
        f->pid = 0;
        if (sig == SIGKILL)
                return 0;
        /* a clean stop exits 0; a sanitizer report makes it fail */
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The cgroup2 mount, from mountinfo: "... MOUNTPOINT OPTS ... - cgroup2 ..." */
static bool cgroup2_mount(char *buf, size_t size)
{
        FILE *m = fopen("/proc/self/mountinfo", "re");
        char line[4096];
        bool found = false;

        while (m && !found && fgets(line, sizeof(line), m)) {
                char mnt[sizeof(line)];                 /* as wide as %4095s may write */

                if (strstr(line, " - cgroup2 ") && sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1 &&
                    strlen(mnt) < size) {
                        snprintf(buf, size, "%s", mnt);
                        found = true;
                }
        }
        if (m)
                fclose(m);
        return found;
}

/* The sessions this program's kagids left (the fixture's cgroup_root):
 * killed, then their cgroups removed deepest first. */
static void remove_cgroups(void)
{
        char mnt[FX_PATH], root[FX_PATH + 64], cmd[4 * FX_PATH + 512];
        struct stat st;

        if (!cgroup2_mount(mnt, sizeof(mnt)))
                return;
        snprintf(root, sizeof(root), "%s/kagi-test-%d", mnt, (int)getpid());
        if (stat(root, &st) < 0)
                return;
        snprintf(cmd, sizeof(cmd),
                 "echo 1 > '%s/cgroup.kill' 2>/dev/null; for i in 1 2 3 4 5 6 7 8 9 10; do "
                 "grep -q 'populated 0' '%s/cgroup.events' && break; sleep 0.1; done; "
                 "find '%s' -depth -type d -exec rmdir {} + 2>/dev/null",
                 root, root, root);
        if (system(cmd) != 0 && stat(root, &st) == 0)
                fprintf(stderr, "harness: could not remove the cgroups below %s\n", root);
}

int fx_teardown(struct fx *f)
{
        char cmd[FX_PATH + 32];
        int r = 0;

        if (f->pid > 0) {
                kill(f->pid, SIGCONT);
                r = fx_stop(f, SIGTERM);
                if (r != 0) {
                        static char log[1 << 16];
                        fx_log(f, log, sizeof(log));
                        fprintf(stderr, "harness: kagid exited with %d on SIGTERM; its log:\n%s\n", r, log);
                }
        }
        remove_cgroups();
        /* KAGI_TEST_KEEP=1 keeps each fixture's directory (kagid.log, kagi.db)
         * for a look, moved aside since the next fixture needs the path */
        if (f->dir[0] && strncmp(f->dir, "/tmp/kagi-it-", 13) == 0 && getenv("KAGI_TEST_KEEP")) {
                static int kept;
                char to[FX_PATH];

                snprintf(to, sizeof(to), "%s.%d", f->dir, ++kept);
                if (rename(f->dir, to) == 0)
                        fprintf(stderr, "harness: kept %s\n", to);
        } else if (f->dir[0] && strncmp(f->dir, "/tmp/kagi-it-", 13) == 0) {
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
                if (system(cmd) != 0)
                        fprintf(stderr, "harness: could not remove %s\n", f->dir);
        }
        unsetenv("PAM_WRAPPER_SERVICE_DIR");
        return r == 0 ? 0 : -1;
}

static int run_capture(const char *prog, const char *const argv[], uid_t uid, gid_t gid, bool as_other,
                       const char *input, char *out, size_t outsz)
{
        int pipefd[2], inpipe[2] = { -1, -1 }, status;
        size_t used = 0;
        pid_t pid;

        if (pipe2(pipefd, O_CLOEXEC) < 0 || (input && pipe2(inpipe, O_CLOEXEC) < 0))
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                const char *args[32];
                size_t n = 0;

                dup2(pipefd[1], STDOUT_FILENO);
                dup2(pipefd[1], STDERR_FILENO);
                if (input)
                        dup2(inpipe[0], STDIN_FILENO);
                /* the tools need no PAM wrapper, whose start-up can print
                 * its own complaints under parallel load */
                unsetenv("LD_PRELOAD");
                unsetenv("PAM_WRAPPER");
                if (as_other && (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0))
                        _exit(126);
                args[n++] = prog;
                for (size_t i = 0; argv[i] && n < 31; i++)
                        args[n++] = argv[i];
                args[n] = NULL;
                execv(prog, (char *const *)args);
                _exit(127);
        }
        close(pipefd[1]);
        if (input) {
                /* what the user would type, then end of input */
                close(inpipe[0]);
                if (write(inpipe[1], input, strlen(input)) < 0)
                        fprintf(stderr, "harness: cannot feed %s: %s\n", prog, strerror(errno));
                close(inpipe[1]);
        }
        for (;;) {
                ssize_t r;
                char sink[4096];

                if (used + 1 < outsz)
                        r = read(pipefd[0], out + used, outsz - 1 - used);
                else
                        r = read(pipefd[0], sink, sizeof(sink));
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        break;
                if (used + 1 < outsz)
                        used += (size_t)r;
        }
        if (outsz)
                out[used] = '\0';
        close(pipefd[0]);
        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int kagictl(struct fx *f, bool as_other, uid_t uid, gid_t gid, const char *input, char *out, size_t outsz,
                   const char *const argv[])
{
        const char *args[32] = { "-c", f->conf };
        const char *prog = env_or_die("KAGICTL");
        char copy[FX_PATH];
        size_t n = 2;
        char dummy[64];

        /* another uid runs a copy it can reach, whatever the checkout's path */
        if (as_other) {
                if (copy_program(f, prog, "kagictl", copy) < 0)
                        return -EIO;
                prog = copy;
        }
        for (size_t i = 0; argv[i] && n < 31; i++)
                args[n++] = argv[i];
        args[n] = NULL;
        if (!out) {
                out = dummy;
                outsz = sizeof(dummy);
        }
        return run_capture(prog, args, uid, gid, as_other, input, out, outsz);
}

int fx_kagictl(struct fx *f, char *out, size_t outsz, const char *const argv[])
{
        return kagictl(f, false, 0, 0, NULL, out, outsz, argv);
}

int fx_kagictl_as(struct fx *f, uid_t uid, gid_t gid, char *out, size_t outsz, const char *const argv[])
{
        return kagictl(f, true, uid, gid, NULL, out, outsz, argv);
}

int fx_kagictl_typed(struct fx *f, uid_t uid, const char *input, char *out, size_t outsz, const char *const argv[])
{
        return kagictl(f, uid != 0, uid, uid, input, out, outsz, argv);
}

int fx_enroll(struct fx *f, const char *user, const char *secret_b32)
{
        char out[4096];
        const char *argv[] = { "totp", "enroll", user, "--secret", secret_b32, "--no-qr", NULL };
        int r = fx_kagictl(f, out, sizeof(out), argv);

        if (r != 0)
                fprintf(stderr, "harness: enroll %s failed (%d): %s\n", user, r, out);
        return r == 0 ? 0 : -EIO;
}

int fx_status_json(struct fx *f, const char *user, char *out, size_t outsz)
{
        const char *argv[] = { "status", user, "--json", NULL };

        return fx_kagictl(f, out, outsz, argv);
}

void fx_code(const char *secret_b32, int steps, char code[16])
{
        char *secret = NULL;
        size_t len = 0;

        oath_init();
        if (oath_base32_decode(secret_b32, strlen(secret_b32), &secret, &len) != OATH_OK ||
            oath_totp_generate(secret, len, time(NULL) + (time_t)steps * 30, 30, 0, 6, code) != OATH_OK) {
                fprintf(stderr, "harness: cannot compute a code for %s\n", secret_b32);
                abort();
        }
        free(secret);
}

int fx_run_kagid(const char *conf, bool check_only, char *out, size_t outsz)
{
        const char *argv[] = { "-f", "-c", conf, check_only ? "-t" : NULL, NULL };

        return run_capture(env_or_die("KAGID"), argv, 0, 0, false, NULL, out, outsz);
}

int fx_audit_count(struct fx *f, const char *const match[])
{
        static char out[1 << 20];
        const char *argv[] = { "audit", "show", "--json", NULL };
        json_object *all;
        int count = 0;

        if (fx_kagictl(f, out, sizeof(out), argv) != 0) {
                fprintf(stderr, "harness: audit show failed: %s\n", out);
                return -1;
        }
        all = json_tokener_parse(out);
        if (!all || !json_object_is_type(all, json_type_array)) {
                fprintf(stderr, "harness: audit show --json is not a JSON array (%zu bytes): %s\n", strlen(out), out);
                json_object_put(all);
                return -1;
        }
        for (size_t i = 0; i < json_object_array_length(all); i++) {
                json_object *rec = json_object_array_get_idx(all, i);
                bool ok = true;

                for (size_t m = 0; ok && match[m]; m++) {
                        char key[64];
                        const char *eq = strchr(match[m], '=');
                        json_object *v;

                        snprintf(key, sizeof(key), "%.*s", (int)(eq - match[m]), match[m]);
                        ok = json_object_object_get_ex(rec, key, &v) && strcmp(json_object_get_string(v), eq + 1) == 0;
                }
                count += ok;
        }
        json_object_put(all);
        return count;
}

int fx_log(struct fx *f, char *out, size_t outsz)
{
        int fd = open(f->log, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        out[0] = '\0';
        if (fd < 0)
                return -errno;
        n = read(fd, out, outsz - 1);
        close(fd);
        out[n > 0 ? n : 0] = '\0';
        return 0;
}

bool fx_log_contains(struct fx *f, const char *needle)
{
        static char buf[1 << 18];

        fx_log(f, buf, sizeof(buf));
        return strstr(buf, needle) != NULL;
}

/* ---- a stand-in for kagid -------------------------------------------------- */

static void fake_answer(int fd, const struct fx_fake_answer *answers, size_t n)
{
        _cleanup_(msg_freep) struct kagi_msg *m = msg_new();
        _cleanup_(frame_freep) struct frame *rep = frame_new(KAGI_REP_RESULT);
        const struct fx_fake_answer *a = NULL;
        static const uint8_t challenge[32] = { 1, 2, 3 };

        if (!m || !rep || frame_recv(fd, m, now_ms() + 5000) < 0)
                return;
        for (size_t i = 0; i < n; i++)
                if (answers[i].type == m->type)
                        a = &answers[i];
        frame_put_u32(rep, KAGI_T_DECISION, a ? a->decision : KAGI_ERROR);
        if (a && a->factors)
                frame_put_u32(rep, KAGI_T_FACTORS, a->factors);
        if (a && a->decision == KAGI_CONTINUE)
                frame_put_blob(rep, KAGI_T_CHALLENGE, challenge, sizeof(challenge));
        if (a && a->json)
                frame_put_str(rep, KAGI_T_JSON, a->json);
        frame_send(fd, rep, now_ms() + 5000);
}

pid_t fx_fake_broker(struct fx *f, uid_t uid, const struct fx_fake_answer *answers, size_t n)
{
        int ready[2];
        char ok = 0;
        pid_t pid;

        if (pipe2(ready, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                struct sockaddr_un sa = { .sun_family = AF_UNIX };
                int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

                prctl(PR_SET_PDEATHSIG, SIGKILL);
                close(ready[0]);
                unlink(f->sock);
                if (strlen(f->sock) >= sizeof(sa.sun_path))
                        _exit(1);
                memcpy(sa.sun_path, f->sock, strlen(f->sock) + 1);
                /* bound where only root may create it, then served by uid: the
                 * peer credentials a client sees are those of listen() */
                if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(f->sock, 0666) < 0 ||
                    (uid != 0 && (setgroups(0, NULL) < 0 || setgid(uid) < 0 || setuid(uid) < 0)) ||
                    listen(lfd, 16) < 0)
                        _exit(1);
                if (write(ready[1], "y", 1) != 1)
                        _exit(1);
                close(ready[1]);
                for (;;) {
                        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

                        if (fd < 0)
                                continue;
                        fake_answer(fd, answers, n);
                        close(fd);
                }
        }
        close(ready[1]);
        if (read(ready[0], &ok, 1) != 1 || ok != 'y') {
                close(ready[0]);
                fx_fake_broker_stop(pid);
                return -EIO;
        }
        close(ready[0]);
        return pid;
}

void fx_fake_broker_stop(pid_t pid)
{
        if (pid <= 0)
                return;
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}

/* ---- PAM ------------------------------------------------------------------ */

/* pam_wrapper copies the services into a /tmp/pam.X of each process that
 * calls pam_start and removes it only at exit() — which the PAM children
 * here skip (_exit). Left behind, others take it for stale and remove it,
 * racing with a process that just picked the same name and is filling it
 * ("Failed to copy config files"): each child removes its own before it
 * ends. Only the directory this process made (its pid file says so). */
static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)ftw;
        return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

static noreturn void pam_child_exit(int code)
{
        const char *dir = getenv("PAM_WRAPPER_RUNTIME_DIR");
        char path[256], pid[32] = "";
        FILE *f;


        if (dir && strncmp(dir, "/tmp/pam.", 9) == 0 && snprintf(path, sizeof(path), "%s/pid", dir) < (int)sizeof(path)) {
                f = fopen(path, "re");
                if (f) {
                        if (!fgets(pid, sizeof(pid), f))
                                pid[0] = '\0';
                        fclose(f);
                }
                if (strtol(pid, NULL, 10) == (long)getpid())
                        nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
        }
        fflush(NULL);
        _exit(code);
}

const char FX_DIE[] = "(die here)";

static int record_conv(int n, const struct pam_message **msgs, struct pam_response **ret, void *userdata)
{
        struct fx_conv *c = userdata;
        struct pam_response *resp = calloc((size_t)n, sizeof(*resp));

        if (!resp)
                return PAM_BUF_ERR;
        for (int i = 0; i < n; i++) {
                const struct pam_message *m = msgs[i];

                switch (m->msg_style) {
                case PAM_PROMPT_ECHO_OFF:
                case PAM_PROMPT_ECHO_ON:
                        if (c->n_prompts < FX_MAX_MSGS)
                                snprintf(c->prompts[c->n_prompts++], sizeof(c->prompts[0]), "%s", m->msg);
                        if (c->delay_ms)
                                usleep(c->delay_ms * 1000);
                        if (c->next >= FX_MAX_MSGS || !c->answers[c->next]) {
                                free(resp);
                                return PAM_CONV_ERR;
                        }
                        if (c->answers[c->next] == FX_DIE)
                                raise(SIGKILL);
                        resp[i].resp = strdup(c->answers[c->next++]);
                        break;
                case PAM_ERROR_MSG:
                        if (c->n_errors < FX_MAX_MSGS)
                                snprintf(c->errors[c->n_errors++], sizeof(c->errors[0]), "%s", m->msg);
                        break;
                default:
                        if (c->n_infos < FX_MAX_MSGS)
                                snprintf(c->infos[c->n_infos++], sizeof(c->infos[0]), "%s", m->msg);
                        break;
                }
        }
        *ret = resp;
        return PAM_SUCCESS;
}

static int pam_here(const char *service, const char *user, const char *tty, const char *rhost, const char *ruser,
                    struct fx_conv *c, unsigned ops)
{
        struct pam_testcase cases[5];
        size_t n = 0;
        enum pamtest_err e;
        int rc = PAM_SUCCESS;

        setenv("PAM_WRAPPER_SERVICE_DIR", pam_services, 1);
        /* pam_set_items.so (first in each phase) turns these into PAM items */
        tty ? setenv("PAM_TTY", tty, 1) : unsetenv("PAM_TTY");
        rhost ? setenv("PAM_RHOST", rhost, 1) : unsetenv("PAM_RHOST");
        ruser ? setenv("PAM_RUSER", ruser, 1) : unsetenv("PAM_RUSER");
        if (ops & FX_AUTH)
                cases[n++] = (struct pam_testcase)pam_test_flags(PAMTEST_AUTHENTICATE, PAM_SUCCESS, c->flags);
        if (ops & FX_ACCOUNT)
                cases[n++] = (struct pam_testcase)pam_test_flags(PAMTEST_ACCOUNT, PAM_SUCCESS, c->flags);
        if (ops & FX_SESSION) {
                cases[n++] = (struct pam_testcase)pam_test_flags(PAMTEST_OPEN_SESSION, PAM_SUCCESS, c->flags);
                cases[n++] = (struct pam_testcase)pam_test_flags(PAMTEST_CLOSE_SESSION, PAM_SUCCESS, c->flags);
        }
        e = _pamtest_conv(service, user, record_conv, c, cases, n, NULL);
        if (e == PAMTEST_ERR_CASE) {
                const struct pam_testcase *bad = _pamtest_failed_case(cases, n);
                rc = bad ? bad->op_rv : PAM_SYSTEM_ERR;
        } else if (e != PAMTEST_ERR_OK) {
                fprintf(stderr, "harness: libpamtest: %s\n", pamtest_strerror(e));
                rc = PAM_SYSTEM_ERR;
        }
        unsetenv("PAM_TTY");
        unsetenv("PAM_RHOST");
        unsetenv("PAM_RUSER");
        return rc;
}

/* Each transaction runs in a child, as a real client's would in a process
 * of its own: kagid moves a privileged session's process into a cgroup and
 * ends it by killing that cgroup, which must not be the test program. What
 * the child saw comes back through a shared page. */
int fx_pam_items(struct fx *f, const char *service, const char *user, const char *tty, const char *rhost,
                 const char *ruser, struct fx_conv *c, unsigned ops)
{
        struct fx_conv *shared;
        pid_t pid;
        int status, rc;

        (void)f;
        shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (shared == MAP_FAILED)
                return PAM_BUF_ERR;
        fflush(NULL);
        pid = fork();
        if (pid == 0) {
                rc = pam_here(service, user, tty, rhost, ruser, c, ops);
                *shared = *c;
                pam_child_exit(rc & 0xff);
        }
        rc = PAM_SYSTEM_ERR;
        if (pid > 0 && waitpid(pid, &status, 0) == pid) {
                if (WIFEXITED(status)) {
                        rc = WEXITSTATUS(status);
                        *c = *shared;
                } else if (WIFSIGNALED(status)) {
                        c->died_of = WTERMSIG(status);
                }
        }
        munmap(shared, sizeof(*shared));
        return rc;
}

/* The held session's child: auth, account, open; the result up the pipe;
 * SIGTERM is the logout (close, end), SIGKILL a crash. */
static void hold_child(const char *service, const char *user, const char *tty, const char *ruser, struct fx_conv *c,
                       struct fx_conv *shared, int fd)
{
        struct pam_conv conv = { record_conv, c };
        pam_handle_t *pamh = NULL;
        sigset_t term;
        int rc, sig;

        /* a test that fails leaves no session behind (nor our stdout open) */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        sigemptyset(&term);
        sigaddset(&term, SIGTERM);
        sigprocmask(SIG_BLOCK, &term, NULL);
        setenv("PAM_WRAPPER_SERVICE_DIR", pam_services, 1);
        tty ? setenv("PAM_TTY", tty, 1) : unsetenv("PAM_TTY");
        ruser ? setenv("PAM_RUSER", ruser, 1) : unsetenv("PAM_RUSER");
        unsetenv("PAM_RHOST");
        rc = pam_start(service, user, &conv, &pamh);
        if (rc == PAM_SUCCESS)
                rc = pam_authenticate(pamh, 0);
        if (rc == PAM_SUCCESS)
                rc = pam_acct_mgmt(pamh, 0);
        if (rc == PAM_SUCCESS)
                rc = pam_open_session(pamh, 0);
        *shared = *c;
        if (write(fd, &rc, sizeof(rc)) != sizeof(rc))
                pam_child_exit(1);
        close(fd);
        if (rc == PAM_SUCCESS && sigwait(&term, &sig) == 0)
                rc = pam_close_session(pamh, 0);
        if (pamh)
                pam_end(pamh, rc);
        pam_child_exit(rc & 0xff);
}

int fx_hold(struct fx *f, const char *service, const char *user, const char *tty, const char *ruser, struct fx_conv *c,
            pid_t *ret_pid)
{
        struct fx_conv *shared;
        int fds[2], rc = PAM_SYSTEM_ERR, status;
        pid_t pid;

        (void)f;
        *ret_pid = -1;
        shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (shared == MAP_FAILED)
                return PAM_BUF_ERR;
        if (pipe2(fds, O_CLOEXEC) < 0) {
                munmap(shared, sizeof(*shared));
                return PAM_SYSTEM_ERR;
        }
        fflush(NULL);
        pid = fork();
        if (pid == 0) {
                close(fds[0]);
                hold_child(service, user, tty, ruser, c, shared, fds[1]);
        }
        close(fds[1]);
        if (pid > 0 && read(fds[0], &rc, sizeof(rc)) == sizeof(rc)) {
                *c = *shared;
                if (rc == PAM_SUCCESS)
                        *ret_pid = pid;
        }
        close(fds[0]);
        munmap(shared, sizeof(*shared));
        if (pid > 0 && *ret_pid < 0)
                waitpid(pid, &status, 0);
        return rc;
}

int fx_unhold(pid_t pid, int sig)
{
        int status;

        if (pid <= 0 || kill(pid, sig) < 0 || waitpid(pid, &status, 0) != pid)
                return -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int fx_pam(struct fx *f, const char *service, const char *user, struct fx_conv *c, unsigned ops)
{
        return fx_pam_items(f, service, user, NULL, NULL, NULL, c, ops);
}

int fx_login(struct fx *f, const char *user, const char *password, const char *code, struct fx_conv *c)
{
        memset(c, 0, sizeof(*c));
        c->answers[0] = password;
        c->answers[1] = code;
        return fx_pam(f, "kagi-stack", user, c, FX_AUTH);
}

void fx_right_answers(struct fx_conv *c, const char *user)
{
        memset(c, 0, sizeof(*c));
        snprintf(c->password, sizeof(c->password), "pw-%s", user);
        fx_code(FX_SECRET_ALICE, 0, c->code);
        c->answers[0] = c->password;
        c->answers[1] = c->code;
}

int fx_login_right(struct fx *f, const char *user, struct fx_conv *c)
{
        fx_right_answers(c, user);
        return fx_pam(f, "kagi-stack", user, c, FX_AUTH);
}

int fx_parallel_logins(struct fx *f, int n, int (*login)(struct fx *f, const char *user, struct fx_conv *c),
                       const char *user)
{
        pid_t kids[64];
        int started = 0, succeeded = 0;
        bool ok = n >= 0 && (size_t)n <= sizeof(kids) / sizeof(kids[0]);

        for (; ok && started < n; started++) {
                kids[started] = fork();
                if (kids[started] < 0) {
                        ok = false;
                        break;
                }
                if (kids[started] == 0) {
                        struct fx_conv c;

                        _exit(login(f, user, &c) == PAM_SUCCESS ? 1 : 0);
                }
        }
        for (int i = 0; i < started; i++) {
                int status;

                if (waitpid(kids[i], &status, 0) != kids[i] || !WIFEXITED(status) || WEXITSTATUS(status) > 1)
                        ok = false;
                else
                        succeeded += WEXITSTATUS(status);
        }
        return ok ? succeeded : -1;
}

bool fx_said(const struct fx_conv *c, const char *needle)
{
        for (size_t i = 0; i < c->n_errors; i++)
                if (strstr(c->errors[i], needle))
                        return true;
        for (size_t i = 0; i < c->n_infos; i++)
                if (strstr(c->infos[i], needle))
                        return true;
        return false;
}

void fx_conv_print(const struct fx_conv *c)
{
        for (size_t i = 0; i < c->n_prompts; i++)
                fprintf(stderr, "harness: prompt: %s\n", c->prompts[i]);
        for (size_t i = 0; i < c->n_errors; i++)
                fprintf(stderr, "harness: error: %s\n", c->errors[i]);
        for (size_t i = 0; i < c->n_infos; i++)
                fprintf(stderr, "harness: info: %s\n", c->infos[i]);
}

struct fx *fx_new(const char *extra, const char *const enroll[])
{
        struct fx *f = calloc(1, sizeof(*f));

        if (!f)
                return NULL;
        if (fx_setup(f, extra) < 0) {
                fx_teardown(f);
                free(f);
                return NULL;
        }
        for (size_t i = 0; enroll && enroll[i]; i++) {
                if (fx_enroll(f, enroll[i], FX_SECRET_ALICE) < 0) {
                        fx_free(f);
                        return NULL;
                }
        }
        return f;
}

int fx_free(struct fx *f)
{
        int r;

        if (!f)
                return 0;
        r = fx_teardown(f);
        free(f);
        return r;
}
