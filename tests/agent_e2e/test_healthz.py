"""/healthz tells the truth: 200 {"status": "ok", "reasons": []} when all is
well, 503 with one reason object per thing wrong:

- a collector whose thread stopped (here: its workload, `-- sleep`, ended);
- a Kafka sink whose spool is above 90% of its bound, and that dropped its
  oldest reports (the broker is down, the spool small).
"""
import json
import time

from agentlib import (Agent, Broker, check, check_eq, done, kafka_config, log,
                      require_root, require_tools, wait_until, workdir, write)

require_root()
require_tools()
d = workdir("healthz")


def health(agent):
    status, body, ctype = agent.get("/healthz")
    check(ctype.startswith("application/json"), f"/healthz content type {ctype!r}")
    try:
        page = json.loads(body)
    except json.JSONDecodeError:
        check(False, f"/healthz is not JSON: {body!r}")
        return status, None, []
    check(isinstance(page.get("reasons"), list), f"/healthz reasons: {body!r}")
    return status, page.get("status"), page.get("reasons") or []


SW = """  - name: sw
    profiler: stat
    events: [cpu-clock]
    interval: 200ms
"""
SHORT = """  - name: short
    profiler: stat
    events: [cpu-clock]
    options: ["--", "sleep", "0.5"]
    interval: 100ms
"""


def config(collectors):
    return f"""global:
  http_listen: 127.0.0.1:0
  http_socket: "off"
  spool_dir: {d}/spool
collectors:
{collectors}"""


# 1. A collector whose thread stopped.
cfg = d + "/agent.yaml"
write(cfg, config(SW))
agent = Agent(cfg)
agent.port()
check_eq(health(agent), (200, "ok", []), "healthy at start")
mark = agent.nlines()
write(cfg, config(SW + SHORT))
agent.send(1)  # SIGHUP
check(agent.wait_log(r"reloaded", 20, mark), "reload with a short-lived collector")
st = wait_until(lambda: health(agent)[0] == 503 and health(agent), 10)
check(st, "503 once the short collector's session ended")
if st:
    status, text, reasons = st
    check_eq(text, "unhealthy", "status")
    check_eq([(r.get("reason"), r.get("collector")) for r in reasons],
             [("collector_stopped", "short")], "the reason names the collector")
mark = agent.nlines()
write(cfg, config(SW))
agent.send(1)
check(agent.wait_log(r"reloaded", 20, mark), "reload without it")
check_eq(health(agent), (200, "ok", []), "healthy again")
check_eq(agent.stop(), 0, "exit status")

# 2. A full spool that dropped reports.
broker = Broker()
FAST = """  - name: fast-{n}
    profiler: stat
    events: [cpu-clock, task-clock, page-faults, context-switches]
    options: {{perins: true}}
    interval: 10ms
    sink: bus
"""
write(cfg, kafka_config(broker.addr, d + "/spool2", FAST.format(n=1) + FAST.format(n=2),
                        message_timeout="1s", extra_global="  spool_max_bytes: 128k\n"))
agent = Agent(cfg)
agent.port()
check_eq(health(agent)[0], 200, "healthy with the broker up")
broker.down()
log("broker down: waiting for the spool to fill")
st = wait_until(lambda: {r.get("reason") for r in health(agent)[2]} >=
                {"spool_full", "spool_dropped"} and health(agent), 60, step=0.5)
check(st, "503 with spool_full and spool_dropped")
if st:
    check_eq(st[0], 503, "status code")
    for r in st[2]:
        check_eq(r.get("sink"), "bus", f"{r.get('reason')} names the sink")
        log(f"reason: {r}")
broker.up()
agent.stop()
broker.stop()
done()
