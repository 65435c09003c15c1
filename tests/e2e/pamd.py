"""The PAM service files the suite logs in through: examples/pam.d/ as
shipped, with the module's path and the suite's config filled in, so what
the README and the examples show is what is tested."""
import os
import shutil

import sandbox
import sshd

# example file -> the service name the client reads it as
SERVICES = {
    "sshd": sshd.SERVICE,        # the name sshd was started as
    "sudo": "sudo-kagi-e2e",     # sudoers: Defaults pam_service=…
    "su": "su",                  # util-linux su has a fixed service name
    "login": "login",            # so does shadow's login
    "kagi-password": "kagi-password",  # kagid checks a person's password with it
}
# shadow's login gives up on an unanswered prompt after this (login.defs)
LOGIN_TIMEOUT = 8
# members of this group get sudo's passprompt_override: every prompt reads so
OVERRIDE_GROUP = "kagi-e2e-override"
OVERRIDE_PROMPT = "Password please: "
# members of this group get a sudo prompt that times out in 6 s
SLOW_GROUP = "kagi-e2e-slow"
SUDO_TIMEOUT = 6
SUDOERS = f"""Defaults pam_service=sudo-kagi-e2e
Defaults pam_login_service=sudo-kagi-e2e
Defaults lecture=never
# one attempt per run: each case controls every attempt it makes
Defaults passwd_tries=1
Defaults:%{OVERRIDE_GROUP} passprompt_override, passprompt="{OVERRIDE_PROMPT}"
Defaults:%{SLOW_GROUP} passwd_timeout={SUDO_TIMEOUT / 60:.2f}
%kagi-e2e-staff ALL=(ALL:ALL) ALL
"""


def service_text(example, module, conf):
    out = []
    for line in open(example):
        if "pam_kagi.so" in line and not line.lstrip().startswith("#"):
            line = line.replace("pam_kagi.so", f"{module} config={conf}", 1)
        out.append(line)
    return "".join(out)


def module_copy(module):
    """pam.d lines split at blanks, so a module path cannot hold one (a
    checkout in "/root/ka gi"): the module and its card stack, which it
    loads from its own directory, are copied into the sandbox."""
    lib = os.path.join(sandbox.WORK, "lib")
    os.makedirs(lib, exist_ok=True)
    for name in ("pam_kagi.so", "pam_kagi_card.so"):
        src = os.path.join(os.path.dirname(module), name)
        if os.path.exists(src):
            shutil.copy(src, os.path.join(lib, name))
    return os.path.join(lib, "pam_kagi.so")


def install(examples, module, conf):
    """Into the sandbox's private /etc only."""
    module = module_copy(module)
    for example, service in SERVICES.items():
        sandbox.write(f"/etc/pam.d/{service}",
                      service_text(os.path.join(examples, "pam.d", example), module, conf))
    sandbox.write("/etc/sudoers.d/kagi-e2e", SUDOERS, 0o440)
    defs = [line for line in open("/etc/login.defs") if not line.startswith("LOGIN_TIMEOUT")]
    sandbox.write("/etc/login.defs", "".join(defs) + f"LOGIN_TIMEOUT {LOGIN_TIMEOUT}\n")
