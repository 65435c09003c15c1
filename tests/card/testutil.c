/* Helpers shared by the card tests (see testutil.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cmocka.h>

#include "card.h"
#include "testutil.h"

struct card_fixture fx;
bool fx_unavailable;

int fx_group_setup(void **state)
{
        (void)state;
        return fixture_start(&fx, &fx_unavailable) < 0 ? -1 : 0;
}

int fx_group_teardown(void **state)
{
        (void)state;
        fixture_cleanup(&fx);
        return 0;
}

int fx_test_setup(void **state)
{
        (void)state;
        fixture_vcard_stop(&fx);
        unlink(fx.vcard_state);
        /* a test may have stopped pcscd: the next one gets it back */
        if (!fx_unavailable && fixture_pcscd_start(&fx) < 0)
                return -1;
        return 0;
}

int fx_test_teardown(void **state)
{
        (void)state;
        fixture_vcard_stop(&fx);
        return 0;
}

void fx_connect(struct fx_session *s, unsigned apps)
{
        char reader[CARD_READER_MAX];

        if (!s->ctx)
                assert_int_equal(card_ctx_open(&s->ctx), 0);
        assert_int_equal(card_wait(s->ctx, "Kagi Test", 0, reader), 0);
        assert_string_equal(reader, fx.reader);
        assert_int_equal(card_connect(s->ctx, reader, apps, &s->card), 0);
}

void fx_disconnect(struct fx_session *s)
{
        card_disconnect(s->card);
        s->card = NULL;
}

void fx_close(struct fx_session *s)
{
        fx_disconnect(s);
        card_ctx_close(s->ctx);
        s->ctx = NULL;
}

int fx_session_setup(void **state, int (*insert)(const char *name, const char *const *extra), const char *name)
{
        struct fx_session *s;

        *state = NULL;
        if (fx_test_setup(state) < 0)
                return -1;
        if (fx_unavailable)
                return 0;
        s = calloc(1, sizeof(*s));
        if (!s)
                return -1;
        *state = s;
        if (insert(name, NULL) != 0)
                return -1;
        fx_connect(s, CARD_APP_ANY);
        return 0;
}

int fx_session_teardown(void **state)
{
        struct fx_session *s = *state;

        if (s) {
                fx_close(s);
                free(s);
        }
        return fx_test_teardown(state);
}

struct fx_session *fx_session(void **state)
{
        FX_REQUIRE();
        return *state;
}

static int card(const char *app, const char *name, const char *const *extra)
{
        char cert_opt[32], key_opt[32], cert[64], key[64];
        const char *args[32];
        size_t n = 0;

        snprintf(cert_opt, sizeof(cert_opt), "--%s-cert", app);
        snprintf(key_opt, sizeof(key_opt), "--%s-key", app);
        snprintf(cert, sizeof(cert), "%s.pem", name);
        snprintf(key, sizeof(key), "%s.key", name);
        args[n++] = cert_opt;
        args[n++] = fixture_pki(&fx, cert);
        args[n++] = key_opt;
        args[n++] = fixture_pki(&fx, key);
        for (; extra && *extra && n < 31; extra++)
                args[n++] = *extra;
        args[n] = NULL;
        return fixture_vcard_start(&fx, args);
}

int fx_card_piv(const char *name, const char *const *extra)
{
        return card("piv", name, extra);
}

int fx_card_jpki(const char *name, const char *const *extra)
{
        return card("jpki", name, extra);
}

static X509 *load_pem(const char *name)
{
        char file[64];
        FILE *f;
        X509 *x;

        snprintf(file, sizeof(file), "%s.pem", name);
        f = fopen(fixture_pki(&fx, file), "re");
        if (!f)
                return NULL;
        x = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
        return x;
}

uint8_t *fx_cert_der(const char *name, size_t *ret_len)
{
        X509 *x = load_pem(name);
        unsigned char *der = NULL;
        int n;

        if (!x)
                return NULL;
        n = i2d_X509(x, &der);
        X509_free(x);
        if (n <= 0)
                return NULL;
        *ret_len = (size_t)n;
        return der;
}

static bool verifies(X509 *x, const void *msg, size_t msg_len, const uint8_t *sig, size_t sig_len)
{
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        bool ok;

        ok = md && x &&
             EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, X509_get0_pubkey(x)) == 1 &&
             EVP_DigestVerify(md, sig, sig_len, msg, msg_len) == 1;
        EVP_MD_CTX_free(md);
        return ok;
}

bool fx_sig_verifies(const uint8_t *cert, size_t cert_len, const void *msg, size_t msg_len,
                     const uint8_t *sig, size_t sig_len)
{
        const unsigned char *p = cert;
        X509 *x = d2i_X509(NULL, &p, (long)cert_len);
        bool ok = verifies(x, msg, msg_len, sig, sig_len);

        X509_free(x);
        return ok;
}

bool fx_sig_verifies_pem(const char *name, const void *msg, size_t msg_len, const uint8_t *sig, size_t sig_len)
{
        X509 *x = load_pem(name);
        bool ok = verifies(x, msg, msg_len, sig, sig_len);

        X509_free(x);
        return ok;
}
