#!/usr/bin/env python3
"""task-state: `sleeper 20 50 30` runs 30 ms then sleeps 50 ms, 20 times.
Its S time is 20 x ~50 ms, its R time ~20 x 30 ms, its RD time small."""
import subprocess
import time
from qzt import *

require_root()
# SCHED_FIFO on CPU 0: nothing preempts its run phases. CPU 0 because on
# this VM samples raised while CPU 1 runs its idle task (the switch-in and
# the timer wakeup) are intermittently missing, with no LOST record.


def run_once():
    sleeper = subprocess.Popen(["chrt", "-f", "10", "taskset", "-c", "0", "sh", "-c",
                                f"read x; exec {prog('sleeper')} 20 50 30"],
                               stdin=subprocess.PIPE, text=True)
    ts = subprocess.Popen([QUAZAR, "task-state", "-p", str(sleeper.pid), "--perins", "--json",
                           "-i", "60000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    sleeper.stdin.write("go\n")
    sleeper.stdin.flush()
    sleeper.wait(timeout=60)
    time.sleep(0.5)
    ts.terminate()
    out, err = ts.communicate(timeout=30)
    return sleeper, ts, out, err


def sleeps_seen(out, pid):
    for r in json_lines(out):
        if r.get("type") == "task_state" and r.get("final"):
            return sum(x["calls"] for x in r["rows"] if x["tid"] == pid and x["state"] == "S")
    return 0


# The kernel of these VMs now and then never raises a sched event (perf stat
# misses it too, with no LOST record): a run that saw fewer than 20 sleeps
# is repeated, up to 3 times, and the last run is checked in full.
for attempt in range(3):
    sleeper, ts, out, err = run_once()
    if sleeps_seen(out, sleeper.pid) >= 20:
        break
    print(f"attempt {attempt + 1}: saw {sleeps_seen(out, sleeper.pid)} of 20 sleeps; again")
check_eq(ts.returncode, 0, f"exit status (stderr: {err})")
reps = [r for r in json_lines(out) if r.get("type") == "task_state" and r.get("final")]
check_eq(len(reps), 1, "one final report")
rows = {r["state"]: r for r in (reps[0]["rows"] if reps else []) if r["tid"] == sleeper.pid}
S, R, RD = rows.get("S", {}), rows.get("R", {}), rows.get("RD", {})
check_eq(S.get("calls"), 20, "20 sleeps")
check(50.0 <= S.get("p50", 0) / 1e6 <= 53.0, f"S p50 in [50, 53] ms: {S.get('p50', 0) / 1e6:.3f}")
check(1000 <= S.get("total", 0) / 1e6 <= 1060, f"S total ~1000 ms: {S.get('total', 0) / 1e6:.1f}")
check(20 <= R.get("calls", 0) <= 22, f"~20 runs (+ the shell before exec): {R.get('calls')}")
check(29.5 <= R.get("p50", 0) / 1e6 <= 32.0, f"R p50 ~30 ms: {R.get('p50', 0) / 1e6:.3f}")
check(590 <= R.get("total", 0) / 1e6 <= 660, f"R total ~600 ms: {R.get('total', 0) / 1e6:.1f}")
check(RD.get("calls", 0) >= 20, f"an RD (wakeup to switch-in) per sleep: {RD.get('calls')}")
check(RD.get("p50", 10**9) < 2_000_000, f"RD p50 < 2 ms for a SCHED_FIFO task: {RD.get('p50')}")
# Only exec's reading of the binary may wait on I/O (D), and briefly.
check(rows.get("D", {}).get("total", 0) < 50_000_000, f"no D state but a brief exec read: {rows.get('D')}")
check_eq(reps[0].get("lost") if reps else None, 0, "no lost events")
check_eq(reps[0].get("late") if reps else None, 0, "no late events")
# A row is named at its first event: the shell's, before exec, may say "sh".
check(S.get("comm") == "sleeper" and all(r["comm"] in ("sleeper", "sh") for r in rows.values()),
      f"comm: {[r['comm'] for r in rows.values()]}")
done()
