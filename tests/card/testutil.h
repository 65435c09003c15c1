/* Helpers shared by the card tests: one fixture per test program, virtual
 * cards by PKI name, and OpenSSL checks of what the card produced. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fixture.h"

struct card_ctx;
struct kagi_card;

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

/* A test that starts with fresh PIN counters and no card in the reader. */
#define FX_TEST(test) cmocka_unit_test_setup_teardown(test, fx_test_setup, fx_test_teardown)

/* libkagi-card's connection to the card in the fixture's reader. */
struct fx_session {
        struct card_ctx *ctx;
        struct kagi_card *card;
};

/* Connects s->card (opening s->ctx first when it is NULL), asserting that
 * the card is found in the fixture's reader and offers one of apps. */
void fx_connect(struct fx_session *s, unsigned apps);
/* Disconnects the card (which resets it); the context stays for fx_connect. */
void fx_disconnect(struct fx_session *s);
/* Disconnects and closes the context (either may be NULL). */
void fx_close(struct fx_session *s);

/* A test of one card: its setup (a wrapper of fx_session_setup) puts that
 * card in the reader and connects, the test takes the connection with
 * fx_session(state), the teardown closes it and takes the card out. */
#define FX_SESSION_TEST(test, setup) cmocka_unit_test_setup_teardown(test, setup, fx_session_teardown)
/* fx_test_setup, then insert(name, NULL) and fx_connect(CARD_APP_ANY). */
int fx_session_setup(void **state, int (*insert)(const char *name, const char *const *extra), const char *name);
int fx_session_teardown(void **state);
/* The setup's connection; skips the test when no pcscd can run here. */
struct fx_session *fx_session(void **state);
