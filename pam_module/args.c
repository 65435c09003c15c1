/* Module arguments: config=PATH socket=PATH zone=NAME preauth authfail debug.
 * Pure, and strict: an argument we do not understand is a misconfiguration
 * that must be fixed, not ignored. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pam_kagi.h"
#include "config.h"

static const char *value_of(const char *arg, const char *key)
{
        size_t n = strlen(key);

        return strncmp(arg, key, n) == 0 && arg[n] == '=' ? arg + n + 1 : NULL;
}

int pk_args_parse(int argc, const char **argv, struct pk_args *ret, char *err, size_t errsz)
{
        struct pk_args a = { .config = KAGI_DEFAULT_CONFIG, .mode = PK_MODE_AUTH };
        bool seen_config = false, seen_mode = false;

        for (int i = 0; i < argc; i++) {
                const char *arg = argv[i], *v;

                if (!arg) {
                        snprintf(err, errsz, "empty module argument");
                        return -EINVAL;
                }
                if ((v = value_of(arg, "config"))) {
                        if (seen_config || v[0] != '/') {
                                snprintf(err, errsz, "config= must be given once, as an absolute path: %s", arg);
                                return -EINVAL;
                        }
                        a.config = v;
                        seen_config = true;
                } else if ((v = value_of(arg, "socket"))) {
                        if (a.socket || v[0] != '/') {
                                snprintf(err, errsz, "socket= must be given once, as an absolute path: %s", arg);
                                return -EINVAL;
                        }
                        a.socket = v;
                } else if ((v = value_of(arg, "zone"))) {
                        if (a.zone || !*v || strlen(v) > 32) {
                                snprintf(err, errsz, "zone= must be given once, 1-32 characters: %s", arg);
                                return -EINVAL;
                        }
                        a.zone = v;
                } else if (strcmp(arg, "preauth") == 0 || strcmp(arg, "authfail") == 0) {
                        if (seen_mode) {
                                snprintf(err, errsz, "only one of preauth and authfail may be given");
                                return -EINVAL;
                        }
                        a.mode = strcmp(arg, "preauth") == 0 ? PK_MODE_PREAUTH : PK_MODE_AUTHFAIL;
                        seen_mode = true;
                } else if (strcmp(arg, "debug") == 0) {
                        if (a.debug) {
                                snprintf(err, errsz, "debug may be given only once");
                                return -EINVAL;
                        }
                        a.debug = true;
                } else {
                        snprintf(err, errsz, "unknown module argument '%s'", arg);
                        return -EINVAL;
                }
        }
        *ret = a;
        return 0;
}
