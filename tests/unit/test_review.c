/* The account review's questions to the store (broker/store/review.c) on a
 * real SQLite store whose audit log tells a known story: each answer is the
 * one a reader of that log would give. */
#include "unit.h"

#include "store.h"

static const uint8_t key[KAGI_KEY_LEN] = "audit-key-for-the-review-tests";

/* The period: 2025-04-01T00:00:00Z and 30 days on. */
#define FROM INT64_C(1743465600)
#define DAY 86400
#define UNTIL (FROM + 30 * DAY - 1)

struct fixture {
        char *dir;
        struct store *s;
};

struct rec {
        int64_t t;                            /* unix seconds */
        const char *event, *account, *person, *service, *factor, *result, *reason;
};

static void append(struct store *s, const struct rec *r)
{
        struct audit_record a = {
                .time_us = r->t * 1000000 + 1,
                .event = r->event,
                .account = r->account,
                .person = r->person ? r->person : r->account,
                .terminal = "host:tty1",
                .service = r->service ? r->service : "login",
                .factor = r->factor ? r->factor : "-",
                .result = r->result,
                .reason = r->reason ? r->reason : "",
        };

        assert_int_equal(audit_append(s, key, &a), 0);
}

static void card(struct store *s, const char *fpr, const char *serial, const char *account, int64_t t)
{
        struct card_row c = { .registered = t, .not_after = t + 365 * DAY };

        snprintf(c.fingerprint, sizeof(c.fingerprint), "%s", fpr);
        snprintf(c.serial, sizeof(c.serial), "%s", serial);
        snprintf(c.account, sizeof(c.account), "%s", account);
        snprintf(c.subject, sizeof(c.subject), "CN=%s", account);
        snprintf(c.issuer, sizeof(c.issuer), "CN=test CA");
        assert_int_equal(store_card_add(s, &c, t), 0);
}

#define A(t_, ev, acc, res, ...) append(s, &(struct rec){ .t = (t_), .event = (ev), .account = (acc), .result = (res), __VA_ARGS__ })

/* A session from `from` to `to` (0: still open), its last process gone at `gone`. */
static void session(struct store *s, const char *account, const char *person, int64_t grant, int64_t from, int64_t to,
                    int64_t gone)
{
        static unsigned n;
        struct session_row r = { .pid = 100, .started = from, .tty_uid = -1, .grant = grant };

        snprintf(r.id, sizeof(r.id), "s%u", ++n);
        snprintf(r.account, sizeof(r.account), "%s", account);
        snprintf(r.person, sizeof(r.person), "%s", person);
        snprintf(r.service, sizeof(r.service), "sshd");
        snprintf(r.terminal, sizeof(r.terminal), "host:pts/%u", n);
        snprintf(r.state, sizeof(r.state), "open");
        assert_int_equal(store_session_add(s, &r), 0);
        if (!to && !gone)
                return;
        snprintf(r.state, sizeof(r.state), "ended");
        r.ended = to;
        r.last_gone = gone;
        assert_int_equal(store_session_put(s, &r), 0);
}

/* A grant of role ops by person asked at `created`, in state (closed at
 * `closed` unless it is pending or active); its id. */
static int64_t grant(struct store *s, const char *person, const char *state, int64_t created, int64_t closed)
{
        struct grant_row g = { .requested = 1800, .created = created };

        snprintf(g.role, sizeof(g.role), "ops");
        snprintf(g.person, sizeof(g.person), "%s", person);
        snprintf(g.reason, sizeof(g.reason), "work");
        snprintf(g.state, sizeof(g.state), "%s", strcmp(state, "pending") == 0 ? "pending" : "active");
        if (strcmp(state, "pending") != 0) {
                g.starts = created;
                g.ends = created + 1800;
        }
        assert_int_equal(store_grant_add(s, &g), 0);
        if (strcmp(state, "pending") != 0 && strcmp(state, "active") != 0) {
                snprintf(g.state, sizeof(g.state), "%s", state);
                g.closed = closed;
                snprintf(g.closed_by, sizeof(g.closed_by), "kagid");
                assert_int_equal(store_grant_put(s, &g), 0);
        }
        return g.id;
}

