#!/usr/bin/env python3
"""The new interval profilers run as agent collectors: num-dist, event-care,
nested-trace, kmemprof and blktrace report every interval, in the agent's
envelope; what the test itself does (getppid_loop N) is counted."""
import subprocess
import tempfile
import time
from qzt import *

require_root()
N = 5000
cfg = """
global:
  http_socket: off
sinks:
  out:
    type: stdout
collectors:
  - name: nr
    profiler: num-dist
    events: ["syscalls:sys_enter_getppid//delay=__syscall_nr/"]
    interval: 500ms
    sink: out
  - name: care
    profiler: event-care
    events: [syscalls:sys_enter_getppid]
    options: [-m, "256"]
    interval: 500ms
    sink: out
  - name: soft
    profiler: nested-trace
    events: ["irq:softirq_entry,irq:softirq_exit"]
    options: {impl: call-delay}
    interval: 500ms
    sink: out
  - name: allocs
    profiler: kmemprof
    events: ["kmem:kmalloc//size=bytes_alloc/", "kmem:kfree"]
    interval: 500ms
    sink: out
"""
with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
    f.write(cfg)
a = subprocess.Popen([QUAZAR, "agent", "-c", f.name], stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, text=True)
time.sleep(2.0)
subprocess.run([prog("getppid_loop"), str(N)], check=True)
time.sleep(1.5)
a.terminate()
out, err = a.communicate(timeout=60)
os.unlink(f.name)
check_eq(a.returncode, 0, f"agent exit status (stderr: {err[-1000:]})")
recs = json_lines(out)
by = {}
for x in recs:
    by.setdefault((x.get("collector"), x["type"]), []).append(x)
for key in [("nr", "num_dist"), ("care", "event_care"), ("soft", "nested_trace"),
            ("allocs", "kmemprof")]:
    check(len(by.get(key, [])) >= 3, f"{key}: a report each interval ({len(by.get(key, []))})")
    check(all("host" in x and "seq" in x for x in by.get(key, [])), f"{key}: the agent's envelope")
rows = [r for x in by.get(("nr", "num_dist"), []) for r in x["rows"]]
lost = sum(x.get("lost", 0) for x in by.get(("nr", "num_dist"), [])[-1:])
check(sum(r["calls"] for r in rows) + lost >= N, f"num-dist counted getppid_loop's {N} calls")
check(all(r["min"] == 110 and r["max"] == 110 for r in rows), "getppid's number is 110")
care = [e for x in by.get(("care", "event_care"), []) for e in x["events"]]
# A loaded machine may drop some from the ring: they are found, not missed.
check(sum(e["samples"] + e["lost"] for e in care) >= N, "event-care saw or found every call")
check_eq(sum(e["out_of_order"] for e in care), 0, "nothing out of order")
done()
