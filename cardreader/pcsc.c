/* PC/SC transport over pcsclite: the only file that includes winscard.h.
 * Readers, waiting for a card, presence events, connect, transactions and
 * raw transmit, with every PC/SC result turned into one negative errno. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <winscard.h>

#include "card_internal.h"
#include "common.h"

#define PNP_READER "\\\\?PnP?\\Notification"
#define WAIT_READERS_MAX 16

struct pcsc_ctx {
        SCARDCONTEXT sc;
};

struct pcsc_link {
        SCARDCONTEXT sc;
        SCARDHANDLE h;
        DWORD protocol;
        bool in_transaction;
};

static int pcsc_errno(LONG rv)
{
        switch (rv) {
        case SCARD_S_SUCCESS:
                return 0;
        case SCARD_E_NO_SERVICE:
        case SCARD_E_SERVICE_STOPPED:
        case SCARD_F_COMM_ERROR:
                return -EHOSTDOWN;
        case SCARD_E_NO_READERS_AVAILABLE:
        case SCARD_E_UNKNOWN_READER:
        case SCARD_E_READER_UNAVAILABLE:
                return -ENXIO;
        case SCARD_E_TIMEOUT:
                return -ETIMEDOUT;
        case SCARD_W_REMOVED_CARD:
        case SCARD_E_NO_SMARTCARD:
        case SCARD_W_UNPOWERED_CARD:
        case SCARD_W_UNRESPONSIVE_CARD:
        case SCARD_E_NOT_TRANSACTED:
                return -ENODEV;
        case SCARD_W_RESET_CARD:
                return -ECANCELED;
        case SCARD_E_SHARING_VIOLATION:
                return -EBUSY;
        case SCARD_E_NO_MEMORY:
                return -ENOMEM;
        default:
                return -EIO;
        }
}

static int64_t mono_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int pcsc_open(struct pcsc_ctx **ret)
{
        _cleanup_(freep) struct pcsc_ctx *c = calloc(1, sizeof(*c));
        LONG rv;

        if (!c)
                return -ENOMEM;
        rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &c->sc);
        if (rv != SCARD_S_SUCCESS)
                return pcsc_errno(rv);
        *ret = c;
        c = NULL;
        return 0;
}

void pcsc_close(struct pcsc_ctx *c)
{
        if (!c)
                return;
        SCardReleaseContext(c->sc);
        free(c);
}

/* pcscd has at most 16 readers of at most MAX_READERNAME bytes each */
#define READER_NAMES_MAX (WAIT_READERS_MAX * MAX_READERNAME + 1)

/* The readers whose names contain filter (NULL: all). */
static int list_readers(struct pcsc_ctx *c, const char *filter, char names[READER_NAMES_MAX],
                        const char *ret_match[WAIT_READERS_MAX], size_t *ret_n)
{
        DWORD len = READER_NAMES_MAX;
        size_t n = 0;
        LONG rv;

        rv = SCardListReaders(c->sc, NULL, names, &len);
        if (rv != SCARD_S_SUCCESS)
                return pcsc_errno(rv);
        names[READER_NAMES_MAX - 1] = '\0';
        for (const char *p = names; p < names + len && *p; p += strlen(p) + 1)
                if ((!filter || strstr(p, filter)) && n < WAIT_READERS_MAX)
                        ret_match[n++] = p;
        if (n == 0)
                return -ENXIO;
        *ret_n = n;
        return 0;
}

static bool card_in(DWORD state)
{
        return (state & SCARD_STATE_PRESENT) && !(state & SCARD_STATE_MUTE);
}

static int remaining_ms(int64_t deadline, DWORD *ret)
{
        int64_t left;

        if (deadline < 0) {
                *ret = INFINITE;
                return 0;
        }
        left = deadline - mono_ms();
        if (left <= 0)
                return -ETIMEDOUT;
        *ret = (DWORD)left;
        return 0;
}

/* One look at the matching readers: 0 and the reader when one holds a
 * card; else waits until something changes (a card, a reader coming or
 * going) and returns -EAGAIN to look again, or -ETIMEDOUT. */
static int look_for_card(struct pcsc_ctx *c, const char *filter, int64_t deadline, char ret_reader[CARD_READER_MAX])
{
        SCARD_READERSTATE st[WAIT_READERS_MAX + 1] = { 0 };
        const char *match[WAIT_READERS_MAX];
        char names[READER_NAMES_MAX];
        size_t n = 0;
        DWORD wait;
        LONG rv;
        int r;

        r = list_readers(c, filter, names, match, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                st[i] = (SCARD_READERSTATE) { .szReader = match[i], .dwCurrentState = SCARD_STATE_UNAWARE };
        st[n] = (SCARD_READERSTATE) { .szReader = PNP_READER, .dwCurrentState = SCARD_STATE_UNAWARE };
        /* where things stand, without waiting */
        rv = SCardGetStatusChange(c->sc, 0, st, (DWORD)n + 1);
        if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT)
                return pcsc_errno(rv);
        for (size_t i = 0; i < n; i++) {
                if (card_in(st[i].dwEventState)) {
                        strncpy(ret_reader, match[i], CARD_READER_MAX - 1);
                        ret_reader[CARD_READER_MAX - 1] = '\0';
                        return 0;
                }
        }
        for (size_t i = 0; i <= n; i++)
                st[i].dwCurrentState = st[i].dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
        /* a pcscd without reader notifications would wake us at once */
        if (!(st[n].dwEventState & SCARD_STATE_UNKNOWN))
                n++;
        r = remaining_ms(deadline, &wait);
        if (r < 0)
                return r;
        rv = SCardGetStatusChange(c->sc, wait, st, (DWORD)n);
        return rv == SCARD_S_SUCCESS ? -EAGAIN : pcsc_errno(rv);
}

