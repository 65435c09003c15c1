/* Who holds what right now: see claims.h. A mutex and an array: the checks
 * run once per login, over the sessions of one host. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"

struct claims {
        pthread_mutex_t lock;
        struct claim *v;
        size_t n, cap;
};

int claims_new(struct claims **ret)
{
        struct claims *c = calloc(1, sizeof(*c));

        if (!c)
                return -ENOMEM;
        pthread_mutex_init(&c->lock, NULL);
        *ret = c;
        return 0;
}

void claims_free(struct claims *c)
{
        if (!c)
                return;
        pthread_mutex_destroy(&c->lock);
        free(c->v);
        free(c);
}

static void drop(struct claims *c, size_t i)
{
        c->v[i] = c->v[--c->n];
}

/* The same login tried again: its earlier registration was never opened. */
static bool superseded(const struct claim *held, const struct claim *want)
{
        return held->registered && strcmp(held->account, want->account) == 0 &&
               strcmp(held->person, want->person) == 0 && strcmp(held->terminal, want->terminal) == 0;
}

static enum claim_conflict conflict(const struct claim *held, const struct claim *want, const struct claim_rules *r,
                                    size_t *in_use)
{
        if (want->card[0] && strcmp(held->card, want->card) == 0)
                return CLAIM_CARD;
        if (r->one_terminal && strcmp(held->person, want->person) == 0 && strcmp(held->terminal, want->terminal) != 0)
                return CLAIM_ONE_TERMINAL;
        if (r->max_sessions && strcmp(held->account, want->account) == 0 && ++*in_use >= r->max_sessions)
                return CLAIM_IN_USE;
        return CLAIM_OK;
}

enum claim_conflict claims_take(struct claims *c, const struct claim *want, const struct claim_rules *rules,
                                struct claim *ret_holder)
{
        enum claim_conflict found = CLAIM_OK;
        size_t in_use = 0;

        pthread_mutex_lock(&c->lock);
        for (size_t i = c->n; i-- > 0;)
                if (superseded(&c->v[i], want))
                        drop(c, i);
        for (size_t i = 0; i < c->n && found == CLAIM_OK; i++) {
                found = conflict(&c->v[i], want, rules, &in_use);
                if (found != CLAIM_OK && ret_holder)
                        *ret_holder = c->v[i];
        }
        if (found == CLAIM_OK) {
                if (c->n == c->cap) {
                        size_t cap = c->cap ? c->cap * 2 : 64;
                        struct claim *v = realloc(c->v, cap * sizeof(*v));

                        if (!v) {
                                pthread_mutex_unlock(&c->lock);
                                /* nothing held: the caller refuses (fail closed) */
                                return CLAIM_IN_USE;
                        }
                        c->v = v;
                        c->cap = cap;
                }
                c->v[c->n++] = *want;
        }
        pthread_mutex_unlock(&c->lock);
        return found;
}

void claims_opened(struct claims *c, const char *id)
{
        pthread_mutex_lock(&c->lock);
        for (size_t i = 0; i < c->n; i++)
                if (strcmp(c->v[i].id, id) == 0)
                        c->v[i].registered = false;
        pthread_mutex_unlock(&c->lock);
}

void claims_release(struct claims *c, const char *id)
{
        pthread_mutex_lock(&c->lock);
        for (size_t i = c->n; i-- > 0;)
                if (strcmp(c->v[i].id, id) == 0)
                        drop(c, i);
        pthread_mutex_unlock(&c->lock);
}

size_t claims_count(struct claims *c)
{
        size_t n;

        pthread_mutex_lock(&c->lock);
        n = c->n;
        pthread_mutex_unlock(&c->lock);
        return n;
}
