/* The card's side of an IC card login, against a real kagid over its socket,
 * played by the test with the certificate's private key: the throw-away PKI
 * of tests/card/make-test-pki.sh ($KAGI_PKI_SCRIPT). The login through PAM,
 * pcscd and a virtual card is tests/card's. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "harness.h"

/* The PKI's directory: card_pki/ca.pem, card_pki/alice-rsa.pem, … */
extern char card_pki[256];
/* Makes the PKI (once per test program: RSA keys take a while), and removes it. */
int card_pki_make(void);
int card_pki_remove(void);

/* A file of the PKI into buf. */
int card_read_pki(const char *name, uint8_t *buf, size_t size, size_t *ret_len);
/* The card's part: SHA-256 of msg signed with the PKI's key_name. */
size_t card_sign(const char *key_name, const uint8_t *msg, size_t len, uint8_t *sig, size_t size);

/* kagid's answer to one request. */
struct card_answer {
        uint32_t decision;
        char message[1024];
        uint8_t challenge[256];
        size_t challenge_len;
};

/* Sends req (and frees it), reads the answer. */
void card_call(struct fx *f, struct frame *req, struct card_answer *a);
/* A login request for user on tty1 with the certificate card_pki/cert_name (or none). */
struct frame *card_request_flags(uint8_t type, const char *user, const char *cert_name, uint32_t flags);
/* The same with a card in the reader. */
struct frame *card_request(uint8_t type, const char *user, const char *cert_name);
/* CARD_CHALLENGE for the card. */
void card_challenge_ask(struct fx *f, const char *user, const char *cert, struct card_answer *a);
/* CARD_VERIFY with the challenge signed by key; returns the decision. */
uint32_t card_respond(struct fx *f, const char *user, const char *cert, const char *key, const struct card_answer *ch,
                      struct card_answer *a);
/* Challenge, then the signed answer: the whole card login. Returns the decision. */
uint32_t card_login(struct fx *f, const char *user, const char *cert, const char *key, struct card_answer *a);
