/* Unit tests of the pure APDU code of libkagi-card (apdu.c, codec.c): one
 * test per rule. The card is a scripted mock here; the real-component tests
 * are the test_card_*.c next to this. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "apdu.h"

#define B(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

/* ---- a scripted card ------------------------------------------------------ */

struct step {
        const uint8_t *expect;    /* NULL: any command */
        size_t expect_len;
        const uint8_t *answer;
        size_t answer_len;
        int err;                  /* returned instead of an answer */
};

struct mock {
        const struct step *steps;
        size_t n, at;
        unsigned endless_data;    /* > 0: answer that many bytes + 6100 forever */
};

static int mock_raw(void *link, const uint8_t *cmd, size_t cmd_len, uint8_t *rsp, size_t size, size_t *ret_len)
{
        struct mock *m = link;
        const struct step *s;

        if (m->endless_data || m->n == 0) {
                size_t n = m->endless_data;

                memset(rsp, 0xAB, n);
                rsp[n] = 0x61;
                rsp[n + 1] = 0x00;
                *ret_len = n + 2;
                m->at++;
                return 0;
        }
        assert_true(m->at < m->n);
        s = &m->steps[m->at++];
        if (s->expect) {
                assert_int_equal(cmd_len, s->expect_len);
                assert_memory_equal(cmd, s->expect, cmd_len);
        }
        if (s->err)
                return s->err;
        assert_true(s->answer_len <= size);
        memcpy(rsp, s->answer, s->answer_len);
        *ret_len = s->answer_len;
        return 0;
}

static struct apdu_response rsp;

static int run(const struct step *steps, size_t n, const struct apdu *cmd)
{
        struct mock m = { .steps = steps, .n = n };
        int r = apdu_transceive(mock_raw, &m, cmd, &rsp);

        /* every scripted step was used */
        if (r == 0)
                assert_int_equal(m.at, n);
        return r;
}

#define STEP(cmd, ans) { .expect = cmd##_bytes, .expect_len = sizeof(cmd##_bytes), .answer = ans##_bytes, .answer_len = sizeof(ans##_bytes) }

/* ---- apdu_encode ---------------------------------------------------------- */

static void encode_case1_has_header_only(void **state)
{
        uint8_t buf[16];
        size_t n;

        (void)state;
        assert_int_equal(apdu_encode(&(struct apdu){ .cla = 0, .ins = 0x20, .p1 = 0, .p2 = 0x80 }, buf, sizeof(buf), &n), 0);
        assert_int_equal(n, 4);
        assert_memory_equal(buf, ((uint8_t[]){ 0x00, 0x20, 0x00, 0x80 }), 4);
}

static void encode_le_256_is_sent_as_zero(void **state)
{
        uint8_t buf[16];
        size_t n;

        (void)state;
        assert_int_equal(apdu_encode(&(struct apdu){ .ins = 0xC0, .le = 256 }, buf, sizeof(buf), &n), 0);
        assert_int_equal(n, 5);
        assert_int_equal(buf[4], 0x00);
        assert_int_equal(apdu_encode(&(struct apdu){ .ins = 0xC0, .le = 45 }, buf, sizeof(buf), &n), 0);
        assert_int_equal(buf[4], 45);
}

static void encode_case4_has_lc_data_le(void **state)
{
        uint8_t buf[16];
        size_t n;

        (void)state;
        assert_int_equal(apdu_encode(&(struct apdu){ .cla = 0x80, .ins = 0x2A, .p2 = 0x80,
                                                     .data = (const uint8_t[]){ 1, 2, 3 }, .len = 3, .le = 256 },
                                     buf, sizeof(buf), &n), 0);
        assert_int_equal(n, 9);
        assert_memory_equal(buf, ((uint8_t[]){ 0x80, 0x2A, 0x00, 0x80, 0x03, 1, 2, 3, 0x00 }), 9);
}

static void encode_refuses_what_a_short_apdu_cannot_carry(void **state)
{
        uint8_t buf[300], data[256] = { 0 };
        size_t n;

        (void)state;
        assert_int_equal(apdu_encode(&(struct apdu){ .data = data, .len = 256 }, buf, sizeof(buf), &n), -EINVAL);
        assert_int_equal(apdu_encode(&(struct apdu){ .le = 257 }, buf, sizeof(buf), &n), -EINVAL);
        assert_int_equal(apdu_encode(&(struct apdu){ .data = NULL, .len = 3 }, buf, sizeof(buf), &n), -EINVAL);
        assert_int_equal(apdu_encode(&(struct apdu){ .data = data, .len = 10 }, buf, 14, &n), -ENOBUFS);
}

/* ---- apdu_transceive ------------------------------------------------------- */

