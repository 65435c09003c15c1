/* libkagi-scard-timer: times every PC/SC call of a process, to tell the
 * card's share of a login from the rest.
 *
 * It defines the SCard* functions of libpcsclite and forwards each to the
 * real library, adding the time spent in it to a per-function counter. It
 * catches both stacks the card benchmark compares:
 *   - pam_kagi.so (libkagi-card) calls libpcsclite through its PLT, so the
 *     library preloaded (LD_PRELOAD) into the benchmark wins;
 *   - OpenSC dlopen()s its PC/SC provider and looks the functions up in
 *     that handle, bypassing any preload, so it is pointed at this library
 *     by opensc.conf: reader_driver pcsc { provider_library = …; }.
 * Both load the same file, so one set of counters sees everything.
 *
 * Nested calls (libpcsclite calling its own exported functions) are
 * counted once, by the outermost call. */
#pragma once

#include <stdint.h>

enum scard_fn {
        /* the card itself: APDUs and reader control */
        SCARD_FN_TRANSMIT,
        SCARD_FN_CONTROL,
        /* the card session: connect (power up), reset, disconnect, locks */
        SCARD_FN_CONNECT,
        SCARD_FN_RECONNECT,
        SCARD_FN_DISCONNECT,
        SCARD_FN_BEGIN_TRANSACTION,
        SCARD_FN_END_TRANSACTION,
        SCARD_FN_STATUS,
        SCARD_FN_GET_ATTRIB,
        SCARD_FN_SET_ATTRIB,
        /* the PC/SC service only: contexts, reader lists, events */
        SCARD_FN_ESTABLISH_CONTEXT,
        SCARD_FN_RELEASE_CONTEXT,
        SCARD_FN_IS_VALID_CONTEXT,
        SCARD_FN_LIST_READERS,
        SCARD_FN_LIST_READER_GROUPS,
        SCARD_FN_GET_STATUS_CHANGE,
        SCARD_FN_CANCEL,
        SCARD_FN_FREE_MEMORY,
        SCARD_FN_MAX_,
};

struct scard_timer_stats {
        uint64_t calls[SCARD_FN_MAX_];
        uint64_t ns[SCARD_FN_MAX_];
};

/* What the benchmark looks up with dlsym(RTLD_DEFAULT, …): the library is
 * preloaded, not linked. */
typedef void scard_timer_reset_fn(void);
typedef void scard_timer_read_fn(struct scard_timer_stats *ret);
typedef const char *scard_timer_name_fn(enum scard_fn fn);

void scard_timer_reset(void);
void scard_timer_read(struct scard_timer_stats *ret);
const char *scard_timer_name(enum scard_fn fn);