/* PRIV: grants and their sessions; SID-1: the shared IDs mado and mado2,
 * their sessions, and what was refused. From day 14 of the period on. */
static void policy_story(struct store *s)
{
        const int64_t t = FROM + 14 * DAY;
        int64_t a, e;

        /* 1: expired; three sessions, the first two overlapping by 30
         * minutes, the third's processes outliving its logout by 5 */
        a = grant(s, "alice", "expired", t, t + 1800);
        session(s, "root", "alice", a, t, t + 2400, t + 2400);
        session(s, "root", "alice", a, t + 600, t + 3000, 0);
        session(s, "root", "alice", a, t + 4000, t + 4300, t + 4600);
        /* 2: pending, never used; 3: revoked before the period; 4: asked
         * after it; 5: active, its session still open; 6: asked before the
         * period, expired in it */
        grant(s, "bob", "pending", t + 60, 0);
        grant(s, "bob", "revoked", FROM - 10 * DAY, FROM - 9 * DAY);
        grant(s, "bob", "active", UNTIL + 1, 0);
        e = grant(s, "carol", "active", FROM + 20 * DAY, 0);
        session(s, "root", "carol", e, FROM + 20 * DAY + 60, 0, 0);
        grant(s, "carol", "expired", FROM - 5 * DAY, FROM + 1);

        /* mado: alice's use; one nobody is named for; one before the period;
         * one open since before it; mado2: bob's; alice's own login is none */
        session(s, "mado", "alice", 0, FROM + 16 * DAY, FROM + 16 * DAY + 600, 0);
        session(s, "mado", "mado", 0, FROM + 17 * DAY, FROM + 17 * DAY + 1200, FROM + 17 * DAY + 1200);
        session(s, "mado", "alice", 0, FROM - 3 * DAY, FROM - 3 * DAY + 60, 0);
        session(s, "mado", "bob", 0, FROM - 1 * DAY, 0, 0);
        session(s, "mado2", "bob", 0, FROM + 18 * DAY, FROM + 18 * DAY + 60, 0);
        session(s, "alice", "alice", 0, FROM + 16 * DAY, FROM + 16 * DAY + 60, 0);

        /* the records kagid writes for them: frank is no member (his failure,
         * then the misuse); bob while the ID is in use; the ID's own password
         * with no member named; carol by sudo, no member then; a refusal for
         * another reason (none of these); alice's login */
        A(t + DAY, "auth", "mado", "failure", .person = "frank", .factor = "password+totp",
          .reason = "frank is not a member of shared ID mado");
        A(t + DAY, "shared-misuse", "mado", "denied", .person = "frank", .factor = "password+totp",
          .reason = "frank is not a member of shared ID mado");
        A(t + DAY + 60, "account", "mado", "denied", .person = "bob",
          .reason = "in use: 1 session(s) allowed, session s7 of alice on host:pts/7");
        A(t + DAY + 120, "auth", "mado", "denied", .person = "mado", .factor = "password+totp",
          .reason = "a shared ID, with no member named");
        A(t + DAY + 180, "account", "mado", "denied", .person = "carol", .service = "sudo",
          .reason = "not a member of the shared ID");
        A(t + DAY + 240, "account", "mado", "denied", .person = "bob", .reason = "account locked");
        A(t + DAY + 300, "session-open", "mado2", "denied", .person = "bob",
          .reason = "in use: 1 session(s) allowed, session s9 of alice on host:pts/9");
        A(t + 2 * DAY, "account", "mado", "success", .person = "alice");
}

