#!/usr/bin/env python3
"""A real KVM guest (tiny_vm) is seen being born, growing vCPUs and ending,
with its pid and its QEMU-style name: by `quazar kvm` on the command it
runs, when it closes its VM and runs on, and by the agent system-wide. A
fake create (ENOTTY) is nothing; a guest started first is `present`, at the
agent's start and again at its reload."""
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from vmt import *  # noqa: E402,F403

require_kvm()
VCPUS, LIFE_MS = 2, 300


def check_lifecycle(recs, pid, where, cause="exit"):
    vm = vm_records(recs, pid)
    events = [r["event"] for r in vm]
    check_eq(events, ["create"] + ["vcpu"] * VCPUS + ["destroy"], f"{where}: lifecycle of pid {pid}")
    if len(vm) != VCPUS + 2:
        return vm
    check(all(r["name"] == "tiny-test" and r["id"] == UUID and r["vmm"] == "qemu" for r in vm),
          f"{where}: name and id from -name/-uuid: {vm[0]}")
    check(all(r["comm"] == "tiny_vm" for r in vm), f"{where}: comm")
    check_eq(sorted(r["vcpu_id"] for r in vm[1:-1]), list(range(VCPUS)), f"{where}: vcpu ids")
    check_eq(vm[-1]["vcpus"], VCPUS, f"{where}: vcpus at destroy")
    check_eq(vm[-1]["cause"], cause, f"{where}: cause of the end")
    check(vm[-1]["age_ns"] >= LIFE_MS * 1e6, f"{where}: lived {vm[-1]['age_ns']} ns >= {LIFE_MS} ms")
    ts = [r["ts"] for r in vm]
    check(ts == sorted(ts), f"{where}: in time order")
    return vm


# 1. The command quazar runs: create, vcpu x2, destroy at exit.
r = run(["kvm", "--json", "--", *tiny_vm_args(life_ms=LIFE_MS)])
check_eq(r.returncode, 0, f"quazar kvm exit status (stderr: {r.stderr})")
pid = ready_pid(r.stdout)
check(pid is not None, f"the guest ran: {r.stdout[-300:]}")
recs = json_of(r.stdout)
check_eq({x["pid"] for x in recs if x.get("type") == "vm"}, {pid}, "records only for the guest's pid")
check_lifecycle(recs, pid, "quazar kvm")
summary = [x for x in recs if x.get("type") == "vms"]
check(summary and summary[-1]["created"] == 1 and summary[-1]["destroyed"] == 1
      and summary[-1]["unverified"] == 0, f"final summary: {summary[-1:]}")

# 2. It closes its VM and runs on: destroy at the close, not at the exit.
r = run(["kvm", "--json", "--", *tiny_vm_args(life_ms=LIFE_MS, extra=["--close-vm"])])
check_eq(r.returncode, 0, f"--close-vm: exit status (stderr: {r.stderr})")
pid = ready_pid(r.stdout)
closed = [int(l.split()[-1]) for l in r.stdout.splitlines() if l.startswith("closed the VM at")]
vm = check_lifecycle(json_of(r.stdout), pid, "--close-vm", cause="close")
if closed and len(vm) == VCPUS + 2:
    # The close happened before tiny_vm printed its time, LIFE_MS before it exits.
    check(vm[-1]["ts"] <= closed[0], f"destroy at the close: {vm[-1]['ts']} <= {closed[0]}")
    check(closed[0] - vm[-1]["ts"] < 50e6, "destroy within 50 ms of the close")

# 3. KVM_CREATE_VM/KVM_CREATE_VCPU on /dev/null (ENOTTY): nothing at all.
r = run(["kvm", "--json", "--", prog("tiny_vm"), "--fake", "--life", "300"])
check_eq(r.returncode, 0, f"--fake: exit status (stderr: {r.stderr})")
recs = json_of(r.stdout)
check_eq([x for x in recs if x.get("type") == "vm"], [], "no vm record for a fake")
summary = [x for x in recs if x.get("type") == "vms"]
check(summary and summary[-1]["created"] == 0 and summary[-1]["vms"] == [],
      f"fake: summary {summary[-1:]}")

# 4. A guest started before quazar: present, with its vCPUs and age, once.
guest, gpid = start_guest(tiny_vm_args(life_ms=20000))
started = time.monotonic()
time.sleep(0.5)
q, out, err = run_system_wide(["kvm", "--json", "-i", "400"], 1.0)
check_eq(q.returncode, 0, f"system-wide quazar kvm (stderr: {err[-500:]})")
vm = vm_records(json_of(out), gpid)
check_eq([x["event"] for x in vm], ["present"], "the running guest is present, once")
if vm:
    check_eq(vm[0]["discovery"], "start", "found at start")
    check_eq(vm[0]["vcpus"], VCPUS, "present with its vCPUs")
    check_eq(vm[0]["name"], "tiny-test", "present with its name")
    age_s = vm[0]["age_ns"] / 1e9
    check(0.4 <= age_s <= time.monotonic() - started + 0.5, f"age from the process start: {age_s} s")

# 5. The agent: the running guest present at start and at reload; a new
#    guest created, with vCPUs, and destroyed, once each.
with tempfile.TemporaryDirectory() as tmp:
    out_path = os.path.join(tmp, "reports.jsonl")
    cfg = os.path.join(tmp, "agent.yaml")
    with open(cfg, "w") as f:
        f.write(f"""global:
  host: vmhost
  http_listen: "off"
  http_socket: "off"
sinks:
  file:
    type: file
    path: {out_path}
collectors:
  - name: vms
    profiler: kvm
    interval: 500ms
    sink: file
""")
    agent = subprocess.Popen([QUAZAR, "agent", "-c", cfg], stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    g2 = subprocess.run(tiny_vm_args(life_ms=LIFE_MS), capture_output=True, text=True)
    check_eq(g2.returncode, 0, "the guest ran under the agent")
    new_pid = ready_pid(g2.stdout)
    time.sleep(0.6)
    agent.send_signal(signal.SIGHUP)
    time.sleep(1.0)
    agent.send_signal(signal.SIGTERM)
    _, err = agent.communicate(timeout=30)
    check_eq(agent.returncode, 0, f"agent exit status (stderr: {err[-800:]})")
    with open(out_path) as f:
        recs = json_lines(f.read())
    check_lifecycle(recs, new_pid, "agent")
    old = vm_records(recs, gpid)
    check_eq([(x["event"], x.get("discovery")) for x in old],
             [("present", "start"), ("present", "reload")],
             "the older guest: present at the agent's start and at its reload")
    check(all(x["host"] == "vmhost" and x["collector"] == "vms" for x in recs), "envelope")
    seqs = [x["seq"] for x in recs]
    check_eq(seqs, list(range(1, len(seqs) + 1)), "seq rises by one")
guest.kill()
guest.wait()
done()
