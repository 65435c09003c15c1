/* libkagi-card against a real pcscd and the virtual PIV card. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "card.h"
#include "testutil.h"

static const char challenge[] = "kagi challenge: 32 random bytes would be here";

static int alice_rsa_card(void **state)
{
        return fx_session_setup(state, fx_card_piv, "alice-rsa");
}

static int alice_ec_card(void **state)
{
        return fx_session_setup(state, fx_card_piv, "alice-ec");
}

static void assert_cert_is(struct kagi_card *card, const char *name)
{
        const uint8_t *der;
        size_t len, want_len;
        uint8_t *want = fx_cert_der(name, &want_len);

        assert_non_null(want);
        assert_int_equal(card_read_cert(card, &der, &len), 0);
        assert_int_equal(len, want_len);
        assert_memory_equal(der, want, len);
        free(want);
}

static void login_signs(const char *name, const char *const *extra, enum card_sig_alg alg)
{
        struct fx_session s = { 0 };
        struct card_signature sig;
        int tries = 99;

        FX_REQUIRE();
        assert_int_equal(fx_card_piv(name, extra), 0);
        fx_connect(&s, CARD_APP_ANY);
        assert_int_equal(card_app(s.card), CARD_APP_PIV);
        assert_cert_is(s.card, name);
        assert_int_equal(card_verify_and_sign(s.card, "123456", challenge, sizeof(challenge), &sig, &tries), 0);
        assert_int_equal(sig.alg, alg);
        assert_true(fx_sig_verifies_pem(name, challenge, sizeof(challenge), sig.data, sig.len));
        /* and not over something else */
        assert_false(fx_sig_verifies_pem(name, "other", 5, sig.data, sig.len));
        fx_close(&s);
}

static void rsa_card_reads_cert_and_signs(void **state)
{
        (void)state;
        login_signs("alice-rsa", NULL, CARD_SIG_RSA_PKCS1_SHA256);
}

static void ec_card_reads_cert_and_signs(void **state)
{
        (void)state;
        login_signs("alice-ec", NULL, CARD_SIG_ECDSA_SHA256);
}

/* A card that answers 61xx to everything and 6Cxx to a wrong Le. */
static void t0_style_card_works_through_get_response(void **state)
{
        (void)state;
        login_signs("alice-rsa", (const char *[]){ "--t0", NULL }, CARD_SIG_RSA_PKCS1_SHA256);
        login_signs("alice-ec", (const char *[]){ "--t0", NULL }, CARD_SIG_ECDSA_SHA256);
}

static void separate_verify_then_sign(void **state)
{
        struct fx_session *s = fx_session(state);
        struct card_signature sig;
        int tries = 99;

        assert_int_equal(card_sign(s->card, challenge, sizeof(challenge), &sig), -EACCES);
        assert_int_equal(card_verify_pin(s->card, "123456", &tries), 0);
        assert_int_equal(card_sign(s->card, challenge, sizeof(challenge), &sig), 0);
        assert_true(fx_sig_verifies_pem("alice-rsa", challenge, sizeof(challenge), sig.data, sig.len));
        fx_disconnect(s);

        /* disconnecting reset the card: the PIN is needed again */
        fx_connect(s, CARD_APP_ANY);
        assert_int_equal(card_sign(s->card, challenge, sizeof(challenge), &sig), -EACCES);
}

static void wrong_pin_counts_down_and_third_blocks(void **state)
{
        struct fx_session *s = fx_session(state);
        struct card_pin_info info;
        struct card_signature sig;
        int tries = 99;

        assert_int_equal(card_pin_info(s->card, &info), 0);
        assert_int_equal(info.tries_left, 3);
        assert_false(info.blocked);

        assert_int_equal(card_verify_and_sign(s->card, "654321", challenge, sizeof(challenge), &sig, &tries), -EACCES);
        assert_int_equal(tries, 2);
        assert_int_equal(fixture_vcard_tries(&fx, "piv"), 2);
        assert_int_equal(card_verify_pin(s->card, "000000", &tries), -EACCES);
        assert_int_equal(tries, 1);
        assert_int_equal(card_pin_info(s->card, &info), 0);
        assert_int_equal(info.tries_left, 1);   /* the caller warns: last try */

        assert_int_equal(card_verify_pin(s->card, "111111", &tries), -EPERM);
        assert_int_equal(tries, 0);
        assert_int_equal(fixture_vcard_tries(&fx, "piv"), 0);

        /* blocked for good: even the right PIN is refused, also after the
         * card was pulled and put back */
        assert_int_equal(card_verify_pin(s->card, "123456", &tries), -EPERM);
        fx_disconnect(s);
        assert_int_equal(fixture_vcard_pull(&fx), 0);
        assert_int_equal(fixture_vcard_push(&fx), 0);
        fx_connect(s, CARD_APP_ANY);
        assert_int_equal(card_pin_info(s->card, &info), 0);
        assert_true(info.blocked);
        assert_int_equal(info.tries_left, 0);
        assert_int_equal(card_verify_and_sign(s->card, "123456", challenge, sizeof(challenge), &sig, &tries), -EPERM);
}