static void story(struct store *s)
{
        const struct lock_state bob = { .failures = 0, .locked_at = 0 };
        const struct lock_state dave = { .failures = 3, .locked_at = FROM + 20 * DAY };
        const uint8_t sealed[32] = { 1 };

        assert_int_equal(store_begin(s), 0);
        /* alice: enrolled before the period, logs in twice, fails once between */
        A(FROM - 40 * DAY, "enroll", "alice", "success", .factor = "totp", .person = "root", .service = "kagictl");
        assert_int_equal(store_totp_put(s, "alice", sealed, sizeof(sealed), FROM - 40 * DAY), 0);
        A(FROM + 1 * DAY, "auth", "alice", "success", .factor = "password+totp");
        A(FROM + 1 * DAY, "account", "alice", "success");
        A(FROM + 2 * DAY + 60, "auth", "alice", "failure", .factor = "password+totp");
        A(FROM + 3 * DAY, "auth", "alice", "success", .factor = "password+totp");
        A(FROM + 3 * DAY, "account", "alice", "success");
        /* after the period: counts for nothing here */
        A(UNTIL + DAY, "account", "alice", "success");

        /* bob: a success resets his count; then three failures lock him, an
         * administrator unlocks him the next day */
        A(FROM + 4 * DAY, "auth", "bob", "failure", .factor = "password+totp");
        A(FROM + 5 * DAY, "auth", "bob", "success", .factor = "password+totp");
        A(FROM + 5 * DAY, "account", "bob", "success");
        A(FROM + 6 * DAY, "auth", "bob", "failure", .factor = "password");
        A(FROM + 6 * DAY + 60, "auth", "carol", "success", .factor = "password+totp");   /* someone else's */
        A(FROM + 6 * DAY + 120, "auth", "bob", "failure", .factor = "totp");
        A(FROM + 6 * DAY + 180, "auth", "bob", "failure", .factor = "card+pin");
        A(FROM + 6 * DAY + 180, "lock", "bob", "locked", .reason = "3 consecutive failures");
        A(FROM + 6 * DAY + 200, "auth", "bob", "denied", .factor = "password+totp", .reason = "account locked");
        A(FROM + 7 * DAY, "unlock", "bob", "unlocked", .person = "root", .service = "kagictl",
          .reason = "identity confirmed by phone");
        assert_int_equal(store_lock_put(s, "bob", &bob), 0);

        /* carol: locked before the period, unlocked by the timer in it */
        A(FROM - 2 * DAY, "auth", "carol", "failure", .factor = "password+totp");
        A(FROM - 2 * DAY + 1, "lock", "carol", "locked");
        A(FROM + 1 * DAY, "unlock", "carol", "unlocked", .reason = "unlock_after 86400s elapsed");
        /* and an older lock, over before the period began: not listed */
        A(FROM - 9 * DAY, "lock", "carol", "locked");
        A(FROM - 8 * DAY, "unlock", "carol", "unlocked", .person = "root", .service = "kagictl", .reason = "ok");

        /* dave: locked in the period and still locked */
        A(FROM + 20 * DAY, "auth", "dave", "failure", .factor = "password+totp");
        A(FROM + 20 * DAY, "lock", "dave", "locked");
        assert_int_equal(store_lock_put(s, "dave", &dave), 0);

        /* cards: alice's first is replaced by her second; bob's is revoked,
         * then tried twice and once accepted (which must never happen) */
        card(s, "aa01", "A1", "alice", FROM - 30 * DAY);
        A(FROM - 30 * DAY, "card-register", "alice", "success", .person = "root", .service = "kagictl",
          .reason = "card A1 (aa01)");
        card(s, "aa02", "A2", "alice", FROM + 2 * DAY);
        assert_int_equal(store_card_retire_others(s, "alice", "aa02", FROM + 2 * DAY), 1);
        card(s, "bb01", "B1", "bob", FROM - 10 * DAY);
        A(FROM + 8 * DAY, "auth", "bob", "success", .factor = "card+pin", .reason = "card B1");
        assert_int_equal(store_card_revoke(s, "bb01", "lost on the train", FROM + 9 * DAY), 0);
        A(FROM + 9 * DAY, "card-revoke", "bob", "revoked", .person = "root", .service = "kagictl",
          .factor = "card", .reason = "card B1: lost on the train");
        A(FROM + 10 * DAY, "auth", "bob", "failure", .factor = "card+pin", .reason = "card B1 revoked: lost on the train");
        A(FROM + 11 * DAY, "auth", "alice", "failure", .factor = "card+pin", .reason = "card B1 revoked: lost on the train");
        A(FROM + 12 * DAY, "auth", "bob", "success", .factor = "card+pin", .reason = "card B1; clock skew +0 steps");
        /* CARD-1: bob's replaced card presented for alice */
        A(FROM + 13 * DAY, "card-sharing", "alice", "denied", .person = "bob", .factor = "card+pin",
          .reason = "card A1 is registered to bob");
        policy_story(s);
        assert_int_equal(store_commit(s), 0);
}

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));
        char path[PATH_MAX], err[256];

        if (!f)
                return -1;
        f->dir = unit_tmpdir();
        unit_path(path, sizeof(path), f->dir, "kagi.db");
        if (store_open(path, geteuid(), &f->s, err, sizeof(err)) < 0) {
                print_error("store_open: %s\n", err);
                return -1;
        }
        story(f->s);
        assert_int_equal(store_review_begin(f->s, UNTIL + 2 * DAY), 0);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;

        store_review_end(f->s);
        store_close(f->s);
        unit_rmtree(f->dir);
        free(f);
        return 0;
}

