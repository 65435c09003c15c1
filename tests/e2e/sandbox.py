"""The private machine the end-to-end suite runs in.

The suite re-executes itself inside new mount, network and PID namespaces
(`unshare`). There, /etc is a copy bind-mounted over the real one, so
useradd, chpasswd, the PAM service files and the sudoers drop-in change only
the copy; /run, /home, /var/log, /var/mail and /var/lib/sudo are empty tmpfs
mounts (utmp, wtmp, lastlog, sudo's timestamps and lectures stay private);
the loopback interface is the namespace's own, so sshd can listen on port 22.
When the suite's first process exits, the kernel kills every process of the
PID namespace and drops every mount: nothing is left behind, even after a
crash.
"""
import grp
import os
import subprocess
import sys
import threading

# every path the suite writes to; a tmpfs of the namespace, so nothing outlives it
WORK = "/run/kagi-e2e"
PRIVATE_TMPFS = ["/run", "/home", "/var/log", "/var/mail", "/var/lib/sudo"]


def enter(argv):
    """Re-run this program as PID 1 of private namespaces; returns its exit code."""
    cmd = ["unshare", "--mount", "--propagation", "private", "--net", "--pid", "--fork",
           "--kill-child", "--mount-proc", sys.executable] + argv
    return subprocess.call(cmd)


def run(*cmd, **kw):
    kw.setdefault("check", True)
    return subprocess.run(list(cmd), **kw)


def _private_etc():
    os.makedirs(WORK + "/etc")
    # cp -a keeps owners and modes: sudo refuses a sudoers not owned by root
    run("cp", "-a", "/etc/.", WORK + "/etc")
    run("mount", "--bind", WORK + "/etc", "/etc")


def setup():
    """Inside the namespaces: private mounts and loopback."""
    if os.getpid() != 1:
        raise SystemExit("sandbox.setup() outside the namespaces")
    for d in PRIVATE_TMPFS:
        # a mount point that does not exist is not made: that would change the machine
        if os.path.isdir(d):
            run("mount", "-t", "tmpfs", "-o", "mode=0755", "kagi-e2e", d)
    os.makedirs(WORK, mode=0o755)
    _private_etc()
    os.makedirs("/run/sshd", mode=0o755)
    os.makedirs("/run/sudo", mode=0o711)
    # login and sshd record sessions there; they must exist to be written
    for f in ("/run/utmp", "/var/log/wtmp", "/var/log/btmp", "/var/log/lastlog"):
        open(f, "a").close()
    # as Debian has it; sshd warns about anything laxer
    os.chown("/var/log/btmp", 0, grp.getgrnam("utmp").gr_gid)
    os.chmod("/var/log/btmp", 0o660)
    run("ip", "link", "set", "lo", "up")


def add_group(name):
    run("groupadd", name)


# useradd and chpasswd lock /etc/passwd and fail rather than wait: one at a time
_accounts = threading.Lock()


def add_user(name, password, groups=()):
    args = ["useradd", "--create-home", "--shell", "/bin/sh"]
    if groups:
        args += ["--groups", ",".join(groups)]
    with _accounts:
        run(*args, name)
        run("chpasswd", input=f"{name}:{password}\n", text=True)


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
