/* kagictl totp enroll, totp remove. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <qrencode.h>

#include "cli.h"

static void print_qr(const char *text)
{
        QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
        int w, quiet = 2;

        if (!qr) {
                fprintf(stderr, "kagictl: cannot draw a QR code; use the URI above\n");
                return;
        }
        w = qr->width;
        /* two modules per character cell: upper and lower half blocks */
        for (int y = -quiet; y < w + quiet; y += 2) {
                for (int x = -quiet; x < w + quiet; x++) {
                        bool top = y >= 0 && y < w && x >= 0 && x < w && (qr->data[y * w + x] & 1);
                        bool bot = y + 1 >= 0 && y + 1 < w && x >= 0 && x < w && (qr->data[(y + 1) * w + x] & 1);

                        /* dark modules print as spaces on a light background */
                        fputs(top && bot ? " " : top ? "\xe2\x96\x84" : bot ? "\xe2\x96\x80" : "\xe2\x96\x88", stdout);
                }
                putchar('\n');
        }
        QRcode_free(qr);
}

/* The secret from a file or standard input: one line of base32 (what
 * kagid takes: up to 128 characters), its newline dropped. Read into a
 * buffer that is wiped, and never on the command line, where every local
 * user reads it in /proc/PID/cmdline. */
#define SECRET_MAX 128

static int read_secret(const char *path, char **ret)
{
        _cleanup_(closep) int fd = -1;
        char buf[SECRET_MAX + 3];
        size_t n = 0;
        struct stat st;

        struct tty_quiet q;
        bool echo_off;
        int quiet;

        fd = strcmp(path, "-") == 0 ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077))
                fprintf(stderr, "kagictl: warning: %s can be read by others than its owner\n", path);
        /* typed at a terminal: not echoed, and one line is the whole answer */
        quiet = tty_quiet_begin(&q, fd);
        if (quiet < 0 && quiet != -ENOTTY) {
                fprintf(stderr, "kagictl: cannot turn off echo on the terminal: %s\n", strerror(-quiet));
                return quiet;
        }
        echo_off = q.on;
        if (echo_off)
                fputs("TOTP secret (base32): ", stderr);
        while (n < sizeof(buf) && !(echo_off && n > 0 && buf[n - 1] == '\n')) {
                ssize_t r = read(fd, buf + n, sizeof(buf) - n);

                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        r = -errno;
                        tty_quiet_end(&q);
                        secret_wipe(buf, sizeof(buf));
                        return (int)r;
                }
                if (r == 0)
                        break;
                n += (size_t)r;
        }
        tty_quiet_end(&q);
        if (echo_off)
                fputc('\n', stderr);
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
                n--;
        /* one line, not empty, not longer than kagid takes */
        if (n == 0 || n > SECRET_MAX || memchr(buf, '\n', n) || memchr(buf, '\0', n)) {
                secret_wipe(buf, sizeof(buf));
                return -EINVAL;
        }
        buf[n] = '\0';
        *ret = secret_strdup(buf);
        secret_wipe(buf, sizeof(buf));
        return *ret ? 0 : -ENOMEM;
}

/* --json: the document with the secret and URI added, printed, and every
 * copy json-c holds of them wiped before it is freed. */
static int print_enrollment_json(json_object *j, const char *secret, const char *uri)
{
        const char *keys[] = { "secret", "uri" }, *text;
        json_object *v;

        json_object_object_add(j, "secret", json_object_new_string(secret));
        json_object_object_add(j, "uri", json_object_new_string(uri));
        text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        puts(text);
        secret_wipe((char *)text, strlen(text));
        for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
                if (json_object_object_get_ex(j, keys[i], &v))
                        secret_wipe((char *)json_object_get_string(v), (size_t)json_object_get_string_len(v));
        return 0;
}

int cmd_totp_enroll(struct ctl *ctl, const struct args *a)
{
        _cleanup_(frame_freep) struct frame *req = frame_new(KAGI_REQ_TOTP_ENROLL);
        _cleanup_(msg_freep) struct kagi_msg *m = msg_new();
        _cleanup_(json_putp) json_object *j = NULL;
        _cleanup_(secret_strfreep) char *given = NULL;
        const char *user = a->pos[0], *from = a->secret_file, *secret, *uri;
        int r;

        if (a->secret && a->secret_file)
                return die_usage("totp enroll: give --secret or --secret-file, not both");
        if (a->secret && strcmp(a->secret, "-") == 0)
                from = "-";
        if (from) {
                r = read_secret(from, &given);
                if (r < 0) {
                        fputs("kagictl: ", stderr);
                        out_text(stderr, strcmp(from, "-") == 0 ? "standard input" : from, 0);
                        fprintf(stderr, ": %s\n",
                                r == -EINVAL ? "not one line of at most 128 characters" : strerror(-r));
                        return EXIT_USAGE;
                }
        }
        if (!m)
                return EXIT_REFUSED;
        frame_put_str(req, KAGI_T_USER, user);
        frame_put_str(req, KAGI_T_SECRET, given ? given : a->secret);
        r = call(ctl, req, NULL, NULL, m);
        if (r)
                return r;
        /* the secret and the URI come in secret fields, wiped with m */
        secret = msg_str(m, KAGI_T_SECRET);
        uri = msg_str(m, KAGI_T_URI);
        j = parse_json(m);
        if (!j || !secret || !uri) {
                if (j)
                        fprintf(stderr, "kagictl: kagid sent no secret\n");
                return EXIT_REFUSED;
        }
        if (ctl->json)
                return print_enrollment_json(j, secret, uri);
        printf("TOTP enrolled for ");
        out_text(stdout, user, 0);
        printf(".\n");
        /* base32 and a URI kagid percent-encoded: nothing to escape */
        printf("secret: %s\n", secret);
        printf("uri:    %s\n", uri);
        if (!(a->given & OPT_NO_QR)) {
                printf("Scan with the authenticator app:\n");
                print_qr(uri);
        }
        return 0;
}

int cmd_totp_remove(struct ctl *ctl, const struct args *a)
{
        _cleanup_(frame_freep) struct frame *req = frame_new(KAGI_REQ_TOTP_REMOVE);
        _cleanup_(msg_freep) struct kagi_msg *m = msg_new();
        int r;

        frame_put_str(req, KAGI_T_USER, a->pos[0]);
        r = call(ctl, req, NULL, NULL, m);
        if (!r) {
                printf("TOTP removed for ");
                out_text(stdout, a->pos[0], 0);
                printf(".\n");
        }
        return r;
}
