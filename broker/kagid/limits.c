/* Connection limits: every peer-controllable resource has one. Root (the
 * PAM module deciding logins) may use every connection; the others share
 * what is not kept for root, each uid at most max_per_uid of it. A peer over
 * its limit is refused at once, never queued. */
#include <string.h>

#include "limits.h"

void limits_init(struct limits *l, uint32_t max_total, uint32_t max_per_uid, uint32_t root_reserved)
{
        memset(l, 0, sizeof(*l));
        pthread_mutex_init(&l->lock, NULL);
        l->max_total = max_total;
        l->max_per_uid = max_per_uid;
        l->root_reserved = root_reserved < max_total ? root_reserved : max_total;
}

/* Open addressing on the uid; slots with n == 0 are free. */
static size_t slot_of(const struct limits *l, uid_t uid, bool *ret_found)
{
        size_t i = ((size_t)uid * 2654435761u) % LIMITS_SLOTS, free_slot = SIZE_MAX;

        for (size_t k = 0; k < LIMITS_SLOTS; k++, i = (i + 1) % LIMITS_SLOTS) {
                if (l->slot[i].n == 0) {
                        if (free_slot == SIZE_MAX)
                                free_slot = i;
                        continue;
                }
                if (l->slot[i].uid == uid) {
                        *ret_found = true;
                        return i;
                }
        }
        *ret_found = false;
        return free_slot;
}

enum limit_verdict limits_admit(struct limits *l, uid_t uid)
{
        enum limit_verdict v = LIMIT_OK;
        bool found;
        size_t i;

        pthread_mutex_lock(&l->lock);
        if (l->total >= l->max_total) {
                v = LIMIT_TOTAL;
        } else if (uid != 0) {
                i = slot_of(l, uid, &found);
                if (l->non_root >= l->max_total - l->root_reserved)
                        v = LIMIT_SHARED;
                else if (i == SIZE_MAX || (found && l->slot[i].n >= l->max_per_uid))
                        v = LIMIT_PER_UID;
                else {
                        l->slot[i].uid = uid;
                        l->slot[i].n++;
                        l->non_root++;
                }
        }
        if (v == LIMIT_OK)
                l->total++;
        pthread_mutex_unlock(&l->lock);
        return v;
}

void limits_release(struct limits *l, uid_t uid)
{
        bool found;
        size_t i;

        pthread_mutex_lock(&l->lock);
        if (l->total > 0)
                l->total--;
        if (uid != 0) {
                i = slot_of(l, uid, &found);
                if (found) {
                        l->slot[i].n--;
                        l->non_root--;
                }
        }
        pthread_mutex_unlock(&l->lock);
}

const char *limit_verdict_name(enum limit_verdict v)
{
        switch (v) {
        case LIMIT_TOTAL: return "max_connections";
        case LIMIT_SHARED: return "max_connections - root_connections (the part not kept for root)";
        case LIMIT_PER_UID: return "max_connections_per_uid";
        default: return "none";
        }
}
