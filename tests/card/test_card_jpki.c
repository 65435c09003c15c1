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

static struct kagi_card *connect_card(struct card_ctx **ctx, unsigned apps)
{
        char reader[CARD_READER_MAX];
        struct kagi_card *card = NULL;

        if (!*ctx)
                assert_int_equal(card_ctx_open(ctx), 0);
        assert_int_equal(card_wait(*ctx, NULL, 0, reader), 0);
        assert_int_equal(card_connect(*ctx, reader, apps, &card), 0);
        return card;
}

static void my_number_card_login(const char *const *extra)
{
        struct card_ctx *ctx = NULL;
        struct kagi_card *card;
        struct card_signature sig;
        const uint8_t *der;
        uint8_t *want;
        size_t len, want_len;
        int tries = 99;

        assert_int_equal(fx_card_jpki("alice-jpki", extra), 0);
        card = connect_card(&ctx, CARD_APP_ANY);
        assert_int_equal(card_app(card), CARD_APP_JPKI);
        assert_string_equal(card_app_name(card_app(card)), "JPKI");

        want = fx_cert_der("alice-jpki", &want_len);
        assert_non_null(want);
        assert_int_equal(card_read_cert(card, &der, &len), 0);
        assert_int_equal(len, want_len);
        assert_memory_equal(der, want, len);

        assert_int_equal(card_verify_and_sign(card, "1234", challenge, sizeof(challenge), &sig, &tries), 0);
        assert_int_equal(sig.alg, CARD_SIG_RSA_PKCS1_SHA256);
        assert_int_equal(sig.len, 256);
        assert_true(fx_sig_verifies(der, len, challenge, sizeof(challenge), sig.data, sig.len));
        free(want);
        card_disconnect(card);
        card_ctx_close(ctx);
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
        struct card_ctx *ctx = NULL;
        struct kagi_card *card;
        struct card_pin_info info;
        struct card_signature sig;
        int tries = 99;

        (void)state;
        FX_REQUIRE();
        assert_int_equal(fx_card_jpki("alice-jpki", NULL), 0);
        card = connect_card(&ctx, CARD_APP_ANY);

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
        card_disconnect(card);
        card_ctx_close(ctx);
}

static void right_pin_restores_the_counter(void **state)
{
        struct card_ctx *ctx = NULL;
        struct kagi_card *card;
        int tries;

        (void)state;
        FX_REQUIRE();
        assert_int_equal(fx_card_jpki("alice-jpki", NULL), 0);
        card = connect_card(&ctx, CARD_APP_ANY);
        assert_int_equal(card_verify_pin(card, "1111", &tries), -EACCES);
        assert_int_equal(fixture_vcard_tries(&fx, "jpki"), 2);
        assert_int_equal(card_verify_pin(card, "1234", &tries), 0);
        assert_int_equal(fixture_vcard_tries(&fx, "jpki"), 3);
        card_disconnect(card);
        card_ctx_close(ctx);
}

static void only_four_digits_are_sent(void **state)
{
        static const char *const bad[] = { "123", "12345", "123456", "12a4", "" };
        struct card_ctx *ctx = NULL;
        struct kagi_card *card;
        struct card_signature sig;
        int tries = 99;

        (void)state;
        FX_REQUIRE();
        assert_int_equal(fx_card_jpki("alice-jpki", NULL), 0);
        card = connect_card(&ctx, CARD_APP_ANY);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(card_verify_pin(card, bad[i], &tries), -EINVAL);
                assert_int_equal(card_verify_and_sign(card, bad[i], "x", 1, &sig, &tries), -EINVAL);
        }
        assert_int_equal(tries, 99);
        assert_int_equal(fixture_vcard_tries(&fx, "jpki"), 3);
        card_disconnect(card);
        card_ctx_close(ctx);
}

static void sign_without_pin_is_refused(void **state)
{
        struct card_ctx *ctx = NULL;
        struct kagi_card *card;
        struct card_signature sig;

        (void)state;
        FX_REQUIRE();
        assert_int_equal(fx_card_jpki("alice-jpki", NULL), 0);
        card = connect_card(&ctx, CARD_APP_ANY);
        assert_int_equal(card_sign(card, challenge, sizeof(challenge), &sig), -EACCES);
        card_disconnect(card);
        card_ctx_close(ctx);
}

static void card_vanishing_at_verify_is_removal(void **state)
{
        struct card_ctx *ctx = NULL;
        struct kagi_card *card;
        struct card_signature sig;
        int tries = 99;

        (void)state;
        FX_REQUIRE();
        assert_int_equal(fx_card_jpki("alice-jpki", (const char *[]){ "--vanish-on-ins", "20", NULL }), 0);
        card = connect_card(&ctx, CARD_APP_ANY);
        assert_int_equal(card_verify_and_sign(card, "1234", challenge, sizeof(challenge), &sig, &tries), -ENODEV);
        assert_int_equal(tries, 99);
        assert_int_equal(fixture_wait_empty(&fx), 0);
        assert_int_equal(card_still_present(card), -ENODEV);
        card_disconnect(card);
        card_ctx_close(ctx);
}

/* The application is chosen by SELECT: a card with both answers PIV
 * first, JPKI when only JPKI is asked for. */
static void application_is_chosen_by_select(void **state)
{
        struct card_ctx *ctx = NULL;
        struct kagi_card *card;
        char reader[CARD_READER_MAX];

        (void)state;
        FX_REQUIRE();
        assert_int_equal(fx_card_jpki("alice-jpki", (const char *[]){
                "--piv-cert", fixture_pki(&fx, "alice-ec.pem"),
                "--piv-key", fixture_pki(&fx, "alice-ec.key"), NULL }), 0);
        card = connect_card(&ctx, CARD_APP_ANY);
        assert_int_equal(card_app(card), CARD_APP_PIV);
        card_disconnect(card);
        card = connect_card(&ctx, CARD_APP_JPKI);
        assert_int_equal(card_app(card), CARD_APP_JPKI);
        card_disconnect(card);
        card_ctx_close(ctx);

        /* a My Number Card offers no PIV */
        assert_int_equal(fx_card_jpki("alice-jpki", NULL), 0);
        assert_int_equal(card_ctx_open(&ctx), 0);
        assert_int_equal(card_wait(ctx, NULL, 0, reader), 0);
        assert_int_equal(card_connect(ctx, reader, CARD_APP_PIV, &card), -EMEDIUMTYPE);
        card_ctx_close(ctx);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(my_number_card_reads_cert_and_signs, fx_test_setup, fx_test_teardown),
                cmocka_unit_test_setup_teardown(my_number_card_t0_style, fx_test_setup, fx_test_teardown),
                cmocka_unit_test_setup_teardown(tries_are_reported_before_the_last_one, fx_test_setup, fx_test_teardown),
                cmocka_unit_test_setup_teardown(right_pin_restores_the_counter, fx_test_setup, fx_test_teardown),
                cmocka_unit_test_setup_teardown(only_four_digits_are_sent, fx_test_setup, fx_test_teardown),
                cmocka_unit_test_setup_teardown(sign_without_pin_is_refused, fx_test_setup, fx_test_teardown),
                cmocka_unit_test_setup_teardown(card_vanishing_at_verify_is_removal, fx_test_setup, fx_test_teardown),
                cmocka_unit_test_setup_teardown(application_is_chosen_by_select, fx_test_setup, fx_test_teardown),
        };

        return cmocka_run_group_tests(tests, fx_group_setup, fx_group_teardown);
}
