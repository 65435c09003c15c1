/* The virtual card checked against an independent implementation: OpenSC
 * (Debian's opensc package) reads its certificates and makes signatures
 * with it through its own PIV and JPKI drivers, and those signatures verify
 * with OpenSSL. If kagi-vcard got PIV or JPKI wrong, libkagi-card's tests
 * against it would prove little; this is what keeps it honest. */
#include <errno.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "testutil.h"

#define CARD_CERT_MAX_TEST 65536

static char pkcs11_module[256];
static const char message[] = "challenge signed through OpenSC";

static bool have_opensc(void)
{
        glob_t g;
        bool found = false;

        if (access("/usr/bin/pkcs11-tool", X_OK) != 0 || access("/usr/bin/pkcs15-tool", X_OK) != 0)
                return false;
        if (glob("/usr/lib/*/opensc-pkcs11.so", 0, NULL, &g) == 0 ||
            glob("/usr/lib*/opensc-pkcs11.so", 0, NULL, &g) == 0) {
                snprintf(pkcs11_module, sizeof(pkcs11_module), "%s", g.gl_pathv[0]);
                found = true;
                globfree(&g);
        }
        return found;
}

static int group_setup(void **state)
{
        FILE *f;

        if (fx_group_setup(state) < 0)
                return -1;
        /* OpenSC reads no system configuration and caches nothing of ours */
        f = fopen(fixture_file(&fx, "opensc.conf"), "we");
        if (!f)
                return -1;
        fputs("app default {\n\tframework pkcs15 {\n\t\tuse_file_caching = no;\n\t}\n}\n", f);
        fclose(f);
        setenv("OPENSC_CONF", fixture_file(&fx, "opensc.conf"), 1);
        setenv("HOME", fx.dir, 1);
        f = fopen(fixture_file(&fx, "message"), "we");
        if (!f)
                return -1;
        fwrite(message, 1, sizeof(message), f);
        fclose(f);
        return 0;
}

#define REQUIRE_OPENSC() do { FX_REQUIRE(); if (!have_opensc()) skip(); } while (0)

static uint8_t *slurp(const char *path, size_t *ret_len)
{
        FILE *f = fopen(path, "re");
        uint8_t *buf = malloc(CARD_CERT_MAX_TEST);
        size_t n;

        if (!f || !buf) {
                if (f)
                        fclose(f);
                free(buf);
                return NULL;
        }
        n = fread(buf, 1, CARD_CERT_MAX_TEST, f);
        fclose(f);
        *ret_len = n;
        return buf;
}

/* pkcs15-tool reads the certificate with ID 01: the card's bytes exactly. */
static void opensc_reads_certificate(const char *pki_name)
{
        char out[PATH_MAX];
        uint8_t *got, *want;
        size_t got_len, want_len;
        FILE *f;
        X509 *x;

        snprintf(out, sizeof(out), "%s", fixture_file(&fx, "opensc-cert.pem"));
        unlink(out);
        assert_int_equal(fixture_run(&fx, (const char *[]){
                "/usr/bin/pkcs15-tool", "--read-certificate", "01", "--output", out, NULL }), 0);
        f = fopen(out, "re");
        assert_non_null(f);
        x = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
        assert_non_null(x);
        got = NULL;
        got_len = (size_t)i2d_X509(x, &got);
        X509_free(x);
        want = fx_cert_der(pki_name, &want_len);
        assert_non_null(want);
        assert_int_equal(got_len, want_len);
        assert_memory_equal(got, want, want_len);
        OPENSSL_free(got);
        free(want);
}

/* pkcs11-tool logs in with the PIN and signs; OpenSSL verifies. */
static void opensc_signs(const char *pki_name, const char *pin, const char *mechanism)
{
        char sig_path[PATH_MAX];
        uint8_t *sig;
        size_t sig_len = 0;

        snprintf(sig_path, sizeof(sig_path), "%s", fixture_file(&fx, "opensc.sig"));
        unlink(sig_path);
        assert_int_equal(fixture_run(&fx, (const char *[]){
                "/usr/bin/pkcs11-tool", "--module", pkcs11_module, "--login", "--pin", pin,
                "--sign", "--id", "01", "--mechanism", mechanism, "--signature-format", "openssl",
                "--input-file", fixture_file(&fx, "message"), "--output-file", sig_path, NULL }), 0);
        sig = slurp(sig_path, &sig_len);
        assert_non_null(sig);
        assert_true(fx_sig_verifies_pem(pki_name, message, sizeof(message), sig, sig_len));
        free(sig);
}

static void piv_rsa_card_through_opensc(void **state)
{
        (void)state;
        REQUIRE_OPENSC();
        assert_int_equal(fx_card_piv("alice-rsa", NULL), 0);
        opensc_reads_certificate("alice-rsa");
        opensc_signs("alice-rsa", "123456", "SHA256-RSA-PKCS");
        /* OpenSC's wrong PIN costs a try on the card like ours */
        assert_int_not_equal(fixture_run(&fx, (const char *[]){
                "/usr/bin/pkcs11-tool", "--module", pkcs11_module, "--login", "--pin", "000000",
                "--sign", "--id", "01", "--mechanism", "SHA256-RSA-PKCS",
                "--input-file", fixture_file(&fx, "message"), "--output-file", fixture_file(&fx, "x.sig"), NULL }), 0);
        assert_int_equal(fixture_vcard_tries(&fx, "piv"), 2);
}

static void piv_ec_card_through_opensc(void **state)
{
        (void)state;
        REQUIRE_OPENSC();
        assert_int_equal(fx_card_piv("alice-ec", NULL), 0);
        opensc_reads_certificate("alice-ec");
        opensc_signs("alice-ec", "123456", "ECDSA-SHA256");
}

static void piv_card_t0_style_through_opensc(void **state)
{
        (void)state;
        REQUIRE_OPENSC();
        assert_int_equal(fx_card_piv("alice-rsa", (const char *[]){ "--t0", NULL }), 0);
        opensc_reads_certificate("alice-rsa");
        opensc_signs("alice-rsa", "123456", "SHA256-RSA-PKCS");
}

static void my_number_card_through_opensc(void **state)
{
        (void)state;
        REQUIRE_OPENSC();
        /* OpenSC's JPKI driver also reads the CA certificate (EF 000B) */
        assert_int_equal(fx_card_jpki("alice-jpki", (const char *[]){ "--jpki-ca", fixture_pki(&fx, "ca.pem"), NULL }), 0);
        opensc_reads_certificate("alice-jpki");
        opensc_signs("alice-jpki", "1234", "SHA256-RSA-PKCS");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                FX_TEST(piv_rsa_card_through_opensc),
                FX_TEST(piv_ec_card_through_opensc),
                FX_TEST(piv_card_t0_style_through_opensc),
                FX_TEST(my_number_card_through_opensc),
        };

        return cmocka_run_group_tests(tests, group_setup, fx_group_teardown);
}
