"""The real clients, run on a terminal (pexpect) the way a user runs them.

Each returns a Session; tests answer its prompts and assert on its
transcript: the text the user's terminal showed.
"""
import io
import re
import threading

import pexpect

import sshd

# a logged-in client runs this; its output proves the login and the account
MARK = "kagi-e2e-ok"
COMMAND = f"echo {MARK} $(id -un)"

PASSWORD = r"(Password|password for \S+): "
CODE = r"(Verification code|確認コード): "
ENV = {"LANG": "C.UTF-8", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "TERM": "dumb"}

# the sessions the current case started (per thread: cases run side by side)
_seen = threading.local()


def sessions_seen():
    """The sessions started on this thread since the last call."""
    seen, _seen.list = getattr(_seen, "list", []), []
    return seen


class Session:
    def __init__(self, argv, env, timeout=15):
        self.argv = argv
        self._out = io.StringIO()
        self.p = pexpect.spawn(argv[0], argv[1:], env=env, encoding="utf-8",
                               codec_errors="replace", timeout=timeout, dimensions=(24, 200))
        self.p.logfile_read = self._out
        self.status = None
        if not hasattr(_seen, "list"):
            _seen.list = []
        _seen.list.append(self)

    @property
    def transcript(self):
        return self._out.getvalue().replace("\r", "")

    def wait_for(self, pattern, timeout=-1):
        """Wait for text (a regex) on the terminal; returns what came before it."""
        try:
            self.p.expect(pattern, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF) as e:
            kind = "timed out" if isinstance(e, pexpect.TIMEOUT) else "ended"
            raise AssertionError(f"{self.argv[0]} {kind} waiting for /{pattern}/; the terminal showed:\n"
                                 + self.transcript) from None
        return self.p.before

    def next_of(self, *patterns, timeout=-1):
        """Which of the patterns the terminal shows next (its index), or None
        when the client ends first."""
        try:
            i = self.p.expect(list(patterns) + [pexpect.EOF], timeout=timeout)
        except pexpect.TIMEOUT:
            raise AssertionError(f"{self.argv[0]} timed out waiting for one of {patterns}; the terminal showed:\n"
                                 + self.transcript) from None
        return None if i == len(patterns) else i

    def answer(self, pattern, text):
        self.wait_for(pattern)
        self.p.sendline(text)

    def interrupt(self):
        self.p.sendcontrol("c")

    def send_eof(self):
        self.p.sendeof()

    def end(self, timeout=20):
        """Wait until the client exits; its exit status (128+N for signal N)."""
        try:
            self.p.expect(pexpect.EOF, timeout=timeout)
        except pexpect.TIMEOUT:
            self.p.close(force=True)
            raise AssertionError(f"{self.argv[0]} did not exit; the terminal showed:\n" + self.transcript) from None
        self.p.close()
        self.status = self.p.exitstatus if self.p.exitstatus is not None else 128 + self.p.signalstatus
        return self.status

    def hang_up(self):
        """Close the terminal (SIGHUP), as a closed window does."""
        self.p.close(force=True)
        self.status = 128 + (self.p.signalstatus or 1)
        return self.status

    def shows(self, text):
        return text in self.transcript

    def lines(self):
        return [line for line in self.transcript.split("\n") if line.strip()]


def ssh(user, *options, command=COMMAND):
    argv = ["ssh", "-F", "/dev/null", "-p", str(sshd.PORT),
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "PreferredAuthentications=keyboard-interactive",
            "-o", "NumberOfPasswordPrompts=1"] + list(options) + [f"{user}@127.0.0.1", command]
    return Session(argv, dict(ENV, HOME="/run/kagi-e2e"))


def sudo(user, *options, command=COMMAND):
    # -k: always authenticate (no cached credentials)
    argv = ["runuser", "-u", user, "--", "sudo", "-k"] + list(options) + ["sh", "-c", command]
    return Session(argv, dict(ENV))


def su(user, target, command=COMMAND):
    # su run by root would skip authentication (pam_rootok): run it as the user
    return Session(["runuser", "-u", user, "--", "su", target, "-c", command], dict(ENV))


def login(user):
    return Session(["login", user], dict(ENV))


def logged_in(s):
    """The client reached the user's command; its account name."""
    m = re.search("^" + MARK + r" (\S+)$", s.transcript, re.M)
    return m.group(1) if m else None
