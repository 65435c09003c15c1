/* directory_list against a real slapd (tests/ldap/slapd-fixture.sh): every
 * account the listing gives is what directory_lookup of its name says, and
 * every name a lookup knows is listed; the listing pages past slapd's size
 * limit; and a listing that cannot be completed is an error, never part of
 * the directory taken for all of it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common.h"
#include "directory.h"
#include "slapd.h"

static struct slapd sd;

struct listed {
        struct dir_account a;
        bool has_cert;
};

struct listing {
        struct listed *v;
        size_t n;
};

static int collect(void *userdata, const struct dir_account *a, bool has_cert)
{
        struct listing *l = userdata;
        struct listed *nv = realloc(l->v, (l->n + 1) * sizeof(*nv));

        if (!nv)
                return -ENOMEM;
        l->v = nv;
        l->v[l->n] = (struct listed){ .has_cert = has_cert };
        assert_int_equal(dir_account_copy(a, &l->v[l->n].a), 0);
        l->n++;
        return 0;
}

static void listing_clear(struct listing *l)
{
        for (size_t i = 0; i < l->n; i++)
                dir_account_clear(&l->v[i].a);
        free(l->v);
        *l = (struct listing){ 0 };
}

static const struct listed *listed(const struct listing *l, const char *name)
{
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->v[i].a.name, name) == 0)
                        return &l->v[i];
        return NULL;
}

static bool same_groups(const struct strv *a, const struct strv *b)
{
        if (a->n != b->n)
                return false;
        for (size_t i = 0; i < a->n; i++)
                if (!strv_contains(b, a->v[i]))
                        return false;
        return true;
}

/* The listing's answer for name is the lookup's: the same account, or
 * absent where the lookup finds nobody or refuses to choose. */
static void agrees(struct directory *d, const struct listing *l, const char *name)
{
        const struct listed *x = listed(l, name);
        struct dir_account a;
        struct dir_certs c;
        int r = directory_lookup(d, name, &a);

        if (r == -ENOTUNIQ || (r == 0 && !a.exists)) {
                if (x)
                        fail_msg("%s is listed, but a lookup finds nobody (%d)", name, r);
                dir_account_clear(&a);
                return;
        }
        assert_int_equal(r, 0);
        if (!x)
                fail_msg("a lookup finds %s, but the listing does not", name);
        assert_string_equal(x->a.name, a.name);
        assert_true(x->a.exists);
        if (x->a.enabled != a.enabled)
                fail_msg("%s: enabled %d listed, %d looked up", name, x->a.enabled, a.enabled);
        assert_string_equal(x->a.display_name, a.display_name);
        assert_string_equal(x->a.department, a.department);
        assert_true(x->a.uid == a.uid);
        if (!same_groups(&x->a.groups, &a.groups))
                fail_msg("%s: %zu groups listed, %zu looked up", name, x->a.groups.n, a.groups.n);
        assert_int_equal(directory_certificates(d, name, &c), 0);
        if (x->has_cert != (c.n > 0))
                fail_msg("%s: has_certificate %d listed, %zu certificates looked up", name, x->has_cert, c.n);
        dir_certs_clear(&c);
        dir_account_clear(&a);
}

/* Everyone directory.ldif names, in the case it spells them and others. */
static const char *const ldif_names[] = {
        "alice", "Alice", "ALICE", "tanaka", "suzuki", "retired", "locked", "contractor", "twin", "alias",
        "alias2", "nopw", "star*user", "madoguchi01", "yamada", "Yamada", "sato", "kato", "nobody",
};

static void check_agreement(const char *extra, size_t expect_min)
{
        struct kagi_config *c;
        struct directory *d;
        struct listing l = { 0 };

        assert_int_equal(slapd_directory(&sd, extra, &c, &d), 0);
        assert_int_equal(directory_list(d, collect, &l), 0);
        if (l.n < expect_min)
                fail_msg("only %zu accounts listed (%s)", l.n, extra ? extra : "defaults");
        for (size_t i = 0; i < l.n; i++)
                agrees(d, &l, l.v[i].a.name);
        for (size_t i = 0; i < ARRAY_SIZE(ldif_names); i++)
                agrees(d, &l, ldif_names[i]);
        listing_clear(&l);
        directory_close(d);
        config_free(c);
}

