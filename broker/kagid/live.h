/* Private to broker/kagid/: live sessions on kagid's timer thread (live.c). */
#pragma once

#include <stdint.h>
#include <sys/types.h>

struct broker;
struct store;
struct directory;
struct live;

/* Picks up every session the store has live (after a restart too). */
int live_new(struct broker *b, struct store *store, struct directory *dir, struct live **ret);
void live_free(struct live *lv);
/* One round: events, what is due, at most timeout_ms of waiting. */
int live_run(struct live *lv, int timeout_ms);
/* From other threads: a session's row changed; a card left a reader. */
void live_push(struct live *lv, const char *id);
void live_card_removed(struct live *lv, const char *reader);
/* The readers whose card ends a session (for the card watcher). */
size_t live_watched_readers(struct live *lv, char (*out)[129], size_t max);
/* The card watcher (cardwatch.c): a thread of its own, as libkagi-card
 * wants, telling live.c when a watched reader's card leaves. */
struct cardwatch;
int cardwatch_start(struct broker *b, struct live *lv, struct cardwatch **ret);
void cardwatch_stop(struct cardwatch *w);
/* When pid started (clock ticks after boot, /proc/PID/stat): 0, or -ESRCH. */
int proc_start_time(pid_t pid, int64_t *ret);
