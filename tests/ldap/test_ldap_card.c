/* A card bound to its person by the directory (userCertificate;binary)
 * rather than by kagictl card register: real slapd, real pcscd with the
 * virtual card, real kagid, the real PAM stack. */
#include <setjmp.h>
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
#include "slapd.h"

static struct slapd slapd;
static struct card_fixture card;
static bool skip_all;

static int group_setup(void **state)
{
        (void)state;
        if (slapd_test_start(&slapd) < 0 || fixture_start(&card, &skip_all) < 0)
                return -1;
        return 0;
}

static int group_teardown(void **state)
{
        (void)state;
        fixture_cleanup(&card);
        slapd_stop(&slapd);
        return 0;
}

static int setup(void **state)
{
        char extra[2048], ca[300], pw[300];

        if (skip_all)
                return 0;
        slapd_path(&slapd, "ca.pem", ca, sizeof(ca));
        slapd_path(&slapd, "service.pw", pw, sizeof(pw));
        /* the directory's CA issued the people's card certificates too */
        snprintf(extra, sizeof(extra),
                 "[directory]\nbackend = ldap\nuri = %s\nbase = %s\nbind_dn = %s\nbind_password_file = %s\n"
                 "ca_file = %s\ntimeout = 5\ncache_ttl = 1\n"
                 "[card]\nca_file = %s\nwait = 5\nlocal_services = kagi-only\n"     /* as the console */
                 "[zone default]\nfactors = card+pin password+totp\ngroups = staff\n",
                 slapd.ldaps_uri, slapd.base, slapd.service_dn, pw, ca, ca);
        *state = fx_new(extra, NULL);
        return *state ? 0 : -1;
}

static int teardown(void **state)
{
        fixture_vcard_stop(&card);
        return skip_all ? 0 : fx_free(*state);
}

static void insert(const char *person)
{
        char cert[300], key[300], name[64];

        snprintf(name, sizeof(name), "certs/%s.pem", person);
        slapd_path(&slapd, name, cert, sizeof(cert));
        snprintf(name, sizeof(name), "certs/%s.key", person);
        slapd_path(&slapd, name, key, sizeof(key));
        unlink(card.vcard_state);
        assert_int_equal(fixture_vcard_start(&card, (const char *[]){ "--piv-cert", cert, "--piv-key", key,
                                                                      "--piv-pin", "123456", NULL }),
                         0);
}

static int card_login(struct fx *f, const char *user, struct fx_conv *c)
{
        memset(c, 0, sizeof(*c));
        c->answers[0] = "123456";
        return fx_pam(f, "kagi-only", user, c, FX_AUTH | FX_ACCOUNT);
}

static void card_listed_in_the_directory_logs_in(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        if (skip_all)
                skip();
        insert("tanaka-1");
        assert_int_equal(card_login(f, "tanaka", &c), PAM_SUCCESS);
        insert("tanaka-2");
        assert_int_equal(card_login(f, "tanaka", &c), PAM_SUCCESS);
        assert_int_equal(fx_audit_count(f, (const char *[]){ "event=auth", "account=tanaka", "factor=card+pin",
                                                             "result=success", NULL }),
                         2);
}

static void card_listed_for_someone_else_is_refused(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;

        if (skip_all)
                skip();
        /* yamada's certificate, from the same CA, is not in tanaka's entry */
        insert("yamada");
        assert_int_equal(card_login(f, "tanaka", &c), PAM_AUTH_ERR);
        if (!fx_said(&c, "This IC card cannot be used to log in."))
                fx_conv_print(&c);
        assert_true(fx_said(&c, "This IC card cannot be used to log in."));
        assert_int_equal(c.n_prompts, 0);
}

static void certificate_removed_from_the_directory_stops_the_card(void **state)
{
        struct fx *f = *state;
        struct fx_conv c;
        char der[300], ldif[1024];

        if (skip_all)
                skip();
        insert("tanaka-1");
        assert_int_equal(card_login(f, "tanaka", &c), PAM_SUCCESS);
        slapd_path(&slapd, "certs/tanaka-1.der", der, sizeof(der));
        snprintf(ldif, sizeof(ldif), "dn: uid=tanaka,ou=people,dc=kagi,dc=test\nchangetype: modify\n"
                                     "delete: userCertificate;binary\nuserCertificate;binary:< file://%s\n", der);
        assert_int_equal(slapd_modify(&slapd, ldif), 0);
        sleep(2);       /* cache_ttl = 1 */
        assert_int_equal(card_login(f, "tanaka", &c), PAM_AUTH_ERR);
        snprintf(ldif, sizeof(ldif), "dn: uid=tanaka,ou=people,dc=kagi,dc=test\nchangetype: modify\n"
                                     "add: userCertificate;binary\nuserCertificate;binary:< file://%s\n", der);
        assert_int_equal(slapd_modify(&slapd, ldif), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
                T(card_listed_in_the_directory_logs_in),
                T(card_listed_for_someone_else_is_refused),
                T(certificate_removed_from_the_directory_stops_the_card),
#undef T
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
