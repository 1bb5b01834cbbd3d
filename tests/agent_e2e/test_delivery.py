"""Delivery: two collectors (stat at 200 ms, top at 300 ms) to Kafka.

After SIGTERM, kcat reads the topic: every seq 1..N of every collector is
there exactly once, in order, where N is what the agent says it made (the
status it logs at shutdown, which must also be at least what /metrics
showed just before the signal). Each report has the envelope and the
payload of its profiler.
"""
import signal
import time

from agentlib import (Broker, check, check_contiguous, check_envelope, check_eq,
                      check_seqs, done, log, require_root, require_tools,
                      start_stat_top_agent, workdir)

require_root()
require_tools()
d = workdir("delivery")
broker = Broker()
try:
    agent = start_stat_top_agent(d, broker)
    time.sleep(4)
    before = {c: agent.seq(c) for c in ("sw", "runtime")}
    log(f"/metrics before SIGTERM: {before}")
    check(before["sw"] >= 10, f"stat at 200 ms made {before['sw']} reports in 4 s")
    check(before["runtime"] >= 6, f"top at 300 ms made {before['runtime']} reports in 4 s")
    check_eq(agent.stop(signal.SIGTERM), 0, "the agent's exit status")
    made = agent.final_seqs()
    log(f"made: {made}")
    for c in ("sw", "runtime"):
        check(made.get(c, 0) >= before[c], f"{c}: final seq {made.get(c)} < {before[c]} seen before")
    check("sink 'bus' closed:" in agent.text() and " 0 lost" in agent.text(),
          "the agent logged its sink closed with nothing lost")

    recs = broker.consume()
    reports = [r for _, r in recs]
    check_seqs(reports, made, "kafka")
    for key, r in recs:
        if not check_envelope(r, "e2e", "kafka"):
            continue
        check_eq(key, r["collector"], "message key")
        check_eq(r.get("labels"), {"suite": "e2e"}, "labels")
        if r["collector"] == "sw":
            check_eq(r["type"], "stat", "sw type")
            events = [c.get("event") for c in r.get("counters", [])]
            check_eq(events, ["cpu-clock", "page-faults", "context-switches"], "sw counters")
        else:
            check_eq(r["type"], "top", "runtime type")
            check_eq(r.get("key"), "pid", "top key")
            rows = r.get("rows", [])
            check(all("pid" in x and "runtime" in x for x in rows), "top rows have pid and runtime")
            check(rows == sorted(rows, key=lambda x: -x["runtime"]), "top rows sorted by runtime")
    # Something ran on this machine in 4 s: at least one report has rows.
    check(any(r.get("rows") for r in reports if r.get("collector") == "runtime"),
          "some top report has rows")
    for c in ("sw", "runtime"):
        check_contiguous(reports, c, "kafka")
finally:
    broker.stop()
done()
