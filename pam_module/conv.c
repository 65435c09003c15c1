/* Talking to the user through the application's PAM conversation. */
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <string.h>
#include <syslog.h>

#include "pam_kagi.h"

static int converse(struct pk *pk, int style, const char *text, char **ret)
{
        const struct pam_conv *conv = NULL;
        struct pam_message msg = { .msg_style = style, .msg = text };
        const struct pam_message *msgs[1] = { &msg };
        struct pam_response *resp = NULL;
        int r;

        r = pam_get_item(pk->pamh, PAM_CONV, (const void **)&conv);
        if (r != PAM_SUCCESS || !conv || !conv->conv) {
                pam_syslog(pk->pamh, LOG_ERR, "no conversation function");
                return PAM_CONV_ERR;
        }
        r = conv->conv(1, msgs, &resp, conv->appdata_ptr);
        if (r != PAM_SUCCESS) {
                if (resp) {
                        secret_strfree(resp->resp);
                        free(resp);
                }
                return r;
        }
        if (ret) {
                *ret = resp ? resp->resp : NULL;
        } else if (resp) {
                secret_strfree(resp->resp);
        }
        free(resp);
        return PAM_SUCCESS;
}

void pk_tell(struct pk *pk, bool error, const char *text)
{
        if (!text || !*text || (pk->flags & PAM_SILENT))
                return;
        converse(pk, error ? PAM_ERROR_MSG : PAM_TEXT_INFO, text, NULL);
}

void pk_tell_msg(struct pk *pk, bool error, enum msg_id id, unsigned n)
{
        char text[1024];

        message_format(pk->cfg, id, n, text, sizeof(text));
        pk_tell(pk, error, text);
}

void pk_tell_msg_name(struct pk *pk, bool error, enum msg_id id, unsigned n, const char *name)
{
        char text[1024];

        message_format_name(pk->cfg, id, n, name, text, sizeof(text));
        pk_tell(pk, error, text);
}

void pk_tell_result(struct pk *pk, const struct kagi_msg *m)
{
        pk_tell(pk, true, msg_str(m, KAGI_T_MESSAGE));
}

char *pk_ask(struct pk *pk, int style, const char *text)
{
        char *answer = NULL;

        if (converse(pk, style, text, &answer) != PAM_SUCCESS || !answer) {
                pam_syslog(pk->pamh, LOG_NOTICE, "no answer to prompt for %s", pk->user);
                return NULL;
        }
        return answer;
}

char *pk_ask_secret_name(struct pk *pk, enum msg_id prompt, const char *name)
{
        char text[512];

        message_format_name(pk->cfg, prompt, 0, name, text, sizeof(text));
        return pk_ask(pk, PAM_PROMPT_ECHO_OFF, text);
}

char *pk_ask_secret(struct pk *pk, enum msg_id prompt)
{
        return pk_ask_secret_name(pk, prompt, NULL);
}
