/* PIV driver (NIST SP 800-73-4 part 2): the PIV Authentication certificate
 * (object 5FC105), the PIV PIN (reference 80) and the PIV Authentication
 * key 9A, signing with GENERAL AUTHENTICATE: RSA-2048 (algorithm 07, the
 * host builds the PKCS#1 v1.5 block, the card does the raw operation) or
 * ECC P-256 (algorithm 11, the card signs the hash). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "card_internal.h"
#include "common.h"

static const uint8_t piv_aid[] = { 0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00 };

#define INS_SELECT 0xA4
#define INS_VERIFY 0x20
#define INS_GENERAL_AUTHENTICATE 0x87
#define INS_GET_DATA 0xCB
#define PIV_PIN 0x80
#define PIV_KEY_AUTHENTICATION 0x9A
#define PIV_ALG_RSA_2048 0x07
#define PIV_ALG_ECC_P256 0x11

static int piv_select(struct kagi_card *card)
{
        struct apdu cmd = {
                .cla = 0x00, .ins = INS_SELECT, .p1 = 0x04, .p2 = 0x00,
                .data = piv_aid, .len = sizeof(piv_aid), .le = 256,
        };
        int r = card_apdu(card, &cmd);

        if (r < 0)
                return r;
        /* any refusal means: no PIV application here */
        return card->rsp->sw == SW_OK ? 0 : -EMEDIUMTYPE;
}

static int piv_read_cert(struct kagi_card *card, uint8_t **ret_der, size_t *ret_len)
{
        static const uint8_t tag_list[] = { 0x5C, 0x03, 0x5F, 0xC1, 0x05 };
        struct apdu cmd = {
                .cla = 0x00, .ins = INS_GET_DATA, .p1 = 0x3F, .p2 = 0xFF,
                .data = tag_list, .len = sizeof(tag_list), .le = 256,
        };
        const uint8_t *cert;
        size_t len;
        uint8_t *copy;
        int r;

        r = card_apdu(card, &cmd);
        if (r < 0)
                return r;
        if (card->rsp->sw != SW_OK)
                return apdu_sw_errno(card->rsp->sw);
        r = piv_cert_object_parse(card->rsp->data, card->rsp->len, &cert, &len);
        if (r < 0)
                return r;
        copy = malloc(len);
        if (!copy)
                return -ENOMEM;
        memcpy(copy, cert, len);
        *ret_der = copy;
        *ret_len = len;
        return 0;
}

static int piv_pin_info(struct kagi_card *card, struct card_pin_info *ret)
{
        struct apdu cmd = { .cla = 0x00, .ins = INS_VERIFY, .p1 = 0x00, .p2 = PIV_PIN };
        struct card_pin_info info = { .tries_left = -1, .min_len = 6, .max_len = 8 };
        int r;

        /* VERIFY without data: 9000 verified, 63Cx tries left, 6983 blocked */
        r = card_apdu(card, &cmd);
        if (r < 0)
                return r;
        /* other answers: an older card that cannot tell without a try */
        (void)card_pin_status(card->rsp->sw, &info);
        *ret = info;
        return 0;
}

static int piv_verify_pin(struct kagi_card *card, const char *pin, int *tries_left)
{
        uint8_t block[8];
        struct apdu cmd = {
                .cla = 0x00, .ins = INS_VERIFY, .p1 = 0x00, .p2 = PIV_PIN,
                .data = block, .len = sizeof(block),
        };
        int r;

        r = piv_pin_encode(pin, block);
        if (r < 0)
                return r;
        r = card_apdu(card, &cmd);
        secret_wipe(block, sizeof(block));
        if (r < 0)
                return r;
        return card_pin_result(card->rsp->sw, tries_left);
}

static int piv_sign(struct kagi_card *card, const uint8_t digest[32], struct card_signature *ret)
{
        uint8_t challenge[256], tmpl[300];
        struct apdu cmd = {
                .cla = 0x00, .ins = INS_GENERAL_AUTHENTICATE, .p2 = PIV_KEY_AUTHENTICATION,
                .data = tmpl, .le = 256,
        };
        enum card_sig_alg alg;
        const uint8_t *sig;
        size_t size, n, sig_len;
        int r;

        r = card_cert_key(card->cert, card->cert_len, &alg, &size);
        if (r < 0)
                return r;
        if (alg == CARD_SIG_RSA_PKCS1_SHA256) {
                cmd.p1 = PIV_ALG_RSA_2048;
                r = pkcs1_sha256_block(digest, size, challenge);
                n = size;
        } else {
                cmd.p1 = PIV_ALG_ECC_P256;
                memcpy(challenge, digest, 32);
                n = 32;
        }
        if (r == 0)
                r = piv_ga_build(challenge, n, tmpl, sizeof(tmpl), &cmd.len);
        if (r < 0)
                return r;
        r = card_apdu(card, &cmd);
        if (r < 0)
                return r;
        if (card->rsp->sw != SW_OK)
                return apdu_sw_errno(card->rsp->sw);
        r = piv_ga_response_parse(card->rsp->data, card->rsp->len, &sig, &sig_len);
        if (r < 0)
                return r;
        if (sig_len > CARD_SIG_MAX ||
            (alg == CARD_SIG_RSA_PKCS1_SHA256 ? sig_len != size : der_ecdsa_sig_check(sig, sig_len, size) < 0))
                return -EBADMSG;
        ret->alg = alg;
        ret->len = sig_len;
        memcpy(ret->data, sig, sig_len);
        return 0;
}

const struct card_driver piv_driver = {
        .app = CARD_APP_PIV,
        .select = piv_select,
        .read_cert = piv_read_cert,
        .pin_info = piv_pin_info,
        .verify_pin = piv_verify_pin,
        .sign = piv_sign,
};
