/* Card certificates, all through OpenSSL: parsing, the chain to the
 * configured trust anchors, validity, key usage, revocation by CRL, and the
 * check of a card's signature over a challenge.
 *
 * The trust store is shared by the workers and rebuilt when ca_file (or an
 * entry of a hashed CA directory) or a crl_file changes on disk in any way,
 * so a new CRL takes effect without a restart. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certs.h"
#include "common.h"
#include "log.h"

int card_cert_parse(const uint8_t *buf, size_t len, struct card_cert *ret)
{
        const uint8_t *p = buf;
        X509 *x = NULL;
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int mdlen = 0;
        uint8_t *der = NULL;
        int derlen;

        *ret = (struct card_cert){ 0 };
        if (len == 0 || len > KAGI_CERT_MAX)
                return -EINVAL;
        x = d2i_X509(NULL, &p, (long)len);
        if (x && p != buf + len) {
                /* trailing bytes after the DER: not a certificate we accept */
                X509_free(x);
                x = NULL;
        }
        if (!x) {
                BIO *b = BIO_new_mem_buf(buf, (int)len);

                x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
                BIO_free(b);
        }
        ERR_clear_error();
        if (!x)
                return -EINVAL;

        derlen = i2d_X509(x, &der);
        if (derlen <= 0 || !EVP_Digest(der, (size_t)derlen, md, &mdlen, EVP_sha256(), NULL)) {
                OPENSSL_free(der);
                X509_free(x);
                return -EINVAL;
        }
        for (unsigned i = 0; i < mdlen; i++)
                snprintf(ret->fingerprint + 2 * i, 3, "%02x", md[i]);
        {
                BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
                char *hex = bn ? BN_bn2hex(bn) : NULL;

                snprintf(ret->serial, sizeof(ret->serial), "%s", hex ? hex : "");
                OPENSSL_free(hex);
                BN_free(bn);
        }
        X509_NAME_oneline(X509_get_subject_name(x), ret->subject, sizeof(ret->subject));
        X509_NAME_oneline(X509_get_issuer_name(x), ret->issuer, sizeof(ret->issuer));
        {
                struct tm tm;

                if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1)
                        ret->not_after = (int64_t)timegm(&tm);
        }
        ret->der = der;
        ret->der_len = (size_t)derlen;
        ret->x = x;
        return 0;
}

void card_cert_clear(struct card_cert *c)
{
        X509_free(c->x);
        OPENSSL_free(c->der);
        *c = (struct card_cert){ 0 };
}

/* ---- trust ------------------------------------------------------------------ */

/* A card login presents the same certificate twice (challenge, then
 * answer): parsing and chain building are most of the broker's work, so the
 * last few certificates are kept parsed, with their verdict. A verdict holds
 * only for the trust store it was reached with, for VERDICT_TTL seconds, and
 * not past the certificate's notAfter. kagi's own registry is not cached. */
#define CERT_SLOTS 64
#define VERDICT_TTL 60

struct cert_slot {
        uint8_t digest[32];            /* SHA-256 of the bytes as received */
        struct card_cert c;            /* owns its X509 reference and DER */
        uint64_t gen;                  /* store generation of the verdict */
        int64_t checked;               /* 0: no verdict yet */
        enum cert_verdict v;
        char why[256];
        uint64_t used;                 /* for least-recently-used replacement */
};

/* What the store was built from, as the file system shows it. */
struct trust_stamp {
        uint8_t digest[32];
};

struct trust {
        pthread_mutex_t lock;
        const struct kagi_config *cfg;
        X509_STORE *store;             /* NULL until built */
        uint64_t gen;                  /* bumped whenever the store is rebuilt */
        char why[256];                 /* when it cannot be built */
        struct trust_stamp stamp;      /* of the files it was built from */
        struct cert_slot slots[CERT_SLOTS];
        uint64_t clock;
};

/* One file's identity and state: the device, inode, size, mode, mtime and
 * ctime, or why there is none. A file copied in with its old mtime (cp -p,
 * rsync -t, curl -R, wget -N) still changes ctime, which only the clock sets;
 * one replaced by rename changes the inode. */
static void stamp_file(EVP_MD_CTX *md, const char *path, bool follow)
{
        struct {
                uint64_t dev, ino, size, mode;
                int64_t mtime, mtime_ns, ctime, ctime_ns;
                int64_t err;
        } v = { 0 };
        struct stat st;

        if ((follow ? stat(path, &st) : lstat(path, &st)) < 0) {
                v.err = errno;
        } else {
                v = (typeof(v)){ .dev = st.st_dev, .ino = st.st_ino, .size = (uint64_t)st.st_size,
                                 .mode = st.st_mode, .mtime = st.st_mtim.tv_sec, .mtime_ns = st.st_mtim.tv_nsec,
                                 .ctime = st.st_ctim.tv_sec, .ctime_ns = st.st_ctim.tv_nsec };
        }
        EVP_DigestUpdate(md, path, strlen(path) + 1);
        EVP_DigestUpdate(md, &v, sizeof(v));
}

