/* Inside libkagi-card: the PC/SC transport (pcsc.c, the only file that
 * sees winscard.h) and the card drivers (piv.c, jpki.c) under card.c. */
#pragma once

#include "apdu.h"
#include "card.h"

/* ---- pcsc.c ------------------------------------------------------------- */

struct pcsc_ctx;
struct pcsc_link;

int pcsc_open(struct pcsc_ctx **ret);
void pcsc_close(struct pcsc_ctx *c);
int pcsc_wait_card(struct pcsc_ctx *c, const char *filter, int timeout_ms, char ret_reader[CARD_READER_MAX]);
int pcsc_wait_event(struct pcsc_ctx *c, const char *reader, int timeout_ms, enum card_event *ret);
int pcsc_connect(struct pcsc_ctx *c, const char *reader, struct pcsc_link **ret);
/* Resets the card on the way out. */
void pcsc_disconnect(struct pcsc_link *l);
/* A PC/SC transaction: no other program's APDUs in between. */
int pcsc_begin(struct pcsc_link *l);
void pcsc_end(struct pcsc_link *l);
int pcsc_status(struct pcsc_link *l);
/* apdu_raw_fn over SCardTransmit; link is a struct pcsc_link. */
int pcsc_transmit(void *link, const uint8_t *cmd, size_t cmd_len, uint8_t *rsp, size_t rsp_size, size_t *ret_len);

/* ---- the card and its driver --------------------------------------------- */

struct card_driver;

struct kagi_card {
        struct pcsc_link *link;
        const struct card_driver *drv;
        char reader[CARD_READER_MAX];
        uint8_t *cert;                /* DER, read once */
        size_t cert_len;
        struct apdu_response *rsp;    /* scratch for answers (large: on the heap) */
};

/* Each runs inside a transaction card.c opened, after select. */
struct card_driver {
        enum card_app app;
        /* 0, or -EMEDIUMTYPE when the card has no such application */
        int (*select)(struct kagi_card *card);
        /* a fresh heap copy of the certificate */
        int (*read_cert)(struct kagi_card *card, uint8_t **ret_der, size_t *ret_len);
        int (*pin_info)(struct kagi_card *card, struct card_pin_info *ret);
        int (*verify_pin)(struct kagi_card *card, const char *pin, int *tries_left);
        /* signs the SHA-256 digest with the key of the (already read) certificate */
        int (*sign)(struct kagi_card *card, const uint8_t digest[32], struct card_signature *ret);
};

extern const struct card_driver piv_driver;
extern const struct card_driver jpki_driver;

/* card.c, for the drivers */
int card_apdu(struct kagi_card *card, const struct apdu *cmd);
/* The certificate's key as the drivers need it: CARD_SIG_* and the size of
 * a signature (RSA: modulus bytes; EC: field bytes). -EOPNOTSUPP for keys
 * other than RSA-2048 and P-256. */
int card_cert_key(const uint8_t *der, size_t len, enum card_sig_alg *ret_alg, size_t *ret_size);
/* What a VERIFY without data answered, into info; an error for answers
 * that say nothing about the PIN. */
int card_pin_status(uint16_t sw, struct card_pin_info *info);
/* Maps a VERIFY status word to the card_verify_pin contract. */
int card_pin_result(uint16_t sw, int *tries_left);
