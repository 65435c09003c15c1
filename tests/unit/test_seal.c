/* Secrets at rest (broker/secrets/seal.c, CRED-1): AES-256-GCM bound to the account
 * by the additional data; any change to what is stored is refused. */
#include "unit.h"

#include "secrets.h"

#define NONCE_LEN 12
#define TAG_LEN 16

static const uint8_t key[KAGI_KEY_LEN] = "0123456789abcdef0123456789abcde";
static const uint8_t other_key[KAGI_KEY_LEN] = "0123456789abcdef0123456789abcdX";
static const char secret[] = "JBSWY3DPEHPK3PXP";

struct sealed {
        uint8_t *p;
        size_t len;
};

static int setup(void **state)
{
        struct sealed *s = calloc(1, sizeof(*s));

        if (!s || seal(key, "alice", (const uint8_t *)secret, strlen(secret), &s->p, &s->len) < 0)
                return -1;
        *state = s;
        return 0;
}

static int teardown(void **state)
{
        struct sealed *s = *state;

        free(s->p);
        free(s);
        return 0;
}

/* Opens s with this key and aad; returns what unseal returns. */
static int open_with(const struct sealed *s, const uint8_t k[KAGI_KEY_LEN], const char *aad)
{
        uint8_t *out = (uint8_t *)"untouched";
        size_t len = 12345;
        int r = unseal(k, aad, s->p, s->len, &out, &len);

        if (r == 0) {
                assert_int_equal(len, strlen(secret));
                assert_memory_equal(out, secret, len);
                secret_free(out, len);
        } else {
                assert_string_equal((char *)out, "untouched");
                assert_int_equal(len, 12345);
        }
        return r;
}

static void sealed_secret_opens_with_its_key_and_account(void **state)
{
        struct sealed *s = *state;

        assert_int_equal(s->len, NONCE_LEN + strlen(secret) + TAG_LEN);
        /* the secret is not in the clear */
        assert_null(memmem(s->p, s->len, secret, strlen(secret)));
        assert_int_equal(open_with(s, key, "alice"), 0);
}

static void sealing_twice_gives_different_bytes(void **state)
{
        struct sealed *s = *state;
        uint8_t *again = NULL;
        size_t len = 0;

        assert_int_equal(seal(key, "alice", (const uint8_t *)secret, strlen(secret), &again, &len), 0);
        assert_int_equal(len, s->len);
        /* a fresh nonce each time */
        assert_memory_not_equal(again, s->p, NONCE_LEN);
        assert_memory_not_equal(again + NONCE_LEN, s->p + NONCE_LEN, len - NONCE_LEN);
        free(again);
}

static void changed_ciphertext_is_refused(void **state)
{
        struct sealed *s = *state;

        for (size_t i = NONCE_LEN; i < s->len - TAG_LEN; i++) {
                s->p[i] ^= 0x01;
                assert_int_equal(open_with(s, key, "alice"), -EBADMSG);
                s->p[i] ^= 0x01;
        }
        assert_int_equal(open_with(s, key, "alice"), 0);
}

static void changed_tag_is_refused(void **state)
{
        struct sealed *s = *state;

        for (size_t i = s->len - TAG_LEN; i < s->len; i++) {
                s->p[i] ^= 0x80;
                assert_int_equal(open_with(s, key, "alice"), -EBADMSG);
                s->p[i] ^= 0x80;
        }
}

static void changed_nonce_is_refused(void **state)
{
        struct sealed *s = *state;

        for (size_t i = 0; i < NONCE_LEN; i++) {
                s->p[i] ^= 0x10;
                assert_int_equal(open_with(s, key, "alice"), -EBADMSG);
                s->p[i] ^= 0x10;
        }
}

/* A secret copied onto another account's row does not open there. */
static void other_account_is_refused(void **state)
{
        struct sealed *s = *state;

        assert_int_equal(open_with(s, key, "bob"), -EBADMSG);
        assert_int_equal(open_with(s, key, "alic"), -EBADMSG);
        assert_int_equal(open_with(s, key, "alice "), -EBADMSG);
        assert_int_equal(open_with(s, key, ""), -EBADMSG);
}

static void wrong_key_is_refused(void **state)
{
        assert_int_equal(open_with(*state, other_key, "alice"), -EBADMSG);
}

static void truncated_or_oversized_input_is_refused(void **state)
{
        struct sealed *s = *state;
        struct sealed cut = { s->p, s->len - 1 }, bare = { s->p, NONCE_LEN + TAG_LEN - 1 };
        _cleanup_(freep) uint8_t *huge = calloc(1, 4096 + NONCE_LEN + TAG_LEN + 1);
        struct sealed big = { huge, 4096 + NONCE_LEN + TAG_LEN + 1 };

        assert_non_null(huge);
        assert_int_equal(open_with(&cut, key, "alice"), -EBADMSG);
        assert_int_equal(open_with(&bare, key, "alice"), -EINVAL);
        assert_int_equal(open_with(&big, key, "alice"), -EINVAL);
}

static void empty_secret_round_trips(void **state)
{
        uint8_t *sealed = NULL, *out = NULL;
        size_t len = 0, outlen = 99;

        (void)state;
        assert_int_equal(seal(key, "alice", (const uint8_t *)"", 0, &sealed, &len), 0);
        assert_int_equal(len, NONCE_LEN + TAG_LEN);
        assert_int_equal(unseal(key, "alice", sealed, len, &out, &outlen), 0);
        assert_int_equal(outlen, 0);
        secret_free(out, 1);
        free(sealed);
}

static void oversized_secret_is_not_sealed(void **state)
{
        _cleanup_(freep) uint8_t *big = calloc(1, 4097);
        uint8_t *sealed = (uint8_t *)"untouched";
        size_t len = 0;

        (void)state;
        assert_non_null(big);
        assert_int_equal(seal(key, "alice", big, 4097, &sealed, &len), -EINVAL);
        assert_string_equal((char *)sealed, "untouched");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
                T(sealed_secret_opens_with_its_key_and_account),
                T(sealing_twice_gives_different_bytes),
                T(changed_ciphertext_is_refused),
                T(changed_tag_is_refused),
                T(changed_nonce_is_refused),
                T(other_account_is_refused),
                T(wrong_key_is_refused),
                T(truncated_or_oversized_input_is_refused),
                T(empty_secret_round_trips),
                T(oversized_secret_is_not_sealed),
#undef T
        };

        return cmocka_run_group_tests_name("seal", tests, NULL, NULL);
}
