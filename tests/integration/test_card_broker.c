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
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sqlite3.h>

#include "card_client.h"
#include "common.h"
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

/* Zones as a municipality might have them: one where cards are accepted
 * (the default), one for password + code only. */
static int setup_zones(void **state)
{
        char extra[1024];
        struct fx *f;
        char out[4096], cert[512];

        snprintf(extra, sizeof(extra),
                 "[card]\nca_file = %s/ca.pem\ncrl_file = %s/crl.pem\n"
                 "[zone default]\nfactors = card+pin password+totp\nusers = *\n"
                 "[zone pwonly]\nfactors = password+totp\nusers = *\n",
                 card_pki, card_pki);
        f = fx_new(extra, NULL);
        if (!f)
                return -1;
        *state = f;
        snprintf(cert, sizeof(cert), "%s/alice-rsa.pem", card_pki);
        const char *a[] = { "card", "register", "alice", "--cert", cert, NULL };
        if (fx_kagictl(f, out, sizeof(out), a) != 0)
                return fprintf(stderr, "%s", out), -1;
        return 0;
}

static int teardown(void **state)
{
        return fx_free(*state);
}

/* A login request as sshd (or another service) would send it. */
static struct frame *request_from(uint8_t type, const char *user, const char *cert_name, uint32_t flags,
                                  const char *service, const char *rhost)
{
        struct frame *f = frame_new(type);
        uint8_t cert[16384];
        size_t len = 0;

        frame_put_str(f, KAGI_T_USER, user);
        frame_put_str(f, KAGI_T_SERVICE, service);
        frame_put_str(f, KAGI_T_TTY, "pts/3");
        frame_put_str(f, KAGI_T_RHOST, rhost);
        frame_put_u32(f, KAGI_T_FLAGS, flags);
        if (cert_name) {
                assert_int_equal(card_read_pki(cert_name, cert, sizeof(cert), &len), 0);
                frame_put_blob(f, KAGI_T_CERT, cert, len);
        }
        return f;
}

static struct frame *request_in_zone(uint8_t type, const char *user, const char *cert_name, const char *zone)
{
        struct frame *f = card_request(type, user, cert_name);

