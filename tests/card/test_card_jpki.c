/* libkagi-card against a real pcscd and the virtual My Number Card (JPKI). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "card.h"
#include "testutil.h"

static const uint8_t challenge[32] = {
        0x6b, 0x61, 0x67, 0x69, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
        0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c,
};

/* alice's My Number Card in the reader, connected */
static int alice_jpki_card(void **state)
{
        return fx_session_setup(state, fx_card_jpki, "alice-jpki");
}

static void my_number_card_login(const char *const *extra)
{
        struct fx_session s = { 0 };
        struct card_signature sig;
        const uint8_t *der;
        uint8_t *want;
        size_t len, want_len;
        int tries = 99;

        assert_int_equal(fx_card_jpki("alice-jpki", extra), 0);
        fx_connect(&s, CARD_APP_ANY);
        assert_int_equal(card_app(s.card), CARD_APP_JPKI);
        assert_string_equal(card_app_name(card_app(s.card)), "JPKI");

        want = fx_cert_der("alice-jpki", &want_len);
        assert_non_null(want);
        assert_int_equal(card_read_cert(s.card, &der, &len), 0);
        assert_int_equal(len, want_len);
        assert_memory_equal(der, want, len);

        assert_int_equal(card_verify_and_sign(s.card, "1234", challenge, sizeof(challenge), &sig, &tries), 0);
        assert_int_equal(sig.alg, CARD_SIG_RSA_PKCS1_SHA256);
        assert_int_equal(sig.len, 256);
        assert_true(fx_sig_verifies(der, len, challenge, sizeof(challenge), sig.data, sig.len));
        free(want);
        fx_close(&s);
}

static void my_number_card_reads_cert_and_signs(void **state)
{
        (void)state;
        FX_REQUIRE();
        my_number_card_login(NULL);
}

static void my_number_card_t0_style(void **state)
{
        (void)state;
        FX_REQUIRE();
        my_number_card_login((const char *[]){ "--t0", NULL });
}

static void tries_are_reported_before_the_last_one(void **state)
{
        struct kagi_card *card = fx_session(state)->card;
        struct card_pin_info info;
        struct card_signature sig;
        int tries = 99;

        assert_int_equal(card_pin_info(card, &info), 0);
        assert_int_equal(info.tries_left, 3);
        assert_int_equal(info.min_len, 4);
        assert_int_equal(info.max_len, 4);

        assert_int_equal(card_verify_and_sign(card, "4321", challenge, sizeof(challenge), &sig, &tries), -EACCES);
        assert_int_equal(tries, 2);
        assert_int_equal(card_verify_pin(card, "0000", &tries), -EACCES);
        assert_int_equal(tries, 1);

        /* asking again and again spends nothing: kagi can warn first */
        for (int i = 0; i < 4; i++) {
                assert_int_equal(card_pin_info(card, &info), 0);
                assert_int_equal(info.tries_left, 1);
        }
        assert_int_equal(fixture_vcard_tries(&fx, "jpki"), 1);

        assert_int_equal(card_verify_pin(card, "9999", &tries), -EPERM);
        assert_int_equal(tries, 0);
        assert_int_equal(card_verify_pin(card, "1234", &tries), -EPERM);
        assert_int_equal(card_pin_info(card, &info), 0);
        assert_true(info.blocked);
        assert_int_equal(fixture_vcard_tries(&fx, "jpki"), 0);
}

static void right_pin_restores_the_counter(void **state)
{
        struct kagi_card *card = fx_session(state)->card;
        int tries;

        assert_int_equal(card_verify_pin(card, "1111", &tries), -EACCES);
        assert_int_equal(fixture_vcard_tries(&fx, "jpki"), 2);
        assert_int_equal(card_verify_pin(card, "1234", &tries), 0);
        assert_int_equal(fixture_vcard_tries(&fx, "jpki"), 3);
}

static void only_four_digits_are_sent(void **state)
{
        static const char *const bad[] = { "123", "12345", "123456", "12a4", "" };
        struct kagi_card *card = fx_session(state)->card;
        struct card_signature sig;
        int tries = 99;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(card_verify_pin(card, bad[i], &tries), -EINVAL);
                assert_int_equal(card_verify_and_sign(card, bad[i], "x", 1, &sig, &tries), -EINVAL);
        }
        assert_int_equal(tries, 99);
        assert_int_equal(fixture_vcard_tries(&fx, "jpki"), 3);
}

static void sign_without_pin_is_refused(void **state)
{
        struct card_signature sig;

        assert_int_equal(card_sign(fx_session(state)->card, challenge, sizeof(challenge), &sig), -EACCES);
}

static void card_vanishing_at_verify_is_removal(void **state)
{
        struct fx_session s = { 0 };
        struct card_signature sig;
        int tries = 99;

        (void)state;
        FX_REQUIRE();
        assert_int_equal(fx_card_jpki("alice-jpki", (const char *[]){ "--vanish-on-ins", "20", NULL }), 0);
        fx_connect(&s, CARD_APP_ANY);
        assert_int_equal(card_verify_and_sign(s.card, "1234", challenge, sizeof(challenge), &sig, &tries), -ENODEV);
        assert_int_equal(tries, 99);
        assert_int_equal(fixture_wait_empty(&fx), 0);
        assert_int_equal(card_still_present(s.card), -ENODEV);
        fx_close(&s);
}

/* The application is chosen by SELECT: a card with both answers PIV
 * first, JPKI when only JPKI is asked for. */
static void application_is_chosen_by_select(void **state)
{
        struct fx_session s = { 0 };
        struct kagi_card *card;
        char reader[CARD_READER_MAX];

        (void)state;
        FX_REQUIRE();
        assert_int_equal(fx_card_jpki("alice-jpki", (const char *[]){
                "--piv-cert", fixture_pki(&fx, "alice-ec.pem"),
                "--piv-key", fixture_pki(&fx, "alice-ec.key"), NULL }), 0);
        fx_connect(&s, CARD_APP_ANY);
        assert_int_equal(card_app(s.card), CARD_APP_PIV);
        fx_disconnect(&s);
        fx_connect(&s, CARD_APP_JPKI);
        assert_int_equal(card_app(s.card), CARD_APP_JPKI);
        fx_close(&s);

        /* a My Number Card offers no PIV */
        assert_int_equal(fx_card_jpki("alice-jpki", NULL), 0);
        assert_int_equal(card_ctx_open(&s.ctx), 0);
        assert_int_equal(card_wait(s.ctx, NULL, 0, reader), 0);
        assert_int_equal(card_connect(s.ctx, reader, CARD_APP_PIV, &card), -EMEDIUMTYPE);
        fx_close(&s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                FX_TEST(my_number_card_reads_cert_and_signs),
                FX_TEST(my_number_card_t0_style),
                FX_SESSION_TEST(tries_are_reported_before_the_last_one, alice_jpki_card),
                FX_SESSION_TEST(right_pin_restores_the_counter, alice_jpki_card),
                FX_SESSION_TEST(only_four_digits_are_sent, alice_jpki_card),
                FX_SESSION_TEST(sign_without_pin_is_refused, alice_jpki_card),
                FX_TEST(card_vanishing_at_verify_is_removal),
                FX_TEST(application_is_chosen_by_select),
        };

        return cmocka_run_group_tests(tests, fx_group_setup, fx_group_teardown);
}