static int compare_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A hashed CA directory: every entry, in name order, the link and what it
 * points to (openssl rehash makes links named by the subject hash). */
#define DIR_ENTRIES_MAX 4096

static void stamp_directory(EVP_MD_CTX *md, const char *dir)
{
        char **names = NULL, path[PATH_MAX];
        size_t n = 0;
        struct dirent *de;
        DIR *d = opendir(dir);

        if (!d)
                return;
        while ((de = readdir(d)) && n < DIR_ENTRIES_MAX) {
                char **more;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                more = realloc(names, (n + 1) * sizeof(*names));
                if (!more || !(more[n] = strdup(de->d_name))) {
                        names = more ? more : names;
                        break;
                }
                names = more;
                n++;
        }
        closedir(d);
        qsort(names, n, sizeof(*names), compare_names);
        EVP_DigestUpdate(md, &n, sizeof(n));
        for (size_t i = 0; i < n; i++) {
                snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
                stamp_file(md, path, false);
                stamp_file(md, path, true);
                free(names[i]);
        }
        free(names);
}

static void trust_stamp(const struct kagi_config *c, struct trust_stamp *ret)
{
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        struct stat st;

        *ret = (struct trust_stamp){ { 0 } };
        if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
                /* no stamp: an all-zero one never matches the last (see trust_get) */
                EVP_MD_CTX_free(md);
                return;
        }
        if (c->card_ca_file) {
                stamp_file(md, c->card_ca_file, true);
                if (stat(c->card_ca_file, &st) == 0 && S_ISDIR(st.st_mode))
                        stamp_directory(md, c->card_ca_file);
        }
        for (size_t i = 0; i < c->card_crl_files.n; i++)
                stamp_file(md, c->card_crl_files.v[i], true);
        if (!EVP_DigestFinal_ex(md, ret->digest, NULL))
                *ret = (struct trust_stamp){ { 0 } };
        EVP_MD_CTX_free(md);
}

static bool stamp_is_zero(const struct trust_stamp *s)
{
        static const struct trust_stamp zero;

        return memcmp(s, &zero, sizeof(zero)) == 0;
}

