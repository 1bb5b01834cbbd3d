"""ingest on hand-made reports, produced with kcat, into a ClickHouse of
its own: every table's rows, bad input kept in raw with its reason, a
dropped seq shown by `fleet lost`, duplicates counted once, `fleet top`
and `fleet vms` on known values, the folded stacks of `fleet flamegraph`,
then ClickHouse down: retried, nothing committed, loaded once it is back;
and a second group reading everything again changes no query result.
"""
import json
import subprocess
import time

from agentlib import (KCAT, Broker, check, check_eq, done, log, require_tools,
                      wait_until, workdir)
from fleetlib import (ClickHouse, Ingest, fleet, ingest_config, init_schema,
                      require_clickhouse, write_config)

NOW = int(time.time())
NS = 1_000_000_000


def env(type_, host, collector, seq, end_s, **payload):
    end = end_s * NS + seq  # distinct ns per report
    r = {"ts": 1000 + seq, "type": type_, "host": host, "collector": collector,
         "seq": seq, "interval_start": end - NS, "interval_end": end,
         "labels": {"suite": "fleet"}}
    r.update(payload)
    return r


def stat(host, seq, end_s):
    return env("stat", host, "cpu", seq, end_s, interval_ns=NS, counters=[
        {"event": "cpu-clock", "value": 1000 * seq, "scaled": 1000.0 * seq,
         "running_pct": 100,
         "per_cpu": [{"cpu": 0, "value": 600 * seq, "scaled": 600.0 * seq, "running_pct": 100},
                     {"cpu": 1, "value": 400 * seq, "scaled": 400.0 * seq, "running_pct": 100}]},
        {"event": "page-faults", "value": 7, "scaled": None, "running_pct": 50.5}])


def lat(host, seq, end_s, p99_us):
    return env("multi_trace", host, "lat", seq, end_s, interval_ns=NS, final=False,
               impl="delay", pairs=[{"start": "sched_wakeup", "end": "sched_switch",
                                     "calls": 100, "total": 100 * 1000, "min": 1000,
                                     "p50": 2000, "p95": 3000, "p99": p99_us * 1000,
                                     "max": p99_us * 2000}],
               events=200, outliers=0, pending=0, evicted=0, late=0, lost=0)


def messages():
    """(key, JSON text or raw text) to produce, and what each check wants."""
    m = []
    # stat 1..10 on syn-1 without 6 (dropped on the way) and with 3 twice.
    for seq in list(range(1, 6)) + [3] + list(range(7, 11)):
        m.append(("cpu", stat("syn-1", seq, NOW - 600 + seq)))
    # Latency: syn-1 went up (1000 -> 2000 us), syn-2 went down (600 -> 500).
    for i in range(1, 5):
        m.append(("lat", lat("syn-1", i, NOW - 5400 + i * 10, 1000)))
        m.append(("lat", lat("syn-2", i, NOW - 5400 + i * 10, 600)))
    for i in range(5, 9):
        m.append(("lat", lat("syn-1", i, NOW - 1800 + i * 10, 2000)))
        m.append(("lat", lat("syn-2", i, NOW - 1800 + i * 10, 500)))
    # VMs: pid 100 lived 60 s; pid 200 is alive.
    vm_events = [(100, "create", 0, NOW - 300), (100, "vcpu", 1, NOW - 299),
                 (100, "destroy", 1, NOW - 240), (200, "create", 0, NOW - 200),
                 (200, "vcpu", 1, NOW - 199), (200, "vcpu", 2, NOW - 198)]
    for seq, (pid, ev, vcpus, t) in enumerate(vm_events, 1):
        m.append(("vm", env("vm", "syn-1", "vm", seq, t, event=ev, pid=pid,
                            comm="qemu-kvm", vms=1, vcpus=vcpus, age_ns=0)))
    m.append(("vm", env("vms", "syn-1", "vm", 7, NOW - 190, alive=1, created=2,
                        destroyed=1, vms=[{"pid": 200, "comm": "qemu-kvm", "name": "web1",
                                           "vcpus": 2, "age_ns": 10 * NS, "exits": 0,
                                           "user_exits": 7, "guest_ns": NS}])))
    # Profile stacks on two hosts in one window.
    for host, n in (("syn-1", 30), ("syn-2", 12)):
        m.append(("prof", env("profile", host, "prof", 1, NOW - 100, interval_ns=NS,
                              period_ns=10_000_000, samples=n + 5,
                              cpus=[{"cpu": 0, "samples": n + 5, "idle": 0, "busy_pct": 50.0}],
                              functions=[{"sym": "spin_here", "module": "spinner",
                                          "samples": n, "pct": 80.0}],
                              stacks=[{"samples": n, "pct": 80.0, "comm": "spinner",
                                       "frames": ["main", "spin_outer", "spin_here"]},
                                      {"samples": 5, "pct": 20.0, "comm": "bash",
                                       "frames": ["main", "read"]}])))
    # 40 days old: its day partition goes at ingest's first TTL run.
    m.append(("old", stat("syn-old", 1, NOW - 40 * 86400)))
    # Bad input, each kept in raw with its reason.
    m.append(("bad", "this is not json"))
    m.append(("bad", "[1, 2, 3]"))
    m.append(("bad", json.dumps({"type": "stat", "host": "syn-1", "collector": "noseq"})))
    bad_payload = stat("syn-3", 1, NOW - 50)
    del bad_payload["counters"][1]["value"]
    m.append(("bad", bad_payload))
    m.append(("new", env("from_the_future", "syn-3", "future", 1, NOW - 40, x=1)))
    m.append(("top", env("top", "syn-3", "hogs", 1, NOW - 30, interval_ns=NS, key="pid",
                         keys=2, rows=[{"pid": 5, "comm": "a\tb'c", "count": 3, "runtime": 99},
                                       {"pid": 6, "comm": "d", "count": 1, "runtime": 1}])))
    return m


