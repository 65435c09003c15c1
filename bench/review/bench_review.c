/* kagi-bench-review: kagictl report review, end to end, on a municipality's
 * year (bench/review/run drives it; bench/README.md has the figures).
 *
 *   kagi-bench-review generate DIR [--accounts N] [--records N]
 *       writes DIR/state/kagi.db (keys in DIR/keys) through kagi's store
 *       API: 10,000 accounts and 1,000,000 audit records over the year up
 *       to now by default, with a valid audit chain (history.c)
 *   kagi-bench-review measure DIR --kagid-pid PID --kagictl PATH [--rounds N] [--lang ja|en]
 *       runs kagictl -c DIR/kagi.conf report review --format F --out … for
 *       each format against the running kagid, and prints per format the
 *       wall time and the peak RSS of kagictl and of kagid (its high-water
 *       mark reset before each run through /proc/PID/clear_refs); then the
 *       latency of logins' account phases alone and while a review runs
 *
 * Targets (issue 14): each format in under 5 s and 200 MB. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_review.h"
#include "secrets.h"
#include "store.h"

#define TARGET_SECONDS 5.0
#define TARGET_MB 200.0
#define ROUNDS_MAX 20

static double seconds(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(void)
{
        fprintf(stderr, "usage: kagi-bench-review generate DIR [--accounts N] [--records N]\n"
                        "       kagi-bench-review measure DIR --kagid-pid PID --kagictl PATH [--rounds N] "
                        "[--lang ja|en]\n");
        return 2;
}

static int generate(const char *dir, int argc, char **argv)
{
        struct history_size z = { .accounts = 10000, .records = 1000000 };
        struct kagi_keys keys;
        struct store *s = NULL;
        char path[4096], err[512];
        uint64_t written = 0;
        double t0 = seconds();
        int r;

        for (int i = 0; i < argc; i++) {
                if (strcmp(argv[i], "--accounts") == 0 && i + 1 < argc &&
                    parse_uint(argv[i + 1], 1000000, &z.accounts) == 0 && z.accounts > BENCH_ADMINS + BENCH_LEFT)
                        i++;
                else if (strcmp(argv[i], "--records") == 0 && i + 1 < argc &&
                         parse_uint(argv[i + 1], 100000000, &z.records) == 0)
                        i++;
                else
                        return usage();
        }
        snprintf(path, sizeof(path), "%s/keys", dir);
        r = keys_load(path, getuid(), true, &keys, err, sizeof(err));
        if (r >= 0) {
                snprintf(path, sizeof(path), "%s/state/kagi.db", dir);
                r = store_open(path, getuid(), &s, err, sizeof(err));
        }
        if (r < 0) {
                fprintf(stderr, "kagi-bench-review: %s\n", err);
                return 1;
        }
        r = history_write(s, &keys, &z, (int64_t)time(NULL), &written);
        store_close(s);
        keys_wipe(&keys);
        if (r < 0) {
                fprintf(stderr, "kagi-bench-review: writing the year failed: %s\n", strerror(-r));
                return 1;
        }
        printf("store: %llu accounts, %llu audit records over 365 days, written in %.1f s\n",
               (unsigned long long)z.accounts, (unsigned long long)written, seconds() - t0);
        return 0;
}

/* ---- measure ------------------------------------------------------------------ */

static long kagid_hwm_kb(pid_t pid)
{
        char path[64], line[256];
        long kb = -1;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        f = fopen(path, "re");
        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
                        break;
        fclose(f);
        return kb;
}

/* The high-water mark back to what kagid holds now (Linux >= 4.0). */
static int kagid_hwm_reset(pid_t pid)
{
        char path[64];
        int fd, r = 0;

        snprintf(path, sizeof(path), "/proc/%d/clear_refs", (int)pid);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, "5", 1) != 1)
                r = -errno;
        if (fd >= 0)
                close(fd);
        return r;
}

struct run {
        double secs;
        double cpu;                           /* kagid's and kagictl's, seconds */
        long kagictl_kb, kagid_kb;
        long long bytes;
};

