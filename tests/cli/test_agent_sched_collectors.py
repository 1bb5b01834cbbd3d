#!/usr/bin/env python3
"""The agent runs the timer and scheduling profilers as collectors: each
sends its interval report, in the agent's envelope, with seq rising by one.
hrtimer is there too, its expression passed as the trailing argument in
`options`."""
import os
import tempfile
from qzt import *
from qzt_wait import run_for

require_root()
CONFIG = """
global:
  http_socket: off
collectors:
  - {name: irq, profiler: irq-off, options: {period: 10ms}, interval: 500ms}
  - {name: slots, profiler: hrcount, events: ["sched:sched_switch//alias=sw/"],
     options: {period: 100ms}, interval: 500ms}
  - {name: lockups, profiler: watchdog, options: ["-C", "0"], interval: 1s}
  - {name: oncpu, profiler: oncpu, options: {only-comm: true}, interval: 500ms}
  - {name: rundelay, profiler: rundelay, interval: 500ms}
  - {name: syscalls, profiler: syscalls, options: ["-C", "0", "-m", "2048"], interval: 500ms}
  - {name: migrations, profiler: sched-migrate, interval: 500ms}
  - {name: activity, profiler: percpu-stat, interval: 500ms}
  - {name: ticks, profiler: hrtimer, events: [sched:sched_switch],
     options: ["-C", "0", "--period", "50ms", "sched_switch>=0"], interval: 1s}
"""
want = {"irq": "irq_off", "slots": "hrcount", "lockups": "watchdog", "oncpu": "oncpu",
        "rundelay": "multi_trace", "syscalls": "syscalls", "migrations": "sched_migrate",
        "activity": "percpu_stat", "ticks": "hrtimer"}
with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
    f.write(CONFIG)
try:
    r = run(["agent", "--check", "-c", f.name])
    check_eq(r.returncode, 0, f"the config checks (stderr: {r.stderr})")
    q, out, err = run_for(["agent", "-c", f.name], 3.5)
finally:
    os.unlink(f.name)
check_eq(q.returncode, 0, f"exit status (stderr: {err[-2000:]})")
recs = json_lines(out)
for name, typ in want.items():
    mine = [x for x in recs if x.get("collector") == name]
    check(any(x["type"] == typ for x in mine), f"{name}: a {typ} report ({len(mine)} records)")
    seqs = [x["seq"] for x in mine]
    check(seqs == list(range(1, len(seqs) + 1)), f"{name}: seq 1, 2, ...: {seqs[:10]}")
    check(all("host" in x and "interval_end" in x for x in mine), f"{name}: the envelope")
reps = {name: [x for x in recs if x.get("collector") == name and x["type"] == typ]
        for name, typ in want.items()}
check(len(reps["irq"]) >= 4, f"irq-off every 500 ms: {len(reps['irq'])}")
check(all(x["rows"][0]["event"] == "sw" for x in reps["slots"]), "hrcount rows by alias")
check(all(x["mode"] == "cpu" for x in reps["oncpu"]), "oncpu in CPU mode")
check(sum(len(x["rows"]) for x in reps["syscalls"]) > 0, "syscalls saw calls on CPU 0")
check(all(t["cpu"] == 0 and "sw" not in t["counts"] for t in reps["ticks"]),
      "hrtimer ticks of CPU 0, counts by event name")
check(len(reps["ticks"]) >= 20, f"hrtimer: every 50 ms tick holds sched_switch>=0: {len(reps['ticks'])}")
done()
