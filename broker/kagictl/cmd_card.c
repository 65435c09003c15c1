/* kagictl card register, card revoke, card list. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int read_file(const char *path, uint8_t **ret, size_t *ret_len)
{
        _cleanup_(fclosep) FILE *f = fopen(path, "rbe");
        uint8_t *buf;
        size_t n;

        if (!f)
                return -errno;
        buf = malloc(16385);
        if (!buf)
                return -ENOMEM;
        n = fread(buf, 1, 16385, f);
        if (n == 0 || n > 16384) {
                free(buf);
                return -EFBIG;
        }
        *ret = buf;
        *ret_len = n;
        return 0;
}

/* The answer's JSON document, as it is. */
static int call_print(struct ctl *ctl, struct frame *req)
{
        _cleanup_(json_putp) json_object *j = NULL;
        int r = call_json(ctl, req, &j);

        return r ? r : print_json(j);
}

int cmd_card_register(struct ctl *ctl, const struct args *a)
{
        _cleanup_(frame_freep) struct frame *req = NULL;
        _cleanup_(freep) uint8_t *der = NULL;
        size_t len = 0;
        int r;

        if (!a->cert)
                return die_usage("usage: card register NAME --cert FILE [--retire-old]");
        r = read_file(a->cert, &der, &len);
        if (r < 0) {
                fputs("kagictl: ", stderr);
                out_text(stderr, a->cert, 0);
                fprintf(stderr, ": %s\n", strerror(-r));
                return EXIT_REFUSED;
        }
        req = frame_new(KAGI_REQ_CARD_REGISTER);
        frame_put_str(req, KAGI_T_USER, a->pos[0]);
        frame_put_blob(req, KAGI_T_CERT, der, len);
        frame_put_u32(req, KAGI_T_FLAGS, (a->given & OPT_RETIRE_OLD) ? KAGI_FLAG_RETIRE_OLD : 0);
        return call_print(ctl, req);
}

int cmd_card_revoke(struct ctl *ctl, const struct args *a)
{
        _cleanup_(frame_freep) struct frame *req = frame_new(KAGI_REQ_CARD_REVOKE);

        if (!a->reason || (a->fingerprint ? a->n_pos != 0 : a->n_pos != 1))
                return die_usage("usage: card revoke (SERIAL | --fingerprint SHA256) --reason TEXT");
        if (a->fingerprint)
                frame_put_str(req, KAGI_T_FINGERPRINT, a->fingerprint);
        else
                frame_put_str(req, KAGI_T_SERIAL, a->pos[0]);
        frame_put_str(req, KAGI_T_REASON, a->reason);
        return call_print(ctl, req);
}

static void print_card_row(json_object *j)
{
        static const struct column cols[] = { { "account", 16 },    { "state", 10 },       { "serial", 24 },
                                              { "registered", 20 }, { "fingerprint", 0 } };

        out_row(j, cols, ARRAY_SIZE(cols));
        putchar('\n');
}

int cmd_card_list(struct ctl *ctl, const struct args *a)
{
        _cleanup_(frame_freep) struct frame *req = frame_new(KAGI_REQ_CARD_LIST);

        if (a->n_pos)
                frame_put_str(req, KAGI_T_USER, a->pos[0]);
        return run_listing(ctl, req, print_card_row,
                           "ACCOUNT          STATE      SERIAL                   REGISTERED           FINGERPRINT (SHA-256)");
}
