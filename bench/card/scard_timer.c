/* libkagi-scard-timer: see scard_timer.h. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <winscard.h>

#include "scard_timer.h"

#define EXPORT __attribute__((visibility("default")))

static struct scard_timer_stats stats;
static __thread unsigned depth;
static void *real_lib;
static pthread_once_t real_once = PTHREAD_ONCE_INIT;

static void real_open(void)
{
        /* the real library, by its soname; RTLD_LOCAL keeps its symbols out of
         * the global scope (where ours already are) */
        real_lib = dlopen("libpcsclite.so.1", RTLD_NOW | RTLD_LOCAL);
        if (!real_lib) {
                fprintf(stderr, "scard-timer: %s\n", dlerror());
                abort();
        }
}

static void *real_sym(const char *name)
{
        void *p;

        pthread_once(&real_once, real_open);
        p = dlsym(real_lib, name);
        if (!p) {
                fprintf(stderr, "scard-timer: libpcsclite has no %s\n", name);
                abort();
        }
        return p;
}

static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t enter(void)
{
        return depth++ == 0 ? now_ns() : 0;
}

static void leave(enum scard_fn fn, uint64_t start)
{
        if (--depth == 0) {
                __atomic_add_fetch(&stats.calls[fn], 1, __ATOMIC_RELAXED);
                __atomic_add_fetch(&stats.ns[fn], now_ns() - start, __ATOMIC_RELAXED);
        }
}

