/* examples/kagi.conf says it shows every key with its default: it must be a
 * configuration kagi accepts, and give the defaults it claims.
 *
 * usage: test-example-config FILE */
#include "unit.h"

#include "common.h"
#include "policy.h"

static const char *path;

static void example_config_parses_with_its_defaults(void **state)
{
        _cleanup_(config_freep) struct kagi_config *c = NULL;
        static uint8_t buf[KAGI_CONFIG_MAX];
        char err[512] = "";
        FILE *f = fopen(path, "re");
        size_t n;

        (void)state;
        assert_non_null(f);
        n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        if (config_parse(buf, n, path, &c, err, sizeof(err)) < 0)
                fail_msg("%s", err);
        assert_int_equal(c->workers, 8);
        assert_int_equal(c->max_connections, 1024);
        assert_int_equal(c->root_connections, 256);
        assert_int_equal(c->max_connections_per_uid, 32);
        assert_int_equal(c->request_timeout_ms, 2000);
        assert_int_equal(c->lockout.threshold, 3);
        assert_int_equal(c->attempt_timeout, 120);
        assert_int_equal(c->pam_timeout, 5);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(example_config_parses_with_its_defaults),
        };

        if (argc != 2) {
                fprintf(stderr, "usage: %s FILE\n", argv[0]);
                return 2;
        }
        path = argv[1];
        return cmocka_run_group_tests(tests, NULL, NULL);
}
