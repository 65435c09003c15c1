/* pam_pkcs11 and OpenSC configured the way a site would for the same card
 * login kagi does: chain to the CA, CRL checked offline, the signature
 * checked with a fresh nonce, and the certificate mapped to the account by
 * its digest (the counterpart of kagi's card registry). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "bench_card.h"

#define OPENSC_PKCS11 "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"

static void x509_freep(X509 **x) { X509_free(*x); }
static void crl_freep(X509_CRL **x) { X509_CRL_free(*x); }
static void fclosep(FILE **f) { if (*f) fclose(*f); }

static int write_text(const char *path, const char *text)
{
        FILE *f __attribute__((cleanup(fclosep))) = fopen(path, "we");

        if (!f)
                return -errno;
        if (fputs(text, f) < 0 || fflush(f) != 0)
                return -EIO;
        return 0;
}

static int copy_file(const char *from, const char *to)
{
        char buf[65536];
        FILE *in __attribute__((cleanup(fclosep))) = fopen(from, "re");
        size_t n;

        if (!in)
                return -errno;
        n = fread(buf, 1, sizeof(buf) - 1, in);
        if (ferror(in) || !feof(in))
                return -EIO;
        buf[n] = '\0';
        return write_text(to, buf);
}

/* dir/NAME plus the OpenSSL hash link to it, as `openssl rehash` makes:
 * HASH.0 for a certificate, HASH.r0 for a CRL. */
static int hashed_copy(const char *pem, const char *dir, const char *name, unsigned long hash, const char *suffix)
{
        char path[512], link[512];
        int r;

        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        snprintf(link, sizeof(link), "%s/%08lx.%s", dir, hash, suffix);
        r = copy_file(pem, path);
        if (r < 0)
                return r;
        if (symlink(name, link) < 0)
                return -errno;
        return 0;
}

/* The CA certificate (HASH.0) or the CRL (HASH.r0, hashed by its issuer). */
static int hashed_dir_write(const char *dir, const char *pem, bool is_crl)
{
        FILE *f __attribute__((cleanup(fclosep))) = fopen(pem, "re");
        X509 *x __attribute__((cleanup(x509_freep))) = NULL;
        X509_CRL *crl __attribute__((cleanup(crl_freep))) = NULL;
        const X509_NAME *name = NULL;

        if (f && is_crl && (crl = PEM_read_X509_CRL(f, NULL, NULL, NULL)))
                name = X509_CRL_get_issuer(crl);
        else if (f && !is_crl && (x = PEM_read_X509(f, NULL, NULL, NULL)))
                name = X509_get_subject_name(x);
        if (!name)
                return -EINVAL;
        return hashed_copy(pem, dir, is_crl ? "crl.pem" : "ca.pem", X509_NAME_hash_ex(name, NULL, NULL, NULL),
                           is_crl ? "r0" : "0");
}

/* "AB:CD:…", the form pam_pkcs11's digest mapper compares. */
static int fingerprint(const char *pem, char out[3 * EVP_MAX_MD_SIZE])
{
        FILE *f __attribute__((cleanup(fclosep))) = fopen(pem, "re");
        X509 *x __attribute__((cleanup(x509_freep))) = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned len = 0;

        if (!x || X509_digest(x, EVP_sha256(), md, &len) != 1 || len == 0)
                return -EINVAL;
        for (unsigned i = 0; i < len; i++)
                snprintf(out + 3 * i, 4, "%02X%s", md[i], i + 1 < len ? ":" : "");
        return 0;
}

static int mapping_write(const char *path, const char *const *certs, const char *user)
{
        char text[4096] = "", fpr[3 * EVP_MAX_MD_SIZE];

        for (size_t i = 0; certs[i]; i++) {
                size_t used = strlen(text);
                int r = fingerprint(certs[i], fpr);

                if (r < 0)
                        return r;
                snprintf(text + used, sizeof(text) - used, "%s -> %s\n", fpr, user);
        }
        return write_text(path, text);
}

