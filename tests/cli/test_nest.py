#!/usr/bin/env python3
"""Profilers as event sources (`-e 'task-state,profile/-F 1000 -N 10/'`): the
nested profiler runs with its own options and reports, its events join the
outer profiler's stream (trace prints them, multi-trace pairs or shows
them, --order orders them), its -N ends its events; what cannot be nested
is refused by name."""
from qzt import *

require_root()
N = 2000
ENTER, EXIT = "syscalls:sys_enter_getppid", "syscalls:sys_exit_getppid"
LOOP = ["--", prog("getppid_loop"), str(N)]


def recs(args, timeout=120):
    r = run(args, timeout=timeout)
    check_eq(r.returncode, 0, f"exit status of {args} (stderr: {r.stderr})")
    return json_lines(r.stdout), r


# A nested profile with -N 10: exactly 10 of its samples in trace's stream,
# all on -C 0, then its own final report; trace ends when its source does.
out, r = recs(["trace", "--json", "-e", "profile/-F 1000 -N 10 -C 0/"], timeout=60)
ev = [x for x in out if x.get("type") == "event"]
check_eq(len(ev), 10, "profile/-N 10/ samples printed by trace")
check(all(e["event"] == "profile(cpu-clock)" for e in ev), f"named after the profiler: {ev[:1]}")
check_eq({e["cpu"] for e in ev}, {0}, "its -C 0")
reps = [x for x in out if x.get("type") == "profile"]
check_eq(len(reps), 1, "profile's own (final) report")
check_eq(sum(c["samples"] for c in reps[0]["cpus"]) if reps else None, 10,
         "profile counted its 10 samples (idle ones included)")

# Joined with tracepoints under --order: every getppid, task-state's events
# (its -N 2 stops them), time never goes back, and task-state reports.
out, r = recs(["trace", "--json", "--order", "-e", f"{ENTER},task-state/-N 2 --perins/"] + LOOP)
ev = [x for x in out if x.get("type") == "event"]
calls = [e for e in ev if e["event"] == ENTER]
ts_ev = [e for e in ev if e["event"].startswith("task-state(sched:")]
check_eq(len(calls), N, "getppid events beside a nested task-state")
check(len(ts_ev) <= 2, f"task-state's -N 2 ends its events: {len(ts_ev)}")
check([e["ts"] for e in ev] == sorted(e["ts"] for e in ev), "--order orders both")
check([x for x in out if x.get("type") == "task_state"], "task-state's report")

# multi-trace: a nested trace's events pair as tracepoints would, and the
# nested trace prints them; an untraced nested profile only rides along.
out, r = recs(["multi-trace", "--json", "-e", f"trace/-e {ENTER}/",
               "-e", f"{EXIT},profile/-F 997/untraced/"] + LOOP)
calls = sum(p["calls"] for m in out if m.get("type") == "multi_trace" for p in m["pairs"])
check_eq(calls, N, "pairs of nested trace's enters with exits")
starts = {p["start"] for m in out if m.get("type") == "multi_trace" for p in m["pairs"]}
check_eq(starts, {"trace(syscalls:sys_enter_getppid)"}, "pairs start at the nested events")
printed = [x for x in out if x.get("type") == "event" and x["event"] == ENTER]
check_eq(len(printed), N, "the nested trace printed its events")
check([x for x in out if x.get("type") == "profile"], "the untraced profile reported")

# top keyed by a variable over a nested profiler's events.
out, r = recs(["top", "--json", "-e", "profile/-F 1000 -N 20/key=_cpu/", "-i", "60000"],
              timeout=60)
rows = [row for t in out if t.get("type") == "top" for row in t["rows"]]
check_eq(sum(x["count"] for x in rows), 20, "top counted the nested samples")
check({x["_cpu"] for x in rows} <= {0, 1, 2, 3, 4, 5, 6, 7}, f"keys are CPUs: {rows}")


def refused(args, *words):
    r = run(args, timeout=60)
    check(r.returncode != 0, f"{args} refused")
    for w in words:
        check(w in r.stderr, f"{args}: stderr names {w!r}: {r.stderr!r}")


refused(["trace", "-e", "stat/-i 100/"], "stat cannot run inside another profiler",
        "these can: trace, top, multi-trace")
refused(["stat", "-e", "profile/-F 99/", "--", "true"],
        "this profiler counts events; it cannot read another profiler's")
refused(["trace", "-e", "task-stat"], "unknown event or profiler 'task-stat'",
        "did you mean 'task-state'?")
refused(["trace", "-e", "profile/-Q/"], "the options of profile inside trace",
        "unknown option '-Q'")
refused(["trace", "-e", "profile/-p 1/"], "give -p to the outer profiler")
refused(["trace", "-e", "trace/-e profile/"], "cannot run 'profile' inside itself")
refused(["trace", "-e", "profile/-F 99/key=_cpu/"], "'trace' does not use the attribute key=",
        "top, multi-trace")
done()
