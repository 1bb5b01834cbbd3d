#!/usr/bin/env python3
"""sched-migrate: `migrator 40` moves itself between CPU 0 and CPU 1 forty
times with sched_setaffinity: forty migrations of its pid, for the reason
"affinity", each printed with -vv."""
from qzt import *
from qzt_wait import with_waiting

require_root()
N = 40
pid, q, out, err = with_waiting([prog("migrator"), str(N)], lambda pid: [
    "sched-migrate", "--filter", f"pid=={pid}", "-vv", "--json", "-i", "60000"])
check_eq(q.returncode, 0, f"exit status (stderr: {err})")
recs = json_lines(out)
reps = [r for r in recs if r.get("type") == "sched_migrate"]
moves = [r for r in recs if r.get("type") == "migration"]
check_eq(len(reps), 1, "one report (-i 60000)")
rep = reps[0] if reps else {}
check_eq(rep.get("total"), N, "migrations of the migrator")
reasons = {r["reason"]: r["count"] for r in rep.get("reasons", [])}
check_eq(reasons.get("affinity"), N, f"all for its affinity: {reasons}")
check_eq(rep.get("same_llc", 0) + rep.get("cross_llc", 0), N, "each is same-LLC or not")
check_eq(len(moves), N, "-vv prints each")
check(all(m["pid"] == pid and m["comm"] == "migrator" for m in moves), "the migrator's")
check(all({m["orig_cpu"], m["dest_cpu"]} == {0, 1} for m in moves), "between CPU 0 and 1")
check(rep.get("tasks") and rep["tasks"][0]["pid"] == pid and rep["tasks"][0]["count"] == N,
      f"the top task: {rep.get('tasks')}")
done()
