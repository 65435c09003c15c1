/* LOCK-1 as arithmetic. The caller loads the state, calls one of these inside
 * a database transaction and stores the result before it answers anybody. */
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

enum lock_step lockout_reserve(const struct lockout_rule *r, struct lock_state *st, int64_t now,
                               enum lock_event *ret_event)
{
        *ret_event = LOCK_EV_NONE;
        if (unlock_due(r, st, now)) {
                *st = (struct lock_state){ 0 };
                *ret_event = LOCK_EV_AUTO_UNLOCKED;
        }
        if (st->locked_at != 0)
                return LOCK_REFUSE;
        if (st->failures >= r->threshold) {
                /* Every allowed attempt is already reserved (in flight, or left
                 * unsettled by a crash): the account is locked from now. */
                st->locked_at = now;
                *ret_event = LOCK_EV_LOCKED;
                return LOCK_REFUSE;
        }
        st->failures++;
        return LOCK_PROCEED;
}

void lockout_settle(const struct lockout_rule *r, struct lock_state *st, bool success, int64_t now,
                    enum lock_event *ret_event)
{
        *ret_event = LOCK_EV_NONE;
        if (success) {
                *st = (struct lock_state){ 0 };
                return;
        }
        if (st->locked_at == 0 && st->failures >= r->threshold) {
                st->locked_at = now;
                *ret_event = LOCK_EV_LOCKED;
        }
}

void lockout_count(const struct lockout_rule *r, struct lock_state *st, int64_t now,
                   enum lock_event *ret_event)
{
        bool unlocked = unlock_due(r, st, now);

        if (unlocked)
                *st = (struct lock_state){ 0 };
        if (st->failures < UINT32_MAX)
                st->failures++;
        lockout_settle(r, st, false, now, ret_event);
        if (unlocked && *ret_event == LOCK_EV_NONE)
                *ret_event = LOCK_EV_AUTO_UNLOCKED;
}
