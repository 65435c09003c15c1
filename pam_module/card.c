/* IC card + PIN login, the module's part: the card does the PIN check and
 * the signature, the broker does every check and decides. Built into
 * pam_kagi_card.so, which pam_kagi.so loads only when a card is to be used
 * (plugin.c): a password login never maps pcsclite or libcrypto.
 *
 *   certificate from the card -> CARD_CHALLENGE -> (warn before the last PIN
 *   try) PIN prompt -> the card verifies the PIN and signs SHA-256 of the
 *   challenge in one transaction -> CARD_VERIFY with the signature, or with
 *   the card's refusal of the PIN, or with "aborted" when the card went away.
 */
#include <errno.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "card.h"
#include "pam_kagi.h"

static int card_probe(struct pk *pk, struct pk_card *c)
{
        int r;

        *c = (struct pk_card){ 0 };
        r = card_ctx_open(&c->ctx);
        if (r >= 0)
                r = card_wait(c->ctx, pk->cfg->card_reader, 0, c->reader);
        c->state = r >= 0 ? PK_CARD_PRESENT : r == -ETIMEDOUT ? PK_CARD_ABSENT : PK_CARD_NO_READER;
        if (r < 0 && r != -ETIMEDOUT && pk->args.debug)
                pam_syslog(pk->pamh, LOG_DEBUG, "no card reader for %s: %s", pk->user_log, card_strerror(r));
        c->err = r;
        return 0;
}

static void card_done(struct pk_card *c)
{
        card_ctx_close(c->ctx);
        c->ctx = NULL;
}

/* The card is needed but not in the reader: ask for it, wait [card] wait. */
static int wait_for_card(struct pk *pk, struct pk_card *c)
{
        int r;

        if (c->state == PK_CARD_NO_READER) {
                pam_syslog(pk->pamh, LOG_ERR, "card login for %s impossible: %s", pk->user_log, card_strerror(c->err));
                pk_refuse_msg(pk, MSG_NO_READER);
                return -ENXIO;
        }
        pk_info(pk, MSG_INSERT_CARD);
        r = card_wait(c->ctx, pk->cfg->card_reader, (int)pk->cfg->card_wait * 1000, c->reader);
        if (r < 0) {
                pam_syslog(pk->pamh, LOG_NOTICE, "no card for %s: %s", pk->user_log, card_strerror(r));
                pk_refuse_msg(pk, r == -ETIMEDOUT ? MSG_INSERT_CARD : MSG_NO_READER);
                return r;
        }
        c->state = PK_CARD_PRESENT;
        return 0;
}

/* CARD_VERIFY carrying what happened at the card. */
static enum kagi_decision send_verify(struct pk *pk, const struct pk_card *c, const uint8_t *der, size_t len, const uint8_t *challenge,
                                      size_t clen, uint32_t flags, const struct card_signature *sig, int tries,
                                      struct kagi_msg *m)
{
        _cleanup_(frame_freep) struct frame *req = pk_request(pk, KAGI_REQ_CARD_VERIFY, flags | KAGI_FLAG_CARD_PRESENT);
        enum kagi_decision d;

        if (!req)
                return KAGI_ERROR;
        frame_put_blob(req, KAGI_T_CERT, der, len);
        frame_put_blob(req, KAGI_T_CHALLENGE, challenge, clen);
        if (sig)
                frame_put_blob(req, KAGI_T_SIGNATURE, sig->data, sig->len);
        if (tries >= 0)
                frame_put_u32(req, KAGI_T_RETRIES, (uint32_t)tries);
        /* the reader kagid watches when pulling the card is to end the session */
        if (c->reader[0])
                frame_put_str(req, KAGI_T_READER, c->reader);
        d = pk_call(pk, req, m);
        pk_keep_account(pk, d, m);
        /* an inline grant request in su may show this login's proof */
        if (d == KAGI_ALLOW)
                pk_keep_proof(pk, m);
        return d;
}

static enum kagi_decision card_login(struct pk *pk, struct pk_card *c, struct kagi_msg *m)
{
        _cleanup_(card_disconnectp) struct kagi_card *card = NULL;
        _cleanup_(frame_freep) struct frame *req = NULL;
        _cleanup_(secret_strfreep) char *pin = NULL;
        struct card_signature sig;
        struct card_pin_info info;
        const uint8_t *der = NULL;
        uint8_t challenge[256];
        size_t len = 0, clen;
        enum kagi_decision d;
        time_t asked;
        int r, tries = -1;

