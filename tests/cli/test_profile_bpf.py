#!/usr/bin/env python3
"""profile --bpf against the ring path on the same spinner, at the same
time: the same top function and stack, sample counts within 5%, the same
JSON fields (plus "bpf") and the same folded stacks; BPF is the default;
a too small map makes collisions and hash-full drops that are reported;
what needs each sample (-N, a profiler it runs inside) reads the ring."""
import gzip
import os
import re
from qzt import *
from qzbpf import TMP, Gated, comm_samples, final, require_bpf, run_over

require_bpf()

# 1. Both paths on one spinner of 2 s CPU on CPU 1, by pid.
spin = Gated("spin_both", 2000, cpu=1)
common = ["profile", "-p", str(spin.pid), "-F", "199", "-g", "--json", "-i", "100000"]
flame_b, flame_r = os.path.join(TMP, "bpf"), os.path.join(TMP, "ring")
(rc_b, out_b, err_b), (rc_r, out_r, err_r), (rc_d, out_d, err_d) = run_over(
    [spin], [common + ["-v", "--bpf", "--flame-graph", flame_b, "--pprof", flame_b + ".pb.gz"],
             common + ["-v", "--no-bpf", "--flame-graph", flame_r, "--pprof", flame_r + ".pb.gz"],
             common])
check_eq(rc_b, 0, f"--bpf exit status (stderr: {err_b})")
check_eq(rc_r, 0, f"--no-bpf exit status (stderr: {err_r})")
check_eq(rc_d, 0, f"default exit status (stderr: {err_d})")
b, r, d = final(out_b), final(out_r), final(out_d)
check("bpf" in b and "bpf" not in r, f"only the BPF path says so: {list(b)} / {list(r)}")
check("bpf" in d, f"BPF is the default here: {list(d)}")
check_eq(sorted(k for k in b if k != "bpf"), sorted(r), "the same JSON fields")
sb, sr = comm_samples(b, "spin_both"), comm_samples(r, "spin_both")
check(sr > 300, f"the ring path saw the spinner: {sr} samples")
check(abs(sb - sr) <= 0.05 * max(sb, sr), f"sample counts within 5%: bpf {sb}, ring {sr}")
check(abs(b.get("samples", 0) - r.get("samples", 0)) <= 0.05 * max(r.get("samples", 1), 1),
      f"totals within 5%: bpf {b.get('samples')}, ring {r.get('samples')}")
fb, fr = b.get("functions", [{}])[0], r.get("functions", [{}])[0]
check_eq((fb.get("sym"), os.path.basename(fb.get("module", ""))), ("burn", "spin_both"),
         "burn() first with --bpf")
check_eq(fb.get("sym"), fr.get("sym"), "the same top function")
check_eq(b["stacks"][0]["frames"][-2:] if b.get("stacks") else None, ["main", "burn"],
         "the top stack ends main;burn with --bpf")
check_eq(b["stacks"][0]["frames"] if b.get("stacks") else 1,
         r["stacks"][0]["frames"] if r.get("stacks") else 2, "the same top stack")
check_eq(b.get("bpf"), {"stack_collisions": 0, "hash_full": 0, "errors": 0},
         "nothing lost in the kernel")


def folded(path):
    try:
        with open(path + ".folded") as f:
            return [line.rsplit(" ", 1) for line in f.read().splitlines()]
    except OSError as e:
        check(False, f"{path}.folded: {e}")
        return [["", "0"]]


top_b, top_r = folded(flame_b)[0], folded(flame_r)[0]
check_eq(top_b[0], top_r[0], "the same top folded stack")
check(abs(int(top_b[1]) - int(top_r[1])) <= 0.05 * int(top_r[1]),
      f"its counts within 5%: {top_b[1]} vs {top_r[1]}")
check(os.path.getsize(flame_b + ".svg") > 0 if os.path.exists(flame_b + ".svg") else False,
      "--bpf drew its SVG")


def pprof(path, err):
    """The samples --pprof says it wrote, and whether the profile names burn."""
    m = re.search(r"wrote \S+: (\d+) samples", err)
    try:
        with gzip.open(path) as f:
            names = b"burn" in f.read()
    except OSError as e:
        check(False, f"{path}: {e}")
        names = False
    return int(m.group(1)) if m else 0, names


pb, pr = pprof(flame_b + ".pb.gz", err_b), pprof(flame_r + ".pb.gz", err_r)
check(pb[1] and pr[1], f"both pprof profiles name burn: bpf {pb[1]}, ring {pr[1]}")
check(pr[0] > 300 and abs(pb[0] - pr[0]) <= 0.05 * pr[0],
      f"pprof samples within 5%: bpf {pb[0]}, ring {pr[0]}")

# 2. Text output is the ring path's table.
spin = Gated("spin_text", 300, cpu=1)
(rc, out, err), = run_over([spin], [["profile", "-p", str(spin.pid), "-i", "100000"]])
check(rc == 0 and "burn" in out and "FUNCTION" in out, f"text table: {out[-300:]!r} {err}")

# 3. One entry and one stack bucket: losses are counted and reported. Two
# programs, so two keys and two stacks at least (one spinner alone may land
# every sample on one instruction, one key, one stack: nothing to lose).
spin = Gated("spin_tiny", 500, cpu=1)
deep = Gated("deep_tiny", 500, cpu=0, base="deep")
(rc, out, err), = run_over([spin, deep], [["profile", "-p", f"{spin.pid},{deep.pid}", "-F",
                                           "499", "-g", "--json", "-i", "100000",
                                           "--bpf-entries", "1"]])
t = final(out)
check_eq(rc, 0, f"--bpf-entries 1 runs (stderr: {err})")
check(t.get("bpf", {}).get("hash_full", 0) > 0,
      f"hash-full drops counted: {t.get('bpf')}, {t.get('samples')} samples")
check(t.get("bpf", {}).get("stack_collisions", 0) > 0,
      f"stack collisions counted: {t.get('bpf')}, {t.get('samples')} samples")
check("dropped (hash full)" in err and "stack map collisions" in err,
      f"and said on stderr: {err[-300:]!r}")

# 4. --bpf and --no-bpf together are refused.
r = run(["profile", "--bpf", "--no-bpf", "--", prog("spin"), "10"])
check(r.returncode != 0 and "not both" in r.stderr, f"--bpf --no-bpf refused: {r.stderr!r}")

# 5. What reads each sample takes the ring: -N, and a profiler profile runs inside.
r = run(["profile", "--json", "-N", "50", "-F", "999", "--", prog("spin"), "2000"])
recs = [x for x in json_lines(r.stdout) if x.get("type") == "profile"]
check(r.returncode == 0 and recs and "bpf" not in recs[-1], f"-N reads the ring: {r.stderr!r}")
n = sum(c.get("samples", 0) for x in recs for c in x.get("cpus", []))
check(n == 50, f"and stops after its 50 samples: {n}")
r = run(["profile", "--bpf", "-N", "50", "--", prog("spin"), "10"])
check(r.returncode != 0 and "-N" in r.stderr, f"--bpf -N refused: {r.stderr!r}")
r = run(["trace", "-e", "profile/-F 499/", "-N", "20", "--", prog("spin"), "2000"])
check(r.returncode == 0 and r.stdout.count("profile(cpu-clock)") == 20,
      f"profile inside trace hands trace its samples: {r.stdout[-300:]!r} {r.stderr!r}")
r = run(["trace", "-e", "profile/--bpf/", "-N", "20", "--", prog("spin"), "10"])
check(r.returncode != 0 and "--bpf" in r.stderr, f"--bpf inside trace refused: {r.stderr!r}")
done()
