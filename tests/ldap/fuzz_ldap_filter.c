/* libFuzzer: RFC 4515 escaping and the user filter around it. Whatever the
 * name, the escaped value is plain ASCII with no filter syntax of its own,
 * decodes back to the name, and the built filter stays one assertion. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ldap_internal.h"

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

static void check_escaped(const uint8_t *data, size_t size, const char *e)
{
        size_t n = 0;

        for (const char *p = e; *p; p++) {
                uint8_t b;

                if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f || *p == '*' || *p == '(' || *p == ')')
                        abort();
                if (*p == '\\') {
                        if (hexval(p[1]) < 0 || hexval(p[2]) < 0)
                                abort();
                        b = (uint8_t)(hexval(p[1]) << 4 | hexval(p[2]));
                        p += 2;
                } else {
                        b = (uint8_t)*p;
                }
                if (n >= size || data[n++] != b)
                        abort();
        }
        if (n != size)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *e, *f = NULL;
        size_t open = 0, close = 0;

        if (size > 4 * LDAP_NAME_MAX)
                return 0;
        if (ldap_text_name_check(data, size) == 0 && (size == 0 || memchr(data, '\0', size)))
                abort();
        e = ldap_filter_escape(data, size);
        if (!e)
                return 0;
        check_escaped(data, size, e);
        free(e);
        if (ldap_filter_build("(objectClass=person)", "uid", data, size, &f) < 0)
                return 0;
        for (const char *p = f; *p; p++) {
                open += *p == '(';
                close += *p == ')';
        }
        if (open != 3 || close != 3 || strncmp(f, "(&(objectClass=person)(uid=", 27) != 0)
                abort();
        free(f);
        return 0;
}
