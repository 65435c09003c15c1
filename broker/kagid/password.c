/* kagid checks a person's password itself: by binding as them when the
 * directory is LDAP, else through a PAM service of kagid's own ([broker]
 * password_service, normally pam_unix) — for what the PAM stack in front of
 * kagi cannot check: the person behind su to a privileged account, a grant
 * asked for with kagictl, an approval, a member of a shared ID. */
#include <errno.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <string.h>

#include "login.h"

struct answer {
        const char *password;
        bool asked;
};

/* Answers the service's one hidden prompt with the password; anything else
 * it wants to know is a refusal, never a guess. */
static int conv(int n, const struct pam_message **msgs, struct pam_response **ret, void *userdata)
{
        struct answer *a = userdata;
        struct pam_response *resp = calloc((size_t)n, sizeof(*resp));

        if (!resp)
                return PAM_BUF_ERR;
        for (int i = 0; i < n; i++) {
                if (msgs[i]->msg_style == PAM_PROMPT_ECHO_OFF && !a->asked) {
                        a->asked = true;
                        resp[i].resp = secret_strdup(a->password);
                        if (!resp[i].resp)
                                goto fail;
                } else if (msgs[i]->msg_style == PAM_PROMPT_ECHO_OFF || msgs[i]->msg_style == PAM_PROMPT_ECHO_ON) {
                        goto fail;
                }
        }
        *ret = resp;
        return PAM_SUCCESS;
fail:
        for (int i = 0; i < n; i++)
                secret_strfree(resp[i].resp);
        free(resp);
        return PAM_CONV_ERR;
}

static int pam_service_check(const char *service, const char *user, const char *password)
{
        struct answer a = { .password = password };
        const struct pam_conv c = { conv, &a };
        pam_handle_t *pamh = NULL;
        int r;

        r = pam_start(service, user, &c, &pamh);
        if (r != PAM_SUCCESS) {
                log_err("password check for %s: cannot start PAM service %s: %s", user, service,
                        pam_strerror(NULL, r));
                return -EHOSTDOWN;
        }
        r = pam_authenticate(pamh, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
        if (r == PAM_SUCCESS)
                r = pam_acct_mgmt(pamh, PAM_SILENT);
        pam_end(pamh, r);
        switch (r) {
        case PAM_SUCCESS:
                return 0;
        case PAM_AUTHINFO_UNAVAIL:
        case PAM_SYSTEM_ERR:
        case PAM_BUF_ERR:
        case PAM_SERVICE_ERR:
        case PAM_ABORT:
                log_err("password check for %s through PAM service %s: %s", user, service, pam_strerror(NULL, r));
                return -EHOSTDOWN;
        default:
                /* wrong, unknown, expired, locked by the password module */
                return -EACCES;
        }
}

int person_password_check(struct request *rq, const char *user, const char *password)
{
        if (!password || !*password)
                return -EACCES;
        if (directory_checks_passwords(rq->dir))
                return directory_check_password(rq->dir, user, password);
        return pam_service_check(rq->b->cfg->password_service, user, password);
}
