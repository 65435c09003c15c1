/* Private to broker/kagid/: logins in progress, watched so that one whose
 * process ends before it is answered is recorded as abandoned (attempts.c). */
#pragma once

#include <pthread.h>

#include "request.h"

struct attempts;
int attempts_new(struct attempts **ret);
void attempts_free(struct attempts *a);

/* What a request just did to its peer's login, after its handler answered
 * (rq->decision). The dispatch table says which request does what. */
enum attempt_step {
        ATTEMPT_START,                 /* PREAUTH: a new login begins */
        ATTEMPT_GO_ON,                 /* BEGIN: begins one unless PREAUTH did */
        ATTEMPT_RESERVED,              /* CARD_CHALLENGE: counted in advance */
        ATTEMPT_END,                   /* VERIFY, AUTHFAIL, CARD_VERIFY, ABANDON (before the handler) */
};
void attempts_note(struct request *rq, enum attempt_step step);

/* The watcher thread, with its own database connection; it stops with *stop. */
int attempts_watch_start(struct broker *b, volatile int *stop, pthread_t *ret);
