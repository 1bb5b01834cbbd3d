"""SIGKILL at random moments, with a Kafka sink and global.state_dir.

Three collectors at 50 ms send to the mock broker through a 1 MiB spool
(64 KiB segments, so they rotate often). The agent is killed with SIGKILL
and restarted, over and over: at rest, during broker outages (the restart
then finds the brokers down too), at the moment a new spool segment
appears, while the spool is replayed after an outage, and while the
brokers answer 300 ms late (reports stored, not acked yet). Then the broker
comes back, the agent stops with SIGTERM and kcat reads the topic.

Run once with the default durability (memory) and once with durability
disk, each run as its own host. Every seq of every collector, 1 to the last
one made, must arrive exactly once, except one the agent counted at a
restart as made but not yet safe (neither acked nor spooled) when it was
killed, with a log line and quazar_collector_crash_gap_total; a gap nobody
counted fails. With durability disk nothing may be missing at all.

KILLS (default 22 per mode) and SEED may be set in the environment.
"""
import os
import random
import re
import signal
import time

from agentlib import (Agent, Broker, check, check_eq, done, log, require_root,
                      require_tools, wait_until, workdir, write)

KILLS = int(os.environ.get("KILLS", "22"))
SEED = int(os.environ.get("SEED", str(int(time.time()))))
COLLECTORS = ("fast", "faults", "runtime")
GAP = re.compile(r"collector '([^']+)': the last run ended without a clean stop: "
                 r"seq (\d+)\.\.(\d+) \((\d+) reports\)")


def config(d, host, broker, disk):
    return f"""global:
  host: {host}
  http_listen: 127.0.0.1:0
  http_socket: "off"
  spool_dir: {d}/spool-{host}
  spool_max_bytes: 1MiB
  state_dir: {d}/state-{host}
sinks:
  bus:
    type: kafka
    brokers: {broker.addr}
    topic: quazar
    message_timeout: 1s
    probe_timeout: 500ms
    durability: {"disk" if disk else "memory"}
    properties:
      linger.ms: "5"
collectors:
  - name: fast
    profiler: stat
    events: [cpu-clock, task-clock, page-faults, context-switches, cpu-migrations]
    options: {{perins: true}}
    interval: 50ms
    sink: bus
  - name: faults
    profiler: stat
    events: [page-faults, cpu-migrations]
    interval: 50ms
    sink: bus
  - name: runtime
    profiler: top
    events: ["sched:sched_stat_runtime//top-by=runtime/"]
    interval: 50ms
    sink: bus
"""


