/* A municipality's year in kagi's store, written through kagi's own store
 * API (store_begin / audit_append / store_commit …) so that the audit chain
 * is the one kagid would have written and verifies: 10,000 accounts and
 * 1,000,000 audit records by default, day by day, with the records kagid
 * writes for each event (see broker/kagid/auth.c, card.c, admin*.c):
 *
 *   a login         auth success, account success, login, logout
 *   a failure       auth failure (one login in 20 starts with one)
 *   a lock          three failures, lock, then unlock (an administrator's, with a reason, or the timer's)
 *   a card login    as a login, factor card+pin, reason "card SERIAL"
 *   revocation      card-revoke; afterwards some refused tries with the card
 *   replacement     card-register of a new card, the old one retired (also after a revocation)
 *   card sharing    auth failure and card-sharing: a card presented for another's ID
 *
 * Who is who: benchNNNNN from libnss_kagibench (the last 40 have state but
 * are gone from the directory: KAGI_BENCH_ACCOUNTS stops short of them), and
 * adm01..adm10 in group wheel (privileged) from the passwd file. 2% never
 * log in, 12% stop more than 90 days before the end; 30% use IC cards, the
 * rest TOTP, and 1% have enrolled nothing. Deterministic: the same store
 * every run. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_review.h"
#include "secrets.h"
#include "store.h"

#define DAY 86400

struct person {
        char name[16];
        bool card, totp, never;
        int last_day;                         /* logs in up to this day of the year */
        char serial[16], fingerprint[65];
        struct lock_state lock;
        int64_t last_success, last_failure;
};

struct year {
        struct store *s;
        const struct kagi_keys *keys;
        struct person *p;
        size_t n;
        int64_t start;                        /* the first second of the year */
        uint64_t rng;
        uint64_t records;
        unsigned next_card;
};

static uint64_t next(struct year *y)
{
        /* xorshift64*: any fixed sequence will do */
        y->rng ^= y->rng >> 12;
        y->rng ^= y->rng << 25;
        y->rng ^= y->rng >> 27;
        return y->rng * 0x2545f4914f6cdd1du;
}

static uint64_t below(struct year *y, uint64_t n)
{
        return n ? next(y) % n : 0;
}

static int rec(struct year *y, int64_t t, const char *event, const struct person *p, const char *person,
               const char *service, const char *factor, const char *result, const char *reason, const char *session)
{
        char terminal[64];
        struct audit_record r = {
                .time_us = t * 1000000 + (int64_t)below(y, 1000000),
                .event = event,
                .account = p->name,
                .person = person ? person : p->name,
                .terminal = terminal,
                .service = service,
                .factor = factor,
                .result = result,
                .reason = reason,
                .session = session,
        };

        /* each person at a workstation of their own */
        snprintf(terminal, sizeof(terminal), "mn-ws-%04u:pts/%u", (unsigned)(p - y->p) % 2000, (unsigned)below(y, 8));
        y->records++;
        return audit_append(y->s, y->keys->audit, &r);
}

/* A TOTP secret (random, sealed as kagid seals it). */
static int enroll_totp(struct year *y, struct person *p, int64_t t)
{
        uint8_t secret[TOTP_SECRET_LEN];
        _cleanup_(freep) uint8_t *sealed = NULL;
        size_t len = 0;
        int r;

        for (size_t i = 0; i < sizeof(secret); i++)
                secret[i] = (uint8_t)next(y);
        r = seal(y->keys->seal, p->name, secret, sizeof(secret), &sealed, &len);
        secret_wipe(secret, sizeof(secret));
        if (r >= 0)
                r = store_totp_put(y->s, p->name, sealed, len, t);
        return r < 0 ? r : rec(y, t, "enroll", p, "adm01", "kagictl", "totp", "success", "new secret", NULL);
}

