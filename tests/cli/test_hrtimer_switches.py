#!/usr/bin/env python3
"""hrtimer: ticks of CPU 0 every 20 ms lead a counted sched_switch filtered on
the sleeper's switch-outs; `sched_switch>0` prints the ticks in which it
switched out. The sleeper (`sleeper 20 50 30`, SCHED_FIFO on CPU 0) sleeps 20
times and exits: the printed counts add up to its 21 switch-outs (a few more
when something above SCHED_FIFO, the CPU's stopper, preempts it)."""
from qzt import *
from qzt_wait import with_waiting

require_root()


def run_once():
    return with_waiting([prog("sleeper"), "20", "50", "30"], lambda pid: [
        "hrtimer", "-C", "0", "--period", "20ms", "-e",
        f"sched:sched_switch/prev_pid=={pid}/", "--json", "sched_switch>0 && period>0"],
        fifo=10)


for attempt in range(3):
    pid, q, out, err = run_once()
    ticks = [r for r in json_lines(out) if r.get("type") == "hrtimer"]
    total = sum(t["counts"].get("sched_switch", 0) for t in ticks)
    if total >= 21:
        break
    print(f"attempt {attempt + 1}: {total} switch-outs of 21 counted; again")
check_eq(q.returncode, 0, f"exit status (stderr: {err})")
check(21 <= total <= 24, f"switch-outs counted: {total} (20 sleeps and the exit)")
check(all(t["counts"]["sched_switch"] >= 1 for t in ticks),
      "only ticks where the expression holds are printed")
check(all(t["cpu"] == 0 for t in ticks), "ticks of CPU 0 only (-C 0)")
# The sleeper runs 30 ms between sleeps: a 20 ms tick holds at most one sleep.
check(all(t["counts"]["sched_switch"] <= 2 for t in ticks),
      f"at most a sleep and the exit per tick: {[t['counts'] for t in ticks]}")
check(all(15e6 <= t["clock_ns"] <= 80e6 for t in ticks),
      f"ticks ~20 ms apart: {[t['clock_ns'] for t in ticks]}")

# perf-prof's checks: an expression without -e, or -e without one, is refused.
r = run(["hrtimer", "-C", "0", "--period", "20ms", "-e", "sched:sched_switch"])
check(r.returncode != 0 and "EXPRESSION" in r.stderr, f"-e needs an expression: {r.stderr}")
r = run(["hrtimer", "-C", "0", "-e", "sched:sched_switch", "sched_switch==0"])
check(r.returncode != 0 and "--period" in r.stderr, f"a tick is needed: {r.stderr}")
r = run(["hrtimer", "-C", "0", "--period", "20ms", "-e", "sched:sched_switch", "nosuch==0"])
check(r.returncode != 0 and "nosuch" in r.stderr, f"an unknown variable: {r.stderr}")
r = run(["hrtimer", "-p", "1", "--period", "20ms", "-e", "sched:sched_switch", "sched_switch==0"])
check(r.returncode != 0 and "-C" in r.stderr, f"CPUs only: {r.stderr}")
done()