class Run:
    """One mode: the agent killed and restarted KILLS times."""

    def __init__(self, d, host, broker, disk, rng):
        self.d, self.host, self.broker, self.disk, self.rng = d, host, broker, disk, rng
        self.cfg = f"{d}/{host}.yaml"
        self.spool = f"{d}/spool-{host}/bus"
        write(self.cfg, config(d, host, broker, disk))
        self.agents = []
        self.kills = {}
        self.gaps = {}          # collector: set of seqs counted as maybe lost
        self.agent = None

    def start(self):
        self.agent = Agent(self.cfg)
        self.agents.append(self.agent)
        ok = self.agent.wait_log(r"collector 'runtime' starts", 30)
        check(ok, f"{self.host}: agent #{len(self.agents)} started:\n" + self.agent.text()[-1500:])
        self.note_gaps()

    def note_gaps(self):
        """The gaps this start counted: logged, and in /metrics."""
        logged = {}
        for m in GAP.finditer(self.agent.text()):
            name, lo, hi, n = m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4))
            check_eq(n, hi - lo + 1, f"{self.host}: gap of {name} counted as its range")
            self.gaps.setdefault(name, set()).update(range(lo, hi + 1))
            logged[name] = n
        if not logged:
            return
        fams = self.agent.metrics()
        got = {labels["collector"]: int(v) for _, labels, v in
               fams.get("quazar_collector_crash_gap_total", {}).get("samples", [])}
        for name in COLLECTORS:
            check_eq(got.get(name), logged.get(name, 0),
                     f"{self.host}: quazar_collector_crash_gap_total of {name}")

    def kill(self, why):
        check(self.agent.alive(), f"{self.host}: the agent was alive to be killed ({why}):\n" +
              self.agent.text()[-1500:])
        self.agent.stop(signal.SIGKILL)
        self.kills[why] = self.kills.get(why, 0) + 1
        self.start()

    def segments(self):
        try:
            return {f for f in os.listdir(self.spool) if f.endswith(".seg")}
        except OSError:
            return set()

    def kill_at_rotation(self, timeout=8):
        """SIGKILL the moment a new spool segment appears."""
        before = self.segments()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.segments() - before:
                self.kill("rotation")
                return True
            time.sleep(0.002)
        log(f"{self.host}: no segment rotated within {timeout} s: a random kill instead")
        self.kill("outage")
        return False

    def nap(self, lo, hi):
        time.sleep(self.rng.uniform(lo, hi))

    def spool_records(self):
        fams = self.agent.metrics()
        for _, labels, v in fams.get("quazar_sink_spool_records", {}).get("samples", []):
            if labels.get("sink") == "bus":
                return v
        return None

    def run(self):
        self.start()
        self.nap(0.3, 1.0)
        self.kill("rest")
        while sum(self.kills.values()) < KILLS:
            self.broker.down()
            self.nap(0.1, 1.5)
            self.kill("outage")
            self.kill_at_rotation()
            self.nap(0.1, 2.0)
            self.kill("outage")
            self.broker.up()
            # The spool goes out now: kill it in the middle.
            self.nap(0.05, 0.6)
            self.kill("replay")
            self.nap(0.3, 1.5)
            self.kill("rest")
            # Acks 300 ms late, reports stored at once: killed with some in
            # the topic but not acked, which the next start must not resend.
            self.broker.cmd("rtt 300")
            self.nap(0.4, 1.2)
            self.kill("in flight")
            self.broker.cmd("rtt 0")
        # The brokers answer: everything spooled goes out, then SIGTERM.
        replayed = wait_until(lambda: self.spool_records() == 0, 60, 0.3)
        check(replayed, f"{self.host}: the spool was replayed at the end")
        time.sleep(0.5)
        check_eq(self.agent.stop(signal.SIGTERM), 0, f"{self.host}: exit status at SIGTERM")
        self.made = self.agent.final_seqs()
        check_eq(sorted(self.made), sorted(COLLECTORS), f"{self.host}: collectors at the end")
        log(f"{self.host}: {sum(self.kills.values())} kills {self.kills}, made {self.made}")

    def verify(self, recs):
        text = "\n".join(a.text() for a in self.agents)
        # A report that timed out while a later one got through is replayed
        # after it: allowed only where the sink said so.
        reordered = "a report was acked after an earlier one failed" in text
        by = {}
        for _, r in recs:
            if r.get("host") == self.host:
                by.setdefault(r.get("collector"), []).append(r.get("seq"))
        missing_all = counted_all = dups_all = 0
        for name in COLLECTORS:
            got = by.get(name, [])
            n = self.made.get(name, 0)
            counted = self.gaps.get(name, set())
            seen = set()
            dups = sorted({x for x in got if x in seen or seen.add(x)})
            missing = sorted(set(range(1, n + 1)) - seen)
            uncounted = [x for x in missing if x not in counted]
            extra = sorted(seen - set(range(1, n + 1)))
            check(n >= 100, f"{self.host}: {name} made {n} reports")
            check(not dups, f"{self.host}: {name}: seqs arrived twice: {dups[:20]}")
            check(not uncounted, f"{self.host}: {name}: seqs missing and not counted "
                  f"at any restart: {uncounted[:20]}")
            check(not extra, f"{self.host}: {name}: seqs beyond the last made ({n}): {extra[:10]}")
            once = set()
            first = [x for x in got if not (x in once or once.add(x))]
            check(first == sorted(first) or reordered, f"{self.host}: {name}: seqs out "
                  "of order, and no sink said a report was acked after an earlier one failed")
            if self.disk:
                check(not counted, f"{self.host}: {name}: gaps counted with durability "
                      f"disk: {sorted(counted)[:20]}")
                check(not missing, f"{self.host}: {name}: missing with durability disk: "
                      f"{missing[:20]}")
            log(f"{self.host}: {name}: {len(seen)} of seq 1..{n} arrived, {len(missing)} "
                f"missing, {len(counted)} counted as maybe lost, {len(dups)} twice")
            missing_all += len(missing)
            counted_all += len(counted)
            dups_all += len(dups)
        found = sum(int(n) for n in re.findall(
            r"(\d+) spooled reports the last run sent were in the topic already", text))
        unread = len(re.findall(r"cannot read the topic back", text))
        log(f"{self.host}: {sum(self.kills.values())} kills: {missing_all} missing, "
            f"{counted_all} counted as maybe lost, {dups_all} duplicates; {found} spooled "
            f"reports found in the topic at a restart (not sent again), {unread} read-backs "
            f"failed{'; reordered after a timeout' if reordered else ''}")


require_root()
require_tools()
log(f"seed {SEED}, {KILLS} kills per mode")
rng = random.Random(SEED)
d = workdir("crash")
broker = Broker()
t0 = time.monotonic()
try:
    runs = [Run(d, "memory", broker, False, rng), Run(d, "disk", broker, True, rng)]
    for r in runs:
        r.run()
    recs = broker.consume()
    for r in runs:
        r.verify(recs)
finally:
    for r in locals().get("runs", []):
        for a in r.agents:
            if a.alive():
                a.stop(signal.SIGKILL)
    broker.stop()
log(f"{time.monotonic() - t0:.0f} s in all")
done()
