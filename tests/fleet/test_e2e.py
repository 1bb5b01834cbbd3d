"""The fleet end to end: 3 real agents (hosts e2e-a, e2e-b, e2e-c) with stat,
the scheduler-latency multi-trace, profile and (where /dev/kvm exists) kvm
collectors produce to the mock broker for about 20 s; 2 ingest processes in
one group load a ClickHouse of the test's own. Meanwhile one ingest is
SIGKILLed and restarted, and the broker is down for 10 s. Then every
(host, collector, seq) kcat reads from the topic is in ClickHouse exactly
once (read with FINAL, every table's rows too), and `fleet top`, `fleet
vms`, `fleet lost` and `fleet flamegraph` answer with what ran: a spinner
(tests/progs/spin, its function `burn`) and a tiny KVM guest.
"""
import json
import os
import signal
import subprocess
import time

from agentlib import (Agent, Broker, check, check_eq, done, kafka_config, log,
                      possible_dups, require_root, require_tools, wait_until, workdir)
from fleetlib import (ClickHouse, Ingest, fleet, ingest_config, init_schema,
                      require_clickhouse, write_config)

PROGS = os.environ.get("PROGS", "build/tests/progs")
HOSTS = ("e2e-a", "e2e-b", "e2e-c")
KVM = os.access("/dev/kvm", os.R_OK | os.W_OK)

COLLECTORS = """  - name: cpu-counters
    profiler: stat
    events: [cpu-clock, page-faults, context-switches]
    options: {perins: true}
    interval: 500ms
    sink: bus
  - name: sched-latency
    profiler: multi-trace
    events:
      - sched:sched_wakeup//key=pid/
      - sched:sched_switch//key=next_pid/
    interval: 500ms
    sink: bus
  - name: cpu-profile
    profiler: profile
    options: [-g, -F, "99"]
    interval: 1s
    sink: bus
"""
VM_COLLECTOR = """  - name: vm-lifecycle
    profiler: kvm
    interval: 2s
    sink: bus
"""


def start_agents(d, broker):
    agents = []
    for host in HOSTS:
        cfg = f"{d}/{host}.yaml"
        write_config(cfg, kafka_config(broker.addr, f"{d}/spool-{host}",
                                       COLLECTORS + (VM_COLLECTOR if KVM else ""),
                                       host=host, http=False, message_timeout="5s"))
        agents.append(Agent(cfg))
    return agents


def kcat_reports(broker):
    """Every report on the topic, as agentlib's kcat consumer reads it."""
    return [r for _, r in broker.consume(timeout=120)]


def loaded(ch):
    return int(ch.scalar("SELECT count() FROM reports FINAL"))


def check_exactly_once(ch, reports):
    want = {(r["host"], r["collector"], r["seq"], r["interval_end"]) for r in reports}
    rows = ch.rows("SELECT host, collector, seq, interval_end FROM reports FINAL")
    got = [(r["host"], r["collector"], r["seq"], r["interval_end"]) for r in rows]
    check_eq(len(got), len(set(got)), "no (host, collector, seq) twice in reports FINAL")
    missing, extra = want - set(got), set(got) - want
    check(not missing, f"{len(missing)} reports of the topic not in ClickHouse: "
          f"{sorted(missing)[:5]}")
    check(not extra, f"{len(extra)} reports in ClickHouse not on the topic: {sorted(extra)[:5]}")
    copies = int(ch.scalar("SELECT count() FROM reports")) - len(got)
    log(f"{len(got)} reports once each; {copies} extra copies inserted and folded by FINAL")
    # Every seq of each (host, collector), as kcat read them: 1..N, none missing.
    by = {}
    for h, c, s, _ in want:
        by.setdefault((h, c), set()).add(s)
    for (h, c), seqs in sorted(by.items()):
        check_eq(sorted(seqs), list(range(1, max(seqs) + 1)), f"{h}/{c}: seqs on the topic")
    # The typed tables: as many rows as the distinct reports make.
    uniq = {}
    for r in reports:
        uniq[(r["host"], r["collector"], r["seq"], r["interval_end"])] = r
    stat_rows = sum(1 + len(c.get("per_cpu", [])) for r in uniq.values()
                    if r["type"] == "stat" for c in r["counters"])
    pairs = sum(len(r["pairs"]) for r in uniq.values() if r["type"] == "multi_trace")
    stacks = sum(len(r.get("stacks", [])) for r in uniq.values() if r["type"] == "profile")
    vm = sum(1 for r in uniq.values() if r["type"] == "vm")
    check_eq(int(ch.scalar("SELECT count() FROM stat FINAL")), stat_rows, "stat rows")
    check_eq(int(ch.scalar("SELECT count() FROM multi_trace FINAL")), pairs, "multi_trace rows")
    check_eq(int(ch.scalar("SELECT count() FROM profile_stacks FINAL")), stacks,
             "profile_stacks rows")
    check_eq(int(ch.scalar("SELECT count() FROM vm FINAL")), vm, "vm rows")
    raw = ch.rows("SELECT type, reason, substring(message, 1, 300) AS m FROM raw")
    check_eq(len(raw), 0, f"nothing went to raw: {raw[:3]}")
    return by


def fleet_json(ch, args):
    out = fleet(["--url", ch.url, "--json"] + args)
    check_eq(out.returncode, 0, f"fleet {' '.join(args)}: {out.stderr.strip()[-300:]}")
    return [json.loads(x) for x in out.stdout.splitlines() if x.strip()]