def produce(broker, msgs):
    lines = []
    for key, v in msgs:
        text = v if isinstance(v, str) else json.dumps(v)
        assert "\n" not in text and "|" not in key
        lines.append(f"{key}|{text}")
    out = subprocess.run([KCAT, "-P", "-q", "-b", broker.addr, "-t", "quazar", "-K", "|"],
                         input="\n".join(lines) + "\n", capture_output=True, text=True,
                         timeout=60)
    check_eq(out.returncode, 0, f"kcat -P ({out.stderr[-300:]})")


def fleet_json(ch, args):
    out = fleet(["--url", ch.url, "--json"] + args)
    check_eq(out.returncode, 0, f"fleet {' '.join(args)} ({out.stderr.strip()[-300:]})")
    return [json.loads(x) for x in out.stdout.splitlines() if x.strip()]


def check_tables(ch):
    n = ch.scalar
    check_eq(n("SELECT count() FROM reports FINAL WHERE host = 'syn-1' AND collector = 'cpu'"), "9",
             "stat reports once each (3 came twice, 6 never)")
    check_eq(n("SELECT count() FROM stat FINAL WHERE host = 'syn-1'"), str(9 * 4),
             "stat rows: 2 totals and 2 per-CPU rows per report")
    check_eq(n("SELECT sum(value) FROM stat FINAL WHERE host = 'syn-1' AND event = 'cpu-clock' "
               "AND per_cpu = 1 "
               "AND cpu = 1"), str(400 * sum([1, 2, 3, 4, 5, 7, 8, 9, 10])),
             "per-CPU values")
    check_eq(n("SELECT toString(scaled) FROM stat FINAL WHERE event = 'page-faults' LIMIT 1"),
             "nan", "a null (non-finite) number reads as nan")
    check_eq(n("SELECT count() FROM multi_trace FINAL"), "16", "multi_trace pairs")
    check_eq(n("SELECT count() FROM vm FINAL"), "6", "vm events")
    check_eq(n("SELECT vm_pid FROM vms FINAL"), "[200]", "vms summary")
    check_eq(n("SELECT count() FROM profile_stacks FINAL"), "4", "profile stacks")
    check_eq(n("SELECT sym FROM profile_functions FINAL LIMIT 1"), "spin_here", "functions")
    top = ch.rows("SELECT comm, key, field_names, field_values FROM top FINAL ORDER BY rank")
    check_eq(top[0] if top else None, {"comm": "a\tb'c", "key": 5, "field_names": ["runtime"],
                                       "field_values": [99]}, "top row, escapes kept")
    raw = ch.rows("SELECT host, collector, seq, type, reason, message, msg_id FROM raw FINAL "
                  "ORDER BY kafka_offset")
    reasons = [r["reason"] for r in raw]
    log(f"raw reasons: {reasons}")
    check_eq(len(raw), 5, "raw rows")
    want = ["not JSON", "not a report: a JSON array", "missing field 'seq'",
            "missing field 'counters[1].value'", "unknown type 'from_the_future'"]
    for w in want:
        check(any(r.startswith(w) for r in reasons), f"raw has a reason starting {w!r}")
    check(any(r["message"] == "this is not json" for r in raw), "raw keeps the message as is")
    check(all(r["msg_id"] for r in raw if r["collector"] in ("", "noseq")),
          "messages without an envelope have a msg_id")
    check_eq(n("SELECT count() FROM reports FINAL WHERE host = 'syn-3'"), "3",
             "reports with an envelope but a bad payload or unknown type are in reports")


