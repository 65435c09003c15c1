/* IC card + PIN login end to end: the real PAM stack loads pam_kagi.so, which
 * talks to a real pcscd (vpcd driver) holding the virtual card, and to a real
 * kagid that checks everything. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>
#include <security/pam_appl.h>

#include "common.h"
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
        /* the test's PAM services stand for the console (like login, gdm):
         * the person is at the reader */
        snprintf(extra, sizeof(extra), "[card]\nca_file = %s\ncrl_file = %s\nwait = 1\n%s%s", pki("ca.pem"),
                 pki("crl.pem"), more && strstr(more, "local_services") ? "" : "local_services = kagi-only kagi-stack\n",
                 more ? more : "");
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

static int failures_of(struct fx *f, const char *user)
{
        char out[4096];
        const char *p;

        if (fx_status_json(f, user, out, sizeof(out)) < 0 || !(p = strstr(out, "\"failures\":")))
                return -1;
        return atoi(p + 11);
}

/* CARD-1, counted: someone else's card on a personal account is a failure
 * of that account, as a wrong PIN is. */
static void another_persons_card_counts_toward_the_accounts_lock(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        SKIP_IF_NO_PCSCD();
        insert_piv("bob-rsa", NULL);
        assert_int_equal(card_login(f, "alice", "123456", &c), PAM_AUTH_ERR);
        assert_int_equal(failures_of(f, "alice"), 1);
        assert_int_equal(failures_of(f, "bob"), 0);
}

/* A shared ID (SID-1) whose member alice is: her card names her. */
static int setup_shared(void **state)
{
        return setup_with(state, "[shared madoguchi01]\nusers = alice\n");
}

static void member_by_card_logs_in_to_the_shared_id_attributed(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        SKIP_IF_NO_PCSCD();
        insert_piv("alice-rsa", NULL);
        memset(&c, 0, sizeof(c));
        c.answers[0] = "123456";
        assert_int_equal(fx_pam(f, "kagi-stack", "madoguchi01", &c, FX_AUTH | FX_ACCOUNT | FX_SESSION), PAM_SUCCESS);
        /* no personal ID asked: the card said who */
        assert_int_equal(c.n_prompts, 1);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=auth", "account=madoguchi01", "person=alice",
                                                             "factor=card+pin", "result=success", NULL }),
                         1);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=login", "account=madoguchi01", "person=alice",
                                                             NULL }),
                         1);
}

static void non_member_by_card_is_refused_counted_and_audited(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        SKIP_IF_NO_PCSCD();
        insert_piv("bob-rsa", NULL);
        memset(&c, 0, sizeof(c));
        c.answers[0] = "123456";
        assert_int_not_equal(fx_pam(f, "kagi-stack", "madoguchi01", &c, FX_AUTH), PAM_SUCCESS);
        assert_true(fx_said(&c, "not a registered member of the shared ID madoguchi01"));
        assert_int_equal(failures_of(f, "bob"), 1);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=shared-misuse", "account=madoguchi01",
                                                             "person=bob", NULL }),
                         1);
        /* no PIN was spent on a login that could not be */
        assert_int_equal(fixture_vcard_tries(&card, "piv"), 3);
}

/* One card, two sessions at once: a cloned or lent card. */
static void the_same_card_in_two_sessions_is_refused_and_flagged(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;
        pid_t first;

        SKIP_IF_NO_PCSCD();
        insert_piv("alice-rsa", NULL);
        memset(&c, 0, sizeof(c));
        c.answers[0] = "123456";
        assert_int_equal(fx_hold(f, "kagi-only", "alice", "tty1", NULL, &c, &first), PAM_SUCCESS);
        memset(&c, 0, sizeof(c));
        c.answers[0] = "123456";
        assert_int_not_equal(fx_pam_items(f, "kagi-only", "alice", "tty2", NULL, NULL, &c, FX_AUTH | FX_ACCOUNT),
                             PAM_SUCCESS);
        assert_true(fx_said(&c, "already in use in another session"));
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=card-in-use", "account=alice", "result=flagged",
                                                             NULL }),
                         1);
        /* after a logout the card is free again */
        assert_int_equal(fx_unhold(first, SIGTERM), PAM_SUCCESS);
        memset(&c, 0, sizeof(c));
        c.answers[0] = "123456";
        assert_int_equal(fx_pam_items(f, "kagi-only", "alice", "tty2", NULL, NULL, &c, FX_AUTH | FX_ACCOUNT),
                         PAM_SUCCESS);
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

