/* The pcscd + virtual card fixture (see fixture.h). It talks to pcscd
 * through libpcsclite itself, not through libkagi-card, so it stays a
 * neutral referee for the library's tests. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <winscard.h>

#include "fixture.h"

/* Anything that normally takes milliseconds gets this long before the
 * fixture gives up: slow machines must not fail tests. */
#define FIXTURE_DEADLINE_MS 60000
#define EXIT_NO_NAMESPACE 77
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int64_t mono_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

        nanosleep(&ts, NULL);
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        fputs("fixture: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
}

static void show_log(const char *path)
{
        char line[512];
        FILE *f = fopen(path, "re");

        if (!f)
                return;
        say("---- %s ----", path);
        while (fgets(line, sizeof(line), f))
                fputs(line, stderr);
        fclose(f);
}

static const char *path_in(const char *dir, const char *name)
{
        static char paths[8][PATH_MAX];
        static unsigned next;
        char *p = paths[next++ % 8];

        snprintf(p, PATH_MAX, "%s/%s", dir, name);
        return p;
}

const char *fixture_pki(struct card_fixture *f, const char *name)
{
        return path_in(f->pki_dir, name);
}

const char *fixture_file(struct card_fixture *f, const char *name)
{
        return path_in(f->dir, name);
}

/* In a child: output to a log in the fixture directory, die with the
 * parent, no preloads. Returns only if the parent is still there. */
static void child_setup(const char *log, pid_t parent)
{
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
                _exit(1);
        if (fd >= 0) {
                dup2(fd, STDOUT_FILENO);
                dup2(fd, STDERR_FILENO);
        }
        if (null >= 0)
                dup2(null, STDIN_FILENO);
        /* pcscd, the card and the tools must not run under a test's
         * pam_wrapper / nss_wrapper preloads */
        unsetenv("LD_PRELOAD");
}

int fixture_run(struct card_fixture *f, const char *const *argv)
{
        char log[PATH_MAX];
        pid_t parent = getpid(), pid;
        int status;

        snprintf(log, sizeof(log), "%s/commands.log", f->dir);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                child_setup(log, parent);
                execv(argv[0], (char *const *)argv);
                _exit(127);
        }
        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int fixture_init(struct card_fixture *f)
{
        const char *tmp = getenv("TMPDIR");
        int r;

        memset(f, 0, sizeof(*f));
        /* the socket path must fit in sun_path */
        if (!tmp || !*tmp || strlen(tmp) > 32)
                tmp = "/tmp";
        snprintf(f->dir, sizeof(f->dir), "%s/kagi-card-XXXXXX", tmp);
        if (!mkdtemp(f->dir)) {
                r = -errno;
                say("mkdtemp %s: %s", f->dir, strerror(-r));
                f->dir[0] = '\0';
                return r;
        }
        snprintf(f->pki_dir, sizeof(f->pki_dir), "%s/pki", f->dir);
        snprintf(f->vcard_state, sizeof(f->vcard_state), "%s/vcard.state", f->dir);
        snprintf(f->socket, sizeof(f->socket), "%s/run/pcscd/pcscd.comm", f->dir);
        snprintf(f->reader, sizeof(f->reader), "%s", FIXTURE_READER_NAME);
        /* before any PC/SC call of this process: libpcsclite reads it once */
        setenv("PCSCLITE_CSOCK_NAME", f->socket, 1);

        r = fixture_run(f, (const char *[]){ "/bin/sh", KAGI_TEST_PKI_SCRIPT, f->pki_dir, NULL });
        if (r != 0) {
                say("make-test-pki.sh failed (%d)", r);
                show_log(fixture_file(f, "commands.log"));
                return r < 0 ? r : -EIO;
        }
        return 0;
}

int fixture_start(struct card_fixture *f, bool *ret_unavailable)
{
        int r = fixture_init(f);

        if (r >= 0)
                r = fixture_pcscd_start(f);
        if (r == -EPERM) {
                say("no private pcscd possible here: the tests are skipped");
                *ret_unavailable = true;
                return 0;
        }
        if (r >= 0)
                *ret_unavailable = false;
        return r;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        remove(path);
        return 0;
}

