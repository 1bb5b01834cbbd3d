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

# A plain PATTERN matches anywhere in the name, as perf-prof's list does.
r = run(["list", "--json", "getppid"])
names = sorted(x["name"] for x in json_lines(r.stdout))
check_eq(names, ["syscalls:sys_enter_getppid", "syscalls:sys_exit_getppid"], "list getppid")
r = run(["list", "switch"])
check("sched:sched_switch" in r.stdout and "cs" not in r.stdout.split(),
      f"list switch names sched:sched_switch: {r.stdout[:300]}")

# -v: the fields, their types and the print format, as the kernel has them.
with open("/sys/kernel/tracing/events/sched/sched_switch/format"
          if __import__("os").path.exists("/sys/kernel/tracing/events")
          else "/sys/kernel/debug/tracing/events/sched/sched_switch/format") as f:
    fmt = f.read()
want = {}
for line in fmt.splitlines():
    line = line.strip()
    if line.startswith("field:"):
        parts = dict(p.strip().split(":", 1) for p in line.split(";") if ":" in p)
        decl = parts["field"].strip()
        want[decl.split()[-1].split("[")[0]] = (int(parts["offset"]), int(parts["size"]),
                                                 parts["signed"].strip() == "1")
r = run(["list", "-v", "--json", "sched:sched_switch"])
check_eq(r.returncode, 0, f"list -v exit status ({r.stderr})")
recs = json_lines(r.stdout)
check_eq(len(recs), 1, "one event described")
got = {f["name"]: (f["offset"], f["size"], f["signed"]) for f in recs[0]["fields"]} if recs else {}
check_eq(got, want, "fields, offsets, sizes and signs of sched_switch")
check(recs and recs[0]["print_fmt"].startswith('"prev_comm=%s prev_pid=%d'), "print fmt")
check(recs and {"prev_comm": "char[16]", "next_pid": "pid_t"}.items() <=
      {f["name"]: f["type"] for f in recs[0]["fields"]}.items(), "C types")
r = run(["list", "-v", "sched:sched_wak*"])
check(r.stdout.count("[Tracepoint event]") >= 3 and "prio" in r.stdout and
      "print fmt:" in r.stdout, f"list -v takes a glob: {r.stdout[:300]}")
# `PROFILER -e EVENT help`: the same, for the events of -e.
r = run(["trace", "-e", "sched:sched_switch,sched:sched_wakeup", "help"])
check_eq(r.returncode, 0, f"trace -e ... help exit status ({r.stderr})")
check("sched:sched_switch [Tracepoint event]" in r.stdout and
      "sched:sched_wakeup [Tracepoint event]" in r.stdout and "next_pid" in r.stdout,
      f"trace -e EVENT help: {r.stdout[:300]}")
r = run(["trace", "-e", "profile", "help"])
check("runs inside another" in r.stdout and "-F" in r.stdout, f"a profiler's help: {r.stdout[:200]}")
r = run(["list", "-v", "sched:no_such"])
check(r.returncode != 0 and "unknown tracepoint" in r.stderr, f"unknown event: {r.stderr}")

r = run(["list", "no_such_event_anywhere"])
check(r.returncode == 1 and "no_such_event_anywhere" in r.stderr, f"nothing matches: {r.stderr}")
done()
