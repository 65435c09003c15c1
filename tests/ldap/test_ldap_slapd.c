/* The LDAP backend against a real slapd (tests/ldap/slapd-fixture.sh):
 * what kagi learns about people, their passwords and certificates, through
 * directory_open / directory_lookup / directory_check_password /
 * directory_certificates exactly as the broker calls them. The people are
 * those of tests/ldap/directory.ldif. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common.h"
#include "directory.h"
#include "slapd.h"

static struct slapd sd;

struct dir {
        struct kagi_config *c;
        struct directory *d;
};

static void dir_open(struct dir *t, const char *extra)
{
        assert_int_equal(slapd_directory(&sd, extra, &t->c, &t->d), 0);
}

static void dir_close(struct dir *t)
{
        directory_close(t->d);
        config_free(t->c);
}

static void lookup(struct dir *t, const char *user, struct dir_account *a)
{
        int r = directory_lookup(t->d, user, a);

        if (r < 0)
                fprintf(stderr, "lookup %s: %s\n", user, strerror(-r));
        assert_int_equal(r, 0);
}

static void modify(const char *ldif)
{
        assert_int_equal(slapd_modify(&sd, ldif), 0);
}

/* ---- who people are ------------------------------------------------------- */

static void existing_person_has_name_department_uid_and_groups(void **state)
{
        struct dir t;
        struct dir_account a;

        (void)state;
        dir_open(&t, NULL);
        lookup(&t, "alice", &a);
        assert_true(a.exists);
        assert_true(a.enabled);
        assert_int_equal(a.uid, 10001);
        assert_string_equal(a.display_name, "Alice Sato");
        assert_string_equal(a.department, "情報政策課");
        assert_int_equal(a.groups.n, 2);
        assert_true(strv_contains(&a.groups, "staff"));
        assert_true(strv_contains(&a.groups, "admins"));
        dir_account_clear(&a);
        dir_close(&t);
}

static void japanese_names_and_departments_are_kept(void **state)
{
        struct dir t;
        struct dir_account a;

        (void)state;
        dir_open(&t, NULL);
        lookup(&t, "tanaka", &a);
        assert_true(a.exists);
        assert_string_equal(a.display_name, "田中 花子");
        assert_string_equal(a.department, "戸籍住民課");
        /* inetOrgPerson without posixAccount: no uid */
        assert_true(a.uid == (uid_t)-1);
        assert_true(strv_contains(&a.groups, "koseki"));
        assert_false(strv_contains(&a.groups, "admins"));
        dir_account_clear(&a);
        dir_close(&t);
}

static void cn_and_ou_stand_in_for_display_name_and_department(void **state)
{
        struct dir t;
        struct dir_account a;

        (void)state;
        dir_open(&t, NULL);
        lookup(&t, "suzuki", &a);
        assert_string_equal(a.display_name, "鈴木 一郎");
        assert_string_equal(a.department, "税務課");
        dir_account_clear(&a);
        dir_close(&t);
}

static void unknown_name_does_not_exist(void **state)
{
        struct dir t;
        struct dir_account a;

        (void)state;
        dir_open(&t, NULL);
        lookup(&t, "nobody", &a);
        assert_false(a.exists);
        assert_int_equal(a.groups.n, 0);
        dir_account_clear(&a);
        dir_close(&t);
}

static void expired_account_is_disabled(void **state)
{
        struct dir t;
        struct dir_account a;

        (void)state;
        dir_open(&t, NULL);
        lookup(&t, "retired", &a);
        assert_true(a.exists);
        assert_false(a.enabled);
        dir_account_clear(&a);
        dir_close(&t);
}

static void administratively_locked_account_is_disabled_and_cannot_bind(void **state)
{
        struct dir t;
        struct dir_account a;

        (void)state;
        dir_open(&t, NULL);
        lookup(&t, "locked", &a);
        assert_true(a.exists);
        assert_false(a.enabled);
        assert_int_equal(directory_check_password(t.d, "locked", "locked-pw"), -EACCES);
        dir_account_clear(&a);
        dir_close(&t);
}

static void disabled_filter_disables_matching_entries(void **state)
{
        struct dir plain, filtered;
        struct dir_account a;

        (void)state;
        dir_open(&plain, NULL);
        dir_open(&filtered, "disabled_filter = (employeeType=disabled)");
        lookup(&plain, "contractor", &a);
        assert_true(a.enabled);
        dir_account_clear(&a);
        lookup(&filtered, "contractor", &a);
        assert_true(a.exists);
        assert_false(a.enabled);
        dir_account_clear(&a);
        lookup(&filtered, "alice", &a);
        assert_true(a.enabled);
        dir_account_clear(&a);
        dir_close(&plain);
        dir_close(&filtered);
}

