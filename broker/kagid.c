/* kagid: the broker daemon. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <liboath/oath.h>

#include "broker.h"
#include "config.h"

static volatile int stop_requested;

static void on_signal(int sig)
{
        (void)sig;
        stop_requested = 1;
}

/* What can be checked before serving: the directory's own files (LDAP bind
 * password, CA, client key), and the card trust anchors when a zone takes
 * cards — without those every card login would be refused, which is worth
 * saying now rather than at the first one. */
static int check_setup(struct broker *b, char *err, size_t errsz)
{
        struct directory *d = NULL;
        char why[512];
        int r;

        r = directory_open(b->cfg, &d, err, errsz);
        if (r < 0)
                return r;
        directory_close(d);
        r = trust_open(b->cfg, &b->trust);
        if (r >= 0)
                r = challenges_new(&b->challenges);
        if (r < 0) {
                snprintf(err, errsz, "out of memory");
                return r;
        }
        if (config_uses_cards(b->cfg))
                trust_load(b->trust, why, sizeof(why));         /* logs what is wrong */
        return 0;
}

static void usage(FILE *f)
{
        fprintf(f, "usage: kagid [-c CONFIG] [-f] [-t] [-d]\n"
                   "  -c CONFIG  configuration file (default %s)\n"
                   "  -f         stay in the foreground and log to stderr\n"
                   "  -t         check the configuration and key files, then exit\n"
                   "  -d         log debug messages\n"
                   "  -V         print the version\n",
                KAGI_DEFAULT_CONFIG);
}

int main(int argc, char **argv)
{
        const char *path = KAGI_DEFAULT_CONFIG;
        bool foreground = false, test_only = false, debug = false;
        struct broker b = { .uid = getuid() };
        char err[1024];
        int opt, r;

        while ((opt = getopt(argc, argv, "c:ftdhV")) != -1) {
                switch (opt) {
                case 'c': path = optarg; break;
                case 'f': foreground = true; break;
                case 't': test_only = true; break;
                case 'd': debug = true; break;
                case 'V': printf("kagid %s\n", KAGI_VERSION); return 0;
                case 'h': usage(stdout); return 0;
                default: usage(stderr); return 2;
                }
        }
        if (optind != argc) {
                usage(stderr);
                return 2;
        }
        umask(077);
        log_setup(foreground || test_only, debug);

        r = config_load(path, b.uid, &b.cfg, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "kagid: %s\n", err);
                return 1;
        }
        r = keys_load(b.cfg->key_dir, b.uid, !test_only, &b.keys, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "kagid: %s\n", err);
                config_free(b.cfg);
                return 1;
        }
        r = check_setup(&b, err, sizeof(err));
        if (r < 0 || test_only) {
                if (r < 0)
                        fprintf(stderr, "kagid: %s\n", err);
                else
                        printf("kagid: %s: configuration OK\n", path);
                challenges_free(b.challenges);
                trust_close(b.trust);
                keys_wipe(&b.keys);
                config_free(b.cfg);
                return r < 0 ? 1 : 0;
        }
        if (oath_init() != OATH_OK) {
                fprintf(stderr, "kagid: liboath failed to initialise\n");
                return 1;
        }
        if (gethostname(b.host, sizeof(b.host) - 1) < 0)
                snprintf(b.host, sizeof(b.host), "localhost");

        struct sigaction sa = { .sa_handler = on_signal };
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);

        if (!foreground && daemon(0, 0) < 0) {
                fprintf(stderr, "kagid: cannot become a daemon: %s\n", strerror(errno));
                return 1;
        }
        r = server_run(&b, &stop_requested);
        challenges_free(b.challenges);
        trust_close(b.trust);
        keys_wipe(&b.keys);
        config_free(b.cfg);
        oath_done();
        return r < 0 ? 1 : 0;
}