/* ---- collecting the answers ------------------------------------------------ */

#define MAX_ROWS 16

struct accounts {
        struct review_account a[MAX_ROWS];
        char names[MAX_ROWS][32];
        size_t n;
};

static int on_account(void *userdata, const struct review_account *a)
{
        struct accounts *all = userdata;

        assert_true(all->n < MAX_ROWS);
        snprintf(all->names[all->n], sizeof(all->names[0]), "%s", a->name);
        all->a[all->n] = *a;
        all->a[all->n].name = all->names[all->n];
        all->n++;
        return 0;
}

static const struct review_account *account(struct accounts *all, const char *name)
{
        for (size_t i = 0; i < all->n; i++)
                if (strcmp(all->names[i], name) == 0)
                        return &all->a[i];
        fail_msg("no account %s", name);
        return NULL;
}

static void accounts_are_those_kagi_holds_state_for(void **state)
{
        struct fixture *f = *state;
        struct accounts all = { 0 };
        const struct review_account *a;

        assert_int_equal(store_review_accounts(f->s, UNTIL, NULL, 0, on_account, &all), 0);
        /* alice (TOTP, cards), bob and dave (lock state, card); carol only in the log */
        assert_int_equal(all.n, 3);
        assert_string_equal(all.names[0], "alice");
        a = account(&all, "alice");
        assert_true(a->totp);
        assert_int_equal(a->active_cards, 1);
        /* her last login in the period, not the one after it */
        assert_int_equal(a->last_success, FROM + 3 * DAY);
        assert_int_equal(a->last_failure, FROM + 11 * DAY);
        /* first seen: her enrollment */
        assert_int_equal(a->first_seen, FROM - 40 * DAY);
        a = account(&all, "bob");
        assert_false(a->totp);
        assert_int_equal(a->active_cards, 0);
        assert_int_equal(a->last_success, FROM + 5 * DAY);
        assert_int_equal(a->last_failure, FROM + 10 * DAY);
        assert_int_equal(a->lock.failures, 0);
        a = account(&all, "dave");
        assert_int_equal(a->lock.failures, 3);
        assert_int_equal(a->lock.locked_at, FROM + 20 * DAY);
        assert_int_equal(a->last_success, 0);
}

struct days {
        struct review_day d[64];
        size_t n;
};

static int on_day(void *userdata, const struct review_day *d)
{
        struct days *all = userdata;

        assert_true(all->n < ARRAY_SIZE(all->d));
        all->d[all->n++] = *d;
        return 0;
}