static const uint8_t get_data_bytes[] = { 0x00, 0xCB, 0x3F, 0xFF, 0x02, 0x5C, 0x00, 0x00 };
static const struct apdu get_data = { .ins = 0xCB, .p1 = 0x3F, .p2 = 0xFF, .data = (const uint8_t[]){ 0x5C, 0x00 }, .len = 2, .le = 256 };

static void plain_answer_is_data_and_sw(void **state)
{
        static const uint8_t ok_bytes[] = { 0xAA, 0xBB, 0x90, 0x00 };
        const struct step steps[] = { STEP(get_data, ok) };

        (void)state;
        assert_int_equal(run(steps, 1, &get_data), 0);
        assert_int_equal(rsp.sw, 0x9000);
        assert_int_equal(rsp.len, 2);
        assert_memory_equal(rsp.data, ((uint8_t[]){ 0xAA, 0xBB }), 2);
}

static void sw_61xx_fetches_the_rest_with_get_response(void **state)
{
        static const uint8_t more_bytes[] = { 0x01, 0x02, 0x61, 0x03 };
        static const uint8_t gr3_bytes[] = { 0x00, 0xC0, 0x00, 0x00, 0x03 };
        static const uint8_t rest_bytes[] = { 0x03, 0x04, 0x05, 0x90, 0x00 };
        const struct step steps[] = { STEP(get_data, more), STEP(gr3, rest) };

        (void)state;
        assert_int_equal(run(steps, 2, &get_data), 0);
        assert_int_equal(rsp.sw, 0x9000);
        assert_int_equal(rsp.len, 5);
        assert_memory_equal(rsp.data, ((uint8_t[]){ 1, 2, 3, 4, 5 }), 5);
}

static void sw_6100_asks_for_256(void **state)
{
        static const uint8_t more_bytes[] = { 0x61, 0x00 };
        static const uint8_t gr256_bytes[] = { 0x00, 0xC0, 0x00, 0x00, 0x00 };
        static const uint8_t last_bytes[] = { 0x07, 0x90, 0x00 };
        const struct step steps[] = { STEP(get_data, more), STEP(gr256, last) };

        (void)state;
        assert_int_equal(run(steps, 2, &get_data), 0);
        assert_int_equal(rsp.len, 1);
}

static void sw_6cxx_resends_with_the_named_le(void **state)
{
        static const uint8_t wrong_le_bytes[] = { 0x6C, 0x2D };
        static const uint8_t again_bytes[] = { 0x00, 0xCB, 0x3F, 0xFF, 0x02, 0x5C, 0x00, 0x2D };
        static const uint8_t ok_bytes[] = { 0x11, 0x90, 0x00 };
        const struct step steps[] = { STEP(get_data, wrong_le), STEP(again, ok) };

        (void)state;
        assert_int_equal(run(steps, 2, &get_data), 0);
        assert_int_equal(rsp.sw, 0x9000);
        assert_int_equal(rsp.len, 1);
}

static void sw_6cxx_during_get_response_resends_get_response(void **state)
{
        static const uint8_t more_bytes[] = { 0x61, 0x00 };
        static const uint8_t gr256_bytes[] = { 0x00, 0xC0, 0x00, 0x00, 0x00 };
        static const uint8_t wrong_le_bytes[] = { 0x6C, 0x02 };
        static const uint8_t gr2_bytes[] = { 0x00, 0xC0, 0x00, 0x00, 0x02 };
        static const uint8_t ok_bytes[] = { 0x01, 0x02, 0x90, 0x00 };
        const struct step steps[] = { STEP(get_data, more), STEP(gr256, wrong_le), STEP(gr2, ok) };

        (void)state;
        assert_int_equal(run(steps, 3, &get_data), 0);
        assert_int_equal(rsp.len, 2);
}

static void sw_6cxx_twice_is_a_broken_card(void **state)
{
        static const uint8_t wrong_le_bytes[] = { 0x6C, 0x10 };
        const struct step steps[] = {
                { .answer = wrong_le_bytes, .answer_len = 2 },
                { .answer = wrong_le_bytes, .answer_len = 2 },
        };

        (void)state;
        assert_int_equal(run(steps, 2, &get_data), -EBADMSG);
}

static void sw_6cxx_with_data_is_a_broken_card(void **state)
{
        const struct step steps[] = { { .answer = (const uint8_t[]){ 0x01, 0x6C, 0x10 }, .answer_len = 3 } };

        (void)state;
        assert_int_equal(run(steps, 1, &get_data), -EBADMSG);
}

