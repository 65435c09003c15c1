/* libFuzzer harness for pam_kagi.so's argument parser (pam_module/args.c).
 * The input is the argument vector, arguments separated by NUL bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pam_kagi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *argv[MAX_ARGS];
        struct pk_args a;
        char err[256];
        char *buf;
        int argc = 0;

        buf = malloc(size + 1);
        if (!buf)
                return 0;
        memcpy(buf, data, size);
        buf[size] = '\0';
        for (size_t i = 0; i <= size && argc < MAX_ARGS; i++) {
                argv[argc++] = buf + i;
                i += strlen(buf + i);
        }
        if (pk_args_parse(argc, argv, &a, err, sizeof(err)) == 0) {
                /* what the module will rely on */
                if (!a.config || a.config[0] != '/' || (a.socket && a.socket[0] != '/') ||
                    (a.zone && (!*a.zone || strlen(a.zone) > 32)) ||
                    (a.mode != PK_MODE_AUTH && a.mode != PK_MODE_PREAUTH && a.mode != PK_MODE_AUTHFAIL))
                        abort();
        } else if (!memchr(err, '\0', sizeof(err))) {
                abort();
        }
        free(buf);
        return 0;
}
