/* What the review reads from the audit log besides cards: each lock with
 * the failures that led to it and how it ended (LOCK-1), and logins,
 * failures and locks per day of the period (LOG-1). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "review.h"

#define DAY 86400

struct locks {
        struct review *rv;
        size_t keep;                          /* failures shown per lock */
};

static int on_lock(void *userdata, const struct review_lock *k)
{
        const struct locks *p = userdata;
        _cleanup_(json_putp) json_object *j = json_object_new_object();
        json_object *failures = json_object_new_array();
        size_t first = k->n_failures > p->keep ? k->n_failures - p->keep : 0;
        /* kagictl's unlock is an administrator's; any other one, the timer's */
        bool by_admin = strcmp(k->unlock_service, "kagictl") == 0;

        json_add_str(j, "account", k->account);
        json_add_time(j, "locked_at", k->locked_at);
        for (size_t i = first; i < k->n_failures; i++) {
                json_object *f = json_object_new_object();

                json_add_time(f, "time", k->failures[i].time);
                json_add_str(f, "factor", k->failures[i].factor);
                json_add_str(f, "terminal", k->failures[i].terminal);
                json_object_array_add(failures, f);
        }
        json_object_object_add(j, "failures", failures);
        json_add_time(j, "unlocked_at", k->unlocked_at);
        if (k->unlocked_at) {
                json_add_str(j, "unlock", by_admin ? "admin" : "timer");
                review_put_text_or_null(j, "unlocked_by", by_admin ? k->unlocked_by : NULL);
                review_put_text_or_null(j, "unlock_reason", k->unlock_reason);
        } else {
                json_object_object_add(j, "unlock", NULL);
        }
        return review_item(p->rv, "locks", "items", j);
}

int review_locks(struct review *rv)
{
        const struct kagi_config *c = rv->rq->b->cfg;
        /* the failures that locked it: as many as the stricter threshold */
        struct locks p = { .rv = rv,
                           .keep = c->lockout.threshold > c->privileged.threshold ? c->lockout.threshold
                                                                                  : c->privileged.threshold };
        int r;

        if (p.keep > REVIEW_LOCK_FAILURES)
                p.keep = REVIEW_LOCK_FAILURES;
        r = store_review_locks(rv->rq->store, rv->from, rv->until, on_lock, &p);
        return r < 0 ? r : review_items(rv, "locks", "items", NULL);
}

/* ---- days ------------------------------------------------------------------- */

struct series {
        struct review *rv;
        int64_t next;                         /* the first day not yet sent */
};

static int send_day(struct series *s, int64_t day, const struct review_day *d)
{
        _cleanup_(json_putp) json_object *j = json_object_new_object();
        time_t t = (time_t)(day * DAY);
        char date[16];
        struct tm tm;

        if (!gmtime_r(&t, &tm) || strftime(date, sizeof(date), "%Y-%m-%d", &tm) == 0)
                return -EINVAL;
        json_add_str(j, "date", date);
        json_add_int(j, "logins", d ? d->logins : 0);
        json_add_int(j, "failures", d ? d->failures : 0);
        json_add_int(j, "locks", d ? d->locks : 0);
        s->next = day + 1;
        return review_item(s->rv, "series", "days", j);
}

/* Every day of the period is sent, the quiet ones too: the chart's axis. */
static int on_day(void *userdata, const struct review_day *d)
{
        struct series *s = userdata;
        int r = 0;

        while (r >= 0 && s->next < d->day)
                r = send_day(s, s->next, NULL);
        return r < 0 ? r : send_day(s, d->day, d);
}

int review_series(struct review *rv)
{
        int offset = rv->offset_min * 60;
        struct series s = { .rv = rv, .next = (rv->from + offset) / DAY };
        int64_t last = (rv->until + offset) / DAY;
        int r = store_review_days(rv->rq->store, rv->from, rv->until, offset, on_day, &s);

        while (r >= 0 && s.next <= last)
                r = send_day(&s, s.next, NULL);
        return r < 0 ? r : review_items(rv, "series", "days", NULL);
}