static void long_command_is_chained(void **state)
{
        uint8_t data[300], first[4 + 1 + 255], last[4 + 1 + 45 + 1];
        static const uint8_t ok_bytes[] = { 0x90, 0x00 };
        static const uint8_t sig_bytes[] = { 0x7C, 0x00, 0x90, 0x00 };
        struct step steps[2];
        const struct apdu cmd = { .ins = 0x87, .p1 = 0x07, .p2 = 0x9A, .data = data, .len = sizeof(data), .le = 256 };

        (void)state;
        for (size_t i = 0; i < sizeof(data); i++)
                data[i] = (uint8_t)i;
        memcpy(first, (uint8_t[]){ 0x10, 0x87, 0x07, 0x9A, 0xFF }, 5);
        memcpy(first + 5, data, 255);
        memcpy(last, (uint8_t[]){ 0x00, 0x87, 0x07, 0x9A, 45 }, 5);
        memcpy(last + 5, data + 255, 45);
        last[50] = 0x00;
        steps[0] = (struct step){ .expect = first, .expect_len = sizeof(first), .answer = ok_bytes, .answer_len = 2 };
        steps[1] = (struct step){ .expect = last, .expect_len = sizeof(last), .answer = sig_bytes, .answer_len = 4 };
        assert_int_equal(run(steps, 2, &cmd), 0);
        assert_int_equal(rsp.sw, 0x9000);
        assert_int_equal(rsp.len, 2);
}

static void chained_part_refused_ends_the_exchange(void **state)
{
        uint8_t data[300] = { 0 };
        const struct step steps[] = { { .answer = (const uint8_t[]){ 0x68, 0x84 }, .answer_len = 2 } };
        const struct apdu cmd = { .ins = 0x87, .data = data, .len = sizeof(data), .le = 256 };

        (void)state;
        assert_int_equal(run(steps, 1, &cmd), 0);
        assert_int_equal(rsp.sw, 0x6884);
}

static void chained_part_with_data_is_a_broken_card(void **state)
{
        uint8_t data[300] = { 0 };
        const struct step steps[] = { { .answer = (const uint8_t[]){ 0x01, 0x90, 0x00 }, .answer_len = 3 } };
        const struct apdu cmd = { .ins = 0x87, .data = data, .len = sizeof(data) };

        (void)state;
        assert_int_equal(run(steps, 1, &cmd), -EBADMSG);
}

static void answer_without_status_word_is_malformed(void **state)
{
        const struct step steps[] = { { .answer = (const uint8_t[]){ 0x90 }, .answer_len = 1 } };

        (void)state;
        assert_int_equal(run(steps, 1, &get_data), -EBADMSG);
}

static void assembled_answer_is_bounded(void **state)
{
        struct mock m = { .endless_data = 256 };

        (void)state;
        assert_int_equal(apdu_transceive(mock_raw, &m, &get_data, &rsp), -EBADMSG);
        assert_true(m.at <= APDU_GET_RESPONSE_MAX + 1);
}

static void endless_61xx_without_data_stops(void **state)
{
        struct mock m = { .endless_data = 0 };

        (void)state;
        assert_int_equal(apdu_transceive(mock_raw, &m, &get_data, &rsp), -EBADMSG);
        assert_int_equal(m.at, APDU_GET_RESPONSE_MAX + 1);
}

static void transport_errors_are_passed_on(void **state)
{
        const struct step steps[] = { { .err = -ENODEV } };

        (void)state;
        assert_int_equal(run(steps, 1, &get_data), -ENODEV);
}

static void error_status_is_returned_as_is(void **state)
{
        const struct step steps[] = { { .answer = (const uint8_t[]){ 0x6A, 0x82 }, .answer_len = 2 } };

        (void)state;
        assert_int_equal(run(steps, 1, &get_data), 0);
        assert_int_equal(rsp.sw, 0x6A82);
        assert_int_equal(rsp.len, 0);
}

static void oversized_command_is_refused(void **state)
{
        static uint8_t data[APDU_DATA_MAX + 1];
        struct mock m = { 0 };

        (void)state;
        assert_int_equal(apdu_transceive(mock_raw, &m,
                                         &(struct apdu){ .ins = 0x87, .data = data, .len = sizeof(data) }, &rsp), -EINVAL);
        assert_int_equal(m.at, 0);
}

/* ---- status words ---------------------------------------------------------- */

static void status_words_map_to_errnos(void **state)
{
        unsigned tries = 99;

        (void)state;
        assert_int_equal(apdu_sw_errno(0x9000), 0);
        assert_int_equal(apdu_sw_errno(0x6A82), -ENOENT);
        assert_int_equal(apdu_sw_errno(0x6A88), -ENOENT);
        assert_int_equal(apdu_sw_errno(0x6982), -EACCES);
        assert_int_equal(apdu_sw_errno(0x6983), -EPERM);
        assert_int_equal(apdu_sw_errno(0x63C2), -EACCES);
        assert_int_equal(apdu_sw_errno(0x63C0), -EPERM);
        assert_int_equal(apdu_sw_errno(0x6D00), -EOPNOTSUPP);
        assert_int_equal(apdu_sw_errno(0x6F00), -EIO);
        assert_true(apdu_sw_tries(0x63C2, &tries));
        assert_int_equal(tries, 2);
        assert_false(apdu_sw_tries(0x6300, &tries));
        assert_false(apdu_sw_tries(0x9000, &tries));
}

