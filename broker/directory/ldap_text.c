/* Text crossing the LDAP boundary, both ways (pure).
 *
 * Names go out: only plain, well-formed names are looked up at all, so an
 * odd byte sequence can never select someone by the directory's matching
 * rules. Text comes back: display names, departments and group names end up
 * in logs, audit records, JSON and reports, so they are valid UTF-8 without
 * control characters before kagi keeps them.
 */
#include <errno.h>
#include <string.h>

#include "ldap_internal.h"

size_t ldap_text_utf8_seq(const uint8_t *p, size_t len)
{
        uint32_t cp;
        size_t n;

        if (len == 0)
                return 0;
        if (p[0] < 0x80)
                return 1;
        if (p[0] >= 0xc2 && p[0] <= 0xdf) {
                n = 2;
                cp = p[0] & 0x1f;
        } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
                n = 3;
                cp = p[0] & 0x0f;
        } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
                n = 4;
                cp = p[0] & 0x07;
        } else {
                return 0;                     /* continuation byte, 0xc0/0xc1, 0xf5.. */
        }
        if (len < n)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (p[i] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;                     /* overlong, beyond Unicode, surrogate */
        return n;
}

static bool control_char(uint8_t b)
{
        return b < 0x20 || b == 0x7f;
}

/* Well-formed UTF-8 without control characters (NUL included). */
static bool clean_text(const uint8_t *p, size_t len)
{
        for (size_t i = 0; i < len;) {
                size_t n = ldap_text_utf8_seq(p + i, len - i);

                if (n == 0 || (n == 1 && control_char(p[i])))
                        return false;
                i += n;
        }
        return true;
}

int ldap_text_name_check(const uint8_t *p, size_t len)
{
        if (len == 0 || len > LDAP_NAME_MAX)
                return -EINVAL;
        /* matching rules ignore surrounding spaces: " alice" would find alice */
        if (p[0] == ' ' || p[len - 1] == ' ')
                return -EINVAL;
        return clean_text(p, len) ? 0 : -EINVAL;
}

size_t ldap_text_copy(const uint8_t *p, size_t len, char *out, size_t outsz)
{
        size_t o = 0;

        if (outsz == 0)
                return 0;
        for (size_t i = 0; i < len;) {
                size_t n = ldap_text_utf8_seq(p + i, len - i);

                if (n == 0 || (n == 1 && control_char(p[i]))) {
                        if (o + 1 >= outsz)
                                break;
                        out[o++] = '?';
                        i += n ? n : 1;
                        continue;
                }
                if (o + n >= outsz)
                        break;                /* never half a character */
                memcpy(out + o, p + i, n);
                o += n;
                i += n;
        }
        out[o] = '\0';
        return o;
}

int ldap_text_exact(const uint8_t *p, size_t len, char *out, size_t outsz)
{
        if (len == 0 || len >= outsz || !clean_text(p, len))
                return -EINVAL;
        memcpy(out, p, len);
        out[len] = '\0';
        return 0;
}
