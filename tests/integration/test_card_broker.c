/* The broker's side of IC card login, over the real socket of a real kagid:
 * certificate checks, the registry (CARD-1..3), challenges, signatures, PIN
 * failures and lockout. The card itself is played by the test with the
 * certificate's private key; the login through PAM, pcscd and the virtual
 * card is in tests/card. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common.h"
#include "card_client.h"
#include "harness.h"

/* One PKI for the whole program: RSA keys take a while to make. */
static int group_setup(void **state)
{
        (void)state;
        return card_pki_make();
}

static int group_teardown(void **state)
{
        (void)state;
        return card_pki_remove();
}

static int setup(void **state)
{
        char extra[1024];
        struct fx *f;
        char out[4096];

        snprintf(extra, sizeof(extra), "[card]\nca_file = %s/ca.pem\ncrl_file = %s/crl.pem\n", card_pki, card_pki);
        f = fx_new(extra, NULL);
        if (!f)
                return -1;
        *state = f;
        {
                char cert[512];
                snprintf(cert, sizeof(cert), "%s/alice-rsa.pem", card_pki);
                const char *a[] = { "card", "register", "alice", "--cert", cert, NULL };
                if (fx_kagictl(f, out, sizeof(out), a) != 0)
                        return fprintf(stderr, "%s", out), -1;
                snprintf(cert, sizeof(cert), "%s/bob-rsa.pem", card_pki);
                const char *b[] = { "card", "register", "bob", "--cert", cert, NULL };
                if (fx_kagictl(f, out, sizeof(out), b) != 0)
                        return fprintf(stderr, "%s", out), -1;
        }
        return 0;
}

static int teardown(void **state)
{
        return fx_free(*state);
}

static void registered_card_with_right_signature_logs_in(void **state)
{
        struct fx *f = *state;
        struct card_answer a;

        assert_int_equal(card_login(f, "alice", "alice-rsa.pem", "alice-rsa.key", &a), KAGI_ALLOW);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=auth", "account=alice", "factor=card+pin",
                                                             "result=success", NULL }),
                         1);
}

static void challenge_is_single_use(void **state)
{
        struct fx *f = *state;
        struct card_answer ch, a;

        card_challenge_ask(f, "alice", "alice-rsa.pem", &ch);
        assert_int_equal(ch.decision, KAGI_CONTINUE);
        assert_int_equal(card_respond(f, "alice", "alice-rsa.pem", "alice-rsa.key", &ch, &a), KAGI_ALLOW);
        assert_int_equal(card_respond(f, "alice", "alice-rsa.pem", "alice-rsa.key", &ch, &a), KAGI_DENY_CARD);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "reason=challenge unknown, already used or expired", NULL }),
                         1);
}

static void signature_by_another_key_is_refused(void **state)
{
        struct fx *f = *state;
        struct card_answer ch, a;

        card_challenge_ask(f, "alice", "alice-rsa.pem", &ch);
        assert_int_equal(card_respond(f, "alice", "alice-rsa.pem", "bob-rsa.key", &ch, &a), KAGI_DENY_CREDENTIAL);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "reason=signature does not match the certificate", NULL }),
                         1);
}

static void another_persons_card_is_refused_and_recorded_as_sharing(void **state)
{
        struct fx *f = *state;
        struct card_answer a;

        assert_int_equal(card_login(f, "alice", "bob-rsa.pem", "bob-rsa.key", &a), KAGI_DENY_CARD);
        assert_non_null(strstr(a.message, "registered to someone else"));
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=card-sharing", "account=alice", "person=bob", NULL }),
                         1);
}

static void revoked_card_is_refused_on_the_next_attempt(void **state)
{
        struct fx *f = *state;
        struct card_answer ch, a;
        char out[4096];
        const char *list[] = { "card", "list", "alice", "--json", NULL };
        char serial[130] = "";

        assert_int_equal(fx_kagictl(f, out, sizeof(out), list), 0);
        assert_non_null(strstr(out, "\"state\":\"active\""));
        sscanf(strstr(out, "\"serial\":\"") + 10, "%129[0-9A-F]", serial);

        /* revoked between challenge and answer: the answer is refused */
        card_challenge_ask(f, "alice", "alice-rsa.pem", &ch);
        assert_int_equal(ch.decision, KAGI_CONTINUE);
        {
                const char *revoke[] = { "card", "revoke", serial, "--reason", "lost on the train", NULL };
                assert_int_equal(fx_kagictl(f, out, sizeof(out), revoke), 0);
        }
        assert_int_equal(card_respond(f, "alice", "alice-rsa.pem", "alice-rsa.key", &ch, &a), KAGI_DENY_CARD);
        assert_non_null(strstr(a.message, "revoked"));
        /* and every attempt after */
        assert_int_equal(card_login(f, "alice", "alice-rsa.pem", "alice-rsa.key", &a), KAGI_DENY_CARD);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=card-revoke", "account=alice", "person=root", NULL }),
                         1);
}

