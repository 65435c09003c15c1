/* The LDAP backend's pure parts, rule by rule: names, escaping, filters,
 * what entry values mean, the schema mapping, the cache, and the [directory]
 * configuration checks. No server here; test_ldap_slapd.c has a real one. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ldap_internal.h"
#include "slapd.h"

#define U(s) (const uint8_t *)(s), strlen(s)

/* ---- names ---------------------------------------------------------------- */

static void plain_names_are_accepted(void **state)
{
        (void)state;
        assert_int_equal(ldap_text_name_check(U("alice")), 0);
        assert_int_equal(ldap_text_name_check(U("yamada.taro")), 0);
        assert_int_equal(ldap_text_name_check(U("田中")), 0);
        /* metacharacters are fine here: escaping makes them literal */
        assert_int_equal(ldap_text_name_check(U("*)(uid=*")), 0);
}

static void empty_and_absurdly_long_names_are_refused(void **state)
{
        char big[LDAP_NAME_MAX + 2];

        (void)state;
        assert_int_equal(ldap_text_name_check(U("")), -EINVAL);
        memset(big, 'a', sizeof(big));
        assert_int_equal(ldap_text_name_check((const uint8_t *)big, LDAP_NAME_MAX), 0);
        assert_int_equal(ldap_text_name_check((const uint8_t *)big, LDAP_NAME_MAX + 1), -EINVAL);
}

static void names_with_nul_or_control_characters_are_refused(void **state)
{
        (void)state;
        assert_int_equal(ldap_text_name_check((const uint8_t *)"ali\0ce", 6), -EINVAL);
        assert_int_equal(ldap_text_name_check(U("alice\n")), -EINVAL);
        assert_int_equal(ldap_text_name_check(U("al\tice")), -EINVAL);
        assert_int_equal(ldap_text_name_check(U("alice\x7f")), -EINVAL);
}

static void names_with_surrounding_spaces_are_refused(void **state)
{
        (void)state;
        /* matching rules would ignore them and find "alice" */
        assert_int_equal(ldap_text_name_check(U(" alice")), -EINVAL);
        assert_int_equal(ldap_text_name_check(U("alice ")), -EINVAL);
        assert_int_equal(ldap_text_name_check(U("ali ce")), 0);
}

static void names_that_are_not_utf8_are_refused(void **state)
{
        (void)state;
        assert_int_equal(ldap_text_name_check(U("\xff")), -EINVAL);
        assert_int_equal(ldap_text_name_check(U("\xc0\xaf")), -EINVAL);       /* overlong '/' */
        assert_int_equal(ldap_text_name_check(U("\xed\xa0\x80")), -EINVAL);   /* surrogate */
        assert_int_equal(ldap_text_name_check(U("\xf4\x90\x80\x80")), -EINVAL); /* > U+10FFFF */
        assert_int_equal(ldap_text_name_check(U("\xe7\x94")), -EINVAL);       /* cut short */
}

/* ---- text from the directory ------------------------------------------------ */

static void display_text_keeps_utf8_and_hides_control_characters(void **state)
{
        char out[64];

        (void)state;
        assert_int_equal(ldap_text_copy(U("田中 花子"), out, sizeof(out)), strlen("田中 花子"));
        assert_string_equal(out, "田中 花子");
        ldap_text_copy(U("evil\nname\x1b[31m"), out, sizeof(out));
        assert_string_equal(out, "evil?name?[31m");
        ldap_text_copy(U("bad\xff\xfe"), out, sizeof(out));
        assert_string_equal(out, "bad??");
}

static void display_text_is_cut_at_a_character_boundary(void **state)
{
        char out[8];

        (void)state;
        /* 田中花 is 9 bytes: only two characters (6 bytes) fit in 7 */
        ldap_text_copy(U("田中花"), out, sizeof(out));
        assert_string_equal(out, "田中");
        assert_int_equal(ldap_text_copy(U("x"), out, 0), 0);
}

static void group_names_must_be_clean_and_fit(void **state)
{
        char out[8];

        (void)state;
        assert_int_equal(ldap_text_exact(U("staff"), out, sizeof(out)), 0);
        assert_string_equal(out, "staff");
        assert_int_equal(ldap_text_exact(U("staff\n"), out, sizeof(out)), -EINVAL);
        assert_int_equal(ldap_text_exact(U("too-long-a-name"), out, sizeof(out)), -EINVAL);
        assert_int_equal(ldap_text_exact(U(""), out, sizeof(out)), -EINVAL);
}

/* ---- filters ------------------------------------------------------------------ */

static void escaping_writes_metacharacters_as_hex(void **state)
{
        char *e;

        (void)state;
        e = ldap_filter_escape(U("*)(uid=*"));
        assert_string_equal(e, "\\2a\\29\\28uid=\\2a");
        free(e);
        e = ldap_filter_escape(U("a\\b"));
        assert_string_equal(e, "a\\5cb");
        free(e);
        e = ldap_filter_escape((const uint8_t *)"a\0b", 3);
        assert_string_equal(e, "a\\00b");
        free(e);
}

