#!/usr/bin/env python3
"""What a real guest does, counted exactly. tiny_vm's vCPUs each run OUTS
`out` and HLTS `hlt`; with no in-kernel irqchip each one exits to user
space, so nothing (halt polling included) absorbs one. Parts:

  user     `quazar kvm`: user-space exits by reason, IO and HLT exactly;
           guest time from the vCPU threads
  reason   `quazar kvm`: kvm_exit reasons, IO_INSTRUCTION/IOIO and HLT
           exactly (skipped where the host's KVM raises no kvm_exit)
  latency  `quazar kvm-exit`: the table has both reasons, each exit paired
           with its entry; --than prints each with its guest RIP
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from vmt import *  # noqa: E402,F403

require_kvm()
PART = sys.argv[1] if len(sys.argv) > 1 else "user"
VCPUS, OUTS, HLTS = 2, 3000, 25
IO_NAMES = {"IO_INSTRUCTION", "IOIO"}
# AMD CPUs with the idle-HLT intercept report a hlt with no interrupt pending so.
HLT_NAMES = {"HLT", "IDLE_HLT"}


def sum_reasons(entries, key):
    total = {}
    for v in entries:
        for r in v[key]:
            total[r["reason"]] = total.get(r["reason"], 0) + r["count"]
    return total


def run_guest(profiler, *args):
    r = run([profiler, "--json", *args, "--", *tiny_vm_args(vcpus=VCPUS, outs=OUTS, hlts=HLTS,
                                                            life_ms=300)])
    check_eq(r.returncode, 0, f"quazar {profiler} exit status (stderr: {r.stderr[-500:]})")
    pid = ready_pid(r.stdout)
    check(pid is not None, f"the guest ran: {r.stdout[-300:]}")
    return pid, json_of(r.stdout), r.stderr


def no_kvm_exit(why):
    print(f"skipped: this host's KVM ({kvm_module()}) raises no kvm:kvm_exit: {why}")
    sys.exit(SKIP)


if PART == "user":
    pid, recs, _ = run_guest("kvm")
    entries = vms_entries(recs, pid)
    check(entries, "the guest has vms entries")
    user = sum_reasons(entries, "user_exit_reasons")
    check_eq(user.get("IO"), VCPUS * OUTS, f"user-space IO exits ({user})")
    check_eq(user.get("HLT"), VCPUS * HLTS, f"user-space HLT exits ({user})")
    check_eq(sum(v["user_exits"] for v in entries), sum(user.values()), "user_exits sums them")
    check(all(v["name"] == "tiny-test" for v in entries), "entries carry the name")
    check(sum(v["guest_ns"] for v in entries) > 0, "guest time from the vCPU threads")
    check(max(v["vcpu_threads"] for v in entries) == VCPUS, "both vCPU threads seen")
elif PART == "reason":
    pid, recs, _ = run_guest("kvm")
    entries = vms_entries(recs, pid)
    exits = sum_reasons(entries, "exit_reasons")
    if not exits:
        no_kvm_exit("exits by reason cannot be counted here")
    io = {k: v for k, v in exits.items() if k in IO_NAMES}
    check_eq(sum(io.values()), VCPUS * OUTS, f"IO exits by reason ({exits})")
    check_eq(sum(v for k, v in exits.items() if k in HLT_NAMES), VCPUS * HLTS,
             f"HLT exits by reason ({exits})")
    isas = {r["isa"] for v in entries for r in v["exit_reasons"]}
    check(isas <= {"vmx", "svm"} and len(isas) == 1, f"one ISA, decoded: {isas}")
else:
    pid, recs, err = run_guest("kvm-exit", "--than", "1ns")
    tables = [r for r in recs if r.get("type") == "kvm-exit"]
    rows = {}
    for t in tables:
        for row in t["reasons"]:
            rows.setdefault(row["reason"], []).append(row)
    if not rows:
        no_kvm_exit("no exit latency to measure")
    io = sum(r["count"] for name in IO_NAMES for r in rows.get(name, []))
    # Each exit pairs with the next entry; the last hlt of a vCPU has none.
    check_eq(io, VCPUS * OUTS, f"IO exits in the table ({list(rows)})")
    check_eq(sum(r["count"] for name in HLT_NAMES for r in rows.get(name, [])),
             VCPUS * (HLTS - 1), "HLT exits")
    for name, rs in rows.items():
        for r in rs:
            check(r["min_ns"] <= r["p50_ns"] <= r["p95_ns"] <= r["p99_ns"] <= r["max_ns"],
                  f"{name}: min <= p50 <= p95 <= p99 <= max: {r}")
    slow = [r for r in recs if r.get("type") == "kvm-exit-slow" and r["pid"] == pid]
    slow_io = [r for r in slow if r["reason"] in IO_NAMES]
    check_eq(len(slow_io), VCPUS * OUTS, "--than 1ns: every IO exit printed")
    check(all(0x1000 <= int(r["rip"], 16) < 0x1020 for r in slow_io),
          f"guest RIPs inside tiny_vm's code: {slow_io[:1]}")
done()