static void days_count_logins_failures_and_locks(void **state)
{
        struct fixture *f = *state;
        struct days all = { 0 };
        const int64_t first = FROM / DAY;

        assert_int_equal(store_review_days(f->s, FROM, UNTIL, 0, on_day, &all), 0);
        /* only days with something on them, in order */
        assert_true(all.n > 5);
        for (size_t i = 1; i < all.n; i++)
                assert_true(all.d[i].day > all.d[i - 1].day);
        for (size_t i = 0; i < all.n; i++) {
                const struct review_day *d = &all.d[i];

                if (d->day == first + 1)
                        assert_int_equal(d->logins, 1);         /* alice's login; carol's unlock is none */
                if (d->day == first + 6) {
                        assert_int_equal(d->logins, 0);         /* carol's auth alone is no login */
                        assert_int_equal(d->failures, 3);
                        assert_int_equal(d->locks, 1);
                }
                if (d->day == first + 12)
                        assert_int_equal(d->failures, 0);       /* a success with a revoked card */
        }
        /* days are the host's: an hour west of UTC, alice's login of 00:00
         * UTC on day 1 was on day 0, her failure of 00:01 on day 2 on day 1 */
        all.n = 0;
        assert_int_equal(store_review_days(f->s, FROM, UNTIL, -3600, on_day, &all), 0);
        assert_int_equal(all.d[0].day, first);
        assert_int_equal(all.d[0].logins, 1);
        assert_int_equal(all.d[1].day, first + 1);
        assert_int_equal(all.d[1].logins, 0);
        assert_int_equal(all.d[1].failures, 1);
}

struct locks {
        struct review_lock l[8];
        size_t n;
};

static int on_lock(void *userdata, const struct review_lock *l)
{
        struct locks *all = userdata;

        assert_true(all->n < ARRAY_SIZE(all->l));
        all->l[all->n++] = *l;
        return 0;
}

static void locks_are_paired_with_their_unlocks_and_failures(void **state)
{
        struct fixture *f = *state;
        struct locks *all = calloc(1, sizeof(*all));
        const struct review_lock *l;

        assert_non_null(all);
        assert_int_equal(store_review_locks(f->s, FROM, UNTIL, on_lock, all), 0);
        /* carol's lock from before the period (unlocked in it), bob's, dave's */
        assert_int_equal(all->n, 3);
        l = &all->l[0];
        assert_string_equal(l->account, "carol");
        assert_int_equal(l->locked_at, FROM - 2 * DAY + 1);
        assert_int_equal(l->unlocked_at, FROM + 1 * DAY);
        assert_string_equal(l->unlock_service, "login");
        assert_int_equal(l->n_failures, 1);

        l = &all->l[1];
        assert_string_equal(l->account, "bob");
        assert_int_equal(l->locked_at, FROM + 6 * DAY + 180);
        assert_int_equal(l->unlocked_at, FROM + 7 * DAY);
        assert_string_equal(l->unlocked_by, "root");
        assert_string_equal(l->unlock_service, "kagictl");
        assert_string_equal(l->unlock_reason, "identity confirmed by phone");
        /* the three after his success, not the one before it; the refusal
         * while locked is no failure */
        assert_int_equal(l->n_failures, 3);
        assert_int_equal(l->failures[0].time, FROM + 6 * DAY);
        assert_string_equal(l->failures[0].factor, "password");
        assert_string_equal(l->failures[2].factor, "card+pin");
        assert_string_equal(l->failures[2].terminal, "host:tty1");

        l = &all->l[2];
        assert_string_equal(l->account, "dave");
        assert_int_equal(l->unlocked_at, 0);
        assert_string_equal(l->unlocked_by, "");
        assert_int_equal(l->n_failures, 1);
        free(all);
}

struct cards {
        struct review_card c[8];
        size_t n;
};

static int on_card(void *userdata, const struct review_card *c)
{
        struct cards *all = userdata;

        assert_true(all->n < ARRAY_SIZE(all->c));
        all->c[all->n++] = *c;
        return 0;
}