static void escaping_writes_non_ascii_as_hex(void **state)
{
        char *e = ldap_filter_escape(U("田"));

        (void)state;
        assert_string_equal(e, "\\e7\\94\\b0");
        free(e);
        e = ldap_filter_escape(U(""));
        assert_string_equal(e, "");
        free(e);
}

static void user_filter_combines_the_mapping_and_the_escaped_name(void **state)
{
        char *f = NULL;

        (void)state;
        assert_int_equal(ldap_filter_build("(objectClass=inetOrgPerson)", "uid", U("*)(uid=*"), &f), 0);
        assert_string_equal(f, "(&(objectClass=inetOrgPerson)(uid=\\2a\\29\\28uid=\\2a))");
        free(f);
        assert_int_equal(ldap_filter_build(NULL, "uid", U("alice"), &f), 0);
        assert_string_equal(f, "(uid=alice)");
        free(f);
}

static void ad_filters_use_samaccountname_and_the_escaped_dn(void **state)
{
        struct kagi_config *c;
        struct ldap_map m;
        char *f = NULL, err[512];

        (void)state;
        c = slapd_config_text("[directory]\nbackend = ldap\nuri = ldaps://dc.example\nbase = dc=example\n"
                              "schema = ad\ngroup_filter = (objectClass=group)\n", err, sizeof(err));
        assert_non_null(c);
        assert_int_equal(ldap_map_init(&m, c), 0);
        assert_int_equal(ldap_filter_build(m.user_filter, m.user_attr, U("yamada"), &f), 0);
        assert_string_equal(f, "(&(&(objectClass=user)(objectCategory=person))(sAMAccountName=yamada))");
        free(f);
        assert_int_equal(ldap_filter_build(m.group_filter, m.member_attr,
                                           U("CN=Yamada\\, Taro,OU=Staff,DC=example"), &f), 0);
        assert_string_equal(f, "(&(objectClass=group)(member=CN=Yamada\\5c, Taro,OU=Staff,DC=example))");
        free(f);
        ldap_map_clear(&m);
        config_free(c);
}

/* ---- entry values ---------------------------------------------------------------- */

static void integers_are_read_strictly(void **state)
{
        int64_t v;

        (void)state;
        assert_int_equal(ldap_entry_int64(U("512"), &v), 0);
        assert_int_equal(v, 512);
        assert_int_equal(ldap_entry_int64(U("-1"), &v), 0);
        assert_int_equal(v, -1);
        assert_int_equal(ldap_entry_int64(U("9223372036854775807"), &v), 0);
        assert_int_equal(ldap_entry_int64(U("-9223372036854775808"), &v), 0);
        assert_true(v == INT64_MIN);
        assert_int_equal(ldap_entry_int64(U("9223372036854775808"), &v), -ERANGE);
        assert_int_equal(ldap_entry_int64(U(""), &v), -EINVAL);
        assert_int_equal(ldap_entry_int64(U("-"), &v), -EINVAL);
        assert_int_equal(ldap_entry_int64(U("+5"), &v), -EINVAL);
        assert_int_equal(ldap_entry_int64(U(" 5"), &v), -EINVAL);
        assert_int_equal(ldap_entry_int64(U("5x"), &v), -EINVAL);
        assert_int_equal(ldap_entry_int64(U("0x10"), &v), -EINVAL);
}

static void uid_numbers_fit_a_uid(void **state)
{
        uid_t u;

        (void)state;
        assert_int_equal(ldap_entry_uid(U("10001"), &u), 0);
        assert_int_equal(u, 10001);
        assert_int_equal(ldap_entry_uid(U("-1"), &u), -EINVAL);
        assert_int_equal(ldap_entry_uid(U("4294967295"), &u), -EINVAL);   /* (uid_t)-1 */
        assert_int_equal(ldap_entry_uid(U("4294967294"), &u), 0);
}

#define BV(s) (&(struct berval){ .bv_len = sizeof(s) - 1, .bv_val = (char *)(s) })

static void ad_account_with_the_disable_bit_is_disabled(void **state)
{
        (void)state;
        assert_false(ldap_entry_disabled(LDAP_RULE_AD_UAC, &(struct ldap_state_values){ .uac = BV("512") }, 0));
        assert_true(ldap_entry_disabled(LDAP_RULE_AD_UAC, &(struct ldap_state_values){ .uac = BV("514") }, 0));
        assert_true(ldap_entry_disabled(LDAP_RULE_AD_UAC, &(struct ldap_state_values){ .uac = BV("66050") }, 0));
        assert_false(ldap_entry_disabled(LDAP_RULE_AD_UAC, &(struct ldap_state_values){ .uac = BV("66048") }, 0));
        /* no value: nothing says it is disabled */
        assert_false(ldap_entry_disabled(LDAP_RULE_AD_UAC, &(struct ldap_state_values){ 0 }, 0));
}

