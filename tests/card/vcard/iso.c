/* ISO 7816-4 plumbing of the virtual card: command parsing, command
 * chaining (CLA bit 0x10), GET RESPONSE for long answers, and the T=0-like
 * mode that answers 61xx / 6Cxx so hosts must do the GET RESPONSE and Le
 * retry dance. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vcard.h"

#define INS_SELECT 0xA4
#define INS_GET_RESPONSE 0xC0

void vc_log(const struct vcard *vc, const char *fmt, ...)
{
        va_list ap;

        if (!vc->verbose)
                return;
        va_start(ap, fmt);
        fputs("kagi-vcard: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
}

int vc_cmd_parse(const uint8_t *buf, size_t len, struct vc_cmd *ret)
{
        struct vc_cmd c = { 0 };

        if (len < 4)
                return -1;
        c.cla = buf[0];
        c.ins = buf[1];
        c.p1 = buf[2];
        c.p2 = buf[3];
        buf += 4;
        len -= 4;
        if (len == 0) {
                /* case 1 */
        } else if (len == 1) {
                c.has_le = true;
                c.ne = buf[0] ? buf[0] : 256;
        } else if (buf[0] != 0 || len < 3) {
                /* short case 3 or 4 */
                c.lc = buf[0];
                if (c.lc == 0 || len < 1 + c.lc || len > 2 + c.lc)
                        return -1;
                c.data = buf + 1;
                if (len == 2 + c.lc) {
                        c.has_le = true;
                        c.ne = buf[1 + c.lc] ? buf[1 + c.lc] : 256;
                }
        } else {
                /* extended: 00 then two bytes of Lc or Le */
                size_t v = (size_t)buf[1] << 8 | buf[2];

                c.extended = true;
                if (len == 3) {
                        c.has_le = true;
                        c.ne = v ? v : 65536;
                } else {
                        c.lc = v;
                        if (c.lc == 0 || len < 3 + c.lc)
                                return -1;
                        c.data = buf + 3;
                        if (len == 5 + c.lc) {
                                v = (size_t)buf[3 + c.lc] << 8 | buf[4 + c.lc];
                                c.has_le = true;
                                c.ne = v ? v : 65536;
                        } else if (len != 3 + c.lc) {
                                return -1;
                        }
                }
        }
        *ret = c;
        return 0;
}

void vc_session_reset(struct vcard *vc)
{
        vc->selected = VC_APP_NONE;
        vc->jpki_ef = 0;
        vc->chaining = false;
        vc->chain_len = 0;
        vc->pending_len = vc->pending_off = 0;
        vc->piv_pin.verified = false;
        vc->jpki_pin.verified = false;
        vc->jpki_sign_pin.verified = false;
}

void vc_resp_put(struct vc_resp *r, const void *p, size_t n)
{
        if (r->len + n > sizeof(r->data)) {
                r->sw = 0x6F00;
                return;
        }
        memcpy(r->data + r->len, p, n);
        r->len += n;
}

size_t vc_ber_len(uint8_t *out, size_t n)
{
        if (n < 0x80) {
                out[0] = (uint8_t)n;
                return 1;
        }
        if (n < 0x100) {
                out[0] = 0x81;
                out[1] = (uint8_t)n;
                return 2;
        }
        out[0] = 0x82;
        out[1] = (uint8_t)(n >> 8);
        out[2] = (uint8_t)n;
        return 3;
}

void vc_resp_tlv(struct vc_resp *r, unsigned tag, const void *p, size_t n)
{
        uint8_t hdr[6];
        size_t h = 0;

        if (tag > 0xFFFF)
                hdr[h++] = (uint8_t)(tag >> 16);
        if (tag > 0xFF)
                hdr[h++] = (uint8_t)(tag >> 8);
        hdr[h++] = (uint8_t)tag;
        h += vc_ber_len(hdr + h, n);
        vc_resp_put(r, hdr, h);
        if (n)
                vc_resp_put(r, p, n);
}

static size_t put_sw(uint8_t *out, size_t at, uint16_t sw)
{
        out[at] = (uint8_t)(sw >> 8);
        out[at + 1] = (uint8_t)sw;
        return at + 2;
}

/* T=0-like cards here only say "more" (61 00) and leave the host to learn
 * the exact rest from the 6Cxx that follows. */
static uint16_t sw_more(const struct vcard *vc, size_t left)
{
        if (vc->t0_style || left >= 256)
                return 0x6100;
        return (uint16_t)(0x6100 | left);
}

/* Hands out the next piece of a long answer. */
static size_t get_response(struct vcard *vc, const struct vc_cmd *c, uint8_t *out)
{
        size_t left = vc->pending_len - vc->pending_off;
        size_t n = c->has_le ? c->ne : 256;

        if (left == 0)
                return put_sw(out, 0, SW_CONDITIONS);
        if (vc->t0_style && n > left && left < 256)
                return put_sw(out, 0, (uint16_t)(0x6C00 | left));
        if (n > left)
                n = left;
        memcpy(out, vc->pending + vc->pending_off, n);
        vc->pending_off += n;
        left -= n;
        if (left == 0)
                vc->pending_len = vc->pending_off = 0;
        return put_sw(out, n, left ? sw_more(vc, left) : SW_OK);
}

