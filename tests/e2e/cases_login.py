"""What works through every client: a right login, a wrong code, the lock,
and a broker that is down — each as the user sees it and as the audit log
records it."""
import time

import broker
import clients
import flows
from suite import case, check


def right_login_is_audited(c):
    def test(m):
        u = m.new_user()
        s = c.start(m, u)
        who = c.log_in(s, u, u.code())
        check(who == c.session_account(u), f"{c.name}: logged in as {c.session_account(u)}", s)
        check(s.shows("Verification code: "), "kagi asked for the code", s)
        person = c.person(m, u)
        # sshd closes the session when the connection has gone: allow it a moment
        for _ in range(50):
            logout = m.kagi.audit(event="logout", person=person, service=c.service)
            if logout:
                break
            time.sleep(0.1)
        auth = m.kagi.audit(event="auth", account=u.name, service=c.service)
        check([a["result"] for a in auth] == ["success"], f"one successful auth record, got {auth}")
        check(auth[0]["factor"] == "password+totp" and auth[0]["person"] == person,
              f"auth record names factor password+totp and person {person}: {auth[0]}")
        login = m.kagi.audit(event="login", person=person, service=c.service)
        check(len(login) == 1 and login[0]["account"] == c.session_account(u),
              f"one login record for {c.session_account(u)} by {person}: {login}")
        check(len(logout) == 1 and logout[0]["session"] == login[0]["session"],
              f"the logout record closes the login's session: {logout}")
        check(u.failures() == 0, "nothing counted")
    return test


def wrong_code_is_refused_and_counted(c):
    def test(m):
        u = m.new_user()
        s = c.answered(m, u, u.wrong_code())
        check(not clients.logged_in(s), f"{c.name} refused the login", s)
        check(s.shows("Authentication failed."), "the user is told the login failed", s)
        check(u.failures() == 1, f"one failure counted, got {u.failures()}")
        rec = m.kagi.audit(event="auth", account=u.name, result="failure")
        check(len(rec) == 1 and rec[0]["reason"] == "wrong code", f"audited as a wrong code: {rec}")
    return test


def third_failure_locks(c):
    def test(m):
        u = m.new_user()
        for _ in range(3):
            s = c.answered(m, u, u.wrong_code())
            check(not clients.logged_in(s), "refused", s)
        check(s.shows("The account is now locked; contact " + broker.CONTACT),
                  "the third failure says the account is now locked and whom to contact", s)
        check(u.locked(), "the account is locked")
        check(len(m.kagi.audit(event="lock", account=u.name)) == 1, "the lock is audited")
        # locked: refused before any password is asked, even with the right factors
        s = c.start(m, u)
        c.give_up(s)
        check(not clients.logged_in(s), "a locked account is refused", s)
        check(s.shows("This account is locked after repeated failed logins. Contact " + broker.CONTACT),
                  "the user reads that the account is locked and whom to contact", s)
        check(not s.shows("Verification code"), "no code is asked of a locked account", s)
    return test


def broker_down_is_unavailable(c):
    def test(m):
        u = m.new_user()
        msg = "The authentication service is unavailable. Try again later or contact " + broker.CONTACT
        try:
            m.kagi.stop()
            t0 = time.monotonic()
            s = c.start(m, u)
            c.give_up(s)
            check(not clients.logged_in(s), "refused while kagid is stopped", s)
            check(s.shows(msg), "the user reads that the service is unavailable", s)
            check(time.monotonic() - t0 < broker.PAM_TIMEOUT + 4, "refused at once when nothing listens")
        finally:
            m.kagi.start()
        try:
            m.kagi.pause()
            t0 = time.monotonic()
            s = c.start(m, u)
            c.give_up(s)
            check(not clients.logged_in(s), "refused while kagid does not answer", s)
            took = time.monotonic() - t0
            check(s.shows(msg), "the user reads that the service is unavailable", s)
            check(took < broker.PAM_TIMEOUT + 4, f"refused within [pam] timeout ({broker.PAM_TIMEOUT} s): {took:.1f} s")
        finally:
            m.kagi.resume()
    return test


for c in flows.ALL:
    case(f"{c.name}: the right password and code log in; auth, login and logout are audited", c.name)(
        right_login_is_audited(c))
    case(f"{c.name}: a wrong code is refused and counted", c.name)(wrong_code_is_refused_and_counted(c))
    case(f"{c.name}: the third failure locks the account; a locked account is refused", c.name)(
        third_failure_locks(c))
# these stop kagid: alone
for c in flows.ALL:
    case(f"{c.name}: with kagid stopped or hung, the login is refused as unavailable")(broker_down_is_unavailable(c))