static void unreadable_state_values_fail_closed(void **state)
{
        (void)state;
        assert_true(ldap_entry_disabled(LDAP_RULE_AD_UAC, &(struct ldap_state_values){ .uac = BV("lots") }, 0));
        assert_true(ldap_entry_disabled(LDAP_RULE_AD_UAC,
                                        &(struct ldap_state_values){ .uac = BV("99999999999") }, 0));
        assert_true(ldap_entry_disabled(LDAP_RULE_AD_EXPIRES,
                                        &(struct ldap_state_values){ .account_expires = BV("soon") }, 0));
        assert_true(ldap_entry_disabled(LDAP_RULE_SHADOW_EXPIRE,
                                        &(struct ldap_state_values){ .shadow_expire = BV("") }, 0));
}

static void ad_account_past_its_expiry_is_disabled(void **state)
{
        int64_t now = 1700000000;    /* 2023-11-14 */

        (void)state;
        /* 0 and the largest value mean never */
        assert_false(ldap_entry_disabled(LDAP_RULE_AD_EXPIRES,
                                         &(struct ldap_state_values){ .account_expires = BV("0") }, now));
        assert_false(ldap_entry_disabled(LDAP_RULE_AD_EXPIRES,
                                         &(struct ldap_state_values){
                                                 .account_expires = BV("9223372036854775807") }, now));
        /* 1970-01-01 */
        assert_true(ldap_entry_disabled(LDAP_RULE_AD_EXPIRES,
                                        &(struct ldap_state_values){ .account_expires = BV("116444736000000000") },
                                        now));
        /* 2100-01-01 */
        assert_false(ldap_entry_disabled(LDAP_RULE_AD_EXPIRES,
                                         &(struct ldap_state_values){ .account_expires = BV("157469184000000000") },
                                         now));
        assert_true(ldap_entry_disabled(LDAP_RULE_AD_EXPIRES,
                                        &(struct ldap_state_values){ .account_expires = BV("-5") }, now));
}

static void shadow_expire_disables_from_that_day_on(void **state)
{
        int64_t now = 19700LL * 86400 + 3600;

        (void)state;
        assert_true(ldap_entry_disabled(LDAP_RULE_SHADOW_EXPIRE,
                                        &(struct ldap_state_values){ .shadow_expire = BV("19700") }, now));
        assert_false(ldap_entry_disabled(LDAP_RULE_SHADOW_EXPIRE,
                                         &(struct ldap_state_values){ .shadow_expire = BV("19701") }, now));
        assert_false(ldap_entry_disabled(LDAP_RULE_SHADOW_EXPIRE,
                                         &(struct ldap_state_values){ .shadow_expire = BV("-1") }, now));
        assert_false(ldap_entry_disabled(LDAP_RULE_SHADOW_EXPIRE,
                                         &(struct ldap_state_values){ .shadow_expire = BV("0") }, now));
}

static void ppolicy_administrative_lock_disables(void **state)
{
        (void)state;
        assert_true(ldap_entry_disabled(LDAP_RULE_PPOLICY_LOCK,
                                        &(struct ldap_state_values){ .pwd_locked = BV("000001010000Z") }, 0));
        /* ppolicy's own temporary lock ends by itself; the bind refuses meanwhile */
        assert_false(ldap_entry_disabled(LDAP_RULE_PPOLICY_LOCK,
                                         &(struct ldap_state_values){ .pwd_locked = BV("20240101120000Z") }, 0));
}

static void rules_of_the_other_schema_are_not_applied(void **state)
{
        (void)state;
        assert_false(ldap_entry_disabled(LDAP_RULE_SHADOW_EXPIRE | LDAP_RULE_PPOLICY_LOCK,
                                         &(struct ldap_state_values){ .uac = BV("514") }, 0));
        assert_false(ldap_entry_disabled(LDAP_RULE_AD_UAC | LDAP_RULE_AD_EXPIRES,
                                         &(struct ldap_state_values){ .shadow_expire = BV("1") }, 100 * 86400));
}

static void memberof_dns_give_the_group_name(void **state)
{
        char out[64];

        (void)state;
        assert_int_equal(ldap_entry_dn_name(U("CN=Domain Users,CN=Users,DC=example,DC=jp"), out, sizeof(out)), 0);
        assert_string_equal(out, "Domain Users");
        assert_int_equal(ldap_entry_dn_name(U("CN=Kagi Admins\\2C Tokyo,OU=ad,DC=kagi"), out, sizeof(out)), 0);
        assert_string_equal(out, "Kagi Admins, Tokyo");
        assert_int_equal(ldap_entry_dn_name(U("cn=\\E6\\88\\B8\\E7\\B1\\8D,ou=g"), out, sizeof(out)), 0);
        assert_string_equal(out, "戸籍");
        assert_int_equal(ldap_entry_dn_name(U("not a dn"), out, sizeof(out)), -EINVAL);
        assert_int_equal(ldap_entry_dn_name(U(""), out, sizeof(out)), -EINVAL);
        assert_int_equal(ldap_entry_dn_name(U("cn=#0403616263,dc=x"), out, sizeof(out)), -EINVAL);
        assert_int_equal(ldap_entry_dn_name(U("cn=a\\0Ab,dc=x"), out, sizeof(out)), -EINVAL);
}