static bool is_directory(const char *path)
{
        struct stat st;

        return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static X509_STORE *build_store(const struct kagi_config *c, char *why, size_t whysz)
{
        X509_STORE *s = X509_STORE_new();
        X509_LOOKUP *file;

        if (!s)
                return NULL;
        file = X509_STORE_add_lookup(s, X509_LOOKUP_file());
        if (!file) {
                X509_STORE_free(s);
                return NULL;
        }
        if (is_directory(c->card_ca_file)) {
                /* a hashed directory, as `openssl rehash` makes it */
                X509_LOOKUP *dir = X509_STORE_add_lookup(s, X509_LOOKUP_hash_dir());

                if (!dir || X509_LOOKUP_add_dir(dir, c->card_ca_file, X509_FILETYPE_PEM) != 1) {
                        snprintf(why, whysz, "%s: cannot use as a CA directory", c->card_ca_file);
                        X509_STORE_free(s);
                        ERR_clear_error();
                        return NULL;
                }
        } else if (X509_LOOKUP_load_file(file, c->card_ca_file, X509_FILETYPE_PEM) != 1) {
                snprintf(why, whysz, "%s: no usable CA certificates", c->card_ca_file);
                X509_STORE_free(s);
                ERR_clear_error();
                return NULL;
        }
        for (size_t i = 0; i < c->card_crl_files.n; i++) {
                if (X509_load_crl_file(file, c->card_crl_files.v[i], X509_FILETYPE_PEM) < 1 &&
                    X509_load_crl_file(file, c->card_crl_files.v[i], X509_FILETYPE_ASN1) < 1) {
                        snprintf(why, whysz, "%s: not a CRL", c->card_crl_files.v[i]);
                        X509_STORE_free(s);
                        ERR_clear_error();
                        return NULL;
                }
        }
        /* with CRLs configured, the card's certificate must be covered by one */
        if (c->card_crl_files.n > 0)
                X509_STORE_set_flags(s, X509_V_FLAG_CRL_CHECK);
        X509_STORE_set_purpose(s, X509_PURPOSE_ANY);
        ERR_clear_error();
        return s;
}

int trust_open(const struct kagi_config *c, struct trust **ret)
{
        struct trust *t = calloc(1, sizeof(*t));

        if (!t)
                return -ENOMEM;
        pthread_mutex_init(&t->lock, NULL);
        t->cfg = c;
        *ret = t;
        return 0;
}

void trust_close(struct trust *t)
{
        if (!t)
                return;
        for (size_t i = 0; i < CERT_SLOTS; i++)
                card_cert_clear(&t->slots[i].c);
        X509_STORE_free(t->store);
        pthread_mutex_destroy(&t->lock);
        free(t);
}

/* The current store, with a reference for the caller; NULL with why set. */
static X509_STORE *trust_get(struct trust *t, char *why, size_t whysz)
{
        struct trust_stamp now;
        X509_STORE *s;

        trust_stamp(t->cfg, &now);
        pthread_mutex_lock(&t->lock);
        if (!t->store || stamp_is_zero(&now) || memcmp(&now, &t->stamp, sizeof(now)) != 0) {
                X509_STORE *fresh = build_store(t->cfg, t->why, sizeof(t->why));

                if (fresh) {
                        X509_STORE_free(t->store);
                        t->store = fresh;
                        t->stamp = now;
                        t->gen++;          /* every cached verdict is stale */
                        log_info("card trust anchors loaded from %s (%zu CRL file%s)", t->cfg->card_ca_file,
                                 t->cfg->card_crl_files.n, t->cfg->card_crl_files.n == 1 ? "" : "s");
                } else if (t->store) {
                        /* keep what worked, but say so every time */
                        log_err("card trust: %s; still using the previous anchors and CRLs", t->why);
                } else {
                        log_err("card trust: %s; card logins are refused until this is fixed", t->why);
                }
        }
        s = t->store;
        if (s)
                X509_STORE_up_ref(s);
        else
                snprintf(why, whysz, "%s", t->why);
        pthread_mutex_unlock(&t->lock);
        return s;
}

static bool usage_allows_login(X509 *x, char *why, size_t whysz)
{
        uint32_t flags = X509_get_extension_flags(x);
        STACK_OF(ASN1_OBJECT) *eku;
        bool ok = false;

        if ((flags & EXFLAG_KUSAGE) && !(X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE)) {
                snprintf(why, whysz, "key usage does not include digitalSignature");
                return false;
        }
        if (!(flags & EXFLAG_XKUSAGE))
                return true;
        eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
        for (int i = 0; eku && i < sk_ASN1_OBJECT_num(eku); i++) {
                int nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i));

                if (nid == NID_client_auth || nid == NID_anyExtendedKeyUsage || nid == NID_ms_smartcard_login)
                        ok = true;
        }
        sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
        if (!ok)
                snprintf(why, whysz, "extended key usage allows neither clientAuth nor smartcard logon");
        return ok;
}

static bool key_acceptable(X509 *x, char *why, size_t whysz)
{
        EVP_PKEY *k = X509_get0_pubkey(x);
        char curve[64] = "";

        if (!k) {
                snprintf(why, whysz, "no usable public key");
                return false;
        }
        switch (EVP_PKEY_get_base_id(k)) {
        case EVP_PKEY_RSA:
                if (EVP_PKEY_get_bits(k) >= 2048)
                        return true;
                snprintf(why, whysz, "RSA key of %d bits (at least 2048 needed)", EVP_PKEY_get_bits(k));
                return false;
        case EVP_PKEY_EC:
                EVP_PKEY_get_utf8_string_param(k, "group", curve, sizeof(curve), NULL);
                if (strcmp(curve, "prime256v1") == 0 || strcmp(curve, "secp384r1") == 0)
                        return true;
                snprintf(why, whysz, "EC key on curve '%s' (P-256 or P-384 needed)", curve);
                return false;
        default:
                snprintf(why, whysz, "unsupported key type");
                return false;
        }
}

static enum cert_verdict verify_now(X509_STORE *s, const struct card_cert *c, char *why, size_t whysz);

static int card_cert_copy(struct card_cert *dst, const struct card_cert *src)
{
        *dst = *src;
        dst->der = OPENSSL_memdup(src->der, src->der_len);
        if (!dst->der) {
                *dst = (struct card_cert){ 0 };
                return -ENOMEM;
        }
        X509_up_ref(src->x);
        return 0;
}

static struct cert_slot *slot_find(struct trust *t, const char *fingerprint, const uint8_t *digest)
{
        for (size_t i = 0; i < CERT_SLOTS; i++) {
                struct cert_slot *sl = &t->slots[i];

                if (sl->c.x && (digest ? memcmp(sl->digest, digest, 32) == 0
                                       : strcmp(sl->c.fingerprint, fingerprint) == 0)) {
                        sl->used = ++t->clock;
                        return sl;
                }
        }
        return NULL;
}

static struct cert_slot *slot_take(struct trust *t)
{
        struct cert_slot *oldest = &t->slots[0];

