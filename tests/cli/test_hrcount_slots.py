#!/usr/bin/env python3
"""hrcount: `getppid_loop 200000` (SCHED_FIFO on CPU 0) after a second's wait,
its getppid calls counted in 100 ms slots: the slots add up to exactly its
calls, and the calls fill one run of consecutive slots, with empty slots
before it (the wait) and after it (the program is gone)."""
from qzt import *
from qzt_wait import with_waiting

require_root()
N = 200000
pid, q, out, err = with_waiting([prog("getppid_loop"), str(N)], lambda pid: [
    "hrcount", "-C", "0", "--period", "100ms", "-i", "1000", "--perins", "--json",
    "-e", f"syscalls:sys_enter_getppid/common_pid=={pid}/"], settle=1.0, after=1.2,
    fifo=10)
check_eq(q.returncode, 0, f"exit status (stderr: {err})")
reps = [r for r in json_lines(out) if r.get("type") == "hrcount"]
check(len(reps) >= 2, f"a report per round: {len(reps)}")
check(all(r["slots"] == 10 for r in reps if not r["final"]), "ten 100 ms slots per round")
rows = [row for r in reps for row in r["rows"]]
check(all(row["cpu"] == 0 and row["event"] == "sys_enter_getppid" for row in rows),
      "rows of CPU 0 (-C 0 --perins), named by the event")
check(all(sum(row["counts"]) == row["total"] for row in rows), "total = sum of slots")
total = sum(row["total"] for row in rows)
check_eq(total, N, "every getppid call counted once")
slots = [c for r in reps for row in r["rows"] for c in row["counts"]]
busy = [i for i, c in enumerate(slots) if c]
check(busy and busy == list(range(busy[0], busy[-1] + 1)), f"one run of busy slots: {slots}")
check(busy and busy[0] >= 3 and busy[-1] <= len(slots) - 3,
      f"empty slots before and after the burst: {slots}")
check(all(r["missed"] == 0 or r["missed"] < 5 for r in reps), "few ticks missed")

r = run(["hrcount", "-e", "sched:sched_switch", "--period", "2s", "-i", "1000"])
check(r.returncode != 0 and "--period" in r.stderr, f"a period longer than -i: {r.stderr}")
r = run(["hrcount", "--period", "100ms"])
check(r.returncode != 0 and "-e" in r.stderr, f"events needed: {r.stderr}")
done()