static void the_user_attribute_must_hold_exactly_the_name(void **state)
{
        const struct berval *one[] = { BV("alice"), NULL };
        const struct berval *two[] = { BV("alice"), BV("al"), NULL };
        const struct berval *mixed[] = { BV("Yamada"), NULL };

        (void)state;
        assert_true(ldap_entry_names_user(one, "alice", false));
        assert_false(ldap_entry_names_user(one, "ALICE", false));
        assert_false(ldap_entry_names_user(one, "alic", false));
        assert_false(ldap_entry_names_user(two, "alice", false));
        assert_false(ldap_entry_names_user(NULL, "alice", false));
        /* lower-case names: the directory's value is folded, the name is not */
        assert_true(ldap_entry_names_user(mixed, "yamada", true));
        assert_false(ldap_entry_names_user(mixed, "Yamada", true));
        assert_false(ldap_entry_names_user(mixed, "yamada", false));
}

static void a_listed_entry_is_named_as_a_lookup_would_find_it(void **state)
{
        const struct berval *one[] = { BV("alice"), NULL };
        const struct berval *two[] = { BV("alice"), BV("al"), NULL };
        const struct berval *mixed[] = { BV("Yamada"), NULL };
        const struct berval *spaced[] = { BV(" alice"), NULL };
        char out[LDAP_NAME_MAX + 1];

        (void)state;
        assert_int_equal(ldap_entry_user_name(one, false, out, sizeof(out)), 0);
        assert_string_equal(out, "alice");
        assert_int_equal(ldap_entry_user_name(mixed, false, out, sizeof(out)), 0);
        assert_string_equal(out, "Yamada");
        assert_int_equal(ldap_entry_user_name(mixed, true, out, sizeof(out)), 0);
        assert_string_equal(out, "yamada");
        assert_int_equal(ldap_entry_user_name(two, false, out, sizeof(out)), -EINVAL);
        assert_int_equal(ldap_entry_user_name(NULL, false, out, sizeof(out)), -EINVAL);
        assert_int_equal(ldap_entry_user_name(spaced, false, out, sizeof(out)), -EINVAL);
        assert_int_equal(ldap_entry_user_name(one, false, out, 5), -EINVAL);
}

static void dn_keys_compare_as_the_directory_does(void **state)
{
        char *a = NULL, *b = NULL;

        (void)state;
        assert_int_equal(ldap_entry_dn_key(U("uid=suzuki,ou=people,dc=kagi,dc=test"), &a), 0);
        assert_int_equal(ldap_entry_dn_key(U("UID=Suzuki, OU=People,DC=kagi,DC=test"), &b), 0);
        assert_string_equal(a, b);
        free(b);
        b = NULL;
        assert_int_equal(ldap_entry_dn_key(U("uid=suzuki2,ou=people,dc=kagi,dc=test"), &b), 0);
        assert_string_not_equal(a, b);
        free(a);
        free(b);
        a = b = NULL;
        assert_int_equal(ldap_entry_dn_key(U("cn=Kagi Admins\\2C Tokyo,ou=ad"), &a), 0);
        assert_int_equal(ldap_entry_dn_key(U("cn=kagi admins\\, tokyo,OU=ad"), &b), 0);
        assert_string_equal(a, b);
        free(a);
        free(b);
        assert_int_equal(ldap_entry_dn_key(U("not a dn"), &a), -EINVAL);
        assert_int_equal(ldap_entry_dn_key(U(""), &a), -EINVAL);
}

static void group_lists_have_no_duplicates(void **state)
{
        struct strv g = { 0 };

        (void)state;
        assert_int_equal(ldap_entry_add_group(&g, "staff"), 0);
        assert_int_equal(ldap_entry_add_group(&g, "staff"), 0);
        assert_int_equal(ldap_entry_add_group(&g, "admins"), 0);
        assert_int_equal(g.n, 2);
        for (size_t i = 0; i < g.n; i++)
                free(g.v[i]);
        free(g.v);
}

/* ---- mapping ----------------------------------------------------------------------- */

static struct kagi_config *dir_config(const char *extra)
{
        char text[2048], err[512];
        struct kagi_config *c;