        for (size_t i = 1; i < CERT_SLOTS; i++)
                if (t->slots[i].used < oldest->used)
                        oldest = &t->slots[i];
        card_cert_clear(&oldest->c);
        *oldest = (struct cert_slot){ .used = ++t->clock };
        return oldest;
}

int trust_parse(struct trust *t, const uint8_t *buf, size_t len, struct card_cert *ret)
{
        uint8_t digest[32];
        struct cert_slot *sl;
        int r;

        if (len == 0 || len > KAGI_CERT_MAX || !EVP_Digest(buf, len, digest, NULL, EVP_sha256(), NULL))
                return -EINVAL;
        pthread_mutex_lock(&t->lock);
        sl = slot_find(t, NULL, digest);
        r = sl ? card_cert_copy(ret, &sl->c) : -ENOENT;
        pthread_mutex_unlock(&t->lock);
        if (r != -ENOENT)
                return r;

        r = card_cert_parse(buf, len, ret);
        if (r < 0)
                return r;
        pthread_mutex_lock(&t->lock);
        if (!slot_find(t, NULL, digest)) {
                sl = slot_take(t);
                if (card_cert_copy(&sl->c, ret) == 0)
                        memcpy(sl->digest, digest, 32);
        }
        pthread_mutex_unlock(&t->lock);
        return 0;
}

enum cert_verdict trust_check(struct trust *t, const struct card_cert *c, char *why, size_t whysz)
{
        X509_STORE *s = trust_get(t, why, whysz);
        int64_t now = (int64_t)time(NULL);
        struct cert_slot *sl;
        enum cert_verdict v;
        uint64_t gen;

        if (!s)
                return CERT_NO_TRUST;
        pthread_mutex_lock(&t->lock);
        gen = t->gen;
        sl = slot_find(t, c->fingerprint, NULL);
        if (sl && sl->checked && sl->gen == gen && now - sl->checked < VERDICT_TTL && now < c->not_after) {
                v = sl->v;
                snprintf(why, whysz, "%s", sl->why);
                pthread_mutex_unlock(&t->lock);
                X509_STORE_free(s);
                return v;
        }
        pthread_mutex_unlock(&t->lock);

        why[0] = '\0';
        v = verify_now(s, c, why, whysz);
        X509_STORE_free(s);

        pthread_mutex_lock(&t->lock);
        sl = slot_find(t, c->fingerprint, NULL);
        if (sl && t->gen == gen) {
                sl->v = v;
                sl->gen = gen;
                sl->checked = now;
                snprintf(sl->why, sizeof(sl->why), "%s", why);
        }
        pthread_mutex_unlock(&t->lock);
        return v;
}

static enum cert_verdict verify_now(X509_STORE *s, const struct card_cert *c, char *why, size_t whysz)
{
        X509_STORE_CTX *ctx;
        enum cert_verdict v = CERT_OK;
        int err;

        ctx = X509_STORE_CTX_new();
        if (!ctx || X509_STORE_CTX_init(ctx, s, c->x, NULL) != 1) {
                X509_STORE_CTX_free(ctx);
                snprintf(why, whysz, "cannot set up certificate verification");
                return CERT_NO_TRUST;
        }
        if (X509_verify_cert(ctx) != 1) {
                err = X509_STORE_CTX_get_error(ctx);
                snprintf(why, whysz, "certificate: %s", X509_verify_cert_error_string(err));
                v = err == X509_V_ERR_CERT_HAS_EXPIRED      ? CERT_EXPIRED
                    : err == X509_V_ERR_CERT_NOT_YET_VALID ? CERT_EXPIRED
                    : err == X509_V_ERR_CERT_REVOKED       ? CERT_REVOKED
                                                           : CERT_UNTRUSTED;
        } else if (!usage_allows_login(c->x, why, whysz) || !key_acceptable(c->x, why, whysz)) {
                v = CERT_BAD_USAGE;
        }
        X509_STORE_CTX_free(ctx);
        ERR_clear_error();
        return v;
}

int card_signature_check(const struct card_cert *c, const uint8_t *msg, size_t len, const uint8_t *sig,
                         size_t siglen)
{
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        EVP_PKEY *k = X509_get0_pubkey(c->x);
        int r;

        if (!md || !k) {
                EVP_MD_CTX_free(md);
                return -EINVAL;
        }
        /* RSA: PKCS#1 v1.5 (the default); EC: a DER ECDSA-Sig-Value */
        r = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k) == 1 &&
                    EVP_DigestVerify(md, sig, siglen, msg, len) == 1
                    ? 1
                    : 0;
        EVP_MD_CTX_free(md);
        ERR_clear_error();
        return r;
}

int trust_load(struct trust *t, char *why, size_t whysz)
{
        X509_STORE *s = trust_get(t, why, whysz);

        if (!s)
                return -ENOENT;
        X509_STORE_free(s);
        return 0;
}
