/* What the figures were measured on. The fsync probe matters most: kagid
 * commits every failure and success with fsync, the local stack never
 * syncs, so the ratio moves with the disk's flush latency. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/utsname.h>

#include "bench.h"
#include "timing.h"

#define FSYNC_PROBES 101

/* Median of write(4 KiB) + fsync on a file in dir. */
static int fsync_probe(const char *dir, double *ret_us)
{
        char path[4096], block[4096];
        int64_t t[FSYNC_PROBES];
        _cleanup_(closep) int fd = -1;

        snprintf(path, sizeof(path), "%s/fsync-probe", dir);
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        unlink(path);
        memset(block, 'k', sizeof(block));
        for (size_t i = 0; i < FSYNC_PROBES; i++) {
                int64_t t0 = mono_ns();

                if (pwrite(fd, block, sizeof(block), (off_t)(i % 16) * 4096) != (ssize_t)sizeof(block) ||
                    fsync(fd) < 0)
                        return -errno;
                t[i] = mono_ns() - t0;
        }
        *ret_us = (double)median_ns(t, FSYNC_PROBES) / 1000.0;
        return 0;
}

/* The file systems a state directory is likely to be on; tmpfs would make
 * fsync free and the comparison meaningless. */
static const char *fs_name(const char *dir)
{
        static const struct {
                unsigned long magic;
                const char *name;
        } known[] = {
                { 0xEF53, "ext2/3/4" },      { 0x58465342, "xfs" },  { 0x9123683E, "btrfs" },
                { 0x01021994, "tmpfs" },     { 0x2FC12FC1, "zfs" },  { 0x6969, "nfs" },
                { 0x794C7630, "overlayfs" }, { 0xF2F52010, "f2fs" },
        };
        struct statfs sf;

        if (statfs(dir, &sf) < 0)
                return "unknown";
        for (size_t i = 0; i < ARRAY_SIZE(known); i++)
                if ((unsigned long)sf.f_type == known[i].magic)
                        return known[i].name;
        return "other";
}

static void cpu_model(char *buf, size_t size)
{
        _cleanup_(fclosep) FILE *f = fopen("/proc/cpuinfo", "re");
        char line[512];

        snprintf(buf, size, "unknown");
        while (f && fgets(line, sizeof(line), f)) {
                char *colon = strchr(line, ':');

                if (strncmp(line, "model name", 10) == 0 && colon) {
                        snprintf(buf, size, "%.*s", (int)strcspn(colon + 2, "\n"), colon + 2);
                        return;
                }
        }
}

int machine_describe(const char *dir, bool probe, struct machine *ret)
{
        struct machine m = { 0 };
        struct utsname u;
        _cleanup_(fclosep) FILE *f = NULL;

        m.cpus = sysconf(_SC_NPROCESSORS_ONLN);
        if (uname(&u) == 0)
                snprintf(m.kernel, sizeof(m.kernel), "%s %s %s", u.sysname, u.release, u.machine);
        cpu_model(m.cpu_model, sizeof(m.cpu_model));
        m.fs = fs_name(dir);
        f = fopen("/proc/loadavg", "re");
        if (!f || fscanf(f, "%lf", &m.load1) != 1)
                m.load1 = -1;
        if (!probe || fsync_probe(dir, &m.fsync_us) < 0)
                m.fsync_us = -1;
        *ret = m;
        return 0;
}