static int pam_conf_write(const struct pkcs11_conf *c, int debug)
{
        char text[4096];

        /* the Debian example's module block, with our paths; the only mapper
         * is the digest one, so no other mapper's lookups are timed */
        snprintf(text, sizeof(text),
                 "pam_pkcs11 {\n"
                 "  nullok = false;\n"
                 "  debug = %s;\n"
                 "  use_first_pass = false;\n"
                 "  try_first_pass = false;\n"
                 "  use_authtok = false;\n"
                 "  card_only = true;\n"
                 "  wait_for_card = false;\n"
                 "  use_pkcs11_module = opensc;\n"
                 "  pkcs11_module opensc {\n"
                 "    module = %s;\n"
                 "    description = \"OpenSC PKCS#11 module\";\n"
                 "    slot_description = \"none\";\n"
                 "    ca_dir = %s/cacerts;\n"
                 "    crl_dir = %s/crls;\n"
                 "    support_threads = false;\n"
                 "    cert_policy = ca,signature,crl_offline;\n"
                 "    token_type = \"Smart card\";\n"
                 "  }\n"
                 "  use_mappers = digest;\n"
                 "  mapper digest {\n"
                 "    debug = %s;\n"
                 "    module = internal;\n"
                 "    algorithm = \"sha256\";\n"
                 "    mapfile = file://%s/digest_mapping;\n"
                 "  }\n"
                 "}\n",
                 debug ? "true" : "false", OPENSC_PKCS11, c->dir, c->dir, debug ? "true" : "false", c->dir);
        return write_text(c->pam_conf, text);
}

static int opensc_conf_write(const struct pkcs11_conf *c, const char *scard_timer, int debug)
{
        char text[2048], dbg[512] = "";

        if (debug)
                snprintf(dbg, sizeof(dbg), "  debug = 3;\n  debug_file = %s/opensc-debug.txt;\n", c->dir);
        /* OpenSC's defaults otherwise (Debian ships them all commented out,
         * file caching off); only the PC/SC provider is ours, so its calls
         * are timed like libkagi-card's */
        snprintf(text, sizeof(text),
                 "app default {\n"
                 "%s"
                 "  reader_driver pcsc {\n"
                 "    provider_library = %s;\n"
                 "  }\n"
                 "}\n",
                 dbg, scard_timer);
        return write_text(c->opensc_conf, text);
}

int pkcs11_conf_write(struct pkcs11_conf *c, const char *dir, const char *ca, const char *crl,
                      const char *const *certs, const char *user, const char *scard_timer, int debug)
{
        char path[512];
        int r;

        memset(c, 0, sizeof(*c));
        if (access(OPENSC_PKCS11, R_OK) < 0) {
                fprintf(stderr, "bench-card: %s: %s (Debian package opensc-pkcs11)\n", OPENSC_PKCS11, strerror(errno));
                return -ENOENT;
        }
        snprintf(c->dir, sizeof(c->dir), "%s", dir);
        snprintf(c->pam_conf, sizeof(c->pam_conf), "%s/pam_pkcs11.conf", dir);
        snprintf(c->opensc_conf, sizeof(c->opensc_conf), "%s/opensc.conf", dir);
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        snprintf(path, sizeof(path), "%s/cacerts", dir);
        r = hashed_dir_write(path, ca, false);
        if (r >= 0) {
                snprintf(path, sizeof(path), "%s/crls", dir);
                r = hashed_dir_write(path, crl, true);
        }
        if (r >= 0) {
                snprintf(path, sizeof(path), "%s/digest_mapping", dir);
                r = mapping_write(path, certs, user);
        }
        if (r >= 0)
                r = pam_conf_write(c, debug);
        if (r >= 0)
                r = opensc_conf_write(c, scard_timer, debug);
        if (r < 0)
                fprintf(stderr, "bench-card: writing the pam_pkcs11 configuration in %s: %s\n", dir, strerror(-r));
        return r;
}
