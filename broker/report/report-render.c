/* kagi-report-render: renders a report model from a file, for the format
 * tests and for looking at a model by hand. Not installed: kagictl report
 * review is the command users run.
 *
 *   kagi-report-render FORMAT LANG MODEL.json [OUT]     (OUT defaults to stdout) */
#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include "common.h"
#include "report.h"

static void json_object_putp(struct json_object **o) { json_object_put(*o); }

int main(int argc, char **argv)
{
        _cleanup_(json_object_putp) struct json_object *model = NULL;
        _cleanup_(fclosep) FILE *out = NULL;
        enum report_format format;
        enum report_lang lang;
        char err[256];
        int k;

        if (argc < 4 || argc > 5 || report_format_from_string(argv[1], &format) < 0 ||
            report_lang_from_string(argv[2], &lang) < 0) {
                fprintf(stderr, "usage: kagi-report-render text|csv|json|html ja|en MODEL.json [OUT]\n");
                return 2;
        }
        model = json_object_from_file(argv[3]);
        if (!model) {
                fprintf(stderr, "kagi-report-render: %s: %s\n", argv[3], json_util_get_last_err());
                return 1;
        }
        out = argc == 5 ? fopen(argv[4], "we") : fdopen(dup(STDOUT_FILENO), "w");
        if (!out) {
                fprintf(stderr, "kagi-report-render: %s: %s\n", argc == 5 ? argv[4] : "stdout", strerror(errno));
                return 1;
        }
        k = report_render(model, format, lang, out, err, sizeof(err));
        if (k < 0) {
                fprintf(stderr, "kagi-report-render: %s\n", k == -EINVAL ? err : strerror(-k));
                return 1;
        }
        if (fclose(out) != 0) {
                out = NULL;
                fprintf(stderr, "kagi-report-render: write: %s\n", strerror(errno));
                return 1;
        }
        out = NULL;
        return 0;
}
