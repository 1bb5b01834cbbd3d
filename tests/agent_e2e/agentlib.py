"""Helpers for the agent's end-to-end tests.

The agent runs as `quazar agent -c FILE` in a child process whose stderr is
read by a thread (so it never blocks on a full pipe); the Kafka broker is the
mock_broker helper (librdkafka's mock cluster) and kcat is the independent
consumer. Each test is a script exiting 0 (pass), 1 (fail) or 77 (skip).
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

QUAZAR = os.environ.get("QUAZAR", "build/quazar")
MOCK_BROKER = os.environ.get("MOCK_BROKER", "build/tests/sink/mock_broker")
KCAT = os.environ.get("KCAT", "kcat")
SKIP = 77
TOPIC = "quazar"
failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print(f"FAIL: {what}", file=sys.stderr, flush=True)
    return cond


def check_eq(got, want, what):
    return check(got == want, f"{what}: got {got!r}, want {want!r}")


def done():
    print("FAILED" if failures else "passed", file=sys.stderr)
    sys.exit(1 if failures else 0)


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def require_root():
    if os.geteuid() != 0:
        print("skipped: needs root for perf_event_open of tracepoints")
        sys.exit(SKIP)


def workdir(name):
    d = tempfile.mkdtemp(prefix=f"qz-{name}-")
    return d


def wait_until(pred, timeout, step=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


class Broker:
    """The mock cluster in a helper process: `down`/`up` on its stdin."""

    def __init__(self, partitions=3):
        self.p = subprocess.Popen([MOCK_BROKER, "-t", TOPIC, "-p", str(partitions)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True)
        self.addr = self.p.stdout.readline().strip()
        if not self.addr:
            raise RuntimeError("mock_broker printed no address")

    def cmd(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()

    def down(self):
        self.cmd("down")

    def up(self):
        self.cmd("up")

    def stop(self):
        try:
            self.p.stdin.close()
        except OSError:
            pass
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()

    def consume(self, timeout=60):
        """Every message of the topic as (key, report dict), in the order
        of each partition (reports of one key share a partition)."""
        out = subprocess.run(
            [KCAT, "-C", "-q", "-b", self.addr, "-t", TOPIC, "-o", "beginning",
             "-e", "-f", "%p\t%k\t%s\n"],
            capture_output=True, text=True, timeout=timeout)
        check_eq(out.returncode, 0, f"kcat exit status ({out.stderr.strip()[:300]})")
        recs = []
        for n, line in enumerate(out.stdout.splitlines(), 1):
            try:
                part, key, payload = line.split("\t", 2)
                recs.append((key, json.loads(payload)))
            except (ValueError, json.JSONDecodeError) as e:
                check(False, f"kcat line {n} is not PARTITION KEY JSON ({e}): {line[:200]!r}")
        return recs


class Agent:
    """`quazar agent -c FILE` with its stderr collected line by line."""

    def __init__(self, config_path, args=(), env=None):
        self.lines = []
        self.lock = threading.Lock()
        self.p = subprocess.Popen([QUAZAR, "agent", "-c", config_path, *args],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  text=True, env=env,
                                  # Background shells ignore SIGINT: reset it.
                                  preexec_fn=lambda: signal.signal(signal.SIGINT,
                                                                   signal.SIG_DFL))
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self._port = None

    def _read(self):
        for line in self.p.stderr:
            with self.lock:
                self.lines.append(line.rstrip("\n"))
            if os.environ.get("VERBOSE"):
                print("agent: " + line.rstrip("\n"), file=sys.stderr, flush=True)

    def text(self):
        with self.lock:
            return "\n".join(self.lines)

    def nlines(self):
        with self.lock:
            return len(self.lines)

    def wait_log(self, pattern, timeout=20, start=0):
        """The first match of pattern in the log lines from index start."""
        rx = re.compile(pattern)

        def find():
            with self.lock:
                for line in self.lines[start:]:
                    m = rx.search(line)
                    if m:
                        return m
            return None
        return wait_until(find, timeout)

    def port(self, timeout=20):
        if self._port is None:
            m = self.wait_log(r"HTTP endpoint on \S+ \(port (\d+)\)", timeout)
            if not m:
                raise RuntimeError("the agent logged no HTTP port:\n" + self.text())
            self._port = int(m.group(1))
        return self._port

    def get(self, path, timeout=10):
        """(status, body) of GET path on the agent's endpoint."""
        c = http.client.HTTPConnection("127.0.0.1", self.port(), timeout=timeout)
        try:
            c.request("GET", path)
            r = c.getresponse()
            return r.status, r.read().decode(), r.getheader("Content-Type", "")
        finally:
            c.close()

    def metrics(self):
        status, body, _ = self.get("/metrics")
        check_eq(status, 200, "GET /metrics status")
        return parse_prometheus(body)

    def seq(self, collector):
        """The collector's last seq, from /metrics (0 when absent)."""
        fams = self.metrics()
        for name, labels, value in fams.get("quazar_collector_seq", {}).get("samples", []):
            if labels.get("collector") == collector:
                return int(value)
        return 0

    def send(self, sig):
        self.p.send_signal(sig)

    def alive(self):
        return self.p.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Signal, wait; returns the exit status."""
        if self.p.poll() is None:
            self.p.send_signal(sig)
        try:
            self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            check(False, f"the agent did not exit within {timeout} s of {sig!r}")
            self.p.kill()
            self.p.wait()
        self.reader.join(timeout=10)
        return self.p.returncode

    def final_seqs(self):
        """What each collector made, from the status logged at shutdown:
        "collector 'NAME': PROF, stopped, seq N, ..."."""
        seqs = {}
        for m in re.finditer(r"collector '([^']+)': \S+, stopped, seq (\d+)", self.text()):
            seqs[m.group(1)] = int(m.group(2))
        return seqs


def run_quazar(args, timeout=60):
    return subprocess.run([QUAZAR] + list(args), capture_output=True, text=True,
                          timeout=timeout)


def write(path, text):
    """Write atomically (the agent may read it on SIGHUP at any time)."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def free_port_nobody_listens():
    """A TCP port bound but never listening: connecting to it is refused.
    Keep the returned socket open for as long as the port is used."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    return s, s.getsockname()[1]


def possible_dups(agent_text):
    """What the agent's sinks counted as possible duplicates at close."""
    return sum(int(n) for n in re.findall(r", (\d+) possible duplicates", agent_text))