static void untrusted_expired_and_crl_revoked_certificates_are_refused(void **state)
{
        struct fx *f = *state;
        struct card_answer a;

        assert_int_equal(card_login(f, "alice", "revoked-rsa.pem", "revoked-rsa.key", &a), KAGI_DENY_CARD);
        assert_string_equal(a.message, "This IC card has been revoked. Contact your system administrator.");
        assert_int_equal(card_login(f, "alice", "other-rsa.pem", "other-rsa.key", &a), KAGI_DENY_CARD);
        assert_string_equal(a.message, "This IC card cannot be used to log in.");
        /* the third refused card is the third failure */
        assert_int_equal(card_login(f, "alice", "expired-rsa.pem", "expired-rsa.key", &a), KAGI_DENY_CARD);
        assert_non_null(strstr(a.message, "now locked"));
        assert_int_equal(fx_audit_count(f, (const char *[]){ "reason=certificate: certificate has expired", NULL }), 1);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "reason=certificate: certificate revoked", NULL }), 1);
}

static void unregistered_card_is_refused(void **state)
{
        struct fx *f = *state;
        struct card_answer a;

        assert_int_equal(card_login(f, "alice", "alice-ec.pem", "alice-ec.key", &a), KAGI_DENY_CARD);
        assert_non_null(strstr(a.message, "cannot be used"));
}

static uint32_t pin_failure(struct fx *f, const char *user, const char *cert, uint32_t retries, struct card_answer *a)
{
        struct card_answer ch;
        struct frame *req;

        card_challenge_ask(f, user, cert, &ch);
        if (ch.decision != KAGI_CONTINUE) {
                *a = ch;
                return ch.decision;
        }
        req = card_request_flags(KAGI_REQ_CARD_VERIFY, user, cert, KAGI_FLAG_CARD_PRESENT | KAGI_FLAG_PIN_FAILED);
        frame_put_blob(req, KAGI_T_CHALLENGE, ch.challenge, ch.challenge_len);
        frame_put_u32(req, KAGI_T_RETRIES, retries);
        card_call(f, req, a);
        return a->decision;
}

static void wrong_pins_count_and_lock(void **state)
{
        struct fx *f = *state;
        struct card_answer a;

        assert_int_equal(pin_failure(f, "alice", "alice-rsa.pem", 2, &a), KAGI_DENY_CREDENTIAL);
        assert_string_equal(a.message, "Wrong PIN. 2 tries left before the card blocks.");
        assert_int_equal(pin_failure(f, "alice", "alice-rsa.pem", 1, &a), KAGI_DENY_CREDENTIAL);
        assert_int_equal(pin_failure(f, "alice", "alice-rsa.pem", 0, &a), KAGI_DENY_CREDENTIAL);
        assert_non_null(strstr(a.message, "now locked"));
        /* locked: no challenge is even issued */
        assert_int_equal(card_login(f, "alice", "alice-rsa.pem", "alice-rsa.key", &a), KAGI_DENY_LOCKED);
}

static void aborted_login_is_not_counted(void **state)
{
        struct fx *f = *state;
        struct card_answer ch, a;
        struct frame *req;
        char out[4096];
        card_challenge_ask(f, "alice", "alice-rsa.pem", &ch);
        req = card_request_flags(KAGI_REQ_CARD_VERIFY, "alice", "alice-rsa.pem", KAGI_FLAG_CARD_ABORTED);
        frame_put_blob(req, KAGI_T_CHALLENGE, ch.challenge, ch.challenge_len);
        card_call(f, req, &a);
        assert_int_equal(a.decision, KAGI_DENY_CARD);
        assert_non_null(strstr(a.message, "removed"));
        assert_int_equal(fx_status_json(f, "alice", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "\"failures\":0"));
}

static void new_card_can_retire_the_old_one(void **state)
{
        struct fx *f = *state;
        struct card_answer a;
        char out[4096], cert[512];

        snprintf(cert, sizeof(cert), "%s/alice-ec.pem", card_pki);
        {
                const char *reg[] = { "card", "register", "alice", "--cert", cert, "--retire-old", NULL };
                assert_int_equal(fx_kagictl(f, out, sizeof(out), reg), 0);
        }
        assert_int_equal(card_login(f, "alice", "alice-ec.pem", "alice-ec.key", &a), KAGI_ALLOW);
        assert_int_equal(card_login(f, "alice", "alice-rsa.pem", "alice-rsa.key", &a), KAGI_DENY_CARD);
        {
                const char *list[] = { "card", "list", "alice", NULL };
                assert_int_equal(fx_kagictl(f, out, sizeof(out), list), 0);
                assert_non_null(strstr(out, "retired"));
                assert_non_null(strstr(out, "active"));
        }
}

