#!/usr/bin/env python3
"""multi-trace role=: one event list sees every switch of a sleeper, in and
out; role= lets only its switch-outs to sleep start a pair. Each 5 ms sleep
is one pair and nothing is left pending, where without role= the switch-ins
would also back themselves up. The key of the first list is an expression
(perf-prof's key=EXPR)."""
from qzt import *

require_root()


def run_once(role):
    def args(pid):
        first = f"sched:sched_switch/prev_pid=={pid}||next_pid=={pid}/key=prev_pid=={pid} ? prev_pid : 0/"
        if role:
            first += f"role=prev_pid=={pid} && prev_state==1 ? 1 : 0/"
        return ["multi-trace", "-e", first,
                "-e", f"sched:sched_switch/next_pid=={pid}/key=next_pid/", "--json"]
    _, mt, out, err = with_sleeper("100 5", args)
    check_eq(mt.returncode, 0, f"exit status (stderr: {err})")
    fin = [r for r in json_lines(out) if r.get("type") == "multi_trace" and r.get("final")]
    return fin[0] if fin else {}


with_role = run_once(True)
pairs = with_role.get("pairs", [{}])
calls = pairs[0].get("calls", 0)
check(95 <= calls <= 101, f"~100 calls with role=: {calls}")
check(5.0 <= pairs[0].get("p50", 0) / 1e6 <= 5.7, f"p50 in [5.0, 5.7] ms: {pairs[0].get('p50')}")
check_eq(with_role.get("pending"), 0, "role=: nothing left pending")
without = run_once(False)
check(without.get("pending", 0) >= 1,
      f"without role= the switch-ins back themselves up: pending {without.get('pending')}")
done()
