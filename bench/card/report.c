/* The figures: percentiles per series and the comparison table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "bench_card.h"

const char *stack_name(enum stack s)
{
        return s == STACK_KAGI ? "kagi" : "pam_pkcs11";
}

static void fclosep(FILE **f) { if (*f) fclose(*f); }
static void pclosep(FILE **f) { if (*f) pclose(*f); }

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

        return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of one field of the samples, in ms. */
enum field {
        F_TOTAL, F_CARD, F_OTHER_PCSC, F_OVERHEAD, F_OVERHEAD_NO_PCSC,
        F_CPU_PAM, F_CPU_BROKER, F_CPU_STACK, F_CPU_CARD,
};

static uint64_t field(const struct sample *s, enum field f)
{
        switch (f) {
        case F_TOTAL:
                return s->total;
        case F_CARD:
                return s->card;
        case F_OTHER_PCSC:
                return s->session + s->service;
        case F_OVERHEAD:
                return s->total - s->card;
        case F_OVERHEAD_NO_PCSC:
                return s->total - s->card - s->session - s->service;
        case F_CPU_PAM:
                return s->cpu_pam;
        case F_CPU_BROKER:
                return s->cpu_broker;
        case F_CPU_STACK:
                return s->cpu_pam + s->cpu_broker;
        case F_CPU_CARD:
                return s->cpu_card;
        }
        return 0;
}

static double pct_ms(const struct series *se, enum field f, double p)
{
        uint64_t *v = malloc(se->n * sizeof(*v));
        size_t rank;
        double r;

        if (!v || se->n == 0) {
                free(v);
                return 0;
        }
        for (size_t i = 0; i < se->n; i++)
                v[i] = field(&se->s[i], f);
        qsort(v, se->n, sizeof(*v), cmp_u64);
        rank = (size_t)(p / 100.0 * (double)se->n + 0.999999);
        rank = rank < 1 ? 1 : rank > se->n ? se->n : rank;
        r = (double)v[rank - 1] / 1e6;
        free(v);
        return r;
}

static double mean_apdus(const struct series *se)
{
        double sum = 0;

        for (size_t i = 0; i < se->n; i++)
                sum += se->s[i].apdus;
        return se->n ? sum / (double)se->n : 0;
}

static double logins_per_s(const struct series *se)
{
        double ns = 0;

        for (size_t i = 0; i < se->n; i++)
                ns += (double)se->s[i].total;
        return ns > 0 ? (double)se->n * 1e9 / ns : 0;
}

static void cpu_model(char *out, size_t size)
{
        char line[256];
        FILE *f __attribute__((cleanup(fclosep))) = fopen("/proc/cpuinfo", "re");

        snprintf(out, size, "?");
        while (f && fgets(line, sizeof(line), f)) {
                char *colon = strchr(line, ':');

                if (strncmp(line, "model name", 10) == 0 && colon) {
                        snprintf(out, size, "%s", colon + 2);
                        out[strcspn(out, "\n")] = '\0';
                        return;
                }
        }
}

static void package_version(const char *pkg, char *out, size_t size)
{
        char cmd[128];
        FILE *p __attribute__((cleanup(pclosep))) = NULL;

        snprintf(out, size, "?");
        snprintf(cmd, sizeof(cmd), "dpkg-query -W -f='${Version}' %s 2>/dev/null", pkg);
        p = popen(cmd, "re");
        if (p && fgets(out, (int)size, p))
                out[strcspn(out, "\n")] = '\0';
}

void report_machine(void)
{
        static const char *const pkgs[] = { "libpam-pkcs11", "opensc-pkcs11", "pcscd", "libpcsclite1", "openssl" };
        char date[64], cpu[128], ver[64], load[64] = "?";
        struct utsname u;
        time_t now = time(NULL);
        FILE *f __attribute__((cleanup(fclosep))) = fopen("/proc/loadavg", "re");

        strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S %Z", localtime(&now));
        uname(&u);
        cpu_model(cpu, sizeof(cpu));
        if (f && fgets(load, sizeof(load), f))
                load[strcspn(load, "\n")] = '\0';
        printf("date      %s\n", date);
        printf("machine   %s %s %s, nproc %ld, %s\n", u.sysname, u.release, u.machine, sysconf(_SC_NPROCESSORS_ONLN),
               cpu);
        printf("load      %s (at start)\n", load);
        printf("software  kagi %s (this build)", KAGI_VERSION);
        for (size_t i = 0; i < sizeof(pkgs) / sizeof(pkgs[0]); i++) {
                package_version(pkgs[i], ver, sizeof(ver));
                printf(", %s %s", pkgs[i], ver);
        }
        printf("\n");
}

static void row(const struct series *se)
{
        printf("%-9s %-11s %8.2f %8.2f %8.2f %8.2f %9.2f %9.2f %9.2f %6.1f %8.1f\n", se->key, stack_name(se->stack),
               pct_ms(se, F_TOTAL, 50), pct_ms(se, F_TOTAL, 99), pct_ms(se, F_CARD, 50), pct_ms(se, F_OTHER_PCSC, 50),
               pct_ms(se, F_OVERHEAD, 50), pct_ms(se, F_OVERHEAD, 99), pct_ms(se, F_OVERHEAD_NO_PCSC, 50),
               mean_apdus(se), logins_per_s(se));
}

static double ratio(double peer, double kagi)
{
        return kagi > 0 ? peer / kagi : 0;
}

