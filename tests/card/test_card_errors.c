/* What a login sees when the card world is not there: pcscd not running,
 * no reader, no card in time, a card without a supported application.
 * Real pcscd, real virtual card; the order of the tests matters only in
 * that each one sets up what it needs. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "card.h"
#include "testutil.h"

static void pcscd_not_running_is_its_own_error(void **state)
{
        struct card_ctx *ctx = NULL;
        char reader[CARD_READER_MAX];

        (void)state;
        FX_REQUIRE();
        assert_int_equal(card_ctx_open(&ctx), 0);
        fixture_pcscd_stop(&fx);
        /* the socket is gone: a new context cannot be had */
        assert_int_equal(card_ctx_open(&ctx), -EHOSTDOWN);
        assert_string_equal(card_strerror(-EHOSTDOWN), "the smart card service (pcscd) is not running");
        card_ctx_close(ctx);

        /* and one opened before the daemon went away says the same */
        assert_int_equal(fixture_pcscd_start(&fx), 0);
        assert_int_equal(card_ctx_open(&ctx), 0);
        fixture_pcscd_stop(&fx);
        assert_int_equal(card_wait(ctx, NULL, 0, reader), -EHOSTDOWN);
        card_ctx_close(ctx);
}

static void no_card_within_timeout(void **state)
{
        struct card_ctx *ctx;
        char reader[CARD_READER_MAX];

        (void)state;
        FX_REQUIRE();
        assert_int_equal(card_ctx_open(&ctx), 0);
        assert_int_equal(card_wait(ctx, NULL, 0, reader), -ETIMEDOUT);
        assert_int_equal(card_wait(ctx, "Kagi", 300, reader), -ETIMEDOUT);
        card_ctx_close(ctx);
}

static void no_matching_reader(void **state)
{
        struct card_ctx *ctx;
        char reader[CARD_READER_MAX];

        (void)state;
        FX_REQUIRE();
        assert_int_equal(fx_card_piv("alice-rsa", NULL), 0);
        assert_int_equal(card_ctx_open(&ctx), 0);
        assert_int_equal(card_wait(ctx, "Some Other Reader", 0, reader), -ENXIO);
        assert_int_equal(card_wait(ctx, "Kagi Test PCD", 0, reader), 0);
        card_ctx_close(ctx);
}

static void no_reader_at_all(void **state)
{
        struct card_ctx *ctx;
        char reader[CARD_READER_MAX];
        int r;

        (void)state;
        FX_REQUIRE();
        fixture_pcscd_stop(&fx);
        fx.no_reader = true;
        r = fixture_pcscd_start(&fx);
        fx.no_reader = false;
        assert_int_equal(r, 0);
        assert_int_equal(card_ctx_open(&ctx), 0);
        assert_int_equal(card_wait(ctx, NULL, 0, reader), -ENXIO);
        assert_int_equal(card_wait(ctx, NULL, 300, reader), -ENXIO);
        assert_string_equal(card_strerror(-ENXIO), "no smart card reader found");
        card_ctx_close(ctx);
        fixture_pcscd_stop(&fx);
}

static void unknown_reader_cannot_be_connected(void **state)
{
        struct card_ctx *ctx;
        struct kagi_card *card;

        (void)state;
        FX_REQUIRE();
        assert_int_equal(card_ctx_open(&ctx), 0);
        assert_int_equal(card_connect(ctx, "Nonexistent Reader 00 00", CARD_APP_ANY, &card), -ENXIO);
        /* the vpcd reader with no card in it */
        assert_int_equal(card_connect(ctx, fx.reader, CARD_APP_ANY, &card), -ENODEV);
        card_ctx_close(ctx);
}

/* The card comes while we wait: card_wait returns as soon as it is in. */
static void card_inserted_while_waiting(void **state)
{
        struct card_ctx *ctx;
        char reader[CARD_READER_MAX];
        pid_t helper;

        (void)state;
        FX_REQUIRE();
        assert_int_equal(fx_card_piv("alice-rsa", NULL), 0);
        assert_int_equal(fixture_vcard_pull(&fx), 0);
        assert_int_equal(card_ctx_open(&ctx), 0);
        assert_int_equal(card_wait(ctx, NULL, 0, reader), -ETIMEDOUT);

        helper = fork();
        assert_true(helper >= 0);
        if (helper == 0) {
                usleep(200 * 1000);
                kill(fx.vcard, SIGUSR2);
                _exit(0);
        }
        assert_int_equal(card_wait(ctx, NULL, 60000, reader), 0);
        assert_string_equal(reader, fx.reader);
        waitpid(helper, NULL, 0);
        card_ctx_close(ctx);
}

static void card_without_our_applications(void **state)
{
        struct card_ctx *ctx;
        struct kagi_card *card;
        char reader[CARD_READER_MAX];

        (void)state;
        FX_REQUIRE();
        assert_int_equal(fx_card_piv("alice-rsa", NULL), 0);
        assert_int_equal(card_ctx_open(&ctx), 0);
        assert_int_equal(card_wait(ctx, NULL, 0, reader), 0);
        assert_int_equal(card_connect(ctx, reader, CARD_APP_JPKI, &card), -EMEDIUMTYPE);
        assert_int_equal(card_connect(ctx, reader, 0, &card), -EINVAL);
        card_ctx_close(ctx);
}

static void arguments_are_checked(void **state)
{
        (void)state;
        assert_int_equal(card_wait(NULL, NULL, 0, (char[CARD_READER_MAX]){ 0 }), -EINVAL);
        assert_int_equal(card_read_cert(NULL, NULL, NULL), -EINVAL);
        assert_int_equal(card_verify_pin(NULL, "1234", NULL), -EINVAL);
        assert_string_equal(card_strerror(-ENODEV), "the card was removed");
        assert_string_equal(card_sig_alg_name(CARD_SIG_ECDSA_SHA256), "ecdsa-with-SHA256");
        card_disconnect(NULL);
        card_ctx_close(NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                FX_TEST(pcscd_not_running_is_its_own_error),
                FX_TEST(no_card_within_timeout),
                FX_TEST(no_matching_reader),
                FX_TEST(no_reader_at_all),
                FX_TEST(unknown_reader_cannot_be_connected),
                FX_TEST(card_inserted_while_waiting),
                FX_TEST(card_without_our_applications),
                cmocka_unit_test(arguments_are_checked),
        };

        return cmocka_run_group_tests(tests, fx_group_setup, fx_group_teardown);
}
