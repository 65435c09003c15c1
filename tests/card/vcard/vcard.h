/* kagi-vcard: a virtual IC card for the tests, speaking the vsmartcard vpcd
 * protocol to pcscd. It implements the PIV (SP 800-73-4) and JPKI (My Number
 * user-authentication) applications as real APDUs with real keys, and is
 * written independently of libkagi-card: it is the reference the library is
 * tested against, so it shares no code with it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define VC_DATA_MAX 4096          /* longest command we accept (after chaining) */
#define VC_RESP_MAX 8192          /* longest response we hold for GET RESPONSE */

#define SW_OK 0x9000
#define SW_EOF_WARNING 0x6282
#define SW_WRONG_LENGTH 0x6700
#define SW_CLA_FUNCTION 0x6884    /* chaining not as expected */
#define SW_INCOMPATIBLE_FILE 0x6981
#define SW_SECURITY_STATUS 0x6982
#define SW_PIN_BLOCKED 0x6983
#define SW_CONDITIONS 0x6985
#define SW_NO_CURRENT_EF 0x6986
#define SW_WRONG_DATA 0x6A80
#define SW_NOT_FOUND 0x6A82
#define SW_WRONG_P1P2 0x6A86
#define SW_REF_NOT_FOUND 0x6A88
#define SW_WRONG_OFFSET 0x6B00
#define SW_INS_UNKNOWN 0x6D00
#define SW_CLA_UNKNOWN 0x6E00

/* A parsed command APDU (short or extended). */
struct vc_cmd {
        uint8_t cla, ins, p1, p2;
        const uint8_t *data;
        size_t lc;
        size_t ne;                /* bytes the host accepts; 0 when Le is absent */
        bool has_le;
        bool extended;
};

/* A response under construction: data and status word. */
struct vc_resp {
        uint8_t data[VC_RESP_MAX];
        size_t len;
        uint16_t sw;
};

/* One application's key and certificate. */
struct vc_key {
        EVP_PKEY *pkey;
        uint8_t *cert;            /* DER */
        size_t cert_len;
};

struct vc_pin {
        char value[17];
        size_t len;
        unsigned tries;           /* left; 0 = blocked */
        unsigned max;
        bool verified;
};

enum vc_app { VC_APP_NONE, VC_APP_PIV, VC_APP_JPKI };

struct vcard {
        /* configuration */
        struct vc_key piv;        /* pkey NULL: no PIV application */
        struct vc_key jpki;       /* pkey NULL: no JPKI application */
        uint8_t *jpki_ca;         /* EF 000B, optional */
        size_t jpki_ca_len;
        struct vc_pin piv_pin;
        struct vc_pin jpki_pin;
        struct vc_pin jpki_sign_pin; /* the signature side's PIN: only so hosts can query it */
        const char *state_file;   /* NULL: PIN counters live in memory only */
        bool t0_style;            /* answer like a T=0 card: 6100 always, 6Cxx for a wrong Le */
        int vanish_ins;           /* -1, or the INS that makes the card vanish */
        bool verbose;

        /* session (reset on power on/off/reset) */
        enum vc_app selected;
        uint16_t jpki_ef;         /* currently selected EF, 0 none */
        uint8_t chain[VC_DATA_MAX];
        size_t chain_len;
        uint8_t chain_ins;
        bool chaining;
        uint8_t pending[VC_RESP_MAX];
        size_t pending_len, pending_off;
};

/* iso.c: command parsing, chaining, GET RESPONSE, response shaping. */
int vc_cmd_parse(const uint8_t *buf, size_t len, struct vc_cmd *ret);
void vc_session_reset(struct vcard *vc);
/* Processes one command APDU; writes the response APDU (data + SW). */
size_t vc_process(struct vcard *vc, const uint8_t *apdu, size_t len, uint8_t *out, size_t outsz);
void vc_resp_put(struct vc_resp *r, const void *p, size_t n);
/* BER length of n at out, returns bytes written (1..3). */
size_t vc_ber_len(uint8_t *out, size_t n);
void vc_resp_tlv(struct vc_resp *r, unsigned tag, const void *p, size_t n);
/* Finds a one-byte tag among the TLVs of p; false when absent or malformed. */
bool vc_tlv_find(const uint8_t *p, size_t n, uint8_t tag, const uint8_t **ret_v, size_t *ret_len);
/* keys.c */
int vc_cert_load(const char *path, uint8_t **ret_der, size_t *ret_len);
int vc_key_load(struct vc_key *k, const char *cert_path, const char *key_path);
uint8_t vc_piv_alg(EVP_PKEY *pkey);
/* Signs with the private key: RSA with the given padding, or ECDSA (DER). */
int vc_sign(EVP_PKEY *pkey, int rsa_padding, const uint8_t *in, size_t n, uint8_t *out, size_t *outlen);

/* pin.c: the PIN retry counters, persisted in the state file. */
uint16_t vc_pin_verify(struct vcard *vc, struct vc_pin *pin, const uint8_t *p, size_t n);
uint16_t vc_pin_status(const struct vc_pin *pin);
int vc_state_load(struct vcard *vc);
int vc_state_save(const struct vcard *vc);

/* piv.c, jpki.c: application commands (after SELECT). */
bool vc_piv_select(struct vcard *vc, const struct vc_cmd *c, struct vc_resp *r);
void vc_piv_command(struct vcard *vc, const struct vc_cmd *c, struct vc_resp *r);
bool vc_jpki_select(struct vcard *vc, const struct vc_cmd *c, struct vc_resp *r);
void vc_jpki_command(struct vcard *vc, const struct vc_cmd *c, struct vc_resp *r);

void vc_log(const struct vcard *vc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
