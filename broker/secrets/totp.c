/* TOTP (RFC 6238, HMAC-SHA-1) by liboath. Codes are compared in constant
 * time through liboath's callback, and a code for a time step at or before
 * the last accepted one is a replay (CRED-2). oath_init() is kagid's job. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <liboath/oath.h>
#include <openssl/rand.h>

#include "secrets.h"

struct cmp_ctx {
        const char *code;
        size_t len;
};

static int cmp_code(void *handle, const char *candidate)
{
        const struct cmp_ctx *c = handle;

        if (strlen(candidate) != c->len)
                return 1;
        return secret_equal(candidate, c->code, c->len) ? 0 : 1;
}

static bool code_well_formed(const struct totp_params *p, const char *code)
{
        size_t n = strlen(code);

        if (n != p->digits)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isdigit((unsigned char)code[i]))
                        return false;
        return true;
}

enum totp_result totp_check(const struct totp_params *p, const uint8_t *secret, size_t len,
                            const char *code, int64_t now, uint64_t last,
                            uint64_t *ret_counter, int *ret_skew)
{
        struct cmp_ctx c = { .code = code, .len = strlen(code) };
        uint64_t counter = 0;
        int pos = 0, r;

        if (!code_well_formed(p, code))
                return TOTP_WRONG;
        r = oath_totp_validate4_callback((const char *)secret, len, (time_t)now, p->step, 0, p->digits,
                                         p->window, &pos, &counter, 0, cmp_code, &c);
        if (r < 0)
                return TOTP_WRONG;
        if (counter <= last)
                return TOTP_REPLAY;
        *ret_counter = counter;
        *ret_skew = pos;
        return TOTP_OK;
}

int totp_generate(const struct totp_params *p, const uint8_t *secret, size_t len, int64_t now,
                  char code[16])
{
        if (p->digits < 6 || p->digits > 8)
                return -EINVAL;
        if (oath_totp_generate((const char *)secret, len, (time_t)now, p->step, 0, p->digits, code) != OATH_OK)
                return -EIO;
        return 0;
}

int totp_new_secret(uint8_t secret[TOTP_SECRET_LEN])
{
        return RAND_bytes(secret, TOTP_SECRET_LEN) == 1 ? 0 : -EIO;
}

int totp_base32_decode(const char *b32, uint8_t **ret, size_t *ret_len)
{
        char *out = NULL, *clean;
        size_t outlen = 0, n = 0;
        int r;

        /* authenticator apps show secrets in groups of four, often lower case */
        clean = calloc(1, strlen(b32) + 1);
        if (!clean)
                return -ENOMEM;
        for (const char *p = b32; *p; p++)
                if (*p != ' ' && *p != '-')
                        clean[n++] = (char)toupper((unsigned char)*p);
        r = oath_base32_decode(clean, n, &out, &outlen);
        secret_free(clean, n + 1);
        if (r != OATH_OK || outlen < 10 || outlen > 64) {
                if (out)
                        secret_free(out, outlen);
                return -EINVAL;
        }
        *ret = (uint8_t *)out;
        *ret_len = outlen;
        return 0;
}

int totp_base32_encode(const uint8_t *p, size_t len, char **ret)
{
        char *out = NULL;
        size_t outlen = 0;

        if (oath_base32_encode((const char *)p, len, &out, &outlen) != OATH_OK)
                return -EIO;
        /* drop the padding: otpauth URIs carry the bare alphabet */
        while (outlen > 0 && out[outlen - 1] == '=')
                out[--outlen] = '\0';
        *ret = out;
        return 0;
}

static int uri_escape(const char *s, char *out, size_t size)
{
        static const char hex[] = "0123456789ABCDEF";
        size_t o = 0;

        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if (isalnum(*p) || strchr("-._~", *p)) {
                        if (o + 1 >= size)
                                return -E2BIG;
                        out[o++] = (char)*p;
                } else {
                        if (o + 3 >= size)
                                return -E2BIG;
                        out[o++] = '%';
                        out[o++] = hex[*p >> 4];
                        out[o++] = hex[*p & 15];
                }
        }
        out[o] = '\0';
        return 0;
}

int totp_uri(const struct totp_params *p, const char *issuer, const char *account,
             const char *b32, char **ret)
{
        static const char fmt[] = "otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=SHA1&digits=%u&period=%u";
        char ei[256], ea[800];
        char *uri;
        int n;

        if (uri_escape(issuer, ei, sizeof(ei)) < 0 || uri_escape(account, ea, sizeof(ea)) < 0)
                return -E2BIG;
        /* measured, then written into one buffer the caller wipes: asprintf
         * may grow (and free, unwiped) buffers holding the secret */
        n = snprintf(NULL, 0, fmt, ei, ea, b32, ei, p->digits, p->step);
        if (n < 0 || !(uri = malloc((size_t)n + 1)))
                return -ENOMEM;
        snprintf(uri, (size_t)n + 1, fmt, ei, ea, b32, ei, p->digits, p->step);
        *ret = uri;
        return 0;
}
