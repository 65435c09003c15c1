/* Driving tests/ldap/slapd-fixture.sh from C tests. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "directory.h"
#include "log.h"
#include "slapd.h"

static const char *fixture(void)
{
        const char *f = getenv("KAGI_SLAPD_FIXTURE");

        if (!f || !*f) {
                fprintf(stderr, "slapd: KAGI_SLAPD_FIXTURE is not set (run through meson test)\n");
                return NULL;
        }
        return f;
}

/* Runs the fixture with cmd and DIR, feeding `in` (may be NULL) to its
 * stdin and collecting stdout into out. Returns its exit status or -errno. */
static int run_fixture(const struct slapd *s, const char *cmd, const char *extra_arg, const char *in,
                       char *out, size_t outsz)
{
        const char *f = fixture();
        int inp[2] = { -1, -1 }, outp[2] = { -1, -1 }, status;
        size_t got = 0;
        pid_t pid;

        if (!f)
                return -ENOENT;
        if (pipe2(inp, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                dup2(inp[0], 0);
                dup2(outp[1], 1);
                execl("/bin/bash", "bash", f, cmd, s->dir, extra_arg, (char *)NULL);
                _exit(127);
        }
        close(inp[0]);
        close(outp[1]);
        if (in) {
                size_t len = strlen(in), off = 0;

                while (off < len) {
                        ssize_t n = write(inp[1], in + off, len - off);

                        if (n <= 0)
                                break;
                        off += (size_t)n;
                }
        }
        close(inp[1]);
        for (;;) {
                char buf[512];
                ssize_t n = read(outp[0], buf, sizeof(buf));

                if (n <= 0)
                        break;
                for (ssize_t i = 0; i < n && out && got + 1 < outsz; i++)
                        out[got++] = buf[i];
        }
        if (out && outsz)
                out[got] = '\0';
        close(outp[0]);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void env_value(const char *env, const char *name, char *buf, size_t size)
{
        size_t n = strlen(name);

        buf[0] = '\0';
        for (const char *p = env; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
                if (strncmp(p, name, n) == 0 && p[n] == '=') {
                        snprintf(buf, size, "%.*s", (int)strcspn(p + n + 1, "\n"), p + n + 1);
                        return;
                }
        }
}

int slapd_start(struct slapd *s)
{
        char out[4096], owner[32];
        const char *tmp = getenv("TMPDIR");
        int r;

        *s = (struct slapd){ 0 };
        snprintf(s->dir, sizeof(s->dir), "%s/kagi-slapd-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(s->dir))
                return -errno;
        snprintf(owner, sizeof(owner), "%ld", (long)getpid());
        r = run_fixture(s, "start", owner, NULL, out, sizeof(out));
        if (r != 0) {
                fprintf(stderr, "slapd: the fixture could not start slapd (exit %d)\n", r);
                return -EIO;
        }
        env_value(out, "LDAP_URI", s->ldap_uri, sizeof(s->ldap_uri));
        env_value(out, "LDAPS_URI", s->ldaps_uri, sizeof(s->ldaps_uri));
        env_value(out, "LDAP_BASE", s->base, sizeof(s->base));
        env_value(out, "LDAP_SERVICE_DN", s->service_dn, sizeof(s->service_dn));
        if (!*s->ldap_uri || !*s->ldaps_uri || !*s->base || !*s->service_dn) {
                fprintf(stderr, "slapd: the fixture printed no URIs:\n%s\n", out);
                return -EIO;
        }
        s->running = true;
        return 0;
}

int slapd_test_start(struct slapd *s)
{
        signal(SIGPIPE, SIG_IGN);
        log_setup(true, false);
        return slapd_start(s);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        remove(path);
        return 0;
}

void slapd_stop(struct slapd *s)
{
        if (!s->dir[0])
                return;
        run_fixture(s, "stop", NULL, NULL, NULL, 0);
        if (!getenv("KAGI_KEEP_SLAPD_DIR"))
                nftw(s->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
        s->running = false;
        s->dir[0] = '\0';
}

int slapd_ctl(struct slapd *s, const char *cmd)
{
        char out[4096];
        int r = run_fixture(s, cmd, NULL, NULL, out, sizeof(out));

        if (r != 0) {
                fprintf(stderr, "slapd: '%s' failed (exit %d)\n", cmd, r);
                return -EIO;
        }
        if (strcmp(cmd, "stop") == 0)
                s->running = false;
        else if (strcmp(cmd, "restart") == 0)
                s->running = true;
        return 0;
}

long slapd_ops(struct slapd *s, const char *op)
{
        char out[1024];
        size_t n = strlen(op);

        if (run_fixture(s, "ops", NULL, NULL, out, sizeof(out)) != 0)
                return -1;
        for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (strncmp(p, op, n) == 0 && p[n] == ' ')
                        return strtol(p + n + 1, NULL, 10);
        return -1;
}

int slapd_modify(struct slapd *s, const char *ldif)
{
        int r = run_fixture(s, "modify", NULL, ldif, NULL, 0);

        if (r != 0) {
                fprintf(stderr, "slapd: ldapmodify failed (exit %d) on:\n%s\n", r, ldif);
                return -EIO;
        }
        return 0;
}

void slapd_path(const struct slapd *s, const char *name, char *buf, size_t size)
{
        snprintf(buf, size, "%s/%s", s->dir, name);
}

struct kagi_config *slapd_config_text(const char *text, char *err, size_t errsz)
{
        struct kagi_config *c = NULL;

        if (config_parse((const uint8_t *)text, strlen(text), "test.conf", &c, err, errsz) < 0)
                return NULL;
        return c;
}

/* Does `extra` set key (a line "key = …")? */
static bool sets_key(const char *extra, const char *key)
{
        size_t n = strlen(key);

        for (const char *p = extra; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
                p += strspn(p, " \t");
                if (strncmp(p, key, n) == 0 && (p[n] == ' ' || p[n] == '='))
                        return true;
        }
        return false;
}

struct kagi_config *slapd_config(const struct slapd *s, const char *extra)
{
        char text[8192], err[1024], pwfile[512], cafile[512];
        size_t o;
        struct kagi_config *c;
        const struct {
                const char *key;
                const char *value;
                const char *unless;          /* also left out when extra sets this */
        } defaults[] = {
                { "uri", s->ldaps_uri, NULL },
                { "base", s->base, NULL },
                { "bind_dn", s->service_dn, "sasl_external" },
                /* bind_dn and its file come and go together */
                { "bind_password_file", pwfile, "bind_dn" },
                { "ca_file", cafile, NULL },
                { "timeout", "2", NULL },
                { "cache_ttl", "0", NULL },
        };

        slapd_path(s, "service.pw", pwfile, sizeof(pwfile));
        slapd_path(s, "ca.pem", cafile, sizeof(cafile));
        extra = extra ? extra : "";
        o = (size_t)snprintf(text, sizeof(text), "[directory]\nbackend = ldap\n");
        for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
                if (sets_key(extra, defaults[i].key) ||
                    (defaults[i].unless && sets_key(extra, defaults[i].unless)) ||
                    (strcmp(defaults[i].key, "bind_password_file") == 0 && sets_key(extra, "sasl_external")))
                        continue;
                o += (size_t)snprintf(text + o, sizeof(text) - o, "%s = %s\n", defaults[i].key, defaults[i].value);
        }
        snprintf(text + o, sizeof(text) - o, "%s\n", extra);
        c = slapd_config_text(text, err, sizeof(err));
        if (!c)
                fprintf(stderr, "slapd_config: %s\n--- config ---\n%s\n", err, text);
        return c;
}

int slapd_directory(const struct slapd *s, const char *extra, struct kagi_config **ret_cfg,
                    struct directory **ret_dir)
{
        struct kagi_config *c = slapd_config(s, extra);
        char err[1024] = "";
        int r;

        if (!c)
                return -EINVAL;
        r = directory_open(c, ret_dir, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "directory_open: %s\n", err);
                config_free(c);
                return r;
        }
        *ret_cfg = c;
        return 0;
}

int slapd_dead_port(void)
{
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(a);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

        if (fd < 0)
                return -1;
        /* the kernel picks a free port; once closed, nothing listens there */
        if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
            getsockname(fd, (struct sockaddr *)&a, &len) == 0)
                port = ntohs(a.sin_port);
        close(fd);
        return port;
}
