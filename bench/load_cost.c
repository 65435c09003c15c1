/* kagi-bench-load: what loading each stack's modules costs a process that
 * logs in once (login, su, an sshd child). Each measurement is a fresh
 * child of this small program, which links libpam and libc only, so no
 * library a module needs is loaded before it asks for it.
 *
 *   kagi-bench-load [--runs N] SERVICE_FILE…
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stack.h"
#include "timing.h"

/* One fresh process: the time to dlopen every module of the stack. */
static int load_once(const struct stack_modules *m, int64_t *ret_ns)
{
        int fd[2], status;
        int64_t ns = -1;
        pid_t pid;

        if (pipe(fd) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                close(fd[0]);
                close(fd[1]);
                return -errno;
        }
        if (pid == 0) {
                char err[512];
                int64_t t0 = mono_ns();

                close(fd[0]);
                ns = stack_load(m, true, err, sizeof(err)) < 0 ? -1 : mono_ns() - t0;
                if (ns < 0)
                        fprintf(stderr, "kagi-bench-load: %s\n", err);
                _exit(write(fd[1], &ns, sizeof(ns)) == (ssize_t)sizeof(ns) ? 0 : 1);
        }
        close(fd[1]);
        if (read(fd[0], &ns, sizeof(ns)) != (ssize_t)sizeof(ns))
                ns = -1;
        close(fd[0]);
        waitpid(pid, &status, 0);
        if (ns < 0)
                return -EIO;
        *ret_ns = ns;
        return 0;
}

int main(int argc, char **argv)
{
        unsigned long runs = 21;
        int first = 1;

        if (argc > 2 && strcmp(argv[1], "--runs") == 0) {
                char *end;

                errno = 0;
                runs = strtoul(argv[2], &end, 10);
                if (errno || *end || runs < 1 || runs > 1000) {
                        fprintf(stderr, "kagi-bench-load: --runs takes 1 to 1000\n");
                        return 2;
                }
                first = 3;
        }
        if (first >= argc) {
                fprintf(stderr, "usage: kagi-bench-load [--runs N] SERVICE_FILE...\n");
                return 2;
        }
        printf("\nLOADING THE MODULES (once per process: login, su, an sshd child), median of %lu fresh processes\n",
               runs);
        fflush(stdout);
        for (int i = first; i < argc; i++) {
                struct stack_modules m;
                int64_t *t = calloc(runs, sizeof(*t));
                const char *name = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
                int r = t ? stack_modules(argv[i], &m) : -ENOMEM;

                if (r < 0) {
                        fprintf(stderr, "kagi-bench-load: %s: %s\n", argv[i], strerror(-r));
                        free(t);
                        return 1;
                }
                for (unsigned long k = 0; k < runs && r >= 0; k++)
                        r = load_once(&m, &t[k]);
                if (r >= 0)
                        printf("  %-9s %7.3f ms  (%zu modules)\n", name, (double)median_ns(t, runs) / 1e6, m.n);
                stack_modules_free(&m);
                free(t);
                if (r < 0) {
                        fprintf(stderr, "kagi-bench-load: %s: cannot load its modules\n", argv[i]);
                        return 1;
                }
        }
        return 0;
}