static void two_entries_for_one_name_are_an_error_not_a_guess(void **state)
{
        struct dir t;
        struct dir_account a;
        int r;

        (void)state;
        dir_open(&t, NULL);
        assert_int_equal(directory_lookup(t.d, "twin", &a), -ENOTUNIQ);
        r = directory_check_password(t.d, "twin", "twin-pw");
        assert_true(r < 0 && r != -EACCES);
        dir_close(&t);
}

static void an_entry_with_two_names_is_nobody(void **state)
{
        struct dir t;
        struct dir_account a;

        (void)state;
        dir_open(&t, NULL);
        lookup(&t, "alias", &a);
        assert_false(a.exists);
        lookup(&t, "alias2", &a);
        assert_false(a.exists);
        assert_int_equal(directory_check_password(t.d, "alias", "alias-pw"), -EACCES);
        dir_close(&t);
}

static void names_differing_in_case_are_nobody(void **state)
{
        struct dir exact, lower;
        struct dir_account a;

        (void)state;
        dir_open(&exact, NULL);
        dir_open(&lower, "lowercase_names = yes");
        /* uid matches case-insensitively in the directory, but one person
         * has one name: otherwise each spelling would get its own lockout */
        lookup(&exact, "ALICE", &a);
        assert_false(a.exists);
        assert_int_equal(directory_check_password(exact.d, "Alice", "alice-pw"), -EACCES);
        lookup(&lower, "Alice", &a);
        assert_false(a.exists);
        lookup(&lower, "alice", &a);
        assert_true(a.exists);
        dir_account_clear(&a);
        dir_close(&exact);
        dir_close(&lower);
}

static void injection_attempts_match_nobody_and_bind_nobody(void **state)
{
        static const char *const names[] = {
                "*", "*)(uid=*", "alice)(uid=*", "*)(|(uid=*", "al*", "*alice*", "alice)(|(objectClass=*",
                "\\2a", "alice\\00", "(uid=alice)", "star*", "*user", "alice\n", " alice", "alice ",
        };
        struct dir t;
        struct dir_account a;

        (void)state;
        dir_open(&t, NULL);
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                lookup(&t, names[i], &a);
                if (a.exists)
                        fprintf(stderr, "'%s' matched someone\n", names[i]);
                assert_false(a.exists);
                assert_int_equal(directory_check_password(t.d, names[i], "alice-pw"), -EACCES);
                assert_int_equal(directory_check_password(t.d, names[i], "star-pw"), -EACCES);
        }
        /* the metacharacters are plain characters of a name that has them */
        lookup(&t, "star*user", &a);
        assert_true(a.exists);
        assert_string_equal(a.display_name, "Star User");
        assert_int_equal(directory_check_password(t.d, "star*user", "star-pw"), 0);
        dir_close(&t);
}

static void absurd_names_are_nobody_without_asking(void **state)
{
        char big[4096];
        struct dir t;
        struct dir_account a;

        (void)state;
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        dir_open(&t, NULL);
        lookup(&t, big, &a);
        assert_false(a.exists);
        lookup(&t, "", &a);
        assert_false(a.exists);
        lookup(&t, "\xff\xfe", &a);
        assert_false(a.exists);
        assert_int_equal(directory_check_password(t.d, big, "x"), -EACCES);
        dir_close(&t);
}

/* ---- passwords ------------------------------------------------------------- */

static void right_password_binds_and_wrong_one_does_not(void **state)
{
        struct dir t;

        (void)state;
        dir_open(&t, NULL);
        assert_true(directory_checks_passwords(t.d));
        assert_int_equal(directory_check_password(t.d, "alice", "alice-pw"), 0);
        assert_int_equal(directory_check_password(t.d, "alice", "alice-PW"), -EACCES);
        assert_int_equal(directory_check_password(t.d, "tanaka", "パスワード-tanaka"), 0);
        assert_int_equal(directory_check_password(t.d, "tanaka", "パスワード"), -EACCES);
        assert_int_equal(directory_check_password(t.d, "nobody", "alice-pw"), -EACCES);
        assert_int_equal(directory_check_password(t.d, "nopw", "anything"), -EACCES);
        dir_close(&t);
}