        snprintf(text, sizeof(text), "[directory]\nbackend = ldap\nuri = ldaps://ldap.example\n"
                                     "base = dc=example,dc=jp\n%s\n", extra);
        c = slapd_config_text(text, err, sizeof(err));
        if (!c)
                fprintf(stderr, "%s\n", err);
        return c;
}

/* The words of v separated by spaces; NULL for none. */
static const char *joined(const char *const *v, char *buf, size_t size)
{
        size_t n = 0;

        buf[0] = '\0';
        for (size_t i = 0; v[i]; i++) {
                n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? " " : "", v[i]);
                assert_true(n < size);
        }
        return buf[0] ? buf : NULL;
}

static const char *rule_names(uint32_t rules, char *buf, size_t size)
{
        static const char *const names[] = { "ad_uac", "ad_expires", "shadow_expire", "ppolicy_lock", NULL };
        const char *set[33];
        size_t n = 0;

        for (unsigned i = 0; i < 32; i++)
                if (rules & (1u << i))
                        set[n++] = i < sizeof(names) / sizeof(names[0]) - 1 ? names[i] : "?";
        set[n] = NULL;
        return joined(set, buf, size);
}

/* The map as text, a line "field: value" per field ("(none)" for NULL,
 * lists space-separated), and last what one user search asks for. */
static char *map_text(const struct ldap_map *m, const char *const *user_attrs)
{
        char names[256], departments[256], rules[128], search[512];
        const struct {
                const char *field;
                const char *value;
        } lines[] = {
                { "user_attr", m->user_attr },
                { "user_filter", m->user_filter },
                { "lowercase_names", m->lowercase_names ? "yes" : "no" },
                { "name_attrs", joined(m->name_attrs, names, sizeof(names)) },
                { "department_attrs", joined(m->department_attrs, departments, sizeof(departments)) },
                { "uid_attr", m->uid_attr },
                { "cert_attr", m->cert_attr },
                { "group_base", m->group_base },
                { "group_filter", m->group_filter },
                { "member_attr", m->member_attr },
                { "memberof_attr", m->memberof_attr },
                { "group_name_attr", m->group_name_attr },
                { "disabled_filter", m->disabled_filter },
                { "rules", rule_names(m->rules, rules, sizeof(rules)) },
                { "user search", joined(user_attrs, search, sizeof(search)) },
        };
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        assert_non_null(f);
        for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
                fprintf(f, "%s: %s\n", lines[i].field, lines[i].value ? lines[i].value : "(none)");
        assert_int_equal(fclose(f), 0);
        return text;
}

/* The map a [directory] section with `extra` in it gives is `want`. */
static void assert_map_is(const char *extra, const char *want)
{
        struct kagi_config *c = dir_config(extra);
        const char *attrs[LDAP_MAP_ATTRS_MAX];
        struct ldap_map m;
        size_t n;
        char *got;

        assert_non_null(c);
        assert_int_equal(ldap_map_init(&m, c), 0);
        n = ldap_map_user_attrs(&m, attrs);
        assert_null(attrs[n]);
        got = map_text(&m, attrs);
        assert_string_equal(got, want);
        free(got);
        ldap_map_clear(&m);
        config_free(c);
}

static void openldap_defaults(void **state)
{
        (void)state;
        assert_map_is("",
                      "user_attr: uid\n"
                      "user_filter: (|(objectClass=inetOrgPerson)(objectClass=posixAccount))\n"
                      "lowercase_names: no\n"
                      "name_attrs: displayName cn\n"
                      "department_attrs: departmentNumber ou\n"
                      "uid_attr: uidNumber\n"
                      "cert_attr: userCertificate;binary\n"
                      "group_base: dc=example,dc=jp\n"
                      "group_filter: (objectClass=groupOfNames)\n"
                      "member_attr: member\n"
                      "memberof_attr: (none)\n"
                      "group_name_attr: cn\n"
                      "disabled_filter: (none)\n"
                      "rules: shadow_expire ppolicy_lock\n"
                      "user search: uid displayName cn departmentNumber ou uidNumber shadowExpire pwdAccountLockedTime\n");
}

static void ad_defaults(void **state)
{
        (void)state;
        assert_map_is("schema = ad",
                      "user_attr: sAMAccountName\n"
                      "user_filter: (&(objectClass=user)(objectCategory=person))\n"
                      "lowercase_names: yes\n"
                      "name_attrs: displayName cn\n"
                      "department_attrs: department\n"
                      "uid_attr: uidNumber\n"
                      "cert_attr: userCertificate;binary\n"
                      "group_base: dc=example,dc=jp\n"
                      "group_filter: (none)\n"
                      "member_attr: member\n"
                      "memberof_attr: memberOf\n"
                      "group_name_attr: cn\n"
                      "disabled_filter: (none)\n"
                      "rules: ad_uac ad_expires\n"
                      "user search: sAMAccountName displayName cn department uidNumber memberOf userAccountControl accountExpires\n");
}

