/* What is inside card answers and the commands built for them: BER-TLV
 * (ISO 7816-4 5.2), DER lengths, PIV objects and templates (SP 800-73-4),
 * ECDSA signature shape, PIN encodings, PKCS#1 v1.5 blocks. Pure; every
 * length read from the card is checked against the bytes really there. */
#include <errno.h>
#include <string.h>

#include "apdu.h"

#define TAG_PIV_OBJECT 0x53
#define TAG_PIV_CERT 0x70
#define TAG_PIV_CERTINFO 0x71
#define TAG_PIV_GA_TEMPLATE 0x7C
#define TAG_PIV_GA_RESPONSE 0x82
#define TAG_PIV_GA_CHALLENGE 0x81
#define CERTINFO_COMPRESSED 0x01

#define DER_SEQUENCE 0x30
#define DER_INTEGER 0x02

int tlv_parse(const uint8_t *p, size_t n, struct tlv *ret, size_t *ret_size)
{
        uint32_t tag;
        size_t i = 1, len;

        if (n < 2)
                return -EBADMSG;
        tag = p[0];
        if ((p[0] & 0x1F) == 0x1F) {
                /* subsequent tag bytes while bit 8 is set; at most 3 in all */
                for (;;) {
                        uint8_t b;

                        if (i >= n || i >= 3)
                                return -EBADMSG;
                        b = p[i++];
                        tag = tag << 8 | b;
                        if (!(b & 0x80))
                                break;
                }
        }
        if (i >= n)
                return -EBADMSG;
        len = p[i++];
        if (len == 0x81) {
                if (n - i < 1)
                        return -EBADMSG;
                len = p[i++];
        } else if (len == 0x82) {
                if (n - i < 2)
                        return -EBADMSG;
                len = (size_t)p[i] << 8 | p[i + 1];
                i += 2;
        } else if (len >= 0x80) {
                return -EBADMSG;          /* indefinite, or longer than anything a card sends us */
        }
        if (len > n - i)
                return -EBADMSG;
        ret->tag = tag;
        ret->value = p + i;
        ret->len = len;
        *ret_size = i + len;
        return 0;
}

int tlv_find(const uint8_t *p, size_t n, uint32_t tag, struct tlv *ret)
{
        struct tlv t, found = { 0 };
        bool have = false;
        size_t used;

        while (n > 0) {
                int r = tlv_parse(p, n, &t, &used);

                if (r < 0)
                        return r;
                if (!have && t.tag == tag) {
                        found = t;
                        have = true;
                }
                p += used;
                n -= used;
        }
        if (!have)
                return -ENOENT;
        *ret = found;
        return 0;
}

size_t tlv_put_header(uint8_t *out, size_t size, uint32_t tag, size_t len)
{
        uint8_t h[6];
        size_t n = 0;

        if (tag > 0xFFFF)
                h[n++] = (uint8_t)(tag >> 16);
        if (tag > 0xFF)
                h[n++] = (uint8_t)(tag >> 8);
        h[n++] = (uint8_t)tag;
        if (len < 0x80) {
                h[n++] = (uint8_t)len;
        } else if (len <= 0xFF) {
                h[n++] = 0x81;
                h[n++] = (uint8_t)len;
        } else if (len <= 0xFFFF) {
                h[n++] = 0x82;
                h[n++] = (uint8_t)(len >> 8);
                h[n++] = (uint8_t)len;
        } else {
                return 0;
        }
        if (n > size)
                return 0;
        memcpy(out, h, n);
        return n;
}

/* A DER length (minimal form) at p[1..]; *ret_hdr is tag + length bytes. */
static int der_header(const uint8_t *p, size_t n, size_t *ret_hdr, size_t *ret_len)
{
        if (n < 2)
                return -ENODATA;
        if (p[1] < 0x80) {
                *ret_hdr = 2;
                *ret_len = p[1];
        } else if (p[1] == 0x81) {
                if (n < 3)
                        return -ENODATA;
                if (p[2] < 0x80)
                        return -EBADMSG;
                *ret_hdr = 3;
                *ret_len = p[2];
        } else if (p[1] == 0x82) {
                if (n < 4)
                        return -ENODATA;
                if (p[2] == 0)
                        return -EBADMSG;
                *ret_hdr = 4;
                *ret_len = (size_t)p[2] << 8 | p[3];
        } else if (p[1] == 0x83 || p[1] == 0x84) {
                return -EFBIG;
        } else {
                return -EBADMSG;
        }
        return 0;
}

int der_total_length(const uint8_t *p, size_t n, size_t *ret_total)
{
        size_t hdr, len;
        int r;

        if (n >= 1 && p[0] != DER_SEQUENCE)
                return -EBADMSG;
        r = der_header(p, n, &hdr, &len);
        if (r < 0)
                return r;
        if (hdr + len > CARD_CERT_MAX)
                return -EFBIG;
        *ret_total = hdr + len;
        return 0;
}

