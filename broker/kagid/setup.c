/* Everything kagid holds for its whole life: configuration, keys, the card
 * trust store, the challenges, the attempts in flight and the watch on
 * logins in progress. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "login.h"
#include "watch.h"

/* What can be checked before serving: the directory's own files (LDAP bind
 * password, CA, client key), and the card trust anchors when a zone takes
 * cards — without those every card login would be refused, which is worth
 * saying now rather than at the first one. */
static int check_setup(struct broker *b, char *err, size_t errsz)
{
        struct directory *d = NULL;
        char why[512];
        int r;

        r = directory_open(b->cfg, &d, err, errsz);
        if (r < 0)
                return r;
        directory_close(d);
        r = trust_open(b->cfg, &b->trust);
        if (r >= 0)
                r = challenges_new(&b->challenges);
        if (r >= 0)
                r = attempts_new(&b->attempts);
        if (r >= 0)
                r = proofs_new(&b->proofs);
        if (r >= 0)
                r = watch_new(&b->watch);
        if (r < 0) {
                snprintf(err, errsz, "out of memory");
                return r;
        }
        if (config_uses_cards(b->cfg))
                trust_load(b->trust, why, sizeof(why));         /* logs what is wrong */
        return 0;
}

int broker_setup(struct broker *b, const char *config, bool check_only, char *err, size_t errsz)
{
        int r;

        r = config_load(config, b->uid, &b->cfg, err, errsz);
        if (r < 0)
                return r;
        r = keys_load(b->cfg->key_dir, b->uid, !check_only, &b->keys, err, errsz);
        if (r < 0)
                return r;
        r = check_setup(b, err, errsz);
        if (r < 0)
                return r;
        if (gethostname(b->host, sizeof(b->host) - 1) < 0)
                snprintf(b->host, sizeof(b->host), "localhost");
        return 0;
}

void broker_teardown(struct broker *b)
{
        watch_free(b->watch);
        challenges_free(b->challenges);
        attempts_free(b->attempts);
        proofs_free(b->proofs);
        trust_close(b->trust);
        keys_wipe(&b->keys);
        config_free(b->cfg);
        *b = (struct broker){ .uid = b->uid };
}
