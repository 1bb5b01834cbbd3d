#!/usr/bin/env python3
"""kmemleak over libc malloc/free uprobes: `leaker K S` leaks exactly K blocks
of S bytes from leak_here() and frees its 2000 other blocks; the report has
K objects and K*S bytes at a stack naming leak_here, and nothing else.
--flame-graph writes the same bytes per stack to FILE.folded and FILE.svg."""
import os
import subprocess
import tempfile
from qzt import *
from flamesvg import parse

require_root()
LIBC = "/lib/x86_64-linux-gnu/libc.so.6"
if not os.path.exists(LIBC):
    print(f"skipped: no {LIBC}")
    raise SystemExit(SKIP)
K, S = 13, 3000
flame = os.path.join(tempfile.mkdtemp(prefix="qz-kmemleak-"), "leaks")
# stdin stays open (a pipe nobody writes): the leaker pauses 300 ms before
# and after, so its mappings are read while it lives.
p = subprocess.Popen([QUAZAR, "kmemleak",
                    "--alloc", f"uprobe:{LIBC}:malloc//size=rdi/,uretprobe:{LIBC}:malloc//ptr=rax/stack/",
                    "--free", f"uprobe:{LIBC}:free//ptr=rdi/",
                    "--json", "--flame-graph", flame, "--", prog("leaker"), str(K), str(S)],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.PIPE, text=True)
p.stdout_text = p.stdout.read()
p.stderr_text = p.stderr.read()
p.wait(timeout=120)
p.stdin.close()
check_eq(p.returncode, 0, f"exit status (stderr: {p.stderr_text})")
reports = [r for r in json_lines(p.stdout_text) if r.get("type") == "kmemleak"]
check_eq(len(reports), 1, "one (final) report")
r = reports[-1] if reports else {}
check_eq(r.get("final"), True, "final")
check_eq(r.get("leaked_objects"), K, "leaked objects")
check_eq(r.get("leaked_bytes"), K * S, "leaked bytes")
leaks = r.get("leaks", [])
check_eq(len(leaks), 1, "one leaking stack")
if leaks:
    check_eq((leaks[0]["objects"], leaks[0]["bytes"]), (K, K * S), "the group")
    syms = [f.get("sym") for f in leaks[0]["stack"]]
    check("leak_here" in syms, f"stack names leak_here: {syms}")
    check("churn" not in syms, "churn's blocks were freed")
# churn() mallocs and frees 1000 blocks twice: every one is paired.
check(r.get("allocs", 0) >= K + 2000, f"allocs >= K + 2000: {r.get('allocs')}")
check(r.get("frees", 0) >= 2000, f"frees >= 2000: {r.get('frees')}")
check_eq(r.get("allocs", 0) - r.get("frees", 0), K, "allocs - frees = K")
check_eq(r.get("unmatched_frees"), 0, "every free matched an allocation")
check_eq(r.get("lost"), 0, "no lost events")
# The memory flame graph: bytes never freed, per stack.
try:
    with open(flame + ".folded") as f:
        lines = f.read().splitlines()
except OSError as e:
    lines = []
    check(False, f"{flame}.folded: {e}")
check(len(lines) == 1 and lines[0].endswith(f" {K * S}") and "leak_here" in lines[0].rsplit(" ", 1)[0].split(";"),
      f"the folded file: one stack through leak_here with {K * S} bytes: {lines}")
try:
    _, frames = parse(flame + ".svg")
    leak = [f for f in frames if f.name == "leak_here"]
    check(leak and leak[0].n == K * S and leak[0].title_n == K * S,
          f"the SVG: leak_here holds {K * S} bytes: {[(f.n, f.title_n) for f in leak]}")
except (OSError, Exception) as e:
    check(False, f"{flame}.svg: {e}")
done()
