/* The entry points of report.h: names of formats and languages, and
 * rendering a model to a stream or a buffer. */
#include <errno.h>
#include <string.h>

#include "report_internal.h"

static const char *const formats[REPORT_FORMAT_MAX_] = {
        [REPORT_TEXT] = "text", [REPORT_CSV] = "csv", [REPORT_JSON] = "json", [REPORT_HTML] = "html",
};
static const char *const langs[REPORT_LANG_MAX_] = { [REPORT_EN] = "en", [REPORT_JA] = "ja" };

int report_format_from_string(const char *s, enum report_format *ret)
{
        for (int i = 0; s && i < REPORT_FORMAT_MAX_; i++)
                if (strcmp(s, formats[i]) == 0) {
                        *ret = (enum report_format)i;
                        return 0;
                }
        return -EINVAL;
}

const char *report_format_to_string(enum report_format f)
{
        return (unsigned)f < REPORT_FORMAT_MAX_ ? formats[f] : NULL;
}

int report_lang_from_string(const char *s, enum report_lang *ret)
{
        for (int i = 0; s && i < REPORT_LANG_MAX_; i++)
                if (strcmp(s, langs[i]) == 0) {
                        *ret = (enum report_lang)i;
                        return 0;
                }
        return -EINVAL;
}

const char *report_lang_to_string(enum report_lang l)
{
        return (unsigned)l < REPORT_LANG_MAX_ ? langs[l] : NULL;
}

int report_render(const struct json_object *model, enum report_format format, enum report_lang lang,
                  FILE *out, char *err, size_t errsz)
{
        static int (*const renderers[REPORT_FORMAT_MAX_])(const struct report *, FILE *) = {
                [REPORT_TEXT] = text_render,
                [REPORT_CSV] = csv_render,
                [REPORT_JSON] = json_render,
                [REPORT_HTML] = html_render,
        };
        _cleanup_(report_freep) struct report *r = NULL;
        int k;

        if ((unsigned)format >= REPORT_FORMAT_MAX_ || !out) {
                if (err && errsz)
                        snprintf(err, errsz, "unknown format");
                return -EINVAL;
        }
        k = report_load(model, lang, &r, err, errsz);
        if (k < 0)
                return k;
        k = renderers[format](r, out);
        if (k < 0)
                return k;
        if (fflush(out) != 0 || ferror(out))
                return -EIO;
        return 0;
}

int report_render_buffer(const struct json_object *model, enum report_format format, enum report_lang lang,
                         char **ret_buf, size_t *ret_len, char *err, size_t errsz)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        int k;

        if (!f)
                return -ENOMEM;
        k = report_render(model, format, lang, f, err, errsz);
        if (fclose(f) != 0 && k == 0)
                k = -ENOMEM;
        if (k < 0) {
                free(buf);
                return k;
        }
        *ret_buf = buf;
        *ret_len = len;
        return 0;
}
