/* Times of the model: RFC 3339 in, fixed-offset local time out. No clock and
 * no time zone database: the offset comes from the model (meta), so the same
 * model prints the same times on any machine. */
#include <errno.h>
#include <string.h>

#include "report_internal.h"

/* Howard Hinnant's days_from_civil / civil_from_days: proleptic Gregorian. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
        int64_t era;
        unsigned yoe, doy, doe;

        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = (unsigned)(y - era * 400);
        doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *ret_y, unsigned *ret_m, unsigned *ret_d)
{
        int64_t era, y;
        unsigned doe, yoe, doy, mp, d, m;

        z += 719468;
        era = (z >= 0 ? z : z - 146096) / 146097;
        doe = (unsigned)(z - era * 146097);
        yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        y = (int64_t)yoe + era * 400;
        doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        mp = (5 * doy + 2) / 153;
        d = doy - (153 * mp + 2) / 5 + 1;
        m = mp < 10 ? mp + 3 : mp - 9;
        *ret_y = y + (m <= 2);
        *ret_m = m;
        *ret_d = d;
}

static bool digits(const char *s, size_t n, unsigned *ret)
{
        unsigned v = 0;

        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (unsigned)(s[i] - '0');
        }
        *ret = v;
        return true;
}

static unsigned month_days(int64_t y, unsigned m)
{
        static const unsigned days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

        return m == 2 && leap ? 29 : days[m - 1];
}

static int parse_ymd(const char *s, int64_t *ret_days)
{
        unsigned y, m, d;

        if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &m) || s[7] != '-' ||
            !digits(s + 8, 2, &d))
                return -EINVAL;
        if (y < 1970 || m < 1 || m > 12 || d < 1 || d > month_days(y, m))
                return -EINVAL;
        *ret_days = days_from_civil(y, m, d);
        return 0;
}

int date_parse(const char *s, int64_t *ret_days)
{
        if (!s || strlen(s) != 10)
                return -EINVAL;
        return parse_ymd(s, ret_days);
}

int time_parse(const char *s, int64_t *ret)
{
        unsigned hh, mm, ss, oh, om;
        int64_t days, t;
        const char *p;
        int r;

        if (!s || strlen(s) < 20)
                return -EINVAL;
        r = parse_ymd(s, &days);
        if (r < 0)
                return r;
        if ((s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &hh) || s[13] != ':' ||
            !digits(s + 14, 2, &mm) || s[16] != ':' || !digits(s + 17, 2, &ss))
                return -EINVAL;
        if (hh > 23 || mm > 59 || ss > 60)
                return -EINVAL;
        p = s + 19;
        if (*p == '.') {
                /* fractions are kept by the model, never needed here */
                p++;
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                while (*p >= '0' && *p <= '9')
                        p++;
        }
        t = days * 86400 + (int64_t)hh * 3600 + (int64_t)mm * 60 + (ss == 60 ? 59 : ss);
        if ((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0') {
                *ret = t;
                return 0;
        }
        if ((p[0] != '+' && p[0] != '-') || !digits(p + 1, 2, &oh) || p[3] != ':' ||
            !digits(p + 4, 2, &om) || p[6] != '\0' || oh > 23 || om > 59)
                return -EINVAL;
        t += (p[0] == '+' ? -1 : 1) * ((int64_t)oh * 3600 + (int64_t)om * 60);
        *ret = t;
        return 0;
}

static void split(int64_t t, int offset_min, int64_t *y, unsigned *m, unsigned *d, int64_t *secs)
{
        int64_t local = t + (int64_t)offset_min * 60;
        int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);

        *secs = local - days * 86400;
        civil_from_days(days, y, m, d);
}

void time_format(int64_t t, int offset_min, char buf[static 32])
{
        int64_t y, s;
        unsigned m, d;

        split(t, offset_min, &y, &m, &d, &s);
        snprintf(buf, 32, "%04lld-%02u-%02u %02u:%02u:%02u", (long long)y, m, d,
                 (unsigned)(s / 3600), (unsigned)(s / 60 % 60), (unsigned)(s % 60));
}

void date_format(int64_t t, int offset_min, char buf[static 16])
{
        int64_t y, s;
        unsigned m, d;

        split(t, offset_min, &y, &m, &d, &s);
        snprintf(buf, 16, "%04lld-%02u-%02u", (long long)y, m, d);
}

void date_format_era(int64_t t, int offset_min, char buf[static 48])
{
        int64_t y, s;
        unsigned m, d;

        split(t, offset_min, &y, &m, &d, &s);
        /* Reiwa began on 2019-05-01, Heisei on 1989-01-08; year 1 is 元年 */
        if (y > 2019 || (y == 2019 && m >= 5)) {
                if (y == 2019)
                        snprintf(buf, 48, "令和元年%u月%u日", m, d);
                else
                        snprintf(buf, 48, "令和%lld年%u月%u日", (long long)(y - 2018), m, d);
        } else if (y > 1989 || (y == 1989 && (m > 1 || d >= 8))) {
                if (y == 1989)
                        snprintf(buf, 48, "平成元年%u月%u日", m, d);
                else
                        snprintf(buf, 48, "平成%lld年%u月%u日", (long long)(y - 1988), m, d);
        } else {
                snprintf(buf, 48, "%lld年%u月%u日", (long long)y, m, d);
        }
}

void offset_format(int offset_min, char buf[static 16])
{
        int a = offset_min < 0 ? -offset_min : offset_min;

        snprintf(buf, 16, "UTC%c%02d:%02d", offset_min < 0 ? '-' : '+', a / 60, a % 60);
}
