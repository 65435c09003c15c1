"""A real sshd on the namespace's loopback, with a PAM service of its own.

OpenSSH 9.2 takes its PAM service name from the name it was started as:
started through the symlink WORK/sshd-kagi-e2e it reads
/etc/pam.d/sshd-kagi-e2e.
"""
import os
import socket
import subprocess
import time

import sandbox

SERVICE = "sshd-kagi-e2e"
PORT = 22

CONFIG = """Port {port}
ListenAddress 127.0.0.1
HostKey {work}/ssh_host_ed25519_key
PidFile {work}/sshd.pid
UsePAM yes
KbdInteractiveAuthentication yes
PasswordAuthentication no
PubkeyAuthentication no
AuthenticationMethods keyboard-interactive
PermitRootLogin no
LoginGraceTime 30
"""


class Sshd:
    def __init__(self, work):
        self.work = work
        self.log = work + "/sshd.log"
        self.proc = None

    def start(self):
        exe = f"{self.work}/{SERVICE}"
        cfg = f"{self.work}/sshd_config"
        os.symlink("/usr/sbin/sshd", exe)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                        f"{self.work}/ssh_host_ed25519_key"], check=True)
        sandbox.write(cfg, CONFIG.format(port=PORT, work=self.work))
        subprocess.run([exe, "-t", "-f", cfg], check=True)
        logf = open(self.log, "w")
        self.proc = subprocess.Popen([exe, "-D", "-e", "-f", cfg], stdout=logf, stderr=logf)
        logf.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", PORT), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("sshd did not listen:\n" + open(self.log).read())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
