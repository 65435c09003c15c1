/* What each PAM phase asks the broker, and what it tells the user. */
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "pam_kagi.h"

#define DATA_PREAUTH "pam_kagi_preauth"
#define DATA_ACCOUNT "pam_kagi_account"
#define DATA_SESSION "pam_kagi_session"
#define DATA_REGISTERED "pam_kagi_registered"
#define ENV_REGISTERED "KAGI_REGISTERED"
/* pam_systemd(8) reads it at its session phase: a backstop to kagid's end */
#define DATA_RUNTIME_MAX "systemd.runtime_max_sec"

/* What preauth learnt, for the rest of the transaction: the attempt kagid
 * holds in flight for it, and what kagid will want once the password
 * module has passed. */
struct preauth_data {
        uint8_t attempt[16];
        size_t attempt_len;
        uint32_t factors;
        bool has_factors;
        char person[257];                     /* whose factors, when not the account's */
};

/* When the broker cannot be asked, the user gets one clear line. */
static int refuse_unreachable(struct pk *pk, enum pk_phase phase)
{
        pk_refuse_msg(pk, MSG_UNAVAILABLE);
        return pk_decision_to_pam(phase, KAGI_UNAVAILABLE);
}

static enum kagi_decision ask(struct pk *pk, struct frame *req, struct kagi_msg *m)
{
        return m ? pk_call(pk, req, m) : KAGI_ERROR;
}

/* Answer a final decision: show the broker's message, map the code. */
static int finish(struct pk *pk, enum pk_phase phase, enum kagi_decision d, const struct kagi_msg *m)
{
        if (d == KAGI_UNAVAILABLE && !msg_str(m, KAGI_T_MESSAGE))
                return refuse_unreachable(pk, phase);
        if (d != KAGI_ALLOW)
                pk_refuse_result(pk, m);
        return pk_decision_to_pam(phase, d);
}

static void free_data(pam_handle_t *pamh, void *data, int status)
{
        (void)pamh;
        (void)status;
        free(data);
}

static void free_preauth(pam_handle_t *pamh, void *data, int status)
{
        (void)pamh;
        (void)status;
        secret_free(data, sizeof(struct preauth_data));
}

static const struct preauth_data *preauth_data(struct pk *pk)
{
        const void *data = NULL;

        return pam_get_data(pk->pamh, DATA_PREAUTH, &data) == PAM_SUCCESS ? data : NULL;
}

/* The person preauth said the factors are of, or NULL. */
static const char *known_person(struct pk *pk)
{
        const struct preauth_data *p = preauth_data(pk);

        return p && p->person[0] ? p->person : NULL;
}

void pk_put_attempt(struct pk *pk, struct frame *req)
{
        const struct preauth_data *p = preauth_data(pk);

        if (req && p && p->attempt_len)
                frame_put_blob(req, KAGI_T_ATTEMPT, p->attempt, p->attempt_len);
}

/* A prompt produced no credential: the broker records why and counts
 * nothing; the user reads why the login stops here. */
static int abandon(struct pk *pk, uint32_t factor, enum kagi_abandon why)
{
        _cleanup_(frame_freep) struct frame *req = pk_request(pk, KAGI_REQ_ABANDON, 0);
        _cleanup_(msg_freep) struct kagi_msg *m = msg_new();

        if (req) {
                frame_put_u32(req, KAGI_T_FACTORS, factor);
                frame_put_u32(req, KAGI_T_WHY, why);
        }
        /* the attempt preauth holds in flight ends here, not when it lapses */
        pk_put_attempt(pk, req);
        return finish(pk, PK_PHASE_AUTH, ask(pk, req, m), m);
}

int pk_preauth(struct pk *pk)
{
        _cleanup_(frame_freep) struct frame *req = NULL;
        _cleanup_(msg_freep) struct kagi_msg *m = msg_new();
        struct preauth_data *p;
        struct pk_card card;
        enum kagi_decision d;

        pk_card_probe(pk, &card);
        req = pk_request(pk, KAGI_REQ_PREAUTH, card.state == PK_CARD_PRESENT ? KAGI_FLAG_CARD_PRESENT : 0);
        pk_card_done(&card);
        d = ask(pk, req, m);
        /* remembered for the default mode: a password module runs between us */
        if (d == KAGI_ALLOW) {
                p = calloc(1, sizeof(*p));
                if (!p)
                        return PAM_BUF_ERR;
                if (m->f[KAGI_T_ATTEMPT].p && m->f[KAGI_T_ATTEMPT].len <= sizeof(p->attempt)) {
                        p->attempt_len = m->f[KAGI_T_ATTEMPT].len;
                        memcpy(p->attempt, m->f[KAGI_T_ATTEMPT].p, p->attempt_len);
                }
                p->has_factors = msg_has(m, KAGI_T_FACTORS);
                p->factors = msg_u32(m, KAGI_T_FACTORS, 0);
                if (msg_str(m, KAGI_T_PERSON))
                        snprintf(p->person, sizeof(p->person), "%s", msg_str(m, KAGI_T_PERSON));
                if (pam_set_data(pk->pamh, DATA_PREAUTH, p, free_preauth) != PAM_SUCCESS) {
                        free_preauth(pk->pamh, p, 0);
                        return PAM_BUF_ERR;
                }
                /* a role's target or a shared ID: its own password is no
                 * factor (nobody should know it). PAM_IGNORE
                 * makes the documented stack jump over the password module
                 * (ignore=2) to kagi, which asks the person's own factors */
                if (msg_u32(m, KAGI_T_FLAGS, 0) & KAGI_FLAG_BY_PERSON)
                        return PAM_IGNORE;
        }
        return finish(pk, PK_PHASE_AUTH, d, m);
}

