#!/usr/bin/env python3
"""N getppid calls produce exactly N sys_enter_getppid records, in JSON,
with and without a field-to-field (user-space) filter."""
from qzt import *

require_root()
N = 5000
EV = "syscalls:sys_enter_getppid"


def trace(selector, extra=()):
    r = run(["trace", "-e", selector, "--json", *extra, "--", prog("getppid_loop"), str(N)])
    check_eq(r.returncode, 0, f"exit status of trace {selector} (stderr: {r.stderr})")
    recs = json_lines(r.stdout)
    return [x for x in recs if x.get("type") == "event"], recs


events, recs = trace(EV)
check_eq(len(events), N, "events for N getppid calls")
check(all(e["event"] == EV for e in events), "every record names the event")
check_eq(len({e["pid"] for e in events}), 1, "one traced pid")
check(all(e["comm"] == "getppid_loop" for e in events), "comm is the workload's")
check(all(isinstance(e["fields"]["__syscall_nr"], int) for e in events),
      "fields are typed: __syscall_nr is an integer")
check(all(set(e) >= {"ts", "type", "event", "cpu", "pid", "tid", "comm"} for e in events),
      "every event record has the common keys")
check(not [x for x in recs if x.get("type") == "lost"], "nothing lost")

# Field compared with field: the kernel cannot do it, user space does.
events, _ = trace(EV + "/common_pid>__syscall_nr/")
check_eq(len(events), N, "events through a true field-to-field filter")
events, _ = trace(EV + "/common_pid<__syscall_nr/")
check_eq(len(events), 0, "events through a false field-to-field filter")

# --order: time never goes back across CPUs.
events, _ = trace(EV, ["--order"])
ts = [e["ts"] for e in events]
check_eq(len(ts), N, "events with --order")
check(ts == sorted(ts), "--order output is non-decreasing in time")
done()
