/* APDU framing (ISO 7816-4 5.1, 5.3): encoding, command chaining, GET
 * RESPONSE, Le retry, status words. Pure: the card is behind a function
 * pointer, so the unit tests and the fuzzer play the card. */
#include <errno.h>
#include <string.h>

#include "apdu.h"
#include "common.h"

#define CLA_CHAINING 0x10
#define INS_GET_RESPONSE 0xC0

int apdu_encode(const struct apdu *a, uint8_t *buf, size_t size, size_t *ret_len)
{
        size_t n = 4;

        if (a->len > APDU_SHORT_MAX || a->le > 256 || (a->len && !a->data))
                return -EINVAL;
        if (size < 4 + (a->len ? 1 + a->len : 0) + (a->le ? 1 : 0))
                return -ENOBUFS;
        buf[0] = a->cla;
        buf[1] = a->ins;
        buf[2] = a->p1;
        buf[3] = a->p2;
        if (a->len) {
                buf[n++] = (uint8_t)a->len;
                memcpy(buf + n, a->data, a->len);
                n += a->len;
        }
        if (a->le)
                buf[n++] = (uint8_t)(a->le & 0xFF);      /* 256 is sent as 00 */
        *ret_len = n;
        return 0;
}

/* One command, one raw answer of at least a status word. */
static int exchange(apdu_raw_fn raw, void *link, const struct apdu *a,
                    uint8_t rsp[APDU_RAW_MAX], size_t *ret_data_len, uint16_t *ret_sw)
{
        uint8_t cmd[APDU_CMD_MAX];
        size_t n, rlen = 0;
        int r;

        r = apdu_encode(a, cmd, sizeof(cmd), &n);
        if (r < 0)
                return r;
        r = raw(link, cmd, n, rsp, APDU_RAW_MAX, &rlen);
        /* the command may hold a PIN */
        secret_wipe(cmd, sizeof(cmd));
        if (r < 0)
                return r;
        if (rlen < 2 || rlen > APDU_RAW_MAX)
                return -EBADMSG;
        *ret_data_len = rlen - 2;
        *ret_sw = (uint16_t)(rsp[rlen - 2] << 8 | rsp[rlen - 1]);
        return 0;
}

/* Sends all but the last APDU_SHORT_MAX bytes as chained commands. On an
 * error status from the card, *ret_stop is set and ret->sw holds it. */
static int send_chained(apdu_raw_fn raw, void *link, const struct apdu *cmd, size_t *ret_off,
                        bool *ret_stop, struct apdu_response *ret)
{
        uint8_t rsp[APDU_RAW_MAX];
        size_t off = 0, dlen;
        uint16_t sw;
        int r;

        while (cmd->len - off > APDU_SHORT_MAX) {
                struct apdu part = *cmd;

                part.cla |= CLA_CHAINING;
                part.data = cmd->data + off;
                part.len = APDU_SHORT_MAX;
                part.le = 0;
                r = exchange(raw, link, &part, rsp, &dlen, &sw);
                if (r < 0)
                        return r;
                if (dlen != 0)
                        return -EBADMSG;
                if (sw != SW_OK) {
                        ret->sw = sw;
                        *ret_stop = true;
                        return 0;
                }
                off += APDU_SHORT_MAX;
        }
        *ret_off = off;
        *ret_stop = false;
        return 0;
}

int apdu_transceive(apdu_raw_fn raw, void *link, const struct apdu *cmd, struct apdu_response *ret)
{
        uint8_t rsp[APDU_RAW_MAX];
        struct apdu cur;
        size_t off, dlen;
        unsigned rounds = 0;
        bool le_retried = false, stop;
        uint16_t sw;
        int r;

        ret->len = 0;
        ret->sw = 0;
        if (cmd->len > APDU_DATA_MAX || (cmd->len && !cmd->data) || cmd->le > 256)
                return -EINVAL;
        r = send_chained(raw, link, cmd, &off, &stop, ret);
        if (r < 0 || stop)
                return r;

        cur = *cmd;
        cur.data = cmd->len ? cmd->data + off : NULL;
        cur.len = cmd->len - off;
        for (;;) {
                r = exchange(raw, link, &cur, rsp, &dlen, &sw);
                if (r < 0)
                        return r;
                if ((sw >> 8) == 0x6C) {
                        /* wrong Le: the card names the right one, once */
                        if (le_retried || dlen != 0)
                                return -EBADMSG;
                        le_retried = true;
                        cur.le = (sw & 0xFF) ? (sw & 0xFF) : 256;
                        continue;
                }
                if (dlen > APDU_RESP_MAX - ret->len)
                        return -EBADMSG;
                memcpy(ret->data + ret->len, rsp, dlen);
                ret->len += dlen;
                if ((sw >> 8) != 0x61) {
                        ret->sw = sw;
                        return 0;
                }
                /* more data waiting: fetch it */
                if (++rounds > APDU_GET_RESPONSE_MAX)
                        return -EBADMSG;
                cur = (struct apdu) {
                        .cla = 0x00,
                        .ins = INS_GET_RESPONSE,
                        .le = (sw & 0xFF) ? (sw & 0xFF) : 256,
                };
                le_retried = false;
        }
}

bool apdu_sw_tries(uint16_t sw, unsigned *ret_tries)
{
        if ((sw & 0xFFF0) != 0x63C0)
                return false;
        *ret_tries = sw & 0x0F;
        return true;
}

int apdu_sw_errno(uint16_t sw)
{
        unsigned tries;

        if (apdu_sw_tries(sw, &tries))
                return tries ? -EACCES : -EPERM;
        switch (sw) {
        case SW_OK:
                return 0;
        case SW_FILE_NOT_FOUND:
        case 0x6A88:                      /* referenced data not found */
                return -ENOENT;
        case SW_SECURITY_STATUS:
                return -EACCES;
        case SW_PIN_BLOCKED:
                return -EPERM;
        case 0x6A81:                      /* function not supported */
        case 0x6D00:                      /* INS not supported */
        case 0x6E00:                      /* CLA not supported */
                return -EOPNOTSUPP;
        default:
                return -EIO;
        }
}