int pk_authfail(struct pk *pk)
{
        _cleanup_(frame_freep) struct frame *req = NULL;
        _cleanup_(msg_freep) struct kagi_msg *m = msg_new();
        const void *tok = NULL;
        enum kagi_decision d;

        /* The password module sets PAM_AUTHTOK to the answer before it checks
         * it (pam_get_authtok); without one it checked nothing: its prompt was
         * interrupted, ended or timed out. (kagi relies on PAM_AUTHTOK
         * already: the default mode needs it.) An empty answer it did check,
         * and some modules wipe PAM_AUTHTOK in place after checking: an empty
         * one counts like any wrong password. */
        if (pam_get_item(pk->pamh, PAM_AUTHTOK, &tok) != PAM_SUCCESS || !tok) {
                abandon(pk, KAGI_F_PASSWORD, KAGI_ABANDON_NO_ANSWER);
                return PAM_AUTH_ERR;
        }
        req = pk_request(pk, KAGI_REQ_AUTHFAIL, 0);
        pk_put_attempt(pk, req);
        d = ask(pk, req, m);
        if (d == KAGI_UNAVAILABLE || d == KAGI_ERROR)
                pam_syslog(pk->pamh, LOG_ERR, "failure of %s could not be counted by kagid", pk->user_log);
        finish(pk, PK_PHASE_AUTH, d, m);
        /* the preceding module failed: whatever the broker said, this fails */
        return PAM_AUTH_ERR;
}

/* A password module before kagi proved the knowledge factor when our preauth
 * ran first (so the stack is the documented one) and it left PAM_AUTHTOK. The
 * stack's [default=die] authfail line ends the transaction when it failed.
 * Returns that password, or NULL. */
static const char *stacked_password(struct pk *pk)
{
        const void *tok = NULL;

        if (!preauth_data(pk) || pam_get_item(pk->pamh, PAM_AUTHTOK, &tok) != PAM_SUCCESS)
                return NULL;
        return tok;
}

static void card_donep(struct pk_card *c)
{
        pk_card_done(c);
}

/* What to collect: from preauth when the documented stack proved the
 * password (no round trip), else from BEGIN. */
static enum kagi_decision factors_needed(struct pk *pk, uint32_t flags, struct pk_card *card, struct kagi_msg *m,
                                         uint32_t *ret)
{
        _cleanup_(frame_freep) struct frame *begin = NULL;
        const struct preauth_data *p = preauth_data(pk);
        enum kagi_decision d;

        if ((flags & KAGI_FLAG_STACKED_PASSWORD) && p && p->has_factors) {
                *ret = p->factors;
                return KAGI_CONTINUE;
        }
        pk_card_probe(pk, card);
        begin = pk_request(pk, KAGI_REQ_BEGIN, flags | (card->state == PK_CARD_PRESENT ? KAGI_FLAG_CARD_PRESENT : 0));
        d = ask(pk, begin, m);
        *ret = msg_u32(m, KAGI_T_FACTORS, 0);
        return d;
}

