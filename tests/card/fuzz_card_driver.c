/* libFuzzer harness for the card drivers (card.c, piv.c, jpki.c) over a
 * fake PC/SC transport: this file stands in for pcsc.c, and every answer
 * the "card" gives comes from the input, down to the card vanishing when
 * the input ends. A whole login runs: connect (SELECT picks the driver),
 * certificate, PIN info, VERIFY + sign.
 *
 * Input: a stream of card answers, each a 2-byte big-endian length and
 * that many bytes (data + SW). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "card_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct pcsc_ctx {
        int unused;
};
struct pcsc_link {
        const uint8_t *p;
        size_t n;
};

static struct pcsc_ctx fake_ctx;
static struct pcsc_link fake_link;

int pcsc_open(struct pcsc_ctx **ret)
{
        *ret = &fake_ctx;
        return 0;
}

void pcsc_close(struct pcsc_ctx *c)
{
        (void)c;
}

int pcsc_wait_card(struct pcsc_ctx *c, const char *filter, int timeout_ms, char ret_reader[CARD_READER_MAX])
{
        (void)c;
        (void)filter;
        (void)timeout_ms;
        strcpy(ret_reader, "fuzz reader");
        return 0;
}

int pcsc_wait_event(struct pcsc_ctx *c, const char *reader, int timeout_ms, enum card_event *ret)
{
        (void)c;
        (void)reader;
        (void)timeout_ms;
        (void)ret;
        return -ETIMEDOUT;
}

int pcsc_connect(struct pcsc_ctx *c, const char *reader, struct pcsc_link **ret)
{
        (void)c;
        (void)reader;
        *ret = &fake_link;
        return 0;
}

void pcsc_disconnect(struct pcsc_link *l)
{
        (void)l;
}

int pcsc_begin(struct pcsc_link *l)
{
        return l->n ? 0 : -ENODEV;
}

void pcsc_end(struct pcsc_link *l)
{
        (void)l;
}

int pcsc_status(struct pcsc_link *l)
{
        return l->n ? 0 : -ENODEV;
}

int pcsc_transmit(void *link, const uint8_t *cmd, size_t cmd_len, uint8_t *rsp, size_t rsp_size, size_t *ret_len)
{
        struct pcsc_link *l = link;
        size_t len;

        (void)cmd;
        (void)cmd_len;
        if (l->n < 2)
                return -ENODEV;
        len = (size_t)l->p[0] << 8 | l->p[1];
        l->p += 2;
        l->n -= 2;
        if (len > l->n)
                len = l->n;
        if (len > rsp_size)
                len = rsp_size;
        memcpy(rsp, l->p, len);
        l->p += len;
        l->n -= len;
        *ret_len = len;
        return len ? 0 : -ENODEV;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char challenge[] = "fuzzed challenge";
        struct card_ctx *ctx;
        struct kagi_card *card;
        struct card_pin_info info;
        struct card_signature sig;
        const uint8_t *der;
        size_t len;
        int tries;

        fake_link = (struct pcsc_link){ data, size };
        if (card_ctx_open(&ctx) < 0)
                return 0;
        if (card_connect(ctx, "fuzz reader", CARD_APP_ANY, &card) == 0) {
                const char *pin = card_app(card) == CARD_APP_PIV ? "123456" : "1234";

                if (card_read_cert(card, &der, &len) == 0 && (len == 0 || len > CARD_CERT_MAX))
                        __builtin_trap();
                (void)card_pin_info(card, &info);
                if (card_verify_and_sign(card, pin, challenge, sizeof(challenge), &sig, &tries) == 0 &&
                    (sig.len == 0 || sig.len > CARD_SIG_MAX))
                        __builtin_trap();
                (void)card_sign(card, challenge, sizeof(challenge), &sig);
                card_disconnect(card);
        }
        card_ctx_close(ctx);
        return 0;
}
