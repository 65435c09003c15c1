/* The filters kagi sends (pure): RFC 4515 escaping in one place.
 *
 * Every value that came from outside (a user name, a DN the server returned)
 * goes through ldap_filter_escape, which writes every byte that is not plain
 * printable ASCII, and each of * ( ) \, as \XX. The result therefore can only
 * ever be one assertion value: `*)(uid=*` becomes `\2a\29\28uid=\2a`, which
 * matches the literal name and nobody else.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ldap_internal.h"

static bool filter_plain(uint8_t b)
{
        return b >= 0x20 && b < 0x7f && b != '*' && b != '(' && b != ')' && b != '\\';
}

char *ldap_filter_escape(const uint8_t *p, size_t len)
{
        static const char hex[] = "0123456789abcdef";
        char *out, *o;

        if (len > (SIZE_MAX - 1) / 3)
                return NULL;
        out = malloc(len * 3 + 1);
        if (!out)
                return NULL;
        o = out;
        for (size_t i = 0; i < len; i++) {
                if (filter_plain(p[i])) {
                        *o++ = (char)p[i];
                } else {
                        *o++ = '\\';
                        *o++ = hex[p[i] >> 4];
                        *o++ = hex[p[i] & 0xf];
                }
        }
        *o = '\0';
        return out;
}

int ldap_filter_build(const char *filter, const char *attr, const uint8_t *value, size_t len,
                      char **ret)
{
        _cleanup_(freep) char *esc = ldap_filter_escape(value, len);
        char *out = NULL;
        int n;

        if (!esc)
                return -ENOMEM;
        if (filter)
                n = asprintf(&out, "(&%s(%s=%s))", filter, attr, esc);
        else
                n = asprintf(&out, "(%s=%s)", attr, esc);
        if (n < 0)
                return -ENOMEM;
        *ret = out;
        return 0;
}
