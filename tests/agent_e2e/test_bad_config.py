"""Bad configs: each gets a clear error and a non-zero exit at startup
(`--check` and a plain start), and on reload (SIGHUP with the bad file)
the old config keeps running, its seq still rising.

The cases: a YAML syntax error, an unknown key, an unknown profiler, a
bad selector (syntax, and a filter naming no field), a field the
profiler cannot use, and a Kafka broker nobody listens on (probe_timeout
500ms keeps that quick).
"""
import os
import re
import signal
import time

from agentlib import (Agent, check, check_eq, done, free_port_nobody_listens,
                      log, require_root, run_quazar, wait_until, workdir, write)

require_root()
d = workdir("badcfg")
out = d + "/reports.jsonl"
holder, dead_port = free_port_nobody_listens()

HEAD = f"""global:
  host: bad
  http_listen: 127.0.0.1:0
  http_socket: "off"
  spool_dir: {d}/spool
sinks:
  file:
    type: file
    path: {out}
"""
GOOD = HEAD + """collectors:
  - name: steady
    profiler: stat
    events: [cpu-clock, context-switches]
    interval: 200ms
    sink: file
"""


def collector(events='[cpu-clock]', profiler="stat", extra=""):
    return HEAD + f"""{extra}collectors:
  - name: steady
    profiler: stat
    events: [cpu-clock, context-switches]
    interval: 200ms
    sink: file
  - name: second
    profiler: {profiler}
    events: {events}
    interval: 300ms
    sink: file
"""


# name: (config text, regexes the error must match)
CASES = {
    "syntax error": (collector(events="[cpu-clock, page-faults"),
                     [r"line 1[89], column \d+: syntax error"]),
    "unknown key": (collector().replace("    interval: 300ms\n", "    intervall: 300ms\n"),
                    [r"line 19, column 5: collectors\[1\]\.intervall: unknown key \(known here: .*interval"]),
    "unknown profiler": (collector(profiler="nosuch"),
                         [r"collector 'second' \(line 16\): unknown profiler 'nosuch'; one of: .*stat"]),
    "bad selector": (collector(events='["sched:sched_switch//bogus=1/"]'),
                     [r"collector 'second' \(line 16\): bad event selector",
                      r"\^ unknown attribute 'bogus'"]),
    "bad filter": (collector(events='["sched:sched_switch/prev_pid==/"]'),
                   [r"collector 'second' \(line 16\): cannot start: bad filter for sched:sched_switch",
                    r"\^ expected a field"]),
    "unknown field": (collector(profiler="top", events='["sched:sched_switch//top-by=nosuch/"]'),
                      [r"collector 'second' \(line 16\): cannot start: sched:sched_switch has no field 'nosuch'"]),
    "option of another profiler": (collector(extra="").replace(
        "    interval: 300ms\n", "    interval: 300ms\n    options: [--than, 5ms]\n"),
        [r"collector 'second' \(line 16\): option --than is not used by 'stat'; it is used by: multi-trace, kmemleak, task-state"]),
    "unknown tracepoint": (collector(events='["sched:sched_nosuch"]'),
                           [r"collector 'second' \(line 16\): unknown tracepoint 'sched:sched_nosuch'"]),
    "unreachable broker": (HEAD + f"""  bus:
    type: kafka
    brokers: 127.0.0.1:{dead_port}
    topic: quazar
    probe_timeout: 500ms
collectors:
  - name: steady
    profiler: stat
    events: [cpu-clock, context-switches]
    interval: 200ms
    sink: file
  - name: second
    profiler: stat
    events: [page-faults]
    interval: 300ms
    sink: bus
""", [rf"sink 'bus' \(line 10\): cannot reach Kafka brokers '127.0.0.1:{dead_port}' for topic 'quazar' within 500 ms"]),
}


def matches(text, patterns, what):
    ok = True
    for p in patterns:
        ok &= bool(check(re.search(p, text), f"{what}: the error matches /{p}/:\n{text[-1500:]}"))
    return ok


# 1. At startup: --check and a plain start both refuse, with the message.
for name, (text, patterns) in CASES.items():
    path = f"{d}/{name.replace(' ', '-')}.yaml"
    write(path, text)
    for args in (["--check"], []):
        t0 = time.monotonic()
        r = run_quazar(["agent", "-c", path] + args, timeout=30)
        what = f"{name} ({' '.join(args) or 'start'})"
        check(r.returncode not in (0, None) and r.returncode > 0, f"{what}: exit status {r.returncode}")
        check(os.path.basename(path) in r.stderr, f"{what}: the error names the file")
        matches(r.stderr, patterns, what)
        check(time.monotonic() - t0 < 10, f"{what}: took {time.monotonic() - t0:.1f} s")
        check_eq(r.stdout, "", f"{what}: nothing on stdout")
    log(f"{name}: refused at startup: {r.stderr.strip().splitlines()[-1][:160]}")

# The good config passes --check.
good = d + "/good.yaml"
write(good, GOOD)
r = run_quazar(["agent", "-c", good, "--check"])
check_eq(r.returncode, 0, "--check of the good config")
check("OK, 1 collectors" in r.stdout, f"--check says OK: {r.stdout!r}")

# 2. On reload: the old config keeps running.
cfg = d + "/agent.yaml"
write(cfg, GOOD)
agent = Agent(cfg)
agent.port()
check(wait_until(lambda: agent.seq("steady") >= 2, 20), "steady reports")
for name, (text, patterns) in CASES.items():
    write(cfg, text)
    mark = agent.nlines()
    before = agent.seq("steady")
    agent.send(signal.SIGHUP)
    m = agent.wait_log(r"reload failed, the running config stays", 30, mark)
    check(m, f"reload with {name}: logged as failed")
    matches("\n".join(agent.text().split("\n")[mark:]), patterns, f"reload with {name}")
    check(wait_until(lambda: agent.seq("steady") >= before + 2, 10),
          f"reload with {name}: steady's seq kept rising from {before}")
    fams = agent.metrics()
    names = {lb.get("collector") for _, lb, _ in fams["quazar_collector_seq"]["samples"]}
    check_eq(names, {"steady"}, f"reload with {name}: collectors running")
    check(agent.alive(), f"reload with {name}: the agent still runs")
check(not re.search(r"collector 'steady' st(arts|ops)", agent.text().split("starts: stat", 1)[-1]),
      "steady was never restarted")
check_eq(agent.stop(), 0, "exit status after the failed reloads")
holder.close()
done()