/* One DER element at p: its tag, value and the bytes it takes. */
static int der_next(const uint8_t *p, size_t n, uint8_t *ret_tag, const uint8_t **ret_value, size_t *ret_len,
                    size_t *ret_used)
{
        size_t hdr, len;
        int r = der_header(p, n, &hdr, &len);

        if (r < 0)
                return r == -ENODATA ? -EBADMSG : r;
        if (len > n - hdr)
                return -EBADMSG;
        *ret_tag = p[0];
        *ret_value = p + hdr;
        *ret_len = len;
        *ret_used = hdr + len;
        return 0;
}

/* Steps into (enter) or over (skip) the element at *p, which must have tag. */
static int der_step(const uint8_t **p, size_t *n, uint8_t tag, bool enter)
{
        const uint8_t *v;
        size_t len, used;
        uint8_t t;
        int r = der_next(*p, *n, &t, &v, &len, &used);

        if (r < 0)
                return r;
        if (t != tag)
                return -EBADMSG;
        if (enter) {
                *p = v;
                *n = len;
        } else {
                *p += used;
                *n -= used;
        }
        return 0;
}

int der_cert_key(const uint8_t *der, size_t n, enum card_sig_alg *ret_alg, size_t *ret_size)
{
        static const uint8_t rsa[] = { 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01 };
        static const uint8_t ec[] = { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01 };
        static const uint8_t p256[] = { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07 };
        const uint8_t *p = der, *oid, *param, *bits;
        size_t oid_len, param_len, bits_len, used;
        uint8_t tag, param_tag;
        int r;

        /* Certificate { tbsCertificate { [0] version?, serial, signature,
         * issuer, validity, subject, subjectPublicKeyInfo, … }, … } */
        r = der_step(&p, &n, DER_SEQUENCE, true);
        if (r >= 0)
                r = der_step(&p, &n, DER_SEQUENCE, true);
        if (r >= 0 && n > 0 && p[0] == 0xA0)
                r = der_step(&p, &n, 0xA0, false);
        if (r >= 0)
                r = der_step(&p, &n, 0x02, false);
        for (int i = 0; r >= 0 && i < 4; i++)
                r = der_step(&p, &n, DER_SEQUENCE, false);
        /* subjectPublicKeyInfo { algorithm { OID, parameters }, BIT STRING } */
        if (r >= 0)
                r = der_step(&p, &n, DER_SEQUENCE, true);
        if (r < 0)
                return -EBADMSG;
        {
                const uint8_t *alg = p;
                size_t alg_n = n;

                if (der_step(&alg, &alg_n, DER_SEQUENCE, true) < 0 ||
                    der_next(alg, alg_n, &tag, &oid, &oid_len, &used) < 0 || tag != 0x06)
                        return -EBADMSG;
                alg += used;
                alg_n -= used;
                if (der_next(alg, alg_n, &param_tag, &param, &param_len, &used) < 0)
                        return -EBADMSG;
                if (der_step(&p, &n, DER_SEQUENCE, false) < 0 ||
                    der_next(p, n, &tag, &bits, &bits_len, &used) < 0 || tag != 0x03 || bits_len < 1 || bits[0] != 0)
                        return -EBADMSG;
        }
        if (oid_len == sizeof(ec) && memcmp(oid, ec, sizeof(ec)) == 0) {
                if (param_tag != 0x06 || param_len != sizeof(p256) || memcmp(param, p256, sizeof(p256)) != 0)
                        return -EOPNOTSUPP;
                *ret_alg = CARD_SIG_ECDSA_SHA256;
                *ret_size = 32;
                return 0;
        }
        if (oid_len == sizeof(rsa) && memcmp(oid, rsa, sizeof(rsa)) == 0) {
                /* RSAPublicKey { INTEGER modulus, INTEGER exponent } */
                const uint8_t *k = bits + 1, *mod;
                size_t k_n = bits_len - 1, mod_len;

                if (der_step(&k, &k_n, DER_SEQUENCE, true) < 0 ||
                    der_next(k, k_n, &tag, &mod, &mod_len, &used) < 0 || tag != 0x02)
                        return -EBADMSG;
                if (mod_len > 0 && mod[0] == 0) {
                        mod++;
                        mod_len--;
                }
                if (mod_len != 256 || !(mod[0] & 0x80))
                        return -EOPNOTSUPP;
                *ret_alg = CARD_SIG_RSA_PKCS1_SHA256;
                *ret_size = 256;
                return 0;
        }
        return -EOPNOTSUPP;
}

int piv_cert_object_parse(const uint8_t *p, size_t n, const uint8_t **ret_cert, size_t *ret_len)
{
        struct tlv obj, cert, info;
        size_t used, total;
        int r;

        r = tlv_parse(p, n, &obj, &used);
        if (r < 0)
                return r;
        if (obj.tag != TAG_PIV_OBJECT || used != n)
                return -EBADMSG;
        if (obj.len == 0)
                return -ENOENT;
        r = tlv_find(obj.value, obj.len, TAG_PIV_CERT, &cert);
        if (r < 0)
                return -EBADMSG;
        r = tlv_find(obj.value, obj.len, TAG_PIV_CERTINFO, &info);
        if (r == 0) {
                if (info.len > 1)
                        return -EBADMSG;
                if (info.len == 1 && (info.value[0] & CERTINFO_COMPRESSED))
                        return -EOPNOTSUPP;
        }
        if (cert.len == 0)
                return -ENOENT;
        r = der_total_length(cert.value, cert.len, &total);
        if (r < 0)
                return r == -ENODATA ? -EBADMSG : r;
        if (total != cert.len)
                return -EBADMSG;
        *ret_cert = cert.value;
        *ret_len = cert.len;
        return 0;
}

