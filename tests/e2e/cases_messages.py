"""Every refusal explained: the one line that says why reaches the user of
each client — sudo although it passes PAM_SILENT, ssh although its client
escapes and hides message text (pam_kagi(8), "Messages")."""
import clients
import flows
import text
from suite import case, check


def wrong_password_is_explained(c):
    def test(m):
        u = m.new_user()
        s = c.start(m, u)
        s.answer(clients.PASSWORD, "not-" + u.password)
        c.give_up(s)
        check(not clients.logged_in(s), "refused", s)
        check(s.shows(text.EN["failed"]), "the user reads that authentication failed", s)
        check(not s.shows(text.EN["code_prompt"]), "no code is asked after a wrong password", s)
        check(u.failures() == 1, f"the wrong password is counted: {u.failures()}")
    return test


def not_admitted_is_explained(c):
    def test(m):
        u = m.new_user(staff=False)
        s = c.start(m, u)
        s.answer(clients.PASSWORD, u.password)
        s.answer(clients.CODE, u.code())
        c.give_up(s)
        check(not clients.logged_in(s), "refused", s)
        check(s.shows(text.EN["not_permitted"]), "the user reads that logging in here is not permitted", s)
        rec = m.kagi.audit(account=u.name, reason="not admitted to the zone")
        check(len(rec) == 1, f"audited as not admitted: {rec}")
    return test


def ssh_quiet_still_explains(level):
    def test(m):
        u = m.new_user()
        s = flows.Ssh().answered(m, u, u.wrong_code(), *level)
        check(s.shows(text.EN["failed"]), f"with {' '.join(level)} the refusal still shows", s)
    return test


for c in flows.ALL:
    case(f"{c.name}: a wrong password is refused with a line that says so, and counted", c.name)(
        wrong_password_is_explained(c))
    case(f"{c.name}: an account the zone does not admit reads that it may not log in here", c.name)(
        not_admitted_is_explained(c))
case("ssh -q: the refusal still reaches the user", "ssh")(ssh_quiet_still_explains(["-q"]))
case("ssh -o LogLevel=ERROR: the refusal still reaches the user", "ssh")(
    ssh_quiet_still_explains(["-o", "LogLevel=ERROR"]))
