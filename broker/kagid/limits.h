/* Private to broker/kagid/: how many connections each peer holds, and
 * whether one more may be accepted (limits.c). */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define LIMITS_SLOTS 4096                     /* distinct uids holding connections at once */

enum limit_verdict {
        LIMIT_OK,
        LIMIT_TOTAL,                          /* max_connections reached */
        LIMIT_SHARED,                         /* the part not kept for root is in use */
        LIMIT_PER_UID,                        /* this uid holds max_connections_per_uid */
};

struct limits {
        pthread_mutex_t lock;
        uint32_t max_total, max_per_uid, root_reserved;
        uint32_t total, non_root;
        struct { uid_t uid; uint32_t n; } slot[LIMITS_SLOTS];
};

void limits_init(struct limits *l, uint32_t max_total, uint32_t max_per_uid, uint32_t root_reserved);
/* Counts the connection when it may be accepted. */
enum limit_verdict limits_admit(struct limits *l, uid_t uid);
void limits_release(struct limits *l, uid_t uid);
const char *limit_verdict_name(enum limit_verdict v);
