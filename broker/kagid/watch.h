/* Private to broker/kagid/: logins in progress, watched so that one whose
 * process ends before it is answered is recorded as abandoned (watch.c). */
#pragma once

#include <pthread.h>

#include "request.h"

struct watch;
int watch_new(struct watch **ret);
void watch_free(struct watch *w);

/* What a request just did to its peer's login, after its handler answered
 * (rq->decision, rq->kept). The dispatch table says which request does what. */
enum watch_step {
        WATCH_START,                   /* PREAUTH: a new login begins */
        WATCH_GO_ON,                   /* BEGIN: begins one unless PREAUTH did */
        WATCH_RESERVED,                /* CARD_CHALLENGE: an attempt is held in flight */
        WATCH_END,                     /* VERIFY, AUTHFAIL, CARD_VERIFY, ABANDON (before the handler) */
};
void watch_note(struct request *rq, enum watch_step step);

/* The watcher thread, with its own database connection; it stops with *stop. */
int watch_start(struct broker *b, volatile int *stop, pthread_t *ret);