/* "Unknown accounts look like known ones": a password for a name nobody has
 * costs slapd the same operations as a wrong one for a real person — one
 * search, one bind — so neither the answer's time nor the server's log
 * tells them apart. Counted in cn=Monitor, not timed. */
static void unknown_name_costs_the_same_operations_as_a_wrong_password(void **state)
{
        struct dir t;
        long bind[3], search[3];

        (void)state;
        dir_open(&t, NULL);
        /* both connections up, so neither side pays for setting one up */
        assert_int_equal(directory_check_password(t.d, "alice", "alice-pw"), 0);
        bind[0] = slapd_ops(&sd, "Bind");
        search[0] = slapd_ops(&sd, "Search");
        assert_int_equal(directory_check_password(t.d, "alice", "wrong-pw"), -EACCES);
        bind[1] = slapd_ops(&sd, "Bind");
        search[1] = slapd_ops(&sd, "Search");
        assert_int_equal(directory_check_password(t.d, "no-such-person", "wrong-pw"), -EACCES);
        bind[2] = slapd_ops(&sd, "Bind");
        search[2] = slapd_ops(&sd, "Search");
        assert_true(bind[0] > 0 && search[0] > 0);
        /* each slapd_ops call adds a bind and a search of its own (two per step) */
        assert_int_equal(bind[1] - bind[0] - 2, 1);
        assert_int_equal(bind[2] - bind[1] - 2, bind[1] - bind[0] - 2);
        assert_int_equal(search[2] - search[1], search[1] - search[0]);
        dir_close(&t);
}

static void empty_password_is_wrong_not_an_anonymous_bind(void **state)
{
        struct dir t;

        (void)state;
        dir_open(&t, NULL);
        assert_int_equal(directory_check_password(t.d, "alice", ""), -EACCES);
        dir_close(&t);
}

static void password_checks_leave_the_search_connection_as_the_service(void **state)
{
        struct dir t;
        struct dir_account a;

        (void)state;
        dir_open(&t, NULL);
        assert_int_equal(directory_check_password(t.d, "alice", "alice-pw"), 0);
        /* alice may read only her own entry: this works only as the service */
        lookup(&t, "tanaka", &a);
        assert_true(a.exists);
        assert_string_equal(a.display_name, "田中 花子");
        dir_account_clear(&a);
        assert_int_equal(directory_check_password(t.d, "alice", "wrong"), -EACCES);
        lookup(&t, "suzuki", &a);
        assert_true(a.exists);
        dir_account_clear(&a);
        dir_close(&t);
}

/* ---- how kagi binds ------------------------------------------------------------ */

static void starttls_works_like_ldaps(void **state)
{
        char extra[512];
        struct dir t;
        struct dir_account a;

        (void)state;
        snprintf(extra, sizeof(extra), "uri = %s\nstarttls = yes", sd.ldap_uri);
        dir_open(&t, extra);
        lookup(&t, "alice", &a);
        assert_true(a.exists);
        dir_account_clear(&a);
        assert_int_equal(directory_check_password(t.d, "alice", "alice-pw"), 0);
        assert_int_equal(directory_check_password(t.d, "alice", "nope"), -EACCES);
        dir_close(&t);
}

static void sasl_external_binds_with_the_client_certificate(void **state)
{
        char extra[1024];
        struct dir t;
        struct dir_account a;

        (void)state;
        snprintf(extra, sizeof(extra), "sasl_external = yes\ncert_file = %s/client.pem\nkey_file = %s/client.key",
                 sd.dir, sd.dir);
        dir_open(&t, extra);
        lookup(&t, "tanaka", &a);
        assert_true(a.exists);
        assert_string_equal(a.department, "戸籍住民課");
        dir_account_clear(&a);
        dir_close(&t);
}

static void an_unreadable_directory_is_an_error_not_nobody(void **state)
{
        struct dir t;
        struct dir_account a;
        int r;

        (void)state;
        /* anonymous: the ACLs show it nothing, not even the base */
        dir_open(&t, "sasl_external = no");
        r = directory_lookup(t.d, "alice", &a);
        assert_true(r < 0);
        r = directory_check_password(t.d, "alice", "alice-pw");
        assert_true(r < 0 && r != -EACCES);
        dir_close(&t);
}

