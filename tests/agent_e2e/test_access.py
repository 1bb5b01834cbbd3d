"""Who may read /data, which holds system-wide reports of an agent run as root.

- The endpoint listens on a unix socket of mode 0600 (global.http_socket).
- TCP on an address that is not loopback needs global.http_token_file; then
  /data and /metrics want "Authorization: Bearer TOKEN", on the socket and
  over TCP, and /healthz does not.
- Kernel addresses are zeroed in /data (the file sink keeps them), unless
  global.http_kernel_addrs is true.
"""
import http.client
import json
import os
import re
import socket
import stat

from agentlib import (Agent, check, check_eq, done, log, require_root, run_quazar,
                      wait_until, workdir, write)

require_root()
d = workdir("access")
sock = d + "/run/agent.sock"
token_file = d + "/token"
TOKEN = "0123456789abcdef-token"
with open(token_file, "w") as f:
    f.write(TOKEN + "\n")
os.chmod(token_file, 0o600)


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=10)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def get(conn, path, token=None):
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"} if token else {})
        r = conn.getresponse()
        return r.status, r.read().decode()
    finally:
        conn.close()


def tcp(agent):
    return http.client.HTTPConnection("127.0.0.1", agent.port(), timeout=10)


def config(extra):
    return f"""global:
  spool_dir: {d}/spool
  http_socket: {sock}
{extra}sinks:
  file:
    type: file
    path: {d}/reports.jsonl
collectors:
  - name: sw
    profiler: trace
    events: ["sched:sched_switch//stack/"]
    options: ["-C", "0"]
    interval: 500ms
    sink: file
"""


cfg = d + "/agent.yaml"
# A non-loopback address without a token is refused before anything runs.
write(cfg, config("  http_listen: 0.0.0.0:0\n"))
r = run_quazar(["agent", "-c", cfg, "--check"])
check_eq(r.returncode, 2, "--check refuses 0.0.0.0 without a token")
check("not a loopback address" in r.stderr and "http_token_file" in r.stderr,
      f"the error says why and what to set: {r.stderr.strip()}")

write(cfg, config(f"  http_listen: 0.0.0.0:0\n  http_token_file: {token_file}\n"))
agent = Agent(cfg)
agent.port()
check(wait_until(lambda: os.path.exists(sock), 10), "the unix socket exists")
st = os.stat(sock)
check(stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600,
      f"the socket is mode 0600: {oct(st.st_mode)}")
check_eq(stat.S_IMODE(os.stat(d + "/run").st_mode), 0o700, "its folder is made 0700")
for name, conn in (("tcp", lambda: tcp(agent)), ("unix", lambda: UnixConnection(sock))):
    check_eq(get(conn(), "/healthz")[0], 200, f"{name}: /healthz needs no token")
    for page in ("/data", "/metrics"):
        check_eq(get(conn(), page)[0], 401, f"{name}: {page} without a token")
        check_eq(get(conn(), page, "wrong")[0], 401, f"{name}: {page} with a wrong token")
        check_eq(get(conn(), page, TOKEN)[0], 200, f"{name}: {page} with the token")

# Kernel addresses: zeroed in /data, kept in the sink.
check(wait_until(lambda: json.loads(get(tcp(agent), "/data", TOKEN)[1]).get("sw"), 20),
      "a report in /data")
status, body = get(tcp(agent), "/data", TOKEN)
latest = json.loads(body)["sw"]
frames = latest.get("stack") or []
check(frames, f"the report has a stack: {body[:300]}")
check(all(f.get("addr") == "0x0" for f in frames if f.get("module") == "[kernel]"),
      f"kernel frames' addr zeroed: {frames[:3]}")
check(not re.search(r"0x[89a-f][0-9a-f]{15}", body), "no kernel address left in /data")
with open(d + "/reports.jsonl") as f:
    text = f.read()
check(re.search(r'"addr":"0xffff[0-9a-f]{12}"', text), "the file sink keeps them")
check_eq(agent.stop(), 0, "exit status")
check(not os.path.exists(sock), "the socket is removed at exit")

# Shown as they are when the config says so.
write(cfg, config("  http_listen: 127.0.0.1:0\n  http_kernel_addrs: true\n"))
agent = Agent(cfg)
check(wait_until(lambda: json.loads(get(tcp(agent), "/data")[1]).get("sw"), 20),
      "a report in /data, no token asked on loopback")
body = get(tcp(agent), "/data")[1]
check(re.search(r'"addr":"0xffff[0-9a-f]{12}"', body), "http_kernel_addrs: true shows them")
check_eq(agent.stop(), 0, "exit status")
log("access checks done")
done()
