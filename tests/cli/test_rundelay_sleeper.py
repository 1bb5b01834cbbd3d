#!/usr/bin/env python3
"""rundelay: `sleeper 20 50 30` (SCHED_FIFO on CPU 0) is woken 21 times: once
from the shell's `read` that holds it until quazar runs, then after each of
its 20 sleeps; each wakeup waits for the CPU a little. perf-prof's command
line, with -p: the wakeup => switch row of its pid has 20 calls or 21 (the
read's wakeup, when the kernel raised it), and a comm.
Then the form without -e, scoped by --filter COMM instead, sees the 20 of
the sleeper's own name (the read's wakeup is the shell's, named sh)."""
from qzt import *
from qzt_wait import with_waiting

require_root()


def rows_of(out, pid):
    reps = [r for r in json_lines(out) if r.get("type") == "multi_trace" and r.get("final")]
    return reps, [p for r in reps for p in r["pairs"] if p.get("instance") == pid]


def wakeups(rows):
    return sum(p["calls"] for p in rows if p["start"] == "sched_wakeup")


for form in ("perf-prof", "filter"):
    for attempt in range(3):
        if form == "perf-prof":
            args = lambda pid: [
                "rundelay", "-e",
                "sched:sched_wakeup,sched:sched_wakeup_new,sched:sched_switch//key=prev_pid/",
                "-e", "sched:sched_switch//key=next_pid/", "-k", "pid", "--order",
                "-p", str(pid), "-i", "60000", "--perins", "--json"]
        else:
            args = lambda pid: ["rundelay", "--filter", "sleepe?", "-i", "60000", "--perins",
                                "--json"]
        pid, q, out, err = with_waiting([prog("sleeper"), "20", "50", "30"], args, fifo=10)
        reps, rows = rows_of(out, pid)
        want = 20
        if wakeups(rows) >= want:
            break
        print(f"{form} attempt {attempt + 1}: {wakeups(rows)} wakeups of {want}; again")
    check_eq(q.returncode, 0, f"{form}: exit status (stderr: {err})")
    check_eq(len(reps), 1, f"{form}: one final report")
    # exec may wait once on reading the binary: one more wakeup then
    # + the shell's read (perf-prof form), + exec waiting on reading the binary
    check(want <= wakeups(rows) <= want + 3, f"{form}: the sleeper's wakeups: {wakeups(rows)} ({want})")
    w = [p for p in rows if p["start"] == "sched_wakeup"]
    check(all(p["end"] == "sched_switch" for p in w), f"{form}: wakeup => switch-in")
    check(all(p["comm"] in ("sleeper", "sh") for p in w), f"{form}: the comm column: {[p.get('comm') for p in w]}")
    check(w and w[0]["p50"] < 2_000_000, f"{form}: a SCHED_FIFO task waits little: {w and w[0]['p50']}")
    others = {p["instance"] for r in reps for p in r["pairs"]} - {pid}
    check(not others, f"{form}: only the sleeper is in scope: {others}")

r = run(["rundelay", "-e", "sched:sched_wakeup", "-e", "sched:sched_switch//key=next_pid/"])
check(r.returncode != 0 and "found" in r.stderr, f"events that are not rundelay's: {r.stderr}")
r = run(["rundelay", "--", "true"])
check(r.returncode != 0 and "-p PID" in r.stderr, f"a command is refused: {r.stderr}")
done()
