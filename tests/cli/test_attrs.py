#!/usr/bin/env python3
"""Attributes do what perf-prof documents or are refused: cpus= samples on
those CPUs only (counted), and an attribute the profiler does not read is
refused with the caret on it, naming those that read it."""
from qzt import *

require_root()
N = 2000
ENTER = "syscalls:sys_enter_getppid"


def count(selector, cpu):
    r = run(["trace", "-e", selector, "--json", "--", "taskset", "-c", str(cpu),
             prog("getppid_loop"), str(N)])
    check_eq(r.returncode, 0, f"exit status of trace {selector} (stderr: {r.stderr})")
    return len([x for x in json_lines(r.stdout) if x.get("type") == "event"])


check_eq(count(ENTER + "//cpus=0/", 1), 0, "cpus=0 while the calls run on CPU 1")
check_eq(count(ENTER + "//cpus=1/", 1), N, "cpus=1 while the calls run on CPU 1")
check_eq(count(ENTER + "//cpus=0-1/", 1), N, "cpus=0-1")
check_eq(count(ENTER + "//cpus=0/", 0), N, "cpus=0 while the calls run on CPU 0")


# A glob's filter applies to every match that has its fields and names
# those that lack them: sys_exit_getppid has ret, sys_enter_getppid not.
r = run(["trace", "-e", "syscalls:sys_*_getppid/ret>0/", "--json", "--",
         prog("getppid_loop"), str(N)])
check_eq(r.returncode, 0, f"exit status (stderr: {r.stderr})")
ev = [x for x in json_lines(r.stdout) if x.get("type") == "event"]
check_eq(len(ev), N, "every exit passes ret>0")
check_eq({e["event"] for e in ev}, {"syscalls:sys_exit_getppid"}, "only the matches with ret")
check("left out syscalls:sys_enter_getppid (no field 'ret')" in r.stderr,
      f"names the match without the field: {r.stderr!r}")
r = run(["trace", "-e", "syscalls:sys_*_getppid/ret<0/", "--json", "--",
         prog("getppid_loop"), str(N)])
check_eq(len([x for x in json_lines(r.stdout) if x.get("type") == "event"]), 0,
         "the filter runs on the matches it applies to")


def refused(args, *words):
    r = run(args, timeout=60)
    check(r.returncode != 0, f"{args} refused")
    for w in words:
        check(w in r.stderr, f"{args}: stderr names {w!r}: {r.stderr!r}")


refused(["trace", "-e", "sched:sched_wake_idle*/prio<10/", "--", "true"],
        "no match of the glob has the fields of its filter", "unknown field 'prio'")
refused(["trace", "-e", ENTER + "//cpus=5-6/", "-C", "0", "--", "true"],
        "cpus=5-6: none of those CPUs is watched (-C 0)")
refused(["stat", "-e", "page-faults//cpus=0/", "-p", "1", "--", "true"],
        "cpus= needs per-CPU events")
refused(["trace", "-e", "sched:sched_switch//delay=prev_pid/", "--", "true"],
        "sched:sched_switch//delay=prev_pid/\n                    ^",
        "'trace' does not use the attribute delay=", "it is used by: num-dist")
refused(["trace", "-e", "sched:sched_switch//trigger/", "--", "true"],
        "'trace' does not use the attribute trigger; it is used by: multi-trace")
refused(["top", "-e", "sched:sched_switch//untraced/", "--", "true"],
        "'top' does not use the attribute untraced; it is used by: multi-trace")
refused(["multi-trace", "-e", "sched:sched_switch//top-by=prev_pid/", "-e",
         "sched:sched_wakeup", "--", "true"], "used by: top")
refused(["kmemleak", "--alloc", "kmem:kmalloc//key=ptr/", "--free", "kmem:kfree", "--", "true"],
        "'kmemleak' does not use the attribute key=")
done()
