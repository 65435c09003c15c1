/* Talking to the user through the application's PAM conversation.
 *
 * Three kinds of text, each shown its own way:
 *   - information (pk_info): silent under PAM_SILENT, as PAM asks;
 *   - a warning the user must read before answering the next prompt (a
 *     card's last PIN try, pk_warn): shown even under PAM_SILENT;
 *   - the one line that says why a login is refused (pk_refuse): shown even
 *     under PAM_SILENT, because sudo passes PAM_SILENT always and its users
 *     would otherwise read only "Sorry, try again." whether the code was
 *     wrong, the account locked or kagid down. Over ssh it is carried in a
 *     prompt: the OpenSSH client octal-escapes the text of keyboard-
 *     interactive messages (sshconnect2.c input_userauth_info_req() logs the
 *     instruction through logit(), whose strnvis() escapes every non-ASCII
 *     byte, and hides it below LogLevel INFO) but prints prompts as they are
 *     (read_passphrase()), so Japanese stays readable, also with ssh -q. */
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdio.h>
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

void pk_info(struct pk *pk, enum msg_id id)
{
        char text[1024];

        if (pk->flags & PAM_SILENT)
                return;
        message_format(pk->cfg, id, 0, text, sizeof(text));
        converse(pk, PAM_TEXT_INFO, text, NULL);
}

void pk_warn(struct pk *pk, enum msg_id id)
{
        char text[1024];

        message_format(pk->cfg, id, 0, text, sizeof(text));
        converse(pk, PAM_ERROR_MSG, text, NULL);
}

/* The refusal as a prompt the user acknowledges with Enter. Whatever is
 * typed there (a password, by habit) is wiped unread. */
static int refuse_in_prompt(struct pk *pk, const char *text)
{
        char enter[128], prompt[KAGI_MESSAGE_MAX + sizeof(enter) + 2];
        char *answer = NULL;
        int r;

        message_format(pk->cfg, MSG_PRESS_ENTER, 0, enter, sizeof(enter));
        snprintf(prompt, sizeof(prompt), "%s%s ", text, enter);
        r = converse(pk, PAM_PROMPT_ECHO_OFF, prompt, &answer);
        secret_strfree(answer);
        return r;
}

void pk_refuse(struct pk *pk, const char *text)
{
        if (!text || !*text)
                return;
        /* a conversation that takes no prompts here (sshd's account phase
         * outside keyboard-interactive) still gets the line as a message */
        if (pk->over_ssh && refuse_in_prompt(pk, text) == PAM_SUCCESS)
                return;
        converse(pk, PAM_ERROR_MSG, text, NULL);
}

void pk_refuse_msg_name(struct pk *pk, enum msg_id id, unsigned n, const char *name)
{
        char text[KAGI_MESSAGE_MAX];

        message_format_name(pk->cfg, id, n, name, text, sizeof(text));
        pk_refuse(pk, text);
}

void pk_refuse_msg(struct pk *pk, enum msg_id id)
{
        pk_refuse_msg_name(pk, id, 0, NULL);
}

void pk_refuse_result(struct pk *pk, const struct kagi_msg *m)
{
        pk_refuse(pk, msg_str(m, KAGI_T_MESSAGE));
}

char *pk_ask(struct pk *pk, int style, const char *text)
{
        char *answer = NULL;

        if (converse(pk, style, text, &answer) != PAM_SUCCESS || !answer) {
                pam_syslog(pk->pamh, LOG_NOTICE, "no answer to prompt for %s", pk->user_log);
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