        frame_put_str(f, KAGI_T_ZONE, zone);
        return f;
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

/* admin_group may not register a card to uid 0 or a member of
 * privileged_groups (dave is in wheel): the card's holder could log in as
 * them. To an ordinary account it may; root may to either. */
static void admin_group_may_not_register_a_card_to_a_privileged_account(void **state)
{
        struct fx *f = *state;
        char out[4096], cert[512];

        snprintf(cert, sizeof(cert), "%s/alice-ec.pem", card_pki);
        {
                const char *to_dave[] = { "card", "register", "dave", "--cert", cert, NULL };
                const char *to_root[] = { "card", "register", "root", "--cert", cert, NULL };

                assert_int_equal(fx_kagictl_as(f, 1004, 1004, out, sizeof(out), to_dave), 1);
                assert_non_null(strstr(out, "only root may bind a card to it"));
                assert_int_equal(fx_kagictl_as(f, 1004, 1004, out, sizeof(out), to_root), 1);
                assert_int_equal(fx_audit_count(f, (const char *[]){ "event=card-register", "person=eve",
                                                                     "result=denied", NULL }),
                                 2);
                assert_int_equal(fx_kagictl(f, out, sizeof(out), to_dave), 0);
        }
        {
                const char *to_carol[] = { "card", "register", "carol", "--cert", NULL, NULL };

                snprintf(cert, sizeof(cert), "%s/alice-jpki.pem", card_pki);
                to_carol[4] = cert;
                assert_int_equal(fx_kagictl_as(f, 1004, 1004, out, sizeof(out), to_carol), 0);
        }
}

/* When the store cannot be written, a revocation is refused as such, and
 * nothing of a card row that was never read goes into an answer or a log. */
static void revoke_while_the_store_is_busy_is_refused(void **state)
{
        struct fx *f = *state;
        char out[4096], serial[130] = "";
        const char *list[] = { "card", "list", "alice", "--json", NULL };
        sqlite3 *db;

        assert_int_equal(fx_kagictl(f, out, sizeof(out), list), 0);
        sscanf(strstr(out, "\"serial\":\"") + 10, "%129[0-9A-F]", serial);
        /* another writer holds the database past kagid's busy timeout */
        assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
        {
                const char *revoke[] = { "card", "revoke", serial, "--reason", "lost", NULL };
                assert_int_equal(fx_kagictl(f, out, sizeof(out), revoke), 1);
                assert_non_null(strstr(out, "cannot revoke the card"));
        }
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_close(db);
        /* kagid is fine, and the card was not revoked */
        assert_int_equal(fx_kagictl(f, out, sizeof(out), list), 0);
        assert_non_null(strstr(out, "\"state\":\"active\""));
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=card-revoke", NULL }), 0);
}

/* A private copy of the PKI whose CRL file (dir/card.crl, with `touch` run
 * on it when touch_args is given) kagid is restarted on; alice's card logs in. */
static void private_crl(struct fx *f, const char *touch_args)
{
        struct card_answer a;
        char cmd[4096];

        snprintf(cmd, sizeof(cmd),
                 "cp -r %s %s/pki && cp %s/pki/crl.pem %s/card.crl && { [ -z '%s' ] || touch %s %s/card.crl; } && "
                 "sed -i 's#^crl_file = .*#crl_file = %s/card.crl#' %s",
                 card_pki, f->dir, f->dir, f->dir, touch_args ? touch_args : "", touch_args ? touch_args : "", f->dir,
                 f->dir, f->conf);
        fx_stop(f, SIGTERM);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(fx_start(f), 0);
        assert_int_equal(card_login(f, "alice", "alice-rsa.pem", "alice-rsa.key", &a), KAGI_ALLOW);
}

/* The CA revokes alice's card and writes a new CRL to dir/new.crl, then
 * `install` (a shell command) puts it in place of dir/card.crl. */
static void publish_crl_revoking_alice(struct fx *f, const char *install)
{
        char cmd[4096];

        snprintf(cmd, sizeof(cmd),
                 "cd %s/pki && CA_NAME=ca openssl ca -config openssl-ca.cnf -revoke alice-rsa.pem >/dev/null 2>&1 && "
                 "CA_NAME=ca openssl ca -config openssl-ca.cnf -gencrl -out %s/new.crl >/dev/null 2>&1 && cd %s && %s",
                 f->dir, f->dir, f->dir, install);
        assert_int_equal(system(cmd), 0);
}

static void alice_is_refused_as_revoked(struct fx *f)
{
        struct card_answer a;

        assert_int_equal(card_login(f, "alice", "alice-rsa.pem", "alice-rsa.key", &a), KAGI_DENY_CARD);
        assert_string_equal(a.message, "This IC card has been revoked. Contact your system administrator.");
}

/* The broker keeps recent certificates' verdicts; a new CRL on disk must
 * still take effect at the next attempt, without a restart. */
static void new_crl_takes_effect_at_once(void **state)
{
        struct fx *f = *state;

        private_crl(f, NULL);
        publish_crl_revoking_alice(f, "mv new.crl card.crl");
        alice_is_refused_as_revoked(f);
}

/* A CRL copied in with its original, older mtime (cp -p, rsync -t, curl -R,
 * wget -N), over the old file in place, is a change all the same. */
static void crl_copied_with_an_old_mtime_takes_effect(void **state)
{
        struct fx *f = *state;

        /* the CRL in use is older than the CA file, so "the newest mtime"
         * of the trust files is the CA's, before and after the copy */
        private_crl(f, "-d 2001-01-01");
        publish_crl_revoking_alice(f, "touch -d 2000-01-01 new.crl && cp -p new.crl card.crl");
        alice_is_refused_as_revoked(f);
}

/* Every path to ALLOW checks the zone: where only password+totp is accepted,
 * a card gets neither a challenge nor, with one issued elsewhere, an ALLOW. */
static void card_is_refused_in_a_zone_without_card_sets(void **state)
{
        struct fx *f = *state;
        struct card_answer ch, a;
        struct frame *req;
        uint8_t sig[1024];
        size_t n;

        card_call(f, request_in_zone(KAGI_REQ_CARD_CHALLENGE, "alice", "alice-rsa.pem", "pwonly"), &a);
        assert_int_equal(a.decision, KAGI_DENY_POLICY);
        assert_int_equal(a.challenge_len, 0);

        /* a challenge from the card zone, answered as a login to the other */
        card_challenge_ask(f, "alice", "alice-rsa.pem", &ch);
        assert_int_equal(ch.decision, KAGI_CONTINUE);
        req = request_in_zone(KAGI_REQ_CARD_VERIFY, "alice", "alice-rsa.pem", "pwonly");
        n = card_sign("alice-rsa.key", ch.challenge, ch.challenge_len, sig, sizeof(sig));
        frame_put_blob(req, KAGI_T_CHALLENGE, ch.challenge, ch.challenge_len);
        frame_put_blob(req, KAGI_T_SIGNATURE, sig, n);
        card_call(f, req, &a);
        assert_int_equal(a.decision, KAGI_DENY_POLICY);

        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=auth", "account=alice", "factor=card+pin",
                                                             "result=denied",
                                                             "reason=zone pwonly does not accept card+pin", NULL }),
                         2);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=auth", "result=success", NULL }), 0);
        /* the card zone itself still takes the card */
        assert_int_equal(card_login(f, "alice", "alice-rsa.pem", "alice-rsa.key", &a), KAGI_ALLOW);
}

/* A card proves possession only for the person at its reader: a remote
 * login, or a service that is not at the console, never gets a challenge,
 * even from a module that asks, and the refusal is audited. */
