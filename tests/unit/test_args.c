/* pam_kagi.so's arguments (pam_module/args.c): every argument, and every
 * mistake refused rather than ignored. */
#include "unit.h"

#include "config.h"
#include "pam_kagi.h"

struct parsed {
        struct pk_args a;
        char err[256];
};

#define ARGS(...) ((const char *[]){ __VA_ARGS__ })
#define PARSE(p, ...) \
        pk_args_parse(ARRAY_SIZE(ARGS(__VA_ARGS__)), ARGS(__VA_ARGS__), &(p)->a, (p)->err, sizeof((p)->err))

/* Refused with an error message that contains `want`, leaving ret alone. */
static void refused(int argc, const char **argv, const char *want)
{
        struct pk_args a = { .config = "untouched" };
        char err[256] = "";

        assert_int_equal(pk_args_parse(argc, argv, &a, err, sizeof(err)), -EINVAL);
        assert_contains(err, want);
        assert_string_equal(a.config, "untouched");
}
#define REFUSED(want, ...) refused(ARRAY_SIZE(ARGS(__VA_ARGS__)), ARGS(__VA_ARGS__), want)

static void no_arguments_give_the_defaults(void **state)
{
        struct pk_args a = { 0 };
        char err[64];

        (void)state;
        assert_int_equal(pk_args_parse(0, NULL, &a, err, sizeof(err)), 0);
        assert_string_equal(a.config, KAGI_DEFAULT_CONFIG);
        assert_string_equal(a.config, "/etc/kagi/kagi.conf");
        assert_null(a.socket);
        assert_null(a.zone);
        assert_int_equal(a.mode, PK_MODE_AUTH);
        assert_false(a.debug);
}

static void every_argument_is_read(void **state)
{
        struct parsed p;

        (void)state;
        assert_int_equal(PARSE(&p, "config=/tmp/k/kagi.conf", "socket=/tmp/k/kagid.sock", "zone=mynumber", "debug"), 0);
        assert_string_equal(p.a.config, "/tmp/k/kagi.conf");
        assert_string_equal(p.a.socket, "/tmp/k/kagid.sock");
        assert_string_equal(p.a.zone, "mynumber");
        assert_true(p.a.debug);
        assert_int_equal(p.a.mode, PK_MODE_AUTH);
}

/* The two pam_faillock-style modes must not be mixed up: preauth refuses a
 * locked account before the password prompt, authfail counts a failure. */
static void preauth_gives_preauth_mode(void **state)
{
        struct parsed p;

        (void)state;
        assert_int_equal(PARSE(&p, "preauth"), 0);
        assert_int_equal(p.a.mode, PK_MODE_PREAUTH);
        assert_int_equal(PARSE(&p, "debug", "preauth", "zone=z"), 0);
        assert_int_equal(p.a.mode, PK_MODE_PREAUTH);
}

static void authfail_gives_authfail_mode(void **state)
{
        struct parsed p;

        (void)state;
        assert_int_equal(PARSE(&p, "authfail"), 0);
        assert_int_equal(p.a.mode, PK_MODE_AUTHFAIL);
        assert_int_equal(PARSE(&p, "config=/k.conf", "authfail"), 0);
        assert_int_equal(p.a.mode, PK_MODE_AUTHFAIL);
}

static void both_modes_are_refused(void **state)
{
        (void)state;
        REFUSED("only one of preauth and authfail", "preauth", "authfail");
        REFUSED("only one of preauth and authfail", "authfail", "preauth");
        REFUSED("only one of preauth and authfail", "preauth", "preauth");
}

static void repeated_arguments_are_refused(void **state)
{
        (void)state;
        REFUSED("config= must be given once", "config=/a.conf", "config=/b.conf");
        REFUSED("socket= must be given once", "socket=/a.sock", "socket=/a.sock");
        REFUSED("zone= must be given once", "zone=a", "zone=b");
        REFUSED("debug", "debug", "debug");
}

static void relative_paths_are_refused(void **state)
{
        (void)state;
        REFUSED("config= must be given once, as an absolute path: config=kagi.conf", "config=kagi.conf");
        REFUSED("as an absolute path", "config=");
        REFUSED("as an absolute path", "config=./kagi.conf");
        REFUSED("socket= must be given once, as an absolute path: socket=run/kagid.sock", "socket=run/kagid.sock");
        REFUSED("as an absolute path", "socket=");
}

static void zone_name_must_be_1_to_32_characters(void **state)
{
        struct parsed p;

        (void)state;
        REFUSED("zone= must be given once, 1-32 characters", "zone=");
        REFUSED("1-32 characters", "zone=012345678901234567890123456789012");
        assert_int_equal(PARSE(&p, "zone=01234567890123456789012345678901"), 0);
        assert_int_equal(strlen(p.a.zone), 32);
}

static void unknown_argument_is_refused(void **state)
{
        (void)state;
        REFUSED("unknown module argument 'try_first_pass'", "try_first_pass");
        REFUSED("unknown module argument 'Debug'", "Debug");
        REFUSED("unknown module argument 'config'", "config");          /* no '=' */
        REFUSED("unknown module argument 'configfile=/x'", "configfile=/x");
        REFUSED("unknown module argument 'preauth=1'", "preauth=1");
        REFUSED("unknown module argument ''", "");
        /* an unknown argument after good ones still refuses the whole line */
        REFUSED("unknown module argument 'silent'", "debug", "preauth", "silent");
}

static void null_argument_is_refused(void **state)
{
        (void)state;
        REFUSED("empty module argument", "debug", NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(no_arguments_give_the_defaults),
                cmocka_unit_test(every_argument_is_read),
                cmocka_unit_test(preauth_gives_preauth_mode),
                cmocka_unit_test(authfail_gives_authfail_mode),
                cmocka_unit_test(both_modes_are_refused),
                cmocka_unit_test(repeated_arguments_are_refused),
                cmocka_unit_test(relative_paths_are_refused),
                cmocka_unit_test(zone_name_must_be_1_to_32_characters),
                cmocka_unit_test(unknown_argument_is_refused),
                cmocka_unit_test(null_argument_is_refused),
        };

        return cmocka_run_group_tests_name("args", tests, NULL, NULL);
}
