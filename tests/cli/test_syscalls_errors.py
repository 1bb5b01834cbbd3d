#!/usr/bin/env python3
"""syscalls: `sysloop 20000 3000` makes 20000 getppid calls, which succeed,
and 3000 close(-1) calls, which fail: its rows say so, per syscall id.
It makes them in ~150 ms: with the --order window (100 ms) held in the
ring, the ring must hold 100 ms of a 300,000 events/s burst (-m 4096)."""
from qzt import *
from qzt_wait import with_waiting

require_root()
N, M = 20000, 3000
pid, q, out, err = with_waiting([prog("sysloop"), str(N), str(M)], lambda pid: [
    "syscalls", "-e", "raw_syscalls:sys_enter", "-e", "raw_syscalls:sys_exit", "-p", str(pid),
    "--perins", "--json", "-i", "60000", "-m", "4096"])
check_eq(q.returncode, 0, f"exit status (stderr: {err})")
reps = [r for r in json_lines(out) if r.get("type") == "syscalls"]
check_eq(len(reps), 1, "one report (-i 60000)")
rows = {r["name"]: r for rep in reps for r in rep["rows"] if r.get("tid") == pid}
g, c = rows.get("getppid", {}), rows.get("close", {})
check_eq(g.get("calls"), N, "getppid calls")
check_eq(g.get("errors"), 0, "getppid never fails")
# the dynamic loader closes a file or two as well
check(M <= c.get("calls", 0) <= M + 5, f"close calls: {c.get('calls')}")
check_eq(c.get("errors"), M, "close(-1) fails each time (EBADF)")
check(g.get("id") == 110 or g.get("id") is not None, "the syscall's id")
check(0 < g.get("min", 0) <= g.get("avg", 0) <= g.get("max", 0), f"min <= avg <= max: {g}")
check(g.get("comm") == "sysloop", f"comm: {g.get('comm')}")
check_eq(reps[0]["mismatched"] if reps else None, 0, "no enter/exit of different ids")
check_eq(reps[0]["lost"] if reps else None, 0, "nothing lost")

r = run(["syscalls", "-e", "sched:sched_switch", "-e", "raw_syscalls:sys_exit"])
check(r.returncode != 0 and "raw_syscalls:sys_enter" in r.stderr, f"other events refused: {r.stderr}")
done()
