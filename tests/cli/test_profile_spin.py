#!/usr/bin/env python3
"""profile: a program that burns 1.5 s of CPU in burn() is sampled about
1.5 s / period times, burn() ranks first, its stack is main;burn, and the
flame graph file says the same. System-wide, a CPU owned by a spinner is
reported busy, and -e is refused with a hint."""
import os
import tempfile
from qzt import *

require_root()
tmp = tempfile.mkdtemp(prefix="qz-profile-")
flame = os.path.join(tmp, "cpu")

# 1. One workload, its own samples: samples x period is its CPU time.
r = run(["profile", "-F", "199", "-g", "--json", "-i", "100000", "--flame-graph", flame,
         "--", prog("spin"), "1500"])
check_eq(r.returncode, 0, f"exit status (stderr: {r.stderr})")
profs = [x for x in json_lines(r.stdout) if x.get("type") == "profile"]
check_eq(len(profs), 1, "one (final) profile record")
p = profs[0] if profs else {}
busy_ns = sum((c["samples"] - c["idle"]) * p.get("period_ns", 0) for c in p.get("cpus", []))
check_eq(p.get("period_ns"), 1_000_000_000 // 199, "period from -F 199")
check(1.2e9 <= busy_ns <= 1.65e9, f"samples x period ~ 1.5 s of CPU: {busy_ns / 1e9:.3f} s")
fns = p.get("functions", [])
top = fns[0] if fns else {}
check_eq((top.get("sym"), os.path.basename(top.get("module", ""))), ("burn", "spin"),
         "burn() in spin ranks first")
check(top.get("pct", 0) >= 90, f"burn() has >= 90% of the samples: {top.get('pct')}")
stacks = p.get("stacks", [])
st = stacks[0] if stacks else {}
check_eq(st.get("comm"), "spin", "the top stack's comm")
check_eq(st.get("frames", [])[-2:], ["main", "burn"], "the top stack ends main;burn")
try:
    with open(flame + ".folded") as f:
        folded = dict(line.rsplit(" ", 1) for line in f.read().splitlines())
except OSError as e:
    folded = {}
    check(False, f"flame graph file: {e}")
burn_lines = {k: int(v) for k, v in folded.items() if k.startswith("spin;") and k.endswith(";main;burn")}
check(burn_lines and sum(burn_lines.values()) == st.get("samples"),
      f"the folded file counts main;burn as the report does: {burn_lines} vs {st.get('samples')}")

# 2. System-wide on one CPU: a real-time spinner owns CPU 1.
_, q, out, err = with_spinner(["profile", "-C", "1", "--json", "-i", "1000"])
check_eq(q.returncode, 0, f"exit status (stderr: {err})")
full = [x for x in json_lines(out) if x.get("type") == "profile"][:2]
check(len(full) == 2, f"two 1 s interval reports: {len(full)}")
for x in full:
    cpus = {c["cpu"]: c for c in x["cpus"]}
    check_eq(list(cpus), [1], "only CPU 1 is sampled")
    check(cpus.get(1, {}).get("busy_pct", 0) >= 90, f"CPU 1 busy >= 90%: {cpus.get(1)}")
    check(x["functions"] and x["functions"][0]["sym"] == "burn", f"burn() first: {x['functions'][:2]}")
    check_eq(x["stacks"], [], "no stacks without -g")

# 3. Text output, and -e refused.
r = run(["profile", "-i", "100000", "--", prog("spin"), "300"])
check(r.returncode == 0 and "burn" in r.stdout and "FUNCTION" in r.stdout, f"text table: {r.stdout[-400:]!r}")
r = run(["profile", "-e", "sched:sched_switch"])
check(r.returncode != 0 and "takes no -e" in r.stderr and "quazar trace" in r.stderr,
      f"-e is refused with a hint: {r.stderr!r}")
done()
