/* The modules a PAM service file names. libpam dlopens them for every
 * pam_start and closes them at pam_end, so a process that logs in once
 * (login, su, an sshd child) pays for loading them and their libraries
 * every time. kagi-bench keeps them loaded (stack_pin) to measure the work
 * of a login; kagi-bench-load measures the loading on its own. */
#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack.h"

/* Where libpam looks for a module named without a path: "security/" next
 * to libpam itself. */
static int security_dir(char *buf, size_t size)
{
        Dl_info info;
        char copy[4096];

        if (!dladdr((void *)pam_start, &info) || !info.dli_fname)
                return -ENOENT;
        snprintf(copy, sizeof(copy), "%s", info.dli_fname);
        snprintf(buf, size, "%s/security", dirname(copy));
        return 0;
}

/* The module path of one line: "type control module args…", where control
 * may be "[ … ]" with blanks inside. NULL for blank and comment lines. */
static char *line_module(char *line)
{
        char *save = NULL, *type, *p;

        line[strcspn(line, "#\n")] = '\0';
        type = strtok_r(line, " \t", &save);
        if (!type)
                return NULL;
        p = save + strspn(save, " \t");
        if (*p == '[') {
                p = strchr(p, ']');
                if (!p)
                        return NULL;
                p++;
        } else {
                p += strcspn(p, " \t");
        }
        save = NULL;
        return strtok_r(p, " \t", &save);
}

int stack_modules(const char *service_file, struct stack_modules *ret)
{
        struct stack_modules m = { 0 };
        char dir[4096], line[4096];
        FILE *f;
        int r = 0;

        if (security_dir(dir, sizeof(dir)) < 0)
                return -ENOENT;
        f = fopen(service_file, "re");
        if (!f)
                return -errno;
        while (r == 0 && fgets(line, sizeof(line), f)) {
                const char *name = line_module(line);
                char path[8192];
                bool seen = false;

                if (!name)
                        continue;
                if (name[0] == '/')
                        snprintf(path, sizeof(path), "%s", name);
                else
                        snprintf(path, sizeof(path), "%s/%s", dir, name);
                for (size_t i = 0; i < m.n; i++)
                        seen |= strcmp(m.path[i], path) == 0;
                if (seen)
                        continue;
                if (m.n == STACK_MODULES_MAX || !(m.path[m.n] = strdup(path))) {
                        r = -E2BIG;
                        break;
                }
                m.n++;
        }
        fclose(f);
        if (r < 0) {
                stack_modules_free(&m);
                return r;
        }
        *ret = m;
        return 0;
}

void stack_modules_free(struct stack_modules *m)
{
        for (size_t i = 0; i < m->n; i++)
                free(m->path[i]);
        *m = (struct stack_modules){ 0 };
}

int stack_load(const struct stack_modules *m, bool keep, char *err, size_t errsz)
{
        void *h[STACK_MODULES_MAX];
        size_t n = 0;
        int r = 0;

        for (; n < m->n; n++) {
                h[n] = dlopen(m->path[n], RTLD_NOW | RTLD_LOCAL);
                if (!h[n]) {
                        snprintf(err, errsz, "%s", dlerror());
                        r = -ENOENT;
                        break;
                }
        }
        /* kept: libpam's own dlopen and dlclose then only count references */
        while (!keep && n > 0)
                dlclose(h[--n]);
        return r;
}
