/* libFuzzer harness for text_escape (common/escape.c): whatever the bytes,
 * the result is well-formed UTF-8 with no control character, no invisible
 * character and no unescaped quote, fits the buffer, and a small buffer
 * holds a prefix of what a large one holds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_safe(const char *s)
{
        const uint8_t *p = (const uint8_t *)s;
        bool escaped = false;

        for (size_t i = 0; p[i]; i++) {
                if (p[i] < 0x20 || p[i] == 0x7f)
                        abort();
                /* C1 controls as UTF-8 (U+0080..U+009F), U+2028..U+202E */
                if (p[i] == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
                        abort();
                if (p[i] == 0xe2 && p[i + 1] == 0x80 && p[i + 2] >= 0xa8 && p[i + 2] <= 0xae)
                        abort();
                if (p[i] == '"' && !escaped)
                        abort();
                escaped = !escaped && p[i] == '\\';
        }
        /* a field may not end in half an escape */
        if (escaped)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        size_t need = text_escape(data, size, NULL, 0), small = size % 17;
        char *full = malloc(need + 1), part[17];

        if (!full)
                return 0;
        if (text_escape(data, size, full, need + 1) != need || strlen(full) != need)
                abort();
        check_safe(full);
        if (text_escape(data, size, part, small) != need)
                abort();
        if (small) {
                if (strlen(part) >= small || strncmp(full, part, strlen(part)) != 0)
                        abort();
                check_safe(part);
        }
        free(full);
        return 0;
}
