/* PRIV-5: a privileged session whose role says card_removal = end ends
 * when the card that opened it leaves the reader. This thread watches the
 * readers live.c names, through pcscd, and tells live.c of a removal. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "card.h"
#include "live.h"
#include "login.h"

#define POLL_MS 250

struct cardwatch {
        struct live *lv;
        pthread_t thread;
        pthread_mutex_t lock;
        bool stop, started;
};

static bool stopping(struct cardwatch *w)
{
        bool stop;

        pthread_mutex_lock(&w->lock);
        stop = w->stop;
        pthread_mutex_unlock(&w->lock);
        return stop;
}

static void *watch_main(void *arg)
{
        struct cardwatch *w = arg;
        struct card_ctx *ctx = NULL;

        while (!stopping(w)) {
                char readers[16][129];
                size_t n = live_watched_readers(w->lv, readers, ARRAY_SIZE(readers));

                if (n == 0) {
                        card_ctx_closep(&ctx);
                        usleep(POLL_MS * 1000);
                        continue;
                }
                if (!ctx && card_ctx_open(&ctx) < 0) {
                        ctx = NULL;
                        usleep(1000 * 1000);        /* pcscd not there (yet) */
                        continue;
                }
                for (size_t i = 0; i < n; i++) {
                        enum card_event ev;
                        int r = card_wait_event(ctx, readers[i], POLL_MS / (int)n + 1, &ev);

                        if ((r >= 0 && ev == CARD_EVENT_REMOVED) || r == -ENXIO) {
                                /* the card went, or its reader did */
                                log_info("the card in %s left the reader", readers[i]);
                                live_card_removed(w->lv, readers[i]);
                        } else if (r == -EHOSTDOWN) {
                                card_ctx_closep(&ctx);
                                break;
                        }
                }
        }
        card_ctx_closep(&ctx);
        return NULL;
}

int cardwatch_start(struct broker *b, struct live *lv, struct cardwatch **ret)
{
        struct cardwatch *w = calloc(1, sizeof(*w));
        int r;

        (void)b;
        if (!w)
                return -ENOMEM;
        w->lv = lv;
        pthread_mutex_init(&w->lock, NULL);
        r = -pthread_create(&w->thread, NULL, watch_main, w);
        w->started = r >= 0;
        *ret = w;
        return r;
}

void cardwatch_stop(struct cardwatch *w)
{
        if (!w)
                return;
        pthread_mutex_lock(&w->lock);
        w->stop = true;
        pthread_mutex_unlock(&w->lock);
        if (w->started)
                pthread_join(w->thread, NULL);
        pthread_mutex_destroy(&w->lock);
        free(w);
}