static void cards_say_what_replaced_and_what_was_tried(void **state)
{
        struct fixture *f = *state;
        struct cards *all = calloc(1, sizeof(*all));

        assert_non_null(all);
        assert_int_equal(store_review_cards(f->s, FROM, UNTIL, on_card, all), 0);
        assert_int_equal(all->n, 3);
        /* alice's first card, retired for her second */
        assert_string_equal(all->c[0].card.serial, "A1");
        assert_string_equal(all->c[0].card.state, "retired");
        assert_string_equal(all->c[0].replaced_by, "A2");
        assert_string_equal(all->c[1].card.serial, "A2");
        assert_string_equal(all->c[1].card.state, "active");
        assert_string_equal(all->c[1].replaced_by, "");
        /* bob's: revoked by root, refused twice (once for alice), accepted once after */
        assert_string_equal(all->c[2].card.serial, "B1");
        assert_string_equal(all->c[2].card.state, "revoked");
        assert_string_equal(all->c[2].revoked_by, "root");
        assert_string_equal(all->c[2].card.reason, "lost on the train");
        assert_int_equal(all->c[2].tried_after, 2);
        assert_int_equal(all->c[2].accepted_after, 1);
        free(all);
}

static int on_sharing(void *userdata, const struct review_sharing *r)
{
        int *n = userdata;

        assert_int_equal(r->time, FROM + 13 * DAY);
        assert_string_equal(r->account, "alice");
        assert_string_equal(r->owner, "bob");
        assert_string_equal(r->serial, "A1");
        (*n)++;
        return 0;
}

static void card_sharing_names_owner_account_and_card(void **state)
{
        struct fixture *f = *state;
        int n = 0;

        assert_int_equal(store_review_card_sharing(f->s, FROM, UNTIL, on_sharing, &n), 0);
        assert_int_equal(n, 1);
        n = 0;
        assert_int_equal(store_review_card_sharing(f->s, UNTIL + 1, UNTIL + DAY, on_sharing, &n), 0);
        assert_int_equal(n, 0);
}

static void audit_span_counts_the_period(void **state)
{
        struct fixture *f = *state;
        struct review_audit_span span;
        int64_t t;

        assert_int_equal(store_review_audit_span(f->s, FROM, UNTIL, &span), 0);
        assert_int_equal(span.first_seq, 1);
        assert_true(span.last_seq > span.in_period);
        /* everything but the 6 records before the period and the 1 after */
        assert_int_equal(span.in_period, span.last_seq - 7);
        assert_int_equal(store_review_record_time(f->s, 1, &t), 0);
        assert_int_equal(t, FROM - 40 * DAY);
        assert_int_equal(store_review_record_time(f->s, 999, &t), -ENOENT);
}

static void a_review_never_runs_in_a_transaction(void **state)
{
        struct fixture *f = *state;
        struct accounts all = { 0 };

        store_review_end(f->s);
        assert_int_equal(store_begin(f->s), 0);
        assert_int_equal(store_review_begin(f->s, UNTIL), -EBUSY);
        assert_int_equal(store_review_accounts(f->s, UNTIL, NULL, 0, on_account, &all), -EBUSY);
        store_rollback(f->s);
        assert_int_equal(store_review_begin(f->s, UNTIL + 2 * DAY), 0);
}

/* A writer commits while a review reads: the review keeps its snapshot. */
static void a_review_sees_one_moment(void **state)
{
        struct fixture *f = *state;
        struct accounts all = { 0 };
        const struct lock_state st = { .failures = 1 };

        assert_int_equal(store_review_accounts(f->s, UNTIL, NULL, 0, on_account, &all), 0);
        assert_int_equal(store_begin(f->s), 0);
        assert_int_equal(store_lock_put(f->s, "zed", &st), 0);
        assert_int_equal(store_commit(f->s), 0);
        all.n = 0;
        assert_int_equal(store_review_accounts(f->s, UNTIL, NULL, 0, on_account, &all), 0);
        assert_int_equal(all.n, 3);
        store_review_end(f->s);
        assert_int_equal(store_review_begin(f->s, UNTIL + 2 * DAY), 0);
        all.n = 0;
        assert_int_equal(store_review_accounts(f->s, UNTIL, NULL, 0, on_account, &all), 0);
        assert_int_equal(all.n, 4);
}

/* ---- privileged grants and shared IDs -------------------------------------------- */