/* ---- BER-TLV ---------------------------------------------------------------- */

static void tlv_short_and_long_lengths(void **state)
{
        static const uint8_t shortform[] = { 0x70, 0x02, 0xAA, 0xBB };
        uint8_t f81[3 + 200] = { 0x70, 0x81, 200 }, f82[4 + 300] = { 0x53, 0x82, 0x01, 0x2C };
        struct tlv t;
        size_t used;

        (void)state;
        assert_int_equal(tlv_parse(shortform, sizeof(shortform), &t, &used), 0);
        assert_int_equal(t.tag, 0x70);
        assert_int_equal(t.len, 2);
        assert_int_equal(used, 4);
        assert_int_equal(tlv_parse(f81, sizeof(f81), &t, &used), 0);
        assert_int_equal(t.len, 200);
        assert_ptr_equal(t.value, f81 + 3);
        assert_int_equal(tlv_parse(f82, sizeof(f82), &t, &used), 0);
        assert_int_equal(t.len, 300);
        assert_int_equal(used, sizeof(f82));
}

static void tlv_multibyte_tag(void **state)
{
        static const uint8_t p[] = { 0x5F, 0xC1, 0x05, 0x01, 0x00 };
        static const uint8_t too_long[] = { 0x5F, 0xC1, 0x85, 0x05, 0x01, 0x00 };
        struct tlv t;
        size_t used;

        (void)state;
        assert_int_equal(tlv_parse(p, sizeof(p), &t, &used), 0);
        assert_int_equal(t.tag, 0x5FC105);
        assert_int_equal(used, 5);
        assert_int_equal(tlv_parse(too_long, sizeof(too_long), &t, &used), -EBADMSG);
}

static void tlv_length_beyond_data_is_malformed(void **state)
{
        struct tlv t;
        size_t used;

        (void)state;
        assert_int_equal(tlv_parse((const uint8_t[]){ 0x70, 0x03, 0x00, 0x00 }, 4, &t, &used), -EBADMSG);
        assert_int_equal(tlv_parse((const uint8_t[]){ 0x70, 0x82, 0xFF, 0xFF, 0x00 }, 5, &t, &used), -EBADMSG);
        assert_int_equal(tlv_parse((const uint8_t[]){ 0x70, 0x81 }, 2, &t, &used), -EBADMSG);
        assert_int_equal(tlv_parse((const uint8_t[]){ 0x70 }, 1, &t, &used), -EBADMSG);
        assert_int_equal(tlv_parse((const uint8_t[]){ 0x5F, 0xC1 }, 2, &t, &used), -EBADMSG);
}

static void tlv_indefinite_and_huge_lengths_are_refused(void **state)
{
        struct tlv t;
        size_t used;

        (void)state;
        assert_int_equal(tlv_parse((const uint8_t[]){ 0x70, 0x80, 0x00, 0x00 }, 4, &t, &used), -EBADMSG);
        assert_int_equal(tlv_parse((const uint8_t[]){ 0x70, 0x83, 0x00, 0x00, 0x01, 0x00 }, 6, &t, &used), -EBADMSG);
}

static void tlv_find_walks_siblings_and_checks_all(void **state)
{
        static const uint8_t p[] = { 0x70, 0x01, 0xAA, 0x71, 0x01, 0x00, 0xFE, 0x00 };
        struct tlv t;

        (void)state;
        assert_int_equal(tlv_find(p, sizeof(p), 0x71, &t), 0);
        assert_int_equal(t.len, 1);
        assert_int_equal(t.value[0], 0x00);
        assert_int_equal(tlv_find(p, sizeof(p), 0x72, &t), -ENOENT);
        /* a broken sibling after the match still makes the whole malformed */
        assert_int_equal(tlv_find((const uint8_t[]){ 0x70, 0x01, 0xAA, 0x71, 0x05 }, 5, 0x70, &t), -EBADMSG);
}