int pcsc_wait_card(struct pcsc_ctx *c, const char *filter, int timeout_ms, char ret_reader[CARD_READER_MAX])
{
        int64_t deadline = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
        int r;

        if (filter && !*filter)
                filter = NULL;
        do
                r = look_for_card(c, filter, deadline, ret_reader);
        while (r == -EAGAIN);
        return r;
}

int pcsc_wait_event(struct pcsc_ctx *c, const char *reader, int timeout_ms, enum card_event *ret)
{
        int64_t deadline = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
        SCARD_READERSTATE st = { .szReader = reader, .dwCurrentState = SCARD_STATE_UNAWARE };
        bool was_in;
        LONG rv;

        rv = SCardGetStatusChange(c->sc, 0, &st, 1);
        if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT)
                return pcsc_errno(rv);
        if (st.dwEventState & (SCARD_STATE_UNKNOWN | SCARD_STATE_IGNORE))
                return -ENXIO;
        was_in = card_in(st.dwEventState);
        for (;;) {
                DWORD wait;
                int r = remaining_ms(deadline, &wait);

                if (r < 0)
                        return r;
                st.dwCurrentState = st.dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
                rv = SCardGetStatusChange(c->sc, wait, &st, 1);
                if (rv != SCARD_S_SUCCESS)
                        return pcsc_errno(rv);
                if (st.dwEventState & (SCARD_STATE_UNKNOWN | SCARD_STATE_IGNORE))
                        return -ENXIO;
                if (card_in(st.dwEventState) != was_in) {
                        *ret = was_in ? CARD_EVENT_REMOVED : CARD_EVENT_INSERTED;
                        return 0;
                }
                /* the upper 16 bits count insertions and removals: a card
                 * swapped between two looks is a removal of ours */
                if (was_in && (st.dwEventState >> 16) != (st.dwCurrentState >> 16)) {
                        *ret = CARD_EVENT_REMOVED;
                        return 0;
                }
        }
}

int pcsc_connect(struct pcsc_ctx *c, const char *reader, struct pcsc_link **ret)
{
        _cleanup_(freep) struct pcsc_link *l = calloc(1, sizeof(*l));
        LONG rv;

        if (!l)
                return -ENOMEM;
        l->sc = c->sc;
        rv = SCardConnect(c->sc, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                          &l->h, &l->protocol);
        if (rv != SCARD_S_SUCCESS)
                return pcsc_errno(rv);
        *ret = l;
        l = NULL;
        return 0;
}

void pcsc_disconnect(struct pcsc_link *l)
{
        if (!l)
                return;
        if (l->in_transaction)
                SCardEndTransaction(l->h, SCARD_LEAVE_CARD);
        /* a verified PIN must not stay usable for the next program */
        SCardDisconnect(l->h, SCARD_RESET_CARD);
        free(l);
}

int pcsc_begin(struct pcsc_link *l)
{
        LONG rv = SCardBeginTransaction(l->h);

        if (rv == SCARD_W_RESET_CARD) {
                /* someone reset the card since we last used it: whatever it
                 * held for us is gone anyway; each operation starts afresh */
                DWORD proto;

                rv = SCardReconnect(l->h, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                                    SCARD_LEAVE_CARD, &proto);
                if (rv == SCARD_S_SUCCESS) {
                        l->protocol = proto;
                        rv = SCardBeginTransaction(l->h);
                }
        }
        if (rv != SCARD_S_SUCCESS)
                return pcsc_errno(rv);
        l->in_transaction = true;
        return 0;
}

void pcsc_end(struct pcsc_link *l)
{
        if (!l->in_transaction)
                return;
        SCardEndTransaction(l->h, SCARD_LEAVE_CARD);
        l->in_transaction = false;
}

int pcsc_status(struct pcsc_link *l)
{
        DWORD state = 0, proto = 0, atr_len = MAX_ATR_SIZE, name_len = 0;
        BYTE atr[MAX_ATR_SIZE];
        LONG rv;

        rv = SCardStatus(l->h, NULL, &name_len, &state, &proto, atr, &atr_len);
        if (rv != SCARD_S_SUCCESS)
                return pcsc_errno(rv);
        return (state & SCARD_ABSENT) ? -ENODEV : 0;
}

int pcsc_transmit(void *link, const uint8_t *cmd, size_t cmd_len, uint8_t *rsp, size_t rsp_size, size_t *ret_len)
{
        struct pcsc_link *l = link;
        const SCARD_IO_REQUEST *pci = l->protocol == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
        DWORD len = (DWORD)rsp_size;
        LONG rv;
        int r;

        rv = SCardTransmit(l->h, pci, cmd, (DWORD)cmd_len, NULL, rsp, &len);
        r = pcsc_errno(rv);
        /* the reader vanishing with the card is the card going away */
        if (r == -ENXIO)
                r = -ENODEV;
        if (r < 0)
                return r;
        /* an answer without even a status word: nothing is there any more */
        if (len == 0)
                return -ENODEV;
        *ret_len = len;
        return 0;
}
