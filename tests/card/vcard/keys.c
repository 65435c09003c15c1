/* The card's keys and certificates (PEM files from the command line) and
 * its private-key operations, done with OpenSSL. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "vcard.h"

int vc_cert_load(const char *path, uint8_t **ret_der, size_t *ret_len)
{
        FILE *f = fopen(path, "re");
        X509 *x;
        unsigned char *der = NULL;
        int n;

        if (!f)
                return -errno;
        x = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
        if (!x)
                return -EINVAL;
        n = i2d_X509(x, &der);
        X509_free(x);
        if (n <= 0)
                return -EINVAL;
        *ret_der = der;
        *ret_len = (size_t)n;
        return 0;
}

int vc_key_load(struct vc_key *k, const char *cert_path, const char *key_path)
{
        FILE *f;
        int r;

        r = vc_cert_load(cert_path, &k->cert, &k->cert_len);
        if (r < 0)
                return r;
        f = fopen(key_path, "re");
        if (!f)
                return -errno;
        k->pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
        return k->pkey ? 0 : -EINVAL;
}

/* PIV key algorithm identifier of the key (SP 800-78-4), 0 if none fits. */
uint8_t vc_piv_alg(EVP_PKEY *pkey)
{
        char group[32];

        if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA && EVP_PKEY_get_bits(pkey) == 2048)
                return 0x07;
        if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC &&
            EVP_PKEY_get_utf8_string_param(pkey, "group", group, sizeof(group), NULL) &&
            strcmp(group, "prime256v1") == 0)
                return 0x11;
        return 0;
}

static void pkey_ctx_freep(EVP_PKEY_CTX **p)
{
        EVP_PKEY_CTX_free(*p);
}

int vc_sign(EVP_PKEY *pkey, int rsa_padding, const uint8_t *in, size_t n, uint8_t *out, size_t *outlen)
{
        __attribute__((cleanup(pkey_ctx_freep))) EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pkey, NULL);

        if (!ctx)
                return -ENOMEM;
        if (EVP_PKEY_sign_init(ctx) <= 0)
                return -EINVAL;
        if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA &&
            EVP_PKEY_CTX_set_rsa_padding(ctx, rsa_padding) <= 0)
                return -EINVAL;
        if (EVP_PKEY_sign(ctx, out, outlen, in, n) <= 0)
                return -EINVAL;
        return 0;
}