struct grants {
        struct review_grant g[8];
        size_t n;
};

static int on_grant(void *userdata, const struct review_grant *g)
{
        struct grants *all = userdata;

        assert_true(all->n < ARRAY_SIZE(all->g));
        all->g[all->n++] = *g;
        return 0;
}

static void grants_of_the_period_with_the_time_their_sessions_ran(void **state)
{
        struct fixture *f = *state;
        struct grants *all = calloc(1, sizeof(*all));

        assert_non_null(all);
        assert_int_equal(store_review_grants(f->s, FROM, UNTIL, UNTIL, on_grant, all), 0);
        /* not the one closed before the period, nor the one asked after it */
        assert_int_equal(all->n, 4);
        assert_int_equal(all->g[0].grant.id, 1);
        assert_string_equal(all->g[0].grant.person, "alice");
        assert_string_equal(all->g[0].grant.state, "expired");
        /* 0..40 and 10..50 minutes are 50 minutes, not 80; then 66:40..76:40,
         * to when its last process was gone */
        assert_int_equal(all->g[0].used_seconds, 3000 + 600);
        assert_int_equal(all->g[0].sessions, 3);
        assert_int_equal(all->g[1].grant.id, 2);
        assert_string_equal(all->g[1].grant.state, "pending");
        assert_int_equal(all->g[1].used_seconds, 0);
        assert_int_equal(all->g[1].sessions, 0);
        /* the open session: up to now */
        assert_int_equal(all->g[2].grant.id, 5);
        assert_int_equal(all->g[2].used_seconds, UNTIL - (FROM + 20 * DAY + 60));
        assert_int_equal(all->g[3].grant.id, 6);
        assert_int_equal(all->g[3].grant.closed, FROM + 1);
        /* a period after every one of them closed: only those still open */
        all->n = 0;
        assert_int_equal(store_review_grants(f->s, UNTIL + 1, UNTIL + DAY, UNTIL + DAY, on_grant, all), 0);
        assert_int_equal(all->n, 3);
        assert_int_equal(all->g[0].grant.id, 2);
        assert_int_equal(all->g[1].grant.id, 4);
        assert_int_equal(all->g[2].grant.id, 5);
        free(all);
}

struct uses {
        char account[8][16], person[8][16];
        int64_t started[8], ended[8];
        size_t n;
};

static int on_use(void *userdata, const struct review_session *r)
{
        struct uses *all = userdata;

        assert_true(all->n < ARRAY_SIZE(all->started));
        snprintf(all->account[all->n], sizeof(all->account[0]), "%s", r->account);
        snprintf(all->person[all->n], sizeof(all->person[0]), "%s", r->person);
        assert_string_equal(r->service, "sshd");
        all->started[all->n] = r->started;
        all->ended[all->n++] = r->ended;
        return 0;
}

static void sessions_of_the_shared_ids_in_the_period(void **state)
{
        struct fixture *f = *state;
        const char *shared[] = { "mado", "mado2", "quote\"and\\slash" };
        struct uses all = { 0 };

        assert_int_equal(store_review_sessions_of(f->s, FROM, UNTIL, shared, ARRAY_SIZE(shared), on_use, &all), 0);
        /* by start: bob's, open since before the period; alice's; nobody's; mado2's */
        assert_int_equal(all.n, 4);
        assert_string_equal(all.person[0], "bob");
        assert_int_equal(all.started[0], FROM - DAY);
        assert_int_equal(all.ended[0], 0);
        assert_string_equal(all.person[1], "alice");
        assert_int_equal(all.ended[1], FROM + 16 * DAY + 600);
        assert_string_equal(all.person[2], "mado");
        assert_string_equal(all.account[3], "mado2");
        /* none asked for: none */
        all.n = 0;
        assert_int_equal(store_review_sessions_of(f->s, FROM, UNTIL, NULL, 0, on_use, &all), 0);
        assert_int_equal(all.n, 0);
}

struct refusals {
        struct {
                int64_t time;
                char event[16], account[16], person[16], reason[128];
        } r[8];
        size_t n;
};

