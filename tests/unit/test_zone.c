/* Zone decisions (policy/zone.c): which factors to collect, when a login is
 * complete (MFA-1), and who may log in at all (ACC-1). */
#include "unit.h"

#include "common.h"
#include "policy.h"

#define PW_TOTP (KAGI_F_PASSWORD | KAGI_F_TOTP)
#define CARD_PIN (KAGI_F_CARD | KAGI_F_PIN)

/* The usual My Number zone, password set listed first so that choosing the
 * card is a preference and not an accident of order. */
static struct kagi_zone both_sets(void)
{
        return (struct kagi_zone){ .name = "mynumber", .sets = { PW_TOTP, CARD_PIN }, .n_sets = 2,
                                   .mynumber = true };
}

static void stacked_password_leaves_only_the_code(void **state)
{
        struct kagi_zone z = both_sets();
        uint32_t collect = 0;

        (void)state;
        assert_int_equal(zone_factors_to_collect(&z, KAGI_F_PASSWORD, false, false, &collect), 0);
        assert_int_equal(collect, KAGI_F_TOTP);
}

static void card_in_the_reader_chooses_the_card_set(void **state)
{
        struct kagi_zone z = both_sets();
        uint32_t collect = 0;

        (void)state;
        assert_int_equal(zone_factors_to_collect(&z, 0, true, true, &collect), 0);
        assert_int_equal(collect, CARD_PIN);
        /* also when the stack already checked a password */
        assert_int_equal(zone_factors_to_collect(&z, KAGI_F_PASSWORD, true, false, &collect), 0);
        assert_int_equal(collect, CARD_PIN);
}

static void nothing_to_complete_a_set_is_refused(void **state)
{
        struct kagi_zone z = both_sets();
        uint32_t collect = 12345;

        (void)state;
        /* no card, no password checked before kagi, and the broker cannot check one */
        assert_int_equal(zone_factors_to_collect(&z, 0, false, false, &collect), -EACCES);
        assert_int_equal(collect, 12345);
}

static void broker_checking_passwords_collects_password_and_code(void **state)
{
        struct kagi_zone z = both_sets();
        uint32_t collect = 0;

        (void)state;
        assert_int_equal(zone_factors_to_collect(&z, 0, false, true, &collect), 0);
        assert_int_equal(collect, PW_TOTP);
}

static void card_only_zone_without_a_card_is_refused(void **state)
{
        struct kagi_zone z = { .name = "cards", .sets = { CARD_PIN }, .n_sets = 1, .mynumber = true };
        uint32_t collect = 0;

        (void)state;
        assert_int_equal(zone_factors_to_collect(&z, KAGI_F_PASSWORD, false, true, &collect), -EACCES);
        assert_int_equal(zone_factors_to_collect(&z, 0, true, false, &collect), 0);
        assert_int_equal(collect, CARD_PIN);
}

static void zone_without_sets_collects_nothing(void **state)
{
        struct kagi_zone z = { .name = "empty" };
        uint32_t collect = 0;

        (void)state;
        assert_int_equal(zone_factors_to_collect(&z, KAGI_F_ALL, true, true, &collect), -EACCES);
}

static void zone_satisfied_needs_a_whole_set(void **state)
{
        struct kagi_zone z = both_sets();

        (void)state;
        assert_true(zone_satisfied(&z, PW_TOTP));
        assert_true(zone_satisfied(&z, CARD_PIN));
        assert_true(zone_satisfied(&z, CARD_PIN | KAGI_F_TOTP));
        assert_false(zone_satisfied(&z, KAGI_F_PASSWORD));
        assert_false(zone_satisfied(&z, KAGI_F_TOTP));
        assert_false(zone_satisfied(&z, KAGI_F_CARD));
        assert_false(zone_satisfied(&z, KAGI_F_CARD | KAGI_F_TOTP));
        assert_false(zone_satisfied(&z, KAGI_F_PASSWORD | KAGI_F_PIN));
        assert_false(zone_satisfied(&z, 0));
}

static void zone_without_sets_is_never_satisfied(void **state)
{
        struct kagi_zone z = { .name = "empty" };
        struct kagi_zone zero = { .name = "zero", .sets = { 0 }, .n_sets = 1 };

        (void)state;
        assert_false(zone_satisfied(&z, KAGI_F_ALL));
        /* an empty set would be satisfied by nothing at all: it never counts */
        assert_false(zone_satisfied(&zero, 0));
        assert_false(zone_satisfied(&zero, KAGI_F_ALL));
}

static void multifactor_means_knowledge_and_possession(void **state)
{
        (void)state;
        assert_true(factor_set_is_multifactor(PW_TOTP));
        assert_true(factor_set_is_multifactor(CARD_PIN));
        assert_true(factor_set_is_multifactor(KAGI_F_PASSWORD | KAGI_F_CARD));
        assert_true(factor_set_is_multifactor(CARD_PIN | KAGI_F_PASSWORD));
        assert_true(factor_set_is_multifactor(KAGI_F_ALL));

        assert_false(factor_set_is_multifactor(0));
        assert_false(factor_set_is_multifactor(KAGI_F_PASSWORD));
        assert_false(factor_set_is_multifactor(KAGI_F_TOTP));
        assert_false(factor_set_is_multifactor(KAGI_F_CARD));
        assert_false(factor_set_is_multifactor(KAGI_F_PASSWORD | KAGI_F_PIN));   /* two knowledge */
        assert_false(factor_set_is_multifactor(KAGI_F_CARD | KAGI_F_TOTP));      /* two possession */
}

