/* JPKI driver (My Number Card, the user-authentication side of the JPKI
 * application): certificate EF 000A, 4-digit PIN EF 0018, key EF 0017. The
 * card pads the SHA-256 DigestInfo itself (COMPUTE DIGITAL SIGNATURE,
 * 80 2A 00 80); certificate length comes from its DER header. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "card_internal.h"
#include "common.h"

static const uint8_t jpki_aid[] = { 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01 };

#define INS_SELECT 0xA4
#define INS_VERIFY 0x20
#define INS_READ_BINARY 0xB0
#define INS_COMPUTE_SIGNATURE 0x2A
#define EF_AUTH_CERT 0x000A
#define EF_AUTH_KEY 0x0017
#define EF_AUTH_PIN 0x0018
#define JPKI_PIN_LEN 4
#define READ_BINARY_OFFSET_MAX 0x7FFF   /* 15-bit offset in P1-P2 */

static int jpki_select(struct kagi_card *card)
{
        struct apdu cmd = {
                .cla = 0x00, .ins = INS_SELECT, .p1 = 0x04, .p2 = 0x0C,
                .data = jpki_aid, .len = sizeof(jpki_aid),
        };
        int r = card_apdu(card, &cmd);

        if (r < 0)
                return r;
        return card->rsp->sw == SW_OK ? 0 : -EMEDIUMTYPE;
}

static int select_ef(struct kagi_card *card, uint16_t ef)
{
        const uint8_t id[2] = { (uint8_t)(ef >> 8), (uint8_t)ef };
        struct apdu cmd = {
                .cla = 0x00, .ins = INS_SELECT, .p1 = 0x02, .p2 = 0x0C,
                .data = id, .len = sizeof(id),
        };
        int r = card_apdu(card, &cmd);

        if (r < 0)
                return r;
        return apdu_sw_errno(card->rsp->sw);
}

/* READ BINARY of exactly n bytes at offset (the card may answer in parts). */
static int read_binary(struct kagi_card *card, size_t offset, uint8_t *out, size_t n)
{
        while (n > 0) {
                struct apdu cmd = {
                        .cla = 0x00, .ins = INS_READ_BINARY,
                        .p1 = (uint8_t)(offset >> 8), .p2 = (uint8_t)offset,
                        .le = n > 256 ? 256 : (unsigned)n,
                };
                int r;

                if (offset > READ_BINARY_OFFSET_MAX)
                        return -EFBIG;
                r = card_apdu(card, &cmd);
                if (r < 0)
                        return r;
                /* 6282: end of file before Le bytes; what came must be enough */
                if (card->rsp->sw != SW_OK && card->rsp->sw != 0x6282)
                        return apdu_sw_errno(card->rsp->sw);
                if (card->rsp->len == 0 || card->rsp->len > cmd.le)
                        return -EBADMSG;
                memcpy(out, card->rsp->data, card->rsp->len);
                out += card->rsp->len;
                offset += card->rsp->len;
                n -= card->rsp->len;
        }
        return 0;
}

static int jpki_read_cert(struct kagi_card *card, uint8_t **ret_der, size_t *ret_len)
{
        _cleanup_(freep) uint8_t *der = NULL;
        uint8_t head[4];
        size_t total;
        int r;

        r = select_ef(card, EF_AUTH_CERT);
        if (r < 0)
                return r;
        /* the DER header says how long the file's certificate is */
        r = read_binary(card, 0, head, sizeof(head));
        if (r < 0)
                return r;
        r = der_total_length(head, sizeof(head), &total);
        if (r < 0)
                return r == -EFBIG ? r : -EBADMSG;
        if (total < sizeof(head))
                return -EBADMSG;
        der = malloc(total);
        if (!der)
                return -ENOMEM;
        memcpy(der, head, sizeof(head));
        r = read_binary(card, sizeof(head), der + sizeof(head), total - sizeof(head));
        if (r < 0)
                return r;
        *ret_der = der;
        *ret_len = total;
        der = NULL;
        return 0;
}

static int jpki_pin_info(struct kagi_card *card, struct card_pin_info *ret)
{
        struct apdu cmd = { .cla = 0x00, .ins = INS_VERIFY, .p1 = 0x00, .p2 = 0x80 };
        struct card_pin_info info = { .tries_left = -1, .min_len = JPKI_PIN_LEN, .max_len = JPKI_PIN_LEN };
        int r;

        r = select_ef(card, EF_AUTH_PIN);
        if (r < 0)
                return r;
        /* VERIFY without data reports the tries left and spends none */
        r = card_apdu(card, &cmd);
        if (r < 0)
                return r;
        r = card_pin_status(card->rsp->sw, &info);
        if (r < 0)
                return r;
        *ret = info;
        return 0;
}

static int jpki_verify_pin(struct kagi_card *card, const char *pin, int *tries_left)
{
        uint8_t digits[JPKI_PIN_LEN];
        struct apdu cmd = {
                .cla = 0x00, .ins = INS_VERIFY, .p1 = 0x00, .p2 = 0x80,
                .data = digits, .len = sizeof(digits),
        };
        int r;

        r = jpki_pin_check(pin);
        if (r < 0)
                return r;
        r = select_ef(card, EF_AUTH_PIN);
        if (r < 0)
                return r;
        memcpy(digits, pin, sizeof(digits));
        r = card_apdu(card, &cmd);
        secret_wipe(digits, sizeof(digits));
        if (r < 0)
                return r;
        return card_pin_result(card->rsp->sw, tries_left);
}

static int jpki_sign(struct kagi_card *card, const uint8_t digest[32], struct card_signature *ret)
{
        uint8_t info[SHA256_DIGEST_INFO_LEN];
        struct apdu cmd = {
                .cla = 0x80, .ins = INS_COMPUTE_SIGNATURE, .p1 = 0x00, .p2 = 0x80,
                .data = info, .len = sizeof(info), .le = 256,
        };
        enum card_sig_alg alg;
        size_t size;
        int r;

        r = card_cert_key(card->cert, card->cert_len, &alg, &size);
        if (r < 0)
                return r;
        if (alg != CARD_SIG_RSA_PKCS1_SHA256)
                return -EOPNOTSUPP;
        r = select_ef(card, EF_AUTH_KEY);
        if (r < 0)
                return r;
        sha256_digest_info(digest, info);
        r = card_apdu(card, &cmd);
        if (r < 0)
                return r;
        if (card->rsp->sw != SW_OK)
                return apdu_sw_errno(card->rsp->sw);
        if (card->rsp->len != size)
                return -EBADMSG;
        ret->alg = alg;
        ret->len = size;
        memcpy(ret->data, card->rsp->data, size);
        return 0;
}

const struct card_driver jpki_driver = {
        .app = CARD_APP_JPKI,
        .select = jpki_select,
        .read_cert = jpki_read_cert,
        .pin_info = jpki_pin_info,
        .verify_pin = jpki_verify_pin,
        .sign = jpki_sign,
};