static void every_mapping_key_overrides_its_default(void **state)
{
        (void)state;
        assert_map_is("schema = ad\nuser_attr = userPrincipalName\n"
                      "user_filter = (objectClass=person)\nlowercase_names = no\n"
                      "name_attr = cn\ndepartment_attr = ou departmentNumber\n"
                      "uid_attr = none\ncert_attr = userSMIMECertificate;binary\n"
                      "group_base = ou=groups,dc=example,dc=jp\n"
                      "group_filter = (objectClass=group)\nmember_attr = member\n"
                      "memberof_attr = none\ngroup_name_attr = sAMAccountName\n"
                      "disabled_filter = (employeeType=retired)",
                      /* uid_attr = none: the search asks for no uidNumber */
                      "user_attr: userPrincipalName\n"
                      "user_filter: (objectClass=person)\n"
                      "lowercase_names: no\n"
                      "name_attrs: cn\n"
                      "department_attrs: ou departmentNumber\n"
                      "uid_attr: (none)\n"
                      "cert_attr: userSMIMECertificate;binary\n"
                      "group_base: ou=groups,dc=example,dc=jp\n"
                      "group_filter: (objectClass=group)\n"
                      "member_attr: member\n"
                      "memberof_attr: (none)\n"
                      "group_name_attr: sAMAccountName\n"
                      "disabled_filter: (employeeType=retired)\n"
                      "rules: ad_uac ad_expires\n"
                      "user search: userPrincipalName cn ou departmentNumber userAccountControl accountExpires\n");
}

/* ---- configuration ----------------------------------------------------------------------- */

static void expect_config_error(const char *extra, const char *needle)
{
        char text[2048], err[512];
        struct kagi_config *c;

        snprintf(text, sizeof(text), "[directory]\nbackend = ldap\n%s\n", extra);
        c = slapd_config_text(text, err, sizeof(err));
        if (c || !strstr(err, needle))
                fprintf(stderr, "config:\n%s\nerror: %s\nexpected: %s\n", text, c ? "(none)" : err, needle);
        assert_null(c);
        assert_non_null(strstr(err, needle));
}

static void cleartext_uris_are_refused(void **state)
{
        (void)state;
        expect_config_error("uri = ldap://ldap.example\nbase = dc=x", "clear text");
        expect_config_error("uri = ldapi:///run/slapd.sock\nbase = dc=x", "not an ldaps:// or ldap:// URI");
        expect_config_error("uri = ldaps://a ldap://b\nbase = dc=x", "ldap://b");
}

static void starttls_makes_ldap_uris_acceptable(void **state)
{
        char err[512];
        struct kagi_config *c = slapd_config_text("[directory]\nbackend = ldap\nuri = ldap://a ldaps://b\n"
                                                  "starttls = yes\nbase = dc=x\n", err, sizeof(err));

        (void)state;
        assert_non_null(c);
        assert_int_equal(c->ldap_uri.n, 2);
        config_free(c);
}

static void bind_settings_must_go_together(void **state)
{
        (void)state;
        expect_config_error("uri = ldaps://a\nbase = dc=x\nbind_dn = cn=kagi", "bind_dn needs a bind_password_file");
        expect_config_error("uri = ldaps://a\nbase = dc=x\nbind_password_file = /etc/kagi/pw", "without bind_dn");
        expect_config_error("uri = ldaps://a\nbase = dc=x\nbind_dn = cn=k\nbind_password_file = /p\n"
                            "sasl_external = yes\ncert_file = /c\nkey_file = /k", "not both");
        expect_config_error("uri = ldaps://a\nbase = dc=x\nsasl_external = yes", "needs cert_file and key_file");
        expect_config_error("uri = ldaps://a\nbase = dc=x\ncert_file = /c", "go together");
        expect_config_error("uri = ldaps://a", "needs base");
        expect_config_error("base = dc=x", "needs uri");
}

static void mapping_values_are_checked(void **state)
{
        (void)state;
        expect_config_error("uri = ldaps://a\nbase = dc=x\nuser_attr = u id", "LDAP attribute name");
        expect_config_error("uri = ldaps://a\nbase = dc=x\nuser_attr = (uid)", "LDAP attribute name");
        expect_config_error("uri = ldaps://a\nbase = dc=x\nname_attr = a b c d e", "up to four");
        expect_config_error("uri = ldaps://a\nbase = dc=x\nuser_filter = objectClass=person", "LDAP filter");
        expect_config_error("uri = ldaps://a\nbase = dc=x\nuser_filter = (objectClass=person", "LDAP filter");
        expect_config_error("uri = ldaps://a\nbase = dc=x\ngroup_filter = (a=b))(c=d)", "LDAP filter");
        expect_config_error("uri = ldaps://a\nbase = dc=x\ndisabled_filter = (a=\\zz)", "LDAP filter");
        expect_config_error("uri = ldaps://a\nbase = dc=x\nuser_attr = none", "cannot be none");
        expect_config_error("uri = ldaps://a\nbase = dc=x\nuser_filter = none", "cannot be none");
        expect_config_error("uri = ldaps://a\nbase = dc=x\nlowercase_names = maybe", "yes or no");
        expect_config_error("uri = ldaps://a\nbase = dc=x\ncache_ttl = 4000", "0 to 3600");
        expect_config_error("uri = ldaps://a\nbase = dc=x\ntimeout = 0", "1 to 120");
}

