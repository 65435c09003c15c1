"""PRIV-5 through the real su, a real pcscd with the vpcd driver and the
virtual card: a holder of the role opens its target with their own IC card
and PIN under a grant; pulling the card from the reader ends every process
of that session. (su counts as at the reader only where [card]
local_services lists it, as here.)"""
import os
import time

import broker
import card
import clients
from cases_sessions import ENDED, STUBBORN, all_gone, alive, ended_record, grant, live_session, own_terminal, pids, \
    say_mechanism
from flows import SHELL_PROMPT
from suite import case, check


def card_config(c):
    return f"""
[card]
ca_file = {c.pki}/ca.pem
crl_file = {c.pki}/crl.pem
wait = 5
local_services = login su
"""


@case("su to the role's target with the person's IC card: pulling the card ends the session (cgroup); login to it with the card is the owner's")
def card_pulled_ends_the_session(m):
    c = card.Card(m.work)
    c.make_pki()
    c.start_pcscd()
    broker.EXTRA.append(card_config(c))
    broker.ZONE_FACTORS[0] = "card+pin password+totp"
    try:
        m.kagi.restart("en")
        u = m.new_user(groups=[broker.OPS])
        m.kagi.kagictl("card", "register", u.name, "--cert", os.path.join(c.pki, "alice-rsa.pem"))
        grant(m, u, "5m")
        c.insert("alice-rsa")
        s = clients.Session(["runuser", "-u", u.name, "--", "su", broker.TARGET, "-c", STUBBORN],
                            dict(clients.ENV), timeout=30)
        own_terminal(s, u)
        s.answer(r"IC card PIN: ", "123456")
        s.wait_for("kagi-started")
        sess = live_session(m, u)
        say_mechanism(sess)
        check(sess["card_ends"], f"the session ends with its card: {sess}")
        auth = m.kagi.audit(event="auth", account=broker.TARGET, person=u.name, factor="card+pin", result="success")
        check(len(auth) == 1, f"the card login is the person's: {auth}")
        time.sleep(1)
        check(all(alive(p) for p in pids(s)), "the session runs while the card is in", s)
        t0 = time.monotonic()
        c.pull()
        s.wait_for(ENDED, timeout=15)
        s.end(timeout=15)
        all_gone(s)
        rec = ended_record(m, sess["id"])
        check("card left the reader" in rec["reason"], f"the record says the card left: {rec}")
        print(f"# card pulled to last process gone: {time.monotonic() - t0:.1f}s", flush=True)
        # PRIV-6: a direct login to the target at the console, with the
        # card: its owner is the person, and their grant opens it
        c.insert("alice-rsa")
        s = clients.login(broker.TARGET)
        s.answer(r"IC card PIN: ", "123456")
        s.wait_for(SHELL_PROMPT)
        s.p.sendline(clients.COMMAND + "; exit")
        s.end()
        check(clients.logged_in(s) == broker.TARGET, "login opened the target with the owner's card", s)
        check(not s.shows("assword"), "the target's own password was not asked for", s)
        login = m.kagi.audit(event="login", account=broker.TARGET, person=u.name, service="login")
        check(len(login) == 1, f"the direct login names the card's owner: {login}")
    finally:
        c.stop()
        broker.EXTRA.clear()
        broker.ZONE_FACTORS[0] = "password+totp"
        m.kagi.restart("en")
