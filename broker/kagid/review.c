/* kagictl report review (issue 14): the account review's model, gathered
 * from the store, the audit log and the directory, and sent to kagictl,
 * which computes the summary and renders it (libkagi-report).
 *
 * It runs in the admin pool and only reads: the store's review questions on
 * this worker's own connection, in one read transaction, so that the whole
 * model is one moment of the store and no login waits for it. The audit
 * chain is verified meanwhile on a connection of its own, in a thread. Both
 * run at a lower CPU priority than logins, and one review at a time. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "review.h"

#define YEAR (365 * 86400)
#define PERIOD_MAX (3660 * INT64_C(86400))    /* ten years of days at most */
#define DORMANT_DEFAULT 90
#define REVIEW_NICE 10                       /* logins first */

/* One review at a time: a second would hold the other admin worker too. */
static pthread_mutex_t one_review = PTHREAD_MUTEX_INITIALIZER;

/* CPU time of this thread, ms: what a step cost, whatever else the machine was doing */
static int64_t cpu_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void lower_priority(void)
{
        if (setpriority(PRIO_PROCESS, (id_t)gettid(), REVIEW_NICE) < 0)
                log_debug("review: cannot lower its priority: %s", strerror(errno));
}

/* ---- the audit chain, verified meanwhile ------------------------------------- */

struct verifier {
        pthread_t thread;
        bool started, joined;
        struct broker *b;
        int r;
        struct audit_verdict v;
        int64_t first_bad_time;               /* 0: unknown */
        int64_t verified_at;
        int64_t ms, cpu;                      /* how long it took, and its CPU time */
};

static void *verify_main(void *arg)
{
        struct verifier *vf = arg;
        struct store *s = NULL;
        int64_t t0 = now_ms(), c0 = cpu_ms();
        char err[512];

        lower_priority();
        /* a connection of its own: audit_verify reads the chain in its own
         * read transaction, beside the review's */
        vf->r = store_open(vf->b->cfg->database, vf->b->uid, &s, err, sizeof(err));
        if (vf->r < 0) {
                log_err("review: cannot open the store to verify the audit log: %s", err);
                return NULL;
        }
        vf->r = audit_verify(s, vf->b->keys.audit, &vf->v);
        vf->verified_at = (int64_t)time(NULL);
        if (vf->r >= 0 && !vf->v.ok && vf->v.first_bad > 0 &&
            store_review_record_time(s, vf->v.first_bad, &vf->first_bad_time) < 0)
                vf->first_bad_time = 0;
        store_close(s);
        vf->ms = now_ms() - t0;
        vf->cpu = cpu_ms() - c0;
        return NULL;
}

static void verifier_join(struct verifier *vf)
{
        if (vf->started && !vf->joined)
                pthread_join(vf->thread, NULL);
        vf->joined = true;
}

/* LOG-3: what was checked, and how it went. A chain that could not be read
 * is "not verified", which the summary marks × for every department. */
static int send_integrity(struct review *rv, struct verifier *vf)
{
        _cleanup_(json_putp) json_object *j = json_object_new_object();
        struct review_audit_span span = { 0 };
        bool verified;
        int r;

        verifier_join(vf);
        verified = vf->started && vf->r >= 0;
        r = store_review_audit_span(rv->rq->store, rv->from, rv->until, &span);
        if (r < 0)
                return r;
        json_add_bool(j, "verified", verified);
        json_add_bool(j, "ok", verified && vf->v.ok);
        json_add_int(j, "records", verified ? vf->v.records : 0);
        json_add_str(j, "scope", "chain");
        json_add_int(j, "period_records", span.in_period);
        if (verified && !vf->v.ok) {
                json_add_int(j, "first_bad", vf->v.first_bad);
                json_add_time(j, "first_bad_time", vf->first_bad_time);
                json_add_str(j, "why", vf->v.why);
                log_err("review: the audit log does not verify: %s", vf->v.why);
        } else if (!verified) {
                json_add_str(j, "why", "the audit log could not be read to verify it");
        }
        if (verified)
                json_add_time(j, "verified_at", vf->verified_at);
        return review_value(rv, "integrity", j);
}

/* ---- meta ------------------------------------------------------------------ */

static int host_offset_minutes(int64_t now)
{
        time_t t = (time_t)now;
        struct tm tm;

        if (!localtime_r(&t, &tm))
                return 0;
        return (int)(tm.tm_gmtoff / 60);
}

static int send_meta(struct review *rv)
{
        _cleanup_(json_putp) json_object *j = json_object_new_object();
        const struct kagi_config *c = rv->rq->b->cfg;
        json_object *period = json_object_new_object(), *dir = json_object_new_object();

        json_add_int(j, "schema_version", 1);
        json_add_time(j, "generated", rv->now);
        json_add_time(period, "from", rv->from);
        json_add_time(period, "to", rv->until);
        json_object_object_add(j, "period", period);
        /* what kagictl renders in unless told --lang */
        json_add_str(j, "language", c->language == KAGI_LANG_JA ? "ja" : "en");
        json_add_int(j, "dormant_days", rv->dormant_days);
        json_add_str(j, "host", rv->rq->b->host);
        json_add_int(j, "utc_offset_minutes", rv->offset_min);
        json_add_str(j, "generator", "kagid " KAGI_VERSION);
        json_add_str(dir, "backend", c->backend == KAGI_DIR_LDAP ? "ldap" : "nss");
        json_add_bool(dir, "answered", rv->unanswered == 0);
        json_add_int(dir, "unanswered", rv->unanswered);
        json_object_object_add(j, "directory", dir);
        return review_value(rv, "meta", j);
}