static void attribute_descriptions_with_options_and_oids_are_accepted(void **state)
{
        struct kagi_config *c = dir_config("cert_attr = userCertificate;binary\nuid_attr = 1.3.6.1.1.1.1.0\n"
                                           "disabled_filter = (&(a=\\2a)(!(b=c)))");

        (void)state;
        assert_non_null(c);
        config_free(c);
}

/* ---- cache ---------------------------------------------------------------------------------- */

static void cached_accounts_expire_after_the_ttl(void **state)
{
        int key = 0;
        struct dir_cache *c = NULL;
        struct dir_account a = { .exists = true, .enabled = true, .uid = 7 }, got = { 0 };

        (void)state;
        assert_int_equal(dir_cache_get(&key, 60, &c), 0);
        assert_non_null(c);
        snprintf(a.display_name, sizeof(a.display_name), "Alice");
        assert_int_equal(ldap_entry_add_group(&a.groups, "staff"), 0);
        assert_int_equal(dir_cache_store(c, "alice", 1000, &a), 0);
        assert_int_equal(dir_cache_find(c, "alice", 1000 + 59999, &got), 1);
        assert_true(got.exists);
        assert_string_equal(got.display_name, "Alice");
        assert_int_equal(got.groups.n, 1);
        assert_string_equal(got.groups.v[0], "staff");
        dir_account_clear(&got);
        assert_int_equal(dir_cache_find(c, "alice", 1000 + 60000, &got), 0);
        assert_int_equal(dir_cache_find(c, "bob", 1000, &got), 0);
        dir_account_clear(&a);
        dir_cache_put(c);
}

static void no_cache_when_the_ttl_is_zero(void **state)
{
        int key = 0;
        struct dir_cache *c = (struct dir_cache *)&key;
        struct dir_account got = { 0 };

        (void)state;
        assert_int_equal(dir_cache_get(&key, 0, &c), 0);
        assert_null(c);
        assert_int_equal(dir_cache_find(NULL, "alice", 0, &got), 0);
}

static void handles_of_one_configuration_share_a_cache(void **state)
{
        int key1 = 0, key2 = 0;
        struct dir_cache *a = NULL, *b = NULL, *other = NULL;
        struct dir_account acct = { .exists = false, .uid = (uid_t)-1 }, got = { 0 };

        (void)state;
        assert_int_equal(dir_cache_get(&key1, 30, &a), 0);
        assert_int_equal(dir_cache_get(&key1, 30, &b), 0);
        assert_int_equal(dir_cache_get(&key2, 30, &other), 0);
        assert_ptr_equal(a, b);
        assert_ptr_not_equal(a, other);
        assert_int_equal(dir_cache_store(a, "ghost", 0, &acct), 0);
        assert_int_equal(dir_cache_find(b, "ghost", 1, &got), 1);
        assert_false(got.exists);
        assert_int_equal(dir_cache_find(other, "ghost", 1, &got), 0);
        dir_cache_put(a);
        assert_int_equal(dir_cache_find(b, "ghost", 1, &got), 1);
        dir_cache_put(b);
        dir_cache_put(other);
}

/* Stores user0 … user(n-1), one a millisecond from `from` on. */
static void store_users(struct dir_cache *c, int n, int64_t from)
{
        struct dir_account a = { .exists = true };
        char name[32];

        for (int i = 0; i < n; i++) {
                snprintf(name, sizeof(name), "user%d", i);
                assert_int_equal(dir_cache_store(c, name, from + i, &a), 0);
        }
}

static void a_full_cache_drops_the_oldest(void **state)
{
        int key = 0;
        struct dir_cache *c = NULL;
        struct dir_account got = { 0 };

        (void)state;
        assert_int_equal(dir_cache_get(&key, 3600, &c), 0);
        store_users(c, 1025, 1000);
        assert_int_equal(dir_cache_find(c, "user0", 2100, &got), 0);
        assert_int_equal(dir_cache_find(c, "user1", 2100, &got), 1);
        assert_int_equal(dir_cache_find(c, "user1024", 2100, &got), 1);
        dir_cache_put(c);
}

/* Stored again, an account is as new as its second look-up: the cache
 * drops the others first, and still holds DIR_CACHE_MAX accounts. */