/* A new card; the person's earlier one, if any, is retired. */
static int register_card(struct year *y, struct person *p, int64_t t)
{
        struct card_row c = { .registered = t, .not_after = t + 5 * 365 * DAY };
        char why[160];
        int r;

        snprintf(p->serial, sizeof(p->serial), "%08X", ++y->next_card * 2654435761u);
        for (int i = 0; i < 64; i++)
                p->fingerprint[i] = "0123456789abcdef"[below(y, 16)];
        p->fingerprint[64] = '\0';
        snprintf(c.fingerprint, sizeof(c.fingerprint), "%s", p->fingerprint);
        snprintf(c.serial, sizeof(c.serial), "%s", p->serial);
        snprintf(c.subject, sizeof(c.subject), "/C=JP/O=bench/CN=%s", p->name);
        snprintf(c.issuer, sizeof(c.issuer), "/C=JP/O=bench/CN=bench CA");
        snprintf(c.account, sizeof(c.account), "%s", p->name);
        r = store_card_add(y->s, &c, t);
        if (r >= 0 && store_card_retire_others(y->s, p->name, p->fingerprint, t) < 0)
                r = -EIO;
        snprintf(why, sizeof(why), "card %s (%s)", p->serial, p->fingerprint);
        return r < 0 ? r : rec(y, t, "card-register", p, "adm01", "kagictl", "card", "success", why, NULL);
}

static int enroll(struct year *y, struct person *p, int64_t t)
{
        int r = p->totp ? enroll_totp(y, p, t) : 0;

        return r < 0 || !p->card ? r : register_card(y, p, t);
}

static const char *factor_of(const struct person *p)
{
        return p->card ? "card+pin" : "password+totp";
}

static int login(struct year *y, struct person *p, int64_t t)
{
        char why[64], session[33];
        int r;

        snprintf(why, sizeof(why), p->card ? "card %s" : "clock skew +0 steps", p->serial);
        snprintf(session, sizeof(session), "%016llx%016llx", (unsigned long long)next(y), (unsigned long long)next(y));
        r = rec(y, t, "auth", p, NULL, "login", factor_of(p), "success", why, NULL);
        if (r >= 0)
                r = rec(y, t, "account", p, NULL, "login", "-", "success", "", NULL);
        if (r >= 0)
                r = rec(y, t + 1, "login", p, NULL, "login", "-", "success", "", session);
        if (r >= 0)
                r = rec(y, t + 1800 + (int64_t)below(y, 6 * 3600), "logout", p, NULL, "login", "-", "success", "",
                        session);
        p->lock = (struct lock_state){ 0 };
        p->last_success = t;
        return r;
}

static int failure(struct year *y, struct person *p, int64_t t, const char *reason)
{
        p->lock.failures++;
        p->last_failure = t;
        return rec(y, t, "auth", p, NULL, "login", factor_of(p), "failure", reason, NULL);
}

/* Three failures, the lock, and its end: an administrator's unlock with a
 * reason (nine in ten), or the timer's at the next login. */
static int lockout(struct year *y, struct person *p, int64_t t)
{
        int r = 0;

        for (int i = 0; r >= 0 && i < 3; i++)
                r = failure(y, p, t + i * 40, p->card ? "wrong PIN (2 tries left on the card)" : "wrong code");
        p->lock.locked_at = t + 80;
        if (r >= 0)
                r = rec(y, t + 80, "lock", p, NULL, "login", "-", "locked", "3 consecutive failures", NULL);
        if (r < 0 || below(y, 50) == 0)
                return r;                     /* still locked at the end of the year */
        t += 600 + (int64_t)below(y, 7200);
        if (below(y, 10) != 0)
                r = rec(y, t, "unlock", p, "adm01", "kagictl", "-", "unlocked", "本人確認の上解除", NULL);
        else
                r = rec(y, t, "unlock", p, NULL, "login", "-", "unlocked", "unlock_after 3600s elapsed", NULL);
        p->lock = (struct lock_state){ 0 };
        return r;
}

static int revoke_card(struct year *y, struct person *p, int64_t t)
{
        char why[128];
        int r = store_card_revoke(y->s, p->fingerprint, "紛失届", t);

        snprintf(why, sizeof(why), "card %s: 紛失届", p->serial);
        if (r >= 0)
                r = rec(y, t, "card-revoke", p, "adm01", "kagictl", "card", "revoked", why, NULL);
        /* one in four is tried again: where is that card? */
        snprintf(why, sizeof(why), "card %s revoked: 紛失届", p->serial);
        if (r >= 0 && below(y, 4) == 0)
                r = failure(y, p, t + DAY, why);
        /* and a new card replaces it */
        return r < 0 ? r : register_card(y, p, t + 2 * DAY);
}

static int sharing(struct year *y, struct person *p, const struct person *owner, int64_t t)
{
        char why[128];
        int r;

        snprintf(why, sizeof(why), "card %s is registered to %s", owner->serial, owner->name);
        r = failure(y, p, t, why);
        return r < 0 ? r : rec(y, t, "card-sharing", p, owner->name, "login", "card+pin", "denied", why, NULL);
}

