/* kagi-vcard — a virtual PIV / JPKI card for pcscd's vpcd driver.
 *
 *   kagi-vcard --port PORT [--host ADDR]
 *              [--piv-cert PEM --piv-key PEM [--piv-pin PIN]]
 *              [--jpki-cert PEM --jpki-key PEM [--jpki-pin PIN] [--jpki-ca PEM]]
 *              [--tries N] [--state FILE] [--t0] [--vanish-on-ins HEX]
 *              [--atr HEX] [-v]
 *
 * vpcd protocol (TCP, the card connects to the driver): every message is a
 * 2-byte big-endian length and a payload. A 1-byte payload is a control:
 * 0 power off, 1 power on, 2 reset, 4 send the ATR; anything else is a
 * command APDU, answered with the response APDU.
 *
 * Signals: SIGUSR1 pulls the card (disconnects from vpcd), SIGUSR2 puts it
 * back, SIGTERM/SIGINT end the program. --vanish-on-ins makes the card
 * vanish (as if pulled) when a command with that INS arrives, before it
 * answers: removal in the middle of an operation, without any timing. The
 * PIN counters survive removals; with --state they are also kept in FILE
 * ("piv_pin_tries N", "jpki_pin_tries N"). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vcard.h"

#define VPCD_CTRL_OFF 0
#define VPCD_CTRL_ON 1
#define VPCD_CTRL_RESET 2
#define VPCD_CTRL_ATR 4

/* A T=1 ATR with "kagi-vcard" as historical bytes (the bare 3B 80 80 01 01
 * is taken: OpenSC maps it to a PIV token with known defects), and the ATR
 * My Number Cards present. */
static const uint8_t atr_generic[] = {
        0x3B, 0x8A, 0x80, 0x01, 'k', 'a', 'g', 'i', '-', 'v', 'c', 'a', 'r', 'd', 0x40,
};
static const uint8_t atr_jpki[] = { 0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14 };

struct options {
        const char *host;
        unsigned port;
        const char *piv_cert, *piv_key, *piv_pin;
        const char *jpki_cert, *jpki_key, *jpki_pin, *jpki_ca;
        unsigned tries;
        uint8_t atr[33];
        size_t atr_len;
};

static void usage(void)
{
        fputs("usage: kagi-vcard --port PORT [--host ADDR] [--piv-cert PEM --piv-key PEM [--piv-pin PIN]]\n"
              "                  [--jpki-cert PEM --jpki-key PEM [--jpki-pin PIN] [--jpki-ca PEM]]\n"
              "                  [--tries N] [--state FILE] [--t0] [--vanish-on-ins HEX] [--atr HEX] [-v]\n",
              stderr);
        exit(2);
}

static unsigned long number(const char *s, int base, unsigned long max)
{
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, base);
        if (errno || end == s || *end || v > max)
                usage();
        return v;
}

static size_t hex_decode(const char *s, uint8_t *out, size_t size)
{
        size_t n = strlen(s);

        if (n % 2 || n / 2 > size || n == 0)
                usage();
        for (size_t i = 0; i < n / 2; i++) {
                char byte[3] = { s[2 * i], s[2 * i + 1], 0 };

                out[i] = (uint8_t)number(byte, 16, 0xFF);
        }
        return n / 2;
}

static void set_pin(struct vc_pin *pin, const char *value, unsigned tries)
{
        size_t n = strlen(value);

        if (n == 0 || n >= sizeof(pin->value))
                usage();
        memcpy(pin->value, value, n + 1);
        pin->len = n;
        pin->tries = pin->max = tries;
}