def start_stat_top_agent(d, broker):
    """An agent with the STAT and TOP collectors to the broker's topic,
    its HTTP endpoint up."""
    cfg = d + "/agent.yaml"
    write(cfg, kafka_config(broker.addr, d + "/spool",
                            STAT.format(sink="bus") + TOP.format(sink="bus")))
    agent = Agent(cfg)
    agent.port()
    return agent


def check_seqs(reports, want, what, possible=0):
    """reports: dicts in arrival order. want: {collector: N}. Every
    collector must have exactly seq 1..N, each once, in order. A report may
    come twice only if the sinks counted it among `possible` duplicates: it
    failed after it was sent, and was tried again rather than lost."""
    by = {}
    for r in reports:
        by.setdefault(r.get("collector"), []).append(r.get("seq"))
    check_eq(sorted(by), sorted(want), f"{what}: collectors seen")
    dups_seen = 0
    for name, n in want.items():
        got = by.get(name, [])
        dups = len(got) - len(set(got))
        dups_seen += dups
        seen = set()
        got = [x for x in got if not (x in seen or seen.add(x))]  # first arrivals
        missing = sorted(set(range(1, n + 1)) - set(got))
        extra = sorted(set(got) - set(range(1, n + 1)))
        check(n > 0, f"{what}: collector {name} made no report")
        check(not missing, f"{what}: {name}: missing seqs {missing[:10]} of 1..{n}")
        check(not extra, f"{what}: {name}: seqs beyond {n}: {extra[:10]}")
        check(got == sorted(got), f"{what}: {name}: seqs out of order "
              f"(first disorder at index {next((i for i in range(1, len(got)) if got[i] < got[i-1]), -1)})")
        log(f"{what}: {name}: {len(got)} reports, seq 1..{n}, {dups} twice")
    check(dups_seen <= possible,
          f"{what}: {dups_seen} reports arrived twice; the sinks counted {possible} possible")


