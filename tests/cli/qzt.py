"""Helpers for the CLI tests: run quazar, parse its JSON lines, skip clearly.

Each test is a script that exits 0 (pass), 1 (fail) or 77 (skipped, with the
reason printed), as meson expects.
"""
import json
import os
import subprocess
import sys

QUAZAR = os.environ.get("QUAZAR", "build/quazar")
PROGS = os.environ.get("PROGS", "build/tests/progs")
SKIP = 77
failures = 0


def prog(name):
    return os.path.join(PROGS, name)


def require_root():
    if os.geteuid() != 0:
        print("skipped: needs root for perf_event_open of tracepoints")
        sys.exit(SKIP)


def run(args, timeout=120, **kw):
    """Run quazar with args; returns the CompletedProcess (text mode)."""
    return subprocess.run([QUAZAR] + args, capture_output=True, text=True,
                          timeout=timeout, **kw)


def json_lines(text):
    """Every line must be one JSON object: a bad line is a failure."""
    records = []
    for n, line in enumerate(text.splitlines(), 1):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as e:
            check(False, f"line {n} is not JSON ({e}): {line[:200]!r}")
    return records


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print(f"FAIL: {what}", file=sys.stderr)
    return cond


def check_eq(got, want, what):
    return check(got == want, f"{what}: got {got!r}, want {want!r}")


def done():
    sys.exit(1 if failures else 0)
