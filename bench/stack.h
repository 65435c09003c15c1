/* The modules of a PAM service file (stack.c): kagi-bench keeps them
 * loaded, kagi-bench-load times loading them. Linked into both programs,
 * so it stays apart from bench.h (which pulls in libcrypto and liboath). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define STACK_MODULES_MAX 16

struct stack_modules {
        char *path[STACK_MODULES_MAX];        /* each once, as libpam would resolve it */
        size_t n;
};

int stack_modules(const char *service_file, struct stack_modules *ret);
void stack_modules_free(struct stack_modules *m);
/* dlopen every module (RTLD_NOW, as libpam does); keep them or close them. */
int stack_load(const struct stack_modules *m, bool keep, char *err, size_t errsz);