static int on_refusal(void *userdata, const struct review_refusal *x)
{
        struct refusals *all = userdata;

        assert_true(all->n < ARRAY_SIZE(all->r));
        all->r[all->n].time = x->time;
        snprintf(all->r[all->n].event, sizeof(all->r[0].event), "%s", x->event);
        snprintf(all->r[all->n].account, sizeof(all->r[0].account), "%s", x->account);
        snprintf(all->r[all->n].person, sizeof(all->r[0].person), "%s", x->person ? x->person : "");
        snprintf(all->r[all->n].reason, sizeof(all->r[0].reason), "%s", x->reason ? x->reason : "");
        assert_string_equal(x->terminal, "host:tty1");
        all->n++;
        return 0;
}

static void refused_logins_to_shared_ids(void **state)
{
        struct fixture *f = *state;
        struct refusals all = { 0 };
        const int64_t t = FROM + 15 * DAY;

        assert_int_equal(store_review_shared_refusals(f->s, FROM, UNTIL, on_refusal, &all), 0);
        /* frank's misuse (not his failure), bob in use, no member named,
         * carol by sudo, bob in use at mado2's session; not the locked one */
        assert_int_equal(all.n, 5);
        assert_string_equal(all.r[0].event, "shared-misuse");
        assert_string_equal(all.r[0].person, "frank");
        assert_int_equal(all.r[0].time, t);
        assert_string_equal(all.r[1].event, "account");
        assert_memory_equal(all.r[1].reason, "in use: ", 8);
        assert_string_equal(all.r[2].event, "auth");
        assert_string_equal(all.r[2].reason, "a shared ID, with no member named");
        assert_string_equal(all.r[3].person, "carol");
        assert_string_equal(all.r[3].reason, "not a member of the shared ID");
        assert_string_equal(all.r[4].event, "session-open");
        assert_string_equal(all.r[4].account, "mado2");
        /* the period: from the second refusal on */
        all.n = 0;
        assert_int_equal(store_review_shared_refusals(f->s, t + 1, UNTIL, on_refusal, &all), 0);
        assert_int_equal(all.n, 4);
}

/* The refusals are no logins, and the policy's accounts are answered for. */
static void the_policys_accounts_are_answered_for_too(void **state)
{
        struct fixture *f = *state;
        const char *also[] = { "mado", "alice" };
        struct accounts all = { 0 };
        struct days days = { 0 };
        const struct review_account *a;

        assert_int_equal(store_review_accounts(f->s, UNTIL, also, ARRAY_SIZE(also), on_account, &all), 0);
        /* alice once, and mado, which kagi holds no state for */
        assert_int_equal(all.n, 4);
        a = account(&all, "mado");
        assert_int_equal(a->last_success, FROM + 16 * DAY);
        /* first seen: frank's failure at it */
        assert_int_equal(a->first_seen, FROM + 15 * DAY);
        assert_false(a->totp);
        /* day 15: the failure is one; the refusals are neither logins nor failures */
        assert_int_equal(store_review_days(f->s, FROM, UNTIL, 0, on_day, &days), 0);
        for (size_t i = 0; i < days.n; i++)
                if (days.d[i].day == FROM / DAY + 15) {
                        assert_int_equal(days.d[i].logins, 0);
                        assert_int_equal(days.d[i].failures, 1);
                }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
                T(accounts_are_those_kagi_holds_state_for),
                T(days_count_logins_failures_and_locks),
                T(locks_are_paired_with_their_unlocks_and_failures),
                T(cards_say_what_replaced_and_what_was_tried),
                T(card_sharing_names_owner_account_and_card),
                T(audit_span_counts_the_period),
                T(a_review_never_runs_in_a_transaction),
                T(a_review_sees_one_moment),
                T(grants_of_the_period_with_the_time_their_sessions_ran),
                T(sessions_of_the_shared_ids_in_the_period),
                T(refused_logins_to_shared_ids),
                T(the_policys_accounts_are_answered_for_too),
#undef T
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
