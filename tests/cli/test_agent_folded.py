#!/usr/bin/env python3
"""The agent's profile collector with -g puts every stack of each interval in
its report as "folded" ({stack, count}, counts adding up to the samples less
those that lost their stack to a stack map collision), so
a consumer can rebuild the flame graph of any window: two reports' stacks,
summed into a folded file, render with `quazar flamegraph` and name burn()."""
import os
import select
import subprocess
import tempfile
import time
from qzt import *
from flamesvg import parse

require_root()
tmp = tempfile.mkdtemp(prefix="qz-agent-folded-")
cfg = os.path.join(tmp, "agent.yaml")
with open(cfg, "w") as f:
    f.write(f"""global:
  http_listen: 127.0.0.1:0
  http_socket: {os.path.join(tmp, "agent.sock")}
collectors:
  - name: cpu
    profiler: profile
    options: [-g, -F, "199"]
    interval: 1s
""")
busy = subprocess.Popen(["chrt", "-f", "1", "taskset", "-c", "1", prog("spin"), "25000"])
try:
    time.sleep(0.3)
    q = subprocess.Popen([QUAZAR, "agent", "-c", cfg], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    # Three reports, however slowly a loaded machine starts the agent.
    lines, deadline = [], time.monotonic() + 20
    while time.monotonic() < deadline and sum('"type":"profile"' in l for l in lines) < 3:
        if select.select([q.stdout], [], [], 0.5)[0]:
            line = q.stdout.readline()
            if not line:
                break
            lines.append(line)
    q.terminate()
    rest, err = q.communicate(timeout=30)
    out = "".join(lines) + rest
finally:
    busy.kill()
    busy.wait()
check_eq(q.returncode, 0, f"agent exit status ({err[-500:]})")
reports = [r for r in json_lines(out) if r.get("type") == "profile"]
check(len(reports) >= 3, f"three or more interval reports: {len(reports)}")
for r in reports:
    st = r.get("folded")
    # The final report may cover a few ms without a sample: then no stacks.
    check(isinstance(st, list) and (st or not r.get("samples")) and
          all(set(x) == {"stack", "count"} for x in st),
          f"report {r.get('seq')} has folded stacks: {str(st)[:200]}")
    # Counting in the kernel, a sample whose stack lost its bucket in the
    # stack map to another stack keeps no stack, and is counted as such.
    lost = (r.get("bpf") or {}).get("stack_collisions", 0)
    check_eq(sum(x["count"] for x in st or []) + lost, r.get("samples"),
             f"report {r.get('seq')}: folded counts and stackless samples add up to samples")
# A window of two reports, as a consumer would rebuild it.
window = {}
for r in reports[:2]:
    for x in r.get("folded", []):
        window[x["stack"]] = window.get(x["stack"], 0) + x["count"]
folded = os.path.join(tmp, "window.folded")
with open(folded, "w") as f:
    f.writelines(f"{k} {v}\n" for k, v in window.items())
r = run(["flamegraph", folded])
check_eq(r.returncode, 0, f"the window renders ({r.stderr})")
root, frames = parse(os.path.join(tmp, "window.svg"))
allf = [f for f in frames if f.path == ("all",)]
check(allf and allf[0].n == sum(window.values()), "the window's graph holds its samples")
check(any(f.path[-2:] == ("main", "burn") for f in frames), "and names main;burn")
done()
