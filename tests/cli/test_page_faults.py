#!/usr/bin/env python3
"""page-faults: touch_pages K faults K fresh pages; each fault's address is
the first byte of one of them, with the instruction and the registers."""
import re
from qzt import *

require_root()
K = 500
r = run(["page-faults", "--json", "--regs", "--", prog("touch_pages"), str(K), "-v"])
check_eq(r.returncode, 0, f"exit status (stderr: {r.stderr})")
m = re.search(r"base=(0x[0-9a-f]+)", r.stderr)
check(m, f"touch_pages printed its base: {r.stderr!r}")
base = int(m.group(1), 16) if m else 0
faults = [x for x in json_lines(r.stdout) if x.get("type") == "page_fault"]
page = 4096
ours = [f for f in faults if base <= f["addr"] < base + K * page]
check_eq(len(ours), K, "one fault per touched page")
check_eq(sorted({(f["addr"] - base) // page for f in ours}), list(range(K)), "every page once")
check(all((f["addr"] - base) % page == 0 for f in ours), "each at the page's first byte")
check(all(f["comm"] == "touch_pages" and f["user"] for f in ours), "from touch_pages, in user mode")
check(all(f["regs"]["rip"] == f["ip"] for f in ours), "the registers' rip is the sample's ip")
check(all(f["regs"]["cs"] == 0x33 for f in ours), "user code segment")
check(len(faults) > K, f"the loader's faults too ({len(faults)})")

# text: the same, with a summary line
r = run(["page-faults", "--", prog("touch_pages"), "100"])
check_eq(r.returncode, 0, f"exit status (stderr: {r.stderr})")
check(re.search(r"touch_pages .*: page-fault addr [0-9a-f]{16} ip [0-9a-f]{16}", r.stdout),
      "text lines")
m = re.search(r"(\d+) page faults, (\d+) at user addresses", r.stdout)
check(m and int(m.group(1)) >= 100, f"summary: {r.stdout[-200:]!r}")
r = run(["page-faults", "-e", "page-faults"])
check(r.returncode != 0 and "drop -e" in r.stderr, f"-e refused: {r.stderr!r}")
done()
