"""A real pcscd with the vsmartcard vpcd driver and kagi's virtual card
(tests/card/vcard), inside the suite's sandbox: /run is the sandbox's, so
pcscd's socket is too, and the USB driver directory is hidden under an
empty tmpfs, so no real reader of the machine is ever touched."""
import os
import shutil
import signal
import socket
import subprocess
import time

import sandbox

READER = "Kagi Test PCD 00 00"


def _free_port_pair():
    """vpcd listens on one port per slot: P and P+1 both free."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        try:
            with socket.socket() as t:
                t.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
    raise RuntimeError("no free port pair for vpcd")


class Card:
    def __init__(self, work):
        self.dir = os.path.join(work, "card")
        self.pki = os.path.join(self.dir, "pki")
        self.pcscd = self.vcard = None
        self.port = None

    def make_pki(self):
        os.makedirs(self.dir, exist_ok=True)
        subprocess.run(["sh", os.environ["KAGI_PKI_SCRIPT"], self.pki], check=True, capture_output=True)

    def start_pcscd(self):
        driver = os.path.join(self.dir, "libifdvpcd.so")
        shutil.copy(os.environ["KAGI_VPCD_DRIVER"], driver)
        dropdir = os.environ["KAGI_PCSC_DROPDIR"]
        if os.path.isdir(dropdir):
            sandbox.run("mount", "-t", "tmpfs", "-o", "mode=0755", "kagi-e2e", dropdir)
        conf = os.path.join(self.dir, "reader.conf.d")
        os.makedirs(conf, exist_ok=True)
        self.port = _free_port_pair()
        with open(os.path.join(conf, "vpcd"), "w") as f:
            f.write(f'FRIENDLYNAME "Kagi Test PCD"\nDEVICENAME /dev/null:{self.port}\n'
                    f"LIBPATH {driver}\nCHANNELID {self.port}\n")
        log = open(os.path.join(self.dir, "pcscd.log"), "w")
        self.pcscd = subprocess.Popen([os.environ["KAGI_PCSCD"], "--foreground", "--config", conf],
                                      stdout=log, stderr=log)
        deadline = time.monotonic() + 15
        while not os.path.exists("/run/pcscd/pcscd.comm"):
            if time.monotonic() > deadline or self.pcscd.poll() is not None:
                raise RuntimeError("pcscd did not come up: " + open(log.name).read()[-2000:])
            time.sleep(0.05)

    def insert(self, name):
        """A fresh PIV card (PIN 123456) with NAME.pem / NAME.key."""
        log = open(os.path.join(self.dir, "vcard.log"), "a")
        self.vcard = subprocess.Popen(
            [os.environ["KAGI_VCARD"], "--port", str(self.port),
             "--piv-cert", os.path.join(self.pki, name + ".pem"),
             "--piv-key", os.path.join(self.pki, name + ".key"), "--piv-pin", "123456"],
            stdout=log, stderr=log)
        time.sleep(1.5)         # vpcd connects, pcscd powers the card

    def pull(self):
        """SIGUSR1: the card leaves the reader."""
        self.vcard.send_signal(signal.SIGUSR1)

    def stop(self):
        for p in (self.vcard, self.pcscd):
            if p and p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
        self.vcard = self.pcscd = None
