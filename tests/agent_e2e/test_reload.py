"""SIGHUP with a changed config, into a file sink.

Before: keep (stat 200 ms), gone (top 300 ms), chg (stat 200 ms).
After:  keep unchanged, chg at 400 ms (changed: restarts), new (stat
250 ms); gone removed. Then a second SIGHUP with the same file changes
nothing. Checked in the file:
  - keep's seqs run 1..N with no gap or reset, and its intervals are back
    to back across both reloads (it was never restarted);
  - gone's seqs run 1..M, and none comes after new's first report;
  - new's seqs start at 1, after the reload;
  - chg's seqs carry on with no gap or reset; after the reload its
    intervals are about 400 ms;
  - what the file holds is what the agent says it made.
"""
import json
import signal
import time

from agentlib import (Agent, check, check_contiguous, check_eq, check_seqs,
                      done, log, require_root, wait_until, workdir, write)

require_root()
d = workdir("reload")
out = d + "/reports.jsonl"

HEAD = f"""global:
  host: reload
  http_listen: 127.0.0.1:0
  http_socket: "off"
  spool_dir: {d}/spool
sinks:
  file:
    type: file
    path: {out}
collectors:
"""
KEEP = """  - name: keep
    profiler: stat
    events: [cpu-clock, context-switches]
    interval: 200ms
    sink: file
"""
GONE = """  - name: gone
    profiler: top
    events: ["sched:sched_stat_runtime//top-by=runtime/"]
    interval: 300ms
    sink: file
"""
CHG = """  - name: chg
    profiler: stat
    events: [page-faults]
    interval: {interval}
    sink: file
"""
NEW = """  - name: new
    profiler: stat
    events: [context-switches]
    interval: 250ms
    sink: file
"""

cfg = d + "/agent.yaml"
write(cfg, HEAD + KEEP + GONE + CHG.format(interval="200ms"))
agent = Agent(cfg)
agent.port()
check(wait_until(lambda: agent.seq("gone") >= 3, 20), "gone reports before the reload")
seq_keep_before = agent.seq("keep")

write(cfg, HEAD + NEW + CHG.format(interval="400ms") + KEEP)
mark = agent.nlines()
t_reload = time.time()
agent.send(signal.SIGHUP)
check(agent.wait_log(r"reloaded", 30, mark), "the agent logged the reload:\n" + agent.text())
after = agent.text().split("\n")[mark:]
check(any("collector 'gone' stops" in line for line in after), "gone stops")
check(any("collector 'new' starts" in line for line in after), "new starts")
check(any("collector 'chg' starts" in line for line in after), "chg restarts")
check(not any("collector 'keep' st" in line for line in after), "keep neither stops nor starts")
check(wait_until(lambda: agent.seq("new") >= 4 and agent.seq("chg") >= 8, 20),
      "new and chg report after the reload")
check(agent.seq("keep") > seq_keep_before, "keep's seq rose through the reload")

# The same file again: nothing changes.
mark = agent.nlines()
agent.send(signal.SIGHUP)
check(agent.wait_log(r"reloaded", 30, mark), "the second reload")
time.sleep(1)
again = agent.text().split("\n")[mark:]
check(not any(" starts" in line or " stops" in line for line in again),
      "an unchanged config restarts nothing: " + "\n".join(again))
fams = agent.metrics()
names = {labels.get("collector") for _, labels, _ in fams["quazar_collector_seq"]["samples"]}
check_eq(names, {"keep", "chg", "new"}, "collectors on /metrics after the reload")

check_eq(agent.stop(), 0, "exit status")
made = agent.final_seqs()
log(f"made {made}")
reports = [json.loads(line) for line in open(out)]
check_seqs(reports, {**made, "gone": max((r["seq"] for r in reports if r["collector"] == "gone"),
                                         default=0)}, "file")
check_contiguous(reports, "keep", "file")
order = [r["collector"] for r in reports]
if "new" in order and "gone" in order:
    check(max(i for i, c in enumerate(order) if c == "gone") <
          min(i for i, c in enumerate(order) if c == "new"), "no gone report after new's first")
check(all(r["interval_start"] >= t_reload * 1e9 - 1e9 for r in reports if r["collector"] == "new"),
      "new's reports are from after the reload")
check(any(r["interval_end"] > t_reload * 1e9 for r in reports if r["collector"] == "keep"),
      "keep reports after the reload")
# chg after its restart: 400 ms intervals (its last, final one may be short).
late = [r for r in reports if r["collector"] == "chg" and r["interval_start"] > t_reload * 1e9 + 5e8]
spans = [(r["interval_end"] - r["interval_start"]) / 1e6 for r in late[:-1]]
check(len(spans) >= 3 and all(300 < s < 700 for s in spans), f"chg's intervals after the reload: {spans}")
done()
