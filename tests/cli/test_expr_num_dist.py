#!/usr/bin/env python3
"""expr evaluates over each event's fields; num-dist's statistics of a
number the test controls (writer N: writes of 1..N bytes)."""
from qzt import *

require_root()

# expr: getppid's system call number is 110 on x86-64; -N 5 by default.
r = run(["expr", "-e", "syscalls:sys_enter_getppid", "__syscall_nr * 2 + 1", "--json",
         "--", prog("getppid_loop"), "50"])
check_eq(r.returncode, 0, f"expr exit status (stderr: {r.stderr})")
recs = [x for x in json_lines(r.stdout) if x.get("type") == "expr"]
check_eq(len(recs), 5, "expr stops after 5 events by default")
check(all(x["result"] == 221 for x in recs), f"results are 110*2+1: {[x['result'] for x in recs]}")
check(all(x["fields"]["__syscall_nr"] == 110 for x in recs), "fields are printed with the result")

# -N overrides the default; a glob match on a string field
r = run(["expr", "-e", "sched:sched_process_exec", 'filename ~ "*getppid*"', "-N", "1",
         "--", prog("getppid_loop"), "1"])
check_eq(r.returncode, 0, f"expr exit status (stderr: {r.stderr})")
check("result: 0x1 (1)" in r.stdout, f"glob on filename matches: {r.stdout!r}")
check(r.stdout.startswith('expression: filename ~ "*getppid*"'), "the expression is echoed")

# A wrong field is pointed at, with the fix.
r = run(["expr", "-e", "syscalls:sys_enter_getppid", "__syscal_nr + 1"])
check(r.returncode != 0, "a bad field fails")
check("did you mean __syscall_nr" in r.stderr, f"suggests the field: {r.stderr!r}")
r = run(["expr", "-e", "syscalls:sys_enter_getppid"])
check(r.returncode != 0 and "needs an expression" in r.stderr, f"no expression: {r.stderr!r}")

# num-dist: N writes of 1..N bytes from the workload alone.
N = 300
r = run(["num-dist", "-e", "syscalls:sys_enter_write/fd>2/delay=count/", "--json", "-i", "0",
         "--", prog("writer"), str(N)])
check_eq(r.returncode, 0, f"num-dist exit status (stderr: {r.stderr})")
recs = [x for x in json_lines(r.stdout) if x.get("type") == "num_dist"]
check_eq(len(recs), 1, "one final report with -i 0")
rows = recs[0]["rows"] if recs else []
check_eq(len(rows), 1, "one row")
if rows:
    row = rows[0]
    check_eq(row["calls"], N, "calls")
    check_eq(row["total"], N * (N + 1) // 2, "total is the sum of 1..N")
    check_eq(row["min"], 1, "min")
    check_eq(row["max"], N, "max")
    check(abs(row["p50"] - N / 2) <= N / 2 * 0.05 + 1, f"p50 {row['p50']} near {N / 2}")

# An expression as the number, per thread, and --than printing the outliers.
r = run(["num-dist", "-e", "syscalls:sys_enter_write/fd>2/delay=(count*10)/alias=w10/", "--json",
         "-i", "0", "--perins", "--than", str(10 * (N - 5)), "--", prog("writer"), str(N)])
check_eq(r.returncode, 0, f"num-dist expression exit status (stderr: {r.stderr})")
recs = json_lines(r.stdout)
dist = [x for x in recs if x.get("type") == "num_dist"]
outl = [x for x in recs if x.get("type") == "num_dist_outlier"]
check_eq(len(outl), 5, "5 values above 10*(N-5)")
check(all(x["value"] > 10 * (N - 5) and x["event"] == "w10" for x in outl), "outlier values")
rows = dist[0]["rows"] if dist else []
check(len(rows) == 1 and rows[0]["event"] == "w10" and rows[0]["max"] == 10 * N
      and "instance" in rows[0], f"aliased row per thread: {rows}")

# Without delay= num-dist says what to give.
r = run(["num-dist", "-e", "syscalls:sys_enter_write"])
check(r.returncode != 0 and "delay=" in r.stderr, f"no number: {r.stderr!r}")
done()