static void cast(struct year *y)
{
        for (size_t i = 0; i < y->n; i++) {
                struct person *p = &y->p[i];
                uint64_t roll = below(y, 100);

                if (i < y->n - BENCH_ADMINS)
                        snprintf(p->name, sizeof(p->name), "bench%05u", (unsigned)i);
                else
                        snprintf(p->name, sizeof(p->name), "adm%02u", (unsigned)(i - (y->n - BENCH_ADMINS) + 1));
                p->card = below(y, 10) < 3;
                p->totp = !p->card || below(y, 5) == 0;
                if (below(y, 100) == 0)
                        p->card = p->totp = false;    /* enrolled nothing: factors.missing */
                p->never = roll < 2;
                p->last_day = roll < 14 ? (int)below(y, 365 - 91) : 364;
        }
}

static int day(struct year *y, int d, uint64_t logins)
{
        int64_t t0 = y->start + (int64_t)d * DAY + 8 * 3600, step = (10 * 3600) / (int64_t)(logins + 1);
        int r = 0;

        for (uint64_t k = 0; r >= 0 && k < logins; k++) {
                struct person *p = &y->p[below(y, y->n)];
                int64_t t = t0 + (int64_t)k * step;
                uint64_t roll = below(y, 100000);

                if (p->never || d > p->last_day)
                        continue;
                if (p->lock.locked_at)
                        continue;             /* locked and not unlocked: refused, and nothing counted */
                if (roll < 800)
                        r = lockout(y, p, t);
                else if (roll < 1000 && p->card)
                        r = revoke_card(y, p, t);
                else if (roll < 1300 && p->card)
                        r = register_card(y, p, t);   /* renewed: the old card retired */
                else if (roll < 1400 && p->card) {
                        const struct person *o = &y->p[below(y, y->n)];

                        r = o->card && o != p ? sharing(y, p, o, t) : login(y, p, t);
                } else {
                        if (roll < 6000)
                                r = failure(y, p, t - 30, p->card ? "wrong PIN (2 tries left on the card)" : "wrong code");
                        if (r >= 0)
                                r = login(y, p, t);
                }
        }
        return r;
}

static int finish(struct year *y)
{
        int r = 0;

        for (size_t i = 0; r >= 0 && i < y->n; i++) {
                struct person *p = &y->p[i];

                r = store_lock_put(y->s, p->name, &p->lock);
                if (r >= 0 && p->last_success)
                        r = store_note_result(y->s, p->name, true, p->last_success);
                if (r >= 0 && p->last_failure)
                        r = store_note_result(y->s, p->name, false, p->last_failure);
        }
        return r;
}

int history_write(struct store *s, const struct kagi_keys *keys, const struct history_size *z, int64_t end,
                  uint64_t *ret_records)
{
        _cleanup_(freep) struct person *people = calloc(z->accounts, sizeof(struct person));
        struct year y = { .s = s, .keys = keys, .p = people, .n = z->accounts, .start = end - 365 * DAY,
                          .rng = 0x9e3779b97f4a7c15u };
        int r = 0;

        if (!people || z->accounts <= BENCH_ADMINS)
                return -EINVAL;
        cast(&y);
        /* the first week: everyone enrolled */
        for (size_t i = 0; r >= 0 && i < y.n; i++) {
                if (i % 2000 == 0) {
                        if (i)
                                r = store_commit(s);
                        if (r >= 0)
                                r = store_begin(s);
                }
                if (r >= 0)
                        r = enroll(&y, &people[i], y.start + (int64_t)(i % 7) * DAY + 3600 + (int64_t)i);
        }
        if (r >= 0)
                r = store_commit(s);
        for (int d = 7; r >= 0 && d < 365; d++) {
                /* fewer at weekends, and the year's records reached on time */
                uint64_t left = z->records > y.records ? z->records - y.records : 0;
                uint64_t n = (uint64_t)(left / 4 / (uint64_t)(365 - d));

                if ((d + 1) % 7 >= 5)
                        n /= 4;
                r = store_begin(s);
                if (r >= 0)
                        r = day(&y, d, n);
                if (r >= 0)
                        r = store_commit(s);
                else
                        store_rollback(s);
        }
        if (r >= 0)
                r = store_begin(s);
        if (r >= 0)
                r = finish(&y);
        if (r >= 0)
                r = store_commit(s);
        *ret_records = y.records;
        return r;
}