static void ratio_row(const struct series *kagi, const struct series *peer)
{
        printf("%-9s %-11s %7.1fx %7.1fx %7.1fx %7.1fx %8.1fx %8.1fx %8.1fx %5.1fx %7.2fx\n", kagi->key, "peer/kagi",
               ratio(pct_ms(peer, F_TOTAL, 50), pct_ms(kagi, F_TOTAL, 50)),
               ratio(pct_ms(peer, F_TOTAL, 99), pct_ms(kagi, F_TOTAL, 99)),
               ratio(pct_ms(peer, F_CARD, 50), pct_ms(kagi, F_CARD, 50)),
               ratio(pct_ms(peer, F_OTHER_PCSC, 50), pct_ms(kagi, F_OTHER_PCSC, 50)),
               ratio(pct_ms(peer, F_OVERHEAD, 50), pct_ms(kagi, F_OVERHEAD, 50)),
               ratio(pct_ms(peer, F_OVERHEAD, 99), pct_ms(kagi, F_OVERHEAD, 99)),
               ratio(pct_ms(peer, F_OVERHEAD_NO_PCSC, 50), pct_ms(kagi, F_OVERHEAD_NO_PCSC, 50)),
               ratio(mean_apdus(peer), mean_apdus(kagi)), ratio(logins_per_s(peer), logins_per_s(kagi)));
}

void report_table(const struct series *all, size_t n, size_t logins, size_t warmup)
{
        printf("\n%zu logins per stack and key after %zu warm-up, the two stacks alternating; times in ms\n"
               "  total     pam_start + pam_authenticate + pam_end\n"
               "  card      in SCardTransmit: the card executing APDUs (PIN check, signature, reads)\n"
               "  pcsc      in the other PC/SC calls: connect, reset, transactions, pcscd\n"
               "  overhead  total - card, per login; -pcsc: total - card - pcsc\n\n",
               logins, warmup);
        printf("%-9s %-11s %8s %8s %8s %8s %9s %9s %9s %6s %8s\n", "key", "stack", "total50", "total99", "card50",
               "pcsc50", "overhd50", "overhd99", "-pcsc50", "APDUs", "logins/s");
        for (size_t i = 0; i < n; i++) {
                row(&all[i]);
                if (i + 1 < n && all[i].stack == STACK_KAGI && all[i + 1].stack == STACK_PKCS11 &&
                    strcmp(all[i].key, all[i + 1].key) == 0) {
                        row(&all[i + 1]);
                        ratio_row(&all[i], &all[i + 1]);
                        i++;
                }
        }
        for (size_t i = 0; i < n; i++)
                if (all[i].stack == STACK_KAGI)
                        printf("%s kagi overhead p50 %.2f ms: aim (< 5 ms) %s\n", all[i].key,
                               pct_ms(&all[i], F_OVERHEAD, 50),
                               pct_ms(&all[i], F_OVERHEAD, 50) < 5.0 ? "met" : "NOT met");
}

/* CPU time does not count waiting (for the card, the disk, a busy machine):
 * what each stack costs whatever the load. */
void report_cpu(const struct series *all, size_t n)
{
        printf("\nCPU time per login, p50 in ms (the scheduler's count; waiting excluded)\n"
               "  PAM process  the module and everything it loads (libpam, OpenSC, libpcsclite)\n"
               "  kagid        the broker's threads (0 for pam_pkcs11, which has none)\n"
               "  card         kagi-vcard, mostly its private-key operation\n\n");
        printf("%-9s %-11s %11s %8s %8s %8s\n", "key", "stack", "PAM process", "kagid", "stack", "card");
        for (size_t i = 0; i < n; i++) {
                const struct series *se = &all[i];

                printf("%-9s %-11s %11.2f %8.2f %8.2f %8.2f\n", se->key, stack_name(se->stack),
                       pct_ms(se, F_CPU_PAM, 50), pct_ms(se, F_CPU_BROKER, 50), pct_ms(se, F_CPU_STACK, 50),
                       pct_ms(se, F_CPU_CARD, 50));
                if (se->stack == STACK_PKCS11 && i > 0 && all[i - 1].stack == STACK_KAGI &&
                    strcmp(all[i - 1].key, se->key) == 0)
                        printf("%-9s %-11s %10.1fx %8s %7.1fx %7.1fx\n", se->key, "peer/kagi",
                               ratio(pct_ms(se, F_CPU_PAM, 50), pct_ms(&all[i - 1], F_CPU_PAM, 50)), "",
                               ratio(pct_ms(se, F_CPU_STACK, 50), pct_ms(&all[i - 1], F_CPU_STACK, 50)),
                               ratio(pct_ms(se, F_CPU_CARD, 50), pct_ms(&all[i - 1], F_CPU_CARD, 50)));
        }
}

void report_pcsc(const struct series *all, size_t n, scard_timer_name_fn *name)
{
        printf("\nPC/SC per login (mean calls, mean ms):\n");
        for (size_t i = 0; i < n; i++) {
                const struct series *se = &all[i];

                printf("  %s %s:", se->key, stack_name(se->stack));
                for (int fn = 0; fn < SCARD_FN_MAX_; fn++) {
                        double calls = 0, ns = 0;

                        for (size_t k = 0; k < se->n; k++) {
                                calls += (double)se->s[k].fn_calls[fn];
                                ns += (double)se->s[k].fn_ns[fn];
                        }
                        if (calls > 0)
                                printf(" %s %.1f/%.2f", name((enum scard_fn)fn) + 5, calls / (double)se->n,
                                       ns / (double)se->n / 1e6);
                }
                printf("\n");
        }
}
