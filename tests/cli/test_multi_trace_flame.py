#!/usr/bin/env python3
"""multi-trace --flame-graph: the stacks of the events --than prints (a
program sleeping 40 x 5 ms, its switch-outs with the stack attr) are folded
into FILE.folded, one count per printed outlier, and drawn in FILE.svg with
the kernel's sleep path in kernel colours; without --than it is refused."""
import os
import tempfile
from qzt import *
from flamesvg import parse, folded_totals

require_root()
flame = os.path.join(tempfile.mkdtemp(prefix="qz-mt-flame-"), "sleep")
pid, mt, out, err = with_sleeper("40 5", lambda pid: [
    "multi-trace",
    "-e", f"sched:sched_switch/prev_pid=={pid} && prev_state==1/key=prev_pid/stack/",
    "-e", f"sched:sched_switch/next_pid=={pid}/key=next_pid/",
    "--than", "4ms", "--json", "--flame-graph", flame])
check_eq(mt.returncode, 0, f"exit status ({err[-400:]})")
outliers = [r for r in json_lines(out) if r.get("type") == "outlier"]
try:
    with open(flame + ".folded") as f:
        lines = f.read().splitlines()
except OSError as e:
    lines = []
    check(False, f"{flame}.folded: {e}")
total = sum(int(l.rsplit(" ", 1)[1]) for l in lines)
check(outliers and total == len(outliers), f"one stack per printed outlier: {total} vs {len(outliers)}")
check(any("schedule_[k]" in l.split(";") or "__schedule_[k]" in l.rsplit(" ", 1)[0].split(";") for l in lines),
      f"the switch-out stacks end in the scheduler, marked _[k]: {lines[:2]}")
if os.path.exists(flame + ".svg"):
    _, frames = parse(flame + ".svg")
    totals = folded_totals(lines)
    sched = [f for f in frames if f.name in ("schedule", "__schedule")]
    check(sched and all(f.fill[2] == 0 for f in sched), f"scheduler frames in kernel colours: {[f.fill for f in sched]}")
    check(all(totals.get(f.path) == f.n for f in frames if not f.merged), "the SVG holds the folded counts")
else:
    check(False, f"{flame}.svg was not written ({err[-300:]})")
r = run(["multi-trace", "-e", "sched:sched_switch//key=prev_pid/", "-e", "sched:sched_switch//key=next_pid/",
         "--flame-graph", flame, "--", "true"])
check(r.returncode != 0 and "--flame-graph" in r.stderr and "--than" in r.stderr,
      f"without --than it is refused: {r.stderr!r}")
done()
