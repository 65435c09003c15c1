/* libkagi-card: IC cards over PC/SC (pcsclite) for kagi logins.
 *
 * Two card applications are spoken, chosen by SELECT (never by ATR):
 *   - PIV (NIST SP 800-73-4): PIV Authentication certificate and key 9A,
 *     RSA-2048 or ECC P-256, PIV PIN (6-8 digits);
 *   - JPKI (My Number Card): user-authentication certificate and key,
 *     RSA-2048, 4-digit authentication PIN.
 *
 * A card login (what pam_kagi does with it):
 *
 *   card_ctx_open(&ctx)                           is pcscd there?
 *   card_wait(ctx, filter, 0, reader)             a card in a reader now? (or wait up to N ms)
 *   card_connect(ctx, reader, CARD_APP_ANY, &card)
 *   card_read_cert(card, &der, &der_len)          goes to the broker with the request
 *   ... the broker answers with a challenge ...
 *   card_pin_info(card, &info)                    spends no try: refuse if blocked,
 *                                                 warn if info.tries_left == 1
 *   ... prompt for the PIN ...
 *   card_verify_and_sign(card, pin, challenge, len, &sig, &tries_left)
 *   ... certificate + sig.data to the broker, which checks it with
 *       EVP_DigestVerify(EVP_sha256()) against the certificate's key:
 *       sha256WithRSAEncryption (PKCS#1 v1.5) or ecdsa-with-SHA256 (DER) ...
 *   card_disconnect(card); card_ctx_close(ctx)
 *
 * Every function returns 0 (or a count) on success and a negative errno on
 * failure; outputs named ret_* are set only on success. The errors callers
 * turn into messages (card_strerror gives an English line for logs):
 *
 *   -EHOSTDOWN    the PC/SC service (pcscd) is not running or went away
 *   -ENXIO        no reader, or none whose name contains the filter
 *   -ETIMEDOUT    no card was inserted within the timeout
 *   -ENODEV       the card was removed (or stopped answering), also in the
 *                 middle of an operation
 *   -ECANCELED    another program reset the card during the operation
 *   -EBUSY        another program holds the card exclusively
 *   -EMEDIUMTYPE  the card has neither a PIV nor a JPKI application
 *   -ENOENT       the card holds no authentication certificate
 *   -EACCES       wrong PIN (tries left reported); for card_sign: the PIN
 *                 has not been verified
 *   -EPERM        the PIN is blocked
 *   -EINVAL       an argument is wrong, e.g. a PIN not of the card's format
 *                 (such a PIN is never sent, so it costs no try)
 *   -EOPNOTSUPP   the card's key is of a kind kagi does not use, or the
 *                 certificate is stored compressed
 *   -EBADMSG      the card's answer is malformed (every length is checked)
 *   -EIO          any other card or reader failure
 *
 * PINs are copied into command buffers only, and those are wiped after use.
 * Not thread-safe: one context and its cards belong to one thread. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CARD_READER_MAX 128        /* longest reader name, NUL included */
#define CARD_CERT_MAX 16384        /* longest certificate accepted from a card */
#define CARD_SIG_MAX 512           /* longest signature */
#define CARD_MSG_MAX 65536         /* longest message card_sign hashes */

struct card_ctx;
struct kagi_card;

/* ---- PC/SC context and readers ---------------------------------------- */

int card_ctx_open(struct card_ctx **ret);
void card_ctx_close(struct card_ctx *ctx);
static inline void card_ctx_closep(struct card_ctx **p)
{
        if (*p)
                card_ctx_close(*p);
        *p = NULL;
}

/* Looks for a card in the readers whose name contains reader_filter (NULL
 * or "": all readers) and returns the first reader holding one. timeout_ms
 * 0 only looks; > 0 waits that long for an insertion; < 0 waits forever.
 * -ENXIO no matching reader, -ETIMEDOUT no card. */
int card_wait(struct card_ctx *ctx, const char *reader_filter, int timeout_ms, char ret_reader[CARD_READER_MAX]);

enum card_event {
        CARD_EVENT_INSERTED = 1,
        CARD_EVENT_REMOVED = 2,       /* also: replaced by another card meanwhile */
};
/* Waits for the next insertion or removal in a reader (by exact name).
 * -ETIMEDOUT when nothing happened, -ENXIO when the reader is gone. */
int card_wait_event(struct card_ctx *ctx, const char *reader, int timeout_ms, enum card_event *ret);

/* ---- a connected card --------------------------------------------------- */

enum card_app {
        CARD_APP_PIV = 1u << 0,
        CARD_APP_JPKI = 1u << 1,
};
#define CARD_APP_ANY (CARD_APP_PIV | CARD_APP_JPKI)

/* Connects (shared) and finds the first application of apps the card
 * answers a SELECT for, PIV before JPKI. */
int card_connect(struct card_ctx *ctx, const char *reader, unsigned apps, struct kagi_card **ret);
/* Disconnects and resets the card, so a verified PIN does not outlive the
 * login. NULL is fine. */
void card_disconnect(struct kagi_card *card);
static inline void card_disconnectp(struct kagi_card **p)
{
        card_disconnect(*p);
        *p = NULL;
}

enum card_app card_app(const struct kagi_card *card);
const char *card_app_name(enum card_app app);          /* "PIV", "JPKI" */
const char *card_reader(const struct kagi_card *card);

/* 0 while the card we connected to is still in the reader; -ENODEV once it
 * was removed, -ECANCELED if another program reset it. No APDU is sent. */
int card_still_present(struct kagi_card *card);

/* The authentication certificate (DER), read once and kept: *ret_der
 * stays valid until card_disconnect. */
int card_read_cert(struct kagi_card *card, const uint8_t **ret_der, size_t *ret_len);

/* ---- PIN ------------------------------------------------------------- */

struct card_pin_info {
        int tries_left;               /* -1: the card does not say */
        bool verified;                /* already verified in this session */
        bool blocked;
        unsigned min_len, max_len;    /* digits the card's PIN has */
};
/* Asks the card (VERIFY without data): never spends a try. */
int card_pin_info(struct kagi_card *card, struct card_pin_info *ret);

/* 0 verified; -EACCES wrong PIN, *tries_left (if not NULL) set to what the
 * card reports (-1 if it does not); -EPERM blocked, *tries_left 0; -EINVAL
 * not a PIN of this card's format (nothing sent). */
int card_verify_pin(struct kagi_card *card, const char *pin, int *tries_left);

/* ---- signing ------------------------------------------------------------ */

enum card_sig_alg {
        CARD_SIG_RSA_PKCS1_SHA256 = 1,  /* sha256WithRSAEncryption */
        CARD_SIG_ECDSA_SHA256 = 2,      /* ecdsa-with-SHA256, DER */
};
const char *card_sig_alg_name(enum card_sig_alg alg);

struct card_signature {
        enum card_sig_alg alg;
        size_t len;
        uint8_t data[CARD_SIG_MAX];
};

/* Signs SHA-256(msg) with the authentication key; the PIN must have been
 * verified (else -EACCES). The result verifies with EVP_DigestVerify and
 * EVP_sha256() over msg against card_read_cert's key. */
int card_sign(struct kagi_card *card, const void *msg, size_t len, struct card_signature *ret);

/* The login step: VERIFY and sign in one PC/SC transaction, so no other
 * program can come between. Errors and *tries_left as card_verify_pin,
 * then as card_sign. */
int card_verify_and_sign(struct kagi_card *card, const char *pin, const void *msg, size_t len,
                         struct card_signature *ret, int *tries_left);

const char *card_strerror(int err);