/* ---- a card proves possession only for the person at the reader ---------- */

/* Over ssh, the card in the reader is whoever left it there. */
static int remote_login(struct fx *f, const char *service, const char *const answers[], struct fx_conv *c)
{
        memset(c, 0, sizeof(*c));
        for (size_t i = 0; answers[i] && i < FX_MAX_MSGS; i++)
                c->answers[i] = answers[i];
        return fx_pam_items(f, service, "alice", "pts/3", "203.0.113.9", NULL, c, FX_AUTH | FX_ACCOUNT);
}

static void remote_login_never_spends_a_pin_try(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        SKIP_IF_NO_PCSCD();
        insert_piv("alice-rsa", NULL);
        /* kagi alone, as a remote attacker guessing the card's PIN would use it */
        assert_int_equal(remote_login(f, "kagi-only", (const char *[]){ "000000", NULL }, &c), PAM_PERM_DENIED);
        assert_int_equal(c.n_prompts, 0);
        assert_int_equal(fixture_vcard_tries(&card, "piv"), 3);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=auth", "account=alice", "result=denied",
                                                             "reason=no accepted factor set can be completed", NULL }),
                         1);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "factor=card+pin", NULL }), 0);
}

/* The documented stack with alice's card in the reader: password and code
 * are asked for (no PIN), and the card is not touched. */
static void password_and_code_with_the_card_left_alone(struct fx *f, const char *rhost)
{
        struct fx_conv c = { .answers = { "pw-alice" } };
        char code[16];

        assert_int_equal(fx_enroll(f, "alice", FX_SECRET_ALICE), 0);
        insert_piv("alice-rsa", NULL);
        fx_code(FX_SECRET_ALICE, 0, code);
        c.answers[1] = code;
        assert_int_equal(fx_pam_items(f, "kagi-stack", "alice", "pts/3", rhost, NULL, &c, FX_AUTH | FX_ACCOUNT),
                         PAM_SUCCESS);
        assert_int_equal(c.n_prompts, 2);
        assert_string_not_equal(c.prompts[1], "IC card PIN: ");
        assert_int_equal(fixture_vcard_tries(&card, "piv"), 3);
}

static void remote_login_asks_for_password_and_code_with_a_card_in_the_reader(void **state)
{
        SKIP_IF_NO_PCSCD();
        password_and_code_with_the_card_left_alone(*state, "203.0.113.9");
}

/* Not listed in [card] local_services (su, sudo, a VPN's service …): as remote. */
static void service_not_at_the_reader_ignores_the_card(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        SKIP_IF_NO_PCSCD();
        password_and_code_with_the_card_left_alone(f, NULL);
        /* kagi-only is at the reader in this fixture: the card works there */
        assert_int_equal(card_login(f, "alice", "123456", &c), PAM_SUCCESS);
}

static int setup_kagi_stack_not_local(void **state)
{
        return setup_with(state, "local_services = kagi-only\n");
}

/* In pcscd's place, a socket that counts who connects to it and hangs up:
 * every PC/SC call of the module starts with such a connection. */
struct pcsc_trap {
        int fd;
        pthread_t thread;
        int connections;
        bool stop;
        pthread_mutex_t lock;
};

static void *trap_serve(void *userdata)
{
        struct pcsc_trap *t = userdata;

        for (;;) {
                struct pollfd p = { .fd = t->fd, .events = POLLIN };
                bool stop;
                int fd;

                pthread_mutex_lock(&t->lock);
                stop = t->stop;
                pthread_mutex_unlock(&t->lock);
                if (stop)
                        return NULL;
                if (poll(&p, 1, 50) <= 0)
                        continue;
                fd = accept4(t->fd, NULL, NULL, SOCK_CLOEXEC);
                if (fd < 0)
                        continue;
                close(fd);
                pthread_mutex_lock(&t->lock);
                t->connections++;
                pthread_mutex_unlock(&t->lock);
        }
}