def check_envelope(r, host, what):
    """The fields every report carries."""
    for k in ("ts", "type", "host", "collector", "seq", "interval_start", "interval_end"):
        if not check(k in r, f"{what}: report has no '{k}': {str(r)[:200]}"):
            return False
    check_eq(r["host"], host, f"{what}: host")
    check(isinstance(r["seq"], int) and r["seq"] >= 1, f"{what}: seq {r['seq']!r}")
    check(r["interval_start"] <= r["interval_end"],
          f"{what}: interval_start {r['interval_start']} > interval_end {r['interval_end']}")
    # Wall clock in ns, within a day of now.
    check(abs(r["interval_end"] / 1e9 - time.time()) < 86400,
          f"{what}: interval_end {r['interval_end']} is not wall-clock ns")
    return True


def check_contiguous(reports, collector, what):
    """A collector that ran without a restart reports back-to-back
    intervals: each one starts where the one before ended."""
    rs = [r for r in reports if r.get("collector") == collector]
    bad = [(a["seq"], b["seq"]) for a, b in zip(rs, rs[1:])
           if b["interval_start"] != a["interval_end"]]
    check(not bad, f"{what}: {collector}: intervals not back to back at seqs {bad[:5]}")


# ---- Prometheus text exposition format 0.0.4, parsed strictly ----

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
_VALUE = r"(?:[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?Inf|NaN)"
_LABEL_VALUE = r'"(?:[^"\\\n]|\\\\|\\"|\\n)*"'
_SAMPLE = re.compile(
    rf"^({_NAME})(?:\{{((?:{_LABEL}={_LABEL_VALUE}(?:,{_LABEL}={_LABEL_VALUE})*,?)?)\}})?"
    rf" ({_VALUE})(?: (-?[0-9]+))?$")
_PAIR = re.compile(rf"({_LABEL})=({_LABEL_VALUE})")
_TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


class PromError(Exception):
    pass


def _unescape(v):
    out, i = [], 0
    v = v[1:-1]
    while i < len(v):
        if v[i] == "\\":
            out.append({"\\": "\\", '"': '"', "n": "\n"}[v[i + 1]])
            i += 2
        else:
            out.append(v[i])
            i += 1
    return "".join(out)


