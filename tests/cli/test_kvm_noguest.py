#!/usr/bin/env python3
"""quazar kvm and kvm-exit where no real guest is needed, so on every
machine: ENOTTY fakes (KVM's create calls on /dev/null) make nothing; a
fake /proc tree (--proc) holding QEMU, Firecracker and Cloud Hypervisor
VMs is reported as present with names, ids, vCPUs and ages, by the agent
at its start and again at each reload; bad input is refused with a
message naming it and the fix."""
import os
import signal
import subprocess
import sys
import tempfile
import time
from qzt import *

require_root()

# 1. The fakes: no vm record, nothing created.
r = run(["kvm", "--json", "--", prog("tiny_vm"), "--fake", "--life", "300"])
check_eq(r.returncode, 0, f"--fake under quazar kvm (stderr: {r.stderr[-400:]})")
check("fake creates failed with ENOTTY" in r.stdout, "the fake calls failed with ENOTTY")
recs = json_lines("\n".join(l for l in r.stdout.splitlines() if l.startswith("{")))
check_eq([x for x in recs if x.get("type") == "vm"], [], "no vm record for ENOTTY fakes")
vms = [x for x in recs if x.get("type") == "vms"]
check(vms and vms[-1]["created"] == 0 and vms[-1]["unverified"] == 0 and vms[-1]["vms"] == [],
      f"nothing created or pending: {vms[-1:]}")

# 2. A fake /proc: pids no real process has, so only the tree speaks.
TCK = os.sysconf("SC_CLK_TCK")
with open("/proc/uptime") as f:
    uptime = float(f.read().split()[0])
tree = {
    # pid: (comm, argv, seconds up (under the machine's uptime), fds)
    4000001: ("qemu-system-x86", ["qemu-system-x86_64", "-enable-kvm", "-name",
                                  "guest=web-1,debug-threads=on", "-uuid", "5a9c3e1e"],
              uptime * 0.8, {3: "/dev/kvm", 11: "anon_inode:kvm-vm", 12: "anon_inode:kvm-vcpu:0",
                     13: "anon_inode:kvm-vcpu:1", 14: "anon_inode:kvm-vcpu:2"}),
    4000002: ("firecracker", ["firecracker", "--id", "fc-7", "--api-sock", "/run/fc-7.sock"],
              uptime * 0.5, {9: "anon_inode:kvm-vm", 10: "anon_inode:kvm-vcpu:0"}),
    4000003: ("cloud-hyperviso", ["cloud-hypervisor", "--api-socket", "path=/run/ch/db-2.sock"],
              uptime * 0.2, {20: "anon_inode:kvm-vm"}),
    4000004: ("bash", ["bash"], uptime * 0.1, {3: "/dev/kvm"}),
}
want = {4000001: ("qemu", "web-1", "5a9c3e1e", 3, uptime * 0.8),
        4000002: ("firecracker", "fc-7", "fc-7", 1, uptime * 0.5),
        4000003: ("cloud-hypervisor", "db-2", "/run/ch/db-2.sock", 0, uptime * 0.2)}