/* ---- the request ----------------------------------------------------------- */

/* The period and the threshold asked for, or kagid's defaults: the year up
 * to now, 90 days. false when they make no sense (answered). */
static bool read_arguments(struct review *rv)
{
        const struct kagi_msg *m = rv->rq->msg;
        uint64_t until = msg_u64(m, KAGI_T_UNTIL, (uint64_t)rv->now);
        uint64_t from, days = msg_u32(m, KAGI_T_DAYS, DORMANT_DEFAULT);

        if (until > (uint64_t)INT64_MAX / 1000000 || until < YEAR) {
                reply_error(rv->rq, KAGI_DENY_INVALID, "the end of the period is out of range");
                return false;
        }
        from = msg_u64(m, KAGI_T_SINCE, until - YEAR + 1);
        if (from > until) {
                reply_error(rv->rq, KAGI_DENY_INVALID, "the period ends before it begins");
                return false;
        }
        if ((int64_t)(until - from) > PERIOD_MAX) {
                reply_error(rv->rq, KAGI_DENY_INVALID, "a review covers ten years at most");
                return false;
        }
        if (days < 1 || days > 36500) {
                reply_error(rv->rq, KAGI_DENY_INVALID, "--dormant-days must be 1 to 36500");
                return false;
        }
        rv->from = (int64_t)from;
        rv->until = (int64_t)until;
        rv->dormant_days = (unsigned)days;
        return true;
}

/* Where a review's time went, for the log: wall and CPU ms per step. */
struct times {
        char text[640];
        size_t used;
        int64_t wall, cpu;                    /* when the step began */
};

static void step_begin(struct times *t)
{
        t->wall = now_ms();
        t->cpu = cpu_ms();
}

static void step_end(struct times *t, const char *name)
{
        size_t room = sizeof(t->text) > t->used ? sizeof(t->text) - t->used : 0;
        int n = snprintf(t->text + t->used, room, "%s%s %lld ms (cpu %lld)", t->used ? ", " : "", name,
                         (long long)(now_ms() - t->wall), (long long)(cpu_ms() - t->cpu));

        if (n > 0)
                t->used += (size_t)n;
}

/* Every section, then meta (which says how the directory answered) and the
 * integrity of the chain verified meanwhile. */
static int gather(struct review *rv, struct verifier *vf, struct times *t)
{
        static const struct {
                const char *name;
                int (*fn)(struct review *rv);
        } steps[] = {
                { "accounts", review_accounts }, { "locks", review_locks },   { "cards", review_cards },
                { "privileged", review_privileged }, { "shared", review_shared }, { "series", review_series },
                { "meta", send_meta },
        };
        int r;

        step_begin(t);
        r = store_review_begin(rv->rq->store, rv->until);
        step_end(t, "snapshot");
        for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(steps); i++) {
                step_begin(t);
                r = steps[i].fn(rv);
                step_end(t, steps[i].name);
        }
        if (r >= 0) {
                step_begin(t);
                r = send_integrity(rv, vf);
                step_end(t, "waiting for the chain's verification");
        }
        if (r >= 0)
                r = review_flush(rv);
        store_review_end(rv->rq->store);
        review_policy_clear(rv);
        return r;
}

int admin_report(struct request *rq)
{
        _cleanup_(freep) struct review *rv = calloc(1, sizeof(*rv));
        struct verifier vf = { .b = rq->b };
        struct times times = { .used = 0 };
        int64_t t0 = now_ms();
        int old_nice, r;

        if (!rv) {
                reply_error(rq, KAGI_ERROR, "out of memory");
                return -ENOMEM;
        }
        rv->rq = rq;
        rv->now = wall_now();
        rv->offset_min = host_offset_minutes(rv->now);
        if (!read_arguments(rv))
                return 0;
        if (pthread_mutex_trylock(&one_review) != 0) {
                reply_error(rq, KAGI_UNAVAILABLE, "another review is being made; try again when it is done");
                return 0;
        }
        errno = 0;
        old_nice = getpriority(PRIO_PROCESS, (id_t)gettid());
        if (errno != 0)
                old_nice = 0;
        lower_priority();
        vf.started = pthread_create(&vf.thread, NULL, verify_main, &vf) == 0;
        if (!vf.started)
                log_err("review: cannot start the audit log's verification; the review says it was not verified");

        r = gather(rv, &vf, &times);
        verifier_join(&vf);                     /* when gather stopped before it did */

        /* back to the worker's own priority (needs CAP_SYS_NICE; without it
         * this admin worker stays at the review's, which holds up no login) */
        setpriority(PRIO_PROCESS, (id_t)gettid(), old_nice);
        pthread_mutex_unlock(&one_review);
        if (r < 0) {
                log_err("review for uid %u failed: %s", (unsigned)rq->peer_uid, strerror(-r));
                reply_error(rq, KAGI_ERROR, "cannot gather the review: %s", strerror(-r));
                return 0;
        }
        log_info("review of %lld..%lld for uid %u: %llu items in %llu records in %lld ms (%s; the chain's "
                 "verification %lld ms, cpu %lld)",
                 (long long)rv->from, (long long)rv->until, (unsigned)rq->peer_uid, (unsigned long long)rv->items,
                 (unsigned long long)rv->records, (long long)(now_ms() - t0), times.text, (long long)vf.ms,
                 (long long)vf.cpu);
        {
                _cleanup_(json_putp) json_object *j = json_object_new_object();

                json_add_int(j, "records", (int64_t)rv->records);
                json_add_int(j, "items", (int64_t)rv->items);
                reply_json(rq, j);
        }
        return 0;
}
