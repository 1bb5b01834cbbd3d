#!/usr/bin/env python3
"""multi-trace: a program sleeping 100 x 5 ms, measured from its switch-out to
its switch-in (keyed by pid), gives ~100 calls with p50 in [5.0, 5.7] ms, and
--than 4ms prints ~100 outliers, each with both events."""
from qzt import *

require_root()
def run_once():
    return with_sleeper("100 5", lambda pid: [
        "multi-trace",
        # Switch-outs to sleep (S, 1) only: a preemption or a short I/O
        # wait of the same task is not one of its 5 ms sleeps.
        "-e", f"sched:sched_switch/prev_pid=={pid} && prev_state==1/key=prev_pid/",
        "-e", f"sched:sched_switch/next_pid=={pid}/key=next_pid/",
        "--than", "4ms", "--json"])


# On this shared VM the kernel has been seen to skip some sched_switch
# samples of one CPU while other suites run (no LOST or THROTTLE record):
# a run that did not see 2 x 101 events is repeated, up to 3 times.
for attempt in range(3):
    pid, mt, out, err = run_once()
    fin = [r for r in json_lines(out) if r.get("type") == "multi_trace" and r.get("final")]
    if fin and fin[0].get("events", 0) >= 200:
        break
    print(f"attempt {attempt + 1}: saw {fin[0].get('events') if fin else None} events of ~202; again")
check_eq(mt.returncode, 0, f"exit status (stderr: {err})")
recs = json_lines(out)
finals = [r for r in recs if r.get("type") == "multi_trace" and r.get("final")]
check_eq(len(finals), 1, "one final report")
pairs = finals[0]["pairs"] if finals else []
check_eq(len(pairs), 1, "one pair")
p = pairs[0] if pairs else {}
check_eq((p.get("start"), p.get("end")), ("sched_switch", "sched_switch"), "pair names")
calls = p.get("calls", 0)
check(95 <= calls <= 101, f"~100 calls: {calls}")
p50 = p.get("p50", 0) / 1e6
check(5.0 <= p50 <= 5.7, f"p50 in [5.0, 5.7] ms: {p50:.3f}")
# nanosleep arms its 5 ms timer a little before the task switches out, so
# one switch-out to switch-in gap may be a few microseconds short of 5 ms
# (CI saw 4.983 ms); it is never much shorter.
check(p.get("min", 0) >= 4_900_000, f"min >= 4.9 ms: {p.get('min')}")
check(p.get("total", 0) >= calls * 4_900_000, "total >= calls x 4.9 ms")
outliers = [r for r in recs if r.get("type") == "outlier"]
check(95 <= len(outliers) <= 101, f"~100 outliers above 4 ms: {len(outliers)}")
for o in outliers[:5]:
    check(o["latency"] > 4_000_000, f"outlier latency > 4 ms: {o['latency']}")
    check_eq(o["event1"]["fields"]["prev_pid"], pid, "event1 is the switch-out")
    check_eq(o["event2"]["fields"]["next_pid"], pid, "event2 is the switch-in")
    check_eq(o["event2"]["time"] - o["event1"]["time"], o["latency"], "latency = t2 - t1")
check_eq(finals[0].get("late") if finals else None, 0, "no late events")
check_eq(finals[0].get("lost") if finals else None, 0, "no lost events")
done()