int piv_ga_build(const uint8_t *challenge, size_t n, uint8_t *out, size_t size, size_t *ret_len)
{
        uint8_t inner_hdr[8];
        size_t ih, oh, inner;

        if (n == 0 || !challenge)
                return -EINVAL;
        /* 82 00 asks the card for the response; 81 carries the challenge */
        ih = tlv_put_header(inner_hdr, sizeof(inner_hdr), TAG_PIV_GA_CHALLENGE, n);
        if (ih == 0)
                return -EINVAL;
        inner = 2 + ih + n;
        oh = tlv_put_header(out, size, TAG_PIV_GA_TEMPLATE, inner);
        if (oh == 0 || size - oh < inner)
                return -ENOBUFS;
        out[oh] = TAG_PIV_GA_RESPONSE;
        out[oh + 1] = 0x00;
        memcpy(out + oh + 2, inner_hdr, ih);
        memcpy(out + oh + 2 + ih, challenge, n);
        *ret_len = oh + inner;
        return 0;
}

int piv_ga_response_parse(const uint8_t *p, size_t n, const uint8_t **ret_sig, size_t *ret_len)
{
        struct tlv tmpl, sig;
        size_t used;
        int r;

        r = tlv_parse(p, n, &tmpl, &used);
        if (r < 0)
                return r;
        if (tmpl.tag != TAG_PIV_GA_TEMPLATE || used != n)
                return -EBADMSG;
        r = tlv_find(tmpl.value, tmpl.len, TAG_PIV_GA_RESPONSE, &sig);
        if (r < 0 || sig.len == 0)
                return -EBADMSG;
        *ret_sig = sig.value;
        *ret_len = sig.len;
        return 0;
}

/* One positive, minimally encoded INTEGER of at most field_len bytes. */
static int der_positive_integer(const uint8_t *p, size_t n, size_t field_len, size_t *ret_used)
{
        size_t hdr, len, magnitude;
        int r;

        if (n < 1 || p[0] != DER_INTEGER)
                return -EBADMSG;
        r = der_header(p, n, &hdr, &len);
        if (r < 0 || len == 0 || len > n - hdr)
                return -EBADMSG;
        magnitude = len;
        if (p[hdr] & 0x80)
                return -EBADMSG;          /* negative */
        if (p[hdr] == 0x00) {
                if (len == 1 || !(p[hdr + 1] & 0x80))
                        return -EBADMSG;  /* zero, or not minimal */
                magnitude--;
        }
        if (magnitude > field_len)
                return -EBADMSG;
        *ret_used = hdr + len;
        return 0;
}

int der_ecdsa_sig_check(const uint8_t *p, size_t n, size_t field_len)
{
        size_t hdr, len, used_r, used_s;
        int r;

        if (n < 1 || p[0] != DER_SEQUENCE)
                return -EBADMSG;
        r = der_header(p, n, &hdr, &len);
        if (r < 0 || hdr + len != n)
                return -EBADMSG;
        p += hdr;
        if (der_positive_integer(p, len, field_len, &used_r) < 0 ||
            der_positive_integer(p + used_r, len - used_r, field_len, &used_s) < 0 ||
            used_r + used_s != len)
                return -EBADMSG;
        return 0;
}

static bool all_digits(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;
        return true;
}

int piv_pin_encode(const char *pin, uint8_t out[8])
{
        size_t n = pin ? strnlen(pin, 9) : 0;

        if (n < 6 || n > 8 || !all_digits(pin, n))
                return -EINVAL;
        memset(out, 0xFF, 8);
        memcpy(out, pin, n);
        return 0;
}

int jpki_pin_check(const char *pin)
{
        return pin && strnlen(pin, 5) == 4 && all_digits(pin, 4) ? 0 : -EINVAL;
}

void sha256_digest_info(const uint8_t digest[32], uint8_t out[SHA256_DIGEST_INFO_LEN])
{
        static const uint8_t prefix[19] = {
                0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
        };

        memcpy(out, prefix, sizeof(prefix));
        memcpy(out + sizeof(prefix), digest, 32);
}

int pkcs1_sha256_block(const uint8_t digest[32], size_t modlen, uint8_t *out)
{
        /* RFC 8017 9.2: at least 8 bytes of FF */
        if (modlen < SHA256_DIGEST_INFO_LEN + 11)
                return -EINVAL;
        out[0] = 0x00;
        out[1] = 0x01;
        memset(out + 2, 0xFF, modlen - SHA256_DIGEST_INFO_LEN - 3);
        out[modlen - SHA256_DIGEST_INFO_LEN - 1] = 0x00;
        sha256_digest_info(digest, out + modlen - SHA256_DIGEST_INFO_LEN);
        return 0;
}
