/* The benchmark's accounts. Every stack sees the same ones: through NSS
 * (nss_wrapper, asking libnss_kagibench first) for kagid and pam_faillock,
 * the password table (pam_benchpw) or pam_matrix's passdb for the password,
 * and one random TOTP secret per account, given to kagi through its socket
 * and to pam_oath through its users files: one per account, and one shared
 * by all. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <liboath/oath.h>

#include "bench.h"
#include "names.h"
#include "passtable.h"

static int open_out(const char *dir, const char *name, FILE **ret, char *err, size_t errsz)
{
        char path[4096];
        FILE *f;
        int fd;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || !(f = fdopen(fd, "w"))) {
                int r = -errno;
                snprintf(err, errsz, "%s: %s", path, strerror(errno));
                if (fd >= 0)
                        close(fd);
                return r;
        }
        *ret = f;
        return 0;
}

static int close_out(FILE *f, const char *name, char *err, size_t errsz)
{
        if (ferror(f) | (fclose(f) != 0)) {
                snprintf(err, errsz, "%s: write failed", name);
                return -EIO;
        }
        return 0;
}

/* One account's line of a pam_oath users file: "HOTP/T30/6 NAME - HEXKEY"
 * (liboath reads 30 and 60 second steps only). */
static void oath_line(FILE *f, const struct bench_user *u)
{
        char hex[2 * BENCH_SECRET_LEN + 1];

        for (size_t i = 0; i < BENCH_SECRET_LEN; i++)
                snprintf(hex + 2 * i, 3, "%02x", u->secret[i]);
        fprintf(f, "HOTP/T30/6\t%s\t-\t%s\n", u->name, hex);
        secret_wipe(hex, sizeof(hex));
}

/* pam_oath's users file for one account. */
static int write_oath_file(const char *dir, const struct bench_user *u, char *err, size_t errsz)
{
        char name[64];
        FILE *f;
        int r;

        snprintf(name, sizeof(name), "oath/%s", u->name);
        r = open_out(dir, name, &f, err, errsz);
        if (r < 0)
                return r;
        oath_line(f, u);
        return close_out(f, name, err, errsz);
}

/* The password table (passtable.h), built in memory: at 100,000 accounts
 * 12.8 MB. */
struct table {
        struct passtable_record *slot;
        uint64_t slots;
};

static int table_new(struct table *t, size_t accounts)
{
        t->slots = 2 * (uint64_t)accounts + 1;
        t->slot = calloc(t->slots, sizeof(*t->slot));
        return t->slot ? 0 : -ENOMEM;
}

static void table_add(struct table *t, const struct bench_user *u)
{
        uint64_t i = passtable_slot(u->name, t->slots);

        while (t->slot[i].name[0])
                i = (i + 1) % t->slots;
        snprintf(t->slot[i].name, sizeof(t->slot[i].name), "%s", u->name);
        snprintf(t->slot[i].password, sizeof(t->slot[i].password), "%s", u->password);
}

static int table_write(struct table *t, const char *dir, char *err, size_t errsz)
{
        struct passtable_header h = { .slots = t->slots };
        FILE *f;
        int r;

        memcpy(h.magic, PASSTABLE_MAGIC, sizeof(h.magic));
        r = open_out(dir, "passdb.table", &f, err, errsz);
        if (r < 0)
                return r;
        fwrite(&h, sizeof(h), 1, f);
        fwrite(t->slot, sizeof(*t->slot), t->slots, f);
        return close_out(f, "passdb.table", err, errsz);
}

int accounts_create(const char *dir, size_t n, char *err, size_t errsz)
{
        FILE *pw = NULL, *gr = NULL, *db = NULL, *sec = NULL, *shared = NULL;
        struct table table = { 0 };
        char sub[4096];
        int r;

        snprintf(sub, sizeof(sub), "%s/oath", dir);
        if (mkdir(sub, 0700) < 0 && errno != EEXIST) {
                snprintf(err, errsz, "%s: %s", sub, strerror(errno));
                return -errno;
        }
        if ((r = open_out(dir, "passwd", &pw, err, errsz)) < 0 || (r = open_out(dir, "group", &gr, err, errsz)) < 0 ||
            (r = open_out(dir, "passdb", &db, err, errsz)) < 0 || (r = open_out(dir, "accounts", &sec, err, errsz)) < 0 ||
            (r = open_out(dir, "users.oath", &shared, err, errsz)) < 0)
                goto out;
        if ((r = table_new(&table, n)) < 0) {
                snprintf(err, errsz, "out of memory");
                goto out;
        }
        /* nss_wrapper replaces the whole database: root must stay known; the
         * accounts come from libnss_kagibench (nss_kagibench.c) */
        fprintf(pw, "root:x:0:0:root:/root:/bin/sh\n");
        fprintf(gr, "root:x:0:\n");
        for (size_t i = 0; i < n && r >= 0; i++) {
                struct bench_user u = { 0 };
                char *b32 = NULL;
                size_t b32len = 0;

                snprintf(u.name, sizeof(u.name), BENCH_NAME_FMT, (unsigned long)i);
                snprintf(u.password, sizeof(u.password), "pw-%06zu", i);
                if (getrandom(u.secret, sizeof(u.secret), 0) != (ssize_t)sizeof(u.secret) ||
                    oath_base32_encode((const char *)u.secret, sizeof(u.secret), &b32, &b32len) != OATH_OK) {
                        snprintf(err, errsz, "cannot make a secret for %s", u.name);
                        r = -EIO;
                        break;
                }
                fprintf(db, "%s:%s:bench\n", u.name, u.password);
                fprintf(sec, "%s %s %s\n", u.name, u.password, b32);
                secret_free(b32, b32len);
                table_add(&table, &u);
                oath_line(shared, &u);
                r = write_oath_file(dir, &u, err, errsz);
                secret_wipe(u.secret, sizeof(u.secret));
        }
        if (r >= 0)
                r = table_write(&table, dir, err, errsz);
out:
        if (table.slot)
                secret_free(table.slot, table.slots * sizeof(*table.slot));
        if (shared && close_out(shared, "users.oath", err, errsz) < 0 && r >= 0)
                r = -EIO;
        if (pw && close_out(pw, "passwd", err, errsz) < 0 && r >= 0)
                r = -EIO;
        if (gr && close_out(gr, "group", err, errsz) < 0 && r >= 0)
                r = -EIO;
        if (db && close_out(db, "passdb", err, errsz) < 0 && r >= 0)
                r = -EIO;
        if (sec && close_out(sec, "accounts", err, errsz) < 0 && r >= 0)
                r = -EIO;
        return r;
}

