/* TOTP (broker/secrets/totp.c): RFC 6238 appendix B, the window, replay refusal
 * (CRED-2), skew reporting (LOG-4), strict code format, base32 secrets as
 * authenticator apps show them, and the otpauth:// URI. */
#include "unit.h"

#include <liboath/oath.h>

#include "secrets.h"

/* RFC 6238 appendix B: the SHA-1 seed is the ASCII of "1234567890" twice. */
static const uint8_t rfc_seed[] = "12345678901234567890";
#define RFC_SEED_LEN 20
static const struct totp_params rfc = { .digits = 8, .step = 30, .window = 1 };
static const struct totp_params six = { .digits = 6, .step = 30, .window = 1 };

static const struct {
        int64_t time;
        const char *code;
} vectors[] = {
        { 59, "94287082" },
        { 1111111109, "07081804" },
        { 1111111111, "14050471" },
        { 1234567890, "89005924" },
        { 2000000000, "69279037" },
        { INT64_C(20000000000), "65353130" },
};

#define NOW INT64_C(1111111111)

static int group_setup(void **state)
{
        (void)state;
        return oath_init() == OATH_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
        (void)state;
        oath_done();
        return 0;
}

static void code_at(const struct totp_params *p, int64_t t, char code[16])
{
        assert_int_equal(totp_generate(p, rfc_seed, RFC_SEED_LEN, t, code), 0);
}

static void rfc6238_vectors_are_generated(void **state)
{
        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(vectors); i++) {
                char code[16];

                code_at(&rfc, vectors[i].time, code);
                assert_string_equal(code, vectors[i].code);
        }
}

static void rfc6238_vectors_are_accepted(void **state)
{
        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(vectors); i++) {
                uint64_t counter = 0;
                int skew = 99;

                assert_int_equal(totp_check(&rfc, rfc_seed, RFC_SEED_LEN, vectors[i].code, vectors[i].time, 0,
                                            &counter, &skew),
                                 TOTP_OK);
                assert_int_equal(counter, (uint64_t)(vectors[i].time / 30));
                assert_int_equal(skew, 0);
        }
}

static void six_digit_code_is_the_tail_of_the_eight_digit_one(void **state)
{
        char code[16];

        (void)state;
        code_at(&six, 59, code);
        assert_string_equal(code, "287082");
}

static void wrong_code_is_refused(void **state)
{
        char code[16];
        uint64_t counter = 42;
        int skew = 42;

        (void)state;
        code_at(&six, NOW, code);
        code[5] = code[5] == '0' ? '1' : '0';
        assert_int_equal(totp_check(&six, rfc_seed, RFC_SEED_LEN, code, NOW, 0, &counter, &skew), TOTP_WRONG);
        assert_int_equal(counter, 42);
        assert_int_equal(skew, 42);
}

/* The code generated `steps` steps away from NOW, checked at NOW. */
static enum totp_result check_steps_away(int steps, uint64_t *ret_counter, int *ret_skew)
{
        char code[16];

        code_at(&six, NOW + steps * 30, code);
        return totp_check(&six, rfc_seed, RFC_SEED_LEN, code, NOW, 0, ret_counter, ret_skew);
}

static void one_step_either_side_is_accepted_and_its_skew_reported(void **state)
{
        const int steps[] = { -1, 1 };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
                uint64_t counter = 0;
                int skew = 0;

                assert_int_equal(check_steps_away(steps[i], &counter, &skew), TOTP_OK);
                assert_int_equal(counter, (uint64_t)(NOW / 30 + steps[i]));
                assert_int_equal(skew, steps[i]);
        }
}

static void two_steps_away_is_refused_with_window_one(void **state)
{
        const int steps[] = { -2, 2, -3, 3 };
        uint64_t counter = 0;
        int skew = 0;

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(steps); i++)
                assert_int_equal(check_steps_away(steps[i], &counter, &skew), TOTP_WRONG);
}

static void window_zero_accepts_only_the_current_step(void **state)
{
        const struct totp_params strict = { .digits = 6, .step = 30, .window = 0 };
        char now_code[16], prev_code[16];
        uint64_t counter = 0;
        int skew = 0;

        (void)state;
        code_at(&strict, NOW, now_code);
        code_at(&strict, NOW - 30, prev_code);
        assert_int_equal(totp_check(&strict, rfc_seed, RFC_SEED_LEN, now_code, NOW, 0, &counter, &skew), TOTP_OK);
        assert_int_equal(totp_check(&strict, rfc_seed, RFC_SEED_LEN, prev_code, NOW, 0, &counter, &skew),
                         TOTP_WRONG);
}

static void code_already_used_is_a_replay(void **state)
{
        char code[16];
        uint64_t counter = 0, again = 7;
        int skew = 0;

        (void)state;
        code_at(&six, NOW, code);
        assert_int_equal(totp_check(&six, rfc_seed, RFC_SEED_LEN, code, NOW, 0, &counter, &skew), TOTP_OK);
        /* the same code, a few seconds later, with the accepted step stored */
        assert_int_equal(totp_check(&six, rfc_seed, RFC_SEED_LEN, code, NOW + 5, counter, &again, &skew),
                         TOTP_REPLAY);
        assert_int_equal(again, 7);
}