def check_queries(ch, d, stat_seqs):
    top = fleet_json(ch, ["top", "--metric", "lat.p99", "--since", "1h"])
    log(f"fleet top: {top}")
    check_eq([r["host"] for r in top], ["syn-1", "syn-2"], "fleet top ranks by p99")
    if len(top) == 2:
        check_eq((top[0]["now_us"], top[0]["before_us"], top[0]["change_pct"]),
                 (2000, 1000, 100), "syn-1 went from 1000 to 2000 us")
        check_eq((top[1]["now_us"], top[1]["before_us"]), (500, 600), "syn-2")
    st = fleet_json(ch, ["top", "--metric", "cpu.cpu-clock", "--since", "1h"])
    check_eq([(r["host"], r["now_per_s"]) for r in st],
             [("syn-1", round(1000 * sum(stat_seqs) / 3600, 1))],
             "fleet top on a stat event: per second over the window")
    lost = fleet_json(ch, ["lost"])
    log(f"fleet lost: {lost}")
    cpu = [r for r in lost if r["collector"] == "cpu" and r["host"] == "syn-1"]
    check_eq([(r["missing"], r["missing_seqs"]) for r in cpu], [(1, "6")],
             "fleet lost names seq 6 of syn-1/cpu")
    check(all(r["missing"] == 0 for r in lost if r not in cpu),
          "no other collector lost a report")
    vms = fleet_json(ch, ["vms", "--host", "syn-*"])
    log(f"fleet vms: {vms}")
    by_pid = {r["pid"]: r for r in vms}
    check_eq(sorted(by_pid), [100, 200], "two VMs")
    if len(by_pid) == 2:
        check_eq((by_pid[100]["alive"], by_pid[100]["age_s"]), (0, 60), "pid 100 destroyed at 60 s")
        check_eq((by_pid[200]["alive"], by_pid[200]["vcpus"]), (1, 2), "pid 200 alive, 2 vCPUs")
    text = fleet(["--url", ch.url, "vms"])
    check("qemu-kvm" in text.stdout and "alive" in text.stdout.splitlines()[0],
          f"fleet vms as a table:\n{text.stdout}")
    svg = d + "/fleet.svg"
    out = fleet(["--url", ch.url, "flamegraph", "--from", f"@{NOW - 200}", "--to", "now",
                 "-o", svg])
    folded = open(d + "/fleet.folded").read() if out.returncode in (0, 1) else ""
    check_eq(sorted(folded.splitlines()), ["bash;main;read 10", "spinner;main;spin_outer;spin_here 42"],
             f"folded stacks summed across hosts ({out.stderr.strip()})")
    # Both windows overlap the profile reports' intervals (NOW-101..NOW-100).
    diff = fleet(["--url", ch.url, "--json", "flamegraph", "--from", f"@{NOW - 150}", "--diff",
                  f"@{NOW - 200}..@{NOW - 50}", "-o", d + "/diff.svg"])
    lines = [json.loads(x) for x in diff.stdout.splitlines()]
    check_eq([(x["folded"].rsplit("/", 1)[-1], x["stacks"], x["samples"]) for x in lines],
             [("diff.base.folded", 2, 52), ("diff.folded", 2, 52)],
             f"--diff writes the base window's stacks too ({diff.stderr.strip()})")
    one = fleet(["--url", ch.url, "flamegraph", "--from", f"@{NOW - 200}", "--host", "syn-2",
                 "--by-host", "-o", d + "/one.svg"])
    check("syn-2;spinner;main;spin_outer;spin_here 12" in open(d + "/one.folded").read(),
          f"--host and --by-host ({one.stderr.strip()})")


require_tools()
if not require_clickhouse():
    done()
