"""A real kagid for the suite, kagictl, the audit log and TOTP codes."""
import base64
import hashlib
import hmac
import json
import os
import signal
import struct
import subprocess
import time

import sandbox

CONTACT = "the e2e help desk (ext. 1234)"
CONTACT_JA = "情報政策課（内線1234）"
PAM_TIMEOUT = 2                  # [pam] timeout: how long the module waits for kagid
STAFF = "kagi-e2e-staff"         # the zone admits this group only
OPS = "kagi-e2e-ops"             # holders of the role below
TARGET = "mnadmin"               # the role's target: privileged sessions open it
SHARED = "madoguchi01"           # a shared ID (共用ID) of the counter section
COUNTER = "kagi-e2e-counter"     # its members
CGROUP_ROOT = "kagi-e2e-" + os.urandom(4).hex()   # cgroups are the host's: one per run
GRANT_WARN = 4                   # seconds before a grant's end its session is warned
APPROVED = "mndba"               # a second role's target: its grants need another's approval
APPROVERS = "kagi-e2e-approvers"   # who approves them
NOTIFIED = "/run/kagi-e2e/notified"  # the approvers' notify command leaves a file here per event
NOTIFY = "/run/kagi-e2e/notify.sh"
NOTIFY_TEXT = f"""#!/bin/sh
env | grep '^KAGI_' | sort > {NOTIFIED}/$KAGI_GRANT_ID.$1
"""


# more kagi.conf text, for a case that needs it (the card case's [card]),
# and the zone's factor sets (the card case adds card+pin)
EXTRA = []
ZONE_FACTORS = ["password+totp"]


def config_text(work, language):
    contact = CONTACT_JA if language == "ja" else CONTACT
    return f"""[broker]
socket = {work}/kagid.sock
database = {work}/kagi.db
key_dir = {work}/keys
workers = 2
default_zone = mynumber
language = {language}
contact = {contact}
# the privileged sessions' cgroups: kagid's own, below this one (removed at the end)
cgroup_root = {CGROUP_ROOT}

[pam]
timeout = {PAM_TIMEOUT}

[directory]
backend = nss
cache_ttl = 0

[lockout]
threshold = 3

[totp]
# a code is good once: a case that needs several within one 30-second
# step (a grant, an ssh login, an su inside it) takes the next steps'
window = 3

[zone mynumber]
factors = {ZONE_FACTORS[0]}
mynumber = yes
groups = {STAFF}

# a shared ID (cases_shared.py): members only, one at a time
[shared {SHARED}]
groups = {COUNTER}

# privileged sessions (cases_sessions.py): the role's holders su and sudo
# to its target under a grant
[role {TARGET}]
targets = {TARGET}
groups = {OPS}
max_duration = 10m
warn = {GRANT_WARN}s

# grants that wait for another person's approval, or break the glass
# (cases_grants.py)
[role {APPROVED}]
targets = {APPROVED}
groups = {OPS}
max_duration = 30m
approval = yes
approvers = {APPROVERS}
break_glass = yes
notify = {NOTIFY}
""" + "".join(EXTRA)


def totp(secret_b32, at=None, digits=6, step=30):
    """RFC 6238 with SHA-1, as authenticator apps compute it."""
    key = base64.b32decode(secret_b32)
    counter = int(time.time() if at is None else at) // step
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    value = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 10 ** digits
    return str(value).zfill(digits)


def cgroup2_mount():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            if right.startswith("cgroup2 "):
                return left.split()[4]
    return None


def remove_cgroups():
    """The run's cgroups (CGROUP_ROOT): whatever is left in them killed, then removed."""
    mnt = cgroup2_mount()
    root = mnt and os.path.join(mnt, CGROUP_ROOT)
    if not root or not os.path.isdir(root):
        return
    try:
        with open(os.path.join(root, "cgroup.kill"), "w") as f:
            f.write("1")
    except OSError:
        pass
    for _ in range(50):
        with open(os.path.join(root, "cgroup.events")) as f:
            if "populated 0" in f.read():
                break
        time.sleep(0.1)
    for d, _, _ in sorted(os.walk(root), key=lambda w: -w[0].count("/")):
        try:
            os.rmdir(d)
        except OSError:
            pass


class Kagi:
    """kagid from the build tree on a socket and database in the sandbox."""

    def __init__(self, kagid, kagictl, work):
        self.kagid = kagid
        self.kagictl_path = kagictl
        self.work = work
        self.conf = work + "/kagi.conf"
        self.log = work + "/kagid.log"
        self.proc = None
        self.language = None

    def configure(self, language="en"):
        sandbox.write(self.conf, config_text(self.work, language))
        self.language = language

    def start(self):
        sock = self.work + "/kagid.sock"
        logf = open(self.log, "a")
        self.proc = subprocess.Popen([self.kagid, "-f", "-c", self.conf], stdout=logf, stderr=logf)
        logf.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("kagid exited at start:\n" + self.log_tail())
            if os.path.exists(sock) and self.kagictl("user", "list", check=False).returncode == 0:
                return
            time.sleep(0.05)
        raise RuntimeError("kagid did not answer in 10 s:\n" + self.log_tail())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            if self.proc.wait(timeout=10) != 0:
                raise RuntimeError(f"kagid exited with {self.proc.returncode}:\n" + self.log_tail())
        self.proc = None

    def restart(self, language=None):
        self.stop()
        if language:
            self.configure(language)
        self.start()

    def pause(self):
        """SIGSTOP: the socket accepts connections, nobody answers."""
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)

    def kill(self):
        """SIGKILL, as a crash or the OOM killer ends it: nothing of it runs after."""
        self.proc.kill()
        self.proc.wait()
        self.proc = None

    def kagictl(self, *args, check=True, user=None, input=None):
        """As root, or as `user` (runuser) typing `input` at its prompts."""
        argv = [self.kagictl_path, "-c", self.conf] + list(args)
        if user:
            argv = ["runuser", "-u", user, "--"] + argv
        r = subprocess.run(argv, capture_output=True, text=True, input=input)
        if check and r.returncode != 0:
            raise RuntimeError(f"kagictl {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
        return r

    def enroll(self, user, secret):
        self.kagictl("totp", "enroll", user, "--secret", secret, "--no-qr")

    def status(self, user):
        return json.loads(self.kagictl("status", user, "--json").stdout)

    def audit(self, **match):
        """The audit records (dicts) whose fields equal every key=value given."""
        records = json.loads(self.kagictl("audit", "show", "--json").stdout)
        return [r for r in records if all(r.get(k) == v for k, v in match.items())]

    def log_tail(self, n=40):
        try:
            with open(self.log, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return "(no kagid log)"