static void trap_start(struct pcsc_trap *t)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        *t = (struct pcsc_trap){ .fd = -1 };
        pthread_mutex_init(&t->lock, NULL);
        fixture_pcscd_stop(&card);
        unlink(card.socket);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", card.socket);
        t->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(t->fd >= 0);
        assert_int_equal(bind(t->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(listen(t->fd, 16), 0);
        assert_int_equal(pthread_create(&t->thread, NULL, trap_serve, t), 0);
}

static int trap_connections(struct pcsc_trap *t)
{
        int n;

        pthread_mutex_lock(&t->lock);
        n = t->connections;
        pthread_mutex_unlock(&t->lock);
        return n;
}

static void trap_stop(struct pcsc_trap *t)
{
        pthread_mutex_lock(&t->lock);
        t->stop = true;
        pthread_mutex_unlock(&t->lock);
        pthread_join(t->thread, NULL);
        close(t->fd);
        unlink(card.socket);
        pthread_mutex_destroy(&t->lock);
        assert_int_equal(fixture_pcscd_start(&card), 0);
}

static void remote_login_makes_no_pcsc_call_at_all(void **state)
{
        struct fx *f = *state;
        struct pcsc_trap trap;
        struct fx_conv c;
        char code[16];

        SKIP_IF_NO_PCSCD();
        assert_int_equal(fx_enroll(f, "alice", FX_SECRET_ALICE), 0);
        trap_start(&trap);
        fx_code(FX_SECRET_ALICE, 0, code);
        assert_int_equal(remote_login(f, "kagi-stack", (const char *[]){ "pw-alice", code, NULL }, &c), PAM_SUCCESS);
        assert_int_equal(trap_connections(&trap), 0);
        /* the same login at the console looks for a card: the trap sees it */
        fx_code(FX_SECRET_ALICE, 1, code);
        assert_int_equal(fx_login(f, "alice", "pw-alice", code, &c), PAM_SUCCESS);
        assert_true(trap_connections(&trap) > 0);
        trap_stop(&trap);
}

/* A broker that asks for the card anyway (older, or not kagid at all): the
 * module still never touches the reader for a remote login. */
static void module_refuses_a_card_the_broker_asks_for_remotely(void **state)
{
        static const struct fx_fake_answer answers[] = {
                { KAGI_REQ_BEGIN, KAGI_CONTINUE, KAGI_F_CARD | KAGI_F_PIN, NULL },
                { KAGI_REQ_CARD_CHALLENGE, KAGI_CONTINUE, 0, NULL },
                { KAGI_REQ_CARD_VERIFY, KAGI_ALLOW, 0, NULL },
                { KAGI_REQ_ACCOUNT, KAGI_ALLOW, 0, NULL },
        };
        struct fx *f = *state;
        struct pcsc_trap trap;
        struct fx_conv c;
        pid_t fake;

        SKIP_IF_NO_PCSCD();
        fx_stop(f, SIGTERM);
        fake = fx_fake_broker(f, 0, answers, ARRAY_SIZE(answers));
        assert_true(fake > 0);
        trap_start(&trap);
        assert_int_equal(remote_login(f, "kagi-only", (const char *[]){ "123456", NULL }, &c), PAM_PERM_DENIED);
        assert_int_equal(c.n_prompts, 0);
        assert_int_equal(trap_connections(&trap), 0);
        trap_stop(&trap);
        fx_fake_broker_stop(fake);
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
                T(another_persons_card_counts_toward_the_accounts_lock),
                cmocka_unit_test_setup_teardown(member_by_card_logs_in_to_the_shared_id_attributed, setup_shared,
                                                teardown),
                cmocka_unit_test_setup_teardown(non_member_by_card_is_refused_counted_and_audited, setup_shared,
                                                teardown),
                T(the_same_card_in_two_sessions_is_refused_and_flagged),
                T(card_pulled_during_signing_aborts_the_login),
                T(no_card_within_the_wait_is_refused),
                T(pcscd_absent_is_refused_with_a_clear_message),
                T(password_and_code_still_work_without_a_card),
                T(remote_login_never_spends_a_pin_try),
                T(remote_login_asks_for_password_and_code_with_a_card_in_the_reader),
                cmocka_unit_test_setup_teardown(service_not_at_the_reader_ignores_the_card, setup_kagi_stack_not_local, teardown),
                T(remote_login_makes_no_pcsc_call_at_all),
                T(module_refuses_a_card_the_broker_asks_for_remotely),
#undef T
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
