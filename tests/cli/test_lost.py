#!/usr/bin/env python3
"""A ring too small for a burst loses events, and the loss is reported:
lost records in the JSON, a warning on stderr, and captured + lost == N."""
from qzt import *

require_root()
N = 200000
r = run(["trace", "-e", "syscalls:sys_enter_getppid", "--json", "-m", "1",
         "--", prog("getppid_loop"), str(N)])
check_eq(r.returncode, 0, f"exit status (stderr: {r.stderr[-500:]})")
recs = json_lines(r.stdout)
events = sum(1 for x in recs if x.get("type") == "event")
lost = sum(x["lost"] for x in recs if x.get("type") == "lost")
check(lost > 0, f"a 1-page ring loses events in a {N} burst (lost {lost})")
# The kernel's LOST count also covers side-band records (the workload's
# COMM and EXIT), so it may exceed the samples lost by those few.
check(N <= events + lost <= N + 3, f"captured {events} + lost {lost} accounts for {N}")
check("lost" in r.stderr and "-m" in r.stderr, f"stderr warns and suggests -m: {r.stderr!r}")
done()
