/* ABANDON: a prompt of pam_kagi.so produced no credential — no answer
 * (interrupted, end of input, timed out), an empty one, or the password
 * typed again at the code prompt. It is recorded, and never counted: nothing
 * was verified, so nothing was guessed (pam_kagi(8), "Abandoned prompts"). */
#include <stdio.h>

#include "login.h"

static const char *prompt_name(uint32_t factor)
{
        switch (factor) {
        case KAGI_F_PASSWORD:
                return "password";
        case KAGI_F_TOTP:
                return "code";
        case KAGI_F_PIN:
                return "PIN";
        default:
                return NULL;
        }
}

int auth_abandon(struct request *rq)
{
        _cleanup_(login_done) struct login l;
        uint32_t factor = msg_u32(rq->msg, KAGI_T_FACTORS, 0);
        uint32_t why = msg_u32(rq->msg, KAGI_T_WHY, 0);
        const char *prompt = prompt_name(factor);
        char fname[32], reason[128];
        int r;

        if (login_load(rq, &l) < 0 || !prompt || why == KAGI_ABANDON_NONE || why >= KAGI_ABANDON_MAX_ ||
            (why == KAGI_ABANDON_PASSWORD_AS_CODE && factor != KAGI_F_TOTP)) {
                reply_decision(rq, KAGI_DENY_INVALID, MSG_INTERNAL);
                return 0;
        }
        login_lookup_settling(rq, &l);
        /* the attempt preauth holds in flight ends now, not when it lapses */
        login_adopt_attempt(rq, &l);
        factor_set_format(factor, fname, sizeof(fname));
        if (why == KAGI_ABANDON_PASSWORD_AS_CODE)
                snprintf(reason, sizeof(reason), "the password was typed at the code prompt (not counted)");
        else
                snprintf(reason, sizeof(reason), "%s at the %s prompt (not counted)",
                         why == KAGI_ABANDON_EMPTY ? "empty answer" : "no answer (interrupted, ended or timed out)",
                         prompt);
        r = attempt_release(rq, &l, fname, why == KAGI_ABANDON_PASSWORD_AS_CODE ? "denied" : "abandoned", reason);
        if (r < 0) {
                reply_decision(rq, KAGI_ERROR, MSG_INTERNAL);
                return r;
        }
        reply_decision(rq, KAGI_DENY_ABANDONED,
                       why == KAGI_ABANDON_PASSWORD_AS_CODE ? MSG_CODE_IS_PASSWORD : MSG_ABANDONED);
        return 0;
}
