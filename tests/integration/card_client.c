/* The card's side of a card login (card_client.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "card_client.h"

char card_pki[256];

int card_pki_make(void)
{
        const char *script = getenv("KAGI_PKI_SCRIPT");
        char cmd[1024];

        if (!script)
                return -1;
        snprintf(card_pki, sizeof(card_pki), "/tmp/kagi-pki-%d", (int)getpid());
        snprintf(cmd, sizeof(cmd), "'%s' '%s' >/dev/null", script, card_pki);
        return system(cmd) == 0 ? 0 : -1;
}

int card_pki_remove(void)
{
        char cmd[512];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", card_pki);
        return system(cmd) == 0 ? 0 : -1;
}

int card_read_pki(const char *name, uint8_t *buf, size_t size, size_t *ret_len)
{
        char path[512];
        FILE *fp;

        snprintf(path, sizeof(path), "%s/%s", card_pki, name);
        fp = fopen(path, "rb");
        if (!fp)
                return -errno;
        *ret_len = fread(buf, 1, size, fp);
        fclose(fp);
        return 0;
}

/* The card's part: sign SHA-256(challenge) with the certificate's key. */
size_t card_sign(const char *key_name, const uint8_t *msg, size_t len, uint8_t *sig, size_t size)
{
        char path[512];
        FILE *fp;
        EVP_PKEY *k;
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        size_t siglen = size;

        snprintf(path, sizeof(path), "%s/%s", card_pki, key_name);
        fp = fopen(path, "r");
        assert_non_null(fp);
        k = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
        fclose(fp);
        assert_non_null(k);
        assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k), 1);
        assert_int_equal(EVP_DigestSign(md, sig, &siglen, msg, len), 1);
        EVP_MD_CTX_free(md);
        EVP_PKEY_free(k);
        return siglen;
}

void card_call(struct fx *f, struct frame *req, struct card_answer *a)
{
        _cleanup_(msg_freep) struct kagi_msg *m = msg_new();
        _cleanup_(closep) int fd = -1;

        assert_false(req->error);
        assert_int_equal(io_connect_unix(f->sock, now_ms() + 5000, &fd), 0);
        assert_int_equal(frame_send(fd, req, now_ms() + 5000), 0);
        assert_int_equal(frame_recv(fd, m, now_ms() + 5000), 0);
        memset(a, 0, sizeof(*a));
        a->decision = msg_u32(m, KAGI_T_DECISION, UINT32_MAX);
        snprintf(a->message, sizeof(a->message), "%s", msg_str(m, KAGI_T_MESSAGE) ? msg_str(m, KAGI_T_MESSAGE) : "");
        if (msg_has(m, KAGI_T_CHALLENGE)) {
                a->challenge_len = m->f[KAGI_T_CHALLENGE].len;
                memcpy(a->challenge, m->f[KAGI_T_CHALLENGE].p, a->challenge_len);
        }
        frame_free(req);
}

struct frame *card_request_flags(uint8_t type, const char *user, const char *cert_name, uint32_t flags)
{
        struct frame *f = frame_new(type);
        uint8_t cert[16384];
        size_t len = 0;

        frame_put_str(f, KAGI_T_USER, user);
        frame_put_str(f, KAGI_T_SERVICE, "login");
        frame_put_str(f, KAGI_T_TTY, "tty1");
        frame_put_u32(f, KAGI_T_FLAGS, flags);
        if (cert_name) {
                assert_int_equal(card_read_pki(cert_name, cert, sizeof(cert), &len), 0);
                frame_put_blob(f, KAGI_T_CERT, cert, len);
        }
        return f;
}

struct frame *card_request(uint8_t type, const char *user, const char *cert_name)
{
        return card_request_flags(type, user, cert_name, KAGI_FLAG_CARD_PRESENT);
}

void card_challenge_ask(struct fx *f, const char *user, const char *cert, struct card_answer *a)
{
        card_call(f, card_request(KAGI_REQ_CARD_CHALLENGE, user, cert), a);
}

/* Sign and send; returns the decision. */
uint32_t card_respond(struct fx *f, const char *user, const char *cert, const char *key, const struct card_answer *ch,
                      struct card_answer *a)
{
        struct frame *req = card_request(KAGI_REQ_CARD_VERIFY, user, cert);
        uint8_t sig[1024];
        size_t n = card_sign(key, ch->challenge, ch->challenge_len, sig, sizeof(sig));

        frame_put_blob(req, KAGI_T_CHALLENGE, ch->challenge, ch->challenge_len);
        frame_put_blob(req, KAGI_T_SIGNATURE, sig, n);
        card_call(f, req, a);
        return a->decision;
}

uint32_t card_login(struct fx *f, const char *user, const char *cert, const char *key, struct card_answer *a)
{
        struct card_answer ch;

        card_challenge_ask(f, user, cert, &ch);
        if (ch.decision != KAGI_CONTINUE) {
                *a = ch;
                return ch.decision;
        }
        assert_int_equal(ch.challenge_len, 32);
        return card_respond(f, user, cert, key, &ch, a);
}

