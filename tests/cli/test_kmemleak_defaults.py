#!/usr/bin/env python3
"""kmemleak's defaults are perf-prof's: ptr=ptr on every event and
size=bytes_alloc on allocations, so `--alloc kmem:kmalloc --free kmem:kfree`
needs no attrs; size=EXPR takes an expression."""
from qzt import *

require_root()
WORK = ["--", "sh", "-c", "ls /proc/self/ >/dev/null; cat /proc/self/status >/dev/null"]


def report(alloc, free):
    r = run(["kmemleak", "--alloc", alloc, "--free", free, "--json"] + WORK, timeout=60)
    check_eq(r.returncode, 0, f"exit status of kmemleak --alloc {alloc} (stderr: {r.stderr})")
    reps = [x for x in json_lines(r.stdout) if x.get("type") == "kmemleak"]
    check_eq(len(reps), 1, "one final report")
    return reps[-1] if reps else {}


# Only 64-byte slabs: every allocation counts its bytes_alloc, 64.
r = report("kmem:kmalloc/bytes_alloc==64/", "kmem:kfree")
check(r.get("allocs", 0) > 0, f"allocations of 64 bytes seen: {r}")
check_eq(r.get("alloc_bytes"), 64 * r.get("allocs", 0), "size=bytes_alloc by default")
# Frees pair with allocations by pointer (ptr=ptr on both).
r = report("kmem:kmalloc/bytes_alloc<=1024/", "kmem:kfree")
check(r.get("free_bytes", 0) > 0, f"frees matched their allocations by ptr: {r}")
check(r.get("frees", 0) >= r.get("frees", 0) - r.get("unmatched_frees", 0) > 0, f"matched frees: {r}")
# size= is an expression: twice the slab.
r = report("kmem:kmalloc/bytes_alloc==64/size=bytes_alloc*2/", "kmem:kfree")
check_eq(r.get("alloc_bytes"), 128 * r.get("allocs", 0), "size=bytes_alloc*2")
done()
