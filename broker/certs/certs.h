/* libkagi-certs: the checks behind an IC card login (MFA-1, CARD-1..3).
 *
 *   x509.c       card certificates: parsing, the trust anchors and CRLs
 *                ([card] ca_file, crl_file; reloaded when they change), the
 *                chain, validity, usage and key checks, signature checks
 *   challenge.c  login challenges: random, single use, bound to account,
 *                terminal and card, 60 s, in memory only
 *
 * Never: decides whether a card belongs to a person (kagid asks the store's
 * registry and the directory), writes state, or trusts anything the card
 * says that a signature does not prove.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* ---- card certificates ------------------------------------------------------ */
#define KAGI_CERT_MAX 16384
struct x509_st;
struct card_cert {
        struct x509_st *x;                    /* OpenSSL's X509 */
        uint8_t *der;
        size_t der_len;
        char fingerprint[65];                 /* SHA-256 of the DER, lower-case hex */
        char serial[129];                     /* upper-case hex */
        char subject[512];
        char issuer[512];
        int64_t not_after;
};
/* A certificate in DER or PEM; -EINVAL for anything else. */
int card_cert_parse(const uint8_t *buf, size_t len, struct card_cert *ret);
void card_cert_clear(struct card_cert *c);

/* The trust anchors ([card] ca_file) and CRLs ([card] crl_file), shared by
 * all workers and reloaded when the files change. */
struct trust;
int trust_open(const struct kagi_config *c, struct trust **ret);
void trust_close(struct trust *t);
enum cert_verdict {
        CERT_OK,
        CERT_UNTRUSTED,                       /* no chain to the anchors, bad signature … */
        CERT_EXPIRED,                         /* or not yet valid */
        CERT_REVOKED,                         /* by a CRL */
        CERT_BAD_USAGE,                       /* key usage, EKU, key type or size */
        CERT_NO_TRUST,                        /* the anchors cannot be loaded */
};
/* card_cert_parse through the trust's cache of recently seen certificates. */
int trust_parse(struct trust *t, const uint8_t *buf, size_t len, struct card_cert *ret);
/* The chain, validity, usage and CRL verdict. A certificate that came from
 * trust_parse keeps its verdict for up to a minute, never past its notAfter
 * and never across a change of the anchors or CRLs. */
enum cert_verdict trust_check(struct trust *t, const struct card_cert *c, char *why, size_t whysz);
/* Load the anchors and CRLs now (kagid at start); -ENOENT with why. */
int trust_load(struct trust *t, char *why, size_t whysz);
/* 1: the signature over msg (SHA-256; RSA PKCS#1 v1.5 or ECDSA) is the
 * certificate key's; 0: it is not; negative: error. */
int card_signature_check(const struct card_cert *c, const uint8_t *msg, size_t len, const uint8_t *sig,
                         size_t siglen);

/* ---- login challenges ------------------------------------------------------- */
#define CHALLENGE_LEN 32
#define CHALLENGE_TTL 60
#define CHALLENGE_ATTEMPT_LEN 16
struct challenge_row {
        char account[257];
        char terminal[600];
        char fingerprint[65];
        uint8_t attempt[CHALLENGE_ATTEMPT_LEN]; /* the caller's handle of the login in flight */
        int64_t expires;
};
struct challenges;
int challenges_new(struct challenges **ret);
void challenges_free(struct challenges *c);
/* -EBUSY when every slot holds a live challenge. */
int challenge_put(struct challenges *c, const uint8_t nonce[CHALLENGE_LEN], const char *account,
                  const char *terminal, const char *fingerprint, const uint8_t attempt[CHALLENGE_ATTEMPT_LEN],
                  int64_t expires, int64_t now);
/* Single use: the challenge is gone once taken. -ENOENT if unknown or taken. */
int challenge_take(struct challenges *c, const uint8_t *nonce, size_t len, struct challenge_row *ret);
