#!/usr/bin/env python3
"""Bad BPF input gets a clear error naming the object and the program:
an object without a perf_event program, a program the verifier rejects
(its log cut to the failing instruction), a missing BTF (in the object,
or the kernel's for CO-RE), an event that cannot take the program."""
import os
import re
from qzt import *
from qzbpf import EXAMPLES, obj, require_bpf

require_bpf()
EV = ["-e", "page-faults//freq=50/", "--", "true"]


def refused(args, *needles):
    r = run(["bpf"] + args)
    check(r.returncode != 0, f"{args}: refused (exit {r.returncode})")
    for n in needles:
        check(n in r.stderr, f"{args}: the error says {n!r}: {r.stderr!r}")
    return r.stderr


# An object without a perf_event program.
refused([obj("tracepoint_only.bpf.o")] + EV, "tracepoint_only.bpf.o",
        'SEC("perf_event")', "on_switch", "page-faults")
# A program the verifier rejects: the instruction and the verdict, not the whole log.
err = refused([obj("bad_verifier.bpf.o")] + EV, "bad_verifier.bpf.o", "count_unchecked",
              "verifier rejected", "invalid mem access")
check(re.search(r"^\s+\d+: \(\w+\) ", err, re.M), f"the failing instruction is quoted: {err!r}")
check(len(err.splitlines()) <= 8, f"the log is cut short: {len(err.splitlines())} lines")
check("bad_verifier.bpf.c:" in err, f"with its source line: {err!r}")
r = run(["bpf", obj("bad_verifier.bpf.o"), "-vv"] + EV)
check("processed" in r.stderr or "BEGIN PROG LOAD LOG" in r.stderr,
      f"-vv gives the whole log: {r.stderr[-300:]!r}")
# A missing BTF: in the object (compiled without -g), or the kernel's.
refused([obj("no_btf.bpf.o")] + EV, "no_btf.bpf.o", "no BTF", "clang -g")
refused([os.path.join(EXAMPLES, "faults.bpf.o"), "--btf", "/nonexistent/vmlinux"] + EV,
        "faults.bpf.o", "BTF", "/nonexistent/vmlinux")
# An event that cannot take the program: a tracepoint and a perf_event program.
refused([os.path.join(EXAMPLES, "faults.bpf.o"), "-e", "sched:sched_switch", "--", "true"],
        "faults.bpf.o", "count_faults", "sched:sched_switch", 'SEC("tracepoint")')
refused([os.path.join(EXAMPLES, "faults.bpf.o"), "--prog", "count_faults", "-e",
         "sched:sched_switch", "--", "true"],
        "faults.bpf.o", "'count_faults' is a perf_event program", "sched:sched_switch")
# No such program, no such file, no object at all.
refused([os.path.join(EXAMPLES, "faults.bpf.o"), "--prog", "nope"] + EV, "no program 'nope'",
        "count_faults")
refused(["/nonexistent/x.bpf.o"] + EV, "/nonexistent/x.bpf.o", "No such file")
refused(EV, "needs a BPF object")
refused([os.path.join(EXAMPLES, "faults.bpf.o"), "--", "true"], "needs events")
done()