static void tlv_header_encoding(void **state)
{
        uint8_t out[8];

        (void)state;
        assert_int_equal(tlv_put_header(out, sizeof(out), 0x7C, 0x7F), 2);
        assert_memory_equal(out, ((uint8_t[]){ 0x7C, 0x7F }), 2);
        assert_int_equal(tlv_put_header(out, sizeof(out), 0x81, 0x80), 3);
        assert_memory_equal(out, ((uint8_t[]){ 0x81, 0x81, 0x80 }), 3);
        assert_int_equal(tlv_put_header(out, sizeof(out), 0x5FC105, 0x106), 6);
        assert_memory_equal(out, ((uint8_t[]){ 0x5F, 0xC1, 0x05, 0x82, 0x01, 0x06 }), 6);
        assert_int_equal(tlv_put_header(out, 2, 0x7C, 0x100), 0);
        assert_int_equal(tlv_put_header(out, sizeof(out), 0x7C, 0x10000), 0);
}

/* ---- DER -------------------------------------------------------------------- */

static void der_length_from_the_header(void **state)
{
        size_t total;

        (void)state;
        assert_int_equal(der_total_length((const uint8_t[]){ 0x30, 0x82, 0x04, 0x1A }, 4, &total), 0);
        assert_int_equal(total, 4 + 0x41A);
        assert_int_equal(der_total_length((const uint8_t[]){ 0x30, 0x81, 0x90, 0x00 }, 4, &total), 0);
        assert_int_equal(total, 3 + 0x90);
        assert_int_equal(der_total_length((const uint8_t[]){ 0x30, 0x05 }, 2, &total), 0);
        assert_int_equal(total, 7);
}

static void der_length_needs_enough_bytes(void **state)
{
        size_t total;

        (void)state;
        assert_int_equal(der_total_length((const uint8_t[]){ 0x30 }, 1, &total), -ENODATA);
        assert_int_equal(der_total_length((const uint8_t[]){ 0x30, 0x82, 0x04 }, 3, &total), -ENODATA);
}

static void der_length_must_be_a_minimal_sequence(void **state)
{
        size_t total;

        (void)state;
        assert_int_equal(der_total_length((const uint8_t[]){ 0x31, 0x05 }, 2, &total), -EBADMSG);
        assert_int_equal(der_total_length((const uint8_t[]){ 0x30, 0x81, 0x7F, 0x00 }, 4, &total), -EBADMSG);
        assert_int_equal(der_total_length((const uint8_t[]){ 0x30, 0x82, 0x00, 0xFF }, 4, &total), -EBADMSG);
        assert_int_equal(der_total_length((const uint8_t[]){ 0x30, 0x80 }, 2, &total), -EBADMSG);
}

static void der_length_is_bounded(void **state)
{
        size_t total;

        (void)state;
        assert_int_equal(der_total_length((const uint8_t[]){ 0x30, 0x82, 0xFF, 0xF0 }, 4, &total), -EFBIG);
        assert_int_equal(der_total_length((const uint8_t[]){ 0x30, 0x83, 0x01, 0x00 }, 4, &total), -EFBIG);
}

/* ---- PIV objects ------------------------------------------------------------- */

static const uint8_t tiny_cert[] = { 0x30, 0x03, 0x02, 0x01, 0x05 };

static size_t piv_object(uint8_t *out, const uint8_t *cert, size_t cert_len, int certinfo)
{
        uint8_t inner[64];
        size_t n = 0;

        n += tlv_put_header(inner + n, sizeof(inner) - n, 0x70, cert_len);
        memcpy(inner + n, cert, cert_len);
        n += cert_len;
        if (certinfo >= 0) {
                inner[n++] = 0x71;
                inner[n++] = 0x01;
                inner[n++] = (uint8_t)certinfo;
        }
        inner[n++] = 0xFE;
        inner[n++] = 0x00;
        size_t h = tlv_put_header(out, 8, 0x53, n);
        memcpy(out + h, inner, n);
        return h + n;
}

static void piv_cert_object_yields_the_certificate(void **state)
{
        uint8_t obj[80];
        size_t n = piv_object(obj, tiny_cert, sizeof(tiny_cert), 0), len;
        const uint8_t *cert;

        (void)state;
        assert_int_equal(piv_cert_object_parse(obj, n, &cert, &len), 0);
        assert_int_equal(len, sizeof(tiny_cert));
        assert_memory_equal(cert, tiny_cert, len);
        /* certinfo is optional */
        n = piv_object(obj, tiny_cert, sizeof(tiny_cert), -1);
        assert_int_equal(piv_cert_object_parse(obj, n, &cert, &len), 0);
}

static void piv_compressed_certificate_is_not_supported(void **state)
{
        uint8_t obj[80];
        size_t n = piv_object(obj, tiny_cert, sizeof(tiny_cert), 1), len;
        const uint8_t *cert;

        (void)state;
        assert_int_equal(piv_cert_object_parse(obj, n, &cert, &len), -EOPNOTSUPP);
}

