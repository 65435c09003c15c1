"""Shared IDs (共用ID, SID-1) through the real su and sshd: a member logs in
to the shared ID with their own personal ID, password and code, and every
record names them; a non-member is refused, counted on their own account
and audited as misuse; the ID's own password counts for nothing; while one
member holds it, a second login is told who holds it since when. The cases
run one after another (one group): they share the one ID, one at a time."""
import json
import os
import re
import signal
import time

import broker
import clients
import machine
from cases_sessions import PERSON_CODE, PERSON_PASSWORD
from suite import case, check

PERSONAL_ID = r"Your personal ID: "
MARK = clients.MARK


def ssh_shared(*options):
    return clients.ssh(broker.SHARED, *options)


def ssh_as_member(u):
    s = ssh_shared()
    s.answer(PERSONAL_ID, u.name)
    s.answer(PERSON_PASSWORD, u.password)
    s.answer(PERSON_CODE, u.code())
    return s


@case("ssh to the shared ID: a member's personal ID, password and code; the records name the member",
      group="shared")
def member_over_ssh(m):
    u = m.new_user(groups=[broker.COUNTER])
    s = ssh_as_member(u)
    s.end()
    check(clients.logged_in(s) == broker.SHARED, f"logged in as {broker.SHARED}", s)
    check(not re.search(r"^\(\S+\) Password: $", s.transcript, re.M), "the ID's own password was never asked", s)
    for _ in range(50):
        logout = m.kagi.audit(event="logout", account=broker.SHARED, person=u.name)
        if logout:
            break
        time.sleep(0.1)
    auth = m.kagi.audit(event="auth", account=broker.SHARED, person=u.name, result="success")
    login = m.kagi.audit(event="login", account=broker.SHARED, person=u.name)
    check(len(auth) == 1 and len(login) == 1 and len(logout) == 1,
          f"auth, login and logout name {u.name}: {auth} {login} {logout}")


@case("su to the shared ID: a member's own factors; a non-member is refused, counted, audited as misuse",
      group="shared")
def member_and_not_over_su(m):
    u = m.new_user(groups=[broker.COUNTER])
    s = clients.su(u.name, broker.SHARED)
    s.answer(PERSON_PASSWORD, u.password)
    s.answer(PERSON_CODE, u.code())
    s.end()
    check(clients.logged_in(s) == broker.SHARED, "the member is in", s)
    check(s.shows(f"Password of {u.name}: "), "su asks the member's own password, by name", s)
    x = m.new_user()
    s = clients.su(x.name, broker.SHARED)
    s.answer(PERSON_PASSWORD, x.password)
    s.answer(PERSON_CODE, x.code())
    s.end()
    check(not clients.logged_in(s), "a non-member is refused", s)
    check(s.shows(f"You are not a registered member of the shared ID {broker.SHARED}"),
          "and told why", s)
    check(x.failures() == 1, f"counted on their own account: {x.failures()}")
    check(len(m.kagi.audit(event="shared-misuse", account=broker.SHARED, person=x.name)) == 1,
          "audited as misuse")


@case("the shared ID's own password is no way in, over ssh", group="shared")
def own_password_is_nothing(m):
    s = ssh_shared()
    s.answer(PERSONAL_ID, broker.SHARED)
    s.answer(r"[Pp]assword[^\n]*: ", machine.SHARED_PASSWORD)
    i = s.next_of(PERSON_CODE, r"\[press Enter\] $")
    if i == 0:
        s.p.sendline("000000")
    flows_give_up(s)
    check(not clients.logged_in(s), "refused", s)
    check(not m.kagi.audit(event="login", account=broker.SHARED, person=broker.SHARED),
          "no login of the ID by itself")


def flows_give_up(s):
    while s.next_of(r"\[press Enter\] $") == 0:
        s.p.sendline("")
    s.end()


@case("while a member holds the shared ID, a second login is told who holds it since when", group="shared")
def one_at_a_time(m):
    a = m.new_user(groups=[broker.COUNTER])
    b = m.new_user(groups=[broker.COUNTER])
    first = clients.Session(["runuser", "-u", a.name, "--", "su", broker.SHARED, "-c",
                             f"echo {MARK} $(id -un); sleep 60"], dict(clients.ENV), timeout=30)
    first.answer(PERSON_PASSWORD, a.password)
    first.answer(PERSON_CODE, a.code())
    first.wait_for(MARK)
    s = clients.su(b.name, broker.SHARED)
    s.answer(PERSON_PASSWORD, b.password)
    s.answer(PERSON_CODE, b.code())
    s.end()
    check(not clients.logged_in(s), "the second is refused", s)
    check(s.shows("This ID is already in use (since ") and s.shows(f", by {a.name})"),
          "and told who holds it, since when and where", s)
    check(b.failures() == 0, "a refusal for use, not a failure")
    # the first session's process dies without a logout (a crash): kagid
    # sees it go (its pidfd) and frees the ID, no administrator needed
    held = [x for x in json.loads(m.kagi.kagictl("session", "list", "--json").stdout)
            if x["account"] == broker.SHARED]
    check(len(held) == 1 and held[0]["person"] == a.name, f"kagictl session list names the member: {held}")
    first_session = held[0]
    os.kill(first_session["pid"], signal.SIGKILL)
    for _ in range(50):
        held = [x for x in json.loads(m.kagi.kagictl("session", "list", "--json").stdout)
                if x["account"] == broker.SHARED]
        if not held:
            break
        time.sleep(0.2)
    check(not held, f"the first session is closed by itself: {held}")
    s = clients.su(b.name, broker.SHARED)
    s.answer(PERSON_PASSWORD, b.password)
    s.answer(PERSON_CODE, b.code())
    s.end()
    check(clients.logged_in(s) == broker.SHARED, "after the first is gone, the second gets in", s)
    first.hang_up()
    rec = m.kagi.audit(event="session-end", session=first_session["id"], result="ended")
    check(rec and "gone" in rec[0]["reason"], f"the record says its processes were gone: {rec}")
