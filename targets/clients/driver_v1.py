"""What the Python drivers share (driver protocol v1, CONTRACT.md): read the plan,
print one JSON line per request, exit 3 for "cannot", and run the steps one after
another (each after its delay) or all at once (one thread per step)."""

import json
import sys
import threading
import time

_lock = threading.Lock()


def read_plan():
    return json.load(sys.stdin)


def emit(line):
    with _lock:
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()


def unsupported(why):
    sys.stderr.write(why + "\n")
    sys.exit(3)


def reason(e):
    return f"{type(e).__name__}: {e}"


def header_map(pairs):
    """Response headers as lower-case name -> value (repeated fields joined with ", ")."""
    out = {}
    for name, value in pairs:
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def body_bytes(step):
    return step["body"].encode("utf-8") if "body" in step else None


def run_steps(plan, perform, per_thread=None):
    """perform(step, state) -> line. Sequential steps share one state; concurrent
    steps run in threads, each with per_thread() (or the shared state if None)."""
    state = per_thread() if per_thread else None
    if plan.get("concurrent"):
        def one(step):
            emit(perform(step, per_thread() if per_thread else state))
        threads = [threading.Thread(target=one, args=(s,)) for s in plan["requests"]]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return
    for step in plan["requests"]:
        if step.get("delayMs"):
            time.sleep(step["delayMs"] / 1000)
        emit(perform(step, state))
