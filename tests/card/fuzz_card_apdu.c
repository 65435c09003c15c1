/* libFuzzer harness for the pure APDU code: every parser of card answers on
 * the input, and the exchange rules (chaining, 61xx, 6Cxx) with a card
 * whose answers come from the input.
 *
 * Input: the bytes given to the parsers, and also read as a stream of card
 * answers, each a length byte (FF: 258) and that many bytes. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "apdu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct stream {
        const uint8_t *p;
        size_t n;
};

static int fuzz_card(void *link, const uint8_t *cmd, size_t cmd_len, uint8_t *rsp, size_t rsp_size, size_t *ret_len)
{
        struct stream *s = link;
        size_t len;

        (void)cmd;
        (void)cmd_len;
        if (s->n == 0)
                return -ENODEV;
        len = s->p[0] == 0xFF ? APDU_RAW_MAX : s->p[0];
        s->p++;
        s->n--;
        if (len > s->n)
                len = s->n;
        if (len > rsp_size)
                return -EIO;
        memcpy(rsp, s->p, len);
        s->p += len;
        s->n -= len;
        *ret_len = len;
        return 0;
}

static void parsers(const uint8_t *data, size_t size)
{
        static const uint32_t tags[] = { 0x53, 0x70, 0x71, 0x7C, 0x82, 0x5FC105 };
        const uint8_t *v;
        size_t len, used;
        struct tlv t;

        (void)tlv_parse(data, size, &t, &used);
        for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
                (void)tlv_find(data, size, tags[i], &t);
        if (piv_cert_object_parse(data, size, &v, &len) == 0 && (v < data || v + len > data + size))
                __builtin_trap();
        if (piv_ga_response_parse(data, size, &v, &len) == 0 && (v < data || v + len > data + size))
                __builtin_trap();
        if (der_total_length(data, size, &len) == 0 && len > CARD_CERT_MAX)
                __builtin_trap();
        (void)der_ecdsa_sig_check(data, size, 32);
        {
                enum card_sig_alg alg = 0;
                size_t ksize = 0;

                if (der_cert_key(data, size, &alg, &ksize) == 0 &&
                    !((alg == CARD_SIG_RSA_PKCS1_SHA256 && ksize == 256) || (alg == CARD_SIG_ECDSA_SHA256 && ksize == 32)))
                        __builtin_trap();
        }
}

static void exchange(const uint8_t *data, size_t size, const struct apdu *cmd)
{
        static struct apdu_response rsp;
        struct stream s = { data, size };

        if (apdu_transceive(fuzz_card, &s, cmd, &rsp) == 0 && rsp.len > APDU_RESP_MAX)
                __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const uint8_t long_data[300];
        const struct apdu get_data = {
                .ins = 0xCB, .p1 = 0x3F, .p2 = 0xFF,
                .data = (const uint8_t[]){ 0x5C, 0x03, 0x5F, 0xC1, 0x05 }, .len = 5, .le = 256,
        };
        const struct apdu chained = { .ins = 0x87, .p1 = 0x07, .p2 = 0x9A, .data = long_data, .len = sizeof(long_data), .le = 256 };

        parsers(data, size);
        exchange(data, size, &get_data);
        exchange(data, size, &chained);
        return 0;
}