static void registry_refuses_bad_registrations(void **state)
{
        struct fx *f = *state;
        char out[4096], cert[512];

        snprintf(cert, sizeof(cert), "%s/bob-rsa.pem", card_pki);
        {
                /* CARD-1: one card, one person */
                const char *again[] = { "card", "register", "carol", "--cert", cert, NULL };
                assert_int_equal(fx_kagictl(f, out, sizeof(out), again), 1);
                assert_non_null(strstr(out, "already registered to bob"));
        }
        snprintf(cert, sizeof(cert), "%s/other-rsa.pem", card_pki);
        {
                const char *untrusted[] = { "card", "register", "carol", "--cert", cert, NULL };
                assert_int_equal(fx_kagictl(f, out, sizeof(out), untrusted), 1);
                assert_non_null(strstr(out, "not registered"));
        }
        {
                const char *junk[] = { "card", "register", "carol", "--cert", "/etc/hostname", NULL };
                assert_int_equal(fx_kagictl(f, out, sizeof(out), junk), 1);
                assert_non_null(strstr(out, "not an X.509 certificate"));
        }
        {
                const char *fp[] = { "card", "revoke", "--fingerprint", "zz", "--reason", "x", NULL };
                assert_int_equal(fx_kagictl(f, out, sizeof(out), fp), 1);
                assert_non_null(strstr(out, "64 hex digits"));
        }
}

/* The broker keeps recent certificates' verdicts; a new CRL on disk must
 * still take effect at the next attempt, without a restart. */
static void new_crl_takes_effect_at_once(void **state)
{
        struct fx *f = *state;
        struct card_answer a;
        char cmd[2048];

        /* a private copy of the PKI, whose CRL file the broker is pointed at */
        snprintf(cmd, sizeof(cmd), "cp -r %s %s/pki && cp %s/pki/crl.pem %s/card.crl", card_pki, f->dir, f->dir, f->dir);
        assert_int_equal(system(cmd), 0);
        fx_stop(f, SIGTERM);
        snprintf(cmd, sizeof(cmd), "sed -i 's#^crl_file = .*#crl_file = %s/card.crl#' %s", f->dir, f->conf);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(fx_start(f), 0);

        assert_int_equal(card_login(f, "alice", "alice-rsa.pem", "alice-rsa.key", &a), KAGI_ALLOW);
        /* the CA revokes alice's card and publishes a new CRL */
        snprintf(cmd, sizeof(cmd),
                 "cd %s/pki && CA_NAME=ca openssl ca -config openssl-ca.cnf -revoke alice-rsa.pem >/dev/null 2>&1 && "
                 "CA_NAME=ca openssl ca -config openssl-ca.cnf -gencrl -out %s/card.crl.new >/dev/null 2>&1 && "
                 "mv %s/card.crl.new %s/card.crl",
                 f->dir, f->dir, f->dir, f->dir);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(card_login(f, "alice", "alice-rsa.pem", "alice-rsa.key", &a), KAGI_DENY_CARD);
        assert_string_equal(a.message, "This IC card has been revoked. Contact your system administrator.");
}

/* [card] ca_file may be a hashed directory of CA certificates. */
static void ca_directory_is_accepted(void **state)
{
        struct fx *f = *state;
        struct card_answer a;
        char cmd[2048];

        snprintf(cmd, sizeof(cmd), "mkdir %s/cas && cp %s/ca.pem %s/cas/ && openssl rehash %s/cas && "
                 "sed -i 's#^ca_file = .*#ca_file = %s/cas#' %s",
                 f->dir, card_pki, f->dir, f->dir, f->dir, f->conf);
        fx_stop(f, SIGTERM);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(fx_start(f), 0);
        assert_int_equal(card_login(f, "alice", "alice-rsa.pem", "alice-rsa.key", &a), KAGI_ALLOW);
        assert_int_equal(card_login(f, "alice", "other-rsa.pem", "other-rsa.key", &a), KAGI_DENY_CARD);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
                T(registered_card_with_right_signature_logs_in),
                T(challenge_is_single_use),
                T(signature_by_another_key_is_refused),
                T(another_persons_card_is_refused_and_recorded_as_sharing),
                T(revoked_card_is_refused_on_the_next_attempt),
                T(untrusted_expired_and_crl_revoked_certificates_are_refused),
                T(unregistered_card_is_refused),
                T(wrong_pins_count_and_lock),
                T(aborted_login_is_not_counted),
                T(new_card_can_retire_the_old_one),
                T(registry_refuses_bad_registrations),
                T(new_crl_takes_effect_at_once),
                T(ca_directory_is_accepted),
#undef T
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
