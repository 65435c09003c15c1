/* Pure APDU code of libkagi-card (internal): no PC/SC, no I/O, so the unit
 * tests and the fuzz harness can drive every rule.
 *
 *   apdu.c   command encoding, the exchange rules (command chaining,
 *            GET RESPONSE on 61xx, Le retry on 6Cxx) over a raw transmit
 *            function, status words
 *   codec.c  what is inside answers and commands: BER-TLV, DER lengths,
 *            the PIV certificate object and GENERAL AUTHENTICATE template,
 *            ECDSA signature shape, PIN encodings, PKCS#1 v1.5 blocks
 *
 * Everything from the card is bounded: APDU_RESP_MAX in all, and every
 * inner length is checked against what is really there. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card.h"

#define APDU_SHORT_MAX 255                  /* data bytes in one short command */
#define APDU_DATA_MAX 1024                  /* data bytes of one (chained) command */
#define APDU_CMD_MAX (4 + 1 + APDU_SHORT_MAX + 1)
#define APDU_RAW_MAX (256 + 2)              /* one short answer: data + SW */
#define APDU_RESP_MAX (CARD_CERT_MAX + 64)  /* an assembled answer: a certificate object */
#define APDU_GET_RESPONSE_MAX (APDU_RESP_MAX / 256 + 2)

#define SW_OK 0x9000
#define SW_SECURITY_STATUS 0x6982
#define SW_PIN_BLOCKED 0x6983
#define SW_FILE_NOT_FOUND 0x6A82

struct apdu {
        uint8_t cla, ins, p1, p2;
        const uint8_t *data;
        size_t len;               /* may exceed APDU_SHORT_MAX: sent chained */
        unsigned le;              /* 0: no answer data expected; 1..256 */
};

struct apdu_response {
        uint16_t sw;
        size_t len;
        uint8_t data[APDU_RESP_MAX];
};

/* One command as the card sees it: CLA INS P1 P2 [Lc data] [Le].
 * -EINVAL when len > APDU_SHORT_MAX or le > 256, -ENOBUFS when it does not
 * fit in size. */
int apdu_encode(const struct apdu *a, uint8_t *buf, size_t size, size_t *ret_len);

/* Sends cmd and returns one raw answer (data + SW, at most rsp_size bytes). */
typedef int (*apdu_raw_fn)(void *link, const uint8_t *cmd, size_t cmd_len,
                           uint8_t *rsp, size_t rsp_size, size_t *ret_len);

/* The whole exchange for one command: chained when long, GET RESPONSE
 * while the card says 61xx, resent once with the right Le on 6Cxx. The
 * final status word and all data are in ret (whatever the SW). Errors of
 * raw are passed on; -EBADMSG when the card breaks the rules (an answer
 * shorter than a SW, more than APDU_RESP_MAX, data in a chaining or 6Cxx
 * answer, 6Cxx twice, endless 61xx). Command buffers are wiped. */
int apdu_transceive(apdu_raw_fn raw, void *link, const struct apdu *cmd, struct apdu_response *ret);

/* 9000 -> 0; 6A82/6A88 -> -ENOENT; 6982 -> -EACCES; 6983, 63C0 -> -EPERM;
 * 63C1..63CF -> -EACCES; 6D00/6E00/6A81 -> -EOPNOTSUPP; else -EIO. */
int apdu_sw_errno(uint16_t sw);
/* true and the count for 63Cx. */
bool apdu_sw_tries(uint16_t sw, unsigned *ret_tries);

/* ---- codec.c ------------------------------------------------------------ */

struct tlv {
        uint32_t tag;             /* 1 to 3 bytes, as on the wire (5F C1 05 -> 0x5FC105) */
        const uint8_t *value;
        size_t len;
};

/* One BER-TLV at p: tag of 1-3 bytes, definite length of 1-3 bytes (up to
 * 0xFFFF), value inside n. *ret_size is the bytes used. -EBADMSG otherwise. */
int tlv_parse(const uint8_t *p, size_t n, struct tlv *ret, size_t *ret_size);
/* The first TLV with tag among the TLVs filling p..p+n exactly (-EBADMSG
 * if they do not), or -ENOENT. */
int tlv_find(const uint8_t *p, size_t n, uint32_t tag, struct tlv *ret);
/* Writes a tag and BER length; returns the bytes written, or 0 if size is
 * too small or len > 0xFFFF. */
size_t tlv_put_header(uint8_t *out, size_t size, uint32_t tag, size_t len);

/* Total size of the DER SEQUENCE starting at p (a certificate), from its
 * first bytes. -ENODATA when n is too short to tell (4 bytes always do),
 * -EBADMSG if not a SEQUENCE of definite length, -EFBIG above
 * CARD_CERT_MAX. */
int der_total_length(const uint8_t *p, size_t n, size_t *ret_total);

/* The key a certificate (DER) holds, read from its SubjectPublicKeyInfo
 * without decoding the rest: RSA-2048 or EC P-256, the signature kind and
 * size that go with it. -EOPNOTSUPP for other keys, -EBADMSG if malformed. */
int der_cert_key(const uint8_t *der, size_t n, enum card_sig_alg *ret_alg, size_t *ret_size);

/* PIV data object 53 { 70 cert, 71 certinfo, FE lrc } (SP 800-73-4 part 1,
 * table 10): the certificate inside, which must be one DER SEQUENCE filling
 * tag 70 exactly. -EOPNOTSUPP when certinfo says compressed, -ENOENT when
 * the object is empty, -EBADMSG for anything malformed. */
int piv_cert_object_parse(const uint8_t *p, size_t n, const uint8_t **ret_cert, size_t *ret_len);

/* GENERAL AUTHENTICATE dynamic authentication template for a signature:
 * 7C { 82 00, 81 challenge }. */
int piv_ga_build(const uint8_t *challenge, size_t n, uint8_t *out, size_t size, size_t *ret_len);
/* Its answer 7C { 82 signature }: the signature inside. */
int piv_ga_response_parse(const uint8_t *p, size_t n, const uint8_t **ret_sig, size_t *ret_len);

/* An ECDSA signature as DER: SEQUENCE { INTEGER r, INTEGER s }, exactly n
 * bytes, each integer positive, minimally encoded and at most field_len
 * bytes of magnitude. */
int der_ecdsa_sig_check(const uint8_t *p, size_t n, size_t field_len);

/* PIV PIN: 6 to 8 digits, padded with FF to 8 bytes. -EINVAL otherwise. */
int piv_pin_encode(const char *pin, uint8_t out[8]);
/* JPKI user-authentication PIN: exactly 4 digits. */
int jpki_pin_check(const char *pin);

#define SHA256_DIGEST_INFO_LEN 51
/* DigestInfo { sha256, digest } (RFC 8017 9.2 note 1). */
void sha256_digest_info(const uint8_t digest[32], uint8_t out[SHA256_DIGEST_INFO_LEN]);
/* EMSA-PKCS1-v1_5 block 00 01 FF..FF 00 DigestInfo of modlen bytes.
 * -EINVAL when modlen is too short for it. */
int pkcs1_sha256_block(const uint8_t digest[32], size_t modlen, uint8_t *out);
