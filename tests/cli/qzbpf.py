"""Helpers for the BPF tests: where the objects are, gated spinners with
their own comms, and several quazar instances over the same load."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from qzt import QUAZAR, SKIP, check, json_lines, prog, require_root

OBJECTS = os.environ.get("BPF_OBJECTS", "build/tests/bpf")
EXAMPLES = os.environ.get("BPF_EXAMPLES", "build/examples/bpf")
MISSING = os.environ.get("BPF_MISSING", "")
TMP = tempfile.mkdtemp(prefix="qz-bpf-")


def require_bpf():
    """Root, and quazar's BPF programs built. A machine without kernel BTF
    truly lacks the capability (skip); a build without clang, bpftool or
    libbpf is a setup bug (fail)."""
    require_root()
    if not MISSING:
        return
    if "BTF" in MISSING:
        print(f"skipped: {MISSING}")
        sys.exit(SKIP)
    print(f"FAIL: quazar was built without BPF: {MISSING}; run scripts/install-deps.sh",
          file=sys.stderr)
    sys.exit(1)


def obj(name):
    return os.path.join(OBJECTS, name)


def named(name, base="spin"):
    """A copy of a test program under another name: its own comm."""
    path = os.path.join(TMP, name)
    if not os.path.exists(path):
        shutil.copy(prog(base), path)
    return path


class Gated:
    """A spinner held before exec until go(): quazar can be given its pid."""

    def __init__(self, name, ms, cpu=None, fifo=None, base="spin", args=None):
        cmd = []
        if fifo:
            cmd += ["chrt", "-f", str(fifo)]
        if cpu is not None:
            cmd += ["taskset", "-c", str(cpu)]
        rest = " ".join(args) if args else str(ms)
        cmd += ["sh", "-c", f"read x; exec {named(name, base)} {rest}"]
        self.name = name
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, text=True)
        self.pid = self.p.pid

    def go(self):
        self.p.stdin.write("go\n")
        self.p.stdin.flush()

    def wait(self, timeout=120):
        return self.p.wait(timeout=timeout)


def wait_events_open(pid, timeout=20.0):
    """Until quazar (pid) holds a perf event: on a loaded host, loading its
    BPF programs can take longer than any fixed settle time."""
    until = time.time() + timeout
    while time.time() < until:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            return
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == "anon_inode:[perf_event]":
                    return
            except OSError:
                pass
        time.sleep(0.02)


def run_over(loads, argsets, settle=1.0, after=0.3):
    """Start one quazar per argset, wait for its events and let them settle,
    release the loads, wait for them, stop quazar with SIGTERM. Returns
    [(returncode, out, err)]."""
    qs = [subprocess.Popen([QUAZAR] + a, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True) for a in argsets]
    try:
        for q in qs:
            wait_events_open(q.pid)
        time.sleep(settle)
        for load in loads:
            load.go()
        for load in loads:
            load.wait()
        time.sleep(after)
    finally:
        for q in qs:
            q.send_signal(signal.SIGTERM)
    results = []
    for q in qs:
        out, err = q.communicate(timeout=60)
        results.append((q.returncode, out, err))
    return results


def final(out, type_="profile"):
    recs = [r for r in json_lines(out) if r.get("type") == type_]
    return recs[-1] if recs else {}


def comm_samples(rec, comm):
    """A comm's samples in a profile record, from its stacks (-g)."""
    return sum(s["samples"] for s in rec.get("stacks", []) if s.get("comm") == comm)