static void wrong_service_password_is_not_a_wrong_user_password(void **state)
{
        char path[512], extra[1024];
        struct dir t;
        struct dir_account a;
        FILE *f;
        int r;

        (void)state;
        slapd_path(&sd, "wrong.pw", path, sizeof(path));
        f = fopen(path, "w");
        assert_non_null(f);
        fputs("not-the-secret\n", f);
        fclose(f);
        chmod(path, 0600);
        snprintf(extra, sizeof(extra), "bind_dn = %s\nbind_password_file = %s", sd.service_dn, path);
        dir_open(&t, extra);
        r = directory_lookup(t.d, "alice", &a);
        assert_int_equal(r, -ECONNREFUSED);
        r = directory_check_password(t.d, "alice", "alice-pw");
        assert_int_equal(r, -ECONNREFUSED);
        dir_close(&t);
}

static void password_file_readable_by_others_is_refused(void **state)
{
        char path[512], extra[1024], err[1024] = "";
        struct kagi_config *c;
        struct directory *d = NULL;
        FILE *f;

        (void)state;
        slapd_path(&sd, "open.pw", path, sizeof(path));
        f = fopen(path, "w");
        assert_non_null(f);
        fputs("service-secret\n", f);
        fclose(f);
        chmod(path, 0644);
        snprintf(extra, sizeof(extra), "bind_dn = %s\nbind_password_file = %s", sd.service_dn, path);
        c = slapd_config(&sd, extra);
        assert_non_null(c);
        assert_int_equal(directory_open(c, &d, err, sizeof(err)), -EPERM);
        assert_non_null(strstr(err, "0600"));
        config_free(c);
}

static void missing_ca_file_is_refused_at_start(void **state)
{
        char extra[1024], err[1024] = "";
        struct kagi_config *c;
        struct directory *d = NULL;

        (void)state;
        snprintf(extra, sizeof(extra), "ca_file = %s/no-such-ca.pem", sd.dir);
        c = slapd_config(&sd, extra);
        assert_non_null(c);
        assert_int_equal(directory_open(c, &d, err, sizeof(err)), -ENOENT);
        assert_non_null(strstr(err, "no-such-ca.pem"));
        config_free(c);
}

/* ---- certificates ---------------------------------------------------------------- */

static void read_file(const char *path, uint8_t **ret, size_t *ret_len)
{
        FILE *f = fopen(path, "rb");
        uint8_t *buf = malloc(65536);
        size_t n;

        assert_non_null(f);
        assert_non_null(buf);
        n = fread(buf, 1, 65536, f);
        fclose(f);
        *ret = buf;
        *ret_len = n;
}

static void certificates_come_from_user_certificate(void **state)
{
        struct dir t;
        struct dir_certs c;
        char path[512];

        (void)state;
        dir_open(&t, NULL);
        assert_int_equal(directory_certificates(t.d, "tanaka", &c), 0);
        assert_int_equal(c.n, 2);
        for (int i = 0; i < 2; i++) {
                uint8_t *want;
                size_t want_len;
                bool found = false;

                snprintf(path, sizeof(path), "%s/certs/tanaka-%d.der", sd.dir, i + 1);
                read_file(path, &want, &want_len);
                for (size_t j = 0; j < c.n; j++)
                        found |= c.len[j] == want_len && memcmp(c.der[j], want, want_len) == 0;
                assert_true(found);
                free(want);
        }
        dir_certs_clear(&c);
        assert_int_equal(directory_certificates(t.d, "alice", &c), 0);
        assert_int_equal(c.n, 0);
        assert_int_equal(directory_certificates(t.d, "nobody", &c), 0);
        assert_int_equal(c.n, 0);
        assert_int_equal(directory_certificates(t.d, "*", &c), 0);
        assert_int_equal(c.n, 0);
        dir_close(&t);
}

/* ---- changes and the cache ------------------------------------------------------------ */