static const char ad_extra[] = "schema = ad\nbase = ou=ad,dc=kagi,dc=test\n"
                               "user_filter = (objectClass=user)";

static void listing_agrees_with_lookups_through_group_searches(void **state)
{
        (void)state;
        /* a member DN spelled otherwise than the entry's: the directory
         * compares DNs normalised, and so must the listing */
        assert_int_equal(slapd_modify(&sd, "dn: cn=admins,ou=groups,dc=kagi,dc=test\nchangetype: modify\n"
                                           "add: member\nmember: UID=Suzuki, OU=People,DC=kagi,DC=test\n"),
                         0);
        check_agreement(NULL, 8);
        check_agreement("disabled_filter = (employeeType=disabled)", 8);
        check_agreement("lowercase_names = yes", 8);
        check_agreement("uid_attr = none\nname_attr = cn\ndepartment_attr = none", 8);
}

static void listing_agrees_with_lookups_through_memberof(void **state)
{
        char extra[512];

        (void)state;
        check_agreement(ad_extra, 3);
        /* both at once, as a lookup does them both */
        snprintf(extra, sizeof(extra), "%s\ngroup_filter = (objectClass=groupOfNames)\n"
                                       "group_base = dc=kagi,dc=test", ad_extra);
        check_agreement(extra, 3);
}

static void listing_details(void **state)
{
        struct kagi_config *c;
        struct directory *d;
        struct listing l = { 0 };
        const struct listed *x;

        (void)state;
        assert_int_equal(slapd_directory(&sd, NULL, &c, &d), 0);
        assert_int_equal(directory_list(d, collect, &l), 0);
        x = listed(&l, "alice");
        assert_non_null(x);
        assert_true(strv_contains(&x->a.groups, "admins"));
        assert_false(x->has_cert);
        x = listed(&l, "suzuki");             /* a member of admins by another spelling of its DN */
        assert_non_null(x);
        assert_true(strv_contains(&x->a.groups, "admins"));
        x = listed(&l, "tanaka");
        assert_non_null(x);
        assert_true(x->has_cert);
        x = listed(&l, "retired");
        assert_non_null(x);
        assert_false(x->a.enabled);
        /* ambiguous: nobody, as for a lookup */
        assert_null(listed(&l, "twin"));
        assert_null(listed(&l, "alias"));
        assert_null(listed(&l, "alias2"));
        listing_clear(&l);
        directory_close(d);
        config_free(c);
}

/* ---- paging -------------------------------------------------------------------------- */

#define BULK 1200                             /* slapd's default sizelimit is 500 */

static void add_bulk_people(void)
{
        size_t size = BULK * 256 + 1024 + BULK * 64, n = 0;
        char *ldif = malloc(size);

        assert_non_null(ldif);
        for (int i = 0; i < BULK; i++)
                n += (size_t)snprintf(ldif + n, size - n,
                                      "dn: uid=bulk%04d,ou=people,dc=kagi,dc=test\nchangetype: add\n"
                                      "objectClass: inetOrgPerson\nuid: bulk%04d\ncn: Bulk %d\nsn: Bulk\n\n",
                                      i, i, i);
        n += (size_t)snprintf(ldif + n, size - n, "dn: cn=bulk,ou=groups,dc=kagi,dc=test\nchangetype: add\n"
                                                  "objectClass: groupOfNames\ncn: bulk\n");
        for (int i = 0; i < BULK; i++)
                n += (size_t)snprintf(ldif + n, size - n, "member: uid=bulk%04d,ou=people,dc=kagi,dc=test\n", i);
        assert_true(n < size);
        assert_int_equal(slapd_modify(&sd, ldif), 0);
        free(ldif);
}