static void pin_counts_only_with_its_card(void **state)
{
        (void)state;
        assert_false(factor_set_is_multifactor(KAGI_F_PIN | KAGI_F_TOTP));
        assert_false(factor_set_is_multifactor(KAGI_F_PIN | KAGI_F_TOTP | KAGI_F_PASSWORD));
}

/* ---- at the card reader or not ------------------------------------------------ */

static struct kagi_config *config_of(const char *text)
{
        struct kagi_config *c = NULL;
        char err[256];

        assert_int_equal(config_parse((const uint8_t *)text, strlen(text), "t", &c, err, sizeof(err)), 0);
        return c;
}

static void a_remote_host_is_never_at_the_reader(void **state)
{
        struct kagi_config *c = config_of("");

        (void)state;
        assert_int_equal(login_place(c, "login", "203.0.113.9"), LOGIN_REMOTE_HOST);
        /* ssh to the loopback is typed by someone who need not be here */
        assert_int_equal(login_place(c, "login", "localhost"), LOGIN_REMOTE_HOST);
        assert_int_equal(login_place(c, "sshd", "::1"), LOGIN_REMOTE_HOST);
        config_free(c);
}

static void only_listed_services_are_at_the_reader(void **state)
{
        struct kagi_config *c = config_of("");

        (void)state;
        assert_int_equal(login_place(c, "login", NULL), LOGIN_LOCAL);
        assert_int_equal(login_place(c, "login", ""), LOGIN_LOCAL);
        assert_int_equal(login_place(c, "gdm-password", NULL), LOGIN_LOCAL);
        /* sshd without a host, su and sudo (which run wherever their caller
         * is), a service nobody listed, and none at all are not */
        assert_int_equal(login_place(c, "sshd", NULL), LOGIN_SERVICE_NOT_LOCAL);
        assert_int_equal(login_place(c, "su", NULL), LOGIN_SERVICE_NOT_LOCAL);
        assert_int_equal(login_place(c, "sudo", ""), LOGIN_SERVICE_NOT_LOCAL);
        assert_int_equal(login_place(c, "my-vpn", NULL), LOGIN_SERVICE_NOT_LOCAL);
        assert_int_equal(login_place(c, NULL, NULL), LOGIN_SERVICE_NOT_LOCAL);
        assert_int_equal(login_place(c, "Login", NULL), LOGIN_SERVICE_NOT_LOCAL);
        config_free(c);

        c = config_of("[card]\nlocal_services = kiosk\n");
        assert_int_equal(login_place(c, "kiosk", NULL), LOGIN_LOCAL);
        assert_int_equal(login_place(c, "login", NULL), LOGIN_SERVICE_NOT_LOCAL);
        config_free(c);
}

/* ---- who may log in ------------------------------------------------------------ */

static char *alice_bob[] = { "alice", "bob" };
static char *star[] = { "*" };
static char *staff[] = { "staff" };

static void star_admits_any_account(void **state)
{
        struct kagi_zone z = { .name = "z", .users = { star, 1 } };

        (void)state;
        assert_true(zone_admits(&z, "alice", NULL));
        assert_true(zone_admits(&z, "nobody-known", NULL));
}

static void user_list_admits_only_those_named(void **state)
{
        struct kagi_zone z = { .name = "z", .users = { alice_bob, 2 } };

        (void)state;
        assert_true(zone_admits(&z, "alice", NULL));
        assert_true(zone_admits(&z, "bob", NULL));
        assert_false(zone_admits(&z, "carol", NULL));
        assert_false(zone_admits(&z, "alic", NULL));
        assert_false(zone_admits(&z, "alice2", NULL));
        /* "*" is a name here only in the list, not in the account */
        assert_false(zone_admits(&z, "*", NULL));
}

static void groups_admit_their_members(void **state)
{
        struct kagi_zone z = { .name = "z", .groups = { staff, 1 } };
        char *carols[] = { "users", "staff" }, *daves[] = { "users" };
        const struct strv carol = { carols, 2 }, dave = { daves, 1 };

        (void)state;
        assert_true(zone_admits(&z, "carol", &carol));
        assert_false(zone_admits(&z, "dave", &dave));
        assert_false(zone_admits(&z, "erin", NULL));
}

static void zone_with_nobody_admits_nobody(void **state)
{
        struct kagi_zone z = { .name = "z" };
        char *all[] = { "staff", "root" };
        const struct strv groups = { all, 2 };

        (void)state;
        assert_false(zone_admits(&z, "root", &groups));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(stacked_password_leaves_only_the_code),
                cmocka_unit_test(card_in_the_reader_chooses_the_card_set),
                cmocka_unit_test(nothing_to_complete_a_set_is_refused),
                cmocka_unit_test(broker_checking_passwords_collects_password_and_code),
                cmocka_unit_test(card_only_zone_without_a_card_is_refused),
                cmocka_unit_test(zone_without_sets_collects_nothing),
                cmocka_unit_test(zone_satisfied_needs_a_whole_set),
                cmocka_unit_test(zone_without_sets_is_never_satisfied),
                cmocka_unit_test(multifactor_means_knowledge_and_possession),
                cmocka_unit_test(pin_counts_only_with_its_card),
                cmocka_unit_test(a_remote_host_is_never_at_the_reader),
                cmocka_unit_test(only_listed_services_are_at_the_reader),
                cmocka_unit_test(star_admits_any_account),
                cmocka_unit_test(user_list_admits_only_those_named),
                cmocka_unit_test(groups_admit_their_members),
                cmocka_unit_test(zone_with_nobody_admits_nobody),
        };

        return cmocka_run_group_tests_name("zone", tests, NULL, NULL);
}
