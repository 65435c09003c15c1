/* Which code a login may use. kagi and pam_oath both refuse a code for a
 * time step at or before the last one they accepted for the account, so
 * every successful login needs an unused (account, step) pair within the
 * window around now. A login takes the current step, as a user typing what
 * the app shows does, or if the account used it already the next unused
 * one, up to one step inside the window's far edge: window logins per
 * account at once and one more every step. (Both stacks try the current
 * step first and then further ones either side, so the distance to it is
 * what a check costs: taking the oldest steps first, as the first
 * benchmark did, made every check several times dearer than a user's.)
 * The benchmark spreads logins over enough accounts for that to last. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <liboath/oath.h>

#include "bench.h"

static int generate(const struct code_params *p, const struct bench_user *u, uint64_t step, char code[16])
{
        return oath_totp_generate((const char *)u->secret, sizeof(u->secret), (time_t)(step * p->step), p->step, 0,
                                  p->digits, code) == OATH_OK ? 0 : -EIO;
}

/* Six digits collide: with a window of +-10 steps about one code in 50000
 * is also the code of another step in the window, and either stack may
 * match it there, call it a replay, or accept it as the later step and
 * refuse the steps up to it. Such codes are skipped. */
#define WINDOW_MAX 100

int code_next(const struct code_params *p, const struct bench_user *u, enum bench_stack s, int64_t now,
              char code[16], uint64_t *ret_step)
{
        uint64_t cur = (uint64_t)now / p->step, first, base;
        char all[2 * WINDOW_MAX + 3][16];
        size_t n;

        if (p->window < 1 || p->window > WINDOW_MAX)
                return -EINVAL;
        /* every step a stack could match, with a step of margin for the clock */
        base = cur - p->window - 1;
        n = 2 * (size_t)p->window + 3;
        for (size_t i = 0; i < n; i++)
                if (generate(p, u, base + i, all[i]) < 0)
                        return -EIO;
        first = u->last_step[s] + 1 > cur ? u->last_step[s] + 1 : cur;
        for (uint64_t step = first; step <= cur + p->window - 1; step++) {
                const char *c = all[step - base];
                bool shared = false;

                for (size_t i = 0; i < n && !shared; i++)
                        shared = base + i != step && strcmp(all[i], c) == 0;
                if (shared)
                        continue;
                memcpy(code, c, 16);
                *ret_step = step;
                secret_wipe(all, sizeof(all));
                return 0;
        }
        secret_wipe(all, sizeof(all));
        return -EAGAIN;
}

int code_wrong(const struct code_params *p, const struct bench_user *u, int64_t now, char code[16])
{
        uint64_t cur = (uint64_t)now / p->step, span = 2 * (uint64_t)p->window + 1;
        uint32_t modulus = 1;

        for (uint32_t i = 0; i < p->digits; i++)
                modulus *= 10;
        for (;;) {
                uint32_t v;
                bool clash = false;

                if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
                        return -EIO;
                snprintf(code, 16, "%0*u", (int)p->digits, v % modulus);
                for (uint64_t st = cur - span; st <= cur + span && !clash; st++) {
                        char right[16];

                        if (generate(p, u, st, right) < 0)
                                return -EIO;
                        clash = strcmp(right, code) == 0;
                }
                if (!clash)
                        return 0;
        }
}
