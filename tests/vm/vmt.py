"""Helpers for the tests with a real KVM guest (tests/progs/tiny_vm)."""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
from qzt import *  # noqa: E402,F403

UUID = "7e1d0c4a-5b2f-4e8a-9c3d-1f2e3d4c5b6a"


def require_kvm():
    require_root()
    if not os.path.exists("/dev/kvm"):
        print("skipped: this host has no /dev/kvm (no KVM for a real guest)")
        sys.exit(SKIP)
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        print("skipped: /dev/kvm is not usable by this user")
        sys.exit(SKIP)


def kvm_module():
    """The KVM vendor module loaded: kvm_intel, kvm_amd, kvm_pvm..."""
    mods = [m for m in os.listdir("/sys/module") if m.startswith("kvm_")]
    for m in ("kvm_intel", "kvm_amd"):
        if m in mods:
            return m
    return mods[0] if mods else "none"


def tiny_vm_args(name="tiny-test", vcpus=2, outs=100, hlts=10, life_ms=300, extra=()):
    return [prog("tiny_vm"), "--vcpus", str(vcpus), "--outs", str(outs), "--hlts", str(hlts),
            "--life", str(life_ms), *extra, "-name", f"guest={name},debug-threads=on",
            "-uuid", UUID]


def ready_pid(text):
    m = re.search(r"ready: pid (\d+)", text)
    return int(m.group(1)) if m else None


def vm_records(records, pid):
    return [r for r in records if r.get("type") == "vm" and r.get("pid") == pid]


def start_guest(args):
    """Start tiny_vm; return (Popen, pid) once its guest has run."""
    g = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = g.stdout.readline()
    pid = ready_pid(line)
    if pid is None:
        g.kill()
        out, err = g.communicate()
        check(False, f"tiny_vm did not start: {line!r} {err!r}")
        done()
    return g, pid


def json_of(stdout):
    return json_lines("\n".join(l for l in stdout.splitlines() if l.startswith("{")))


def vms_entries(records, pid):
    """Every per-VM entry of the `vms` reports for pid."""
    return [v for r in records if r.get("type") == "vms" for v in r["vms"] if v["pid"] == pid]


def run_system_wide(args, seconds, during=None):
    """Run quazar system-wide for `seconds`, calling during() meanwhile."""
    q = subprocess.Popen([QUAZAR] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    time.sleep(1.0)
    if during:
        during()
    time.sleep(seconds)
    q.terminate()
    out, err = q.communicate(timeout=30)
    return q, out, err
