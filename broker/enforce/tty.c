/* Warnings on a session's terminal, written the careful way. The text
 * reaches a terminal emulator that obeys escape sequences, so nothing but
 * printable UTF-8, tab and newline gets through (wall's CVE-2024-28085 was a
 * missing filter); the device is a tty owned by the person, opened so that
 * kagid neither acquires it as controlling terminal nor blocks on it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#define ENFORCE_INTERNAL
#include "enforce.h"

/* A terminal number: decimal, no sign, no leading zero, not absurdly long. */
static bool tty_number(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n > 7 || (s[0] == '0' && n > 1))
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;
        return true;
}

int enforce_tty_path(const char *pam_tty, char *buf, size_t size)
{
        const char *rest;
        int n;

        if (!pam_tty)
                return -EINVAL;
        rest = strncmp(pam_tty, "/dev/", 5) == 0 ? pam_tty + 5 : pam_tty;
        if (strncmp(rest, "pts/", 4) == 0 && tty_number(rest + 4))
                n = snprintf(buf, size, "/dev/pts/%s", rest + 4);
        else if (strncmp(rest, "tty", 3) == 0 && tty_number(rest + 3))
                n = snprintf(buf, size, "/dev/tty%s", rest + 3);
        else
                return -EINVAL;
        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Length of the valid UTF-8 sequence at p (1..4) and its code point, or 0. */
static size_t utf8_decode(const unsigned char *p, uint32_t *ret_cp)
{
        unsigned char b = p[0];
        size_t len;
        uint32_t cp, min;

        if (b >= 0xc2 && b <= 0xdf)
                len = 2, cp = b & 0x1f, min = 0x80;
        else if (b >= 0xe0 && b <= 0xef)
                len = 3, cp = b & 0x0f, min = 0x800;
        else if (b >= 0xf0 && b <= 0xf4)
                len = 4, cp = b & 0x07, min = 0x10000;
        else
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;       /* also stops at the NUL */
                cp = cp << 6 | (p[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        *ret_cp = cp;
        return len;
}

/* C1 controls (U+009B is CSI on its own) and the characters that reorder
 * or break what the person sees (Trojan Source style). */
static bool drop_code_point(uint32_t cp)
{
        return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
               (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

size_t enforce_tty_sanitize(const char *text, char *buf, size_t size)
{
        const unsigned char *p = (const unsigned char *)(text ? text : "");
        size_t out = 0;

        if (size == 0)
                return 0;
        while (*p) {
                const char *emit = (const char *)p;
                size_t in, len;
                uint32_t cp;

                if (*p < 0x80) {
                        in = len = 1;
                        if (*p == '\n')
                                emit = "\r\n", len = 2;
                        else if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
                                len = 0;
                } else if ((in = utf8_decode(p, &cp)) > 0)
                        len = drop_code_point(cp) ? 0 : in;
                else
                        emit = "?", in = len = 1;
                if (len > size - 1 - out)
                        break;          /* never half a character */
                memcpy(buf + out, emit, len);
                out += len;
                p += in;
        }
        buf[out] = '\0';
        return out;
}

int enforce_tty_write(const char *pam_tty, uid_t owner, const char *text)
{
        char path[64], clean[ENFORCE_TTY_TEXT_MAX + 1];
        _cleanup_(closep) int fd = -1;
        struct stat st;
        size_t len, off = 0;
        int r;

        r = enforce_tty_path(pam_tty, path, sizeof(path));
        if (r < 0)
                return r;
        len = enforce_tty_sanitize(text, clean, sizeof(clean));
        fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return errno == ELOOP ? -EINVAL : -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISCHR(st.st_mode) || !isatty(fd))
                return -EINVAL;
        if (st.st_uid != owner)
                return -EPERM;
        while (off < len) {
                ssize_t n = write(fd, clean + off, len - off);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
                }
                off += (size_t)n;
        }
        return 0;
}
