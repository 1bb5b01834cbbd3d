#!/usr/bin/env python3
"""list: globs select names of every kind; what it lists can be traced."""
from qzt import *

require_root()
r = run(["list", "--json", "sched:sched_switch"])
check_eq(r.returncode, 0, f"exit status (stderr: {r.stderr})")
names = [(x["name"], x["kind"]) for x in json_lines(r.stdout)]
check_eq(names, [("sched:sched_switch", "Tracepoint event")], "exactly the tracepoint")

r = run(["list", "--json", "*clock*"])
names = {x["name"] for x in json_lines(r.stdout)}
check({"cpu-clock", "task-clock"} <= names, f"software clocks listed: {names}")

r = run(["list", "--json", "msr*"])
names = {x["name"]: x["kind"] for x in json_lines(r.stdout)}
check(names.get("msr//") == "PMU", f"the msr PMU: {names}")
if "msr/tsc/" in names:
    # A listed PMU event can be counted as written.
    s = run(["stat", "-e", "msr/tsc/", "--json", "--", "true"])
    stats = [x for x in json_lines(s.stdout) if x.get("type") == "stat"]
    check(stats and stats[0]["counters"][0]["value"] > 0, f"msr/tsc/ counts: {s.stdout} {s.stderr}")

r = run(["list", "no_such_event_anywhere"])
check(r.returncode == 1 and "no_such_event_anywhere" in r.stderr, f"nothing matches: {r.stderr}")
done()
