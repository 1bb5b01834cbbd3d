"""Helpers for the fleet tests: a ClickHouse server of their own, and
`quazar ingest` processes.

ClickHouse (Debian's clickhouse-server) runs as a plain process with a
minimal config written into a temporary directory: its own data path and
free ports on 127.0.0.1. It is stopped by pid. The Kafka side is
agentlib's (the mock broker, kcat, agents).
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from agentlib import (QUAZAR, Agent, check, log, wait_until, write)

CLICKHOUSE = shutil.which("clickhouse-server") or "/usr/sbin/clickhouse-server"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def require_clickhouse():
    """A missing ClickHouse is a setup bug (scripts/install-deps.sh)."""
    if not os.access(CLICKHOUSE, os.X_OK) and not shutil.which("clickhouse"):
        check(False, "clickhouse-server is missing: a setup bug "
              "(apt-get install clickhouse-server clickhouse-client)")
        return False
    return True


CONFIG = """<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>{d}/server.log</log>
    <errorlog>{d}/server.err.log</errorlog><size>10M</size><count>1</count></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>{http}</http_port>
  <tcp_port>{tcp}</tcp_port>
  <path>{d}/data/</path>
  <tmp_path>{d}/tmp/</tmp_path>
  <user_files_path>{d}/user_files/</user_files_path>
  <format_schema_path>{d}/format_schemas/</format_schema_path>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <max_concurrent_queries>50</max_concurrent_queries>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mlock_executable>false</mlock_executable>
  {extra}
</yandex>
"""

USERS = """<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users><default><password></password>
    <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries>
    <errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows>
    <execution_time>0</execution_time></interval></default></quotas>
</yandex>
"""


class ClickHouse:
    """clickhouse-server in directory d, on free ports; stop() by pid."""

    def __init__(self, d, extra_config=""):
        self.d = d + "/clickhouse"
        os.makedirs(self.d, exist_ok=True)
        self.http_port, self.tcp_port = free_port(), free_port()
        with open(self.d + "/config.xml", "w") as f:
            f.write(CONFIG.format(d=self.d, http=self.http_port, tcp=self.tcp_port,
                                  extra=extra_config.replace("{tcp}", str(self.tcp_port))))
        with open(self.d + "/users.xml", "w") as f:
            f.write(USERS)
        self.p = None
        self.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.http_port}/"

    def start(self):
        self.p = subprocess.Popen([CLICKHOUSE, "--config-file=" + self.d + "/config.xml"],
                                  stdout=open(self.d + "/stdout", "a"),
                                  stderr=subprocess.STDOUT, cwd=self.d)
        if not wait_until(self.ping, 30, 0.1):
            raise RuntimeError("ClickHouse did not answer within 30 s: " +
                               open(self.d + "/stdout").read()[-2000:])

    def ping(self):
        try:
            with urllib.request.urlopen(self.url + "ping", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def stop(self):
        """SIGTERM by pid, SIGKILL after 20 s."""
        if self.p and self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.p = None

    def query(self, sql, database="quazar"):
        """The answer's text; raises RuntimeError with ClickHouse's message."""
        url = self.url + "?" + urllib.parse.urlencode(
            {"database": database, "output_format_json_quote_64bit_integers": "0"})
        req = urllib.request.Request(url, data=sql.encode())
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.read().decode()
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"{sql[:200]}: {e.read().decode()[:500]}")

    def rows(self, sql, database="quazar"):
        """JSONEachRow: a list of dicts."""
        text = self.query(sql + " FORMAT JSONEachRow", database)
        return [json.loads(line) for line in text.splitlines() if line]

    def scalar(self, sql, database="quazar"):
        return self.query(sql, database).strip()


def ingest_config(broker_addr, ch_url, group="quazar-ingest", database="quazar",
                  max_age="300ms", ttl="off", extra=""):
    return f"""kafka:
  brokers: {broker_addr}
  topic: quazar
  group: {group}
  session_timeout: 6s
  properties:
    topic.metadata.refresh.interval.ms: "1000"
clickhouse:
  url: {ch_url}
  database: {database}
  timeout: 5s
  ttl: {ttl}
batch:
  max_rows: 20000
  max_age: {max_age}
retry:
  backoff: 100ms
  max_backoff: 1s
ingest:
  http_listen: 127.0.0.1:0
{extra}"""


class Ingest(Agent):
    """`quazar ingest -c FILE`: the agent helper's process and log handling."""

    def __init__(self, config_path, name="ingest"):  # pylint: disable=super-init-not-called
        self.name = name
        self.lines = []
        self.lock = threading.Lock()
        self.p = subprocess.Popen([QUAZAR, "ingest", "-c", config_path],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  text=True,
                                  preexec_fn=lambda: signal.signal(signal.SIGINT,
                                                                   signal.SIG_DFL))
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self._port = None

    def metric(self, family, **labels):
        fams = self.metrics()
        total = None
        for _, ls, v in fams.get(family, {}).get("samples", []):
            if all(ls.get(k) == want for k, want in labels.items()):
                total = (total or 0) + v
        return total


def init_schema(cfg_path):
    out = subprocess.run([QUAZAR, "ingest", "-c", cfg_path, "--init"],
                         capture_output=True, text=True, timeout=60)
    check(out.returncode == 0, f"ingest --init: {out.returncode} {out.stderr[-500:]}")
    return out


def fleet(args, timeout=60):
    return subprocess.run([QUAZAR, "fleet"] + list(args), capture_output=True,
                          text=True, timeout=timeout)


def write_config(path, text):
    write(path, text)
    return path
