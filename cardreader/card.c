/* The public face of libkagi-card (card.h): contexts, connecting with the
 * driver chosen by SELECT, and every card operation inside one PC/SC
 * transaction that starts by selecting the application again (another
 * program may have selected something else since). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "card_internal.h"
#include "common.h"

struct card_ctx {
        struct pcsc_ctx *pcsc;
};

static const struct card_driver *const drivers[] = { &piv_driver, &jpki_driver };

int card_ctx_open(struct card_ctx **ret)
{
        _cleanup_(freep) struct card_ctx *ctx = calloc(1, sizeof(*ctx));
        int r;

        if (!ctx)
                return -ENOMEM;
        r = pcsc_open(&ctx->pcsc);
        if (r < 0)
                return r;
        *ret = ctx;
        ctx = NULL;
        return 0;
}

void card_ctx_close(struct card_ctx *ctx)
{
        if (!ctx)
                return;
        pcsc_close(ctx->pcsc);
        free(ctx);
}

int card_wait(struct card_ctx *ctx, const char *reader_filter, int timeout_ms, char ret_reader[CARD_READER_MAX])
{
        if (!ctx || !ret_reader)
                return -EINVAL;
        return pcsc_wait_card(ctx->pcsc, reader_filter, timeout_ms, ret_reader);
}

int card_wait_event(struct card_ctx *ctx, const char *reader, int timeout_ms, enum card_event *ret)
{
        if (!ctx || !reader || !ret)
                return -EINVAL;
        return pcsc_wait_event(ctx->pcsc, reader, timeout_ms, ret);
}

int card_apdu(struct kagi_card *card, const struct apdu *cmd)
{
        return apdu_transceive(pcsc_transmit, card->link, cmd, card->rsp);
}

void card_disconnect(struct kagi_card *card)
{
        if (!card)
                return;
        pcsc_disconnect(card->link);
        free(card->cert);
        free(card->rsp);
        free(card);
}

int card_connect(struct card_ctx *ctx, const char *reader, unsigned apps, struct kagi_card **ret)
{
        _cleanup_(card_disconnectp) struct kagi_card *card = NULL;
        int r = -EMEDIUMTYPE;

        if (!ctx || !reader || strlen(reader) >= CARD_READER_MAX || !(apps & CARD_APP_ANY) || (apps & ~CARD_APP_ANY))
                return -EINVAL;
        card = calloc(1, sizeof(*card));
        if (!card)
                return -ENOMEM;
        card->rsp = malloc(sizeof(*card->rsp));
        if (!card->rsp)
                return -ENOMEM;
        strcpy(card->reader, reader);
        r = pcsc_connect(ctx->pcsc, reader, &card->link);
        if (r < 0)
                return r;
        r = pcsc_begin(card->link);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ARRAY_SIZE(drivers); i++) {
                if (!(apps & drivers[i]->app))
                        continue;
                r = drivers[i]->select(card);
                if (r == 0) {
                        card->drv = drivers[i];
                        break;
                }
                if (r != -EMEDIUMTYPE)
                        break;
        }
        pcsc_end(card->link);
        if (r < 0)
                return r;
        *ret = card;
        card = NULL;
        return 0;
}

enum card_app card_app(const struct kagi_card *card)
{
        return card->drv->app;
}

const char *card_app_name(enum card_app app)
{
        switch (app) {
        case CARD_APP_PIV:
                return "PIV";
        case CARD_APP_JPKI:
                return "JPKI";
        default:
                return "unknown";
        }
}

const char *card_reader(const struct kagi_card *card)
{
        return card->reader;
}

int card_still_present(struct kagi_card *card)
{
        return pcsc_status(card->link);
}

static int begin(struct kagi_card *card)
{
        int r = pcsc_begin(card->link);

        if (r < 0)
                return r;
        r = card->drv->select(card);
        if (r < 0)
                pcsc_end(card->link);
        return r;
}

/* Inside a transaction: the certificate, read once. */
static int load_cert(struct kagi_card *card)
{
        uint8_t *der;
        size_t len;
        int r;

        if (card->cert)
                return 0;
        r = card->drv->read_cert(card, &der, &len);
        if (r < 0)
                return r;
        card->cert = der;
        card->cert_len = len;
        return 0;
}

int card_read_cert(struct kagi_card *card, const uint8_t **ret_der, size_t *ret_len)
{
        int r;

        if (!card || !ret_der || !ret_len)
                return -EINVAL;
        if (!card->cert) {
                r = begin(card);
                if (r < 0)
                        return r;
                r = load_cert(card);
                pcsc_end(card->link);
                if (r < 0)
                        return r;
        }
        *ret_der = card->cert;
        *ret_len = card->cert_len;
        return 0;
}

