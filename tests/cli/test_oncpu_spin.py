#!/usr/bin/env python3
"""oncpu: `spin 800` burns 800 ms of CPU time on CPU 0.
 - CPU mode (-C 0): its row on CPU 0 adds up to ~800 ms, and each report's
   sum is about the interval (CPU 0 is never idle while it spins);
 - thread mode (-p): its sched_stat_runtime adds up to ~800 ms, all on CPU 0.
The spinner is SCHED_FIFO in CPU mode (so it runs without sharing), and a
normal task in thread mode (the scheduler accounts runtime for those)."""
from qzt import *
from qzt_wait import with_waiting

require_root()
MS = 800

# CPU mode, perf-prof's -C form with --detail.
pid, q, out, err = with_waiting([prog("spin"), str(MS)], lambda pid: [
    "oncpu", "-C", "0", "--detail", "--json", "-i", "400"], fifo=1)
check_eq(q.returncode, 0, f"exit status (stderr: {err})")
reps = [r for r in json_lines(out) if r.get("type") == "oncpu"]
check(len(reps) >= 3 and all(r["mode"] == "cpu" for r in reps), f"cpu-mode reports: {len(reps)}")
mine = [t for r in reps for c in r["cpus"] for t in c["tasks"] if t.get("tid") == pid]
check(all(c["cpu"] == 0 for r in reps for c in r["cpus"]), "only CPU 0 (-C 0)")
run_ms = sum(t["runtime_ns"] for t in mine) / 1e6
check(MS * 0.9 <= run_ms <= MS * 1.15, f"the spinner ran ~{MS} ms on CPU 0: {run_ms:.1f}")
check(any(t["comm"] == "spin" for t in mine), f"its comm: {[t['comm'] for t in mine]}")
check(all(t["max_ns"] <= t["runtime_ns"] for t in mine), "--detail: max run <= runtime")
full = [c for r in reps[1:-1] for c in r["cpus"]]
check(all(c["runtime_ns"] <= 0.45e9 for c in full), "a CPU runs at most the interval")
check(any(c["runtime_ns"] >= 0.3e9 for c in full), f"CPU 0 busy while it spins: {[c['runtime_ns'] for c in full]}")
check(all(t["tid"] != 0 for r in reps for c in r["cpus"] for t in c["tasks"]), "no idle task")

# Thread mode: -p, a normal task.
pid, q, out, err = with_waiting([prog("spin"), str(MS)], lambda pid: [
    "oncpu", "-p", str(pid), "--json", "-i", "400"])
check_eq(q.returncode, 0, f"exit status (stderr: {err})")
reps = [r for r in json_lines(out) if r.get("type") == "oncpu"]
check(reps and all(r["mode"] == "thread" for r in reps), "thread-mode reports")
rows = [t for r in reps for t in r["threads"]]
check(all(t["tid"] == pid for t in rows), f"only the spinner's thread: {[t['tid'] for t in rows]}")
run_ms = sum(t["runtime_ns"] for t in rows) / 1e6
check(MS * 0.9 <= run_ms <= MS * 1.15, f"its runtime ~{MS} ms: {run_ms:.1f}")
on0 = sum(c["runtime_ns"] for t in rows for c in t["cpus"] if c["cpu"] == 0) / 1e6
check(abs(on0 - run_ms) < 1, f"all of it on CPU 0 (taskset): {on0:.1f} of {run_ms:.1f}")

# --only-comm aggregates by name; --prio with --filter is refused.
r = run(["oncpu", "-C", "0", "--prio", "1-99", "--filter", "prev_pid>0"])
check(r.returncode != 0 and "--prio" in r.stderr, f"--prio and --filter exclude: {r.stderr}")
r = run(["oncpu", "-C", "0", "--prio", "1-200"])
check(r.returncode != 0 and "0-139" in r.stderr, f"bad --prio: {r.stderr}")
done()
