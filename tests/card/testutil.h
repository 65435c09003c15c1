/* Helpers shared by the card tests: one fixture per test program, virtual
 * cards by PKI name, and OpenSSL checks of what the card produced. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fixture.h"

extern struct card_fixture fx;
extern bool fx_unavailable;       /* no pcscd possible here: tests skip */

/* cmocka group setup/teardown: fixture, PKI, pcscd. */
int fx_group_setup(void **state);
int fx_group_teardown(void **state);
/* per test: fresh PIN counters, no card in the reader */
int fx_test_setup(void **state);
int fx_test_teardown(void **state);

/* A virtual card holding NAME.pem / NAME.key of the test PKI as its PIV
 * (or JPKI) key, plus extra kagi-vcard arguments (NULL-terminated list,
 * may be NULL). */
int fx_card_piv(const char *name, const char *const *extra);
int fx_card_jpki(const char *name, const char *const *extra);

/* The DER of a PEM certificate of the test PKI; free() it. */
uint8_t *fx_cert_der(const char *name, size_t *ret_len);
/* Does sig verify over msg with SHA-256 against the certificate? The way
 * the broker will check it: EVP_DigestVerify. */
bool fx_sig_verifies(const uint8_t *cert, size_t cert_len, const void *msg, size_t msg_len,
                     const uint8_t *sig, size_t sig_len);
/* The same with a certificate given as a PEM file name of the PKI. */
bool fx_sig_verifies_pem(const char *name, const void *msg, size_t msg_len, const uint8_t *sig, size_t sig_len);

/* Skip the current test when no pcscd can run here. */
#define FX_REQUIRE() do { if (fx_unavailable) skip(); } while (0)