static void piv_empty_object_means_no_certificate(void **state)
{
        const uint8_t *cert;
        size_t len;

        (void)state;
        assert_int_equal(piv_cert_object_parse((const uint8_t[]){ 0x53, 0x00 }, 2, &cert, &len), -ENOENT);
        assert_int_equal(piv_cert_object_parse((const uint8_t[]){ 0x53, 0x04, 0x70, 0x00, 0xFE, 0x00 }, 6, &cert, &len), -ENOENT);
}

static void piv_object_shape_is_checked(void **state)
{
        uint8_t obj[80];
        size_t n, len;
        const uint8_t *cert;
        static const uint8_t short_cert[] = { 0x30, 0x05, 0x02, 0x01, 0x05 };   /* says 7, is 5 */

        (void)state;
        /* not a 53 object */
        assert_int_equal(piv_cert_object_parse((const uint8_t[]){ 0x54, 0x02, 0xFE, 0x00 }, 4, &cert, &len), -EBADMSG);
        /* no 70 inside */
        assert_int_equal(piv_cert_object_parse((const uint8_t[]){ 0x53, 0x02, 0xFE, 0x00 }, 4, &cert, &len), -EBADMSG);
        /* bytes after the object */
        n = piv_object(obj, tiny_cert, sizeof(tiny_cert), 0);
        obj[n] = 0x00;
        assert_int_equal(piv_cert_object_parse(obj, n + 1, &cert, &len), -EBADMSG);
        /* the certificate's own length disagrees with tag 70 */
        n = piv_object(obj, short_cert, sizeof(short_cert), 0);
        assert_int_equal(piv_cert_object_parse(obj, n, &cert, &len), -EBADMSG);
        /* certinfo of two bytes */
        assert_int_equal(piv_cert_object_parse((const uint8_t[]){ 0x53, 0x0B, 0x70, 0x05, 0x30, 0x03, 0x02, 0x01, 0x05,
                                                                  0x71, 0x02, 0x00, 0x00 }, 13, &cert, &len), -EBADMSG);
}

static void piv_general_authenticate_template(void **state)
{
        uint8_t hash[32], big[256], out[300];
        size_t n;

        (void)state;
        memset(hash, 0x11, sizeof(hash));
        assert_int_equal(piv_ga_build(hash, sizeof(hash), out, sizeof(out), &n), 0);
        assert_int_equal(n, 2 + 2 + 2 + 32);
        assert_memory_equal(out, ((uint8_t[]){ 0x7C, 0x24, 0x82, 0x00, 0x81, 0x20 }), 6);
        memset(big, 0x22, sizeof(big));
        assert_int_equal(piv_ga_build(big, sizeof(big), out, sizeof(out), &n), 0);
        assert_int_equal(n, 4 + 2 + 4 + 256);
        assert_memory_equal(out, ((uint8_t[]){ 0x7C, 0x82, 0x01, 0x06, 0x82, 0x00, 0x81, 0x82, 0x01, 0x00 }), 10);
        assert_int_equal(piv_ga_build(big, sizeof(big), out, 100, &n), -ENOBUFS);
        assert_int_equal(piv_ga_build(big, 0, out, sizeof(out), &n), -EINVAL);
}

static void piv_general_authenticate_answer(void **state)
{
        const uint8_t *sig;
        size_t len;

        (void)state;
        assert_int_equal(piv_ga_response_parse((const uint8_t[]){ 0x7C, 0x04, 0x82, 0x02, 0xAA, 0xBB }, 6, &sig, &len), 0);
        assert_int_equal(len, 2);
        assert_int_equal(sig[0], 0xAA);
        assert_int_equal(piv_ga_response_parse((const uint8_t[]){ 0x7C, 0x02, 0x82, 0x00 }, 4, &sig, &len), -EBADMSG);
        assert_int_equal(piv_ga_response_parse((const uint8_t[]){ 0x7C, 0x03, 0x81, 0x01, 0xAA }, 5, &sig, &len), -EBADMSG);
        assert_int_equal(piv_ga_response_parse((const uint8_t[]){ 0x7D, 0x03, 0x82, 0x01, 0xAA }, 5, &sig, &len), -EBADMSG);
        assert_int_equal(piv_ga_response_parse((const uint8_t[]){ 0x7C, 0x03, 0x82, 0x01, 0xAA, 0x00 }, 6, &sig, &len), -EBADMSG);
}

/* ---- ECDSA signature shape ----------------------------------------------------- */