def parse_prometheus(text, strict=True):
    """{family: {"type", "help", "samples": [(name, {labels}, value)]}}.
    Raises PromError (and counts a failure) on anything the format does
    not allow: a bad line, TYPE after samples, a family split in two,
    a repeated series, a counter without _total, a missing final newline."""
    fams = {}
    order = []
    current = None
    seen_series = set()
    try:
        if text and not text.endswith("\n"):
            raise PromError("the page does not end with a newline")
        for n, line in enumerate(text.split("\n")[:-1], 1):
            if line == "":
                continue
            if line.startswith("#"):
                parts = line.split(" ", 3)
                if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                    name = parts[2]
                    if not re.fullmatch(_NAME, name):
                        raise PromError(f"line {n}: bad metric name {name!r}")
                    fam = fams.get(name)
                    if fam is None:
                        if name in order:
                            raise PromError(f"line {n}: family {name} split")
                        fam = fams[name] = {"type": "untyped", "help": None,
                                            "samples": [], "typed": False}
                        order.append(name)
                    elif current != name:
                        raise PromError(f"line {n}: family {name} split in two")
                    current = name
                    if parts[1] == "HELP":
                        if fam["help"] is not None:
                            raise PromError(f"line {n}: second HELP for {name}")
                        fam["help"] = parts[3] if len(parts) > 3 else ""
                        if re.search(r"\\[^\\n]", fam["help"]):
                            raise PromError(f"line {n}: bad escape in HELP")
                    else:
                        if fam["typed"] or fam["samples"]:
                            raise PromError(f"line {n}: TYPE for {name} after its samples or twice")
                        if len(parts) != 4 or parts[3] not in _TYPES:
                            raise PromError(f"line {n}: bad TYPE line {line!r}")
                        fam["type"], fam["typed"] = parts[3], True
                continue  # other comments are allowed
            m = _SAMPLE.match(line)
            if not m:
                raise PromError(f"line {n}: not a sample line: {line!r}")
            name, labels_text, value = m.group(1), m.group(2) or "", m.group(3)
            labels = {}
            for lm in _PAIR.finditer(labels_text):
                if lm.group(1) in labels:
                    raise PromError(f"line {n}: label {lm.group(1)} twice")
                labels[lm.group(1)] = _unescape(lm.group(2))
            base = name
            fam = fams.get(current) if current else None
            if fam is None or not (name == current or (fam["type"] in ("histogram", "summary") and
                                   name in (current + "_sum", current + "_count", current + "_bucket"))):
                if strict:
                    raise PromError(f"line {n}: sample {name} outside its family (current: {current})")
                fam = fams.setdefault(base, {"type": "untyped", "help": None,
                                             "samples": [], "typed": False})
            key = (name, tuple(sorted(labels.items())))
            if key in seen_series:
                raise PromError(f"line {n}: series {name}{labels} repeated")
            seen_series.add(key)
            v = float(value.replace("Inf", "inf"))
            if fam["type"] == "counter" and v < 0:
                raise PromError(f"line {n}: counter {name} is negative")
            fam["samples"].append((name, labels, v))
        for name in order:
            if fams[name]["type"] == "counter" and not name.endswith("_total"):
                raise PromError(f"counter {name} does not end in _total")
            if fams[name]["help"] is None or not fams[name]["typed"]:
                raise PromError(f"family {name} lacks HELP or TYPE")
    except PromError as e:
        check(False, f"/metrics is not Prometheus text: {e}")
        raise
    return fams


def kafka_config(broker_addr, spool_dir, collectors, host="e2e", http=True,
                 message_timeout="5s", extra_global=""):
    """A config with one Kafka sink 'bus' and the given collectors (YAML
    list items, already indented two spaces), each sent to 'bus'. Never
    the machine's unix socket (/run/quazar/agent.sock): several agents run
    at once, a test's and other people's."""
    return f"""global:
  host: {host}
  labels: {{suite: e2e}}
  http_listen: {"127.0.0.1:0" if http else "off"}
  http_socket: "off"
  spool_dir: {spool_dir}
{extra_global}sinks:
  bus:
    type: kafka
    brokers: {broker_addr}
    topic: {TOPIC}
    message_timeout: {message_timeout}
    probe_timeout: 5s
    properties:
      linger.ms: "5"
collectors:
{collectors}"""


STAT = """  - name: sw
    profiler: stat
    events: [cpu-clock, page-faults, context-switches]
    interval: 200ms
    sink: {sink}
"""

TOP = """  - name: runtime
    profiler: top
    events: ["sched:sched_stat_runtime//top-by=runtime/"]
    interval: 300ms
    sink: {sink}
"""


def require_tools():
    for what, path in (("quazar", QUAZAR), ("mock_broker", MOCK_BROKER)):
        if not os.access(path, os.X_OK):
            check(False, f"{what} not found at {path}")
            done()
    if not shutil.which(KCAT) and not os.access(KCAT, os.X_OK):
        check(False, "kcat is missing: a setup bug (apt-get install kcat)")
        done()
