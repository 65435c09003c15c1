/* Asking for a grant inline (su, sudo): a role's holder whose login just
 * proved them, refused only for want of a grant, is asked in the same
 * conversation for a reason and a duration; kagid takes the proof of that
 * login for their factors, so nobody waits for a second TOTP code. */
#include <errno.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "pam_kagi.h"

#define DATA_PROOF "pam_kagi_proof"

struct proof {
        uint8_t token[64];
        size_t len;
};

static void free_proof(pam_handle_t *pamh, void *data, int status)
{
        (void)pamh;
        (void)status;
        secret_free(data, sizeof(struct proof));
}

void pk_keep_proof(struct pk *pk, const struct kagi_msg *m)
{
        const struct kagi_field *f = &m->f[KAGI_T_PROOF];
        struct proof *p;

        if (!f->p || f->len > sizeof(p->token) || !(p = calloc(1, sizeof(*p))))
                return;
        memcpy(p->token, f->p, f->len);
        p->len = f->len;
        if (pam_set_data(pk->pamh, DATA_PROOF, p, free_proof) != PAM_SUCCESS)
                free_proof(pk->pamh, p, 0);
}

/* An answer the user sees as they type it. */
static char *ask_visible(struct pk *pk, enum msg_id prompt, unsigned n, const char *name)
{
        char text[512];

        message_format_name(pk->cfg, prompt, n, name, text, sizeof(text));
        return pk_ask(pk, PAM_PROMPT_ECHO_ON, text);
}

/* The answer to a refusal that names a role: ask for its grant now.
 * Returns 1 when a grant is active and the step may be asked again, 0 when
 * not (the user was told why), negative on error. */
int pk_inline_grant(struct pk *pk, const struct kagi_msg *refusal)
{
        _cleanup_(frame_freep) struct frame *req = NULL;
        _cleanup_(msg_freep) struct kagi_msg *m = msg_new();
        _cleanup_(freep) char *reason = NULL, *span = NULL;
        const char *role_name = msg_str(refusal, KAGI_T_ROLE);
        const struct kagi_role *role = role_name ? config_role(pk->cfg, role_name) : NULL;
        const void *data = NULL;
        const struct proof *p;
        uint64_t seconds;
        char who[4 * 256 + 1];
        bool active;

        if (!m || !role || !role->inline_request || msg_u32(refusal, KAGI_T_DECISION, 0) != KAGI_DENY_POLICY ||
            pam_get_data(pk->pamh, DATA_PROOF, &data) != PAM_SUCCESS || !data)
                return 0;
        p = data;
        reason = ask_visible(pk, MSG_PROMPT_REASON, 0, role->name);
        if (!reason || !*reason)
                return 0;
        span = ask_visible(pk, MSG_PROMPT_DURATION, (unsigned)(role->max_duration / 60), NULL);
        if (!span || parse_duration(span, &seconds) < 0 || seconds == 0) {
                pk_refuse_msg_name(pk, MSG_GRANT_REFUSED, 0,
                                   span && *span ? grant_duration_unreadable(pk->cfg->language)
                                                 : grant_verdict_words(GRANT_NO_DURATION, pk->cfg->language));
                return 0;
        }
        req = pk_request(pk, KAGI_REQ_GRANT_REQUEST, 0);
        if (req) {
                frame_put_str(req, KAGI_T_ROLE, role->name);
                frame_put_u64(req, KAGI_T_DURATION, seconds);
                frame_put_str(req, KAGI_T_REASON, reason);
                frame_put_blob(req, KAGI_T_PROOF, p->token, p->len);
        }
        /* a proof is good once, whatever the answer */
        pam_set_data(pk->pamh, DATA_PROOF, NULL, NULL);
        if (pk_call(pk, req, m) != KAGI_ALLOW) {
                pk_refuse_result(pk, m);
                return 0;
        }
        active = !(msg_u32(m, KAGI_T_FLAGS, 0) & KAGI_FLAG_PENDING);
        if (!active) {
                char approvers[128];

                snprintf(approvers, sizeof(approvers), "%s", role->approvers ? role->approvers : "-");
                pk_refuse_msg_name(pk, MSG_GRANT_PENDING, (unsigned)msg_u64(m, KAGI_T_GRANT, 0), approvers);
        }
        text_escape_str(pk->ruser ? pk->ruser : pk->user, who, sizeof(who));
        pam_syslog(pk->pamh, LOG_INFO, "%s asked inline for a grant of role %s (%s)", who, role->name,
                   active ? "active" : "pending");
        return active ? 1 : 0;
}