/* kagid's CPU time so far, all threads (utime + stime of /proc/PID/stat). */
static double kagid_cpu(pid_t pid)
{
        char path[64], buf[1024], *p;
        unsigned long long ut = 0, st = 0;
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return 0;
        buf[n] = '\0';
        /* after the command's ")": state is field 3, utime 14, stime 15 */
        p = strrchr(buf, ')');
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
                return 0;
        return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static int run_once(const char *dir, const char *kagictl, pid_t kagid, const char *format, const char *lang,
                    struct run *ret)
{
        char conf[4096], out[4096];
        struct rusage ru;
        struct stat st;
        double t0;
        int status;
        pid_t pid;

        snprintf(conf, sizeof(conf), "%s/kagi.conf", dir);
        snprintf(out, sizeof(out), "%s/review.%s", dir, format);
        if (kagid_hwm_reset(kagid) < 0)
                return -errno;
        ret->cpu = -kagid_cpu(kagid);
        t0 = seconds();
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                execl(kagictl, "kagictl", "-c", conf, "report", "review", "--format", format, "--lang", lang, "--out",
                      out, (char *)NULL);
                _exit(127);
        }
        if (wait4(pid, &status, 0, &ru) < 0)
                return -errno;
        ret->secs = seconds() - t0;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "kagi-bench-review: kagictl report review --format %s exited %d\n", format,
                        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
                return -EIO;
        }
        ret->cpu += kagid_cpu(kagid) + (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
        ret->kagictl_kb = ru.ru_maxrss;
        ret->kagid_kb = kagid_hwm_kb(kagid);
        ret->bytes = stat(out, &st) == 0 ? (long long)st.st_size : -1;
        return 0;
}

/* ---- logins meanwhile ------------------------------------------------------------ */

/* One account phase as pam_kagi.so sends it (root): a decision committed
 * with its audit record before it is answered, so it needs the write path
 * the review must never hold. Milliseconds, or < 0. */
static double account_once(const char *sock, const char *user)
{
        _cleanup_(frame_freep) struct frame *req = frame_new(KAGI_REQ_ACCOUNT);
        _cleanup_(msg_freep) struct kagi_msg *m = msg_new();
        _cleanup_(closep) int fd = -1;
        int64_t t0 = now_ms();
        double start = seconds();

        if (!req || !m)
                return -1;
        frame_put_str(req, KAGI_T_USER, user);
        frame_put_str(req, KAGI_T_SERVICE, "bench-review");
        frame_put_str(req, KAGI_T_TTY, "pts/0");
        frame_put_u64(req, KAGI_T_DEADLINE, (uint64_t)(t0 + 5000));
        if (io_connect_unix(sock, t0 + 5000, &fd) < 0 || frame_send(fd, req, t0 + 5000) < 0 ||
            frame_recv(fd, m, t0 + 5000) < 0 || m->type != KAGI_REP_RESULT)
                return -1;
        return (seconds() - start) * 1000.0;
}

static int by_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

#define LOGINS_MAX 100000

/* Account phases one after the other for `secs`, or while child runs. */
static int logins(const char *sock, double secs, pid_t child, double *lat, size_t *ret_n)
{
        double end = seconds() + secs;
        size_t n = 0;
        int status;

        while (n < LOGINS_MAX && (child > 0 ? waitpid(child, &status, WNOHANG) == 0 : seconds() < end)) {
                lat[n] = account_once(sock, "bench00001");
                if (lat[n] < 0)
                        return -EIO;
                n++;
        }
        if (child > 0 && n == LOGINS_MAX)
                waitpid(child, &status, 0);
        qsort(lat, n, sizeof(lat[0]), by_double);
        *ret_n = n;
        return n > 0 ? 0 : -EIO;
}

static void print_latency(const char *what, const double *lat, size_t n)
{
        printf("%-34s %6zu   p50 %6.1f ms   p99 %6.1f ms   max %6.1f ms\n", what, n, lat[n / 2], lat[n * 99 / 100],
               lat[n - 1]);
}

/* Does a review slow the logins? The account phase's latency alone, then
 * while kagictl report review --format json runs. */
static int logins_meanwhile(const char *dir, const char *kagictl, const char *lang)
{
        _cleanup_(freep) double *lat = calloc(LOGINS_MAX, sizeof(double));
        char sock[4096], conf[4096], out[4096];
        size_t n;
        pid_t pid;

        if (!lat)
                return -ENOMEM;
        snprintf(sock, sizeof(sock), "%s/state/kagid.sock", dir);
        snprintf(conf, sizeof(conf), "%s/kagi.conf", dir);
        snprintf(out, sizeof(out), "%s/review.meanwhile.json", dir);
        if (logins(sock, 3.0, 0, lat, &n) < 0)
                return -EIO;
        printf("-- logins (account phase, committed) while kagid is otherwise idle, and while it makes a review\n");
        print_latency("alone", lat, n);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                execl(kagictl, "kagictl", "-c", conf, "report", "review", "--format", "json", "--lang", lang, "--out",
                      out, (char *)NULL);
                _exit(127);
        }
        if (logins(sock, 0, pid, lat, &n) < 0)
                return -EIO;
        print_latency("during report review --format json", lat, n);
        return 0;
}

