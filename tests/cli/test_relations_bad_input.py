#!/usr/bin/env python3
"""Bad input to multi-trace, kmemleak and task-state: each is refused with a
message that names the input and says how to fix it."""
from qzt import *

require_root()


def refused(args, *needles):
    p = run(args, timeout=60)
    what = " ".join(args)
    check(p.returncode != 0, f"'{what}' is refused (rc {p.returncode})")
    for n in needles:
        check(n in p.stderr, f"'{what}': stderr names {n!r}: {p.stderr.strip()[:400]!r}")


# A key field the event does not have: named, with the fields it does have.
refused(["multi-trace", "-e", "sched:sched_switch//key=nxt_pid/", "-e", "sched:sched_wakeup//key=pid/"],
        "key=nxt_pid", "sched:sched_switch has no field 'nxt_pid'", "next_pid")
refused(["multi-trace", "-e", "sched:sched_wakeup", "-e", "sched:sched_switch", "-k", "pidd"],
        "-k=pidd", "no field 'pidd'", "target_cpu")
refused(["multi-trace", "-e", "sched:sched_wakeup"], "-e EVENT1 -e EVENT2")
refused(["multi-trace", "-e", "sched:sched_wakeup", "-e", "sched:sched_switch", "--impl", "syscalls"],
        "--impl syscalls", "delay", "pair")
refused(["multi-trace", "-e", "sched:sched_wakeup", "-e", "sched:sched_switch//untraced/"],
        "untraced", "sched:sched_switch//untraced/")
refused(["multi-trace", "-e", "sched:sched_wakeup", "-e", "sched:sched_switch", "--detail"],
        "--detail", "--than")
refused(["multi-trace", "-e", "sched:sched_wakeup", "-e", "sched:sched_switch", "--than", "5ms",
         "--detail=samecpu,bogus"], "bogus", "samekey")
# role= expressions: a parse error points at the column, a bad field is named.
refused(["multi-trace", "-e", "sched:sched_switch//role=prev_pid ? 1/", "-e", "sched:sched_wakeup"],
        "bad role= for sched:sched_switch", "prev_pid ? 1\n            ^ expected ':'")
refused(["multi-trace", "-e", "sched:sched_switch//role=prev_sate==1/", "-e", "sched:sched_wakeup"],
        "bad role=", "unknown field 'prev_sate'", "prev_state")
refused(["multi-trace", "-e", "page-faults//role=prev_state==1/", "-e", "sched:sched_wakeup"],
        "bad role= for page-faults", "'prev_state': this event has no fields", "_cpu")
# kmemleak without --free: names the missing option and an example.
refused(["kmemleak", "--alloc", "kmem:kmalloc//ptr=ptr/size=bytes_alloc/"],
        "--free", "kmem:kmalloc//ptr=ptr/size=bytes_alloc/", "kmem:kfree//ptr=ptr/")
refused(["kmemleak", "--free", "kmem:kfree//ptr=ptr/"], "--alloc", "ptr=")
refused(["kmemleak", "--alloc", "kmem:kmalloc//size=bytes_alloc/ptr=pointer/", "--free", "kmem:kfree//ptr=ptr/"],
        "ptr=pointer", "kmem:kmalloc has no field 'pointer'", "bytes_alloc")
refused(["kmemleak", "--alloc", "kmem:kmalloc//ptr=ptr/", "--free", "sched:sched_switch"],
        "--free", "sched:sched_switch", "ptr=", "no field 'ptr', the default")
refused(["kmemleak", "--alloc", "uretprobe:/lib/x86_64-linux-gnu/libc.so.6:malloc//ptr=eax/",
         "--free", "uprobe:/lib/x86_64-linux-gnu/libc.so.6:free//ptr=rdi/"], "ptr=eax", "$retval")
# task-state -- cmd is taken now (it follows the workload by ptrace): see
# test_ptrace.py. -g is refused rather than ignored.
refused(["task-state", "-g", "-i", "100"], "-g", "not implemented")
refused(["task-state", "--ptrace", "--filter", "sh"], "--ptrace", "--filter sh")
refused(["task-state", "-p", "999999999"], "-p 999999999", "no such process")
refused(["task-state", "--cgroup", "/no/such/cgroup"], "--cgroup /no/such/cgroup", "cgroup v2 path")
done()
