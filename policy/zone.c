/* Zone decisions: which factors to collect, when a login is complete, who may
 * log in (MFA-1, ACC-1), and whether a login is at the card reader. Deny
 * unless a rule allows. */
#include <errno.h>
#include <string.h>

#include "common.h"
#include "policy.h"

bool factor_set_is_multifactor(uint32_t set)
{
        if ((set & KAGI_F_PIN) && !(set & KAGI_F_CARD))
                return false;
        return (set & KAGI_F_KNOWLEDGE) && (set & KAGI_F_POSSESSION);
}

bool zone_satisfied(const struct kagi_zone *z, uint32_t verified)
{
        for (size_t i = 0; i < z->n_sets; i++)
                if (z->sets[i] && (verified & z->sets[i]) == z->sets[i])
                        return true;
        return false;
}

int zone_factors_to_collect(const struct kagi_zone *z, uint32_t proved, bool card_present,
                            bool broker_checks_password, uint32_t *ret_collect)
{
        uint32_t best = 0;
        bool found = false;

        for (size_t i = 0; i < z->n_sets; i++) {
                uint32_t set = z->sets[i], need = set & ~proved;

                if ((need & KAGI_F_CARD) && !card_present)
                        continue;
                if ((need & KAGI_F_PASSWORD) && !broker_checks_password)
                        continue;
                /* a card in the reader means the user chose the card */
                if (!found || (card_present && (set & KAGI_F_CARD) && !(best & KAGI_F_CARD))) {
                        best = need;
                        found = true;
                }
        }
        if (!found)
                return -EACCES;
        *ret_collect = best;
        return 0;
}

enum login_place login_place(const struct kagi_config *c, const char *service, const char *rhost)
{
        /* any host at all, "localhost" too: ssh to the loopback is still typed
         * by someone who need not be at this machine */
        if (rhost && *rhost)
                return LOGIN_REMOTE_HOST;
        if (!service || !strv_contains(&c->card_local_services, service))
                return LOGIN_SERVICE_NOT_LOCAL;
        return LOGIN_LOCAL;
}

bool zone_admits(const struct kagi_zone *z, const char *user, const struct strv *groups)
{
        if (strv_contains(&z->users, "*") || strv_contains(&z->users, user))
                return true;
        for (size_t i = 0; groups && i < groups->n; i++)
                if (strv_contains(&z->groups, groups->v[i]))
                        return true;
        return false;
}

bool zone_accepts_cards(const struct kagi_zone *z)
{
        for (size_t j = 0; j < z->n_sets; j++)
                if (z->sets[j] & KAGI_F_CARD)
                        return true;
        return false;
}

bool config_uses_cards(const struct kagi_config *c)
{
        for (size_t i = 0; i < c->n_zones; i++)
                if (zone_accepts_cards(&c->zones[i]))
                        return true;
        return false;
}
