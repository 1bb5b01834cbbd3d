#!/usr/bin/env python3
"""period=N samples every Nth hit of a tracepoint or a software event: the
kernel would otherwise sample every hit, whatever the period."""
from qzt import *

require_root()
N = 10000


def events(selector, workload):
    r = run(["trace", "-e", selector, "--json", "--", *workload])
    check_eq(r.returncode, 0, f"exit status of trace {selector} (stderr: {r.stderr})")
    return [x for x in json_lines(r.stdout) if x.get("type") == "event"]


ev = events("syscalls:sys_enter_getppid//period=1000/", [prog("getppid_loop"), str(N)])
check_eq(len(ev), N // 1000, f"samples of {N} getppid calls at period=1000")
ev = events("syscalls:sys_enter_getppid//period=3000/", [prog("getppid_loop"), str(N)])
check_eq(len(ev), N // 3000, f"samples of {N} getppid calls at period=3000")
ev = events("syscalls:sys_enter_getppid//period=1/", [prog("getppid_loop"), str(N)])
check_eq(len(ev), N, f"samples of {N} getppid calls at period=1")

# A software event: K fresh pages fault K times (plus the loader's few).
K = 20000
ev = events("page-faults//period=1000/", [prog("touch_pages"), str(K)])
check(K // 1000 <= len(ev) <= K // 1000 + 2,
      f"page-faults samples at period=1000 for {K} pages: {len(ev)}")
check(all(e.get("period") == 1000 for e in ev),
      f"each sample stands for 1000 faults: {[e.get('period') for e in ev][:5]}")
done()
