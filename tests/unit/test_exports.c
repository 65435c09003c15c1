/* pam_kagi.so runs inside sshd, login, sudo …: it may export the PAM entry
 * points and nothing else, or its internals (and those of the static
 * libraries linked into it) could bind to, or be bound by, the host's
 * symbols. The same for its card stack, pam_kagi_card.so, which exports its
 * one table of functions. Reads the built module's dynamic symbol table
 * with nm.
 *
 * usage: test-exports MODULE NM [SYMBOL...]   (default: the PAM entry points) */
#include "unit.h"

#include <sys/wait.h>

#include "common.h"

static const char *const pam_entry_points[] = {
        "pam_sm_authenticate", "pam_sm_setcred", "pam_sm_acct_mgmt", "pam_sm_open_session", "pam_sm_close_session",
};
static const char *const *entry_points = pam_entry_points;
static size_t n_entry_points = ARRAY_SIZE(pam_entry_points);

struct exports {
        const char *module;
        const char *nm;
        char names[64][128];
        char types[64];
        size_t n;
};

/* Runs `nm -D --defined-only MODULE` and keeps each symbol and its type. */
static void read_exports(struct exports *e)
{
        char cmd[PATH_MAX * 2 + 64], line[512];
        FILE *p;
        int status;

        e->n = 0;
        assert_true(snprintf(cmd, sizeof(cmd), "'%s' -D --defined-only '%s'", e->nm, e->module) < (int)sizeof(cmd));
        assert_null(strchr(e->module, '\''));
        assert_null(strchr(e->nm, '\''));
        p = popen(cmd, "r");
        assert_non_null(p);
        while (fgets(line, sizeof(line), p)) {
                char type, name[128];

                /* "0000000000002450 T pam_sm_acct_mgmt" */
                if (sscanf(line, "%*s %c %127s", &type, name) != 2)
                        fail_msg("nm printed an unexpected line: %s", line);
                assert_true(e->n < ARRAY_SIZE(e->names));
                name[strcspn(name, "@")] = '\0';       /* pam_sm_setcred@@VERSION */
                e->types[e->n] = type;
                snprintf(e->names[e->n], sizeof(e->names[0]), "%s", name);
                e->n++;
        }
        status = pclose(p);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

static bool is_entry_point(const char *name)
{
        for (size_t i = 0; i < n_entry_points; i++)
                if (strcmp(name, entry_points[i]) == 0)
                        return true;
        return false;
}

static void module_exports_only_pam_entry_points(void **state)
{
        struct exports *e = *state;

        read_exports(e);
        for (size_t i = 0; i < e->n; i++)
                /* 'A': a version node of the map file, which is no symbol one can bind to */
                if (!is_entry_point(e->names[i]) && e->types[i] != 'A')
                        fail_msg("%s exports %s (nm type %c)", e->module, e->names[i], e->types[i]);
}

static void module_exports_every_pam_entry_point(void **state)
{
        struct exports *e = *state;

        read_exports(e);
        for (size_t i = 0; i < n_entry_points; i++) {
                bool found = false;

                for (size_t j = 0; j < e->n; j++)
                        if (strcmp(e->names[j], entry_points[i]) == 0 && e->types[j] == 'T')
                                found = true;
                if (!found)
                        fail_msg("%s does not export the function %s", e->module, entry_points[i]);
        }
}

int main(int argc, char **argv)
{
        static struct exports e;
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_prestate(module_exports_only_pam_entry_points, &e),
                cmocka_unit_test_prestate(module_exports_every_pam_entry_point, &e),
        };

        if (argc < 3) {
                fprintf(stderr, "usage: %s MODULE NM [SYMBOL...]\n", argv[0]);
                return 2;
        }
        e.module = argv[1];
        e.nm = argv[2];
        if (argc > 3) {
                entry_points = (const char *const *)argv + 3;
                n_entry_points = (size_t)argc - 3;
        }
        return cmocka_run_group_tests_name("exports", tests, NULL, NULL);
}
