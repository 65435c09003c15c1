/* When to warn a session and when to look at it again: pure, so the rules
 * (skip warnings that would fall before the session began, one warning for
 * several overdue ones, warn again after an extension) are tested alone. */
#include <errno.h>

#include "enforce.h"

#define LEADS_MAX 64

int enforce_schedule(int64_t start, int64_t deadline, const uint32_t *leads, size_t n_leads,
                     int64_t last_warned, int64_t now, struct enforce_plan *ret)
{
        struct enforce_plan p = { .expired = now >= deadline, .wake = deadline };
        int64_t due_at = 0;

        if (deadline < start || n_leads > LEADS_MAX || (n_leads > 0 && !leads))
                return -EINVAL;
        /* leads are at most 2^32 s: keep deadline - lead from wrapping */
        if (deadline < INT64_MIN / 2)
                return -EINVAL;

        for (size_t i = 0; i < n_leads && !p.expired; i++) {
                int64_t at = deadline - (int64_t)leads[i];

                if (at < start)
                        continue;       /* the grant was shorter than this lead */
                if (at > now) {
                        if (at < p.wake)
                                p.wake = at;
                } else if (at > last_warned && (!p.warn || at > due_at)) {
                        /* the latest one that is due: earlier ones are stale */
                        p.warn = true;
                        p.lead = leads[i];
                        due_at = at;
                }
        }
        *ret = p;
        return 0;
}
