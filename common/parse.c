/* Strict number, duration and boolean parsing: no atoi, no silent garbage. */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "common.h"

int parse_uint(const char *s, uint64_t max, uint64_t *ret)
{
        uint64_t v = 0;

        if (!s || !*s)
                return -EINVAL;
        for (; *s; s++) {
                if (!isdigit((unsigned char)*s))
                        return -EINVAL;
                if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t)(*s - '0');
        }
        if (v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

int parse_duration(const char *s, uint64_t *ret_seconds)
{
        static const struct { char unit; uint64_t mult; } units[] = {
                { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 604800 },
        };
        char num[24];
        size_t n;
        uint64_t mult = 1, v;
        int r;

        if (!s)
                return -EINVAL;
        n = strlen(s);
        if (n == 0 || n >= sizeof(num))
                return -EINVAL;
        memcpy(num, s, n + 1);
        if (!isdigit((unsigned char)num[n - 1])) {
                size_t i;

                for (i = 0; i < ARRAY_SIZE(units); i++)
                        if (num[n - 1] == units[i].unit)
                                break;
                if (i == ARRAY_SIZE(units))
                        return -EINVAL;
                mult = units[i].mult;
                num[n - 1] = '\0';
        }
        /* ten years is far beyond any lock or grant duration */
        r = parse_uint(num, UINT64_C(315360000) / mult, &v);
        if (r < 0)
                return r;
        *ret_seconds = v * mult;
        return 0;
}

int parse_bool(const char *s, bool *ret)
{
        static const char *const yes[] = { "yes", "true", "on", "1" };
        static const char *const no[] = { "no", "false", "off", "0" };

        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}
