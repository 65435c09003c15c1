/* libFuzzer harness for the kagi.conf parser (policy/config.c). Whatever it
 * accepts must satisfy what validate() promises to the rest of kagi: a
 * default zone, and only multi-factor sets in My Number zones (MFA-1). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_zone(const struct kagi_config *c, const struct kagi_zone *z)
{
        char msg[64];
        uint32_t collect;

        if (z->n_sets == 0 || z->n_sets > KAGI_ZONE_MAX_SETS || (z->users.n == 0 && z->groups.n == 0))
                abort();
        for (size_t i = 0; i < z->n_sets; i++) {
                if (z->sets[i] == 0 || (z->sets[i] & ~(uint32_t)KAGI_F_ALL))
                        abort();
                if (z->mynumber && !factor_set_is_multifactor(z->sets[i]))
                        abort();
        }
        /* the decisions over every situation a login can be in */
        for (uint32_t proved = 0; proved <= KAGI_F_PASSWORD; proved++)
                for (int card = 0; card < 2; card++)
                        for (int broker = 0; broker < 2; broker++)
                                if (zone_factors_to_collect(z, proved, card, broker, &collect) == 0 &&
                                    !zone_satisfied(z, collect | proved))
                                        abort();
        zone_admits(z, "alice", &c->privileged_groups);
        message_format(c, MSG_LOCKED, 3, msg, sizeof(msg));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct kagi_config *c = NULL;
        char err[256];

        if (config_parse(data, size, "fuzz.conf", &c, err, sizeof(err)) < 0) {
                if (c || !memchr(err, '\0', sizeof(err)) || strncmp(err, "fuzz.conf", 9) != 0)
                        abort();
                return 0;
        }
        if (!c || !config_zone(c, c->default_zone))
                abort();
        for (size_t i = 0; i < c->n_zones; i++)
                check_zone(c, &c->zones[i]);
        config_free(c);
        return 0;
}