static void code_for_an_earlier_step_is_a_replay(void **state)
{
        char code[16];
        uint64_t counter = 0;
        int skew = 0;
        const uint64_t last = NOW / 30;

        (void)state;
        /* the previous step's code is inside the window but older than what
         * was accepted last */
        code_at(&six, NOW - 30, code);
        assert_int_equal(totp_check(&six, rfc_seed, RFC_SEED_LEN, code, NOW, last, &counter, &skew), TOTP_REPLAY);
        /* the next step's code is new */
        code_at(&six, NOW + 30, code);
        assert_int_equal(totp_check(&six, rfc_seed, RFC_SEED_LEN, code, NOW, last, &counter, &skew), TOTP_OK);
        assert_int_equal(counter, last + 1);
}

static void malformed_codes_are_refused(void **state)
{
        char right[16], buf[32];
        const char *bad[] = { "", "12345", "1234567", "12345a", "abcdef", " 12345", "-12345", "+12345",
                              "１２３４５６" };
        uint64_t counter = 0;
        int skew = 0;

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
                assert_int_equal(totp_check(&six, rfc_seed, RFC_SEED_LEN, bad[i], NOW, 0, &counter, &skew),
                                 TOTP_WRONG);
        /* the right digits with anything around them are still wrong */
        code_at(&six, NOW, right);
        snprintf(buf, sizeof(buf), "%s\n", right);
        assert_int_equal(totp_check(&six, rfc_seed, RFC_SEED_LEN, buf, NOW, 0, &counter, &skew), TOTP_WRONG);
        snprintf(buf, sizeof(buf), " %s", right);
        assert_int_equal(totp_check(&six, rfc_seed, RFC_SEED_LEN, buf, NOW, 0, &counter, &skew), TOTP_WRONG);
        /* an 8-digit code where 6 are configured */
        code_at(&rfc, NOW, buf);
        assert_int_equal(totp_check(&six, rfc_seed, RFC_SEED_LEN, buf, NOW, 0, &counter, &skew), TOTP_WRONG);
}

static void generate_refuses_unsupported_digit_counts(void **state)
{
        const struct totp_params five = { .digits = 5, .step = 30 }, nine = { .digits = 9, .step = 30 };
        char code[16];

        (void)state;
        assert_int_equal(totp_generate(&five, rfc_seed, RFC_SEED_LEN, NOW, code), -EINVAL);
        assert_int_equal(totp_generate(&nine, rfc_seed, RFC_SEED_LEN, NOW, code), -EINVAL);
}

/* ---- base32 ------------------------------------------------------------------------ */

#define RFC_SEED_B32 "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

static void base32_decodes_the_rfc_seed(void **state)
{
        uint8_t *out = NULL;
        size_t len = 0;

        (void)state;
        assert_int_equal(totp_base32_decode(RFC_SEED_B32, &out, &len), 0);
        assert_int_equal(len, RFC_SEED_LEN);
        assert_memory_equal(out, rfc_seed, RFC_SEED_LEN);
        secret_free(out, len);
}

/* As authenticator apps and admins type it: lower case, in groups. */
static void base32_accepts_lower_case_spaces_and_dashes(void **state)
{
        const char *forms[] = { "gezdgnbvgy3tqojqgezdgnbvgy3tqojq", "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ",
                                "gezd-gnbv-gy3t-qojq-gezd-gnbv-gy3t-qojq" };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(forms); i++) {
                uint8_t *out = NULL;
                size_t len = 0;

                assert_int_equal(totp_base32_decode(forms[i], &out, &len), 0);
                assert_int_equal(len, RFC_SEED_LEN);
                assert_memory_equal(out, rfc_seed, RFC_SEED_LEN);
                secret_free(out, len);
        }
}

static void base32_refuses_junk(void **state)
{
        const char *junk[] = { "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ!", "GEZDGNBVGY3TQOJ0GEZDGNBVGY3TQOJQ",
                               "GEZDGNBVGY3TQOJQ\tGEZDGNBVGY3TQOJQ", "otpauth://totp/x" };
        uint8_t *out = (uint8_t *)"untouched";
        size_t len = 5;

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(junk); i++)
                assert_int_equal(totp_base32_decode(junk[i], &out, &len), -EINVAL);
        assert_string_equal((char *)out, "untouched");
        assert_int_equal(len, 5);
}

/* Decodes the base32 of n bytes; returns what totp_base32_decode says. */
static int decode_of_length(size_t n)
{
        uint8_t bytes[80], *out = NULL;
        char *b32 = NULL;
        size_t len = 0;
        int r;

        assert_true(n <= sizeof(bytes));
        for (size_t i = 0; i < n; i++)
                bytes[i] = (uint8_t)(i * 37 + 1);
        assert_int_equal(totp_base32_encode(bytes, n, &b32), 0);
        r = totp_base32_decode(b32, &out, &len);
        if (r == 0) {
                assert_int_equal(len, n);
                assert_memory_equal(out, bytes, n);
                secret_free(out, len);
        }
        free(b32);
        return r;
}

