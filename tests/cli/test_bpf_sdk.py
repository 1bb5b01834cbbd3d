#!/usr/bin/env python3
"""The SDK's example, examples/bpf/faults.bpf.o (page faults per comm from
a perf_event program on page-faults), run by `quazar bpf` and by the C
program examples/bpf/faults: at freq=50 it runs, dumps its maps and its
records come decoded by field name through quazar's ring; sampling every
8th fault both count at least the page faults a test program causes,
under its comm. A tracepoint program on a tracepoint too."""
import json
import os
import re
import signal
import subprocess
import threading
import time
from qzt import *
from qzbpf import EXAMPLES, TMP, obj, require_bpf

require_bpf()
FAULTS = os.path.join(EXAMPLES, "faults.bpf.o")
K = 30000


def load(cpu, k=K, ms=2000):
    subprocess.run(["taskset", "-c", str(cpu), prog("touch_pages"), str(k), str(ms)], check=True)


def bpf(*args):
    return subprocess.Popen([QUAZAR, "bpf", FAULTS] + list(args), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def stop(q):
    q.send_signal(signal.SIGTERM)
    out, err = q.communicate(timeout=60)
    check_eq(q.returncode, 0, f"quazar bpf exit status ({err[-500:]})")
    return json_lines(out) if "--json" in q.args else out


def faults_of(dump, comm):
    return {e["key"]["comm"]: e["value"] for e in dump.get("maps", {}).get("faults", [])}.get(comm, 0)


# 1. The example as it is meant: page-faults sampled at freq=50 on every CPU.
# Counts from sampling at a frequency are an estimate: the kernel sets the
# period from the rate it saw, and after a burst of faults it can stay huge
# (perf record -F does the same), so only the mechanics are checked here.
q = bpf("-e", "page-faults//freq=50/", "--json", "-i", "500")
time.sleep(1)
load(1, 20000, 1000)
time.sleep(0.5)
recs = stop(q)
dumps = [r for r in recs if r.get("type") == "bpf"]
check(len(dumps) >= 3, f"a map dump every 500 ms: {len(dumps)}")
last = dumps[-1] if dumps else {}
check(last.get("maps", {}).get("faults"), f"faults per comm: {last.get('maps')}")
check(last.get("maps", {}).get(".bss", [{}])[0].get("value", {}).get("runs", 0) > 0,
      f"the .bss variables too: {last.get('maps', {}).get('.bss')}")
rec = next((r for r in recs if r.get("type") == "bpf_record"), {})
check_eq(sorted(rec.get("record", {})), ["comm", "cpu", "faults", "pid"],
         f"records decoded by field name: {rec}")
check_eq(rec.get("map"), "records", "from the records map")

# 2. Every 8th fault: the program gives each comm the faults counted since
# its last run, so the counts are exact to the last 7 faults of a CPU, and
# touch_pages's own startup faults cover those.
q = bpf("-e", "page-faults//period=8/", "-C", "1", "--json", "-i", "500", "-m", "512")
time.sleep(1)
load(1)
time.sleep(0.5)
recs = stop(q)
dumps = [r for r in recs if r.get("type") == "bpf"]
n = faults_of(dumps[-1] if dumps else {}, "touch_pages")
check(n >= K, f"at least the {K} page faults of touch_pages: {n}")
mine = [r for r in recs if r.get("type") == "bpf_record" and
        r.get("record", {}).get("comm") == "touch_pages"]
check(len(mine) >= 100,
      f"records of touch_pages, one per 8 faults of its CPU: {len(mine)} (lost {sum(r.get('lost', 0) for r in dumps)})")
check(all(r["record"]["cpu"] == 1 for r in mine), "on its CPU")

# 3. Text for people.
q = bpf("-e", "page-faults//period=8/", "-C", "1", "-i", "500")
time.sleep(0.7)
load(1, 5000, 500)
time.sleep(0.3)
out = stop(q)
check("faults (hash):" in out and "comm=touch_pages" in out,
      f"text: maps and decoded records: {out[-600:]!r}")

# 4. The C program on libquazar-bpf does the same.
c = subprocess.Popen([os.path.join(EXAMPLES, "faults"), FAULTS, "4", "page-faults//period=8/"],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
time.sleep(1)
load(1)
out, err = c.communicate(timeout=60)
check_eq(c.returncode, 0, f"examples/bpf/faults exit status ({err})")
counts = [int(v) for v in re.findall(r'\{"comm":"touch_pages"\}\s+(\d+)', out)]
check(counts and counts[-1] >= K, f"the example counts at least {K}: {counts[-1:]}")
check(re.search(r"after 4 s: [1-9]\d* records", out), f"and reads records: {out[-300:]!r}")

# 5. The agent's collector of type bpf: its map dumps are its reports.
cfg = os.path.join(TMP, "agent.yaml")
with open(cfg, "w") as f:
    f.write(f"""global:
  http_socket: off
collectors:
  - name: faults
    profiler: bpf
    events: ["page-faults//period=8/"]
    options: {{object: {FAULTS}}}
    interval: 500ms
""")
a = subprocess.Popen([QUAZAR, "agent", "-c", cfg], stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, text=True)
lines, errs = [], []
readers = [threading.Thread(target=lambda: lines.extend(a.stdout), daemon=True),
           threading.Thread(target=lambda: errs.extend(a.stderr), daemon=True)]
for t in readers:
    t.start()


def agent_reports():
    return [r for r in (json.loads(x) for x in list(lines) if x.startswith("{"))
            if r.get("collector") == "faults" and r.get("type") == "bpf"]


def wait_reports(n, timeout=30):
    end = time.monotonic() + timeout
    while len(agent_reports()) < n and time.monotonic() < end:
        time.sleep(0.1)
    return len(agent_reports())


check(wait_reports(1) >= 1, "the agent's bpf collector reports")
load(1, 5000, 500)
first = len(agent_reports())
wait_reports(first + 2)
a.send_signal(signal.SIGTERM)
a.wait(timeout=60)
for t in readers:
    t.join(timeout=10)
check_eq(a.returncode, 0, f"the agent's exit status ({''.join(errs)[-500:]})")
reports = agent_reports()
check(len(reports) >= 3, f"a bpf report every 500 ms: {len(reports)}")
check(reports and faults_of(reports[-1], "touch_pages") >= 5000,
      f"with the faults of touch_pages: {reports[-1].get('maps') if reports else None}")
check(all("seq" in r and "host" in r for r in reports), "in the agent's envelope")

# 6. A tracepoint program on a tracepoint: it keeps each event (returns 1).
r = run(["bpf", obj("tracepoint_only.bpf.o"), "-e", "sched:sched_switch", "--json",
         "-i", "100000", "--", prog("sleeper"), "50", "1"])
check_eq(r.returncode, 0, f"tracepoint program exit status ({r.stderr})")
d = [x for x in json_lines(r.stdout) if x.get("type") == "bpf"]
d = d[-1] if d else {}
check(d.get("samples", {}).get("sched:sched_switch", 0) >= 50, f"events kept: {d.get('samples')}")
check(d.get("maps", {}).get(".bss", [{}])[0].get("value", {}).get("switches", 0) >= 50,
      f"and counted by the program: {d.get('maps')}")

# 7. A uprobe program on a uprobe: libc's syscall(), which getppid_loop calls.
libc = next((l.split()[2] for l in subprocess.run(["ldd", prog("getppid_loop")],
            capture_output=True, text=True).stdout.splitlines() if "libc.so" in l), None)
r = run(["bpf", obj("uprobe_count.bpf.o"), "-e", f"uprobe:{libc}:syscall", "--json",
         "-i", "100000", "--", prog("getppid_loop"), "1000"])
check_eq(r.returncode, 0, f"uprobe program exit status ({r.stderr})")
d = [x for x in json_lines(r.stdout) if x.get("type") == "bpf"]
d = d[-1] if d else {}
check_eq(d.get("samples", {}).get(f"uprobe:{libc}:syscall"), 1000, "every call kept once")
calls = d.get("maps", {}).get(".bss", [{}])[0].get("value", {}).get("calls", 0)
check(calls >= 1000 and calls % 1000 == 0,
      f"the program ran once per call and per event opened for the probe: {calls}")
done()
