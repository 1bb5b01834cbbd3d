#!/usr/bin/env python3
"""irq-off: the timer ticks every 10 ms on each CPU; each interval reports
the gaps between ticks. With --than below the period every gap is printed
(the test makes each tick an outlier); with --than above it, only gaps
longer than --than are printed, and both agree with the interval counts.
This machine cannot disable interrupts from user space (no kprobes, no
module): a real interrupts-off section is not made here."""
from qzt import *
from qzt_wait import run_for as run_quazar

require_root()


def run_for(args, seconds):
    q, out, err = run_quazar(args, seconds)
    check_eq(q.returncode, 0, f"exit status (stderr: {err})")
    return json_lines(out)


# Every gap (~10 ms) is over 5 ms: one irq_off_gap record per tick.
recs = run_for(["irq-off", "-C", "0", "--period", "10ms", "--than", "5ms", "--json",
                "-i", "500", "-g"], 3.2)
stats = [r for r in recs if r.get("type") == "irq_off"]
gaps = [r for r in recs if r.get("type") == "irq_off_gap"]
cpu0 = [c for s in stats for c in s["cpus"] if c["cpu"] == 0]
ticks = sum(c["ticks"] for c in cpu0)
check(len(stats) >= 3, f"an irq_off report per 500 ms interval, and a final: {len(stats)}")
check(stats and stats[-1]["final"], "the last report is final")
check(200 <= ticks <= 330, f"~300 ticks of CPU 0 in 3.2 s: {ticks}")
check_eq(len(gaps), sum(c["over"] for c in cpu0), "a gap record per gap counted over --than")
check(len(gaps) >= ticks * 0.9, f"nearly every gap is over 5 ms: {len(gaps)} of {ticks}")
check(all(g["cpu"] == 0 and g["gap_ns"] > 5e6 for g in gaps), "gaps of CPU 0, over 5 ms")
check(all("stack" in g for g in gaps[:20]), "-g: each gap has the late tick's stack")
full = [c for c in cpu0 if c["ticks"] >= 30]
check(all(9e6 <= c["p50"] <= 11e6 for c in full), f"p50 gap ~10 ms: {[c['p50'] for c in full]}")
check(all(c["max"] >= c["p50"] for c in full), "max >= p50")
total = sum(c["sum"] for c in cpu0)
check(2.0e9 <= total <= 3.4e9, f"gaps cover the run: {total / 1e9:.2f} s")

# Above the period, only the late ticks print, as many as the reports count.
recs = run_for(["irq-off", "--period", "10ms", "--than", "15ms", "--json", "-i", "500"], 1.6)
stats = [r for r in recs if r.get("type") == "irq_off"]
gaps = [r for r in recs if r.get("type") == "irq_off_gap"]
check_eq(len(gaps), sum(s["gaps_over"] for s in stats), "gap records = gaps_over")
check(all(g["gap_ns"] > 15e6 for g in gaps), "every printed gap exceeds --than")
check(len({c["cpu"] for s in stats for c in s["cpus"]}) >= 1, "CPUs reported")

r = run(["irq-off", "-e", "sched:sched_switch", "--period", "10ms"])
check(r.returncode != 0 and "no -e" in r.stderr, f"-e refused: {r.stderr}")
r = run(["irq-off", "--than", "20ms"])
check(r.returncode != 0 and "--period" in r.stderr, f"a tick is needed: {r.stderr}")
done()
