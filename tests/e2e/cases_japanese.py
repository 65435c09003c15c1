"""[broker] language = ja: every line a user reads, in Japanese that each
client shows readably — over ssh too, where the client octal-escapes
message text (pam_kagi(8), "Messages")."""
import clients
import flows
import text
from suite import case, check


def switch_to_japanese(m):
    m.kagi.restart(language="ja")
    check(m.kagi.kagictl("user", "list").returncode == 0, "kagid answers after the restart")


def readable(s):
    check(not text.escaped(s.transcript), "no octal escapes where Japanese should be", s)


def wrong_code_in_japanese(c, *options):
    def test(m):
        u = m.new_user()
        s = c.answered(m, u, u.wrong_code(), *options)
        check(s.shows(text.JA["code_prompt"]), "the code prompt reads 確認コード", s)
        check(s.shows(text.JA["failed"]), "the refusal reads 認証に失敗しました。", s)
        readable(s)
    return test


def lock_in_japanese(c):
    def test(m):
        u = m.new_user()
        for _ in range(3):
            s = c.answered(m, u, u.wrong_code())
        check(s.shows(text.JA["now_locked"]), "the third failure says the account is locked, whom to contact", s)
        readable(s)
        s = c.start(m, u)
        c.give_up(s)
        check(s.shows(text.JA["locked"]), "a locked account reads that it is locked and whom to contact", s)
        readable(s)
    return test


def password_at_code_prompt_in_japanese(c):
    def test(m):
        u = m.new_user()
        s = c.answered(m, u, u.password)
        check(s.shows(text.JA["code_is_password"]), "the code prompt is explained in Japanese", s)
        readable(s)
    return test


def unavailable_in_japanese(m):
    u = m.new_user()
    try:
        m.kagi.stop()
        s = clients.ssh(u.name)
        flows.Ssh().give_up(s)
    finally:
        m.kagi.start()
    check(s.shows(text.JA["unavailable"]), "the outage reads in Japanese over ssh", s)
    readable(s)


case("language = ja: kagid restarted in Japanese", always=True)(switch_to_japanese)
for c in flows.ALL:
    case(f"{c.name} in Japanese: the code prompt and a refusal are readable", c.name)(wrong_code_in_japanese(c))
    case(f"{c.name} in Japanese: the lock and whom to contact are readable", c.name)(lock_in_japanese(c))
    case(f"{c.name} in Japanese: the password at the code prompt is explained", c.name)(
        password_at_code_prompt_in_japanese(c))
case("ssh -q in Japanese: the refusal is readable", "ssh")(wrong_code_in_japanese(flows.Ssh(), "-q"))
case("ssh in Japanese: with kagid stopped, the outage is readable")(unavailable_in_japanese)
