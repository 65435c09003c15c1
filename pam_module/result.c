/* The one place where kagi's decisions become PAM return codes. Anything not
 * an explicit allow is a refusal, and never one that common stack rules
 * (authinfo_unavail=ignore, user_unknown=ignore) would skip over. */
#include <security/pam_modules.h>

#include "pam_kagi.h"

int pk_decision_to_pam(enum pk_phase phase, enum kagi_decision d)
{
        switch (phase) {
        case PK_PHASE_AUTH:
                switch (d) {
                case KAGI_ALLOW:
                        return PAM_SUCCESS;
                case KAGI_DENY_LOCKED:
                        return PAM_MAXTRIES;        /* applications stop retrying */
                case KAGI_DENY_POLICY:
                case KAGI_DENY_DISABLED:
                        return PAM_PERM_DENIED;
                default:
                        return PAM_AUTH_ERR;
                }
        case PK_PHASE_ACCOUNT:
                switch (d) {
                case KAGI_ALLOW:
                        return PAM_SUCCESS;
                case KAGI_DENY_DISABLED:
                        return PAM_ACCT_EXPIRED;
                default:
                        return PAM_PERM_DENIED;
                }
        case PK_PHASE_SESSION:
                return d == KAGI_ALLOW ? PAM_SUCCESS : PAM_SESSION_ERR;
        case PK_PHASE_SESSION_PRIVILEGED:
                /* sudo runs the command past PAM_SESSION_ERR, never past
                 * PAM_PERM_DENIED: a session of a role's target that kagi
                 * does not allow ends the login there */
                return d == KAGI_ALLOW ? PAM_SUCCESS : PAM_PERM_DENIED;
        }
        return PAM_AUTH_ERR;
}