static void an_account_stored_again_is_the_newest(void **state)
{
        int key = 0;
        struct dir_cache *c = NULL;
        struct dir_account a = { .exists = true }, got = { 0 };

        (void)state;
        assert_int_equal(dir_cache_get(&key, 3600, &c), 0);
        assert_int_equal(dir_cache_store(c, "alice", 1000, &a), 0);
        assert_int_equal(dir_cache_store(c, "bob", 1001, &a), 0);
        assert_int_equal(dir_cache_store(c, "alice", 1002, &a), 0);
        store_users(c, DIR_CACHE_MAX - 2, 1003);
        /* alice, bob and the others: exactly full */
        assert_int_equal(dir_cache_find(c, "bob", 3000, &got), 1);
        assert_int_equal(dir_cache_store(c, "carol", 3000, &a), 0);
        assert_int_equal(dir_cache_find(c, "bob", 3000, &got), 0);
        assert_int_equal(dir_cache_find(c, "alice", 3000, &got), 1);
        assert_int_equal(dir_cache_find(c, "user0", 3000, &got), 1);
        assert_int_equal(dir_cache_find(c, "carol", 3000, &got), 1);
        dir_cache_put(c);
}

/* An expired account is not seen, and looking it up again caches it anew. */
static void an_expired_account_is_looked_up_again(void **state)
{
        int key = 0;
        struct dir_cache *c = NULL;
        struct dir_account a = { .exists = true, .uid = 7 }, got = { 0 };

        (void)state;
        assert_int_equal(dir_cache_get(&key, 60, &c), 0);
        assert_int_equal(dir_cache_store(c, "alice", 1000, &a), 0);
        assert_int_equal(dir_cache_store(c, "bob", 50000, &a), 0);
        assert_int_equal(dir_cache_find(c, "alice", 61000, &got), 0);
        assert_int_equal(dir_cache_find(c, "bob", 61000, &got), 1);
        a.uid = 8;
        assert_int_equal(dir_cache_store(c, "alice", 61000, &a), 0);
        assert_int_equal(dir_cache_find(c, "alice", 61001, &got), 1);
        assert_int_equal(got.uid, 8);
        dir_cache_put(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(plain_names_are_accepted),
                cmocka_unit_test(empty_and_absurdly_long_names_are_refused),
                cmocka_unit_test(names_with_nul_or_control_characters_are_refused),
                cmocka_unit_test(names_with_surrounding_spaces_are_refused),
                cmocka_unit_test(names_that_are_not_utf8_are_refused),
                cmocka_unit_test(display_text_keeps_utf8_and_hides_control_characters),
                cmocka_unit_test(display_text_is_cut_at_a_character_boundary),
                cmocka_unit_test(group_names_must_be_clean_and_fit),
                cmocka_unit_test(escaping_writes_metacharacters_as_hex),
                cmocka_unit_test(escaping_writes_non_ascii_as_hex),
                cmocka_unit_test(user_filter_combines_the_mapping_and_the_escaped_name),
                cmocka_unit_test(ad_filters_use_samaccountname_and_the_escaped_dn),
                cmocka_unit_test(integers_are_read_strictly),
                cmocka_unit_test(uid_numbers_fit_a_uid),
                cmocka_unit_test(ad_account_with_the_disable_bit_is_disabled),
                cmocka_unit_test(unreadable_state_values_fail_closed),
                cmocka_unit_test(ad_account_past_its_expiry_is_disabled),
                cmocka_unit_test(shadow_expire_disables_from_that_day_on),
                cmocka_unit_test(ppolicy_administrative_lock_disables),
                cmocka_unit_test(rules_of_the_other_schema_are_not_applied),
                cmocka_unit_test(memberof_dns_give_the_group_name),
                cmocka_unit_test(the_user_attribute_must_hold_exactly_the_name),
                cmocka_unit_test(a_listed_entry_is_named_as_a_lookup_would_find_it),
                cmocka_unit_test(dn_keys_compare_as_the_directory_does),
                cmocka_unit_test(group_lists_have_no_duplicates),
                cmocka_unit_test(openldap_defaults),
                cmocka_unit_test(ad_defaults),
                cmocka_unit_test(every_mapping_key_overrides_its_default),
                cmocka_unit_test(cleartext_uris_are_refused),
                cmocka_unit_test(starttls_makes_ldap_uris_acceptable),
                cmocka_unit_test(bind_settings_must_go_together),
                cmocka_unit_test(mapping_values_are_checked),
                cmocka_unit_test(attribute_descriptions_with_options_and_oids_are_accepted),
                cmocka_unit_test(cached_accounts_expire_after_the_ttl),
                cmocka_unit_test(no_cache_when_the_ttl_is_zero),
                cmocka_unit_test(handles_of_one_configuration_share_a_cache),
                cmocka_unit_test(a_full_cache_drops_the_oldest),
                cmocka_unit_test(an_account_stored_again_is_the_newest),
                cmocka_unit_test(an_expired_account_is_looked_up_again),
        };

        return cmocka_run_group_tests_name("ldap-pure", tests, NULL, NULL);
}
