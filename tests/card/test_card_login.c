/* IC card + PIN login end to end: the real PAM stack loads pam_kagi.so, which
 * talks to a real pcscd (vpcd driver) holding the virtual card, and to a real
 * kagid that checks everything. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <security/pam_appl.h>

#include "fixture.h"
#include "harness.h"

static struct card_fixture card;
static bool skip_all;

static int group_setup(void **state)
{
        (void)state;
        return fixture_start(&card, &skip_all) < 0 ? -1 : 0;
}

static int group_teardown(void **state)
{
        (void)state;
        fixture_cleanup(&card);
        return 0;
}

static const char *pki(const char *name)
{
        return fixture_pki(&card, name);
}

/* A broker trusting the test CA; alice's PIV (RSA and EC) and JPKI cards and
 * bob's card are registered. */
static int setup_with(void **state, const char *more)
{
        char extra[2048], out[4096];
        struct fx *f;

        if (skip_all)
                return 0;
        snprintf(extra, sizeof(extra), "[card]\nca_file = %s\ncrl_file = %s\nwait = 1\n%s", pki("ca.pem"),
                 pki("crl.pem"), more ? more : "");
        f = fx_new(extra, NULL);
        if (!f)
                return -1;
        *state = f;
        static const char *const regs[][2] = {
                { "alice", "alice-rsa.pem" }, { "alice", "alice-ec.pem" }, { "alice", "alice-jpki.pem" },
                { "bob", "bob-rsa.pem" },     { "alice", "revoked-rsa.pem" },
        };
        for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
                const char *argv[] = { "card", "register", regs[i][0], "--cert", pki(regs[i][1]), NULL };
                int r = fx_kagictl(f, out, sizeof(out), argv);

                /* the CRL-revoked certificate cannot be registered: that is fine */
                if (r != 0 && strcmp(regs[i][1], "revoked-rsa.pem") != 0) {
                        fprintf(stderr, "register %s: %s\n", regs[i][1], out);
                        return -1;
                }
        }
        return 0;
}

static int setup(void **state)
{
        return setup_with(state, NULL);
}

static int teardown(void **state)
{
        fixture_vcard_stop(&card);
        if (skip_all)
                return 0;
        return fx_free(*state);
}

/* A new card: the virtual card keeps its PIN counters in the state file,
 * which would otherwise carry the last test's blocked PIN over. */
static void fresh_card_state(void)
{
        unlink(card.vcard_state);
}

/* Puts a fresh PIV card (PIN 123456, 3 tries) with the given key in the reader. */
static void insert_piv(const char *name, const char *const *more)
{
        char cert[64], key[64];
        const char *args[16] = { "--piv-cert", NULL, "--piv-key", NULL, "--piv-pin", "123456" };
        size_t n = 6;

        snprintf(cert, sizeof(cert), "%s.pem", name);
        snprintf(key, sizeof(key), "%s.key", name);
        args[1] = pki(cert);
        args[3] = pki(key);
        for (size_t i = 0; more && more[i] && n < 15; i++)
                args[n++] = more[i];
        args[n] = NULL;
        fresh_card_state();
        assert_int_equal(fixture_vcard_start(&card, args), 0);
}

static void insert_jpki(void)
{
        const char *args[] = { "--jpki-cert", pki("alice-jpki.pem"), "--jpki-key", pki("alice-jpki.key"),
                               "--jpki-pin", "1234", "--jpki-ca", pki("ca.pem"), NULL };

        fresh_card_state();
        assert_int_equal(fixture_vcard_start(&card, args), 0);
}

/* kagi alone: with a card in the reader, card+pin is the way in. */
static int card_login(struct fx *f, const char *user, const char *pin, struct fx_conv *c)
{
        memset(c, 0, sizeof(*c));
        c->answers[0] = pin;
        return fx_pam(f, "kagi-only", user, c, FX_AUTH | FX_ACCOUNT);
}

#define SKIP_IF_NO_PCSCD() \
        do { \
                if (skip_all) \
                        skip(); \
        } while (0)

