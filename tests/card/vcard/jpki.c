/* The JPKI application (My Number Card, user-authentication side) of the
 * virtual card: SELECT of the AP and of its EFs, READ BINARY of the
 * certificates, VERIFY of the 4-digit authentication PIN (EF 0018) and
 * COMPUTE DIGITAL SIGNATURE (80 2A 00 80) with the authentication key
 * (EF 0017) over a DigestInfo, PKCS#1 v1.5 padded by the card. */
#include <string.h>

#include <openssl/rsa.h>

#include "vcard.h"

static const uint8_t jpki_aid[] = { 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01 };

#define EF_AUTH_CERT 0x000A
#define EF_AUTH_CA_CERT 0x000B
#define EF_AUTH_KEY 0x0017
#define EF_AUTH_PIN 0x0018
#define EF_SIGN_PIN 0x001B

#define INS_VERIFY 0x20
#define INS_COMPUTE_SIGNATURE 0x2A
#define INS_SELECT 0xA4
#define INS_READ_BINARY 0xB0

bool vc_jpki_select(struct vcard *vc, const struct vc_cmd *c, struct vc_resp *r)
{
        (void)r;
        if (!vc->jpki.pkey || c->lc != sizeof(jpki_aid) || memcmp(c->data, jpki_aid, c->lc) != 0)
                return false;
        if (vc->selected != VC_APP_JPKI)
                vc_session_reset(vc);
        vc->selected = VC_APP_JPKI;
        vc->jpki_ef = 0;
        return true;
}

static bool ef_exists(const struct vcard *vc, uint16_t ef)
{
        switch (ef) {
        case EF_AUTH_CERT:
        case EF_AUTH_KEY:
        case EF_AUTH_PIN:
        case EF_SIGN_PIN:
                return true;
        case EF_AUTH_CA_CERT:
                return vc->jpki_ca != NULL;
        default:
                return false;
        }
}

static void select_ef(struct vcard *vc, const struct vc_cmd *c, struct vc_resp *r)
{
        uint16_t ef;

        if (c->p1 != 0x02 || c->lc != 2) {
                r->sw = SW_WRONG_P1P2;
                return;
        }
        ef = (uint16_t)(c->data[0] << 8 | c->data[1]);
        if (!ef_exists(vc, ef)) {
                r->sw = SW_NOT_FOUND;
                return;
        }
        vc->jpki_ef = ef;
}

static void read_binary(struct vcard *vc, const struct vc_cmd *c, struct vc_resp *r)
{
        const uint8_t *file;
        size_t size, offset, n;

        if (vc->jpki_ef == EF_AUTH_CERT) {
                file = vc->jpki.cert;
                size = vc->jpki.cert_len;
        } else if (vc->jpki_ef == EF_AUTH_CA_CERT) {
                file = vc->jpki_ca;
                size = vc->jpki_ca_len;
        } else {
                r->sw = vc->jpki_ef ? SW_INCOMPATIBLE_FILE : SW_NO_CURRENT_EF;
                return;
        }
        if (c->p1 & 0x80) {
                r->sw = SW_WRONG_P1P2;      /* short EF identifiers are not offered */
                return;
        }
        offset = (size_t)c->p1 << 8 | c->p2;
        if (offset >= size || !c->has_le) {
                r->sw = offset >= size ? SW_WRONG_OFFSET : SW_WRONG_LENGTH;
                return;
        }
        n = size - offset;
        if (n > c->ne)
                n = c->ne;
        vc_resp_put(r, file + offset, n);
        if (n < c->ne && !c->extended && c->ne != 256)
                r->sw = SW_EOF_WARNING;
}

/* The PIN of the current EF: the authentication PIN, or the signature
 * PIN, which a real card also has (hosts such as OpenSC query it) though
 * nothing here is protected by it. */
static void verify(struct vcard *vc, const struct vc_cmd *c, struct vc_resp *r)
{
        struct vc_pin *pin;

        if (c->p1 != 0x00 || c->p2 != 0x80) {
                r->sw = SW_WRONG_P1P2;
                return;
        }
        if (vc->jpki_ef == EF_AUTH_PIN)
                pin = &vc->jpki_pin;
        else if (vc->jpki_ef == EF_SIGN_PIN)
                pin = &vc->jpki_sign_pin;
        else {
                r->sw = SW_REF_NOT_FOUND;
                return;
        }
        /* without data the card reports the tries left and spends none */
        if (c->lc == 0) {
                r->sw = vc_pin_status(pin);
                return;
        }
        r->sw = vc_pin_verify(vc, pin, c->data, c->lc);
}

static void compute_signature(struct vcard *vc, const struct vc_cmd *c, struct vc_resp *r)
{
        uint8_t sig[512];
        size_t sig_len = sizeof(sig);

        if (c->p1 != 0x00 || c->p2 != 0x80) {
                r->sw = SW_WRONG_P1P2;
                return;
        }
        if (vc->jpki_ef != EF_AUTH_KEY) {
                r->sw = SW_CONDITIONS;
                return;
        }
        if (!vc->jpki_pin.verified) {
                r->sw = SW_SECURITY_STATUS;
                return;
        }
        if (c->lc == 0 || vc_sign(vc->jpki.pkey, RSA_PKCS1_PADDING, c->data, c->lc, sig, &sig_len) < 0) {
                r->sw = SW_WRONG_DATA;
                return;
        }
        vc_resp_put(r, sig, sig_len);
}

void vc_jpki_command(struct vcard *vc, const struct vc_cmd *c, struct vc_resp *r)
{
        if (c->ins == INS_COMPUTE_SIGNATURE) {
                if (c->cla != 0x80)
                        r->sw = SW_CLA_UNKNOWN;
                else
                        compute_signature(vc, c, r);
                return;
        }
        if (c->cla != 0x00) {
                r->sw = SW_CLA_UNKNOWN;
                return;
        }
        switch (c->ins) {
        case INS_SELECT:
                select_ef(vc, c, r);
                return;
        case INS_READ_BINARY:
                read_binary(vc, c, r);
                return;
        case INS_VERIFY:
                verify(vc, c, r);
                return;
        default:
                r->sw = SW_INS_UNKNOWN;
                return;
        }
}