void fixture_cleanup(struct card_fixture *f)
{
        const char *keep = getenv("KAGI_TEST_KEEP");

        fixture_vcard_stop(f);
        fixture_pcscd_stop(f);
        if (!f->dir[0])
                return;
        if (keep && strcmp(keep, "1") == 0)
                say("kept %s", f->dir);
        else
                nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        f->dir[0] = '\0';
}

/* A port P with P+1 also free: vpcd listens on one port per slot. */
static int pick_port(unsigned *ret)
{
        for (int attempt = 0; attempt < 50; attempt++) {
                struct sockaddr_in sa = { .sin_family = AF_INET };
                socklen_t len = sizeof(sa);
                int a = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                int b = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                unsigned port = 0;

                if (a >= 0 && b >= 0 && bind(a, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
                    getsockname(a, (struct sockaddr *)&sa, &len) == 0 && ntohs(sa.sin_port) < 65535) {
                        port = ntohs(sa.sin_port);
                        sa.sin_port = htons((uint16_t)(port + 1));
                        if (bind(b, (struct sockaddr *)&sa, sizeof(sa)) != 0)
                                port = 0;
                }
                if (a >= 0)
                        close(a);
                if (b >= 0)
                        close(b);
                if (port) {
                        *ret = port;
                        return 0;
                }
        }
        return -EADDRINUSE;
}

static int write_file(const char *path, const char *text)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = write(fd, text, strlen(text));
        close(fd);
        return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

static void die_child(const char *what)
{
        fprintf(stderr, "fixture: pcscd namespace: %s: %s\n", what, strerror(errno));
        _exit(errno == EPERM ? EXIT_NO_NAMESPACE : 126);
}

/* Own mount namespace (with a user namespace when not root): /run is ours,
 * the USB driver directory is empty, vpcd is reachable at driver_path. */
static void enter_namespace(struct card_fixture *f, const char *driver_path)
{
        uid_t uid = getuid();
        gid_t gid = getgid();
        char run[PATH_MAX], map[64];
        struct stat st;

        if (unshare(CLONE_NEWNS) < 0) {
                if (errno != EPERM || unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
                        die_child("unshare");
                snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
                if (write_file("/proc/self/uid_map", map) < 0)
                        die_child("uid_map");
                write_file("/proc/self/setgroups", "deny");
                snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
                if (write_file("/proc/self/gid_map", map) < 0)
                        die_child("gid_map");
        }
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                die_child("make / private");
        snprintf(run, sizeof(run), "%s/run", f->dir);
        if (mount(run, "/run", NULL, MS_BIND, NULL) < 0)
                die_child("bind /run");
        if (mount(KAGI_VPCD_DRIVER, driver_path, NULL, MS_BIND, NULL) < 0)
                die_child("bind the vpcd driver");
        if (stat(KAGI_PCSC_DROPDIR, &st) == 0 &&
            mount("tmpfs", KAGI_PCSC_DROPDIR, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
                die_child("hide the USB drivers");
}

static int reader_listed(const struct card_fixture *f, bool *ret_listed)
{
        SCARDCONTEXT ctx;
        char names[4096];
        DWORD len = sizeof(names);
        LONG rv;

        *ret_listed = false;
        rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
        if (rv != SCARD_S_SUCCESS)
                return -EAGAIN;
        rv = SCardListReaders(ctx, NULL, names, &len);
        SCardReleaseContext(ctx);
        if (rv == SCARD_E_NO_READERS_AVAILABLE)
                return 0;
        if (rv != SCARD_S_SUCCESS)
                return -EAGAIN;
        for (const char *p = names; *p && p < names + len; p += strlen(p) + 1)
                if (strcmp(p, f->reader) == 0)
                        *ret_listed = true;
        return 0;
}

static int pcscd_exited(struct card_fixture *f)
{
        int status;

        if (waitpid(f->pcscd, &status, WNOHANG) != f->pcscd)
                return 0;
        f->pcscd = 0;
        if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_NO_NAMESPACE)
                return -EPERM;
        return -ECHILD;
}

/* 0 ready, -EADDRINUSE when pcscd came up without our reader (the port was
 * taken meanwhile: try another), other negative errno on failure. */
static int pcscd_wait_ready(struct card_fixture *f)
{
        int64_t deadline = mono_ms() + FIXTURE_DEADLINE_MS, reader_deadline = 0;

        while (mono_ms() < deadline) {
                bool listed;
                int r = pcscd_exited(f);

                if (r < 0)
                        return r;
                if (access(f->socket, F_OK) == 0 && reader_listed(f, &listed) == 0) {
                        if (listed || f->no_reader)
                                return 0;
                        /* readers from reader.conf come up before the socket;
                         * a little grace only saves a restart */
                        if (!reader_deadline)
                                reader_deadline = mono_ms() + 3000;
                        else if (mono_ms() > reader_deadline)
                                return -EADDRINUSE;
                }
                sleep_ms(20);
        }
        return -ETIMEDOUT;
}

static int pcscd_spawn(struct card_fixture *f)
{
        char conf_dir[128], conf[160], text[512], driver[128], log[128];
        pid_t parent = getpid();
        int r;

        snprintf(conf_dir, sizeof(conf_dir), "%s/reader.conf.d", f->dir);
        snprintf(conf, sizeof(conf), "%s/vpcd", conf_dir);
        snprintf(driver, sizeof(driver), "%s/libifdvpcd.so", f->dir);
        snprintf(log, sizeof(log), "%s/pcscd.log", f->dir);
        mkdir(conf_dir, 0755);
        unlink(conf);
        if ((r = write_file(driver, "")) < 0)
                return r;
        snprintf(text, sizeof(text),
                 "FRIENDLYNAME \"Kagi Test PCD\"\nDEVICENAME /dev/null:%u\nLIBPATH %s\nCHANNELID %u\n",
                 f->port, driver, f->port);
        if (!f->no_reader && (r = write_file(conf, text)) < 0)
                return r;

        f->pcscd = fork();
        if (f->pcscd < 0) {
                r = -errno;
                f->pcscd = 0;
                return r;
        }
        if (f->pcscd == 0) {
                child_setup(log, parent);
                enter_namespace(f, driver);
                execl(KAGI_PCSCD, "pcscd", "--foreground", "--info", "--config", conf_dir, (char *)NULL);
                fprintf(stderr, "fixture: exec %s: %s\n", KAGI_PCSCD, strerror(errno));
                _exit(127);
        }
        return 0;
}

int fixture_pcscd_start(struct card_fixture *f)
{
        char run[PATH_MAX];
        int r = -EADDRINUSE;

        if (f->pcscd)
                return 0;
        snprintf(run, sizeof(run), "%s/run", f->dir);
        mkdir(run, 0755);
        for (int attempt = 0; attempt < 5 && r == -EADDRINUSE; attempt++) {
                /* a pcscd killed hard leaves its socket and pid file */
                unlink(f->socket);
                unlink(fixture_file(f, "run/pcscd/pcscd.pid"));
                if ((r = pick_port(&f->port)) < 0 || (r = pcscd_spawn(f)) < 0)
                        break;
                r = pcscd_wait_ready(f);
                if (r == -EADDRINUSE) {
                        say("vpcd port %u was taken, trying another", f->port);
                        fixture_pcscd_stop(f);
                }
        }
        if (r == -EPERM)
                say("cannot make a private mount namespace for pcscd (needs root or user namespaces)");
        else if (r < 0) {
                say("pcscd did not come up: %s", strerror(-r));
                show_log(fixture_file(f, "pcscd.log"));
                fixture_pcscd_stop(f);
        }
        return r;
}

/* Sends sig, waits (bounded) for the exit, then insists. */
static void stop_child(pid_t *pid, int sig)
{
        int64_t deadline = mono_ms() + FIXTURE_DEADLINE_MS;

        if (*pid <= 0)
                return;
        kill(*pid, sig);
        while (waitpid(*pid, NULL, WNOHANG) == 0) {
                if (mono_ms() > deadline) {
                        kill(*pid, SIGKILL);
                        waitpid(*pid, NULL, 0);
                        break;
                }
                sleep_ms(10);
        }
        *pid = 0;
}

void fixture_pcscd_stop(struct card_fixture *f)
{
        stop_child(&f->pcscd, SIGTERM);
}

/* Waits until pcscd reports the card present (or absent) in our reader. */
static int wait_card(struct card_fixture *f, bool present)
{
        int64_t deadline = mono_ms() + FIXTURE_DEADLINE_MS;
        SCARD_READERSTATE st = { .szReader = f->reader, .dwCurrentState = SCARD_STATE_UNAWARE };
        SCARDCONTEXT ctx;
        LONG rv;
        int r = -ETIMEDOUT;

        if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS)
                return -EHOSTDOWN;
        while (mono_ms() < deadline) {
                int status;

                rv = SCardGetStatusChange(ctx, 200, &st, 1);
                if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT) {
                        r = -EIO;
                        break;
                }
                if (rv == SCARD_S_SUCCESS)
                        st.dwCurrentState = st.dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
                if (!!(st.dwEventState & SCARD_STATE_PRESENT) == present &&
                    !(present && (st.dwEventState & SCARD_STATE_MUTE))) {
                        r = 0;
                        break;
                }
                if (present && f->vcard && waitpid(f->vcard, &status, WNOHANG) == f->vcard) {
                        f->vcard = 0;
                        r = -ECHILD;
                        break;
                }
        }
        SCardReleaseContext(ctx);
        return r;
}

int fixture_vcard_start(struct card_fixture *f, const char *const *args)
{
        const char *argv[64];
        char port[16], log[PATH_MAX];
        size_t n = 0;
        pid_t parent = getpid();
        int r;

        if (f->vcard)
                fixture_vcard_stop(f);
        snprintf(port, sizeof(port), "%u", f->port);
        snprintf(log, sizeof(log), "%s/vcard.log", f->dir);
        argv[n++] = KAGI_VCARD;
        argv[n++] = "--port";
        argv[n++] = port;
        argv[n++] = "--state";
        argv[n++] = f->vcard_state;
        for (; args && *args && n < ARRAY_LEN(argv) - 1; args++)
                argv[n++] = *args;
        argv[n] = NULL;

        f->vcard = fork();
        if (f->vcard < 0) {
                r = -errno;
                f->vcard = 0;
                return r;
        }
        if (f->vcard == 0) {
                child_setup(log, parent);
                execv(KAGI_VCARD, (char *const *)argv);
                _exit(127);
        }
        r = wait_card(f, true);
        if (r < 0) {
                say("the virtual card did not show up: %s", strerror(-r));
                show_log(log);
                show_log(fixture_file(f, "pcscd.log"));
                fixture_vcard_stop(f);
        }
        return r;
}

void fixture_vcard_stop(struct card_fixture *f)
{
        if (!f->vcard)
                return;
        stop_child(&f->vcard, SIGTERM);
        if (f->pcscd)
                wait_card(f, false);
}

int fixture_wait_empty(struct card_fixture *f)
{
        return wait_card(f, false);
}

int fixture_vcard_pull(struct card_fixture *f)
{
        if (!f->vcard || kill(f->vcard, SIGUSR1) < 0)
                return -ESRCH;
        return wait_card(f, false);
}

int fixture_vcard_push(struct card_fixture *f)
{
        if (!f->vcard || kill(f->vcard, SIGUSR2) < 0)
                return -ESRCH;
        return wait_card(f, true);
}

int fixture_vcard_tries(struct card_fixture *f, const char *app)
{
        char key[32], want[32];
        unsigned v;
        int r = -ENOENT;
        FILE *s = fopen(f->vcard_state, "re");

        if (!s)
                return -errno;
        snprintf(want, sizeof(want), "%s_pin_tries", app);
        while (fscanf(s, "%31s %u", key, &v) == 2)
                if (strcmp(key, want) == 0)
                        r = (int)v;
        fclose(s);
        return r;
}
