#!/usr/bin/env python3
"""perf-prof's expression language where events are keyed, named, filtered
and printed: _cpu, _pid, _tid, _period, shifts, printkey=printf(...),
comm=syscall_name()/ksymbol(), comm_get() in filters; top and multi-trace
keyed by _cpu; trigger. Counts come from N getppid calls pinned to CPU 1."""
from qzt import *

require_root()
N = 3000
ENTER, EXIT = "syscalls:sys_enter_getppid", "syscalls:sys_exit_getppid"
PINNED = ["--", "taskset", "-c", "1", prog("getppid_loop"), str(N)]


def records(args, kind):
    r = run(args + ["--json"] + PINNED)
    check_eq(r.returncode, 0, f"exit status of {args} (stderr: {r.stderr})")
    return [x for x in json_lines(r.stdout) if x.get("type") == kind], r


def top_rows(selector, extra=()):
    tops, r = records(["top", "-e", selector, *extra], "top")
    rows = [row for t in tops for row in t["rows"]]
    return rows, tops, r


# The number of getppid here, from what the kernel reports.
ev, _ = records(["trace", "-e", ENTER, "-N", "1"], "event")
NR = ev[0]["fields"]["__syscall_nr"] if ev else 110

# top keyed by the CPU: one row, CPU 1, every call.
rows, tops, r = top_rows(ENTER + "//key=_cpu/")
check_eq([(x["_cpu"], x["count"]) for x in rows], [(1, N)], "top key=_cpu rows")
rows, _, r = top_rows(ENTER, ["-k", "(_cpu<<16)|__syscall_nr"])
check_eq([(x["(_cpu<<16)|__syscall_nr"], x["count"]) for x in rows], [((1 << 16) | NR, N)],
         "top -k '(_cpu<<16)|__syscall_nr'")
# printkey formats the key; comm= names it with a string expression.
rows, _, r = top_rows(ENTER + '//key=_cpu/printkey=printf("cpu%d",key)/')
check_eq([x.get("printkey") for x in rows], ["cpu1"], "printkey=printf(\"cpu%d\",key)")
rows, _, r = top_rows(ENTER + "//key=__syscall_nr/comm=syscall_name(__syscall_nr)/")
check_eq([(x["__syscall_nr"], x["comm"]) for x in rows], [(NR, "getppid")],
         "comm=syscall_name(__syscall_nr)")
# _period: each sample of period=1000 stands for 1000 calls.
rows, _, r = top_rows(ENTER + "//period=1000/top-by=_period/")
check_eq(sum(x["count"] for x in rows), N // 1000, "samples at period=1000")
check_eq(sum(x["_period"] for x in rows), N // 1000 * 1000, "top-by=_period sums the calls")

# Filters over the variables and helpers run in user space.
for flt, want in [("_cpu==1", N), ("_cpu==0", 0), ("_tid==_pid", N),
                  ("(_cpu<<16|__syscall_nr)==%d" % (1 << 16 | NR), N),
                  ('comm_get(_pid)=="getppid_loop"', N), ('comm_get(_tid)~"nomatch*"', 0),
                  ('syscall_name(__syscall_nr)=="getppid"', N)]:
    ev, r = records(["trace", "-e", f"{ENTER}/{flt}/"], "event")
    check_eq(len(ev), want, f"trace events through /{flt}/")

# multi-trace keyed by _cpu pairs every enter with its exit.
mts, r = records(["multi-trace", "-e", ENTER + "//key=_cpu/", "-e", EXIT + "//key=_cpu/"],
                 "multi_trace")
calls = sum(p["calls"] for m in mts for p in m["pairs"])
check_eq(calls, N, "multi-trace key=_cpu pairs")
mts, r = records(["multi-trace", "-e", ENTER, "-k", "_cpu", "--perins",
                  "-e", EXIT + '//printkey=printf("cpu%d",key)/'], "multi_trace")
if check(mts, f"multi-trace --perins report ({r.stderr})"):
    insts = {(p.get("instance"), p.get("printkey")) for m in mts for p in m["pairs"]}
    check_eq(insts, {(1, "cpu1")}, "multi-trace --perins printkey")

# trigger: each exit prints the report as it arrives.
M = 5
r = run(["multi-trace", "-e", ENTER, "-e", EXIT + "//trigger/", "--json", "--",
         "taskset", "-c", "1", prog("getppid_loop"), str(M)])
reps = [x for x in json_lines(r.stdout) if x.get("type") == "multi_trace"]
check_eq(len([x for x in reps if not x["final"]]), M, f"reports triggered by {M} exits")
check_eq(sum(p["calls"] for x in reps for p in x["pairs"]), M, "each pair reported once")

# ksymbol(): hrtimer callbacks by name, as /proc/kallsyms has them.
kallsyms = {}
with open("/proc/kallsyms") as f:
    for line in f:
        addr, _, name = line.split()[:3]
        kallsyms[int(addr, 16)] = name
r = run(["top", "-e", "timer:hrtimer_expire_entry//key=function/comm=ksymbol(function)/",
         "--json", "-N", "30", "-i", "100000"], timeout=60)
rows = [row for t in json_lines(r.stdout) if t.get("type") == "top" for row in t["rows"]]
check(rows, f"hrtimer rows: {r.stderr}")
for row in rows:
    check_eq(row["comm"], kallsyms.get(row["function"], row["comm"]),
             f"ksymbol({row['function']:#x})")
check(any(row["function"] in kallsyms for row in rows), "some callback is a kernel symbol")
done()
