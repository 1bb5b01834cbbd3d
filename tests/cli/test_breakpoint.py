#!/usr/bin/env python3
"""breakpoint on bp_target's variable: N user-space writes, then N reads.
A write breakpoint sees the N writes from qz_bp_writer; a read-write one
sees the reads too. Where the host's breakpoints count nothing, quazar
must say so: then that is what is checked."""
import subprocess
from qzt import *

require_root()
N = 1000
nm = subprocess.run(["nm", prog("bp_target")], capture_output=True, text=True).stdout
syms = {l.split()[2]: int(l.split()[0], 16) for l in nm.splitlines() if len(l.split()) == 3}
addr = syms["qz_bp_watched"]
writer, reader = syms["qz_bp_writer"], syms["qz_bp_reader"]

r = run(["breakpoint", f"{addr:#x}/8:w", f"{addr:#x}/8:rw", "--exclude-kernel", "--json",
         "--", prog("bp_target"), str(N)])
check_eq(r.returncode, 0, f"exit status (stderr: {r.stderr})")
recs = json_lines(r.stdout)
summary = [x for x in recs if x.get("type") == "breakpoint_summary"]
hits = [x for x in recs if x.get("type") == "breakpoint"]
check_eq(len(summary), 1, "a summary")
if summary and not summary[0]["host_counts"]:
    check("count nothing" in r.stderr, f"the host is named as counting nothing: {r.stderr!r}")
    check_eq(len(hits), 0, "no hits where nothing counts")
    print("note: this host's breakpoints count nothing: checked that quazar says so")
    done()
w = [h for h in hits if h["breakpoint"] == f"{addr:#x}/8:W"]
rw = [h for h in hits if h["breakpoint"] == f"{addr:#x}/8:RW"]
check_eq(len(w), N, "write breakpoint hits")
check_eq(len(rw), 2 * N, "read-write breakpoint hits")
check(all(h["addr"] == addr for h in hits), "each hit at the address")
check(all(writer <= h["ip"] < reader for h in w), "writes come from qz_bp_writer")
check_eq(sum(1 for h in rw if h["ip"] >= reader), N, "reads come from qz_bp_reader")
check_eq([b["hits"] for b in summary[0]["breakpoints"]], [N, 2 * N], "summary counts")

# -g gives the registers; kernel writes (the loader zeroing .bss) are hits too
r = run(["breakpoint", f"{addr:#x}/8", "-g", "--", prog("bp_target"), "10"])
check_eq(r.returncode, 0, f"exit status (stderr: {r.stderr})")
check(f"breakpoint: {addr:#x}/8:W ip" in r.stdout, "text line")
check("rip:" in r.stdout and "rflags:" in r.stdout, "registers with -g")
check(f"{addr:#x}/8:W: " in r.stdout, "text summary")

for bad, why in [("0x0", "non-zero"), (f"{addr:#x}/3", "LEN"), (f"{addr:#x}:q", "expected")]:
    r = run(["breakpoint", bad])
    check(r.returncode != 0 and why in r.stderr, f"{bad} refused: {r.stderr!r}")
r = run(["breakpoint"] + [f"{addr + 8 * i:#x}" for i in range(5)])
check(r.returncode != 0 and "at most 4" in r.stderr, f"5 refused: {r.stderr!r}")
done()