static void pin_info_spends_no_try(void **state)
{
        struct kagi_card *card = fx_session(state)->card;
        struct card_pin_info info;
        int tries;

        assert_int_equal(card_verify_pin(card, "999999", &tries), -EACCES);
        for (int i = 0; i < 5; i++) {
                assert_int_equal(card_pin_info(card, &info), 0);
                assert_int_equal(info.tries_left, 2);
                assert_false(info.verified);
                assert_int_equal(info.min_len, 6);
                assert_int_equal(info.max_len, 8);
        }
        assert_int_equal(fixture_vcard_tries(&fx, "piv"), 2);
        /* the right PIN restores the counter */
        assert_int_equal(card_verify_pin(card, "123456", &tries), 0);
        assert_int_equal(card_pin_info(card, &info), 0);
        assert_true(info.verified);
        assert_int_equal(fixture_vcard_tries(&fx, "piv"), 3);
}

static void malformed_pin_is_never_sent(void **state)
{
        static const char *const bad[] = { "12345", "123456789", "12345a", "", "12 456" };
        struct kagi_card *card = fx_session(state)->card;
        int tries = 99;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(card_verify_pin(card, bad[i], &tries), -EINVAL);
        assert_int_equal(tries, 99);
        assert_int_equal(fixture_vcard_tries(&fx, "piv"), 3);
}

static void card_vanishing_while_signing_is_removal(void **state)
{
        struct fx_session s = { 0 };
        struct card_signature sig;
        int tries;

        (void)state;
        FX_REQUIRE();
        /* the card disappears when GENERAL AUTHENTICATE arrives */
        assert_int_equal(fx_card_piv("alice-rsa", (const char *[]){ "--vanish-on-ins", "87", NULL }), 0);
        fx_connect(&s, CARD_APP_ANY);
        assert_int_equal(card_verify_and_sign(s.card, "123456", challenge, sizeof(challenge), &sig, &tries), -ENODEV);
        assert_int_equal(fixture_wait_empty(&fx), 0);
        assert_int_equal(card_still_present(s.card), -ENODEV);
        assert_int_equal(card_sign(s.card, challenge, sizeof(challenge), &sig), -ENODEV);
        fx_close(&s);
}

static void card_pulled_between_steps_is_removal(void **state)
{
        struct kagi_card *card = fx_session(state)->card;
        struct card_signature sig;
        const uint8_t *der;
        size_t len;
        int tries;

        assert_int_equal(card_read_cert(card, &der, &len), 0);
        assert_int_equal(card_still_present(card), 0);
        assert_int_equal(fixture_vcard_pull(&fx), 0);
        assert_int_equal(card_still_present(card), -ENODEV);
        assert_int_equal(card_verify_and_sign(card, "123456", challenge, sizeof(challenge), &sig, &tries), -ENODEV);
        assert_int_equal(card_pin_info(card, &(struct card_pin_info){ 0 }), -ENODEV);
        /* even put back, it is not the session we had */
        assert_int_equal(fixture_vcard_push(&fx), 0);
        assert_int_not_equal(card_verify_and_sign(card, "123456", challenge, sizeof(challenge), &sig, &tries), 0);
}

static void removal_and_insertion_are_reported(void **state)
{
        struct card_ctx *ctx = NULL;
        enum card_event ev;

        (void)state;
        FX_REQUIRE();
        assert_int_equal(fx_card_piv("alice-rsa", NULL), 0);
        assert_int_equal(card_ctx_open(&ctx), 0);
        assert_int_equal(card_wait_event(ctx, fx.reader, 0, &ev), -ETIMEDOUT);
        assert_int_equal(kill(fx.vcard, SIGUSR1), 0);
        assert_int_equal(card_wait_event(ctx, fx.reader, 60000, &ev), 0);
        assert_int_equal(ev, CARD_EVENT_REMOVED);
        assert_int_equal(kill(fx.vcard, SIGUSR2), 0);
        assert_int_equal(card_wait_event(ctx, fx.reader, 60000, &ev), 0);
        assert_int_equal(ev, CARD_EVENT_INSERTED);
        assert_int_equal(card_wait_event(ctx, "no such reader", 0, &ev), -ENXIO);
        card_ctx_close(ctx);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                FX_TEST(rsa_card_reads_cert_and_signs),
                FX_TEST(ec_card_reads_cert_and_signs),
                FX_TEST(t0_style_card_works_through_get_response),
                FX_SESSION_TEST(separate_verify_then_sign, alice_rsa_card),
                FX_SESSION_TEST(wrong_pin_counts_down_and_third_blocks, alice_rsa_card),
                FX_SESSION_TEST(pin_info_spends_no_try, alice_ec_card),
                FX_SESSION_TEST(malformed_pin_is_never_sent, alice_rsa_card),
                FX_TEST(card_vanishing_while_signing_is_removal),
                FX_SESSION_TEST(card_pulled_between_steps_is_removal, alice_ec_card),
                FX_TEST(removal_and_insertion_are_reported),
        };

        return cmocka_run_group_tests(tests, fx_group_setup, fx_group_teardown);
}
