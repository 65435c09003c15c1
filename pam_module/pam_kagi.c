/* pam_kagi.so entry points: parse arguments, one call, done. */
#include <security/pam_modules.h>

#include "pam_kagi.h"

#define ENTRY(need_user, body)                                                  \
        struct pk pk;                                                           \
        int r = pk_open(&pk, pamh, flags, argc, argv, need_user);               \
        if (r != PAM_SUCCESS)                                                   \
                return r;                                                       \
        r = (body);                                                             \
        pk_close(&pk);                                                          \
        return r

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        ENTRY(true, pk.args.mode == PK_MODE_PREAUTH    ? pk_preauth(&pk)
                    : pk.args.mode == PK_MODE_AUTHFAIL ? pk_authfail(&pk)
                                                       : pk_authenticate(&pk));
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        (void)pamh;
        (void)flags;
        (void)argc;
        (void)argv;
        return PAM_SUCCESS;
}

PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        ENTRY(true, pk_account(&pk));
}

PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        ENTRY(true, pk_open_session(&pk));
}

PAM_EXTERN int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        ENTRY(true, pk_close_session(&pk));
}
