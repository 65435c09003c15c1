"""A tiny test runner speaking TAP (meson's `protocol : 'tap'`).

Cases run in the order they were declared, except that consecutive cases
with a `group` (the client they drive) run as one block, one thread per
group: most of a failed login's time is the clients' own failure delay,
so the four clients wait side by side. Cases without a group (stopping
kagid, changing its language) run alone, between blocks. Each case is
reported in declared order, with what the user saw when it failed."""
import os
import threading
import time
import traceback

import clients

CASES = []


def case(name, group=None, always=False):
    """always: a step later cases rely on (switching kagid's language), kept
    when only some cases are asked for."""
    def register(fn):
        CASES.append((name, fn, group, always))
        return fn
    return register


def check(cond, what, session=None):
    """An assertion that says what the user should have seen."""
    if not cond:
        shown = f"\nthe terminal showed:\n{session.transcript}" if session is not None else ""
        raise AssertionError(what + shown)


def _run_one(m, fn):
    t0 = time.monotonic()
    clients.sessions_seen()
    try:
        fn(m)
        error = None
    except Exception as e:
        error = str(e) if isinstance(e, AssertionError) else traceback.format_exc()
    return error, time.monotonic() - t0, _transcripts()


def _transcripts():
    """KAGI_E2E_SHOW=1: what every terminal of the case showed, to read."""
    if not os.environ.get("KAGI_E2E_SHOW"):
        clients.sessions_seen()
        return ""
    return "".join(f"$ {' '.join(s.argv)}\n{s.transcript}\n" for s in clients.sessions_seen())


def _blocks(todo):
    block = []
    for item in todo:
        if item[2] is None:
            if block:
                yield block
                block = []
            yield [item]
        else:
            block.append(item)
    if block:
        yield block


def _run_block(m, block):
    results = {}
    groups = {}
    for i, (name, fn, group) in enumerate(block):
        groups.setdefault(group, []).append(i)

    def worker(indexes):
        for i in indexes:
            results[i] = _run_one(m, block[i][1])

    threads = [threading.Thread(target=worker, args=(ix,)) for ix in groups.values()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [results[i] for i in range(len(block))]


def run(m, only=None):
    todo = [c[:3] for c in CASES if not only or only in c[0] or c[3]]
    print(f"1..{len(todo)}", flush=True)
    failed = n = 0
    for block in _blocks(todo):
        for (name, _, _), (error, took, shown) in zip(block, _run_block(m, block)):
            n += 1
            if error is None:
                print(f"ok {n} - {name} ({took:.1f}s)", flush=True)
                for line in shown.rstrip().split("\n") if shown else []:
                    print("#   | " + line, flush=True)
                continue
            failed += 1
            print(f"not ok {n} - {name}", flush=True)
            for line in error.rstrip().split("\n"):
                print("# " + line, flush=True)
            for line in ("kagid's log, last lines:\n" + m.kagi.log_tail(15)).rstrip().split("\n"):
                print("#   " + line, flush=True)
    return failed
