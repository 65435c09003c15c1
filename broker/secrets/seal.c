/* Secrets at rest: AES-256-GCM with a fresh random nonce per sealing. The
 * additional data (the account name) binds a sealed value to its row, so a
 * secret copied onto another account's row does not open. */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "secrets.h"

#define NONCE_LEN 12
#define TAG_LEN 16

static void ctx_freep(EVP_CIPHER_CTX **c) { EVP_CIPHER_CTX_free(*c); }

int seal(const uint8_t key[KAGI_KEY_LEN], const char *aad, const uint8_t *pt, size_t ptlen,
         uint8_t **ret, size_t *ret_len)
{
        _cleanup_(ctx_freep) EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
        size_t outlen = NONCE_LEN + ptlen + TAG_LEN;
        uint8_t *out;
        int n, fin;

        if (!ctx || ptlen > 4096)
                return -EINVAL;
        out = malloc(outlen);
        if (!out)
                return -ENOMEM;
        if (RAND_bytes(out, NONCE_LEN) != 1 ||
            EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, out) != 1 ||
            EVP_EncryptUpdate(ctx, NULL, &n, (const uint8_t *)aad, (int)strlen(aad)) != 1 ||
            EVP_EncryptUpdate(ctx, out + NONCE_LEN, &n, pt, (int)ptlen) != 1 ||
            EVP_EncryptFinal_ex(ctx, out + NONCE_LEN + n, &fin) != 1 ||
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, out + NONCE_LEN + ptlen) != 1) {
                free(out);
                return -EIO;
        }
        *ret = out;
        *ret_len = outlen;
        return 0;
}

int unseal(const uint8_t key[KAGI_KEY_LEN], const char *aad, const uint8_t *in, size_t inlen,
           uint8_t **ret, size_t *ret_len)
{
        _cleanup_(ctx_freep) EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
        size_t ptlen;
        uint8_t *out;
        int n, fin;

        if (!ctx || inlen < NONCE_LEN + TAG_LEN || inlen > 4096 + NONCE_LEN + TAG_LEN)
                return -EINVAL;
        ptlen = inlen - NONCE_LEN - TAG_LEN;
        out = malloc(ptlen ? ptlen : 1);
        if (!out)
                return -ENOMEM;
        if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, in) != 1 ||
            EVP_DecryptUpdate(ctx, NULL, &n, (const uint8_t *)aad, (int)strlen(aad)) != 1 ||
            EVP_DecryptUpdate(ctx, out, &n, in + NONCE_LEN, (int)ptlen) != 1 ||
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, (void *)(in + NONCE_LEN + ptlen)) != 1 ||
            EVP_DecryptFinal_ex(ctx, out + n, &fin) != 1) {
                secret_free(out, ptlen ? ptlen : 1);
                return -EBADMSG;
        }
        *ret = out;
        *ret_len = ptlen;
        return 0;
}
