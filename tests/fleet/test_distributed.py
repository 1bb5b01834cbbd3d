"""The Distributed variant (deploy/clickhouse/distributed.sql) on a real
two-shard cluster inside one ClickHouse server: shard 1 is database s1,
shard 2 database s2 (each replica's default_database), and database quazar
holds the Distributed tables, as on every node of a real cluster. Ingest
loads through them; rows are sharded by host, so copies of a report land
on one shard and FINAL folds them; `fleet lost` and `fleet top` read
through them.
"""
import json
import os
import subprocess
import time

from agentlib import KCAT, Broker, check, check_eq, done, log, require_tools, wait_until, workdir
from fleetlib import (ClickHouse, Ingest, fleet, ingest_config, init_schema,
                      require_clickhouse, write_config)

CLUSTER = """<remote_servers><quazar>
  <shard><replica><host>127.0.0.1</host><port>{tcp}</port>
    <default_database>s1</default_database></replica></shard>
  <shard><replica><host>127.0.0.1</host><port>{tcp}</port>
    <default_database>s2</default_database></replica></shard>
</quazar></remote_servers>"""
HERE = os.path.dirname(os.path.abspath(__file__))
NS = 1_000_000_000
NOW = int(time.time())


def report(host, seq):
    end = (NOW - 300 + seq) * NS
    return {"ts": seq, "type": "multi_trace", "host": host, "collector": "lat", "seq": seq,
            "interval_start": end - NS, "interval_end": end, "interval_ns": NS,
            "pairs": [{"start": "w", "end": "s", "calls": 10, "total": 100, "min": 1,
                       "p50": 5, "p95": 9, "p99": 1000 * (1 + int(host[-1])), "max": 99999}]}


require_tools()
if not require_clickhouse():
    done()
d = workdir("fleet-dist")
broker = Broker()
ch = ClickHouse(d, CLUSTER)
ingest = None
try:
    for shard in ("s1", "s2"):
        init_schema(write_config(f"{d}/{shard}.yaml",
                                 ingest_config(broker.addr, ch.url, database=shard)))
    ch.query("CREATE DATABASE IF NOT EXISTS quazar", database="default")
    sql = open(os.path.join(HERE, "../../deploy/clickhouse/distributed.sql")).read()
    stmts = [s for s in "\n".join(l for l in sql.splitlines()
                                  if not l.startswith("--")).split(";") if s.strip()]
    check_eq(len(stmts), 15, "Distributed tables in distributed.sql")
    for s in stmts:
        # One server plays both shards: the shard database is each replica's default.
        ch.query(s.replace("quazar_shard.", "s1.").replace(", quazar_shard,", ", '',"))
    cfg = write_config(d + "/ingest.yaml", ingest_config(broker.addr, ch.url))
    ingest = Ingest(cfg)
    ingest.port()
    hosts = [f"node-{i}" for i in range(8)]
    msgs = [report(h, s) for h in hosts for s in range(1, 11) if not (h == "node-3" and s == 4)]
    msgs += [report("node-5", 2), report("node-5", 7)]  # sent twice
    lines = "\n".join(f"{m['host']}|{json.dumps(m)}" for m in msgs) + "\n"
    out = subprocess.run([KCAT, "-P", "-q", "-b", broker.addr, "-t", "quazar", "-K", "|"],
                         input=lines, capture_output=True, text=True, timeout=60)
    check_eq(out.returncode, 0, "kcat -P")
    check(wait_until(lambda: ingest.metric("quazar_ingest_messages_total") == len(msgs), 30, 0.2),
          "ingest loaded every message through the Distributed tables")
    # Distributed inserts go out in the background: wait for the shards.
    want = len(msgs) - 2
    check(wait_until(lambda: int(ch.scalar("SELECT count() FROM reports FINAL")) == want, 30, 0.5),
          f"reports FINAL through Distributed: {ch.scalar('SELECT count() FROM reports FINAL')}"
          f" of {want}")
    s1 = int(ch.scalar("SELECT count() FROM s1.reports"))
    s2 = int(ch.scalar("SELECT count() FROM s2.reports"))
    log(f"shard s1 {s1} rows, s2 {s2} rows")
    check(s1 > 0 and s2 > 0 and s1 + s2 == len(msgs), "rows spread over both shards")
    per_host = ch.rows("SELECT host, uniqExact(_shard) AS n FROM (SELECT host, 1 AS _shard "
                       "FROM s1.reports UNION ALL SELECT host, 2 FROM s2.reports) GROUP BY host")
    check(all(r["n"] == 1 for r in per_host), f"each host on one shard: {per_host}")
    lost = fleet(["--url", ch.url, "--json", "lost"])
    rows = [json.loads(x) for x in lost.stdout.splitlines()]
    check_eq([(r["host"], r["missing_seqs"]) for r in rows if r["missing"]], [("node-3", "4")],
             f"fleet lost through Distributed ({lost.stderr.strip()})")
    top = fleet(["--url", ch.url, "--json", "top", "--metric", "lat.p99", "--since", "1h"])
    ranked = [json.loads(x)["host"] for x in top.stdout.splitlines()]
    check_eq(ranked, sorted(hosts, reverse=True), f"fleet top through Distributed ({top.stderr})")
    check_eq(ingest.stop(), 0, "ingest's exit status")
    ingest = None
finally:
    if ingest and ingest.alive():
        ingest.stop()
    ch.stop()
    broker.stop()
done()
