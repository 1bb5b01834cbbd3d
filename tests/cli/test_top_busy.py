#!/usr/bin/env python3
"""top over sched_stat_runtime, summed by runtime, ranks a busy process first;
an expression column (perf-prof's top-add="runtime/1000") sums per event."""
from qzt import *

require_root()
pid, p, out, err = with_spinner(["top", "-e",
                                 "sched:sched_stat_runtime//top-by=runtime/top-add=\"runtime/1000\"/",
                                 "--json", "-i", "1000", "-C", "1"])
check_eq(p.returncode, 0, f"exit status (stderr: {err})")
tops = [x for x in json_lines(out) if x.get("type") == "top"]
check(len(tops) >= 2, f"interval reports: {len(tops)}")
full = [t for t in tops if t["rows"]]
check(len(full) >= 1, "a non-empty interval")
first = full[0]["rows"][0] if full else {}
check_eq(first.get("pid"), pid, "busy process ranks first")
check_eq(first.get("comm"), "spin", "its comm")
check(first.get("runtime", 0) > 500_000_000, f"runtime of a 1 s interval > 0.5 s: {first.get('runtime')}")
# Each event adds runtime/1000 rounded down: the sum is at most one less per event.
us, ns, n = first.get("runtime/1000", -1), first.get("runtime", 0), first.get("count", 0)
check(ns // 1000 - n <= us <= ns // 1000, f"runtime/1000 column {us} ~ {ns} / 1000 over {n} events")
done()
