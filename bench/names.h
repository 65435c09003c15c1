/* How the benchmark names its accounts: accounts.c writes them, the NSS
 * module answers for them. */
#pragma once

#define BENCH_NAME_PREFIX "bench"
#define BENCH_NAME_DIGITS 6                /* up to 1,000,000 accounts */
#define BENCH_NAME_FMT BENCH_NAME_PREFIX "%06lu"
#define BENCH_GROUP "bench"
#define BENCH_GID 20000                  /* account N has uid BENCH_GID + 1 + N */
#define BENCH_ACCOUNTS_ENV "KAGI_BENCH_ACCOUNTS"  /* how many there are */
/* pam_faillock's tally directories in a benchmark directory (bench/lib.sh) */
#define BENCH_FAILLOCK_DIR "faillock"
#define BENCH_FAILLOCK_SHARED_DIR "faillock-shared"
