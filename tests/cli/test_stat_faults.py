#!/usr/bin/env python3
"""stat -e page-faults -- touch_pages K reports at least K faults."""
from qzt import *

require_root()
K = 3000
r = run(["stat", "-e", "page-faults", "--json", "--", prog("touch_pages"), str(K)])
check_eq(r.returncode, 0, f"exit status (stderr: {r.stderr})")
stats = [x for x in json_lines(r.stdout) if x.get("type") == "stat"]
check(len(stats) >= 1, "a stat record")
total = sum(c["value"] for s in stats for c in s["counters"] if c["event"] == "page-faults")
check(total >= K, f"page-faults {total} >= {K}")
check(total < K * 1.5, f"page-faults {total} not far above {K} (no scaling error)")
for s in stats:
    for c in s["counters"]:
        # A task's counters run on every CPU it runs on: no multiplexing here.
        check(c["running_pct"] == 100, f"running_pct {c['running_pct']} is 100")
done()