static void ecdsa_signature_shape(void **state)
{
        (void)state;
        /* r = 0x80 needs a leading zero, s = 0x01 */
        assert_int_equal(der_ecdsa_sig_check((const uint8_t[]){ 0x30, 0x07, 0x02, 0x02, 0x00, 0x80, 0x02, 0x01, 0x01 }, 9, 32), 0);
        /* negative */
        assert_int_equal(der_ecdsa_sig_check((const uint8_t[]){ 0x30, 0x06, 0x02, 0x01, 0x80, 0x02, 0x01, 0x01 }, 8, 32), -EBADMSG);
        /* not minimal */
        assert_int_equal(der_ecdsa_sig_check((const uint8_t[]){ 0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01 }, 9, 32), -EBADMSG);
        /* zero */
        assert_int_equal(der_ecdsa_sig_check((const uint8_t[]){ 0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01 }, 8, 32), -EBADMSG);
        /* bytes after the sequence, or a sequence longer than the data */
        assert_int_equal(der_ecdsa_sig_check((const uint8_t[]){ 0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00 }, 9, 32), -EBADMSG);
        assert_int_equal(der_ecdsa_sig_check((const uint8_t[]){ 0x30, 0x08, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01 }, 8, 32), -EBADMSG);
        /* a third integer */
        assert_int_equal(der_ecdsa_sig_check((const uint8_t[]){ 0x30, 0x09, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01 }, 11, 32), -EBADMSG);
        /* larger than the field */
        assert_int_equal(der_ecdsa_sig_check((const uint8_t[]){ 0x30, 0x07, 0x02, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01 }, 9, 1), -EBADMSG);
}

/* ---- PINs and PKCS#1 ---------------------------------------------------------------- */

static void piv_pin_is_padded_with_ff(void **state)
{
        uint8_t out[8];

        (void)state;
        assert_int_equal(piv_pin_encode("123456", out), 0);
        assert_memory_equal(out, ((uint8_t[]){ '1', '2', '3', '4', '5', '6', 0xFF, 0xFF }), 8);
        assert_int_equal(piv_pin_encode("12345678", out), 0);
        assert_memory_equal(out, "12345678", 8);
}

static void piv_pin_must_be_6_to_8_digits(void **state)
{
        uint8_t out[8];

        (void)state;
        assert_int_equal(piv_pin_encode("12345", out), -EINVAL);
        assert_int_equal(piv_pin_encode("123456789", out), -EINVAL);
        assert_int_equal(piv_pin_encode("12345x", out), -EINVAL);
        assert_int_equal(piv_pin_encode(NULL, out), -EINVAL);
}

static void jpki_pin_is_four_digits(void **state)
{
        (void)state;
        assert_int_equal(jpki_pin_check("0000"), 0);
        assert_int_equal(jpki_pin_check("123"), -EINVAL);
        assert_int_equal(jpki_pin_check("12345"), -EINVAL);
        assert_int_equal(jpki_pin_check("12a4"), -EINVAL);
        assert_int_equal(jpki_pin_check(NULL), -EINVAL);
}

static void pkcs1_block_layout(void **state)
{
        uint8_t digest[32], block[256];

        (void)state;
        memset(digest, 0x5A, sizeof(digest));
        assert_int_equal(pkcs1_sha256_block(digest, sizeof(block), block), 0);
        assert_int_equal(block[0], 0x00);
        assert_int_equal(block[1], 0x01);
        for (size_t i = 2; i < 256 - 52; i++)
                assert_int_equal(block[i], 0xFF);
        assert_int_equal(block[256 - 52], 0x00);
        /* DigestInfo: SEQUENCE { AlgorithmIdentifier sha256, OCTET STRING } */
        assert_memory_equal(block + 256 - 51, ((uint8_t[]){ 0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                                          0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 }), 19);
        assert_memory_equal(block + 256 - 32, digest, 32);
        assert_int_equal(pkcs1_sha256_block(digest, 61, block), -EINVAL);
        assert_int_equal(pkcs1_sha256_block(digest, 62, block), 0);
}

/* ---- der_cert_key, checked against certificates OpenSSL encodes ---------- */

static size_t make_cert(EVP_PKEY *k, uint8_t *out, size_t size)
{
        X509 *x = X509_new();
        X509_NAME *name = X509_NAME_new();
        unsigned char *p = out;
        int len;

        assert_non_null(x);
        X509_set_version(x, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(x), 4242);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"der-test", -1, -1, 0);
        X509_set_subject_name(x, name);
        X509_set_issuer_name(x, name);
        X509_gmtime_adj(X509_getm_notBefore(x), 0);
        X509_gmtime_adj(X509_getm_notAfter(x), 3600);
        X509_set_pubkey(x, k);
        assert_true(X509_sign(x, k, EVP_sha256()) > 0);
        len = i2d_X509(x, NULL);
        assert_true(len > 0 && (size_t)len <= size);
        i2d_X509(x, &p);
        X509_NAME_free(name);
        X509_free(x);
        return (size_t)len;
}

