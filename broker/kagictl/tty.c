/* Secrets typed at a terminal: echo off while they are typed, and back on
 * however kagictl ends — also on Ctrl-C, a hang-up or a kill, which would
 * otherwise leave the user's shell without echo (as readpassphrase(3) in
 * OpenSSH restores it). A terminal whose echo cannot be turned off is not
 * used for a secret at all. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

static const int caught[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

/* the one terminal whose echo is off now (kagictl reads one secret at a time) */
static struct tty_quiet *active;

static void restore_and_reraise(int sig)
{
        if (active)
                tcsetattr(active->fd, TCSAFLUSH, &active->saved);
        signal(sig, SIG_DFL);
        raise(sig);
}

int tty_quiet_begin(struct tty_quiet *q, int fd)
{
        struct termios quiet;
        struct sigaction sa = { .sa_handler = restore_and_reraise };

        *q = (struct tty_quiet){ .fd = fd };
        if (!isatty(fd))
                return -ENOTTY;
        if (tcgetattr(fd, &q->saved) < 0)
                return -errno;
        quiet = q->saved;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        active = q;
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < ARRAY_SIZE(caught); i++)
                sigaction(caught[i], &sa, &q->old[i]);
        if (tcsetattr(fd, TCSAFLUSH, &quiet) < 0) {
                int r = -errno;

                tty_quiet_end(q);
                return r;
        }
        q->on = true;
        return 0;
}

void tty_quiet_end(struct tty_quiet *q)
{
        if (active != q)
                return;
        if (q->on)
                tcsetattr(q->fd, TCSAFLUSH, &q->saved);
        q->on = false;
        active = NULL;
        for (size_t i = 0; i < ARRAY_SIZE(caught); i++)
                sigaction(caught[i], &q->old[i], NULL);
}
