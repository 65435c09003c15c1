"""Privileged sessions end on time (PRIV-4, PRIV-5), through the real sudo,
su and sshd: a holder of the role asks for a short grant with kagictl, opens
a session of the role's target, and kagid ends every process of it — warned
first on its terminal, at the deadline, on revocation, on `kagictl session
end`, across a kagid killed with SIGKILL — while the person's own login
survives. Each case prints the mechanism it exercised."""
import json
import os
import re
import time

import broker
import clients
from suite import case, check

PERSON_PASSWORD = r"[Pp]assword[^\n]*: "
PERSON_CODE = r"(Verification code|確認コード)[^\n]*: "
WARNED = r"this privileged session ends in"
ENDED = r"this privileged session has ended"

# The session's command: a child that detached with setsid, one that
# ignores SIGHUP and SIGTERM alike, and the shell; their pids, then a wait.
STUBBORN = "/run/kagi-e2e/stubborn.sh"
STUBBORN_TEXT = """#!/bin/sh
setsid sleep 600 &
echo kagi-pid $!
sh -c 'trap "" HUP TERM; while :; do sleep 1; done' &
echo kagi-pid $!
echo kagi-pid $$
echo kagi-started
wait
"""


# A command that leaves a detached process behind and ends at once (its
# session logs out).
LEAVES_BEHIND = "/run/kagi-e2e/leaves-behind.sh"
LEAVES_BEHIND_TEXT = """#!/bin/sh
setsid sleep 600 </dev/null >/dev/null 2>&1 &
echo kagi-pid $!
echo kagi-started
"""


@case("language = en: kagid restarted in English for the session cases", always=True)
def english(m):
    m.kagi.restart("en")
    with open(STUBBORN, "w") as f:
        f.write(STUBBORN_TEXT)
    os.chmod(STUBBORN, 0o755)
    with open(LEAVES_BEHIND, "w") as f:
        f.write(LEAVES_BEHIND_TEXT)
    os.chmod(LEAVES_BEHIND, 0o755)


def own_terminal(s, u):
    """The pty pexpect made is root's; a real login's is the person's, and
    kagid writes warnings only to a terminal its session's person owns."""
    tty = os.readlink(f"/proc/{s.p.pid}/fd/0")
    os.chown(tty, u.uid(), -1)


def grant(m, u, span, reason="e2e: maintenance of the My Number system"):
    """u asks for the role with kagictl, typing their password and code."""
    r = m.kagi.kagictl("grant", "request", broker.TARGET, "--for", span, "--reason", reason, "--json",
                       user=u.name, input=f"{u.password}\n{u.code()}\n", check=False)
    check(r.returncode == 0, f"kagictl grant request: exit {r.returncode}: {r.stdout}{r.stderr}")
    g = json.loads(r.stdout)
    check(g["state"] == "active", f"the grant is active: {g}")
    return g


def sudo_target(u, command=STUBBORN):
    s = clients.Session(["runuser", "-u", u.name, "--", "sudo", "-k", "-u", broker.TARGET, command],
                        dict(clients.ENV), timeout=30)
    own_terminal(s, u)
    return s


def su_target(u, command=STUBBORN):
    s = clients.Session(["runuser", "-u", u.name, "--", "su", broker.TARGET, "-c", command],
                        dict(clients.ENV), timeout=30)
    own_terminal(s, u)
    return s


def log_in_as_person(s, u):
    """sudo asks u's own factors; su to the target asks them by name."""
    s.answer(PERSON_PASSWORD, u.password)
    s.answer(PERSON_CODE, u.code())
    s.wait_for("kagi-started")


def pids(s):
    return [int(p) for p in re.findall(r"^kagi-pid (\d+)$", s.transcript, re.M)]


def alive(pid):
    """Running, not a zombie waiting for the namespace's init to reap it."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def live_session(m, u, account=broker.TARGET):
    r = m.kagi.kagictl("session", "list", "--json")
    found = [x for x in json.loads(r.stdout) if x["person"] == u.name and x["account"] == account]
    check(len(found) == 1, f"kagictl session list shows one session of {account} by {u.name}: {r.stdout}")
    return found[0]


def ended_record(m, sid, timeout=10):
    """The audit record of the session's end, once its last process is gone."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rec = m.kagi.audit(event="session-end", session=sid, result="ended")
        if rec:
            return rec[0]
        time.sleep(0.2)
    raise AssertionError(f"no session-end record for {sid}; its records: {m.kagi.audit(session=sid)}")


