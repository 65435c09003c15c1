/* libkagi-secrets: the broker's keys and what it does with secrets.
 *
 *   keys.c   key files (audit HMAC key, sealing key): created 0600, refused
 *            when others could read or replace them (CRED-1)
 *   seal.c   AES-256-GCM for secrets at rest, bound to their row
 *   totp.c   RFC 6238 codes through liboath, with replay refusal; base32 and
 *            otpauth:// URIs for enrollment
 *
 * Never: logs a secret, keeps a copy it does not wipe, or compares one with
 * memcmp. Knows nothing of the store or the directory.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common.h"

/* ---- keys ------------------------------------------------------------------ */
struct kagi_keys {
        uint8_t audit[KAGI_KEY_LEN];          /* HMAC key of the audit chain */
        uint8_t seal[KAGI_KEY_LEN];           /* AES-256-GCM key for secrets at rest */
};
/* Loads key_dir/audit.key and key_dir/seal.key; with `create`, makes the
 * directory (0700) and the keys (0600, random) when absent — without it, an
 * absent key is left zero (for kagid -t, which must not change anything). A
 * key file readable by group/others or owned by another user is refused.
 * A new key is written whole to a temporary file, flushed, renamed into
 * place (never over one another broker just made) and the directory
 * flushed: a short write, a full disk or a crash leaves a whole key or none
 * under the name, never a half one; a failure is an error, never success. */
int keys_load(const char *dir, uid_t owner, bool create, struct kagi_keys *ret, char *err, size_t errsz);
void keys_wipe(struct kagi_keys *k);

/* ---- sealing --------------------------------------------------------------- */
/* Sealed = 12-byte nonce | ciphertext | 16-byte tag; aad binds it to a row. */
int seal(const uint8_t key[KAGI_KEY_LEN], const char *aad, const uint8_t *pt, size_t ptlen,
         uint8_t **ret, size_t *ret_len);
int unseal(const uint8_t key[KAGI_KEY_LEN], const char *aad, const uint8_t *in, size_t inlen,
           uint8_t **ret, size_t *ret_len);  /* result wiped by the caller with secret_free */

/* ---- TOTP ------------------------------------------------------------------ */
#define TOTP_SECRET_LEN 20                    /* 160 bits, as RFC 4226 recommends */
struct totp_params {
        uint32_t digits;
        uint32_t step;
        uint32_t window;
};
enum totp_result { TOTP_OK, TOTP_WRONG, TOTP_REPLAY };
/* Checks code at `now` against the secret; `last` is the last accepted time
 * step counter (0: none). A code for `last` or an earlier step is a replay.
 * On TOTP_OK sets the accepted counter and its skew in steps. */
enum totp_result totp_check(const struct totp_params *p, const uint8_t *secret, size_t len,
                            const char *code, int64_t now, uint64_t last,
                            uint64_t *ret_counter, int *ret_skew);
int totp_generate(const struct totp_params *p, const uint8_t *secret, size_t len, int64_t now,
                  char code[16]);
int totp_new_secret(uint8_t secret[TOTP_SECRET_LEN]);
/* base32 <-> bytes through liboath; result of decode freed with secret_free */
int totp_base32_decode(const char *b32, uint8_t **ret, size_t *ret_len);
int totp_base32_encode(const uint8_t *p, size_t len, char **ret);
/* otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=…&digits=…&period=…&algorithm=SHA1, in
 * one buffer: free it with secret_strfree (it holds the secret) */
int totp_uri(const struct totp_params *p, const char *issuer, const char *account,
             const char *b32, char **ret);