int pk_authenticate(struct pk *pk)
{
        _cleanup_(frame_freep) struct frame *req = NULL;
        _cleanup_(msg_freep) struct kagi_msg *m = msg_new();
        _cleanup_(secret_strfreep) char *password = NULL;
        _cleanup_(secret_strfreep) char *code = NULL;
        _cleanup_(card_donep) struct pk_card card = { 0 };
        _cleanup_(freep) char *person = NULL;
        const char *proved = stacked_password(pk);
        uint32_t flags = 0, factors = 0;
        enum kagi_abandon why;
        enum kagi_decision d;

        if (!m)
                return PAM_BUF_ERR;
        if (proved)
                flags |= KAGI_FLAG_STACKED_PASSWORD;
        d = factors_needed(pk, flags, &card, m, &factors);
        if (d != KAGI_CONTINUE)
                return finish(pk, PK_PHASE_AUTH, d == KAGI_ALLOW ? KAGI_ERROR : d, m);

        if (factors & (KAGI_F_CARD | KAGI_F_PIN)) {
                if (!card.ctx)
                        pk_card_probe(pk, &card);
                return finish(pk, PK_PHASE_AUTH, pk_card_login(pk, &card, m), m);
        }
        /* su/sudo to a role's target: the person's own factors, by name */
        person = msg_str(m, KAGI_T_PERSON) ? strdup(msg_str(m, KAGI_T_PERSON)) : NULL;
        if (!person && known_person(pk))
                person = strdup(known_person(pk));
        /* a shared ID: the member says who they are, then gives their own
         * factors (SID-1) */
        if (!person && (factors & KAGI_F_PERSON)) {
                char text[256];

                message_format(pk->cfg, MSG_PROMPT_PERSONAL_ID, 0, text, sizeof(text));
                person = pk_ask(pk, PAM_PROMPT_ECHO_ON, text);
                if (person)
                        person[strcspn(person, " \t\r\n")] = '\0';
                if (!person || !*person)
                        return abandon(pk, KAGI_F_PASSWORD, person ? KAGI_ABANDON_EMPTY : KAGI_ABANDON_NO_ANSWER);
                /* every later request of the transaction names them */
                {
                        char *keep = strdup(person);

                        if (!keep || pam_set_data(pk->pamh, PK_DATA_PERSON, keep, free_data) != PAM_SUCCESS) {
                                free(keep);
                                return PAM_BUF_ERR;
                        }
                }
        }
        if (factors & KAGI_F_PASSWORD) {
                password = person ? pk_ask_secret_name(pk, MSG_PROMPT_PERSON_PASSWORD, person)
                                  : pk_ask_secret(pk, MSG_PROMPT_PASSWORD);
                why = pk_secret_answer(password);
                if (why != KAGI_ABANDON_NONE)
                        return abandon(pk, KAGI_F_PASSWORD, why);
        }
        if (factors & KAGI_F_TOTP) {
                code = person ? pk_ask_secret_name(pk, MSG_PROMPT_PERSON_CODE, person)
                              : pk_ask_secret(pk, MSG_PROMPT_CODE);
                why = pk_code_answer(code, password ? password : proved, pk->cfg->totp_digits);
                if (why != KAGI_ABANDON_NONE)
                        return abandon(pk, KAGI_F_TOTP, why);
        }
        req = pk_request(pk, KAGI_REQ_VERIFY, flags);
        if (req && password)
                frame_put_str(req, KAGI_T_PASSWORD, password);
        if (req && code)
                frame_put_str(req, KAGI_T_CODE, code);
        pk_put_attempt(pk, req);
        d = ask(pk, req, m);
        pk_keep_account(pk, d, m);
        if (d == KAGI_ALLOW)
                pk_keep_proof(pk, m);
        return finish(pk, PK_PHASE_AUTH, d, m);
}

/* The session kagid registered when the account phase passed (a role's
 * target): the session phase opens that one. */
static void keep_registered(struct pk *pk, const struct kagi_msg *m)
{
        const char *id = msg_str(m, KAGI_T_SESSION);
        char *copy;

        char env[96];

        if (!id || !(copy = strdup(id)))
                return;
        if (pam_set_data(pk->pamh, DATA_REGISTERED, copy, free_data) != PAM_SUCCESS)
                free(copy);
        /* sshd checks the account in its PAM process and opens the session
         * in another; it carries the PAM environment across, not our data */
        snprintf(env, sizeof(env), ENV_REGISTERED "=%s", id);
        pam_putenv(pk->pamh, env);
}

/* pam_data values are strings pam_systemd parses; ours lives as long as
 * the handle */
static void set_runtime_max(struct pk *pk, uint64_t seconds)
{
        char *text;

        if (seconds == 0 || asprintf(&text, "%llu", (unsigned long long)seconds) < 0)
                return;
        if (pam_set_data(pk->pamh, DATA_RUNTIME_MAX, text, free_data) != PAM_SUCCESS)
                free(text);
}

void pk_keep_account(struct pk *pk, enum kagi_decision d, const struct kagi_msg *m)
{
        char *user;

        /* kagid decided (and audited) the account phase with this login:
         * pam_acct_mgmt in the same transaction, for the same user, need
         * not ask again */
        if (d != KAGI_ALLOW || msg_u32(m, KAGI_T_ACCOUNT, KAGI_ERROR) != KAGI_ALLOW || !(user = strdup(pk->user)))
                return;
        keep_registered(pk, m);
        if (pam_set_data(pk->pamh, DATA_ACCOUNT, user, free_data) != PAM_SUCCESS)
                free(user);
}

