/* Private to broker/kagid/ (review*.c): gathering the account review's model
 * (docs/report.schema.json) for kagictl report review, and sending it in
 * RECORD frames (docs/protocol.md, "The account review").
 *
 *   review.c           the request: period, snapshot, meta, integrity, the order of sections
 *   review_out.c       the records: items packed into frames of at most REVIEW_CHUNK bytes
 *   review_accounts.c  accounts, and the factors they lack or should not hold
 *   review_log.c       locks and unlocks, logins and failures per day
 *   review_cards.c     the card registry, and card sharing
 *   review_policy.c    privileged roles and grants, shared IDs: what the policy says and the store kept
 *
 * Everything is read, nothing written: the store's review questions run on
 * the worker's own connection in one read transaction. Never a secret: no
 * TOTP secret, PIN, password or key is read, and none can reach the model. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "login.h"

struct json_object;

/* JSON text per RECORD frame at most: a frame holds 64 KiB, and no item is split. */
#define REVIEW_CHUNK (48 * 1024)

/* The people the policy names, as the accounts pass finds them
 * (review_accounts.c) for the privileged and shared sections
 * (review_policy.c): each [role]'s holders and each [shared] ID's members
 * — its users, then the accounts whose directory groups are among its
 * groups — as json objects used as ordered sets (name → true); and each
 * shared ID's account item, held back until its members are known. */
struct review_policy {
        struct json_object **holders;         /* [n_roles] */
        struct json_object **members;         /* [n_shared] */
        struct json_object **ids;             /* [n_shared]: its account item, or NULL */
        size_t n_roles, n_shared;
};

struct review {
        struct request *rq;
        int64_t now;                          /* unix seconds, when the review began */
        int64_t from, until;                  /* the period, both ends included */
        unsigned dormant_days;
        int offset_min;                       /* the host's offset from UTC */

        /* the accounts pass's directory (review_accounts.c) */
        struct directory *dir;                /* the review's own, without the login cache */
        unsigned unanswered;                  /* accounts it did not answer for */
        bool directory_down;                  /* it failed once: not asked again */
        struct review_policy policy;

        /* the record being filled: items of one member of one section */
        const char *section, *member;
        char buf[REVIEW_CHUNK + 64];
        size_t len;
        size_t pending;                       /* items in it */
        uint64_t records, items;              /* sent, for the RESULT */
};

/* review_out.c. Each returns 0 or a negative errno (the client went away,
 * or an item alone does not fit a frame). */
/* One item of section.member; items of one member follow one another. */
int review_item(struct review *rv, const char *section, const char *member, struct json_object *item);
/* Every item of an array; an empty one still says the member was gathered. */
int review_items(struct review *rv, const char *section, const char *member, struct json_object *array);
/* An object section (meta, integrity) whole. */
int review_value(struct review *rv, const char *section, struct json_object *value);
/* Sends what is pending. */
int review_flush(struct review *rv);
/* Text members the schema types as strings: absent when empty. */
void review_put_text(struct json_object *j, const char *key, const char *value);
/* Those it allows to be null: null when empty, so that a missing reason or
 * name shows as missing. */
void review_put_text_or_null(struct json_object *j, const char *key, const char *value);

/* review_policy.c: the policy's own people, found by the accounts pass. */
int review_policy_init(struct review *rv);
/* The account is a holder or member where its groups (the directory's) say so. */
int review_policy_note(struct review *rv, const char *account, const struct strv *groups);
void review_policy_clear(struct review *rv);
/* The names of one of those sets, in order: a new array. */
struct json_object *review_policy_names(struct json_object *set);
/* A [shared] ID's index in the policy, or -1. */
int review_shared_index(const struct review *rv, const char *account);

/* The sections, in review.c's order. */
int review_accounts(struct review *rv);      /* accounts, factors.missing, factors.not_admitted */
int review_locks(struct review *rv);         /* locks.items */
int review_series(struct review *rv);        /* series.days */
int review_cards(struct review *rv);         /* cards.* */
int review_privileged(struct review *rv);    /* privileged.roles, privileged.grants */
int review_shared(struct review *rv);        /* shared.ids, shared.uses, shared.refusals */