/* Keeps the whole answer and tells the host how much is waiting. */
static size_t defer(struct vcard *vc, const struct vc_resp *r, size_t sent, uint8_t *out)
{
        memcpy(vc->pending, r->data + sent, r->len - sent);
        vc->pending_len = r->len - sent;
        vc->pending_off = 0;
        memcpy(out, r->data, sent);
        return put_sw(out, sent, sw_more(vc, vc->pending_len));
}

/* Turns a handler's answer into what goes on the wire. */
static size_t shape(struct vcard *vc, const struct vc_cmd *c, const struct vc_resp *r, uint8_t *out)
{
        if (r->len == 0 || (r->sw != SW_OK && r->sw != SW_EOF_WARNING))
                return put_sw(out, 0, r->sw);
        if (vc->t0_style) {
                if (c->lc > 0 || !c->has_le)
                        return defer(vc, r, 0, out);
                if (r->len < c->ne && r->len < 256)
                        return put_sw(out, 0, (uint16_t)(0x6C00 | r->len));
        }
        if (!c->has_le)
                return defer(vc, r, 0, out);
        if (r->len > c->ne)
                return defer(vc, r, c->ne, out);
        memcpy(out, r->data, r->len);
        return put_sw(out, r->len, r->sw);
}

static void dispatch(struct vcard *vc, const struct vc_cmd *c, struct vc_resp *r)
{
        if (c->ins == INS_SELECT && c->p1 == 0x04) {
                if (!vc_piv_select(vc, c, r) && !vc_jpki_select(vc, c, r))
                        r->sw = SW_NOT_FOUND;
                return;
        }
        switch (vc->selected) {
        case VC_APP_PIV:
                vc_piv_command(vc, c, r);
                return;
        case VC_APP_JPKI:
                vc_jpki_command(vc, c, r);
                return;
        case VC_APP_NONE:
                r->sw = c->ins == INS_SELECT ? SW_NOT_FOUND : SW_INS_UNKNOWN;
                return;
        }
}

size_t vc_process(struct vcard *vc, const uint8_t *apdu, size_t len, uint8_t *out, size_t outsz)
{
        static struct vc_resp r;
        struct vc_cmd c;

        /* out holds at least a full extended answer */
        if (outsz < VC_RESP_MAX + 2)
                return 0;
        if (vc_cmd_parse(apdu, len, &c) < 0)
                return put_sw(out, 0, SW_WRONG_LENGTH);
        vc_log(vc, "<- CLA %02X INS %02X P1 %02X P2 %02X Lc %zu Le %zu", c.cla, c.ins, c.p1, c.p2, c.lc, c.ne);
        if ((c.cla & 0x60) != 0 || (c.cla & 0x0F) != 0)
                return put_sw(out, 0, SW_CLA_UNKNOWN);
        if (c.ins == INS_GET_RESPONSE)
                return get_response(vc, &c, out);
        vc->pending_len = vc->pending_off = 0;

        if (c.cla & 0x10) {
                if ((vc->chaining && vc->chain_ins != c.ins) || vc->chain_len + c.lc > sizeof(vc->chain)) {
                        vc->chaining = false;
                        vc->chain_len = 0;
                        return put_sw(out, 0, SW_CLA_FUNCTION);
                }
                memcpy(vc->chain + vc->chain_len, c.data, c.lc);
                vc->chain_len += c.lc;
                vc->chain_ins = c.ins;
                vc->chaining = true;
                return put_sw(out, 0, SW_OK);
        }
        if (vc->chaining) {
                bool same = vc->chain_ins == c.ins && vc->chain_len + c.lc <= sizeof(vc->chain);

                vc->chaining = false;
                if (!same) {
                        vc->chain_len = 0;
                        return put_sw(out, 0, SW_CLA_FUNCTION);
                }
                if (c.lc)
                        memcpy(vc->chain + vc->chain_len, c.data, c.lc);
                c.data = vc->chain;
                c.lc = vc->chain_len + c.lc;
                vc->chain_len = 0;
        }

        memset(&r, 0, sizeof(r));
        r.sw = SW_OK;
        dispatch(vc, &c, &r);
        vc_log(vc, "-> answer of %zu bytes, SW %04X", r.len, r.sw);
        return shape(vc, &c, &r, out);
}

bool vc_tlv_find(const uint8_t *p, size_t n, uint8_t tag, const uint8_t **ret_v, size_t *ret_len)
{
        while (n >= 2) {
                uint8_t t = p[0];
                size_t len = p[1], h = 2;

                if (len == 0x81 || len == 0x82) {
                        size_t k = len - 0x80;

                        if (n < 2 + k)
                                return false;
                        len = k == 1 ? p[2] : (size_t)p[2] << 8 | p[3];
                        h += k;
                } else if (len > 0x80) {
                        return false;
                }
                if (n - h < len)
                        return false;
                if (t == tag) {
                        *ret_v = p + h;
                        *ret_len = len;
                        return true;
                }
                p += h + len;
                n -= h + len;
        }
        return false;
}
