"""The HTTP endpoint: /healthz, /metrics (strict Prometheus text), /data.

Two collectors (stat, top) into a file sink. /metrics must parse under a
strict checker and hold every per-collector family with one sample per
collector, labelled with its name, and the sink families; its counts must
agree with the file. /data is JSON holding the latest report of each
collector, the same as the file's last line of that collector.
"""
import json
import time

from agentlib import (Agent, check, check_eq, done, log, parse_prometheus,
                      require_root, wait_until, workdir, write)

require_root()
d = workdir("endpoints")
out = d + "/reports.jsonl"
cfg = d + "/agent.yaml"
write(cfg, f"""global:
  host: ep-host
  labels: {{dc: "eu \\"1\\"", rack: r12}}
  http_listen: 127.0.0.1:0
  http_socket: "off"
  spool_dir: {d}/spool
sinks:
  file:
    type: file
    path: {out}
collectors:
  - name: sw
    profiler: stat
    events: [cpu-clock, page-faults]
    interval: 200ms
    sink: file
  - name: run-time
    profiler: top
    events: ["sched:sched_stat_runtime//top-by=runtime/"]
    interval: 300ms
    sink: file
""")
agent = Agent(cfg)
agent.port()

status, body, ctype = agent.get("/healthz")
check_eq((status, json.loads(body)), (200, {"status": "ok", "reasons": []}), "/healthz")
check(ctype.startswith("application/json"), f"/healthz content type {ctype!r}")
status, body, _ = agent.get("/nosuch")
check_eq(status, 404, "an unknown path")

check(wait_until(lambda: agent.seq("run-time") >= 3 and agent.seq("sw") >= 3, 20),
      "both collectors report")
# Stop the collectors' clock for a moment: read /metrics and /data, then
# compare them with the file, which by then holds at least as much.
status, text, ctype = agent.get("/metrics")
check_eq(status, 200, "/metrics status")
check(ctype.startswith("text/plain") and "version=0.0.4" in ctype, f"/metrics content type {ctype!r}")
fams = parse_prometheus(text)
status, data_text, dtype = agent.get("/data")
check_eq(status, 200, "/data status")
check(dtype.startswith("application/json"), f"/data content type {dtype!r}")

COLLECTOR_FAMILIES = {
    "quazar_collector_reports_total": "counter",
    "quazar_collector_events_total": "counter",
    "quazar_collector_lost_events_total": "counter",
    "quazar_collector_filtered_events_total": "counter",
    "quazar_collector_seq": "gauge",
    "quazar_collector_running": "gauge",
    "quazar_collector_errors_total": "counter",
}
SINK_FAMILIES = ["quazar_sink_written_total", "quazar_sink_delivered_total",
                 "quazar_sink_queue_depth", "quazar_sink_spool_records",
                 "quazar_sink_spool_bytes", "quazar_sink_spool_dropped_total",
                 "quazar_sink_errors_total", "quazar_sink_spool_corrupt_total",
                 "quazar_sink_fatal_errors_total"]
for name, typ in COLLECTOR_FAMILIES.items():
    fam = fams.get(name)
    if not check(fam, f"/metrics has {name}"):
        continue
    check_eq(fam["type"], typ, f"{name} type")
    labels = sorted(tuple(sorted(lb.items())) for _, lb, _ in fam["samples"])
    check_eq(labels, [(("collector", "run-time"),), (("collector", "sw"),)], f"{name} labels")
for name in SINK_FAMILIES:
    fam = fams.get(name)
    if check(fam, f"/metrics has {name}"):
        check_eq(sorted(lb.get("sink") for _, lb, _ in fam["samples"]), ["file", "stdout"],
                 f"{name} sinks")
info = fams.get("quazar_agent_info", {}).get("samples", [])
check_eq([lb for _, lb, _ in info], [{"host": "ep-host", "dc": 'eu "1"', "rack": "r12"}],
         "quazar_agent_info labels (escaped quotes round-trip)")


def value(family, **labels):
    for _, lb, v in fams[family]["samples"]:
        if all(lb.get(k) == x for k, x in labels.items()):
            return v
    return None


check_eq(value("quazar_collector_running", collector="sw"), 1.0, "sw running")
check_eq(value("quazar_collector_errors_total", collector="sw"), 0.0, "sw errors")
check(value("quazar_collector_events_total", collector="run-time") > 0, "top counted events")
for c in ("sw", "run-time"):
    # seq is taken as a report begins, reports counts it once sent.
    n, seq = (value("quazar_collector_reports_total", collector=c),
              value("quazar_collector_seq", collector=c))
    check(n is not None and seq is not None and seq - n in (0, 1), f"{c}: reports {n}, seq {seq}")

data = json.loads(data_text)
check_eq(sorted(data), ["run-time", "sw"], "/data keys")
for c, latest in data.items():
    check_eq(latest.get("collector"), c, f"/data[{c}].collector")
    check_eq(latest.get("host"), "ep-host", f"/data[{c}].host")
    check(latest.get("seq", 0) >= value("quazar_collector_seq", collector=c),
          f"/data[{c}] is at least as new as /metrics")
check_eq(data["sw"].get("type"), "stat", "/data sw type")
check_eq(data["run-time"].get("type"), "top", "/data run-time type")

# /data is the latest report: the same object as in the file.
time.sleep(0.1)
lines = [json.loads(x) for x in open(out)]
for c, latest in data.items():
    same = [r for r in lines if r["collector"] == c and r["seq"] == latest["seq"]]
    check(same and same[0] == latest, f"/data[{c}] is the file's report seq {latest['seq']}")
written = value("quazar_sink_written_total", sink="file")
check(written is not None and written <= len(lines), f"file sink written {written} <= {len(lines)} lines")
log(f"/metrics: {len(fams)} families, {sum(len(f['samples']) for f in fams.values())} samples; "
    f"/data: {len(data_text)} bytes")
check_eq(agent.stop(), 0, "exit status")
done()
