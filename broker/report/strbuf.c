/* A growing string for building cells, lines and messages. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "report_internal.h"

static bool sbuf_grow(struct sbuf *b, size_t more)
{
        size_t need, cap;
        char *p;

        if (b->oom)
                return false;
        if (more > SIZE_MAX - b->len - 1)
                goto fail;
        need = b->len + more + 1;
        if (need <= b->cap)
                return true;
        cap = b->cap ? b->cap : 64;
        while (cap < need)
                cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        p = realloc(b->p, cap);
        if (!p)
                goto fail;
        b->p = p;
        b->cap = cap;
        return true;
fail:
        b->oom = true;
        return false;
}

void sbuf_add(struct sbuf *b, const char *s, size_t n)
{
        if (!sbuf_grow(b, n))
                return;
        memcpy(b->p + b->len, s, n);
        b->len += n;
        b->p[b->len] = '\0';
}

void sbuf_adds(struct sbuf *b, const char *s)
{
        if (s)
                sbuf_add(b, s, strlen(s));
}

void sbuf_addc(struct sbuf *b, char c)
{
        sbuf_add(b, &c, 1);
}

void sbuf_addf(struct sbuf *b, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0 || !sbuf_grow(b, (size_t)n)) {
                b->oom = true;
                return;
        }
        va_start(ap, fmt);
        vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t)n;
}

void sbuf_reset(struct sbuf *b)
{
        b->len = 0;
        if (b->p)
                b->p[0] = '\0';
}

void sbuf_free(struct sbuf *b)
{
        free(b->p);
        *b = (struct sbuf){ 0 };
}