static int by_secs(const void *a, const void *b)
{
        double x = ((const struct run *)a)->secs, y = ((const struct run *)b)->secs;

        return (x > y) - (x < y);
}

static int measure(const char *dir, int argc, char **argv)
{
        static const char *const formats[] = { "text", "csv", "json", "html" };
        const char *kagictl = NULL, *lang = "ja";
        uint64_t pid = 0, rounds = 3;
        struct run warm;
        double load[3] = { 0 };
        int failed = 0;

        for (int i = 0; i < argc; i++) {
                if (strcmp(argv[i], "--kagid-pid") == 0 && i + 1 < argc && parse_uint(argv[i + 1], INT32_MAX, &pid) == 0)
                        i++;
                else if (strcmp(argv[i], "--kagictl") == 0 && i + 1 < argc)
                        kagictl = argv[++i];
                else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc &&
                         parse_uint(argv[i + 1], ROUNDS_MAX, &rounds) == 0 && rounds > 0)
                        i++;
                else if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc)
                        lang = argv[++i];
                else
                        return usage();
        }
        if (!pid || !kagictl)
                return usage();
        /* the store's pages in the page cache, as on a machine in use */
        if (run_once(dir, kagictl, (pid_t)pid, "json", lang, &warm) < 0)
                return 1;
        getloadavg(load, 3);
        printf("kagictl report review --lang %s, %llu rounds per format (median, slowest), load %.1f %.1f %.1f\n",
               lang, (unsigned long long)rounds, load[0], load[1], load[2]);
        printf("%-6s %9s %9s %9s %12s %10s %10s\n", "format", "median s", "max s", "cpu s", "kagictl MB", "kagid MB",
               "output MB");
        for (size_t f = 0; f < ARRAY_SIZE(formats); f++) {
                struct run runs[ROUNDS_MAX];
                long ctl = 0, kd = 0;
                double median, worst;

                for (uint64_t i = 0; i < rounds; i++) {
                        if (run_once(dir, kagictl, (pid_t)pid, formats[f], lang, &runs[i]) < 0)
                                return 1;
                        ctl = runs[i].kagictl_kb > ctl ? runs[i].kagictl_kb : ctl;
                        kd = runs[i].kagid_kb > kd ? runs[i].kagid_kb : kd;
                }
                qsort(runs, rounds, sizeof(runs[0]), by_secs);
                median = runs[rounds / 2].secs;
                worst = runs[rounds - 1].secs;
                printf("%-6s %9.2f %9.2f %9.2f %12.1f %10.1f %10.1f %s\n", formats[f], median, worst,
                       runs[rounds / 2].cpu, (double)ctl / 1024.0, (double)kd / 1024.0,
                       (double)runs[0].bytes / 1048576.0,
                       worst < TARGET_SECONDS && (double)ctl / 1024.0 < TARGET_MB && (double)kd / 1024.0 < TARGET_MB
                               ? "within target"
                               : "OVER TARGET");
                failed |= !(worst < TARGET_SECONDS && (double)ctl / 1024.0 < TARGET_MB && (double)kd / 1024.0 < TARGET_MB);
        }
        if (logins_meanwhile(dir, kagictl, lang) < 0) {
                fprintf(stderr, "kagi-bench-review: the logins meanwhile failed\n");
                failed = 1;
        }
        printf("targets: under %.0f s and %.0f MB for each format (peak RSS of each process). cpu s: the CPU\n"
               "time of kagid (all threads) and kagictl in the median run; on an idle machine the wall time is\n"
               "less, as kagid verifies the audit chain on a second core while it gathers the rest.\n",
               TARGET_SECONDS, TARGET_MB);
        return failed;
}

int main(int argc, char **argv)
{
        if (argc < 3)
                return usage();
        if (strcmp(argv[1], "generate") == 0)
                return generate(argv[2], argc - 3, argv + 3);
        if (strcmp(argv[1], "measure") == 0)
                return measure(argv[2], argc - 3, argv + 3);
        return usage();
}
