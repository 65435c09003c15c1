/* Terminal warnings: the pure rules (which PAM_TTY values name a terminal,
 * what text may reach one) and real writes to a real pty (openpty), read
 * back from its master side. */
#include <pty.h>
#include <termios.h>

#include "helpers.h"

/* ---- PAM_TTY -> device ------------------------------------------------------ */

static void pam_tty_forms_that_name_a_terminal(void **state)
{
        const char *in[][2] = {
                { "/dev/pts/3", "/dev/pts/3" }, { "pts/0", "/dev/pts/0" }, { "pts/1234", "/dev/pts/1234" },
                { "tty1", "/dev/tty1" }, { "/dev/tty12", "/dev/tty12" },
        };
        char buf[64];

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
                assert_int_equal(enforce_tty_path(in[i][0], buf, sizeof(buf)), 0);
                assert_string_equal(buf, in[i][1]);
        }
}

static void pam_tty_values_that_are_no_terminal_are_refused(void **state)
{
        const char *bad[] = {
                "ssh", "", "cron", ":0", "pts/", "pts", "tty", "ttyS0", "ttyUSB0", "pts/01", "pts/-1",
                "pts/+1", "pts/1 ", " pts/1", "pts/../../etc/passwd", "/dev/pts/3/../../null",
                "../pts/1", "/dev//pts/1", "/dev/null", "/dev/pts/ptmx", "/dev/console", "console",
                "/dev/tty", "pts/99999999", "/tmp/pts/1", "dev/pts/1", "pts/1\n", "tty1\x1b",
        };
        char buf[64] = "untouched";

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
                assert_int_equal(enforce_tty_path(bad[i], buf, sizeof(buf)), -EINVAL);
        assert_int_equal(enforce_tty_path(NULL, buf, sizeof(buf)), -EINVAL);
        assert_int_equal(enforce_tty_path("pts/1", buf, 5), -ENAMETOOLONG);
}

/* ---- text ------------------------------------------------------------------ */

static void check_clean(const char *in, const char *want)
{
        char buf[256];
        size_t n = enforce_tty_sanitize(in, buf, sizeof(buf));

        assert_string_equal(buf, want);
        assert_int_equal(n, strlen(want));
}

static void japanese_and_plain_text_pass_intact(void **state)
{
        (void)state;
        check_clean("session ends at 17:00", "session ends at 17:00");
        check_clean("特権セッションは5分後に終了します（延長: kagictl grant extend）",
                    "特権セッションは5分後に終了します（延長: kagictl grant extend）");
        check_clean("絵文字も🔑そのまま", "絵文字も🔑そのまま");
        check_clean("tab\tkept", "tab\tkept");
}

static void newlines_become_crlf_for_terminals_in_raw_mode(void **state)
{
        (void)state;
        check_clean("一行目\n二行目\n", "一行目\r\n二行目\r\n");
        check_clean("a\r\nb", "a\r\nb");        /* the \r is dropped, \n gives it back */
}

static void escape_sequences_and_control_characters_are_stripped(void **state)
{
        (void)state;
        /* CVE-2024-28085 style: clear screen, set title, fake a prompt */
        check_clean("\x1b[2J\x1b]0;pwned\x07Password: ", "[2J]0;pwnedPassword: ");
        check_clean("a\x1b" "b\x7f" "c\b" "d\x07" "e\x01" "f\x1f" "g\rh", "abcdefgh");
        /* C1 controls: U+009B is CSI by itself, U+0085 NEL, U+009D OSC */
        check_clean("a\xc2\x9b" "31mb\xc2\x85" "c\xc2\x9d" "d", "a31mbcd");
        /* what reorders what the person sees */
        check_clean("x\xe2\x80\xae" "cba\xe2\x80\xac" "y\xe2\x81\xa6" "z", "xcbayz");
}

static void invalid_utf8_becomes_question_marks(void **state)
{
        (void)state;
        check_clean("a\x9b" "b", "a?b");                 /* a raw C1 byte: CSI in Latin-1 */
        check_clean("\xc0\xaf", "??");                   /* overlong '/' */
        check_clean("\xe0\x80\xaf", "???");              /* overlong, 3 bytes */
        check_clean("\xed\xa0\x80", "???");              /* a surrogate */
        check_clean("\xf4\x90\x80\x80", "????");         /* above U+10FFFF */
        check_clean("\xff\xfe", "??");
        check_clean("end\xe3\x81", "end??");             /* cut short */
}

static void text_is_cut_at_a_character_boundary(void **state)
{
        char buf[8];

        (void)state;
        assert_int_equal(enforce_tty_sanitize("あいう", buf, sizeof(buf)), 6);
        assert_string_equal(buf, "あい");
        assert_int_equal(enforce_tty_sanitize("ab\n", buf, 4), 2);
        assert_string_equal(buf, "ab");                  /* no half of \r\n */
        assert_int_equal(enforce_tty_sanitize("abc", buf, 1), 0);
        assert_string_equal(buf, "");
        assert_int_equal(enforce_tty_sanitize(NULL, buf, sizeof(buf)), 0);
}

/* ---- a real pty ------------------------------------------------------------ */

struct pty {
        int master, slave;
        char name[64];
};

