/* Private to broker/kagid/: attempts in flight (attempts.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ATTEMPT_TOKEN_LEN 16
#define ATTEMPT_KEY_MAX 260
#define ATTEMPTS_MAX 16384                    /* in flight at once, all accounts */

struct attempts;
int attempts_new(struct attempts **ret);
void attempts_free(struct attempts *a);

/* The table's lock: a caller that decides from the durable count and the
 * count in flight holds it across both, so that no two decisions see the
 * same room for one more attempt. */
void attempts_lock(struct attempts *a);
void attempts_unlock(struct attempts *a);
/* With the lock held: attempts in flight for key at now (lapsed ones are
 * dropped). */
unsigned attempts_in_flight(struct attempts *a, const char *key, int64_t now);
/* With the lock held: one more, until expires; -ENOSPC when the table is full. */
int attempts_add(struct attempts *a, const char *key, int64_t expires, uint8_t token[ATTEMPT_TOKEN_LEN]);
/* Is token an attempt of key still in flight? */
bool attempts_holds(struct attempts *a, const char *key, const uint8_t *token, size_t len, int64_t now);
/* The attempt is settled (or abandoned): it no longer counts. */
void attempts_remove(struct attempts *a, const char *key, const uint8_t *token, size_t len);