static void listing_pages_past_the_size_limit_in_a_few_searches(void **state)
{
        struct kagi_config *c;
        struct directory *d;
        struct listing l = { 0 };
        size_t bulk = 0;
        long before, after;

        (void)state;
        add_bulk_people();
        assert_int_equal(slapd_directory(&sd, NULL, &c, &d), 0);
        before = slapd_ops(&sd, "Search");
        assert_int_equal(directory_list(d, collect, &l), 0);
        after = slapd_ops(&sd, "Search");
        for (size_t i = 0; i < l.n; i++) {
                if (strncmp(l.v[i].a.name, "bulk", 4) != 0)
                        continue;
                bulk++;
                assert_true(strv_contains(&l.v[i].a.groups, "bulk"));
        }
        assert_int_equal(bulk, BULK);
        /* users in three pages, groups in one, and slapd_ops's own search */
        fprintf(stderr, "listing of %zu accounts: %ld searches\n", l.n, after - before - 1);
        assert_true(before >= 0 && after - before - 1 <= 6);
        agrees(d, &l, "bulk0000");
        agrees(d, &l, "bulk1199");
        agrees(d, &l, "alice");
        listing_clear(&l);
        directory_close(d);
        config_free(c);
}

/* ---- cut short ----------------------------------------------------------------------------- */

/* The fixture's slapd.conf lets the service page without limit; with
 * slapd's default (its sizelimit, 500, over all pages) the listing is cut. */
static void set_paged_limit(const char *limit)
{
        char conf[512], cmd[1200];

        slapd_path(&sd, "slapd.conf", conf, sizeof(conf));
        snprintf(cmd, sizeof(cmd), "sed -i 's/size\\.prtotal=[a-z0-9]*/size.prtotal=%s/' '%s'", limit, conf);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(slapd_ctl(&sd, "restart"), 0);
}

static void a_size_limit_fails_the_listing(void **state)
{
        struct kagi_config *c;
        struct directory *d;
        struct listing l = { 0 };
        int r;

        (void)state;
        set_paged_limit("100");
        assert_int_equal(slapd_directory(&sd, NULL, &c, &d), 0);
        r = directory_list(d, collect, &l);
        set_paged_limit("unlimited");
        /* said as such: the administrator has a limit to raise */
        assert_int_equal(r, -E2BIG);
        assert_int_equal(l.n, 0);
        directory_close(d);
        config_free(c);
}

/* A listing while slapd is `down` (a slapd_ctl command), `up` after it. */
static void listing_fails_while(const char *extra, const char *down, const char *up)
{
        struct kagi_config *c;
        struct directory *d;
        struct listing l = { 0 };
        int r;

        assert_int_equal(slapd_directory(&sd, extra, &c, &d), 0);
        assert_int_equal(slapd_ctl(&sd, down), 0);
        r = directory_list(d, collect, &l);
        assert_int_equal(slapd_ctl(&sd, up), 0);
        assert_true(r < 0);
        assert_int_equal(l.n, 0);
        directory_close(d);
        config_free(c);
}

static void a_hung_directory_fails_the_listing(void **state)
{
        (void)state;
        listing_fails_while("timeout = 1", "pause", "resume");
}

static void a_stopped_directory_fails_the_listing(void **state)
{
        (void)state;
        listing_fails_while(NULL, "stop", "restart");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(listing_agrees_with_lookups_through_group_searches),
                cmocka_unit_test(listing_agrees_with_lookups_through_memberof),
                cmocka_unit_test(listing_details),
                cmocka_unit_test(listing_pages_past_the_size_limit_in_a_few_searches),
                cmocka_unit_test(a_size_limit_fails_the_listing),
                cmocka_unit_test(a_hung_directory_fails_the_listing),
                cmocka_unit_test(a_stopped_directory_fails_the_listing),
        };

        int r;

        if (slapd_test_start(&sd) < 0)
                return 1;
        r = cmocka_run_group_tests_name("ldap-list", tests, NULL, NULL);
        slapd_stop(&sd);
        return r;
}