with tempfile.TemporaryDirectory() as root:
    for pid, (comm, argv, up, fds) in tree.items():
        d = os.path.join(root, str(pid))
        os.makedirs(os.path.join(d, "fd"))
        with open(os.path.join(d, "comm"), "w") as f:
            f.write(comm + "\n")
        with open(os.path.join(d, "cmdline"), "wb") as f:
            f.write(b"".join(a.encode() + b"\0" for a in argv))
        start = int((uptime - up) * TCK)
        with open(os.path.join(d, "stat"), "w") as f:
            f.write(f"{pid} ({comm}) S 1 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 {start} 0 0\n")
        for fd, target in fds.items():
            os.symlink(target, os.path.join(d, "fd", str(fd)))
    q = subprocess.Popen([QUAZAR, "kvm", "--json", "--no-stats", "--proc", root, "-i", "300"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    # One VM ends while quazar watches: /proc no longer shows it.
    os.unlink(os.path.join(root, "4000003", "fd", "20"))
    time.sleep(0.8)
    q.terminate()
    out, err = q.communicate(timeout=30)
    check_eq(q.returncode, 0, f"quazar kvm --proc (stderr: {err[-400:]})")
    recs = json_lines(out)
    for pid, (vmm, name, vid, vcpus, up) in want.items():
        vm = [x for x in recs if x.get("type") == "vm" and x["pid"] == pid]
        check(vm and vm[0]["event"] == "present" and vm[0]["discovery"] == "start",
              f"pid {pid} present at start: {vm[:1]}")
        if not vm:
            continue
        check_eq((vm[0]["vmm"], vm[0]["name"], vm[0]["id"], vm[0]["vcpus"]),
                 (vmm, name, vid, vcpus), f"pid {pid}: identity and vCPUs")
        check(abs(vm[0]["age_ns"] / 1e9 - up) < 3, f"pid {pid}: age {vm[0]['age_ns']} ~ {up} s")
    ends = [x for x in recs if x.get("type") == "vm" and x["event"] == "destroy"]
    check_eq([(x["pid"], x["cause"]) for x in ends], [(4000003, "gone")],
             "the VM /proc stopped showing is destroyed, cause gone")
    check(not [x for x in recs if x.get("pid") == 4000004], "/dev/kvm open is not a VM")
    vms = [x for x in recs if x.get("type") == "vms"]
    check(vms and vms[-1]["alive"] == 2 and vms[-1]["present"] == 3, f"summary: {vms[-1:]}")

    # The agent: present at its start and again at each reload (SIGHUP), the
    # collector unchanged and running on, so the topic alone rebuilds the inventory.
    out_path = os.path.join(root, "..", f"kvm-agent-{os.getpid()}.jsonl")
    cfg = os.path.join(root, "..", f"kvm-agent-{os.getpid()}.yaml")
    with open(cfg, "w") as f:
        f.write(f"""global:
  host: h
  http_listen: "off"
  http_socket: "off"
sinks:
  file:
    type: file
    path: {out_path}
collectors:
  - name: vms
    profiler: kvm
    options: [--proc, "{root}", --no-stats]
    interval: 200ms
    sink: file
""")
    agent = subprocess.Popen([QUAZAR, "agent", "-c", cfg], stderr=subprocess.PIPE, text=True)
    time.sleep(1.2)
    agent.send_signal(signal.SIGHUP)
    time.sleep(0.8)
    agent.send_signal(signal.SIGHUP)
    time.sleep(0.8)
    agent.send_signal(signal.SIGTERM)
    _, err = agent.communicate(timeout=30)
    check_eq(agent.returncode, 0, f"agent exit status (stderr: {err[-600:]})")
    with open(out_path) as f:
        recs = json_lines(f.read())
    os.unlink(out_path)
    os.unlink(cfg)
    for pid in (4000001, 4000002):
        seen = [x.get("discovery") for x in recs if x.get("type") == "vm" and x["pid"] == pid]
        check_eq(seen, ["start", "reload", "reload"], f"agent: pid {pid} present at start and each reload")
    check("reloaded" in err and "collector 'vms' stops" not in err,
          f"the collector ran on through the reloads: {err[-400:]}")

# 3. Bad input: named, with the fix.
r = run(["kvm", "--proc", "/nonexistent/proc", "-N", "1"])
check(r.returncode != 0 and "/nonexistent/proc" in r.stderr and "--proc" in r.stderr,
      f"an unreadable --proc is named, with the fix: {r.stderr!r}")
r = run(["kvm", "-e", "sched:sched_switch", "-N", "1"])
check(r.returncode != 0 and "no -e" in r.stderr and "quazar trace" in r.stderr,
      f"kvm refuses -e and says what to use: {r.stderr!r}")
r = run(["kvm-exit", "--than", "fast"])
check(r.returncode == 2 and "--than" in r.stderr and "fast" in r.stderr,
      f"a bad --than is named: {r.stderr!r}")
r = run(["kvm-exit", "-e", "kvm:kvm_exit"])
check(r.returncode != 0 and "no -e" in r.stderr, f"kvm-exit refuses -e: {r.stderr!r}")
r = run(["top", "--than", "1ms", "-e", "sched:sched_switch"])
check(r.returncode == 2 and "kvm-exit" in r.stderr, f"--than names who reads it: {r.stderr!r}")
done()