static void parse_args(int argc, char **argv, struct vcard *vc, struct options *o)
{
        static const struct option longopts[] = {
                { "host", required_argument, NULL, 'H' },
                { "port", required_argument, NULL, 'p' },
                { "piv-cert", required_argument, NULL, 1 },
                { "piv-key", required_argument, NULL, 2 },
                { "piv-pin", required_argument, NULL, 3 },
                { "jpki-cert", required_argument, NULL, 4 },
                { "jpki-key", required_argument, NULL, 5 },
                { "jpki-pin", required_argument, NULL, 6 },
                { "jpki-ca", required_argument, NULL, 7 },
                { "tries", required_argument, NULL, 8 },
                { "state", required_argument, NULL, 9 },
                { "t0", no_argument, NULL, 10 },
                { "vanish-on-ins", required_argument, NULL, 11 },
                { "atr", required_argument, NULL, 12 },
                { "verbose", no_argument, NULL, 'v' },
                { 0 },
        };
        int c;

        while ((c = getopt_long(argc, argv, "H:p:v", longopts, NULL)) != -1) {
                switch (c) {
                case 'H': o->host = optarg; break;
                case 'p': o->port = (unsigned)number(optarg, 10, 65535); break;
                case 1: o->piv_cert = optarg; break;
                case 2: o->piv_key = optarg; break;
                case 3: o->piv_pin = optarg; break;
                case 4: o->jpki_cert = optarg; break;
                case 5: o->jpki_key = optarg; break;
                case 6: o->jpki_pin = optarg; break;
                case 7: o->jpki_ca = optarg; break;
                case 8: o->tries = (unsigned)number(optarg, 10, 15); break;
                case 9: vc->state_file = optarg; break;
                case 10: vc->t0_style = true; break;
                case 11: vc->vanish_ins = (int)number(optarg, 16, 0xFF); break;
                case 12: o->atr_len = hex_decode(optarg, o->atr, sizeof(o->atr)); break;
                case 'v': vc->verbose = true; break;
                default: usage();
                }
        }
        if (optind != argc || o->port == 0 || o->tries == 0 ||
            !o->piv_cert != !o->piv_key || !o->jpki_cert != !o->jpki_key || (!o->piv_cert && !o->jpki_cert))
                usage();
}

static void load(struct vcard *vc, struct options *o)
{
        int r = 0;

        if (o->piv_cert && (r = vc_key_load(&vc->piv, o->piv_cert, o->piv_key)) == 0 && !vc_piv_alg(vc->piv.pkey)) {
                fputs("kagi-vcard: the PIV key must be RSA-2048 or P-256\n", stderr);
                exit(1);
        }
        if (r == 0 && o->jpki_cert)
                r = vc_key_load(&vc->jpki, o->jpki_cert, o->jpki_key);
        if (r == 0 && o->jpki_ca)
                r = vc_cert_load(o->jpki_ca, &vc->jpki_ca, &vc->jpki_ca_len);
        if (r < 0) {
                fprintf(stderr, "kagi-vcard: cannot load keys or certificates: %s\n", strerror(-r));
                exit(1);
        }
        set_pin(&vc->piv_pin, o->piv_pin ? o->piv_pin : "123456", o->tries);
        set_pin(&vc->jpki_pin, o->jpki_pin ? o->jpki_pin : "1234", o->tries);
        set_pin(&vc->jpki_sign_pin, "SIGN1234", 5);
        if (vc_state_load(vc) < 0) {
                fprintf(stderr, "kagi-vcard: cannot use state file %s\n", vc->state_file);
                exit(1);
        }
        if (o->atr_len == 0) {
                const uint8_t *atr = o->piv_cert ? atr_generic : atr_jpki;

                o->atr_len = o->piv_cert ? sizeof(atr_generic) : sizeof(atr_jpki);
                memcpy(o->atr, atr, o->atr_len);
        }
}

static int vpcd_connect(const struct options *o)
{
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)o->port) };
        int fd;

        if (inet_pton(AF_INET, o->host, &sa.sin_addr) != 1)
                return -EINVAL;
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                int e = errno;

                close(fd);
                return -e;
        }
        return fd;
}

static int io_full(int fd, void *buf, size_t n, bool writing)
{
        uint8_t *p = buf;

        while (n) {
                ssize_t k;

                /* vpcd writes the length and the payload apart: ACK at
                 * once, or its Nagle waits for our delayed ACK (40 ms) */
                if (!writing)
                        setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &(int){ 1 }, sizeof(int));
                k = writing ? send(fd, p, n, MSG_NOSIGNAL) : recv(fd, p, n, 0);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return -1;
                p += k;
                n -= (size_t)k;
        }
        return 0;
}

