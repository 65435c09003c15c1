/* kagictl totp enroll, totp remove. */
#include <stdio.h>

#include <qrencode.h>

#include "cli.h"

static void print_qr(const char *text)
{
        QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
        int w, quiet = 2;

        if (!qr) {
                fprintf(stderr, "kagictl: cannot draw a QR code; use the URI above\n");
                return;
        }
        w = qr->width;
        /* two modules per character cell: upper and lower half blocks */
        for (int y = -quiet; y < w + quiet; y += 2) {
                for (int x = -quiet; x < w + quiet; x++) {
                        bool top = y >= 0 && y < w && x >= 0 && x < w && (qr->data[y * w + x] & 1);
                        bool bot = y + 1 >= 0 && y + 1 < w && x >= 0 && x < w && (qr->data[(y + 1) * w + x] & 1);

                        /* dark modules print as spaces on a light background */
                        fputs(top && bot ? " " : top ? "\xe2\x96\x84" : bot ? "\xe2\x96\x80" : "\xe2\x96\x88", stdout);
                }
                putchar('\n');
        }
        QRcode_free(qr);
}

int cmd_totp_enroll(struct ctl *ctl, const struct args *a)
{
        _cleanup_(frame_freep) struct frame *req = frame_new(KAGI_REQ_TOTP_ENROLL);
        _cleanup_(json_putp) json_object *j = NULL;
        const char *user = a->pos[0];
        int r;

        frame_put_str(req, KAGI_T_USER, user);
        if (a->secret)
                frame_put_str(req, KAGI_T_SECRET, a->secret);
        r = call_json(ctl, req, &j);
        if (r)
                return r;
        if (ctl->json)
                return print_json(j);
        printf("TOTP enrolled for ");
        out_text(stdout, user, 0);
        printf(".\n");
        printf("secret: %s\n", jstr(j, "secret"));
        printf("uri:    %s\n", jstr(j, "uri"));
        if (!(a->given & OPT_NO_QR)) {
                printf("Scan with the authenticator app:\n");
                print_qr(jstr(j, "uri"));
        }
        return 0;
}

int cmd_totp_remove(struct ctl *ctl, const struct args *a)
{
        _cleanup_(frame_freep) struct frame *req = frame_new(KAGI_REQ_TOTP_REMOVE);
        _cleanup_(msg_freep) struct kagi_msg *m = msg_new();
        int r;

        frame_put_str(req, KAGI_T_USER, a->pos[0]);
        r = call(ctl, req, NULL, NULL, m);
        if (!r) {
                printf("TOTP removed for ");
                out_text(stdout, a->pos[0], 0);
                printf(".\n");
        }
        return r;
}
