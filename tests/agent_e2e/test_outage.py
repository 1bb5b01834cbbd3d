"""Broker outage: the broker is down for 20 s mid-run, on the same port.

The agent keeps collecting through it (its seqs rise on /metrics while
the broker is down), reports that cannot be delivered go to the spool
(message_timeout 5 s), the spool is replayed when the broker is back, and
after SIGTERM every seq 1..N of every collector is consumed once, in order.
"""
import signal
import time

from agentlib import (Broker, check, check_eq, check_seqs, done, log, possible_dups,
                      require_root, require_tools, start_stat_top_agent,
                      wait_until, workdir)

OUTAGE_S = 20


def sink_metric(agent, family):
    fams = agent.metrics()
    for _, labels, v in fams.get(family, {}).get("samples", []):
        if labels.get("sink") == "bus":
            return v
    return None


require_root()
require_tools()
d = workdir("outage")
broker = Broker()
try:
    agent = start_stat_top_agent(d, broker)
    time.sleep(3)
    broker.down()
    log("broker down")
    at_down = {c: agent.seq(c) for c in ("sw", "runtime")}
    time.sleep(OUTAGE_S / 2)
    mid = {c: agent.seq(c) for c in ("sw", "runtime")}
    time.sleep(OUTAGE_S / 2)
    during = {c: agent.seq(c) for c in ("sw", "runtime")}
    spooled = sink_metric(agent, "quazar_sink_spooled_total")
    log(f"seqs at down {at_down}, mid {mid}, end of outage {during}; spooled {spooled}")
    for c in at_down:
        # 20 s at 200/300 ms: well over 30 reports; allow a loaded machine.
        check(during[c] - at_down[c] >= 20,
              f"{c} kept collecting during the outage: seq {at_down[c]} -> {during[c]}")
        check(mid[c] > at_down[c] and during[c] > mid[c], f"{c}: seq rose throughout")
    check(spooled and spooled > 0, f"reports went to the spool during the outage ({spooled})")
    broker.up()
    log("broker up")
    # Replayed: nothing left in the spool and the queue, within a while.
    settled = wait_until(lambda: sink_metric(agent, "quazar_sink_spool_records") == 0 and
                         sink_metric(agent, "quazar_sink_replayed_total") > 0, 60, 0.5)
    check(settled, "the spool was replayed after the broker came back")
    log(f"replayed {sink_metric(agent, 'quazar_sink_replayed_total')}")
    time.sleep(2)
    check_eq(agent.stop(signal.SIGTERM), 0, "the agent's exit status")
    made = agent.final_seqs()
    log(f"made {made}")
    # Repeated errors are rate-limited: a 20 s outage is a few lines.
    log(f"{agent.nlines()} log lines in all")
    check(agent.nlines() < 80, f"{agent.nlines()} log lines: not rate-limited?\n" + agent.text())
    check(" 0 in spool, 0 lost" in agent.text(), "the spool was empty at exit")
    check_seqs([r for _, r in broker.consume()], made, "after the outage",
               possible_dups(agent.text()))
finally:
    broker.stop()
done()