int accounts_load(const char *dir, struct bench_accounts *ret, char *err, size_t errsz)
{
        struct bench_accounts a = { 0 };
        _cleanup_(fclosep) FILE *f = NULL;
        size_t cap = 0;
        char path[4096], line[256];

        snprintf(path, sizeof(path), "%s/accounts", dir);
        f = fopen(path, "re");
        if (!f) {
                snprintf(err, errsz, "%s: %s", path, strerror(errno));
                return -errno;
        }
        while (fgets(line, sizeof(line), f)) {
                char name[BENCH_NAME_MAX], pass[BENCH_NAME_MAX], b32[128];
                char *key = NULL;
                size_t keylen = 0;

                if (sscanf(line, "%31s %31s %127s", name, pass, b32) != 3 ||
                    oath_base32_decode(b32, strlen(b32), &key, &keylen) != OATH_OK || keylen != BENCH_SECRET_LEN) {
                        snprintf(err, errsz, "%s: line %zu is not \"NAME PASSWORD BASE32\"", path, a.n + 1);
                        if (key)
                                secret_free(key, keylen);
                        accounts_free(&a);
                        return -EINVAL;
                }
                if (a.n == cap) {
                        struct bench_user *nu = realloc(a.users, (cap = cap ? 2 * cap : 1024) * sizeof(*nu));
                        if (!nu) {
                                secret_free(key, keylen);
                                accounts_free(&a);
                                return -ENOMEM;
                        }
                        a.users = nu;
                }
                a.users[a.n] = (struct bench_user){ 0 };
                memcpy(a.users[a.n].name, name, sizeof(name));
                memcpy(a.users[a.n].password, pass, sizeof(pass));
                memcpy(a.users[a.n].secret, key, BENCH_SECRET_LEN);
                secret_free(key, keylen);
                a.n++;
        }
        secret_wipe(line, sizeof(line));
        if (a.n == 0) {
                snprintf(err, errsz, "%s: no accounts", path);
                return -EINVAL;
        }
        *ret = a;
        return 0;
}

void accounts_free(struct bench_accounts *a)
{
        if (a->users)
                secret_free(a->users, a->n * sizeof(*a->users));
        *a = (struct bench_accounts){ 0 };
}

int accounts_load_progress(const char *dir, struct bench_accounts *a)
{
        _cleanup_(fclosep) FILE *f = NULL;
        char path[4096], line[512];
        size_t i = 0;

        snprintf(path, sizeof(path), "%s/progress", dir);
        f = fopen(path, "re");
        if (!f)
                return errno == ENOENT ? 0 : -errno;
        while (fgets(line, sizeof(line), f) && i < a->n) {
                struct bench_user *u = &a->users[i++];
                char name[BENCH_NAME_MAX], *p = line;
                int used = 0;

                /* NAME, then a last step and a failure count per stack */
                if (sscanf(p, "%31s%n", name, &used) != 1 || strcmp(name, u->name) != 0)
                        return -EINVAL;
                p += used;
                for (size_t s = 0; s < STACK_MAX_; s++) {
                        unsigned long long step;
                        unsigned fail;

                        if (sscanf(p, "%llu %u%n", &step, &fail, &used) != 2)
                                return -EINVAL;
                        p += used;
                        u->last_step[s] = step;
                        u->failures[s] = fail;
                }
        }
        return 0;
}

int accounts_save_progress(const char *dir, const struct bench_accounts *a)
{
        char path[4096], tmp[4100];
        FILE *f;

        snprintf(path, sizeof(path), "%s/progress", dir);
        snprintf(tmp, sizeof(tmp), "%s.new", path);
        f = fopen(tmp, "we");
        if (!f)
                return -errno;
        for (size_t i = 0; i < a->n; i++) {
                const struct bench_user *u = &a->users[i];

                fprintf(f, "%s", u->name);
                for (size_t s = 0; s < STACK_MAX_; s++)
                        fprintf(f, " %llu %u", (unsigned long long)u->last_step[s], u->failures[s]);
                fputc('\n', f);
        }
        if (ferror(f) | (fclose(f) != 0))
                return -EIO;
        return rename(tmp, path) < 0 ? -errno : 0;
}
