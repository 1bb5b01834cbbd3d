#!/usr/bin/env python3
"""profile --pprof and --flame-graph: a program burning CPU in burn() gives
a gzipped profile.proto that Go's own reader (go tool pprof) lists with
burn first and the sample counts quazar reported, with the binary's
build-id on its mapping; FILE.svg beside FILE.folded names its frames with
the folded counts; the JSON report carries every stack as "folded". A
syscall loop puts kernel frames (_[k]) in the folded file, orange in the
SVG, under a [kernel.kallsyms] mapping with the kernel's build-id."""
import os
import re
import shutil
import struct
import subprocess
import tempfile
from qzt import *
from flamesvg import parse, folded_totals

require_root()
tmp = tempfile.mkdtemp(prefix="qz-pprof-")
go = shutil.which("go")
if not go:
    print("FAIL: go is missing (golang-go): run scripts/install-deps.sh")
    sys.exit(1)
goenv = dict(os.environ, HOME=tmp, GOCACHE=os.path.join(tmp, "gocache"),
             GOPATH=os.path.join(tmp, "gopath"), GOPROXY="off", GOFLAGS="", GOTOOLCHAIN="local")


def pprof(*args):
    r = subprocess.run([go, "tool", "pprof"] + list(args), capture_output=True, text=True,
                       env=goenv, timeout=120)
    check_eq(r.returncode, 0, f"go tool pprof {' '.join(args)} ({r.stderr[-500:]})")
    return r.stdout


def top_rows(text):
    """[(flat, function)] of `go tool pprof -top`, and the total line."""
    rows = []
    for line in text.splitlines():
        m = re.match(r"^\s*([\d.]+\w*)\s+[\d.]+%\s+[\d.]+%\s+[\d.]+\w*\s+[\d.]+%\s+(.+)$", line)
        if m:
            rows.append((m.group(1), m.group(2).strip()))
    return rows


def build_id(path):
    out = subprocess.run(["readelf", "-n", path], capture_output=True, text=True).stdout
    m = re.search(r"Build ID: ([0-9a-f]+)", out)
    return m.group(1) if m else None


def kernel_build_id():
    data = open("/sys/kernel/notes", "rb").read()
    off = 0
    while off + 12 <= len(data):
        nsz, dsz, typ = struct.unpack_from("<III", data, off)
        name = off + 12
        desc = name + ((nsz + 3) & ~3)
        if typ == 3 and data[name:name + 4] == b"GNU\0":
            return data[desc:desc + dsz].hex()
        off = desc + ((dsz + 3) & ~3)
    return None


# 1. A user-space hot spot.
base = os.path.join(tmp, "cpu")
pb = os.path.join(tmp, "cpu.pb.gz")
spin = prog("spin")
r = run(["profile", "-v", "-F", "199", "--json", "-i", "100000", "--flame-graph", base, "--pprof", pb,
         "--", spin, "1500"])
check_eq(r.returncode, 0, f"exit status (stderr: {r.stderr})")
check(f"wrote {pb}" in r.stderr and "go tool pprof -top" in r.stderr, f"says where the profile is: {r.stderr!r}")
profs = [x for x in json_lines(r.stdout) if x.get("type") == "profile"]
p = profs[-1] if profs else {}
fns = p.get("functions", [{}])
samples, burn = p.get("samples", 0), fns[0].get("samples", 0)
check(fns[0].get("sym") == "burn" and burn > 20, f"quazar reports burn() first: {fns[:2]}")
with open(base + ".folded") as f:
    lines = f.read().splitlines()
folded_sum = sum(int(x.rsplit(" ", 1)[1]) for x in lines)
check_eq(folded_sum, samples, "the folded file counts every sample")

# The JSON report carries every stack of the interval.
jf = p.get("folded", [])
check_eq(sorted((x["stack"], x["count"]) for x in jf),
         sorted((x.rsplit(" ", 1)[0], int(x.rsplit(" ", 1)[1])) for x in lines),
         "the report's folded stacks are the folded file's")

# go tool pprof: burn first, quazar's counts.
with open(pb, "rb") as f:
    check_eq(f.read(2), b"\x1f\x8b", "the profile is gzipped")
out = pprof("-top", "-sample_index=samples", pb)
rows = top_rows(out)
check(rows and rows[0][1] == "burn", f"pprof -top lists burn first: {rows[:3]}")
check(rows and rows[0][0] == str(burn), f"with quazar's {burn} samples: {rows[:1]}")
check(f"Total samples = {samples}" in out, f"and its total, {samples}: {out[:400]}")
out = pprof("-top", pb)
rows = top_rows(out)
period = p.get("period_ns", 0)
m = re.match(r"([\d.]+)(ms|s)$", rows[0][0]) if rows else None
ns = float(m.group(1)) * (1e6 if m.group(2) == "ms" else 1e9) if m else 0
check(rows and rows[0][1] == "burn" and abs(ns - burn * period) <= 0.006 * burn * period + 1e4,
      f"cpu time: burn {burn} x {period} ns: {rows[:1]}")
raw = pprof("-raw", pb)
bid = build_id(os.path.realpath(spin))
maps = [l for l in raw.split("Mappings", 1)[-1].splitlines() if "/spin" in l]
check(bid and maps and bid in maps[0] and "[FN]" in maps[0],
      f"spin's mapping carries its build-id {bid}: {maps}")
check("samples/count" in raw and "cpu/nanoseconds" in raw, "sample types samples/count and cpu/nanoseconds")
tags = pprof("-tags", pb)
check("comm" in tags and "spin" in tags, f"samples are labelled with their comm: {tags[:300]}")

# The SVG beside the folded file.
root, frames = parse(base + ".svg")
totals = folded_totals(lines)
burns = [f for f in frames if f.name == "burn"]
check(burns and any(f.path[-2:] == ("main", "burn") for f in burns), "the SVG names main and burn")
bad = [f.path for f in frames if not f.merged and totals.get(f.path) != f.n]
check(not bad, f"the SVG's frames hold the folded counts: {bad[:3]}")

# 2. Kernel frames: a syscall loop.
kbase = os.path.join(tmp, "sys")
kpb = os.path.join(tmp, "sys.pb.gz")
r = run(["profile", "-F", "999", "--flame-graph", kbase, "--pprof", kpb, "-i", "100000",
         "--", prog("getppid_loop"), "3000000"])
check_eq(r.returncode, 0, f"syscall loop: exit status ({r.stderr})")
with open(kbase + ".folded") as f:
    klines = f.read().splitlines()
kframes = {fr for l in klines for fr in l.rsplit(" ", 1)[0].split(";") if fr.endswith("_[k]")}
check(any("getppid" in fr for fr in kframes), f"kernel frames end in _[k], getppid among them: {sorted(kframes)[:8]}")
root, frames = parse(kbase + ".svg")
korange = [f for f in frames if "sys_getppid" in f.name and not f.merged]
check(korange and all(f.fill[2] == 0 for f in korange), f"kernel frames are orange: {[(f.name, f.fill) for f in korange]}")
check(all(not f.name.endswith("_[k]") for f in frames), "the SVG shows kernel names without _[k]")
raw = pprof("-raw", kpb)
kmap = [l for l in raw.split("Mappings", 1)[-1].splitlines() if "[kernel.kallsyms]" in l]
kbid = kernel_build_id()
check(kmap and (kbid is None or kbid in kmap[0]), f"a [kernel.kallsyms] mapping with the kernel's build-id {kbid}: {kmap}")
out = pprof("-top", "-sample_index=samples", kpb)
check(re.search(r"getppid", out), f"pprof names the getppid kernel path: {out[:600]}")
done()
