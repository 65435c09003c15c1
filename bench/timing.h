/* The monotonic clock and medians, for kagi-bench and kagi-bench-load
 * (which links libc and libpam only, so this stays apart from bench.h). */
#pragma once

#include <stddef.h>
#include <stdint.h>

int64_t mono_ns(void);
/* Sorts v in place; the middle element (the upper one of an even count). */
int64_t median_ns(int64_t *v, size_t n);