static void right_pin_logs_in_with_a_piv_rsa_card(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        SKIP_IF_NO_PCSCD();
        insert_piv("alice-rsa", NULL);
        assert_int_equal(card_login(f, "alice", "123456", &c), PAM_SUCCESS);
        assert_int_equal(c.n_prompts, 1);
        assert_string_equal(c.prompts[0], "IC card PIN: ");
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=auth", "account=alice", "factor=card+pin",
                                                             "result=success", NULL }),
                         1);
}

static void right_pin_logs_in_with_a_piv_ec_card(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        SKIP_IF_NO_PCSCD();
        insert_piv("alice-ec", NULL);
        assert_int_equal(card_login(f, "alice", "123456", &c), PAM_SUCCESS);
}

static void right_pin_logs_in_with_a_my_number_card(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        SKIP_IF_NO_PCSCD();
        insert_jpki();
        assert_int_equal(card_login(f, "alice", "1234", &c), PAM_SUCCESS);
        assert_int_equal(fixture_vcard_tries(&card, "jpki"), 3);
}

static void three_wrong_pins_lock_the_account_and_block_the_card(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;
        char out[4096];
        SKIP_IF_NO_PCSCD();
        insert_piv("alice-rsa", NULL);
        assert_int_equal(card_login(f, "alice", "111111", &c), PAM_AUTH_ERR);
        assert_true(fx_said(&c, "Wrong PIN. 2 tries left before the card blocks."));
        assert_int_equal(fixture_vcard_tries(&card, "piv"), 2);

        assert_int_equal(card_login(f, "alice", "222222", &c), PAM_AUTH_ERR);
        assert_true(fx_said(&c, "Wrong PIN. 1 tries left"));
        assert_int_equal(fixture_vcard_tries(&card, "piv"), 1);

        /* before the last try is spent, the user is warned */
        assert_int_equal(card_login(f, "alice", "333333", &c), PAM_AUTH_ERR);
        assert_true(fx_said(&c, "Only one PIN try is left on this card"));
        assert_true(fx_said(&c, "now locked"));
        assert_int_equal(fixture_vcard_tries(&card, "piv"), 0);

        assert_int_equal(fx_status_json(f, "alice", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "\"locked\":true"));
        /* locked: even the right PIN is not tried on the card */
        assert_int_equal(card_login(f, "alice", "123456", &c), PAM_MAXTRIES);
        assert_int_equal(c.n_prompts, 0);
}

static void revoked_card_is_refused(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;
        char out[4096];
        const char *list[] = { "card", "list", "alice", "--json", NULL };
        char fpr[80] = "";

        SKIP_IF_NO_PCSCD();
        insert_piv("alice-rsa", NULL);
        assert_int_equal(card_login(f, "alice", "123456", &c), PAM_SUCCESS);
        assert_int_equal(fx_kagictl(f, out, sizeof(out), list), 0);
        sscanf(strstr(out, "\"fingerprint\":\"") + 15, "%64[0-9a-f]", fpr);
        {
                const char *revoke[] = { "card", "revoke", "--fingerprint", fpr, "--reason", "reported lost", NULL };
                assert_int_equal(fx_kagictl(f, out, sizeof(out), revoke), 0);
        }
        assert_int_equal(card_login(f, "alice", "123456", &c), PAM_AUTH_ERR);
        assert_true(fx_said(&c, "This IC card has been revoked."));
        /* refused before the PIN was asked: the card's counter is untouched */
        assert_int_equal(c.n_prompts, 0);
        assert_int_equal(fixture_vcard_tries(&card, "piv"), 3);
}

static void certificate_revoked_by_crl_is_refused(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        SKIP_IF_NO_PCSCD();
        insert_piv("revoked-rsa", NULL);
        assert_int_equal(card_login(f, "alice", "123456", &c), PAM_AUTH_ERR);
        assert_true(fx_said(&c, "revoked"));
}

static void expired_certificate_is_refused(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        SKIP_IF_NO_PCSCD();
        insert_piv("expired-rsa", NULL);
        assert_int_equal(card_login(f, "alice", "123456", &c), PAM_AUTH_ERR);
        assert_true(fx_said(&c, "This IC card cannot be used to log in."));
        assert_int_equal(fx_audit_count(f, (const char *[]){ "reason=certificate: certificate has expired", NULL }), 1);
}

