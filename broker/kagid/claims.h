/* Private to broker/kagid/: who holds what right now (claims.c) — the live
 * sessions, in memory, for the checks that must see every registration at
 * once, also those not committed yet: a shared ID's count in use (SID-2), a
 * person on one terminal at a time, a card in one session at a time. The
 * store stays the record; at start the claims are read back from it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct claim {
        char id[65];                          /* the session */
        char account[257];
        char person[257];
        char terminal[600];
        char card[65];                        /* a card login: its fingerprint */
        int64_t since;                        /* wall clock */
        bool registered;                      /* at the account phase, not opened yet */
};

enum claim_conflict {
        CLAIM_OK,
        CLAIM_IN_USE,                         /* the account's allowed count is in use */
        CLAIM_ONE_TERMINAL,                   /* the person is on another terminal */
        CLAIM_CARD,                           /* the card is in another session */
};

struct claim_rules {
        uint32_t max_sessions;                /* of the account at once; 0: no limit */
        bool one_terminal;                    /* the person on one terminal at a time */
};

struct claims;
int claims_new(struct claims **ret);
void claims_free(struct claims *c);
/* Checks want against every claim held and, when nothing conflicts, holds
 * it. A registration nobody opened from the same account, person and
 * terminal is taken over (a login tried again). ret_holder: the conflicting
 * claim, for the message. */
enum claim_conflict claims_take(struct claims *c, const struct claim *want, const struct claim_rules *rules,
                                struct claim *ret_holder);
/* The registered claim is an open session now. */
void claims_opened(struct claims *c, const char *id);
void claims_release(struct claims *c, const char *id);
size_t claims_count(struct claims *c);
