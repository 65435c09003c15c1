"""Privileged access by grant (PRIV-1, PRIV-2, PRIV-4, PRIV-6) through the
real sudo, su and sshd: a role's target opens only under a grant of the
person behind the login; without one the user is told how to ask; inline
in sudo the grant is asked for in the same conversation, and the command
runs without a second code; a role that needs approval waits for another
person's; break-glass tells the approvers; a direct login to the target
with its own password and code is refused."""
import json
import os
import re
import time

import broker
import clients
import machine
from cases_sessions import PERSON_CODE, PERSON_PASSWORD
from suite import case, check

REASON = r"Reason for privileged access \(\S+\): "
DURATION = r"For how long \(e\.g\. 30m; at most \d+ minutes\): "
NEED_GRANT = "Privileged access needs a grant. Ask for one: kagictl grant request "


def sudo_to(u, target, *inline):
    """sudo to target with u's password and code, then the inline request's
    answers (a reason, a duration), if any; the session once sudo is done."""
    s = clients.sudo(u.name, "-u", target)
    s.answer(clients.PASSWORD, u.password)
    s.answer(clients.CODE, u.code())
    for prompt, text in zip((REASON, DURATION), inline):
        s.answer(prompt, text)
    s.end()
    return s


def notified(grant_id, event, timeout=5):
    """What the approvers' notify command was told (KAGI_* lines), once it ran."""
    path = os.path.join(broker.NOTIFIED, f"{grant_id}.{event}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path) and os.path.getsize(path):
            return dict(line.split("=", 1) for line in open(path).read().splitlines())
        time.sleep(0.1)
    raise AssertionError(f"the approvers were not notified of {event} (no {path})")


def ctl_as(m, u, *args):
    """kagictl run by u, who proves their own password and code."""
    r = m.kagi.kagictl(*args, user=u.name, input=f"{u.password}\n{u.code()}\n", check=False)
    check(r.returncode == 0, f"kagictl {' '.join(args)} as {u.name}: exit {r.returncode}: {r.stdout}{r.stderr}")
    return r


@case("sudo to a role's target without a grant: declining the inline request is refused with how to ask",
      group="grants-sudo")
def sudo_without_a_grant(m):
    u = m.new_user(groups=[broker.OPS])
    s = sudo_to(u, broker.TARGET, "")
    check(not clients.logged_in(s), "sudo did not run the command", s)
    check(s.shows(NEED_GRANT + broker.TARGET), "the user is told how to ask for a grant (sudo passes PAM_SILENT)", s)
    denied = m.kagi.audit(event="account", account=broker.TARGET, person=u.name, result="denied")
    check(len(denied) == 1, f"the refusal is audited, naming the person: {denied}")
    check(u.failures() == 0, "declining is no failed login")


@case("sudo asks for the grant inline: reason and duration, and the command runs without a second code",
      group="grants-sudo")
def sudo_inline_grant(m):
    u = m.new_user(groups=[broker.OPS])
    s = sudo_to(u, broker.TARGET, "e2e: rotate the audit log", "5m")
    check(clients.logged_in(s) == broker.TARGET, "the same sudo ran the command as the target", s)
    check(len(re.findall(clients.CODE, s.transcript)) == 1, "no second code was asked", s)
    req = m.kagi.audit(event="grant-request", person=u.name, result="active")
    check(len(req) == 1 and "rotate the audit log" in req[0]["reason"], f"the request is audited: {req}")
    use = m.kagi.audit(event="grant-use", account=broker.TARGET, person=u.name)
    check(len(use) == 1, f"its use names the person: {use}")
    # the grant stands: the next sudo asks the person's factors only
    s = sudo_to(u, broker.TARGET)
    check(clients.logged_in(s) == broker.TARGET and not s.shows("Reason for"), "the grant opens it again", s)


@case("a role that needs approval: sudo is told the request waits, and runs once another person approves",
      group="grants-approval")
def approval_by_another(m):
    u = m.new_user(groups=[broker.OPS])
    approver = m.new_user(groups=[broker.APPROVERS])
    s = sudo_to(u, broker.APPROVED, "e2e: restore a table", "10m")
    check(not clients.logged_in(s), "nothing runs while the request waits", s)
    check(s.shows("waits for approval by another person"), "the user is told it waits for approval", s)
    pending = json.loads(m.kagi.kagictl("grant", "list", "--pending", "--json").stdout)
    mine = [g for g in pending if g["person"] == u.name]
    check(len(mine) == 1 and mine[0]["state"] == "pending", f"kagictl grant list --pending shows it: {pending}")
    gid = str(mine[0]["id"])
    told = notified(gid, "request")
    check(told.get("KAGI_PERSON") == u.name and told.get("KAGI_STATE") == "pending",
          f"the approvers' command was told who asks: {told}")
    r = m.kagi.kagictl("grant", "approve", gid, user=u.name, input=f"{u.password}\n{u.code()}\n", check=False)
    check(r.returncode != 0 and "nobody approves their own grant" in r.stdout + r.stderr,
          f"the requester cannot approve their own: {r.stdout}{r.stderr}")
    r = ctl_as(m, approver, "grant", "approve", gid)
    check("active" in r.stdout, f"approved: {r.stdout}")
    s = sudo_to(u, broker.APPROVED)
    check(clients.logged_in(s) == broker.APPROVED, "after approval sudo runs the command", s)
    ok = m.kagi.audit(event="grant-approve", person=approver.name)
    check(len(ok) == 1, f"the approval names the approver: {ok}")


@case("break-glass: active at once with its reason, the approvers told, and flagged; su opens the target",
      group="grants-approval")
def break_glass(m):
    u = m.new_user(groups=[broker.OPS])
    r = ctl_as(m, u, "grant", "request", broker.APPROVED, "--for", "5m", "--reason", "e2e: outage at the counter",
               "--break-glass", "--json")
    g = json.loads(r.stdout)
    check(g["state"] == "active" and g["break_glass"], f"active at once, flagged: {g}")
    told = notified(str(g["id"]), "break-glass")
    check(told.get("KAGI_REASON") == "e2e: outage at the counter", f"the approvers were told why: {told}")
    check(len(m.kagi.audit(event="break-glass", person=u.name)) == 1, "break-glass is an audit record of its own")
    s = clients.su(u.name, broker.APPROVED)
    s.answer(PERSON_PASSWORD, u.password)
    s.answer(PERSON_CODE, u.code())
    s.end()
    check(clients.logged_in(s) == broker.APPROVED, "su opens the target under the break-glass grant", s)


@case("ssh straight to a role's target with its own password and code: refused, no individual is proved",
      group="grants-ssh")
def direct_login_to_the_target(m):
    secret = machine.base32_secret()
    m.kagi.enroll(broker.TARGET, secret)
    s = clients.ssh(broker.TARGET)
    # the target's own password is no factor: it is never asked for
    while s.next_of(clients.PASSWORD, clients.CODE, r"\[press Enter\]") in (0, 1):
        s.p.sendline(m.target_password if "assword" in s.p.after else broker.totp(secret))
    s.p.sendline("")
    s.end()
    check(not clients.logged_in(s), "sshd did not log the target in", s)
    check(s.shows("This account is reached only from your own"), "the user is told how the target is reached", s)
    check(not s.shows("assword"), "the target's own password was not asked for", s)
    logins = m.kagi.audit(event="login", account=broker.TARGET)
    check(not [r for r in logins if r.get("person") == broker.TARGET], f"no login of the target by itself: {logins}")
    m.kagi.kagictl("totp", "remove", broker.TARGET)


@case("Ctrl-C at kagictl's password prompt leaves the terminal echoing, and asks for nothing",
      group="grants-ssh")
def interrupted_prompt_restores_echo(m):
    u = m.new_user(groups=[broker.OPS])
    ctl = f"{m.kagi.kagictl_path} -c {m.kagi.conf}"
    script = (f"trap 'echo kagi-interrupted' INT; {ctl} grant request {broker.TARGET} --for 5m --reason e2e; "
              "stty -a | tr ' ' '\\n' | grep -x -- '-*echo'")
    s = clients.Session(["runuser", "-u", u.name, "--", "sh", "-c", script], dict(clients.ENV))
    s.wait_for(r"Your password: ")
    time.sleep(0.5)
    s.interrupt()
    s.wait_for("kagi-interrupted")
    s.end()
    check(re.search(r"^echo$", s.transcript, re.M) and not re.search(r"^-echo$", s.transcript, re.M),
          "the terminal echoes again after Ctrl-C", s)
    check(not m.kagi.audit(event="grant-request", person=u.name), "nothing was asked of kagid")
