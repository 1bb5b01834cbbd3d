#!/usr/bin/env python3
"""quazar flamegraph: an SVG that parses as XML, names every frame (C++ names
with <, > and & escaped), has widths exact to the sample, colours kernel
frames apart from user ones, keeps its script valid; a differential graph
colours grown stacks red and shrunk ones blue; 100,000 distinct stacks give
a bounded file; bad input is refused naming the file and the line."""
import os
import random
import resource
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from qzt import *
from flamesvg import parse, folded_totals, width_of, NS, XPAD

tmp = tempfile.mkdtemp(prefix="qz-flame-")


def write(name, lines):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def check_exact(svg, lines, what):
    """Every drawn frame's samples are the folded counts through its path."""
    root, frames = parse(svg)
    totals = folded_totals(lines)
    total = totals[("all",)]
    scale = (width_of(root) - 2 * XPAD) / total
    bad = []
    for f in frames:
        if f.merged:
            continue
        want = totals.get(f.path)
        if want != f.n or f.title_n != f.n:
            bad.append(f"{'/'.join(f.path)}: data-n {f.n}, title {f.title_n}, folded {want}")
        elif abs(f.w - f.n * scale) > 0.006 or abs(f.x - (XPAD + f.o * scale)) > 0.006:
            bad.append(f"{'/'.join(f.path)}: x {f.x} width {f.w}, want {XPAD + f.o * scale:.3f} {f.n * scale:.3f}")
    check(not bad, f"{what}: frames exact to the sample: {bad[:5]}")
    return root, frames


# 1. One file: names escaped, exact widths, kernel frames coloured apart.
lines = [
    "app;main;std::map<int, std::vector<int>>::operator[];std::less<int>::operator() 30",
    "app;main;compute&store 12",
    "app;main;compute&store;write;entry_SYSCALL_64_[k];do_syscall_64_[k];ksys_write_[k] 7",
    "app;main 1",
    "other;idle_loop 50",
]
folded = write("one.folded", lines)
r = run(["flamegraph", folded])
svg = os.path.join(tmp, "one.svg")
check(r.returncode == 0 and os.path.exists(svg), f"renders one.folded to one.svg: {r.returncode} {r.stderr}")
root, frames = check_exact(svg, lines, "one file")
names = {f.name for f in frames}
for want in ["std::map<int, std::vector<int>>::operator[]", "compute&store", "ksys_write", "main", "all"]:
    check(want in names, f"names {want!r}: {sorted(names)}")
check(not any(n.endswith("_[k]") for n in names), "the _[k] mark is not shown")
kernel = [f for f in frames if f.name in ("entry_SYSCALL_64", "do_syscall_64", "ksys_write")]
user = [f for f in frames if f.name in ("main", "write", "compute&store", "idle_loop")]
check(kernel and all(f.fill[2] == 0 and f.fill[0] > f.fill[1] >= 90 for f in kernel),
      f"kernel frames are orange: {[f.fill for f in kernel]}")
check(user and all(f.fill[2] > 0 and f.fill[1] == f.fill[2] for f in user),
      f"user frames are red: {[f.fill for f in user]}")
allf = [f for f in frames if f.path == ("all",)]
check(allf and allf[0].title_n == 100 and allf[0].pct == 100.0, "the root holds all 100 samples")
text = open(svg, encoding="utf-8").read()
check("&lt;int, std::vector&lt;int&gt;&gt;" in text and "compute&amp;store" in text, "names are XML-escaped")
for el in ("unzoom", "search", "details", "matched"):
    check(root.find(f".//{NS}text[@id='{el}']") is not None, f"the {el} control is there")
script = root.find(NS + "script").text
check("function zoom" in script and "function search" in script and "Matched" in script,
      "the script zooms and searches")
if shutil.which("node"):
    js = os.path.join(tmp, "flame.js")
    with open(js, "w") as f:
        f.write(script)
    n = subprocess.run(["node", "--check", js], capture_output=True, text=True)
    check_eq(n.returncode, 0, f"the script is valid JavaScript ({n.stderr})")
else:
    check(False, "node is missing: scripts/install-deps.sh installs nodejs")

# -o and --title; stdout with -o -.
out = os.path.join(tmp, "titled.svg")
r = run(["flamegraph", "-o", out, "--title", "CPU <of> app & co", folded])
check(r.returncode == 0, f"-o and --title: {r.stderr}")
title = parse(out)[0].find(f"{NS}text[@id='title']").text
check_eq(title, "CPU <of> app & co", "the title, escaped and read back")
r = run(["flamegraph", "-o", os.path.join(tmp, "bytes.svg"), "--count-name", "<bytes&>", folded])
_, fr = parse(os.path.join(tmp, "bytes.svg")) if r.returncode == 0 else (None, [])
check(fr and "<bytes&>" in ET.parse(os.path.join(tmp, "bytes.svg")).getroot().find(f"{NS}g[@id='frames']")[0][0].text,
      f"--count-name, escaped: {r.stderr}")
r = run(["flamegraph", "-o", "-", folded])
check(r.returncode == 0 and r.stdout.startswith("<?xml") and "</svg>" in r.stdout, "-o - writes stdout")

# 2. Differential: grew red, shrank blue, same white-ish; NEW's widths.
base = write("base.folded", ["app;main;grow 10", "app;main;shrink 40", "app;main;same 20"])
new = write("new.folded", ["app;main;grow 50", "app;main;shrink 10", "app;main;same 20"])
r = run(["flamegraph", base, new, "-o", os.path.join(tmp, "diff.svg")])
check(r.returncode == 0, f"diff renders: {r.stderr}")
root, frames = check_exact(os.path.join(tmp, "diff.svg"),
                           ["app;main;grow 50", "app;main;shrink 10", "app;main;same 20"], "diff (NEW's widths)")