        if (c->state != PK_CARD_PRESENT && wait_for_card(pk, c) < 0)
                return KAGI_DENY_CARD;
        r = card_connect(c->ctx, c->reader, CARD_APP_ANY, &card);
        if (r >= 0)
                r = card_read_cert(card, &der, &len);
        if (r < 0) {
                pam_syslog(pk->pamh, LOG_ERR, "card in %s unusable for %s: %s", c->reader, pk->user_log, card_strerror(r));
                pk_refuse_msg(pk, r == -ENODEV ? MSG_CARD_ABORTED : MSG_CARD_REFUSED);
                return KAGI_DENY_CARD;
        }
        if (pk->args.debug)
                pam_syslog(pk->pamh, LOG_DEBUG, "%s card in %s for %s", card_app_name(card_app(card)), c->reader,
                           pk->user_log);

        req = pk_request(pk, KAGI_REQ_CARD_CHALLENGE, KAGI_FLAG_CARD_PRESENT);
        if (req)
                frame_put_blob(req, KAGI_T_CERT, der, len);
        pk_put_attempt(pk, req);
        d = pk_call(pk, req, m);
        if (d != KAGI_CONTINUE || !msg_has(m, KAGI_T_CHALLENGE) || m->f[KAGI_T_CHALLENGE].len > sizeof(challenge))
                return d == KAGI_CONTINUE ? KAGI_ERROR : d;
        clen = m->f[KAGI_T_CHALLENGE].len;
        memcpy(challenge, m->f[KAGI_T_CHALLENGE].p, clen);

        /* never spend the card's last PIN try without saying so first */
        r = card_pin_info(card, &info);
        if (r < 0)
                return send_verify(pk, c, der, len, challenge, clen, KAGI_FLAG_CARD_ABORTED, NULL, -1, m);
        if (info.blocked)
                return send_verify(pk, c, der, len, challenge, clen, KAGI_FLAG_PIN_BLOCKED, NULL, 0, m);
        if (info.tries_left == 1)
                pk_warn(pk, MSG_PIN_LAST_TRY);

        asked = time(NULL);
        pin = pk_ask_secret(pk, MSG_PROMPT_PIN);
        /* nothing reaches the card: the reserved attempt is given back */
        if (pk_secret_answer(pin) != KAGI_ABANDON_NONE)
                return send_verify(pk, c, der, len, challenge, clen, KAGI_FLAG_CARD_ABORTED | KAGI_FLAG_ABANDONED,
                                   NULL, -1, m);
        if (time(NULL) - asked > (time_t)pk->cfg->card_pin_timeout) {
                pam_syslog(pk->pamh, LOG_NOTICE, "PIN for %s came after [card] pin_timeout", pk->user_log);
                return send_verify(pk, c, der, len, challenge, clen, KAGI_FLAG_CARD_ABORTED, NULL, -1, m);
        }

        r = card_verify_and_sign(card, pin, challenge, clen, &sig, &tries);
        switch (r) {
        case 0:
                return send_verify(pk, c, der, len, challenge, clen, 0, &sig, -1, m);
        case -EACCES:
                return send_verify(pk, c, der, len, challenge, clen, KAGI_FLAG_PIN_FAILED, NULL, tries, m);
        case -EINVAL:
                /* not a PIN this card could have: nothing reached the card, but
                 * the attempt failed all the same */
                return send_verify(pk, c, der, len, challenge, clen, KAGI_FLAG_PIN_FAILED, NULL, info.tries_left, m);
        case -EPERM:
                return send_verify(pk, c, der, len, challenge, clen, KAGI_FLAG_PIN_BLOCKED, NULL, 0, m);
        default:
                pam_syslog(pk->pamh, LOG_ERR, "card login for %s aborted: %s", pk->user_log, card_strerror(r));
                return send_verify(pk, c, der, len, challenge, clen, KAGI_FLAG_CARD_ABORTED, NULL, -1, m);
        }
}

const struct pk_card_ops *pam_kagi_card_ops(void)
{
        static const struct pk_card_ops ops = {
                .version = PK_CARD_OPS_VERSION,
                .pk_size = sizeof(struct pk),
                .probe = card_probe,
                .done = card_done,
                .login = card_login,
        };

        return &ops;
}
