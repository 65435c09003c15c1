/* The review's IC cards (CARD-1..3): active cards per person, revoked ones
 * and what was tried with them afterwards, retired ones and what replaced
 * them, and cards refused because they belong to someone else. The person
 * of a card is the account it is registered to; the report finds their name
 * and department in the accounts. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "review.h"

struct cards {
        struct review *rv;
        json_object *revoked, *retired;       /* few: sent after the active ones */
};

static json_object *card_item(const struct card_row *c)
{
        json_object *j = json_object_new_object();

        json_add_str(j, "person", c->account);
        json_add_str(j, "serial", c->serial);
        return j;
}

static int on_card(void *userdata, const struct review_card *k)
{
        struct cards *p = userdata;
        const struct card_row *c = &k->card;
        json_object *j = card_item(c);
        int r;

        if (strcmp(c->state, "revoked") == 0) {
                json_add_time(j, "revoked_at", c->changed);
                review_put_text_or_null(j, "revoked_by", k->revoked_by);
                review_put_text_or_null(j, "reason", c->reason);
                json_add_int(j, "attempts_after", k->tried_after);
                json_add_int(j, "accepted_after", k->accepted_after);
                json_object_array_add(p->revoked, j);
                return 0;
        }
        if (strcmp(c->state, "retired") == 0) {
                json_add_time(j, "retired_at", c->changed);
                review_put_text_or_null(j, "replaced_by", k->replaced_by);
                json_object_array_add(p->retired, j);
                return 0;
        }
        json_add_str(j, "fingerprint", c->fingerprint);
        json_add_time(j, "registered", c->registered);
        r = review_item(p->rv, "cards", "active", j);
        json_object_put(j);
        return r;
}

static int on_sharing(void *userdata, const struct review_sharing *s)
{
        _cleanup_(json_putp) json_object *j = json_object_new_object();

        json_add_time(j, "time", s->time);
        review_put_text_or_null(j, "card_owner", s->owner);
        review_put_text_or_null(j, "serial", s->serial);
        json_add_str(j, "account", s->account);
        review_put_text(j, "terminal", s->terminal);
        /* refused for another person's ID; "concurrent" comes with live sessions */
        json_add_str(j, "kind", "other_person");
        return review_item(userdata, "cards", "sharing_refusals", j);
}

int review_cards(struct review *rv)
{
        _cleanup_(json_putp) json_object *revoked = json_object_new_array();
        _cleanup_(json_putp) json_object *retired = json_object_new_array();
        struct cards p = { .rv = rv, .revoked = revoked, .retired = retired };
        int r = store_review_cards(rv->rq->store, rv->from, rv->until, on_card, &p);

        if (r >= 0)
                r = review_items(rv, "cards", "active", NULL);
        if (r >= 0)
                r = review_items(rv, "cards", "revoked", revoked);
        if (r >= 0)
                r = review_items(rv, "cards", "retired", retired);
        if (r >= 0)
                r = store_review_card_sharing(rv->rq->store, rv->from, rv->until, on_sharing, rv);
        if (r >= 0)
                r = review_items(rv, "cards", "sharing_refusals", NULL);
        return r;
}