static void pty_open(struct pty *p)
{
        struct termios raw;

        assert_int_equal(openpty(&p->master, &p->slave, p->name, NULL, NULL), 0);
        /* raw: what is read back is exactly what was written */
        assert_int_equal(tcgetattr(p->slave, &raw), 0);
        cfmakeraw(&raw);
        assert_int_equal(tcsetattr(p->slave, TCSANOW, &raw), 0);
        fcntl(p->master, F_SETFL, O_NONBLOCK);
}

static void pty_close(struct pty *p)
{
        close(p->master);
        close(p->slave);
}

static size_t pty_read(struct pty *p, char *buf, size_t size)
{
        struct pollfd pfd = { .fd = p->master, .events = POLLIN };
        size_t n = 0;

        while (n < size - 1 && poll(&pfd, 1, n ? 50 : T_WAIT_MS) == 1) {
                ssize_t r = read(p->master, buf + n, size - 1 - n);

                if (r <= 0)
                        break;
                n += (size_t)r;
        }
        buf[n] = '\0';
        return n;
}

static void a_warning_reaches_a_real_pty_stripped_and_intact(void **state)
{
        struct pty p;
        char buf[4096], short_form[64];

        (void)state;
        pty_open(&p);
        printf("# terminal %s\n", p.name);
        assert_int_equal(enforce_tty_write(p.name, 0,
                "\x1b[2J\x1b]0;x\x07特権セッションはあと5分で終了します。\n延長: kagictl grant extend\n"), 0);
        pty_read(&p, buf, sizeof(buf));
        assert_string_equal(buf, "[2J]0;x特権セッションはあと5分で終了します。\r\n延長: kagictl grant extend\r\n");

        /* the same terminal named as PAM_TTY "pts/N" */
        snprintf(short_form, sizeof(short_form), "%s", p.name + strlen("/dev/"));
        assert_int_equal(enforce_tty_write(short_form, 0, "残り1分\n"), 0);
        pty_read(&p, buf, sizeof(buf));
        assert_string_equal(buf, "残り1分\r\n");
        pty_close(&p);
}

static void a_terminal_owned_by_someone_else_is_not_written(void **state)
{
        struct pty p;
        char buf[64];

        (void)state;
        pty_open(&p);
        assert_int_equal(enforce_tty_write(p.name, 1000, "not yours"), -EPERM);
        assert_int_equal(fchown(p.slave, 1000, (gid_t)-1), 0);
        assert_int_equal(enforce_tty_write(p.name, 0, "not root's now"), -EPERM);
        assert_int_equal(enforce_tty_write(p.name, 1000, "yours"), 0);
        pty_read(&p, buf, sizeof(buf));
        assert_string_equal(buf, "yours");
        pty_close(&p);
}

static void non_tty_pam_tty_values_are_refused(void **state)
{
        const char *bad[] = { "ssh", "/dev/null", "/dev/pts/ptmx", "tty", "pts/../../null", ":0" };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
                assert_int_equal(enforce_tty_write(bad[i], 0, "x"), -EINVAL);
        /* a terminal number that names no device */
        assert_int_equal(enforce_tty_write("pts/999999", 0, "x"), -ENOENT);
}

static void a_long_warning_is_bounded(void **state)
{
        struct pty p;
        char text[5000], buf[8192];

        (void)state;
        memset(text, 'x', sizeof(text) - 1);
        text[sizeof(text) - 1] = '\0';
        pty_open(&p);
        assert_int_equal(enforce_tty_write(p.name, 0, text), 0);
        assert_int_equal(pty_read(&p, buf, sizeof(buf)), ENFORCE_TTY_TEXT_MAX);
        pty_close(&p);
}

static void a_full_terminal_never_blocks_the_writer(void **state)
{
        struct pty p;
        char text[1001];
        int r = 0, i;
        int64_t t0 = t_now();

        (void)state;
        memset(text, 'y', sizeof(text) - 1);
        text[sizeof(text) - 1] = '\0';
        pty_open(&p);
        /* nobody reads the master: the buffer fills and the write gives up */
        for (i = 0; i < 10000 && r == 0; i++)
                r = enforce_tty_write(p.name, 0, text);
        assert_int_equal(r, -EAGAIN);
        printf("# buffer full after %d writes, %lld ms\n", i, (long long)(t_now() - t0));
        assert_true(t_now() - t0 < T_WAIT_MS);
        pty_close(&p);
}

#define T(name) { "tty: " #name, name, NULL, NULL, NULL }

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(pam_tty_forms_that_name_a_terminal),
                T(pam_tty_values_that_are_no_terminal_are_refused),
                T(japanese_and_plain_text_pass_intact),
                T(newlines_become_crlf_for_terminals_in_raw_mode),
                T(escape_sequences_and_control_characters_are_stripped),
                T(invalid_utf8_becomes_question_marks),
                T(text_is_cut_at_a_character_boundary),
                T(a_warning_reaches_a_real_pty_stripped_and_intact),
                T(a_terminal_owned_by_someone_else_is_not_written),
                T(non_tty_pam_tty_values_are_refused),
                T(a_long_warning_is_bounded),
                T(a_full_terminal_never_blocks_the_writer),
        };
        int r = t_main_checks();

        if (r)
                return r;
        return cmocka_run_group_tests_name("enforce-tty", tests, NULL, NULL);
}
