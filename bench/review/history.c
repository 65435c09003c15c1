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
 *   a shared ID     as a login, on madoNN by one of its members; now and then a member refused
 *                   while it is in use, or someone who is no member (auth failure, shared-misuse)
 *   a grant         grant-request, grant-approve (or break-glass, or grant-deny), then su to
 *                   root under it (auth, account, grant-use, login, logout), an extension now
 *                   and then, and its end: expired, or given back early (grant-revoke)
 *
 * Every login's session is in the sessions table too, as kagid writes one
 * for every session it opens; each grant in the grants table.
 *
 * Who is who: benchNNNNN from libnss_kagibench (the last 40 have state but
 * are gone from the directory: KAGI_BENCH_ACCOUNTS stops short of them), and
 * adm01..adm10 in group wheel (privileged) from the passwd file. 2% never
 * log in, 12% stop more than 90 days before the end; 30% use IC cards, the
 * rest TOTP, and 1% have enrolled nothing. The shared IDs mado01..mado20
 * (BENCH_SHARED), each for five of bench00000..bench00099, are used about
 * 40 times a working day; one was used once, early in the year, before it
 * was one (nobody named). The administrators hold the role sysadmin (root,
 * approval by another of them, break-glass allowed) and ask for it twice a
 * working day. Deterministic: the same store every run. */
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
        uint64_t sessions, grants;
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

/* each person at a workstation of their own */
static void terminal_of(struct year *y, const struct person *p, char terminal[64])
{
        snprintf(terminal, 64, "mn-ws-%04u:pts/%u", (unsigned)(p - y->p) % 2000, (unsigned)below(y, 8));
}

/* A record on `account` by p (or `person`), at p's workstation. */
static int rec_on(struct year *y, int64_t t, const char *event, const char *account, const struct person *p,
                  const char *person, const char *service, const char *factor, const char *result, const char *reason,
                  const char *session)
{
        char terminal[64];
        struct audit_record r = {
                .time_us = t * 1000000 + (int64_t)below(y, 1000000),
                .event = event,
                .account = account,
                .person = person ? person : p->name,
                .terminal = terminal,
                .service = service,
                .factor = factor,
                .result = result,
                .reason = reason,
                .session = session,
        };

        terminal_of(y, p, terminal);
        y->records++;
        return audit_append(y->s, y->keys->audit, &r);
}

static int rec(struct year *y, int64_t t, const char *event, const struct person *p, const char *person,
               const char *service, const char *factor, const char *result, const char *reason, const char *session)
{
        return rec_on(y, t, event, p->name, p, person, service, factor, result, reason, session);
}

/* The sessions table's row of a session of p's (or `person`'s, at p's
 * workstation) from `from` to `to` (logged out). */
static int session_row(struct year *y, const char *id, const char *account, const struct person *p,
                       const char *person, const char *service, int64_t from, int64_t to, int64_t grant)
{
        struct session_row r = { .pid = 1000 + (int64_t)below(y, 30000), .started = from, .tty_uid = -1,
                                 .grant = grant };
        int k;

        snprintf(r.id, sizeof(r.id), "%s", id);
        snprintf(r.account, sizeof(r.account), "%s", account);
        snprintf(r.person, sizeof(r.person), "%s", person ? person : p->name);
        snprintf(r.service, sizeof(r.service), "%s", service);
        terminal_of(y, p, r.terminal);
        snprintf(r.state, sizeof(r.state), "open");
        if (grant)
                snprintf(r.role, sizeof(r.role), "sysadmin");
        k = store_session_add(y->s, &r);
        if (k < 0)
                return k;
        snprintf(r.state, sizeof(r.state), "ended");
        snprintf(r.end_how, sizeof(r.end_how), "logout");
        r.ended = r.last_gone = to;
        y->sessions++;
        return store_session_put(y->s, &r);
}

