/* A TOTP code as the user typed it, made what the broker checks. */
#include <string.h>

#include "pam_kagi.h"

void pk_code_strip_spaces(char *code)
{
        size_t len = strlen(code), n = 0;

        /* authenticator apps show "123 456" */
        for (size_t i = 0; i < len; i++)
                if (code[i] != ' ')
                        code[n++] = code[i];
        /* the string is shorter now: what was behind its new end is still
         * code, and secret_strfree wipes only strlen() bytes */
        secret_wipe(code + n, len - n);
        code[n] = '\0';
}