static void cert_key_of(EVP_PKEY *k, int expect, enum card_sig_alg alg, size_t ksize)
{
        uint8_t der[4096];
        size_t n = make_cert(k, der, sizeof(der)), got_size = 0;
        enum card_sig_alg got = 0;

        assert_int_equal(der_cert_key(der, n, &got, &got_size), expect);
        if (expect == 0) {
                assert_int_equal(got, alg);
                assert_int_equal(got_size, ksize);
        }
        /* every truncation is refused, never read past */
        for (size_t cut = 0; cut < n; cut += 7)
                assert_int_not_equal(der_cert_key(der, cut, &got, &got_size), 0);
        EVP_PKEY_free(k);
}

static void cert_key_rsa_2048(void **state)
{
        (void)state;
        cert_key_of(EVP_RSA_gen(2048), 0, CARD_SIG_RSA_PKCS1_SHA256, 256);
}

static void cert_key_ec_p256(void **state)
{
        (void)state;
        cert_key_of(EVP_EC_gen("prime256v1"), 0, CARD_SIG_ECDSA_SHA256, 32);
}

static void cert_key_other_keys_are_not_supported(void **state)
{
        (void)state;
        cert_key_of(EVP_RSA_gen(1024), -EOPNOTSUPP, 0, 0);
        cert_key_of(EVP_EC_gen("secp384r1"), -EOPNOTSUPP, 0, 0);
}

static void cert_key_refuses_what_is_not_a_certificate(void **state)
{
        static const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
        enum card_sig_alg alg;
        size_t ksize;

        (void)state;
        assert_int_equal(der_cert_key(junk, sizeof(junk), &alg, &ksize), -EBADMSG);
        assert_int_equal(der_cert_key(junk, 0, &alg, &ksize), -EBADMSG);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(encode_case1_has_header_only),
                cmocka_unit_test(encode_le_256_is_sent_as_zero),
                cmocka_unit_test(encode_case4_has_lc_data_le),
                cmocka_unit_test(encode_refuses_what_a_short_apdu_cannot_carry),
                cmocka_unit_test(plain_answer_is_data_and_sw),
                cmocka_unit_test(sw_61xx_fetches_the_rest_with_get_response),
                cmocka_unit_test(sw_6100_asks_for_256),
                cmocka_unit_test(sw_6cxx_resends_with_the_named_le),
                cmocka_unit_test(sw_6cxx_during_get_response_resends_get_response),
                cmocka_unit_test(sw_6cxx_twice_is_a_broken_card),
                cmocka_unit_test(sw_6cxx_with_data_is_a_broken_card),
                cmocka_unit_test(long_command_is_chained),
                cmocka_unit_test(chained_part_refused_ends_the_exchange),
                cmocka_unit_test(chained_part_with_data_is_a_broken_card),
                cmocka_unit_test(answer_without_status_word_is_malformed),
                cmocka_unit_test(assembled_answer_is_bounded),
                cmocka_unit_test(endless_61xx_without_data_stops),
                cmocka_unit_test(transport_errors_are_passed_on),
                cmocka_unit_test(error_status_is_returned_as_is),
                cmocka_unit_test(oversized_command_is_refused),
                cmocka_unit_test(status_words_map_to_errnos),
                cmocka_unit_test(tlv_short_and_long_lengths),
                cmocka_unit_test(tlv_multibyte_tag),
                cmocka_unit_test(tlv_length_beyond_data_is_malformed),
                cmocka_unit_test(tlv_indefinite_and_huge_lengths_are_refused),
                cmocka_unit_test(tlv_find_walks_siblings_and_checks_all),
                cmocka_unit_test(tlv_header_encoding),
                cmocka_unit_test(der_length_from_the_header),
                cmocka_unit_test(der_length_needs_enough_bytes),
                cmocka_unit_test(der_length_must_be_a_minimal_sequence),
                cmocka_unit_test(der_length_is_bounded),
                cmocka_unit_test(piv_cert_object_yields_the_certificate),
                cmocka_unit_test(piv_compressed_certificate_is_not_supported),
                cmocka_unit_test(piv_empty_object_means_no_certificate),
                cmocka_unit_test(piv_object_shape_is_checked),
                cmocka_unit_test(piv_general_authenticate_template),
                cmocka_unit_test(piv_general_authenticate_answer),
                cmocka_unit_test(ecdsa_signature_shape),
                cmocka_unit_test(piv_pin_is_padded_with_ff),
                cmocka_unit_test(piv_pin_must_be_6_to_8_digits),
                cmocka_unit_test(jpki_pin_is_four_digits),
                cmocka_unit_test(pkcs1_block_layout),
                cmocka_unit_test(cert_key_rsa_2048),
                cmocka_unit_test(cert_key_ec_p256),
                cmocka_unit_test(cert_key_other_keys_are_not_supported),
                cmocka_unit_test(cert_key_refuses_what_is_not_a_certificate),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
