/* Per-login latencies and their percentiles. */
#include <errno.h>
#include <string.h>

#include "bench.h"

int latencies_add(struct latencies *l, uint32_t us)
{
        if (l->n == l->cap) {
                size_t cap = l->cap ? 2 * l->cap : 4096;
                uint32_t *nu = realloc(l->us, cap * sizeof(*nu));

                if (!nu)
                        return -ENOMEM;
                l->us = nu;
                l->cap = cap;
        }
        l->us[l->n++] = us;
        return 0;
}

int latencies_append(struct latencies *l, const struct latencies *more)
{
        for (size_t i = 0; i < more->n; i++) {
                int r = latencies_add(l, more->us[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

void latencies_free(struct latencies *l)
{
        free(l->us);
        *l = (struct latencies){ 0 };
}

static int cmp_u32(const void *a, const void *b)
{
        uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

        return (x > y) - (x < y);
}

uint32_t latencies_quantile(struct latencies *l, double q)
{
        size_t rank;

        if (l->n == 0)
                return 0;
        qsort(l->us, l->n, sizeof(*l->us), cmp_u32);
        /* nearest rank: the smallest value with at least q of the set at or below it */
        rank = (size_t)(q * (double)l->n + 0.999999);
        if (rank < 1)
                rank = 1;
        if (rank > l->n)
                rank = l->n;
        return l->us[rank - 1];
}