static void certificate_of_another_ca_is_refused(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        SKIP_IF_NO_PCSCD();
        insert_piv("other-rsa", NULL);
        assert_int_equal(card_login(f, "alice", "123456", &c), PAM_AUTH_ERR);
        assert_true(fx_said(&c, "This IC card cannot be used to log in."));
}

static void another_persons_card_is_refused_and_audited_as_sharing(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        SKIP_IF_NO_PCSCD();
        insert_piv("bob-rsa", NULL);
        assert_int_equal(card_login(f, "alice", "123456", &c), PAM_AUTH_ERR);
        assert_true(fx_said(&c, "registered to someone else"));
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=card-sharing", "account=alice", "person=bob", NULL }),
                         1);
        /* bob's own login with it works */
        assert_int_equal(card_login(f, "bob", "123456", &c), PAM_SUCCESS);
}

static void card_pulled_during_signing_aborts_the_login(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;
        char out[4096];
        SKIP_IF_NO_PCSCD();
        /* the card vanishes when GENERAL AUTHENTICATE (87) arrives */
        insert_piv("alice-rsa", (const char *[]){ "--vanish-on-ins", "87", NULL });
        assert_int_equal(card_login(f, "alice", "123456", &c), PAM_AUTH_ERR);
        assert_true(fx_said(&c, "The IC card was removed or could not be read. Login cancelled."));
        assert_int_equal(fx_status_json(f, "alice", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "\"failures\":0"));
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=auth", "result=aborted", NULL }), 1);
}

/* pam_kagi(8), "Abandoned prompts": nothing reaches the card, the attempt
 * the challenge reserved is given back, and it is recorded. */
static void no_pin_or_an_empty_one_is_abandoned_and_not_counted(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;
        char out[4096];

        SKIP_IF_NO_PCSCD();
        insert_piv("alice-rsa", NULL);
        assert_int_equal(card_login(f, "alice", NULL, &c), PAM_AUTH_ERR);
        assert_int_equal(card_login(f, "alice", "", &c), PAM_AUTH_ERR);
        assert_true(fx_said(&c, "Login cancelled: nothing was entered. This does not count as a failed attempt."));
        assert_int_equal(fx_status_json(f, "alice", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "\"failures\":0"));
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=auth", "factor=card+pin", "result=abandoned", NULL }),
                         2);
        /* the card's own PIN counter was never touched */
        assert_int_equal(fixture_vcard_tries(&card, "piv"), 3);
}

static void no_card_within_the_wait_is_refused(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        SKIP_IF_NO_PCSCD();
        /* no card in the reader; [card] wait = 1 */
        assert_int_equal(card_login(f, "alice", "123456", &c), PAM_AUTH_ERR);
        assert_int_equal(c.n_prompts, 0);
        assert_true(fx_said(&c, "Insert your IC card."));
}

static void pcscd_absent_is_refused_with_a_clear_message(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        SKIP_IF_NO_PCSCD();
        fixture_pcscd_stop(&card);
        assert_int_equal(card_login(f, "alice", "123456", &c), PAM_AUTH_ERR);
        assert_true(fx_said(&c, "No IC card reader is available."));
        assert_int_equal(fixture_pcscd_start(&card), 0);
}

static void password_and_code_still_work_without_a_card(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        SKIP_IF_NO_PCSCD();
        assert_int_equal(fx_enroll(f, "alice", FX_SECRET_ALICE), 0);
        assert_int_equal(fx_login_right(f, "alice", &c), PAM_SUCCESS);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
                T(right_pin_logs_in_with_a_piv_rsa_card),
                T(right_pin_logs_in_with_a_piv_ec_card),
                T(right_pin_logs_in_with_a_my_number_card),
                T(no_pin_or_an_empty_one_is_abandoned_and_not_counted),
                T(three_wrong_pins_lock_the_account_and_block_the_card),
                T(revoked_card_is_refused),
                T(certificate_revoked_by_crl_is_refused),
                T(expired_certificate_is_refused),
                T(certificate_of_another_ca_is_refused),
                T(another_persons_card_is_refused_and_audited_as_sharing),
                T(card_pulled_during_signing_aborts_the_login),
                T(no_card_within_the_wait_is_refused),
                T(pcscd_absent_is_refused_with_a_clear_message),
                T(password_and_code_still_work_without_a_card),
#undef T
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
