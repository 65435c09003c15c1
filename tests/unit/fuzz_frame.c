/* libFuzzer harness for the wire decoder (common/frame.c). Beyond "does not
 * crash": whatever frame_decode accepts, frame_put_* can build again, and
 * that decodes to the same fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_fields(const struct kagi_msg *a, const struct kagi_msg *b)
{
        if (a->type != b->type || a->version != b->version)
                abort();
        for (int t = 0; t < KAGI_TAG_MAX_; t++) {
                if (msg_has(a, t) != msg_has(b, t))
                        abort();
                if (!msg_has(a, t))
                        continue;
                if (a->f[t].len != b->f[t].len || memcmp(a->f[t].p, b->f[t].p, a->f[t].len) != 0)
                        abort();
                /* every field is NUL-terminated where it ends */
                if (a->f[t].p[a->f[t].len] != '\0')
                        abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct kagi_msg m, again;
        struct frame *f;
        size_t total;

        if (size >= 4 && frame_total_length(data, &total) == 0 && total > KAGI_FRAME_MAX)
                abort();
        if (frame_decode(data, size, &m) < 0)
                return 0;
        if (size > KAGI_FRAME_MAX || m.version != KAGI_PROTO_VERSION)
                abort();

        f = frame_new(m.type);
        if (!f)
                return 0;
        for (int t = 0; t < KAGI_TAG_MAX_; t++)
                if (msg_has(&m, t))
                        frame_put_blob(f, t, m.f[t].p, m.f[t].len);
        if (f->error != 0 || f->len != size || frame_decode(f->buf, f->len, &again) != 0)
                abort();
        same_fields(&m, &again);
        frame_free(f);
        return 0;
}
