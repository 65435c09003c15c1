/* One whole PAM transaction, as login or sshd would run it, with a
 * conversation that answers like a user: the password at the first hidden
 * prompt, the TOTP code at the second.
 *
 * pam_start_confdir() (Linux-PAM >= 1.4) reads the service file from the
 * benchmark's own directory; it is what pam_wrapper itself calls, without
 * the preload. Each thread has its own handle, as PAM requires. */
#include <errno.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

struct conv_state {
        const char *password;
        const char *code;
        struct login_result *res;
};

static void responses_free(struct pam_response *r, int n)
{
        for (int i = 0; i < n; i++)
                secret_strfree(r[i].resp);
        free(r);
}

static int converse(int n, const struct pam_message **msg, struct pam_response **ret, void *data)
{
        struct conv_state *c = data;
        struct login_result *res = c->res;
        struct pam_response *r;

        if (n <= 0 || n > PAM_MAX_NUM_MSG)
                return PAM_CONV_ERR;
        r = calloc((size_t)n, sizeof(*r));
        if (!r)
                return PAM_BUF_ERR;
        for (int i = 0; i < n; i++) {
                const char *answer;

                switch (msg[i]->msg_style) {
                case PAM_PROMPT_ECHO_OFF:
                case PAM_PROMPT_ECHO_ON:
                        if (res->prompts < ARRAY_SIZE(res->asked))
                                snprintf(res->asked[res->prompts], sizeof(res->asked[0]), "%s", msg[i]->msg);
                        res->prompts++;
                        answer = res->prompts == 1 ? c->password : res->prompts == 2 ? c->code : NULL;
                        if (!answer || !(r[i].resp = strdup(answer))) {
                                responses_free(r, n);
                                return PAM_CONV_ERR;
                        }
                        break;
                case PAM_ERROR_MSG:
                case PAM_TEXT_INFO:
                        snprintf(res->message, sizeof(res->message), "%s", msg[i]->msg);
                        break;
                default:
                        responses_free(r, n);
                        return PAM_CONV_ERR;
                }
        }
        *ret = r;
        return PAM_SUCCESS;
}

/* libpam sleeps after a failed authentication for as long as the modules
 * asked (pam_faillock asks for seconds) unless the application takes the
 * delay over, as this one does: the benchmark measures the work, and notes
 * the delay that would have been slept. libpam calls this after every
 * pam_authenticate, with the conversation's appdata_ptr. */
static void delay_noted(int status, unsigned usec, void *data)
{
        struct conv_state *c = data;

        if (status != PAM_SUCCESS)
                c->res->delay_us = usec;
}

int login_run(const char *confdir, const char *service, const char *user, const char *password,
              const char *code, struct login_result *ret)
{
        struct conv_state c = { .password = password, .code = code, .res = ret };
        struct pam_conv conv = { .conv = converse, .appdata_ptr = &c };
        void (*delay_fn)(int, unsigned, void *) = delay_noted;
        pam_handle_t *pamh = NULL;
        int r;

        *ret = (struct login_result){ .account = -1 };
        r = pam_start_confdir(service, user, &conv, confdir, &pamh);
        if (r != PAM_SUCCESS) {
                snprintf(ret->message, sizeof(ret->message), "pam_start: %s", pam_strerror(NULL, r));
                ret->auth = r;
                return -EIO;
        }
        r = pam_set_item(pamh, PAM_FAIL_DELAY, (const void *)delay_fn);
        if (r == PAM_SUCCESS)
                r = ret->auth = pam_authenticate(pamh, 0);
        if (r == PAM_SUCCESS)
                r = ret->account = pam_acct_mgmt(pamh, 0);
        pam_end(pamh, r);
        return 0;
}
