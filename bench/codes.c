/* Which code a login may use. kagi and pam_oath both refuse a code for a
 * time step at or before the last one they accepted for the account, so
 * every successful login needs an unused (account, step) pair within the
 * window around now. Taking steps in increasing order from the oldest one
 * still safely inside the window gives each account 2*window - 1 logins at
 * once and one more every step; the benchmark spreads logins over enough
 * accounts for that to last. */
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

int code_next(const struct code_params *p, const struct bench_user *u, enum bench_stack s, int64_t now,
              char code[16], uint64_t *ret_step)
{
        uint64_t cur = (uint64_t)now / p->step;
        uint64_t lo = cur - p->window + 1, hi = cur + p->window - 1, step;
        int r;

        if (p->window < 1)
                return -EINVAL;
        step = u->last_step[s] + 1 > lo ? u->last_step[s] + 1 : lo;
        if (step > hi)
                return -EAGAIN;
        r = generate(p, u, step, code);
        if (r < 0)
                return r;
        *ret_step = step;
        return 0;
}

uint64_t code_clash(const struct code_params *p, const struct bench_user *u, uint64_t step, const char *code,
                    int64_t now)
{
        uint64_t cur = (uint64_t)now / p->step, clash = 0;

        for (uint64_t st = cur - p->window - 1; st <= cur + p->window + 1; st++) {
                char other[16];

                if (st != step && generate(p, u, st, other) == 0 && strcmp(other, code) == 0)
                        clash = st;
        }
        return clash;
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
