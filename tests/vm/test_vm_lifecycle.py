#!/usr/bin/env python3
"""A real KVM guest (tiny_vm) is seen being born, growing vCPUs and ending:
by `quazar kvm` on the command it runs, and by the agent system-wide."""
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
from qzt import *  # noqa: E402,F403

require_root()
if not os.access("/dev/kvm", os.R_OK | os.W_OK):
    print("skipped: no /dev/kvm")
    sys.exit(SKIP)

VCPUS, LIFE_MS = 3, 200


def check_lifecycle(records, pid, where):
    vm = [r for r in records if r.get("type") == "vm" and r.get("pid") == pid]
    events = [r["event"] for r in vm]
    check_eq(events, ["create"] + ["vcpu"] * VCPUS + ["destroy"], f"{where}: lifecycle of pid {pid}")
    if len(vm) == VCPUS + 2:
        check_eq(vm[-1]["vcpus"], VCPUS, f"{where}: vcpus at destroy")
        check(vm[-1]["age_ns"] >= LIFE_MS * 1e6, f"{where}: lived {vm[-1]['age_ns']} ns >= {LIFE_MS} ms")
        check(all(r["comm"] == "tiny_vm" for r in vm), f"{where}: comm")
        ts = [r["ts"] for r in vm]
        check(ts == sorted(ts), f"{where}: in time order")


# 1. The command quazar runs.
r = run(["kvm", "--json", "--", prog("tiny_vm"), str(VCPUS), str(LIFE_MS)])
check_eq(r.returncode, 0, f"quazar kvm exit status (stderr: {r.stderr})")
check("guest said 42" in r.stdout, "the guest ran")
recs = json_lines("\n".join(l for l in r.stdout.splitlines() if l.startswith("{")))
pids = {x["pid"] for x in recs if x.get("type") == "vm"}
check_eq(len(pids), 1, "one VM process")
if pids:
    check_lifecycle(recs, pids.pop(), "quazar kvm")
summary = [x for x in recs if x.get("type") == "vms"]
check(summary and summary[-1]["created"] == 1 and summary[-1]["destroyed"] == 1,
      f"final summary: {summary[-1:]}")

# 2. The agent, system-wide, with a file sink.
with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "reports.jsonl")
    cfg = os.path.join(tmp, "agent.yaml")
    with open(cfg, "w") as f:
        f.write(f"""global:
  host: vmhost
  http_listen: "off"
sinks:
  file:
    type: file
    path: {out}
collectors:
  - name: vms
    profiler: kvm
    interval: 500ms
    sink: file
""")
    agent = subprocess.Popen([QUAZAR, "agent", "-c", cfg], stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    guest = subprocess.run([prog("tiny_vm"), str(VCPUS), str(LIFE_MS)], capture_output=True, text=True)
    check_eq(guest.returncode, 0, "the guest ran under the agent")
    time.sleep(0.6)
    agent.send_signal(signal.SIGTERM)
    _, err = agent.communicate(timeout=30)
    check_eq(agent.returncode, 0, f"agent exit status (stderr: {err[-800:]})")
    with open(out) as f:
        recs = json_lines(f.read())
    # The guest's pid is not known in advance: find it by its create record.
    creates = [x for x in recs if x.get("event") == "create" and x.get("comm") == "tiny_vm"]
    check_eq(len(creates), 1, "the agent saw one tiny_vm VM created")
    if creates:
        check_lifecycle(recs, creates[0]["pid"], "agent")
    check(all(x["host"] == "vmhost" and x["collector"] == "vms" for x in recs), "envelope")
    seqs = [x["seq"] for x in recs]
    check_eq(seqs, list(range(1, len(seqs) + 1)), "seq rises by one")
done()
