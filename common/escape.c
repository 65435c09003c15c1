/* Text from outside (user names an ssh client chose, terminals, reasons,
 * directory values) made safe to print on a terminal or in a log line. Pure,
 * and fuzzed: the input is untrusted bytes, the output must never carry a
 * control sequence, a line break or a quote that ends a field early. */
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* Length of the UTF-8 character at s (at most len bytes) and its code point,
 * or 0 for anything that is not well-formed UTF-8 (overlong forms,
 * surrogates and values above U+10FFFF included). */
static size_t utf8_char(const uint8_t *s, size_t len, uint32_t *ret_cp)
{
        uint32_t cp, min;
        size_t n;

        if (s[0] < 0x80) {
                *ret_cp = s[0];
                return 1;
        }
        if (s[0] >= 0xc2 && s[0] <= 0xdf) {
                n = 2;
                cp = s[0] & 0x1f;
                min = 0x80;
        } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
                n = 3;
                cp = s[0] & 0x0f;
                min = 0x800;
        } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
                n = 4;
                cp = s[0] & 0x07;
                min = 0x10000;
        } else {
                return 0;
        }
        if (len < n)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (s[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        *ret_cp = cp;
        return n;
}

/* Characters that print as nothing or rearrange what follows: C1 controls
 * (U+009B is CSI on terminals that honour it), zero-width characters, line
 * and paragraph separators, bidirectional embeddings, overrides and
 * isolates, invisible operators, the byte order mark. */
static bool invisible(uint32_t cp)
{
        return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
               (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff;
}

static const char hex[] = "0123456789abcdef";

/* One escape or character into piece; returns its length (at most 8). */
static size_t escape_one(const uint8_t *s, size_t len, size_t *ret_used, char piece[12])
{
        uint32_t cp = 0;
        size_t n = utf8_char(s, len, &cp);

        if (n == 0) {
                /* not UTF-8: the byte itself, so nothing is lost */
                *ret_used = 1;
                piece[0] = '\\';
                piece[1] = 'x';
                piece[2] = hex[s[0] >> 4];
                piece[3] = hex[s[0] & 15];
                return 4;
        }
        *ret_used = n;
        switch (cp) {
        case '\\': memcpy(piece, "\\\\", 2); return 2;
        case '"': memcpy(piece, "\\\"", 2); return 2;
        case '\n': memcpy(piece, "\\n", 2); return 2;
        case '\r': memcpy(piece, "\\r", 2); return 2;
        case '\t': memcpy(piece, "\\t", 2); return 2;
        default: break;
        }
        if (cp < 0x20 || cp == 0x7f) {
                piece[0] = '\\';
                piece[1] = 'x';
                piece[2] = hex[cp >> 4];
                piece[3] = hex[cp & 15];
                return 4;
        }
        if (invisible(cp)) {
                piece[0] = '\\';
                piece[1] = 'u';
                piece[2] = '{';
                for (int i = 0; i < 4; i++)
                        piece[3 + i] = hex[(cp >> (12 - 4 * i)) & 15];
                piece[7] = '}';
                return 8;
        }
        memcpy(piece, s, n);
        return n;
}

size_t text_escape(const uint8_t *s, size_t len, char *out, size_t size)
{
        size_t need = 0, written = 0, used;
        bool room = size > 0;
        char piece[12];

        for (size_t at = 0; at < len; at += used) {
                size_t n = escape_one(s + at, len - at, &used, piece);

                /* whole pieces only: half an escape would read as another one */
                if (room && written + n < size) {
                        memcpy(out + written, piece, n);
                        written += n;
                } else {
                        room = false;
                }
                need += n;
        }
        if (size)
                out[written] = '\0';
        return need;
}

size_t text_escape_str(const char *s, char *out, size_t size)
{
        return text_escape((const uint8_t *)(s ? s : ""), s ? strlen(s) : 0, out, size);
}

char *text_escape_dup(const char *s)
{
        size_t n = text_escape_str(s, NULL, 0);
        char *out = malloc(n + 1);

        if (out)
                text_escape_str(s, out, n + 1);
        return out;
}
