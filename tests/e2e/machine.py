"""Everything a test case uses: the sandbox, kagid, sshd, PAM services, users."""
import os
import secrets
import shutil
import threading

import broker
import pamd
import sandbox
import sshd


SHARED_PASSWORD = "pw-shared-" + secrets.token_hex(4)


class Machine:
    def __init__(self, paths):
        self.paths = paths
        self.work = sandbox.WORK
        self.kagi = broker.Kagi(paths["kagid"], paths["kagictl"], self.work)
        self.sshd = sshd.Sshd(self.work)
        self.users = {}
        self._n = 0
        self._names = threading.Lock()

    def start(self):
        sandbox.setup()
        sandbox.add_group(broker.STAFF)
        sandbox.add_group(broker.OPS)
        sandbox.add_group(broker.COUNTER)
        sandbox.add_group(pamd.OVERRIDE_GROUP)
        sandbox.add_group(pamd.SLOW_GROUP)
        sandbox.add_group(broker.APPROVERS)
        # the roles' targets: service accounts nobody logs into directly
        self.target_password = "pw-" + secrets.token_hex(6)
        sandbox.add_user(broker.TARGET, self.target_password, [broker.STAFF])
        sandbox.add_user(broker.APPROVED, "pw-" + secrets.token_hex(6), [broker.STAFF])
        # the shared ID has a password of its own, which must count for nothing
        sandbox.add_user(broker.SHARED, SHARED_PASSWORD, [broker.STAFF])
        # kagictl is also run as the suite's users: a copy they can reach
        # (the checkout may be in a 0700 directory such as /root)
        os.makedirs(self.work + "/bin", mode=0o755, exist_ok=True)
        shutil.copy(self.paths["kagictl"], self.work + "/bin/kagictl")
        self.kagi.kagictl_path = self.work + "/bin/kagictl"
        os.makedirs(broker.NOTIFIED, exist_ok=True)
        sandbox.write(broker.NOTIFY, broker.NOTIFY_TEXT, 0o755)
        self.kagi.configure("en")
        pamd.install(self.paths["examples"], self.paths["pam_kagi"], self.kagi.conf)
        self.kagi.start()
        self.sshd.start()

    def stop(self):
        self.sshd.stop()
        self.kagi.stop()
        broker.remove_cgroups()

    def new_user(self, staff=True, enroll=True, password=None, groups=()):
        """A fresh account (so no case sees another's failures): name, password, TOTP secret."""
        with self._names:
            self._n += 1
            name = f"e2e{self._n:02d}"
        password = password or "pw-" + secrets.token_hex(6)
        sandbox.add_user(name, password, ([broker.STAFF] if staff else []) + list(groups))
        secret = base32_secret()
        if enroll:
            self.kagi.enroll(name, secret)
        self.users[name] = User(self, name, password, secret)
        return self.users[name]


class User:
    def __init__(self, m, name, password, secret):
        self.m, self.name, self.password, self.secret = m, name, password, secret
        self._step = None

    def code(self):
        """A code the broker accepts once: each call takes the next time step
        (within [totp] window), because a code or an earlier one is refused
        as a replay."""
        import time
        now = int(time.time()) // 30
        self._step = now if self._step is None or self._step < now else self._step + 1
        return broker.totp(self.secret, at=self._step * 30)

    def wrong_code(self):
        right = broker.totp(self.secret)
        return "".join(str((int(c) + 5) % 10) for c in right)

    def uid(self):
        import pwd
        return pwd.getpwnam(self.name).pw_uid

    def failures(self):
        return self.m.kagi.status(self.name)["failures"]

    def locked(self):
        return self.m.kagi.status(self.name)["locked"]


def base32_secret():
    import base64
    return base64.b32encode(os.urandom(20)).decode()
