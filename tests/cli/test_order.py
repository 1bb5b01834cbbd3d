#!/usr/bin/env python3
"""--order: getppid loops pinned to CPU 0 and CPU 1 run at once; trace --order
delivers all their events, in non-decreasing time order, none late."""
import subprocess
import time
from qzt import *

require_root()
N = 5000
# The loops wait for a line on stdin so the trace is open before they run.
loops = [subprocess.Popen(["taskset", "-c", str(c), "sh", "-c", f"read x; exec {prog('getppid_loop')} {N}"],
                          stdin=subprocess.PIPE, text=True) for c in (0, 1)]
pids = [p.pid for p in loops]
flt = "||".join(f"common_pid=={p}" for p in pids)
tr = subprocess.Popen([QUAZAR, "trace", "--order", "--order-window", "50", "-m", "512",
                       "-e", f"syscalls:sys_enter_getppid/{flt}/", "--json"],
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
time.sleep(1.0)
for p in loops:
    p.stdin.write("go\n")
    p.stdin.flush()
for p in loops:
    p.wait(timeout=60)
time.sleep(0.5)
tr.terminate()
out, err = tr.communicate(timeout=60)
check_eq(tr.returncode, 0, f"exit status (stderr: {err})")
recs = json_lines(out)
events = [r for r in recs if r.get("type") == "event"]
lost = sum(r.get("lost", 0) for r in recs if r.get("type") == "lost")
check_eq(lost, 0, "no lost events")
check_eq(len(events), 2 * N, "every event delivered")
cpus = {e["cpu"] for e in events}
check_eq(cpus, {0, 1}, "events from both CPUs")
times = [e["ts"] for e in events]
bad = sum(1 for a, b in zip(times, times[1:]) if b < a)
check_eq(bad, 0, "timestamps never go backwards")
# The two CPUs' events really interleave (a merge, not one CPU after the other).
switches = sum(1 for a, b in zip(events, events[1:]) if a["cpu"] != b["cpu"])
check(switches > 10, f"CPUs interleave in the output: {switches} switches")
check("later than the --order window" not in err, f"no late events: {err[-300:]}")
done()
