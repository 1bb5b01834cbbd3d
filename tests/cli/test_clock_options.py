#!/usr/bin/env python3
"""perf-prof's clock options: --monotonic means what it says (an event's
time is CLOCK_MONOTONIC, between the readings its process took around it);
--tsc and trace's --overwrite are refused with the reason, not ignored."""
import sys
from qzt import *

require_root()
PROG = ("import os, sys, time\n"
        "for _ in range(5):\n"
        "    a = time.monotonic_ns(); os.getppid(); b = time.monotonic_ns()\n"
        "    print(a, b, file=sys.stderr)\n")
r = run(["trace", "--monotonic", "--json", "-e", "syscalls:sys_enter_getppid", "--",
         sys.executable, "-c", PROG])
check_eq(r.returncode, 0, f"exit status (stderr: {r.stderr})")
ts = [x["ts"] for x in json_lines(r.stdout) if x.get("type") == "event"]
spans = [tuple(map(int, line.split())) for line in r.stderr.splitlines()
         if len(line.split()) == 2 and all(w.isdigit() for w in line.split())]
check_eq(len(ts), 5, "one event per getppid")
check_eq(len(spans), 5, "five readings around them")
for t, (a, b) in zip(ts, spans):
    check(a <= t <= b, f"event time {t} within CLOCK_MONOTONIC [{a}, {b}]")

r = run(["trace", "--tsc", "-e", "sched:sched_switch", "-N", "1"])
check(r.returncode != 0 and "--tsc is not supported" in r.stderr and
      "CLOCK_MONOTONIC" in r.stderr, f"--tsc refused: {r.stderr}")
r = run(["trace", "--overwrite", "-e", "sched:sched_switch", "-N", "1"])
check(r.returncode != 0 and "--overwrite is not supported" in r.stderr,
      f"--overwrite refused: {r.stderr}")
done()
