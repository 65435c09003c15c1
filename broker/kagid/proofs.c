/* Proofs of a fresh authentication, in memory. A login kagid has just let
 * in gets one (bound to the person, the terminal and a few minutes); the
 * same PAM transaction shows it to ask for a grant inline, so su or sudo
 * does not make the person wait for a second TOTP code. Single use; lost on
 * restart, which only means asking again. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "login.h"

#define PROOFS_MAX 1024

struct proof {
        uint8_t token[PROOF_LEN];
        char person[257];
        char terminal[600];
        int64_t expires;                      /* 0: free */
};

struct proofs {
        pthread_mutex_t lock;
        struct proof slot[PROOFS_MAX];
};

int proofs_new(struct proofs **ret)
{
        struct proofs *p = calloc(1, sizeof(*p));

        if (!p)
                return -ENOMEM;
        pthread_mutex_init(&p->lock, NULL);
        *ret = p;
        return 0;
}

void proofs_free(struct proofs *p)
{
        if (!p)
                return;
        pthread_mutex_destroy(&p->lock);
        secret_free(p, sizeof(*p));
}

int proof_issue(struct proofs *p, const char *person, const char *terminal, int64_t now, uint8_t token[PROOF_LEN])
{
        struct proof *free_slot = NULL;

        pthread_mutex_lock(&p->lock);
        for (size_t i = 0; i < PROOFS_MAX && !free_slot; i++)
                if (p->slot[i].expires <= now)
                        free_slot = &p->slot[i];
        if (free_slot && RAND_bytes(free_slot->token, PROOF_LEN) == 1) {
                memcpy(token, free_slot->token, PROOF_LEN);
                snprintf(free_slot->person, sizeof(free_slot->person), "%s", person);
                snprintf(free_slot->terminal, sizeof(free_slot->terminal), "%s", terminal);
                free_slot->expires = now + PROOF_TTL;
        } else {
                free_slot = NULL;
        }
        pthread_mutex_unlock(&p->lock);
        return free_slot ? 0 : -EBUSY;
}

int proof_take(struct proofs *p, const uint8_t *token, size_t len, const char *person, const char *terminal,
               int64_t now)
{
        int r = -ENOENT;

        if (!token || len != PROOF_LEN)
                return -ENOENT;
        pthread_mutex_lock(&p->lock);
        for (size_t i = 0; i < PROOFS_MAX; i++) {
                struct proof *x = &p->slot[i];

                if (x->expires > now && CRYPTO_memcmp(x->token, token, PROOF_LEN) == 0) {
                        /* single use, whatever the outcome */
                        r = strcmp(x->person, person) == 0 && strcmp(x->terminal, terminal) == 0 ? 0 : -EPERM;
                        secret_wipe(x, sizeof(*x));
                        break;
                }
        }
        pthread_mutex_unlock(&p->lock);
        return r;
}
