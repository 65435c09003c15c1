/* kagid: the broker daemon. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <liboath/oath.h>

#include "config.h"
#include "kagid.h"
#include "log.h"

static volatile int stop_requested;

static void on_signal(int sig)
{
        (void)sig;
        stop_requested = 1;
}

static void usage(FILE *f)
{
        fprintf(f, "usage: kagid [-c CONFIG] [-f] [-t] [-d] [-V]\n"
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

        r = broker_setup(&b, path, test_only, err, sizeof(err));
        if (r < 0 || test_only) {
                if (r < 0)
                        fprintf(stderr, "kagid: %s\n", err);
                else
                        printf("kagid: %s: configuration OK\n", path);
                broker_teardown(&b);
                return r < 0 ? 1 : 0;
        }
        if (oath_init() != OATH_OK) {
                fprintf(stderr, "kagid: liboath failed to initialise\n");
                broker_teardown(&b);
                return 1;
        }

        struct sigaction sa = { .sa_handler = on_signal };
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);

        if (!foreground && daemon(0, 0) < 0) {
                fprintf(stderr, "kagid: cannot become a daemon: %s\n", strerror(errno));
                broker_teardown(&b);
                return 1;
        }
        r = server_run(&b, &stop_requested);
        broker_teardown(&b);
        oath_done();
        return r < 0 ? 1 : 0;
}
