"""Helpers for the CLI tests: run quazar, parse its JSON lines, skip clearly.

Each test is a script that exits 0 (pass), 1 (fail) or 77 (skipped, with the
reason printed), as meson expects.
"""
import json
import os
import subprocess
import sys
import time

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


def with_sleeper(rounds, quazar_args):
    """Run prog('sleeper') with the arguments in `rounds` under quazar.

    The sleeper waits for a line on stdin, so quazar can filter on its pid
    before it starts; SCHED_FIFO keeps its wakeups prompt on a busy machine.
    It runs on CPU 0: on these VMs the kernel never raises sched_switch when
    CPU 1 leaves its idle task (`perf stat -a -A` counts none either), so a
    task there has no switch-ins. quazar_args(pid) gives quazar's arguments.
    Returns (pid, quazar's CompletedProcess-like Popen, stdout, stderr).
    """
    sleeper = subprocess.Popen(["chrt", "-f", "10", "taskset", "-c", "0", "sh", "-c",
                                f"read x; exec {prog('sleeper')} {rounds}"],
                               stdin=subprocess.PIPE, text=True)
    q = subprocess.Popen([QUAZAR] + quazar_args(sleeper.pid), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    sleeper.stdin.write("go\n")
    sleeper.stdin.flush()
    sleeper.wait(timeout=60)
    time.sleep(0.5)
    q.terminate()
    out, err = q.communicate(timeout=30)
    return sleeper.pid, q, out, err


def with_spinner(quazar_args, seconds=2.2):
    """Run quazar with quazar_args for `seconds` while a real-time spinner
    owns CPU 1, whatever else the machine runs. Returns (spinner's pid,
    quazar's Popen, stdout, stderr)."""
    busy = subprocess.Popen(["chrt", "-f", "1", "taskset", "-c", "1", prog("spin"), "3000"])
    try:
        time.sleep(0.3)
        q = subprocess.Popen([QUAZAR] + quazar_args, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        time.sleep(seconds)
        q.terminate()
        out, err = q.communicate(timeout=30)
    finally:
        busy.kill()
        busy.wait()
    return busy.pid, q, out, err


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
