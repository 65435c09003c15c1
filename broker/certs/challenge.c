/* Card login challenges, in the broker's memory: random, single use, bound
 * to account, terminal and card, valid for 60 s. Nothing about them needs
 * to survive a restart — a login in flight then fails, closed — so they cost
 * no disk write. A full table refuses new logins rather than evict live ones. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "certs.h"

#define CHALLENGES_MAX 4096

struct slot {
        uint8_t nonce[CHALLENGE_LEN];
        struct challenge_row row;         /* row.expires == 0: free */
};

struct challenges {
        pthread_mutex_t lock;
        struct slot slots[CHALLENGES_MAX];
};

int challenges_new(struct challenges **ret)
{
        struct challenges *c = calloc(1, sizeof(*c));

        if (!c)
                return -ENOMEM;
        pthread_mutex_init(&c->lock, NULL);
        *ret = c;
        return 0;
}

void challenges_free(struct challenges *c)
{
        if (!c)
                return;
        pthread_mutex_destroy(&c->lock);
        free(c);
}

int challenge_put(struct challenges *c, const uint8_t nonce[CHALLENGE_LEN], const char *account,
                  const char *terminal, const char *fingerprint, const uint8_t attempt[CHALLENGE_ATTEMPT_LEN],
                  int64_t expires, int64_t now)
{
        struct slot *free_slot = NULL;

        pthread_mutex_lock(&c->lock);
        for (size_t i = 0; i < CHALLENGES_MAX && !free_slot; i++)
                if (c->slots[i].row.expires < now)     /* free, or expired */
                        free_slot = &c->slots[i];
        if (free_slot) {
                memcpy(free_slot->nonce, nonce, CHALLENGE_LEN);
                snprintf(free_slot->row.account, sizeof(free_slot->row.account), "%s", account);
                snprintf(free_slot->row.terminal, sizeof(free_slot->row.terminal), "%s", terminal);
                snprintf(free_slot->row.fingerprint, sizeof(free_slot->row.fingerprint), "%s", fingerprint);
                memcpy(free_slot->row.attempt, attempt, CHALLENGE_ATTEMPT_LEN);
                free_slot->row.expires = expires;
        }
        pthread_mutex_unlock(&c->lock);
        return free_slot ? 0 : -EBUSY;
}

int challenge_take(struct challenges *c, const uint8_t *nonce, size_t len, struct challenge_row *ret)
{
        int r = -ENOENT;

        if (len != CHALLENGE_LEN)
                return -ENOENT;
        pthread_mutex_lock(&c->lock);
        for (size_t i = 0; i < CHALLENGES_MAX; i++) {
                struct slot *s = &c->slots[i];

                if (s->row.expires != 0 && CRYPTO_memcmp(s->nonce, nonce, CHALLENGE_LEN) == 0) {
                        *ret = s->row;
                        /* single use: gone the moment it is taken */
                        memset(s, 0, sizeof(*s));
                        r = 0;
                        break;
                }
        }
        pthread_mutex_unlock(&c->lock);
        return r;
}