/* Fewer than 80 bits is no secret; more than 512 is no authenticator's. */
static void base32_refuses_too_short_and_too_long(void **state)
{
        uint8_t *out = NULL;
        size_t len = 0;

        (void)state;
        assert_int_equal(totp_base32_decode("", &out, &len), -EINVAL);
        assert_int_equal(decode_of_length(5), -EINVAL);
        assert_int_equal(decode_of_length(9), -EINVAL);
        assert_int_equal(decode_of_length(10), 0);
        assert_int_equal(decode_of_length(64), 0);
        assert_int_equal(decode_of_length(65), -EINVAL);
}

static void base32_encoding_drops_the_padding(void **state)
{
        char *b32 = NULL;

        (void)state;
        assert_int_equal(totp_base32_encode(rfc_seed, RFC_SEED_LEN, &b32), 0);
        assert_string_equal(b32, RFC_SEED_B32);
        free(b32);
        assert_int_equal(totp_base32_encode(rfc_seed, 11, &b32), 0);
        assert_string_equal(b32, "GEZDGNBVGY3TQOJQGE");
        free(b32);
}

static void new_secrets_differ(void **state)
{
        uint8_t a[TOTP_SECRET_LEN], b[TOTP_SECRET_LEN];

        (void)state;
        assert_int_equal(totp_new_secret(a), 0);
        assert_int_equal(totp_new_secret(b), 0);
        assert_memory_not_equal(a, b, TOTP_SECRET_LEN);
}

/* ---- otpauth URI ----------------------------------------------------------------------- */

static void uri_names_every_parameter(void **state)
{
        char *uri = NULL;

        (void)state;
        assert_int_equal(totp_uri(&six, "kagi", "alice", RFC_SEED_B32, &uri), 0);
        assert_string_equal(uri, "otpauth://totp/kagi:alice?secret=" RFC_SEED_B32
                                 "&issuer=kagi&algorithm=SHA1&digits=6&period=30");
        free(uri);
}

static void uri_escapes_issuer_and_account(void **state)
{
        const struct totp_params p = { .digits = 8, .step = 60, .window = 1 };
        char *uri = NULL;

        (void)state;
        assert_int_equal(totp_uri(&p, "Edogawa City", "山田@a:b&c=d?e/f", "AB", &uri), 0);
        assert_string_equal(uri, "otpauth://totp/Edogawa%20City:%E5%B1%B1%E7%94%B0%40a%3Ab%26c%3Dd%3Fe%2Ff"
                                 "?secret=AB&issuer=Edogawa%20City&algorithm=SHA1&digits=8&period=60");
        free(uri);
        /* the unreserved characters stay as they are */
        assert_int_equal(totp_uri(&six, "a-b.c_d~e", "x", "AB", &uri), 0);
        assert_string_equal(uri, "otpauth://totp/a-b.c_d~e:x?secret=AB&issuer=a-b.c_d~e"
                                 "&algorithm=SHA1&digits=6&period=30");
        free(uri);
}

static void uri_refuses_names_too_long_to_escape(void **state)
{
        char issuer[100], *uri = (char *)"untouched";

        (void)state;
        memset(issuer, ' ', sizeof(issuer) - 1);        /* each becomes %20 */
        issuer[sizeof(issuer) - 1] = '\0';
        assert_int_equal(totp_uri(&six, issuer, "alice", "AB", &uri), -E2BIG);
        assert_string_equal(uri, "untouched");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(rfc6238_vectors_are_generated),
                cmocka_unit_test(rfc6238_vectors_are_accepted),
                cmocka_unit_test(six_digit_code_is_the_tail_of_the_eight_digit_one),
                cmocka_unit_test(wrong_code_is_refused),
                cmocka_unit_test(one_step_either_side_is_accepted_and_its_skew_reported),
                cmocka_unit_test(two_steps_away_is_refused_with_window_one),
                cmocka_unit_test(window_zero_accepts_only_the_current_step),
                cmocka_unit_test(code_already_used_is_a_replay),
                cmocka_unit_test(code_for_an_earlier_step_is_a_replay),
                cmocka_unit_test(malformed_codes_are_refused),
                cmocka_unit_test(generate_refuses_unsupported_digit_counts),
                cmocka_unit_test(base32_decodes_the_rfc_seed),
                cmocka_unit_test(base32_accepts_lower_case_spaces_and_dashes),
                cmocka_unit_test(base32_refuses_junk),
                cmocka_unit_test(base32_refuses_too_short_and_too_long),
                cmocka_unit_test(base32_encoding_drops_the_padding),
                cmocka_unit_test(new_secrets_differ),
                cmocka_unit_test(uri_names_every_parameter),
                cmocka_unit_test(uri_escapes_issuer_and_account),
                cmocka_unit_test(uri_refuses_names_too_long_to_escape),
        };

        return cmocka_run_group_tests_name("totp", tests, group_setup, group_teardown);
}
