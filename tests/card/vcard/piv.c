/* The PIV application (NIST SP 800-73-4 part 2) of the virtual card:
 * SELECT, GET DATA for the discovery object, CHUID and the PIV
 * Authentication certificate, VERIFY of the PIV PIN (reference 80) and
 * GENERAL AUTHENTICATE with key 9A (RSA-2048 alg 07, ECC P-256 alg 11). */
#include <string.h>

#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "vcard.h"

static const uint8_t piv_aid[] = { 0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00 };

#define INS_VERIFY 0x20
#define INS_GENERAL_AUTHENTICATE 0x87
#define INS_GET_DATA 0xCB
#define PIV_KEY_AUTH 0x9A
#define PIV_PIN_REF 0x80

bool vc_piv_select(struct vcard *vc, const struct vc_cmd *c, struct vc_resp *r)
{
        /* the application property template (SP 800-73-4 part 2, 3.1.1) */
        static const uint8_t pix[] = { 0x00, 0x00, 0x10, 0x00, 0x01, 0x00 };
        static const uint8_t authority[] = { 0x4F, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08 };
        static const char label[] = "kagi virtual PIV";
        struct vc_resp apt = { .sw = SW_OK };
        uint8_t algs[] = { 0x80, 0x01, 0x00, 0x06, 0x01, 0x00 };

        if (!vc->piv.pkey || c->lc < 5 || c->lc > sizeof(piv_aid) || memcmp(c->data, piv_aid, c->lc) != 0)
                return false;
        if (vc->selected != VC_APP_PIV)
                vc_session_reset(vc);
        vc->selected = VC_APP_PIV;

        algs[2] = vc_piv_alg(vc->piv.pkey);
        vc_resp_tlv(&apt, 0x4F, pix, sizeof(pix));
        vc_resp_tlv(&apt, 0x79, authority, sizeof(authority));
        vc_resp_tlv(&apt, 0x50, label, strlen(label));
        vc_resp_tlv(&apt, 0xAC, algs, sizeof(algs));
        vc_resp_tlv(r, 0x61, apt.data, apt.len);
        return true;
}

/* CHUID (SP 800-73-4 part 1, 3.1.2) with a GUID derived from the
 * certificate, so two virtual cards differ as real ones do. */
static void chuid(const struct vcard *vc, struct vc_resp *out)
{
        static const uint8_t fascn[25] = {
                0xD4, 0xE7, 0x39, 0xDA, 0x73, 0x9C, 0xED, 0x39, 0xCE, 0x73, 0x9D, 0x83, 0x68,
                0x58, 0x21, 0x08, 0x42, 0x10, 0x84, 0x21, 0xC8, 0x42, 0x10, 0xC3, 0xEB,
        };
        uint8_t hash[SHA256_DIGEST_LENGTH];

        SHA256(vc->piv.cert, vc->piv.cert_len, hash);
        vc_resp_tlv(out, 0x30, fascn, sizeof(fascn));
        vc_resp_tlv(out, 0x34, hash, 16);
        vc_resp_tlv(out, 0x35, "20391231", 8);
        vc_resp_tlv(out, 0x3E, NULL, 0);
        vc_resp_tlv(out, 0xFE, NULL, 0);
}

static void get_data(struct vcard *vc, const struct vc_cmd *c, struct vc_resp *r)
{
        static const uint8_t discovery_tag[] = { 0x5C, 0x01, 0x7E };
        static const uint8_t chuid_tag[] = { 0x5C, 0x03, 0x5F, 0xC1, 0x02 };
        static const uint8_t cert_tag[] = { 0x5C, 0x03, 0x5F, 0xC1, 0x05 };
        static struct vc_resp obj;

        if (c->p1 != 0x3F || c->p2 != 0xFF) {
                r->sw = SW_WRONG_P1P2;
                return;
        }
        memset(&obj, 0, sizeof(obj));
        if (c->lc == sizeof(discovery_tag) && memcmp(c->data, discovery_tag, c->lc) == 0) {
                static const uint8_t policy[] = { 0x40, 0x00 }; /* PIV PIN only */

                vc_resp_tlv(&obj, 0x4F, piv_aid, sizeof(piv_aid));
                vc_resp_tlv(&obj, 0x5F2F, policy, sizeof(policy));
                vc_resp_tlv(r, 0x7E, obj.data, obj.len);
        } else if (c->lc == sizeof(chuid_tag) && memcmp(c->data, chuid_tag, c->lc) == 0) {
                chuid(vc, &obj);
                vc_resp_tlv(r, 0x53, obj.data, obj.len);
        } else if (c->lc == sizeof(cert_tag) && memcmp(c->data, cert_tag, c->lc) == 0) {
                static const uint8_t uncompressed = 0x00;

                vc_resp_tlv(&obj, 0x70, vc->piv.cert, vc->piv.cert_len);
                vc_resp_tlv(&obj, 0x71, &uncompressed, 1);
                vc_resp_tlv(&obj, 0xFE, NULL, 0);
                vc_resp_tlv(r, 0x53, obj.data, obj.len);
        } else {
                r->sw = SW_NOT_FOUND;
        }
}