static void group_change_is_seen_after_cache_ttl(void **state)
{
        struct dir none, short_ttl, long_ttl;
        struct dir_account a;

        (void)state;
        dir_open(&none, "cache_ttl = 0");
        dir_open(&short_ttl, "cache_ttl = 1");
        dir_open(&long_ttl, "cache_ttl = 3600");
        lookup(&short_ttl, "suzuki", &a);
        assert_false(strv_contains(&a.groups, "koseki"));
        dir_account_clear(&a);
        lookup(&long_ttl, "suzuki", &a);
        assert_false(strv_contains(&a.groups, "koseki"));
        dir_account_clear(&a);

        modify("dn: cn=koseki,ou=groups,dc=kagi,dc=test\nchangetype: modify\nadd: member\n"
               "member: uid=suzuki,ou=people,dc=kagi,dc=test\n");
        lookup(&none, "suzuki", &a);
        assert_true(strv_contains(&a.groups, "koseki"));
        dir_account_clear(&a);
        /* within the hour the cached answer stands: that is what the ttl means */
        lookup(&long_ttl, "suzuki", &a);
        assert_false(strv_contains(&a.groups, "koseki"));
        dir_account_clear(&a);
        usleep(1200 * 1000);
        lookup(&short_ttl, "suzuki", &a);
        assert_true(strv_contains(&a.groups, "koseki"));
        dir_account_clear(&a);

        modify("dn: cn=koseki,ou=groups,dc=kagi,dc=test\nchangetype: modify\ndelete: member\n"
               "member: uid=suzuki,ou=people,dc=kagi,dc=test\n");
        lookup(&none, "suzuki", &a);
        assert_false(strv_contains(&a.groups, "koseki"));
        dir_account_clear(&a);
        dir_close(&none);
        dir_close(&short_ttl);
        dir_close(&long_ttl);
}

static void disabled_and_deleted_accounts_are_refused_within_cache_ttl(void **state)
{
        struct dir t;
        struct dir_account a;

        (void)state;
        modify("dn: uid=temp,ou=people,dc=kagi,dc=test\nchangetype: add\nobjectClass: inetOrgPerson\n"
               "objectClass: posixAccount\nobjectClass: shadowAccount\nuid: temp\ncn: Temp\nsn: Temp\n"
               "uidNumber: 10099\ngidNumber: 10099\nhomeDirectory: /home/temp\nuserPassword: temp-pw\n");
        dir_open(&t, "cache_ttl = 1");
        lookup(&t, "temp", &a);
        assert_true(a.exists);
        assert_true(a.enabled);
        dir_account_clear(&a);

        modify("dn: uid=temp,ou=people,dc=kagi,dc=test\nchangetype: modify\nadd: shadowExpire\nshadowExpire: 1\n");
        usleep(1200 * 1000);
        lookup(&t, "temp", &a);
        assert_true(a.exists);
        assert_false(a.enabled);
        dir_account_clear(&a);

        modify("dn: uid=temp,ou=people,dc=kagi,dc=test\nchangetype: delete\n");
        usleep(1200 * 1000);
        lookup(&t, "temp", &a);
        assert_false(a.exists);
        /* a password check always asks the directory */
        assert_int_equal(directory_check_password(t.d, "temp", "temp-pw"), -EACCES);
        dir_close(&t);
}

/* ---- Active Directory mapping (ad-lite.schema stands in for AD) ------------------------- */

static const char ad_extra[] = "schema = ad\nbase = ou=ad,dc=kagi,dc=test\n"
                               "user_filter = (objectClass=user)";

static void ad_person_has_name_department_and_memberof_groups(void **state)
{
        struct dir t;
        struct dir_account a;
        struct dir_certs c;

        (void)state;
        dir_open(&t, ad_extra);
        lookup(&t, "yamada", &a);
        assert_true(a.exists);
        assert_true(a.enabled);
        assert_string_equal(a.display_name, "山田 太郎");
        assert_string_equal(a.department, "総務課");
        assert_int_equal(a.groups.n, 2);
        assert_true(strv_contains(&a.groups, "Domain Users"));
        assert_true(strv_contains(&a.groups, "Kagi Admins, Tokyo"));
        assert_true(a.uid == (uid_t)-1);
        dir_account_clear(&a);
        assert_int_equal(directory_check_password(t.d, "yamada", "yamada-pw"), 0);
        assert_int_equal(directory_check_password(t.d, "yamada", "Yamada-pw"), -EACCES);
        assert_int_equal(directory_certificates(t.d, "yamada", &c), 0);
        assert_int_equal(c.n, 1);
        dir_certs_clear(&c);
        dir_close(&t);
}

static void ad_names_are_lower_case(void **state)
{
        struct dir t;
        struct dir_account a;

        (void)state;
        dir_open(&t, ad_extra);
        lookup(&t, "Yamada", &a);
        assert_false(a.exists);
        assert_int_equal(directory_check_password(t.d, "YAMADA", "yamada-pw"), -EACCES);
        dir_close(&t);
}

