"""SIGTERM under load: every report made before the signal is consumed.

Three collectors at short intervals (stat at 10 and 20 ms, top at 50 ms)
while a shell loop forks and execs as fast as it can. Three runs share
one spool directory, told apart by their host field:
  run1  broker up at SIGTERM: the final reports are delivered at once;
  run2  broker down just before SIGTERM: what is not acked by the
        deadline is spooled, and the agent exits 0 having lost nothing;
  run3  broker up again, same spool_dir: the spool of run2 is replayed
        before any report of run3.
Afterwards kcat must find seq 1..N of every collector of every run, once
each and in order, and every run2 report ahead of the run3 reports of the
same collector.
"""
import signal
import subprocess
import time

from agentlib import (Agent, Broker, check, check_eq, check_seqs, done,
                      kafka_config, log, possible_dups, require_root,
                      require_tools, workdir, write)

COLLECTORS = """  - name: fast
    profiler: stat
    events: [cpu-clock, task-clock, page-faults, context-switches]
    options: {perins: true}
    interval: 10ms
    sink: bus
  - name: faults
    profiler: stat
    events: [page-faults, cpu-migrations]
    interval: 20ms
    sink: bus
  - name: runtime
    profiler: top
    events: ["sched:sched_stat_runtime//top-by=runtime/"]
    interval: 50ms
    sink: bus
"""


def run(host, broker, d, before_term=None, seconds=3):
    cfg = f"{d}/{host}.yaml"
    write(cfg, kafka_config(broker.addr, d + "/spool", COLLECTORS, host=host, http=False))
    agent = Agent(cfg)
    check(agent.wait_log(r"collector 'runtime' starts", 20), f"{host}: the agent started")
    time.sleep(seconds)
    if before_term:
        before_term()
    t0 = time.monotonic()
    check_eq(agent.stop(signal.SIGTERM, timeout=60), 0, f"{host}: exit status")
    log(f"{host}: stopped in {time.monotonic() - t0:.1f} s")
    made = agent.final_seqs()
    check_eq(sorted(made), ["fast", "faults", "runtime"], f"{host}: collectors in the final status")
    check(made.get("fast", 0) >= 50, f"{host}: fast made {made.get('fast')} reports in {seconds} s")
    check(" 0 lost" in agent.text(), f"{host}: the sink lost nothing:\n" + agent.text()[-2000:])
    return agent, made


require_root()
require_tools()
d = workdir("sigterm")
broker = Broker()
load = subprocess.Popen(["sh", "-c", "while :; do /bin/true; done"])
try:
    agent1, made1 = run("run1", broker, d)

    def outage():
        broker.down()
        log("broker down")
        time.sleep(0.5)
    agent2, made2 = run("run2", broker, d, before_term=outage)
    import re
    m = re.search(r"sink 'bus' closed: (\d+) written, (\d+) delivered, (\d+) in spool", agent2.text())
    check(m and int(m.group(3)) > 0, "run2: reports were spooled at shutdown")
    if m:
        log(f"run2: {m.group(1)} written, {m.group(2)} delivered, {m.group(3)} spooled")
        check_eq(int(m.group(1)), sum(made2.values()), "run2: written == reports made")
        check_eq(int(m.group(2)) + int(m.group(3)), int(m.group(1)),
                 "run2: delivered + spooled == written")
    broker.up()
    log("broker up")
    agent3, made3 = run("run3", broker, d, seconds=2)
finally:
    load.kill()
    load.wait()

try:
    recs = broker.consume()
    # run3 replays run2's spool: what any run counted may show in any host.
    possible = sum(possible_dups(a.text()) for a in (agent1, agent2, agent3))
    for host, made in (("run1", made1), ("run2", made2), ("run3", made3)):
        check_seqs([r for _, r in recs if r.get("host") == host], made, host, possible)
    # Per collector (one key, one partition): run2's spool before run3.
    for c in ("fast", "faults", "runtime"):
        hosts = [r["host"] for _, r in recs if r.get("collector") == c]
        last2 = max((i for i, h in enumerate(hosts) if h == "run2"), default=-1)
        first3 = min((i for i, h in enumerate(hosts) if h == "run3"), default=1 << 30)
        check(last2 < first3, f"{c}: the spool of run2 was replayed before run3's reports")
finally:
    broker.stop()
done()
