/* Time as kagi writes it everywhere: ISO 8601, UTC (LOG-4), microseconds. */
#include <stdio.h>
#include <time.h>

#include "common.h"

void time_format_utc(int64_t time_us, char buf[40])
{
        time_t t = (time_t)(time_us / 1000000);
        int64_t frac = time_us % 1000000;
        struct tm tm;

        /* division truncates toward zero: before 1970, count from the second before */
        if (frac < 0) {
                frac += 1000000;
                t--;
        }
        gmtime_r(&t, &tm);
        snprintf(buf, 40, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
                 tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100, (unsigned)frac % 1000000u);
}
