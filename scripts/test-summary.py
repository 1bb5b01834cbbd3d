#!/usr/bin/env python3
"""Sum meson's test logs of every build dir (testlog.json, and fuzzlog.json
where the fuzzers ran apart) into one closing line."""
import json
import os
import sys

counts = {"passed": 0, "failed": 0, "skipped": 0}
skipped = []
logs = [f"{build}/meson-logs/{name}.json" for build in sys.argv[1:]
        for name in ("testlog", "fuzzlog")]
for path in logs:
    if path.endswith("fuzzlog.json") and not os.path.exists(path):
        continue
    build = path.split("/meson-logs/")[0]
    with open(path) as log:
        for line in log:
            test = json.loads(line)
            result = test["result"]
            if result in ("OK", "EXPECTEDFAIL"):
                counts["passed"] += 1
            elif result == "SKIP":
                counts["skipped"] += 1
                why = (test.get("stdout") or "").strip().splitlines()
                skipped.append(f"{build}: {test['name']}: {why[-1] if why else ''}")
            else:
                counts["failed"] += 1
for line in skipped:
    print("skipped", line)
print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
sys.exit(1 if counts["failed"] else 0)
