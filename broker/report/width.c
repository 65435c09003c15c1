/* Untrusted text on a screen: control characters made visible, and widths
 * in display cells (libunistring), so Japanese columns line up. */
#include <errno.h>
#include <string.h>
#include <unictype.h>
#include <unistr.h>
#include <uniwidth.h>

#include "report_internal.h"

/* Characters that move the cursor, change colours (through ESC) or reorder
 * what follows (bidi overrides): a name must never do that to a report. */
static bool is_control(ucs4_t uc)
{
        return uc < 0x20 || uc == 0x7f || (uc >= 0x80 && uc < 0xa0) ||
               uc_is_general_category(uc, UC_CATEGORY_Cf) ||
               uc_is_general_category(uc, UC_CATEGORY_Zl) ||
               uc_is_general_category(uc, UC_CATEGORY_Zp);
}

/* Calls emit for each piece of s, cleaned: a run of printable ASCII (which
 * may be split, one cell a byte), a valid printable character as its bytes,
 * anything else as its escape (never split). Stops when emit returns false. */
typedef bool (*clean_emit)(void *userdata, const char *p, size_t n, int cells, bool splittable);

static void clean_each(const char *s, clean_emit emit, void *userdata)
{
        const uint8_t *p = (const uint8_t *)s;
        size_t left = strlen(s);

        while (left > 0) {
                ucs4_t uc;
                int n;
                char esc[16];
                size_t run = 0;

                /* most of a report is printable ASCII: pass it on a run at a time */
                while (run < left && p[run] >= 0x20 && p[run] < 0x7f)
                        run++;
                if (run > 0) {
                        if (!emit(userdata, (const char *)p, run, (int)run, true))
                                return;
                        p += run;
                        left -= run;
                        continue;
                }
                n = u8_mbtoucr(&uc, p, left);
                if (n < 0) {
                        /* an invalid or cut sequence: show its first byte and go on */
                        snprintf(esc, sizeof(esc), "\\x%02X", p[0]);
                        if (!emit(userdata, esc, strlen(esc), (int)strlen(esc), false))
                                return;
                        p++;
                        left--;
                        continue;
                }
                if (is_control(uc)) {
                        if (uc < 0x80)
                                snprintf(esc, sizeof(esc), "\\x%02X", (unsigned)uc);
                        else
                                snprintf(esc, sizeof(esc), "\\u%04X", (unsigned)uc);
                        if (!emit(userdata, esc, strlen(esc), (int)strlen(esc), false))
                                return;
                } else {
                        int w = uc_width(uc, "UTF-8");

                        if (!emit(userdata, (const char *)p, (size_t)n, w < 0 ? 0 : w, false))
                                return;
                }
                p += n;
                left -= (size_t)n;
        }
}

static bool emit_append(void *userdata, const char *p, size_t n, int cells, bool splittable)
{
        (void)cells;
        (void)splittable;
        sbuf_add(userdata, p, n);
        return true;
}

void clean_append(struct sbuf *b, const char *s)
{
        if (s)
                clean_each(s, emit_append, b);
}

size_t clean_width(const char *s)
{
        const uint8_t *p = (const uint8_t *)s;
        size_t left = strlen(s), cells = 0;

        /* The common case is ASCII: one cell a byte. */
        while (left > 0) {
                ucs4_t uc;
                int n, w;

                if (*p < 0x80) {
                        cells++;
                        p++;
                        left--;
                        continue;
                }
                n = u8_mbtoucr(&uc, p, left);
                if (n < 0) {
                        cells++;
                        p++;
                        left--;
                        continue;
                }
                w = uc_width(uc, "UTF-8");
                cells += w < 0 ? 0 : (size_t)w;
                p += n;
                left -= (size_t)n;
        }
        return cells;
}

struct cut {
        struct sbuf *b;
        size_t budget;          /* cells left for text, the ellipsis excluded */
        size_t used;
        bool cut;
};

static bool emit_cut(void *userdata, const char *p, size_t n, int cells, bool splittable)
{
        struct cut *c = userdata;

        if (c->used + (size_t)cells > c->budget) {
                if (splittable)
                        sbuf_add(c->b, p, c->budget - c->used);
                c->cut = true;
                return false;
        }
        sbuf_add(c->b, p, n);
        c->used += (size_t)cells;
        return true;
}

void clean_append_cut(struct sbuf *b, const char *s, size_t cells)
{
        struct sbuf whole = { 0 };
        struct cut c;

        if (!s || cells == 0)
                return;
        clean_append(&whole, s);
        if (clean_width(sbuf_str(&whole)) <= cells) {
                sbuf_adds(b, sbuf_str(&whole));
                sbuf_free(&whole);
                return;
        }
        sbuf_free(&whole);
        c = (struct cut){ .b = b, .budget = cells - 1 };
        clean_each(s, emit_cut, &c);
        sbuf_adds(b, "…");
}

int utf8_repair(const char *s, size_t len, char **ret)
{
        const uint8_t *p = (const uint8_t *)s;
        struct sbuf b = { 0 };
        size_t left = len;

        *ret = NULL;
        if (!u8_check(p, len) && !memchr(s, '\0', len))
                return 0;
        while (left > 0) {
                ucs4_t uc;
                int n = u8_mbtoucr(&uc, p, left);

                if (n < 0 || uc == 0) {
                        sbuf_adds(&b, "\xEF\xBF\xBD");          /* U+FFFD */
                        p++;
                        left--;
                        continue;
                }
                sbuf_add(&b, (const char *)p, (size_t)n);
                p += n;
                left -= (size_t)n;
        }
        if (sbuf_failed(&b) || !b.p) {
                sbuf_free(&b);
                return -ENOMEM;
        }
        *ret = b.p;
        return 0;
}