static void new_session_id(struct year *y, char id[33])
{
        snprintf(id, 33, "%016llx%016llx", (unsigned long long)next(y), (unsigned long long)next(y));
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

/* A login of p to account (its own, or a shared ID p is a member of). */
static int login_to(struct year *y, struct person *p, const char *account, int64_t t)
{
        char why[64], session[33];
        int64_t out = t + 1800 + (int64_t)below(y, 6 * 3600);
        int r;

        snprintf(why, sizeof(why), p->card ? "card %s" : "clock skew +0 steps", p->serial);
        new_session_id(y, session);
        r = rec_on(y, t, "auth", account, p, NULL, "login", factor_of(p), "success", why, NULL);
        if (r >= 0)
                r = rec_on(y, t, "account", account, p, NULL, "login", "-", "success", "", NULL);
        if (r >= 0)
                r = rec_on(y, t + 1, "login", account, p, NULL, "login", "-", "success", "", session);
        if (r >= 0)
                r = rec_on(y, out, "logout", account, p, NULL, "login", "-", "success", "", session);
        if (r >= 0)
                r = session_row(y, session, account, p, NULL, "login", t + 1, out, 0);
        p->lock = (struct lock_state){ 0 };
        p->last_success = t;
        return r;
}

static int login(struct year *y, struct person *p, int64_t t)
{
        return login_to(y, p, p->name, t);
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

/* ---- shared IDs and grants ---------------------------------------------------- */

static void shared_name(unsigned k, char name[16])
{
        snprintf(name, 16, "mado%02u", k + 1);
}

/* A use of a shared ID by one of its members; now and then a member refused
 * while it is in use, or someone who is no member. */
static int shared_use(struct year *y, int64_t t)
{
        unsigned k = (unsigned)below(y, BENCH_SHARED);
        struct person *p = &y->p[k * BENCH_SHARED_MEMBERS + below(y, BENCH_SHARED_MEMBERS)];
        uint64_t roll = below(y, 100);
        char id[16], why[160];
        int r;

        shared_name(k, id);
        if (p->never || p->lock.locked_at)
                return 0;
        if (roll < 2) {
                snprintf(why, sizeof(why), "in use: 1 session(s) allowed, session %016llx of %s on mn-ws-0001:pts/1",
                         (unsigned long long)next(y), y->p[k * BENCH_SHARED_MEMBERS].name);
                r = rec_on(y, t, "auth", id, p, NULL, "login", factor_of(p), "success", "", NULL);
                return r < 0 ? r : rec_on(y, t, "account", id, p, NULL, "login", "-", "denied", why, NULL);
        }
        if (roll < 3) {
                /* someone who is no member: counted on their own account */
                struct person *q = &y->p[BENCH_SHARED * BENCH_SHARED_MEMBERS + below(y, 1000)];

                if (q->never || q->lock.locked_at || q->lock.failures >= 2)
                        return 0;
                snprintf(why, sizeof(why), "%s is not a member of shared ID %s", q->name, id);
                q->lock.failures++;
                q->last_failure = t;
                r = rec_on(y, t, "auth", id, q, NULL, "login", factor_of(q), "failure", why, NULL);
                return r < 0 ? r : rec_on(y, t, "shared-misuse", id, q, NULL, "login", factor_of(q), "denied", why, NULL);
        }
        return login_to(y, p, id, t);
}

/* One of the administrators asks for sysadmin; approved by another (or by
 * break-glass, or denied), used by su to root, perhaps extended, then it
 * expires or is given back. */
static int privileged_grant(struct year *y, int64_t t)
{
        size_t a = y->n - BENCH_ADMINS + below(y, BENCH_ADMINS);
        struct person *p = &y->p[a], *approver = &y->p[y->n - BENCH_ADMINS + (a + 1) % BENCH_ADMINS];
        struct grant_row g = { .requested = 3600, .created = t };
        uint64_t roll = below(y, 100);
        char why[1200], session[33];
        int64_t start, end;
        int r;

        snprintf(g.role, sizeof(g.role), "sysadmin");
        snprintf(g.person, sizeof(g.person), "%s", p->name);
        snprintf(g.reason, sizeof(g.reason), "月次メンテナンス");
        snprintf(g.state, sizeof(g.state), "pending");
        g.break_glass = roll < 10;
        r = store_grant_add(y->s, &g);
        if (r < 0)
                return r;
        y->grants++;
        snprintf(why, sizeof(why), "grant %lld, role sysadmin, 60 min%s: %s", (long long)g.id,
                 g.break_glass ? ", break-glass" : "", g.reason);
        r = rec(y, t, "grant-request", p, NULL, "kagictl", "-", g.break_glass ? "active" : "pending", why, NULL);
        if (r >= 0 && g.break_glass)
                r = rec(y, t, "break-glass", p, NULL, "kagictl", "-", "active", why, NULL);
        if (r < 0)
                return r;
        if (roll >= 95) {
                /* denied */
                snprintf(g.state, sizeof(g.state), "denied");
                g.decided = g.closed = t + 300;
                snprintf(g.approver, sizeof(g.approver), "%s", approver->name);
                snprintf(g.closed_by, sizeof(g.closed_by), "%s", approver->name);
                snprintf(why, sizeof(why), "grant %lld of %s (role sysadmin) denied: 来週に", (long long)g.id, p->name);
                r = rec(y, t + 300, "grant-deny", p, approver->name, "kagictl", "-", "denied", why, NULL);
                return r < 0 ? r : store_grant_put(y->s, &g);
        }
        snprintf(g.state, sizeof(g.state), "active");
        g.starts = g.break_glass ? t : t + 300;
        if (!g.break_glass) {
                g.decided = g.starts;
                snprintf(g.approver, sizeof(g.approver), "%s", approver->name);
                snprintf(why, sizeof(why), "grant %lld of %s (role sysadmin) approved", (long long)g.id, p->name);
                r = rec(y, g.starts, "grant-approve", p, approver->name, "kagictl", "-", "approved", why, NULL);
        }
        g.ends = g.starts + g.requested;
        if (roll % 8 == 0)
                g.extended = 1800;             /* by half an hour, approved */
        g.ends += g.extended;
        /* su to root under it, for a while */
        start = g.starts + 60;
        end = start + 600 + (int64_t)below(y, 2400);
        new_session_id(y, session);
        snprintf(why, sizeof(why), "grant %lld (role sysadmin) opens root", (long long)g.id);
        if (r >= 0)
                r = rec_on(y, start, "auth", "root", p, NULL, "su", "password+totp", "success", "", NULL);
        if (r >= 0)
                r = rec_on(y, start, "account", "root", p, NULL, "su", "-", "success", why, session);
        if (r >= 0)
                r = rec_on(y, start, "grant-use", "root", p, NULL, "su", "-", "success", why, session);
        if (r >= 0)
                r = rec_on(y, start + 1, "login", "root", p, NULL, "su", "-", "success", "under a grant", session);
        if (r >= 0)
                r = rec_on(y, end, "logout", "root", p, NULL, "su", "-", "success", "", session);
        if (r >= 0)
                r = session_row(y, session, "root", p, NULL, "su", start + 1, end, g.id);
        if (r < 0)
                return r;
        if (roll % 3 == 0) {
                /* given back once the work was done */
                snprintf(g.state, sizeof(g.state), "revoked");
                g.closed = end + 30;
                snprintf(g.closed_by, sizeof(g.closed_by), "%s", p->name);
                snprintf(why, sizeof(why), "grant %lld of %s (role sysadmin) revoked: 作業完了", (long long)g.id,
                         p->name);
                r = rec(y, g.closed, "grant-revoke", p, NULL, "kagictl", "-", "revoked", why, NULL);
        } else {
                snprintf(g.state, sizeof(g.state), "expired");
                g.closed = g.ends;
                snprintf(g.closed_by, sizeof(g.closed_by), "kagid");
                snprintf(why, sizeof(why), "grant %lld of %s (role sysadmin) ended at its deadline", (long long)g.id,
                         p->name);
                r = rec(y, g.closed, "grant-expire", p, NULL, "kagid", "-", "expired", why, NULL);
        }
        return r < 0 ? r : store_grant_put(y->s, &g);
}

/* The day's shared-ID uses and grants (weekdays; a tenth at weekends). */
static int policy_day(struct year *y, int d, bool weekend)
{
        int64_t t0 = y->start + (int64_t)d * DAY + 8 * 3600;
        unsigned uses = weekend ? 4 : 40, grants = weekend ? (d % 5 == 0) : 2;
        int r = 0;

        for (unsigned i = 0; r >= 0 && i < uses; i++)
                r = shared_use(y, t0 + (int64_t)below(y, 10 * 3600));
        for (unsigned i = 0; r >= 0 && i < grants; i++)
                r = privileged_grant(y, t0 + 3600 + (int64_t)below(y, 8 * 3600));
        if (r >= 0 && d == 30) {
                /* mado20, used once before it was a shared ID: nobody named */
                char id[16], session[33];

                shared_name(BENCH_SHARED - 1, id);
                new_session_id(y, session);
                r = session_row(y, session, id, &y->p[(BENCH_SHARED - 1) * BENCH_SHARED_MEMBERS], id, "login", t0,
                                t0 + 3600, 0);
        }
        return r;
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
                        r = policy_day(&y, d, (d + 1) % 7 >= 5);
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