def all_gone(s, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(alive(p) for p in pids(s)):
        time.sleep(0.1)
    left = [p for p in pids(s) if alive(p)]
    check(not left, f"every process of the session ended; still running: {left}", s)


def say_mechanism(sess):
    print(f"# mechanism: {sess['mechanism']} ({sess['cgroup']})", flush=True)


@case("sudo under a grant: warned on its terminal, then every process ends at the deadline (setsid, SIGHUP ignored)",
      group="sessions-sudo")
def sudo_session_ends_at_the_deadline(m):
    u = m.new_user(groups=[broker.OPS])
    g = grant(m, u, "12s")
    s = sudo_target(u)
    log_in_as_person(s, u)
    sess = live_session(m, u)
    say_mechanism(sess)
    check(sess["grant"] == g["id"] and sess["deadline"] == g["ends"],
          f"the session carries the grant and its deadline: {sess} / {g}")
    check(sess["mechanism"] in ("cgroup", "systemd-scope"), f"bounded by a cgroup of its own: {sess}")
    check(len(pids(s)) == 3, "the session started its three processes", s)
    s.wait_for(WARNED, timeout=15)
    check(s.shows("kagictl grant extend"), "the warning says how to extend", s)
    s.wait_for(ENDED, timeout=15)
    s.end(timeout=15)
    all_gone(s)
    rec = ended_record(m, sess["id"])
    check("expired" in rec["reason"], f"the record says it ended at the deadline: {rec}")
    check(not m.kagi.audit(event="session-end", session=sess["id"], result="ended", account=u.name),
          "the record names the target account, not the person's own")
    warn = m.kagi.audit(event="session-warn", session=sess["id"])
    check(len(warn) == 1, f"one warning recorded: {warn}")


@case("su under a grant: revoking the grant ends the session at once", group="sessions-su")
def su_session_ends_on_revoke(m):
    u = m.new_user(groups=[broker.OPS])
    g = grant(m, u, "5m")
    s = su_target(u)
    log_in_as_person(s, u)
    sess = live_session(m, u)
    say_mechanism(sess)
    check(sess["grant"] == g["id"], f"the session is the grant's: {sess}")
    t0 = time.monotonic()
    m.kagi.kagictl("grant", "revoke", str(g["id"]), "--reason", "e2e: the task is done")
    s.wait_for(ENDED, timeout=10)
    s.end(timeout=15)
    all_gone(s)
    took = time.monotonic() - t0
    rec = ended_record(m, sess["id"])
    check("revoked" in rec["reason"], f"the record says the grant was revoked: {rec}")
    print(f"# revoke to last process gone: {took:.1f}s", flush=True)


@case("ssh as oneself, su under a grant inside: kagictl session end ends the su, the ssh login goes on",
      group="sessions-ssh")
def session_end_leaves_the_own_login(m):
    u = m.new_user(groups=[broker.OPS])
    grant(m, u, "5m")
    argv = ["ssh", "-tt", "-F", "/dev/null", "-p", str(clients.sshd.PORT),
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "PreferredAuthentications=keyboard-interactive", f"{u.name}@127.0.0.1"]
    s = clients.Session(argv, dict(clients.ENV, HOME="/run/kagi-e2e"), timeout=30)
    s.answer(clients.PASSWORD, u.password)
    s.answer(clients.CODE, u.code())
    s.wait_for(r"\$ ")
    own = live_session(m, u, account=u.name)
    s.p.sendline(f"su {broker.TARGET} -c {STUBBORN}")
    log_in_as_person(s, u)
    sess = live_session(m, u)
    say_mechanism(sess)
    r = m.kagi.kagictl("session", "end", sess["id"], "--reason", "e2e: end of the maintenance window")
    check("is ending" in r.stdout, f"kagictl says the session is ending: {r.stdout}")
    s.wait_for(ENDED, timeout=10)
    s.wait_for(r"\$ ", timeout=15)
    all_gone(s)
    rec = ended_record(m, sess["id"])
    check("end of the maintenance window" in rec["reason"], f"the record says who ended it and why: {rec}")
    s.p.sendline("echo still-logged-in-$(id -un)")
    s.wait_for(f"still-logged-in-{u.name}")
    live_session(m, u, account=u.name)
    s.p.sendline("exit")
    s.end()
    check(not own.get("cgroup"), f"the own login has no cgroup of kagi's: {own}")


@case("kagid killed with SIGKILL mid-session and started again still ends the session on time")
def restart_keeps_the_deadline(m):
    u = m.new_user(groups=[broker.OPS])
    g = grant(m, u, "15s")
    s = sudo_target(u)
    log_in_as_person(s, u)
    sess = live_session(m, u)
    say_mechanism(sess)
    m.kagi.kill()
    time.sleep(1)
    m.kagi.start()
    s.wait_for(ENDED, timeout=30)
    ended_at = time.time()
    s.end(timeout=15)
    all_gone(s)
    rec = ended_record(m, sess["id"])
    check("expired" in rec["reason"], f"ended at the deadline after the restart: {rec}")
    ends = time.mktime(time.strptime(g["ends"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    check(ended_at - ends < 6, f"ended {ended_at - ends:.1f}s after the deadline")


@case("what a logged-out privileged session left behind still ends at the deadline, across a kagid restart")
def leftover_after_logout_and_restart(m):
    u = m.new_user(groups=[broker.OPS])
    grant(m, u, "12s")
    s = sudo_target(u, command=LEAVES_BEHIND)
    log_in_as_person(s, u)
    s.end(timeout=15)
    left = pids(s)
    check(len(left) == 1 and alive(left[0]), "sudo ended and left a detached process behind", s)
    sid = [r for r in m.kagi.audit(event="logout", account=broker.TARGET, person=u.name)]
    check(len(sid) == 1, f"the logout was recorded: {sid}")
    m.kagi.kill()
    time.sleep(1)
    m.kagi.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and alive(left[0]):
        time.sleep(0.2)
    check(not alive(left[0]), "the process left behind ended at the grant's deadline after the restart")
    rec = ended_record(m, sid[0]["session"])
    check("expired" in rec["reason"], f"the record says it ended at the deadline: {rec}")


@case("a deadline that passed while kagid was down ends the session as kagid starts")
def overdue_at_start(m):
    u = m.new_user(groups=[broker.OPS])
    grant(m, u, "6s")
    s = sudo_target(u)
    log_in_as_person(s, u)
    sess = live_session(m, u)
    say_mechanism(sess)
    m.kagi.kill()
    time.sleep(7)
    check(all(alive(p) for p in pids(s)), "nothing ends it while kagid is down", s)
    t0 = time.monotonic()
    m.kagi.start()
    s.wait_for(ENDED, timeout=10)
    s.end(timeout=15)
    all_gone(s)
    rec = ended_record(m, sess["id"])
    check("expired" in rec["reason"], f"ended as overdue: {rec}")
    print(f"# start to last process gone: {time.monotonic() - t0:.1f}s", flush=True)


@case("kagictl grant extend moves the deadline of the session already open", group="sessions-su")
def extend_moves_the_open_session(m):
    u = m.new_user(groups=[broker.OPS])
    g = grant(m, u, "10s")
    s = su_target(u)
    log_in_as_person(s, u)
    sess = live_session(m, u)
    r = m.kagi.kagictl("grant", "extend", str(g["id"]), "--by", "1m", "--reason", "e2e: the task runs long",
                       user=u.name, input=f"{u.password}\n{u.code()}\n", check=False)
    check(r.returncode == 0, f"kagictl grant extend: exit {r.returncode}: {r.stdout}{r.stderr}")
    moved = live_session(m, u)
    check(moved["deadline"] != sess["deadline"], f"the session's deadline moved: {sess['deadline']} -> {moved}")
    time.sleep(13)
    check(all(alive(p) for p in pids(s)), "past the first deadline the session goes on", s)
    m.kagi.kagictl("grant", "revoke", str(g["id"]), "--reason", "e2e: done")
    s.wait_for(ENDED, timeout=10)
    s.end(timeout=15)
    all_gone(s)