static void verify(struct vcard *vc, const struct vc_cmd *c, struct vc_resp *r)
{
        size_t n;

        if (c->p2 != PIV_PIN_REF) {
                r->sw = SW_REF_NOT_FOUND;
                return;
        }
        if (c->p1 == 0xFF) {
                /* reset the security status */
                vc->piv_pin.verified = false;
                r->sw = c->lc == 0 ? SW_OK : SW_WRONG_DATA;
                return;
        }
        if (c->p1 != 0x00) {
                r->sw = SW_WRONG_P1P2;
                return;
        }
        if (c->lc == 0) {
                r->sw = vc->piv_pin.verified && vc->piv_pin.tries ? SW_OK : vc_pin_status(&vc->piv_pin);
                return;
        }
        if (c->lc != 8) {
                r->sw = SW_WRONG_DATA;
                return;
        }
        /* the PIN is padded with FF to 8 bytes */
        for (n = 0; n < 8 && c->data[n] != 0xFF; n++)
                ;
        for (size_t i = n; i < 8; i++)
                if (c->data[i] != 0xFF)
                        n = 8;
        r->sw = vc_pin_verify(vc, &vc->piv_pin, c->data, n);
}

static void general_authenticate(struct vcard *vc, const struct vc_cmd *c, struct vc_resp *r)
{
        const uint8_t *tmpl, *challenge, *empty;
        size_t tmpl_len, challenge_len, empty_len, sig_len;
        uint8_t sig[512];
        struct vc_resp inner = { .sw = SW_OK };
        uint8_t alg = vc_piv_alg(vc->piv.pkey);

        if (c->p2 != PIV_KEY_AUTH) {
                r->sw = SW_REF_NOT_FOUND;
                return;
        }
        if (c->p1 != alg) {
                r->sw = SW_WRONG_P1P2;
                return;
        }
        if (!vc->piv_pin.verified) {
                r->sw = SW_SECURITY_STATUS;
                return;
        }
        if (!vc_tlv_find(c->data, c->lc, 0x7C, &tmpl, &tmpl_len) ||
            !vc_tlv_find(tmpl, tmpl_len, 0x82, &empty, &empty_len) || empty_len != 0 ||
            !vc_tlv_find(tmpl, tmpl_len, 0x81, &challenge, &challenge_len)) {
                r->sw = SW_WRONG_DATA;
                return;
        }
        /* RSA: the host sends the padded block, the card does the raw
         * private-key operation; ECC: the card signs the hash it is given */
        if ((alg == 0x07 && challenge_len != 256) || (alg == 0x11 && (challenge_len == 0 || challenge_len > 64))) {
                r->sw = SW_WRONG_DATA;
                return;
        }
        sig_len = sizeof(sig);
        if (vc_sign(vc->piv.pkey, RSA_NO_PADDING, challenge, challenge_len, sig, &sig_len) < 0) {
                r->sw = SW_WRONG_DATA;
                return;
        }
        vc_resp_tlv(&inner, 0x82, sig, sig_len);
        vc_resp_tlv(r, 0x7C, inner.data, inner.len);
}

void vc_piv_command(struct vcard *vc, const struct vc_cmd *c, struct vc_resp *r)
{
        if (c->cla & 0x80) {
                r->sw = SW_CLA_UNKNOWN;
                return;
        }
        switch (c->ins) {
        case INS_GET_DATA:
                get_data(vc, c, r);
                return;
        case INS_VERIFY:
                verify(vc, c, r);
                return;
        case INS_GENERAL_AUTHENTICATE:
                general_authenticate(vc, c, r);
                return;
        default:
                r->sw = SW_INS_UNKNOWN;
                return;
        }
}
