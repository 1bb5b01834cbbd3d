#!/usr/bin/env python3
"""Bad input gets a clear error: the selector quoted, a caret at the column,
the fix suggested, and a non-zero exit."""
import os
from qzt import *


def caret_column(stderr, selector):
    """Column of the caret under the quoted selector."""
    lines = stderr.splitlines()
    for i, line in enumerate(lines):
        if line.endswith(selector) and i + 1 < len(lines) and "^" in lines[i + 1]:
            return lines[i + 1].index("^") - (len(line) - len(selector))
    return None


cases = [
    # selector, expected column, expected words in the message
    ("sched:sched_switch/prev_pid==1/stak/", 31, "stak"),
    ("sched:sched_switch/prev_pid==1", 18, "/"),
    ("sched:sched_switch/(prev_pid==1/", 19, "unbalanced"),
    ("sched:sched_switch//max-stack=abc/", 30, "max-stack"),
    (",sched:sched_switch", 0, "empty"),
]
for selector, column, word in cases:
    r = run(["trace", "-e", selector, "-N", "1"])
    check(r.returncode != 0, f"{selector!r} fails")
    check(word in r.stderr, f"{selector!r}: message mentions {word!r}: {r.stderr!r}")
    check_eq(caret_column(r.stderr, selector), column, f"{selector!r}: caret column")

if os.geteuid() == 0:
    r = run(["trace", "-e", "sched:sched_swich", "-N", "1"])
    check(r.returncode != 0, "unknown tracepoint fails")
    check("sched:sched_switch" in r.stderr, f"suggests the close name: {r.stderr!r}")
    r = run(["top", "-e", "sched:sched_switch//key=no_such_field/", "-N", "1"])
    check(r.returncode != 0 and "no_such_field" in r.stderr,
          f"unknown key field named: {r.stderr!r}")

r = run(["trace", "--only-comm", "-e", "sched:sched_switch"])
check(r.returncode == 2 and "used by: top" in r.stderr,
      f"an option of another profiler names who uses it: {r.stderr!r}")
r = run(["top", "-S", "-e", "sched:sched_switch"])
check(r.returncode == 2 and "--interruptible is not used by 'top'; it is used by: task-state" in r.stderr,
      f"a short option of another profiler is refused by its name: {r.stderr!r}")
r = run(["multi-trace", "-e", "a", "-e", "b", "--than", "20000000000s"])
check(r.returncode == 2 and "--than '20000000000s': too large" in r.stderr,
      f"a time that overflows is refused: {r.stderr!r}")
r = run(["stat", "-i", "18446744073710"])
check(r.returncode == 2 and "--interval '18446744073710': too large" in r.stderr,
      f"an interval that overflows is refused: {r.stderr!r}")
r = run(["trace", "--no-such-option"])
check(r.returncode == 2 and "unknown option '--no-such-option'; 'quazar trace -h'" in r.stderr,
      f"an unknown option points at -h: {r.stderr!r}")
if os.geteuid() == 0:
    # -q keeps errors and drops warnings: here, the --sampling-limit drop count.
    loud = ["trace", "-e", "syscalls:sys_enter_getppid", "--sampling-limit", "10",
            "--", prog("getppid_loop"), "2000"]
    r = run(loud)
    check(r.returncode == 0 and "dropped" in r.stderr, f"the drop warning: {r.stderr!r}")
    r = run(loud[:1] + ["-q"] + loud[1:])
    check(r.returncode == 0 and "warning" not in r.stderr and "dropped" not in r.stderr,
          f"-q silences warnings: {r.stderr!r}")
r = run(["trace", "-q", "-e", "sched:sched_swich", "-N", "1"])
check(r.returncode != 0 and "error" in r.stderr, f"-q still prints errors: {r.stderr!r}")
r = run(["stat", "-i", "abc"])
check(r.returncode == 2 and "interval" in r.stderr and "abc" in r.stderr,
      f"a bad number names the option: {r.stderr!r}")
done()
