/* kagi-bench-review: what its files share (history.c writes the store,
 * bench_review.c measures kagictl report review against kagid on it). */
#pragma once

#include <stdint.h>

#include "common.h"

struct store;
struct kagi_keys;

#define BENCH_ADMINS 10                       /* adm01..adm10, in group wheel */
#define BENCH_LEFT 40                         /* accounts with state the directory no longer knows */
#define BENCH_SHARED 20                       /* shared IDs mado01..mado20 */
#define BENCH_SHARED_MEMBERS 5                /* each for five of bench00000..bench00099 */

struct history_size {
        uint64_t accounts;                    /* BENCH_ADMINS of them administrators */
        uint64_t records;                     /* audit records in the year, about */
};

/* The year that ends at `end` (unix seconds), written into s. */
int history_write(struct store *s, const struct kagi_keys *keys, const struct history_size *z, int64_t end,
                  uint64_t *ret_records);