/* One forwarding, timed definition per PC/SC function. */
#define TIMED(fn, name, params, args) \
        EXPORT LONG name params \
        { \
                static LONG(*real) params; \
                uint64_t t0; \
                LONG rv; \
                if (!__atomic_load_n(&real, __ATOMIC_ACQUIRE)) \
                        __atomic_store_n(&real, (LONG(*) params)real_sym(#name), __ATOMIC_RELEASE); \
                t0 = enter(); \
                rv = real args; \
                leave(fn, t0); \
                return rv; \
        }

TIMED(SCARD_FN_ESTABLISH_CONTEXT, SCardEstablishContext,
      (DWORD scope, LPCVOID r1, LPCVOID r2, LPSCARDCONTEXT ctx), (scope, r1, r2, ctx))
TIMED(SCARD_FN_RELEASE_CONTEXT, SCardReleaseContext, (SCARDCONTEXT ctx), (ctx))
TIMED(SCARD_FN_IS_VALID_CONTEXT, SCardIsValidContext, (SCARDCONTEXT ctx), (ctx))
TIMED(SCARD_FN_CONNECT, SCardConnect,
      (SCARDCONTEXT ctx, LPCSTR reader, DWORD share, DWORD protocols, LPSCARDHANDLE card, LPDWORD active),
      (ctx, reader, share, protocols, card, active))
TIMED(SCARD_FN_RECONNECT, SCardReconnect,
      (SCARDHANDLE card, DWORD share, DWORD protocols, DWORD init, LPDWORD active),
      (card, share, protocols, init, active))
TIMED(SCARD_FN_DISCONNECT, SCardDisconnect, (SCARDHANDLE card, DWORD disposition), (card, disposition))
TIMED(SCARD_FN_BEGIN_TRANSACTION, SCardBeginTransaction, (SCARDHANDLE card), (card))
TIMED(SCARD_FN_END_TRANSACTION, SCardEndTransaction, (SCARDHANDLE card, DWORD disposition), (card, disposition))
TIMED(SCARD_FN_STATUS, SCardStatus,
      (SCARDHANDLE card, LPSTR names, LPDWORD names_len, LPDWORD state, LPDWORD protocol, LPBYTE atr,
       LPDWORD atr_len),
      (card, names, names_len, state, protocol, atr, atr_len))
TIMED(SCARD_FN_GET_STATUS_CHANGE, SCardGetStatusChange,
      (SCARDCONTEXT ctx, DWORD timeout, SCARD_READERSTATE *states, DWORD n), (ctx, timeout, states, n))
TIMED(SCARD_FN_CONTROL, SCardControl,
      (SCARDHANDLE card, DWORD code, LPCVOID in, DWORD in_len, LPVOID out, DWORD out_len, LPDWORD ret_len),
      (card, code, in, in_len, out, out_len, ret_len))
TIMED(SCARD_FN_TRANSMIT, SCardTransmit,
      (SCARDHANDLE card, const SCARD_IO_REQUEST *send_pci, LPCBYTE in, DWORD in_len, SCARD_IO_REQUEST *recv_pci,
       LPBYTE out, LPDWORD out_len),
      (card, send_pci, in, in_len, recv_pci, out, out_len))
TIMED(SCARD_FN_LIST_READER_GROUPS, SCardListReaderGroups, (SCARDCONTEXT ctx, LPSTR groups, LPDWORD len),
      (ctx, groups, len))
TIMED(SCARD_FN_LIST_READERS, SCardListReaders, (SCARDCONTEXT ctx, LPCSTR groups, LPSTR readers, LPDWORD len),
      (ctx, groups, readers, len))
TIMED(SCARD_FN_FREE_MEMORY, SCardFreeMemory, (SCARDCONTEXT ctx, LPCVOID mem), (ctx, mem))
TIMED(SCARD_FN_CANCEL, SCardCancel, (SCARDCONTEXT ctx), (ctx))
TIMED(SCARD_FN_GET_ATTRIB, SCardGetAttrib, (SCARDHANDLE card, DWORD id, LPBYTE attr, LPDWORD len),
      (card, id, attr, len))
TIMED(SCARD_FN_SET_ATTRIB, SCardSetAttrib, (SCARDHANDLE card, DWORD id, LPCBYTE attr, DWORD len),
      (card, id, attr, len))

/* Not timed (no I/O), but a provider library must have it. */
EXPORT const char *pcsc_stringify_error(const LONG err)
{
        static const char *(*real)(const LONG);

        if (!__atomic_load_n(&real, __ATOMIC_ACQUIRE))
                __atomic_store_n(&real, (const char *(*)(const LONG))real_sym("pcsc_stringify_error"),
                                 __ATOMIC_RELEASE);
        return real(err);
}

EXPORT void scard_timer_reset(void)
{
        for (int i = 0; i < SCARD_FN_MAX_; i++) {
                __atomic_store_n(&stats.calls[i], 0, __ATOMIC_RELAXED);
                __atomic_store_n(&stats.ns[i], 0, __ATOMIC_RELAXED);
        }
}

EXPORT void scard_timer_read(struct scard_timer_stats *ret)
{
        for (int i = 0; i < SCARD_FN_MAX_; i++) {
                ret->calls[i] = __atomic_load_n(&stats.calls[i], __ATOMIC_RELAXED);
                ret->ns[i] = __atomic_load_n(&stats.ns[i], __ATOMIC_RELAXED);
        }
}

EXPORT const char *scard_timer_name(enum scard_fn fn)
{
        static const char *const names[SCARD_FN_MAX_] = {
                [SCARD_FN_TRANSMIT] = "SCardTransmit",
                [SCARD_FN_CONTROL] = "SCardControl",
                [SCARD_FN_CONNECT] = "SCardConnect",
                [SCARD_FN_RECONNECT] = "SCardReconnect",
                [SCARD_FN_DISCONNECT] = "SCardDisconnect",
                [SCARD_FN_BEGIN_TRANSACTION] = "SCardBeginTransaction",
                [SCARD_FN_END_TRANSACTION] = "SCardEndTransaction",
                [SCARD_FN_STATUS] = "SCardStatus",
                [SCARD_FN_GET_ATTRIB] = "SCardGetAttrib",
                [SCARD_FN_SET_ATTRIB] = "SCardSetAttrib",
                [SCARD_FN_ESTABLISH_CONTEXT] = "SCardEstablishContext",
                [SCARD_FN_RELEASE_CONTEXT] = "SCardReleaseContext",
                [SCARD_FN_IS_VALID_CONTEXT] = "SCardIsValidContext",
                [SCARD_FN_LIST_READERS] = "SCardListReaders",
                [SCARD_FN_LIST_READER_GROUPS] = "SCardListReaderGroups",
                [SCARD_FN_GET_STATUS_CHANGE] = "SCardGetStatusChange",
                [SCARD_FN_CANCEL] = "SCardCancel",
                [SCARD_FN_FREE_MEMORY] = "SCardFreeMemory",
        };

        return (unsigned)fn < SCARD_FN_MAX_ ? names[fn] : "?";
}
