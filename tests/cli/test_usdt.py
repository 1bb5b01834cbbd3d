#!/usr/bin/env python3
"""usdt on usdt_prog, whose probes are written by hand as sys/sdt.h writes
them: list reads the notes; add makes events whose fields are the decoded
arguments (a register, a global in memory, a constant, a stack slot);
the guarded probe fires only because its semaphore is raised; del removes
them."""
from qzt import *

require_root()
if not os.path.exists("/sys/kernel/tracing/uprobe_events") and \
        not os.path.exists("/sys/kernel/debug/tracing/uprobe_events"):
    print("skipped: no uprobe_events in tracefs (CONFIG_UPROBE_EVENTS)")
    sys.exit(SKIP)
U = os.path.abspath(prog("usdt_prog"))
N = 20

r = run(["usdt", "list", U])
check_eq(r.returncode, 0, f"list exit status (stderr: {r.stderr})")
for probe in ("qzt:tick", "qzt:stack", "qzt:guarded"):
    check(f"{probe}@{U}" in r.stdout, f"list names {probe}")
check(r.stdout.count("semaphore") == 1, "only guarded has a semaphore")
import re
check(re.search(r"tick .* arg1=%[a-z0-9]+:s32 arg2=@\+0x[0-9a-f]+:u64 arg3=\\7:s32", r.stdout),
      "tick: a register, a global, a constant")
check(re.search(r"stack .* arg1=[+-]\d+\(%[bs]p\):s64", r.stdout), "stack slot")
check("arg2=@+0x" in r.stdout, "a global through its file offset")

run(["usdt", "del", U])  # leftovers of an interrupted run
try:
    r = run(["usdt", "add", U])
    check_eq(r.returncode, 0, f"add exit status (stderr: {r.stderr})")
    check_eq([l for l in r.stdout.splitlines() if l.startswith("sdt_")],
             ["sdt_qzt:tick", "sdt_qzt:stack", "sdt_qzt:guarded"], "events added")
    r = run(["usdt", "add", f"qzt:tick@{U}"])
    check("sdt_qzt:tick (already there)" in r.stdout, f"adding again: {r.stdout!r}")

    r = run(["trace", "-e", "sdt_qzt:*", "--json", "--", U, str(N)])
    check_eq(r.returncode, 0, f"trace exit status (stderr: {r.stderr})")
    ev = [x for x in json_lines(r.stdout) if x.get("type") == "event"]
    by = {}
    for x in ev:
        by.setdefault(x["event"], []).append(x["fields"])
    tick, stack, guarded = (by.get(f"sdt_qzt:{n}", []) for n in ("tick", "stack", "guarded"))
    check_eq([f["arg1"] for f in tick], list(range(N)), "tick arg1: the loop index (register)")
    check_eq([f["arg2"] for f in tick], [10 * i for i in range(N)], "tick arg2: a global (memory)")
    check(all(f["arg3"] == 7 for f in tick), "tick arg3: a constant")
    check_eq([f["arg1"] for f in stack], [3 * i for i in range(N)], "stack arg1: a stack slot")
    check_eq([f["arg1"] for f in guarded], list(range(N)), "guarded fires: semaphore raised")

    # The fields work in filters like any tracepoint's.
    r = run(["trace", "-e", "sdt_qzt:tick/arg1>=15/", "--json", "--", U, str(N)])
    check_eq(len([x for x in json_lines(r.stdout) if x.get("type") == "event"]), N - 15,
             "filter on a decoded argument")
finally:
    r = run(["usdt", "del", U])
check_eq(r.returncode, 0, f"del exit status (stderr: {r.stderr})")
check_eq(r.stdout.count("removed"), 3, f"del removes the three: {r.stdout!r}")
r = run(["trace", "-e", "sdt_qzt:tick", "--", U, "1"])
check(r.returncode != 0 and "unknown tracepoint" in r.stderr, "gone after del")

r = run(["usdt", "list", "/bin/true"])
check(r.returncode != 0 and "no USDT probe" in r.stderr, f"no probes: {r.stderr!r}")
r = run(["usdt", "frob", U])
check(r.returncode != 0 and "list, add or del" in r.stderr, f"bad command: {r.stderr!r}")
done()