d = workdir("fleet-syn")
broker = Broker()
ch = ClickHouse(d)
ingest = None
try:
    cfg = write_config(d + "/ingest.yaml", ingest_config(broker.addr, ch.url, ttl="30d"))
    init_schema(cfg)
    init_schema(cfg)  # twice is harmless
    ingest = Ingest(cfg)
    ingest.port()
    msgs = messages()
    produce(broker, msgs)
    ok = wait_until(lambda: ingest.metric("quazar_ingest_messages_total") == len(msgs), 30, 0.2)
    check(ok, f"ingest loaded all {len(msgs)} messages "
          f"({ingest.metric('quazar_ingest_messages_total')})")
    check_eq(ingest.metric("quazar_ingest_raw_messages_total", reason="not_a_report"), 2,
             "metrics: not a report")
    check_eq(ingest.metric("quazar_ingest_raw_messages_total", reason="bad_envelope"), 1,
             "metrics: bad envelope")
    check_eq(ingest.metric("quazar_ingest_raw_messages_total", reason="bad_payload"), 1,
             "metrics: bad payload")
    check_eq(ingest.metric("quazar_ingest_raw_messages_total", reason="unknown_type"), 1,
             "metrics: unknown type")
    check_tables(ch)
    seqs = [1, 2, 3, 4, 5, 7, 8, 9, 10]
    check_queries(ch, d, seqs)

    # ClickHouse down: retried with backoff, nothing committed.
    ch.stop()
    log("ClickHouse down")
    more = [("cpu", stat("syn-1", seq, NOW - 500 + seq)) for seq in range(11, 31)]
    produce(broker, more)
    check(wait_until(lambda: (ingest.metric("quazar_ingest_insert_errors_total") or 0) >= 3,
                     20, 0.2), "insert errors counted while ClickHouse is down")
    time.sleep(2)
    lag = ingest.metric("quazar_ingest_consumer_lag")
    pending = ingest.metric("quazar_ingest_pending_messages")
    log(f"while down: lag {lag}, pending {pending}, retries "
        f"{ingest.metric('quazar_ingest_insert_retries_total')}")
    check_eq(lag, 20, "nothing committed while ClickHouse is down (consumer lag)")
    check_eq(pending, 20, "the batch waits")
    check(ingest.metric("quazar_ingest_insert_retries_total") >= 2, "retries counted")
    check_eq(ingest.metric("quazar_ingest_clickhouse_up"), 0, "clickhouse_up is 0")
    ch.start()
    log("ClickHouse up")
    check(wait_until(lambda: ingest.metric("quazar_ingest_consumer_lag") == 0, 30, 0.2),
          "committed once ClickHouse is back")
    check_eq(ch.scalar("SELECT count() FROM reports FINAL WHERE host = 'syn-1' AND collector = 'cpu'"),
             "29",
             "the batch that waited is in")
    # TTL: ingest's first run, 10 s after its start, dropped the old day.
    check(wait_until(lambda: ingest.metric("quazar_ingest_partitions_dropped_total") >= 1, 20,
                     0.5), "a partition older than the TTL was dropped")
    check_eq(ch.scalar("SELECT count() FROM reports WHERE host = 'syn-old'"), "0",
             "the 40-day-old report is gone")
    check_eq(ch.scalar("SELECT count() FROM reports WHERE host != 'syn-old' AND "
                       "time < now() - 86400"), "0", "nothing else was that old")
    check(int(ch.scalar("SELECT count() FROM reports")) > 0, "the rest stays")
    check("ttl: dropped" in ingest.text(), "the drop is logged")
    check_eq(ingest.stop(), 0, "ingest's exit status")
    log_text = ingest.text()
    check(log_text.count("ClickHouse insert failed") <= 4,
          "an outage is a few log lines:\n" + log_text)

    # Everything again, by a new group from the start: no query changes.
    before = {t: ch.scalar(f"SELECT count() FROM {t} FINAL WHERE host != 'syn-old'") for t in
              ("reports", "stat", "multi_trace", "vm", "profile_stacks", "raw", "top")}
    cfg2 = write_config(d + "/ingest2.yaml", ingest_config(broker.addr, ch.url, group="again"))
    again = Ingest(cfg2, "again")
    again.port()
    check(wait_until(lambda: again.metric("quazar_ingest_messages_total") == len(msgs) + 20,
                     30, 0.2), "the second group read everything again")
    after = {t: ch.scalar(f"SELECT count() FROM {t} FINAL WHERE host != 'syn-old'")
             for t in before}
    check_eq(after, before, "tables read with FINAL after every message came twice")
    check_queries(ch, d, seqs + list(range(11, 31)))
    check_eq(again.stop(), 0, "second ingest's exit status")
    ingest = None
finally:
    if ingest and ingest.alive():
        ingest.stop()
    ch.stop()
    broker.stop()
done()