int pk_account(struct pk *pk)
{
        _cleanup_(frame_freep) struct frame *req = NULL;
        _cleanup_(msg_freep) struct kagi_msg *m = msg_new();
        const void *decided = NULL;

        if (pam_get_data(pk->pamh, DATA_ACCOUNT, &decided) == PAM_SUCCESS && decided &&
            strcmp(decided, pk->user) == 0) {
                /* once: a second account phase asks */
                pam_set_data(pk->pamh, DATA_ACCOUNT, NULL, NULL);
                return PAM_SUCCESS;
        }
        for (int round = 0;; round++) {
                enum kagi_decision d;

                req = pk_request(pk, KAGI_REQ_ACCOUNT, 0);
                d = ask(pk, req, m);
                frame_freep(&req);
                /* su to a role's target: a holder may ask for the grant now */
                if (d == KAGI_ALLOW)
                        keep_registered(pk, m);
                if (d != KAGI_DENY_POLICY || round > 0 || !msg_has(m, KAGI_T_ROLE))
                        return finish(pk, PK_PHASE_ACCOUNT, d, m);
                pk_refuse_result(pk, m);
                if (pk_inline_grant(pk, m) <= 0)
                        return pk_decision_to_pam(PK_PHASE_ACCOUNT, d);
        }
}

static struct frame *open_request(struct pk *pk)
{
        struct frame *req = pk_request(pk, KAGI_REQ_SESSION_OPEN, 0);
        const void *registered = NULL;

        if (req)
                frame_put_u32(req, KAGI_T_PID, (uint32_t)getpid());
        if (pam_get_data(pk->pamh, DATA_REGISTERED, &registered) != PAM_SUCCESS || !registered)
                registered = pam_getenv(pk->pamh, ENV_REGISTERED);
        if (req && registered && *(const char *)registered)
                frame_put_str(req, KAGI_T_SESSION, registered);
        return req;
}

int pk_open_session(struct pk *pk)
{
        _cleanup_(frame_freep) struct frame *req = open_request(pk);
        _cleanup_(msg_freep) struct kagi_msg *m = msg_new();
        enum kagi_decision d;
        const char *id;
        char env[96];
        char *copy;

        d = ask(pk, req, m);
        /* sudo to a role's target: the grant is asked for here, where sudo
         * first names the target */
        if (d == KAGI_DENY_POLICY && msg_has(m, KAGI_T_ROLE)) {
                pk_refuse_result(pk, m);
                if (pk_inline_grant(pk, m) <= 0)
                        return pk_decision_to_pam(PK_PHASE_SESSION_PRIVILEGED, d);
                frame_freep(&req);
                req = open_request(pk);
                d = ask(pk, req, m);
        }
        if (d != KAGI_ALLOW)
                return finish(pk, config_is_target(pk->cfg, pk->user) ? PK_PHASE_SESSION_PRIVILEGED
                                                                      : PK_PHASE_SESSION, d, m);
        id = msg_str(m, KAGI_T_SESSION);
        if (!id || !(copy = strdup(id)))
                return PAM_SESSION_ERR;
        if (pam_set_data(pk->pamh, DATA_SESSION, copy, free_data) != PAM_SUCCESS) {
                free(copy);
                return PAM_SESSION_ERR;
        }
        pam_set_data(pk->pamh, DATA_REGISTERED, NULL, NULL);
        pam_putenv(pk->pamh, ENV_REGISTERED);
        set_runtime_max(pk, msg_u64(m, KAGI_T_DURATION, 0));
        snprintf(env, sizeof(env), "KAGI_SESSION=%s", id);
        pam_putenv(pk->pamh, env);
        return PAM_SUCCESS;
}

int pk_close_session(struct pk *pk)
{
        _cleanup_(frame_freep) struct frame *req = NULL;
        _cleanup_(msg_freep) struct kagi_msg *m = msg_new();
        const void *id = NULL;
        enum kagi_decision d;

        if (pam_get_data(pk->pamh, DATA_SESSION, &id) != PAM_SUCCESS || !id) {
                pam_syslog(pk->pamh, LOG_NOTICE, "close_session for %s without a kagi session", pk->user_log);
                return PAM_SUCCESS;
        }
        req = pk_request(pk, KAGI_REQ_SESSION_CLOSE, 0);
        if (req)
                frame_put_str(req, KAGI_T_SESSION, id);
        d = ask(pk, req, m);
        if (d != KAGI_ALLOW)
                pam_syslog(pk->pamh, LOG_ERR, "logout of %s (session %s) was not recorded: %s", pk->user_log,
                           (const char *)id, kagi_decision_name(d));
        else
                pam_set_data(pk->pamh, DATA_SESSION, NULL, NULL);
        return pk_decision_to_pam(PK_PHASE_SESSION, d);
}