static void card_is_refused_for_a_login_not_at_the_reader(void **state)
{
        struct fx *f = *state;
        struct card_answer ch, a;
        struct frame *req;
        char out[4096];

        card_call(f, request_from(KAGI_REQ_CARD_CHALLENGE, "alice", "alice-rsa.pem", KAGI_FLAG_CARD_PRESENT, "login",
                             "203.0.113.9"),
             &a);
        assert_int_equal(a.decision, KAGI_DENY_POLICY);
        assert_int_equal(a.challenge_len, 0);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=auth", "account=alice", "factor=card+pin",
                                                             "result=denied",
                                                             "reason=remote login (from 203.0.113.9): a card proves "
                                                             "nothing there",
                                                             NULL }),
                         1);
        /* su and sudo run wherever their caller is; sshd is remote even
         * without a host name */
        for (size_t i = 0; i < 3; i++) {
                const char *svc = (const char *[]){ "sshd", "su", "sudo" }[i];

                card_call(f, request_from(KAGI_REQ_CARD_CHALLENGE, "alice", "alice-rsa.pem", KAGI_FLAG_CARD_PRESENT,
                                     svc, NULL),
                     &a);
                assert_int_equal(a.decision, KAGI_DENY_POLICY);
        }
        /* refusals of where, not of what: nothing counted against alice */
        assert_int_equal(fx_status_json(f, "alice", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "\"failures\":0"));
        /* a challenge issued at the console, answered from afar */
        card_challenge_ask(f, "alice", "alice-rsa.pem", &ch);
        assert_int_equal(ch.decision, KAGI_CONTINUE);
        req = request_from(KAGI_REQ_CARD_VERIFY, "alice", "alice-rsa.pem", KAGI_FLAG_CARD_PRESENT, "login",
                           "203.0.113.9");
        {
                uint8_t sig[1024];
                size_t n = card_sign("alice-rsa.key", ch.challenge, ch.challenge_len, sig, sizeof(sig));

                frame_put_blob(req, KAGI_T_CHALLENGE, ch.challenge, ch.challenge_len);
                frame_put_blob(req, KAGI_T_SIGNATURE, sig, n);
        }
        card_call(f, req, &a);
        assert_int_equal(a.decision, KAGI_DENY_POLICY);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=auth", "result=success", NULL }), 0);
}

/* Which factors to collect: a remote login is never offered a card set,
 * whatever the module says is in the reader. */
static void remote_login_is_not_offered_the_card(void **state)
{
        struct fx *f = *state;
        _cleanup_(msg_freep) struct kagi_msg *m = msg_new();
        _cleanup_(closep) int fd = -1;
        struct frame *req;

        /* the documented stack checked the password: the code is what is left */
        req = request_from(KAGI_REQ_BEGIN, "alice", NULL, KAGI_FLAG_CARD_PRESENT | KAGI_FLAG_STACKED_PASSWORD,
                           "sshd", "203.0.113.9");
        assert_int_equal(io_connect_unix(f->sock, now_ms() + 5000, &fd), 0);
        assert_int_equal(frame_send(fd, req, now_ms() + 5000), 0);
        assert_int_equal(frame_recv(fd, m, now_ms() + 5000), 0);
        frame_free(req);
        assert_int_equal(msg_u32(m, KAGI_T_DECISION, UINT32_MAX), KAGI_CONTINUE);
        assert_int_equal(msg_u32(m, KAGI_T_FACTORS, 0), KAGI_F_TOTP);
}

static void card_only_zone_refuses_a_remote_login(void **state)
{
        struct fx *f = *state;
        struct card_answer a;

        card_call(f, request_from(KAGI_REQ_BEGIN, "alice", NULL, KAGI_FLAG_CARD_PRESENT | KAGI_FLAG_STACKED_PASSWORD,
                             "sshd", "203.0.113.9"),
             &a);
        assert_int_equal(a.decision, KAGI_DENY_POLICY);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=auth", "account=alice", "result=denied",
                                                             "reason=no accepted factor set can be completed", NULL }),
                         1);
        /* at the console the card is asked for */
        card_call(f, request_from(KAGI_REQ_BEGIN, "alice", NULL, 0, "login", NULL), &a);
        assert_int_equal(a.decision, KAGI_CONTINUE);
}

static int setup_cards_only(void **state)
{
        char extra[1024];
        struct fx *f;

        snprintf(extra, sizeof(extra),
                 "[card]\nca_file = %s/ca.pem\ncrl_file = %s/crl.pem\n"
                 "[zone default]\nfactors = card+pin\nusers = *\n",
                 card_pki, card_pki);
        f = fx_new(extra, NULL);
        *state = f;
        return f ? 0 : -1;
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
                T(crl_copied_with_an_old_mtime_takes_effect),
                cmocka_unit_test_setup_teardown(card_is_refused_in_a_zone_without_card_sets, setup_zones, teardown),
                T(admin_group_may_not_register_a_card_to_a_privileged_account),
                T(revoke_while_the_store_is_busy_is_refused),
                T(card_is_refused_for_a_login_not_at_the_reader),
                T(remote_login_is_not_offered_the_card),
                cmocka_unit_test_setup_teardown(card_only_zone_refuses_a_remote_login, setup_cards_only, teardown),
#undef T
        };

        /* meson runs some of them again with kagid under valgrind */
        if (getenv("KAGI_TEST_FILTER"))
                cmocka_set_test_filter(getenv("KAGI_TEST_FILTER"));
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
