"""A tiny test runner speaking TAP (meson's `protocol : 'tap'`): cases run in
the order they were declared, each reported as it ends with what the user
saw when it failed."""
import time
import traceback

CASES = []


def case(name):
    def register(fn):
        CASES.append((name, fn))
        return fn
    return register


def check(cond, what, session=None):
    """An assertion that says what the user should have seen."""
    if not cond:
        shown = f"\nthe terminal showed:\n{session.transcript}" if session is not None else ""
        raise AssertionError(what + shown)


def run(m, only=None):
    todo = [(n, f) for n, f in CASES if not only or only in n]
    print(f"1..{len(todo)}", flush=True)
    failed = 0
    for i, (name, fn) in enumerate(todo, 1):
        t0 = time.monotonic()
        try:
            fn(m)
            print(f"ok {i} - {name} ({time.monotonic() - t0:.1f}s)", flush=True)
        except Exception as e:
            failed += 1
            print(f"not ok {i} - {name}", flush=True)
            detail = str(e) if isinstance(e, AssertionError) else traceback.format_exc()
            for line in detail.rstrip().split("\n"):
                print("# " + line, flush=True)
            for line in ("kagid's log, last lines:\n" + m.kagi.log_tail(15)).rstrip().split("\n"):
                print("#   " + line, flush=True)
    return failed
