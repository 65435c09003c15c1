#!/usr/bin/python3
"""kagi's end-to-end suite: real sshd, sudo, su and login, real users, a real
kagid, in private namespaces (sandbox.py). Run by meson (suite e2e) as root:

    meson test -C build --suite e2e --print-errorlogs
    meson test -C build --suite e2e --test-args sudo     # cases naming "sudo"
    KAGI_E2E_SHOW=1 meson test -C build --suite e2e -v   # every terminal shown

Speaks TAP. The paths of kagid, kagictl, pam_kagi.so and examples/ come from
the environment meson sets (tests/e2e/meson.build).
"""
import importlib
import os
import sys

sys.dont_write_bytecode = True      # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import sandbox  # noqa: E402

# the files of cases, in the order they run
CASES = ["cases_login", "cases_messages", "cases_prompts", "cases_japanese", "cases_docs", "cases_sessions", "cases_grants", "cases_shared", "cases_card"]


def paths():
    need = {"kagid": "KAGID", "kagictl": "KAGICTL", "pam_kagi": "PAM_KAGI", "examples": "KAGI_EXAMPLES"}
    missing = [v for v in need.values() if not os.environ.get(v)]
    if missing:
        sys.exit(f"e2e: {', '.join(missing)} not set: run through meson (meson test --suite e2e)")
    return {k: os.environ[v] for k, v in need.items()}


def main():
    if os.environ.get("KAGI_E2E_SKIP"):
        print("1..0 # SKIP " + os.environ["KAGI_E2E_SKIP"])
        return 0
    if os.geteuid() != 0:
        print("1..0 # SKIP the end-to-end suite runs as root (it starts sshd and adds users)")
        return 0
    p = paths()
    if os.getpid() != 1:
        return sandbox.enter([os.path.abspath(__file__)] + sys.argv[1:])

    import machine
    import suite
    for cases in CASES:
        importlib.import_module(cases)      # registers its cases, in this order

    m = machine.Machine(p)
    m.start()
    m.invoker = m.new_user(enroll=False)     # who runs su
    try:
        failed = suite.run(m, sys.argv[1] if len(sys.argv) > 1 else None)
    finally:
        m.stop()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
