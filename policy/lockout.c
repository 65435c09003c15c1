/* LOCK-1 as arithmetic. Before a credential is checked: may one more
 * attempt start, with the ones already in flight? After: settle it. The
 * caller stores a settled state durably before it answers anybody. */
#include "policy.h"

static bool unlock_due(const struct lockout_rule *r, const struct lock_state *st, int64_t now)
{
        return st->locked_at != 0 && r->unlock_after != 0 &&
               now >= st->locked_at + (int64_t)r->unlock_after;
}

bool lockout_is_locked(const struct lockout_rule *r, const struct lock_state *st, int64_t now)
{
        if (unlock_due(r, st, now))
                return false;
        return st->locked_at != 0 || st->failures >= r->threshold;
}

enum lock_step lockout_may_try(const struct lockout_rule *r, const struct lock_state *st, unsigned in_flight,
                               int64_t now)
{
        uint64_t failures = unlock_due(r, st, now) ? 0 : st->failures;

        if (lockout_is_locked(r, st, now))
                return LOCK_REFUSE;
        /* every attempt still allowed is under way: one more could be the
         * verification past the threshold */
        if (failures + in_flight >= r->threshold)
                return LOCK_BUSY;
        return LOCK_PROCEED;
}

void lockout_settle(const struct lockout_rule *r, struct lock_state *st, bool success, int64_t now,
                    enum lock_event *ret_event)
{
        *ret_event = LOCK_EV_NONE;
        if (unlock_due(r, st, now)) {
                *st = (struct lock_state){ 0 };
                *ret_event = LOCK_EV_AUTO_UNLOCKED;
        }
        if (success) {
                *st = (struct lock_state){ 0 };
                return;
        }
        if (st->failures < UINT32_MAX)
                st->failures++;
        if (st->locked_at == 0 && st->failures >= r->threshold) {
                st->locked_at = now;
                *ret_event = LOCK_EV_LOCKED;
        }
}