static void ad_disabled_and_expired_accounts_are_disabled(void **state)
{
        struct dir t;
        struct dir_account a;

        (void)state;
        dir_open(&t, ad_extra);
        lookup(&t, "sato", &a);
        assert_true(a.exists);
        assert_false(a.enabled);
        assert_string_equal(a.display_name, "佐藤 次郎");
        dir_account_clear(&a);
        lookup(&t, "kato", &a);
        assert_true(a.exists);
        assert_false(a.enabled);
        /* no displayName: cn */
        assert_string_equal(a.display_name, "Kato Saburo");
        dir_account_clear(&a);
        dir_close(&t);
}

/* ---- threads --------------------------------------------------------------------------- */

struct worker {
        struct kagi_config *c;
        int failures;
};

static void *worker_main(void *arg)
{
        static const char *const users[] = { "alice", "tanaka", "suzuki", "nobody", "retired" };
        struct worker *w = arg;
        struct directory *d = NULL;
        char err[512];

        if (directory_open(w->c, &d, err, sizeof(err)) < 0) {
                w->failures++;
                return NULL;
        }
        for (int i = 0; i < 40; i++) {
                const char *u = users[i % 5];
                struct dir_account a;

                if (directory_lookup(d, u, &a) < 0 || a.exists != (strcmp(u, "nobody") != 0) ||
                    a.enabled != (strcmp(u, "retired") != 0 && strcmp(u, "nobody") != 0))
                        w->failures++;
                dir_account_clear(&a);
                if (i % 10 == 0 && directory_check_password(d, "alice", "alice-pw") != 0)
                        w->failures++;
        }
        directory_close(d);
        return NULL;
}

static void worker_threads_share_one_cache_safely(void **state)
{
        struct kagi_config *c = slapd_config(&sd, "cache_ttl = 1");
        struct worker w[4];
        pthread_t th[4];

        (void)state;
        assert_non_null(c);
        for (int i = 0; i < 4; i++) {
                w[i] = (struct worker){ .c = c };
                assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
        }
        for (int i = 0; i < 4; i++) {
                pthread_join(th[i], NULL);
                assert_int_equal(w[i].failures, 0);
        }
        config_free(c);
}

static int group_setup(void **state)
{
        (void)state;
        return slapd_test_start(&sd) < 0 ? -1 : 0;
}

static int group_teardown(void **state)
{
        (void)state;
        slapd_stop(&sd);
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(existing_person_has_name_department_uid_and_groups),
                cmocka_unit_test(japanese_names_and_departments_are_kept),
                cmocka_unit_test(cn_and_ou_stand_in_for_display_name_and_department),
                cmocka_unit_test(unknown_name_does_not_exist),
                cmocka_unit_test(expired_account_is_disabled),
                cmocka_unit_test(administratively_locked_account_is_disabled_and_cannot_bind),
                cmocka_unit_test(disabled_filter_disables_matching_entries),
                cmocka_unit_test(two_entries_for_one_name_are_an_error_not_a_guess),
                cmocka_unit_test(an_entry_with_two_names_is_nobody),
                cmocka_unit_test(names_differing_in_case_are_nobody),
                cmocka_unit_test(injection_attempts_match_nobody_and_bind_nobody),
                cmocka_unit_test(absurd_names_are_nobody_without_asking),
                cmocka_unit_test(right_password_binds_and_wrong_one_does_not),
                cmocka_unit_test(unknown_name_costs_the_same_operations_as_a_wrong_password),
                cmocka_unit_test(empty_password_is_wrong_not_an_anonymous_bind),
                cmocka_unit_test(password_checks_leave_the_search_connection_as_the_service),
                cmocka_unit_test(starttls_works_like_ldaps),
                cmocka_unit_test(sasl_external_binds_with_the_client_certificate),
                cmocka_unit_test(an_unreadable_directory_is_an_error_not_nobody),
                cmocka_unit_test(wrong_service_password_is_not_a_wrong_user_password),
                cmocka_unit_test(password_file_readable_by_others_is_refused),
                cmocka_unit_test(missing_ca_file_is_refused_at_start),
                cmocka_unit_test(certificates_come_from_user_certificate),
                cmocka_unit_test(group_change_is_seen_after_cache_ttl),
                cmocka_unit_test(disabled_and_deleted_accounts_are_refused_within_cache_ttl),
                cmocka_unit_test(ad_person_has_name_department_and_memberof_groups),
                cmocka_unit_test(ad_names_are_lower_case),
                cmocka_unit_test(ad_disabled_and_expired_accounts_are_disabled),
                cmocka_unit_test(worker_threads_share_one_cache_safely),
        };

        return cmocka_run_group_tests_name("ldap-slapd", tests, group_setup, group_teardown);
}