leaf = {f.name: f for f in frames}
g, s, same = leaf.get("grow"), leaf.get("shrink"), leaf.get("same")
check(g and g.fill[0] == 255 and g.fill[1] == g.fill[2] < 200, f"grown stack is red: {g and g.fill}")
check(s and s.fill[2] == 255 and s.fill[0] == s.fill[1] < 200, f"shrunk stack is blue: {s and s.fill}")
check(same and min(same.fill) >= 240, f"an unchanged stack is near white: {same and same.fill}")
check(g and g.self_delta == 40 and g.other == 10, f"tooltip: base 10, self +40: {g and (g.other, g.self_delta)}")
check(s and s.self_delta == -30, f"tooltip: self -30: {s and s.self_delta}")
check("Differential" in root.find(f"{NS}text[@id='title']").text, "titled as differential")
# --negate: the base's widths, colours keep their meaning.
r = run(["flamegraph", "--negate", base, new, "-o", os.path.join(tmp, "neg.svg")])
root, frames = check_exact(os.path.join(tmp, "neg.svg"),
                           ["app;main;grow 10", "app;main;shrink 40", "app;main;same 20"], "--negate (BASE's widths)")
leaf = {f.name: f for f in frames}
check(leaf.get("grow") and leaf["grow"].fill[0] == 255 and leaf["shrink"].fill[2] == 255,
      "--negate: grew is still red, shrank blue")
# One difffolded.pl file ("stack BASE NEW") draws the same graph.
dd = write("dd.folded", ["app;main;grow 10 50", "app;main;shrink 40 10", "app;main;same 20 20"])
r = run(["flamegraph", dd, "-o", os.path.join(tmp, "dd.svg")])
_, frames = parse(os.path.join(tmp, "dd.svg"))
leaf = {f.name: f for f in frames}
check(r.returncode == 0 and leaf.get("grow") and leaf["grow"].n == 50 and leaf["grow"].fill[0] == 255,
      f"a difffolded.pl file is a diff: {r.stderr}")

# 3. 100,000 distinct stacks: bounded size, quick, still exact where drawn.
random.seed(7)
big = []
for i in range(100000):
    heavy = i < 8000
    depth = 40 if heavy else random.randint(3, 30)
    big.append(";".join(["svc%d" % (i % 7)] + ["chain%d_f%d" % (i, j) for j in range(depth)]) +
               " %d" % (2000 if heavy else random.randint(1, 5)))
bigf = write("big.folded", big)
# CPU time, not wall time: the machine is shared, the load varies.
t0 = resource.getrusage(resource.RUSAGE_CHILDREN)
r = run(["flamegraph", bigf, "-o", os.path.join(tmp, "big.svg")])
t1 = resource.getrusage(resource.RUSAGE_CHILDREN)
took = t1.ru_utime + t1.ru_stime - t0.ru_utime - t0.ru_stime
size = os.path.getsize(os.path.join(tmp, "big.svg")) if r.returncode == 0 else 0
check(r.returncode == 0 and 0 < size < 20e6, f"100k stacks: exit {r.returncode}, {size / 1e6:.1f} MB < 20 MB ({r.stderr})")
check(took < 10, f"100k stacks render in {took:.1f} s of CPU")
root, frames = check_exact(os.path.join(tmp, "big.svg"), big, "100k stacks")
check(len(frames) < 60000, f"{len(frames)} frames drawn, at most ~60,000")
merged = [f for f in frames if f.merged]
check(merged, "narrow frames are merged into grey boxes")
kids = {}
for f in frames:
    if len(f.path) > 1:
        kids[f.path[:-1]] = kids.get(f.path[:-1], 0) + f.n
drawn = {f.path: f.n for f in frames if not f.merged}
over = [(p, n) for p, n in kids.items() if n > drawn[p]]
check(not over, f"children, merged boxes included, never outgrow their parent: {over[:3]}")
print(f"100k stacks: {size / 1e6:.1f} MB, {len(frames)} frames ({len(merged)} merged), rendered in {took:.2f} s of CPU")

# 4. Bad input names the file and the line.
bad = write("bad.folded", ["a;b 3", "a;c no-count", "a;d 4"])
r = run(["flamegraph", bad])
check(r.returncode == 1 and f"{bad}:2: no sample count" in r.stderr, f"a bad line is refused: {r.stderr!r}")
r = run(["flamegraph", os.path.join(tmp, "missing.folded")])
check(r.returncode == 1 and "missing.folded: No such file" in r.stderr, f"a missing file: {r.stderr!r}")
empty = write("empty.folded", [""])
r = run(["flamegraph", empty])
check(r.returncode == 1 and "no stack counts" in r.stderr, f"an empty file: {r.stderr!r}")
huge = write("huge.folded", ["a;b 99999999999999999999"])
r = run(["flamegraph", huge])
check(r.returncode == 1 and ":1: the sample count does not fit" in r.stderr, f"an overflowing count: {r.stderr!r}")
r = run(["flamegraph", "-h"])
check(r.returncode == 0 and "BASE.folded NEW.folded" in r.stdout, "-h describes the diff")
r = run(["--help"])
check("flamegraph" in r.stdout, "quazar --help lists flamegraph")
done()