def check_fleet(ch, d, by, t_start, vm_pid):
    top = fleet_json(ch, ["top", "--metric", "sched-latency.p99", "--since", "10m"])
    log(f"fleet top: {top}")
    check_eq(sorted(r["host"] for r in top), sorted(HOSTS), "fleet top: every host ranked")
    check(all(r["now_us"] > 0 and r["reports"] > 10 for r in top), "fleet top: values")
    lost = fleet_json(ch, ["lost"])
    check_eq(sorted((r["host"], r["collector"]) for r in lost), sorted(by), "fleet lost: rows")
    check(all(r["missing"] == 0 and r["missing_seqs"] == "" for r in lost),
          f"fleet lost: nothing lost: {[r for r in lost if r['missing']]}")
    svg = d + "/fleet.svg"
    out = fleet(["--url", ch.url, "flamegraph", "--from", f"@{t_start}", "--to", "now",
                 "--host", "e2e-b", "-o", svg])
    folded = open(d + "/fleet.folded").read() if os.path.exists(d + "/fleet.folded") else ""
    spin = [line for line in folded.splitlines() if line.startswith("spin;")]
    log(f"fleet flamegraph: {out.stdout.strip()} {out.stderr.strip()}; spinner stacks: {spin[:3]}")
    check(any(";burn " in line or line.split(" ")[0].endswith(";burn") for line in spin),
          "the folded stacks name the spinner's burn")
    if os.path.exists(svg):
        text = open(svg).read()
        check("burn" in text and "<svg" in text, "the SVG names the spinner's burn")
        check_eq(out.returncode, 0, "fleet flamegraph exit status")
    else:
        # The writer is not in this build yet (fleet/render_svg.c).
        check("flame graph writer is not in this build" in out.stderr,
              f"fleet flamegraph says why there is no SVG: {out.stderr}")
        log("SVG not checked: quazar's flame graph writer is not in this build")
    if vm_pid:
        vms = fleet_json(ch, ["vms"])
        log(f"fleet vms: {vms}")
        mine = [r for r in vms if r["pid"] == vm_pid]
        check_eq(sorted(r["host"] for r in mine), sorted(HOSTS),
                 "fleet vms: the guest on every host (each agent saw it)")
        check(all(r["alive"] == 0 and r["vcpus"] == 2 and r["comm"] == "tiny_vm" for r in mine),
              "fleet vms: tiny_vm, 2 vCPUs, destroyed")


require_root()
require_tools()
if not require_clickhouse():
    done()
d = workdir("fleet-e2e")
broker = Broker()
ch = ClickHouse(d)
procs = []
try:
    cfg = write_config(d + "/ingest.yaml", ingest_config(broker.addr, ch.url))
    init_schema(cfg)
    ingests = [Ingest(cfg, "ingest-1"), Ingest(cfg, "ingest-2")]
    for i in ingests:
        i.port()
    t_start = int(time.time()) - 1
    agents = start_agents(d, broker)
    procs = agents + ingests
    spinner = subprocess.Popen([os.path.join(PROGS, "spin"), "12000"])
    time.sleep(4)
    log("SIGKILL ingest-1")
    ingests[0].stop(signal.SIGKILL)
    vm_pid = None
    if KVM:
        guest = subprocess.run([os.path.join(PROGS, "tiny_vm"), "--vcpus", "2", "--life", "300"],
                               capture_output=True, text=True, timeout=30)
        check_eq(guest.returncode, 0, f"tiny_vm ({guest.stderr.strip()})")
    time.sleep(1)
    ingests[0] = Ingest(cfg, "ingest-1 again")
    procs.append(ingests[0])
    ingests[0].port()
    log("ingest-1 restarted")
    time.sleep(2)
    broker.down()
    log("broker down for 10 s")
    time.sleep(10)
    broker.up()
    log("broker up")
    time.sleep(5)
    spinner.kill()  # it has been sampled; spin counts CPU time, not wall time
    spinner.wait()
    for a in agents:
        check_eq(a.stop(signal.SIGTERM), 0, "an agent's exit status")
    log(f"agents made {[a.final_seqs() for a in agents]}; possible duplicates "
        f"{sum(possible_dups(a.text()) for a in agents)}")
    reports = kcat_reports(broker)
    distinct = len({(r["host"], r["collector"], r["seq"], r["interval_end"]) for r in reports})
    log(f"kcat: {len(reports)} messages, {distinct} distinct reports")
    ok = wait_until(lambda: loaded(ch) >= distinct, 60, 0.5)
    check(ok, f"ClickHouse has every report within 60 s ({loaded(ch)} of {distinct})")
    if KVM:
        vm_pid = next((r["pid"] for r in reports if r["type"] == "vm" and
                       r.get("comm") == "tiny_vm"), None)
        check(vm_pid, "the agents reported the guest")
    by = check_exactly_once(ch, reports)
    for i in ingests:
        log(f"{i.name}: rebalances {i.metric('quazar_ingest_rebalances_total')}, "
            f"messages {i.metric('quazar_ingest_messages_total')}, commit errors "
            f"{i.metric('quazar_ingest_commit_errors_total')}")
    check(sum(i.metric("quazar_ingest_messages_total") for i in ingests) > 0,
          "the ingests after the kill loaded messages")
    # The group took the restarted process in: a rebalance gave it partitions.
    check(wait_until(lambda: ingests[0].metric("quazar_ingest_rebalances_total") >= 1, 45, 0.5),
          "the restarted ingest joined the group (a rebalance assigned it partitions)")
    check_fleet(ch, d, by, t_start, vm_pid)
    for i in ingests[1:]:
        check_eq(i.stop(), 0, f"{i.name}: exit status")
    if not KVM:
        log("no /dev/kvm here: the kvm collector and fleet vms are checked by "
            "fleet-synthetic only")
finally:
    for p in procs:
        if p.alive():
            p.stop(signal.SIGKILL)
    ch.stop()
    broker.stop()
done()