int card_pin_info(struct kagi_card *card, struct card_pin_info *ret)
{
        int r;

        if (!card || !ret)
                return -EINVAL;
        r = begin(card);
        if (r < 0)
                return r;
        r = card->drv->pin_info(card, ret);
        pcsc_end(card->link);
        return r;
}

int card_pin_result(uint16_t sw, int *tries_left)
{
        unsigned tries;
        int dummy;

        if (!tries_left)
                tries_left = &dummy;
        if (sw == SW_OK)
                return 0;
        if (apdu_sw_tries(sw, &tries)) {
                *tries_left = (int)tries;
                return tries ? -EACCES : -EPERM;
        }
        if (sw == SW_PIN_BLOCKED) {
                *tries_left = 0;
                return -EPERM;
        }
        *tries_left = -1;
        return apdu_sw_errno(sw) == -EACCES ? -EACCES : -EIO;
}

int card_pin_status(uint16_t sw, struct card_pin_info *info)
{
        unsigned tries;

        if (sw == SW_OK) {
                info->verified = true;
        } else if (apdu_sw_tries(sw, &tries)) {
                info->tries_left = (int)tries;
                info->blocked = tries == 0;
        } else if (sw == SW_PIN_BLOCKED) {
                info->tries_left = 0;
                info->blocked = true;
        } else {
                return apdu_sw_errno(sw);
        }
        return 0;
}

int card_verify_pin(struct kagi_card *card, const char *pin, int *tries_left)
{
        int r;

        if (!card || !pin)
                return -EINVAL;
        r = begin(card);
        if (r < 0)
                return r;
        r = card->drv->verify_pin(card, pin, tries_left);
        pcsc_end(card->link);
        return r;
}

static int digest_msg(const void *msg, size_t len, uint8_t digest[32])
{
        unsigned n = 0;

        if ((!msg && len) || len > CARD_MSG_MAX)
                return -EINVAL;
        if (!EVP_Digest(msg, len, digest, &n, EVP_sha256(), NULL) || n != 32)
                return -EIO;
        return 0;
}

/* Signs, after verifying pin unless it is NULL, in one transaction. */
static int sign(struct kagi_card *card, const char *pin, const void *msg, size_t len,
                struct card_signature *ret, int *tries_left)
{
        uint8_t digest[32];
        int r;

        if (!card || !ret)
                return -EINVAL;
        r = digest_msg(msg, len, digest);
        if (r < 0)
                return r;
        r = begin(card);
        if (r < 0)
                return r;
        /* the key type comes from the certificate: know it before the PIN */
        r = load_cert(card);
        if (r == 0 && pin)
                r = card->drv->verify_pin(card, pin, tries_left);
        if (r == 0)
                r = card->drv->sign(card, digest, ret);
        pcsc_end(card->link);
        return r;
}

int card_sign(struct kagi_card *card, const void *msg, size_t len, struct card_signature *ret)
{
        return sign(card, NULL, msg, len, ret, NULL);
}

int card_verify_and_sign(struct kagi_card *card, const char *pin, const void *msg, size_t len,
                         struct card_signature *ret, int *tries_left)
{
        if (!pin)
                return -EINVAL;
        return sign(card, pin, msg, len, ret, tries_left);
}

/* The key type, from the certificate's SubjectPublicKeyInfo alone: decoding
 * the whole certificate with OpenSSL costs more than the rest of a login. */
int card_cert_key(const uint8_t *der, size_t len, enum card_sig_alg *ret_alg, size_t *ret_size)
{
        return der_cert_key(der, len, ret_alg, ret_size);
}

const char *card_sig_alg_name(enum card_sig_alg alg)
{
        switch (alg) {
        case CARD_SIG_RSA_PKCS1_SHA256:
                return "sha256WithRSAEncryption";
        case CARD_SIG_ECDSA_SHA256:
                return "ecdsa-with-SHA256";
        default:
                return "unknown";
        }
}

const char *card_strerror(int err)
{
        switch (err) {
        case 0:
                return "success";
        case -EHOSTDOWN:
                return "the smart card service (pcscd) is not running";
        case -ENXIO:
                return "no smart card reader found";
        case -ETIMEDOUT:
                return "no card was inserted in time";
        case -ENODEV:
                return "the card was removed";
        case -ECANCELED:
                return "the card was reset by another program";
        case -EBUSY:
                return "the card is in use by another program";
        case -EMEDIUMTYPE:
                return "the card has no PIV or My Number (JPKI) application";
        case -ENOENT:
                return "the card holds no authentication certificate";
        case -EACCES:
                return "wrong PIN";
        case -EPERM:
                return "the PIN is blocked";
        case -EINVAL:
                return "invalid argument or PIN format";
        case -EOPNOTSUPP:
                return "the card's key or certificate format is not supported";
        case -EBADMSG:
                return "the card sent a malformed answer";
        case -ENOMEM:
                return "out of memory";
        default:
                return "card or reader failure";
        }
}