/* Length and payload in one write: split, Nagle and delayed ACKs would
 * cost 40 ms per message. */
static int send_msg(int fd, const uint8_t *p, size_t n)
{
        static uint8_t buf[2 + VC_RESP_MAX + 2];

        if (n > sizeof(buf) - 2)
                return -1;
        buf[0] = (uint8_t)(n >> 8);
        buf[1] = (uint8_t)n;
        memcpy(buf + 2, p, n);
        return io_full(fd, buf, n + 2, true);
}

/* One message from vpcd. Returns 0, -EPIPE when the connection is lost,
 * -ENODEV when the vanish trigger hit. */
static int serve_one(struct vcard *vc, const struct options *o, int fd)
{
        static uint8_t in[65536 + 8], out[VC_RESP_MAX + 2];
        uint8_t hdr[2];
        size_t n, m;

        if (io_full(fd, hdr, 2, false) < 0)
                return -EPIPE;
        n = (size_t)hdr[0] << 8 | hdr[1];
        if (io_full(fd, in, n, false) < 0)
                return -EPIPE;
        if (n == 1) {
                switch (in[0]) {
                case VPCD_CTRL_OFF:
                case VPCD_CTRL_ON:
                case VPCD_CTRL_RESET:
                        vc_session_reset(vc);
                        return 0;
                case VPCD_CTRL_ATR:
                        return send_msg(fd, o->atr, o->atr_len) < 0 ? -EPIPE : 0;
                default:
                        return 0;
                }
        }
        if (n >= 2 && vc->vanish_ins >= 0 && in[1] == vc->vanish_ins) {
                vc_log(vc, "INS %02X: vanishing", in[1]);
                vc->vanish_ins = -1;
                return -ENODEV;
        }
        m = vc_process(vc, in, n, out, sizeof(out));
        if (m >= 2)
                vc_log(vc, "=> %zu bytes SW %02X%02X", m - 2, out[m - 2], out[m - 1]);
        return send_msg(fd, out, m) < 0 ? -EPIPE : 0;
}

int main(int argc, char **argv)
{
        struct vcard vc = { .vanish_ins = -1 };
        struct options o = { .host = "127.0.0.1", .tries = 3 };
        sigset_t mask;
        int sfd, fd = -1;
        bool removed = false;

        parse_args(argc, argv, &vc, &o);
        load(&vc, &o);

        sigemptyset(&mask);
        sigaddset(&mask, SIGUSR1);
        sigaddset(&mask, SIGUSR2);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        sfd = signalfd(-1, &mask, SFD_CLOEXEC);
        if (sfd < 0) {
                perror("kagi-vcard: signalfd");
                return 1;
        }

        for (;;) {
                struct pollfd p[2] = { { .fd = sfd, .events = POLLIN }, { .fd = fd, .events = POLLIN } };
                bool connecting = fd < 0 && !removed;

                if (connecting) {
                        fd = vpcd_connect(&o);
                        if (fd >= 0) {
                                vc_session_reset(&vc);
                                vc_log(&vc, "inserted (connected to vpcd port %u)", o.port);
                                continue;
                        }
                }
                /* not yet listening: try again shortly, signals still served */
                if (poll(p, fd >= 0 ? 2 : 1, connecting ? 50 : -1) < 0 && errno != EINTR)
                        return 1;
                if (p[0].revents & POLLIN) {
                        struct signalfd_siginfo si;

                        if (read(sfd, &si, sizeof(si)) != sizeof(si))
                                continue;
                        if (si.ssi_signo == SIGUSR1 || si.ssi_signo == SIGUSR2) {
                                removed = si.ssi_signo == SIGUSR1;
                                if (removed && fd >= 0) {
                                        close(fd);
                                        fd = -1;
                                        vc_log(&vc, "removed");
                                }
                                continue;
                        }
                        if (fd >= 0)
                                close(fd);
                        return 0;
                }
                if (fd >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
                        int r = serve_one(&vc, &o, fd);

                        if (r < 0) {
                                close(fd);
                                fd = -1;
                                /* a vanished card stays out until put back */
                                removed = r == -ENODEV;
                        }
                }
        }
}
