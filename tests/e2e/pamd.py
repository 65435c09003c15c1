"""The PAM service files the suite logs in through: examples/pam.d/ as
shipped, with the module's path and the suite's config filled in, so what
the README and the examples show is what is tested."""
import os

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
SUDOERS = f"""Defaults pam_service=sudo-kagi-e2e
Defaults pam_login_service=sudo-kagi-e2e
Defaults lecture=never
# one attempt per run: each case controls every attempt it makes
Defaults passwd_tries=1
Defaults:%{OVERRIDE_GROUP} passprompt_override, passprompt="{OVERRIDE_PROMPT}"
%kagi-e2e-staff ALL=(ALL:ALL) ALL
"""


def service_text(example, module, conf):
    out = []
    for line in open(example):
        if "pam_kagi.so" in line and not line.lstrip().startswith("#"):
            line = line.replace("pam_kagi.so", f"{module} config={conf}", 1)
        out.append(line)
    return "".join(out)


def install(examples, module, conf):
    """Into the sandbox's private /etc only."""
    for example, service in SERVICES.items():
        sandbox.write(f"/etc/pam.d/{service}",
                      service_text(os.path.join(examples, "pam.d", example), module, conf))
    sandbox.write("/etc/sudoers.d/kagi-e2e", SUDOERS, 0o440)
    defs = [line for line in open("/etc/login.defs") if not line.startswith("LOGIN_TIMEOUT")]
    sandbox.write("/etc/login.defs", "".join(defs) + f"LOGIN_TIMEOUT {LOGIN_TIMEOUT}\n")
