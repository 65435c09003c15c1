/* The label tables of labels.h, and filling their {n} placeholders. */
#include <string.h>

#include "report_internal.h"

static const char *const labels[L_MAX_][REPORT_LANG_MAX_] = {
#define REPORT_LABEL_TEXT(id, en, ja) [id] = { [REPORT_EN] = en, [REPORT_JA] = ja },
        REPORT_LABELS(REPORT_LABEL_TEXT)
#undef REPORT_LABEL_TEXT
};

const char *label(enum report_lang lang, enum label id)
{
        if ((unsigned)id >= L_MAX_ || (unsigned)lang >= REPORT_LANG_MAX_)
                return "";
        return labels[id][lang];
}

const char *enum_label(const struct enum_label *v, enum report_lang lang, const char *value)
{
        if (!value)
                return "";
        for (; v && v->value; v++)
                if (strcmp(v->value, value) == 0)
                        return lang == REPORT_JA ? v->ja : v->en;
        return value;
}

bool enum_known(const struct enum_label *v, const char *value)
{
        for (; v && v->value; v++)
                if (value && strcmp(v->value, value) == 0)
                        return true;
        return false;
}

void label_fill(struct sbuf *b, const char *tpl, const char *const *args, size_t n_args)
{
        const char *p = tpl;

        while (*p) {
                const char *brace = strchr(p, '{');

                if (!brace) {
                        sbuf_adds(b, p);
                        return;
                }
                sbuf_add(b, p, (size_t)(brace - p));
                if (brace[1] >= '1' && brace[1] <= '9' && brace[2] == '}') {
                        size_t i = (size_t)(brace[1] - '1');

                        if (i < n_args && args[i])
                                sbuf_adds(b, args[i]);
                        p = brace + 3;
                } else {
                        sbuf_addc(b, '{');
                        p = brace + 1;
                }
        }
}
