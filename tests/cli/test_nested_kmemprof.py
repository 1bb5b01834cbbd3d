#!/usr/bin/env python3
"""nested-trace and kmemprof on `calls N`: N qz_outer() calls each calling
qz_inner() twice (~50 us sleeps), and N allocations through
qz_alloc_hook(ptr, size): N/2 of 64 bytes from qz_site_a (freed through
qz_free_hook), N/2 of 256 bytes from qz_site_b (kept)."""
from qzt import *
from nmsyms import symbols, function_at

require_root()
N = 100
P = os.path.abspath(prog("calls"))
pairs = ["-e", f"uprobe:{P}:qz_outer,uretprobe:{P}:qz_outer",
         "-e", f"uprobe:{P}:qz_inner,uretprobe:{P}:qz_inner"]


def nested(impl):
    r = run(["nested-trace"] + pairs + ["--impl", impl, "--json", "-i", "0", "--", P, str(N)])
    check_eq(r.returncode, 0, f"{impl}: exit status (stderr: {r.stderr})")
    recs = [x for x in json_lines(r.stdout) if x.get("type") == "nested_trace"]
    check_eq(len(recs), 1, f"{impl}: one final report")
    return recs[0] if recs else {}


rep = nested("delay")
rows = {p["name"]: p for p in rep.get("pairs", [])}
check_eq(sorted(rows), ["qz_inner", "qz_outer"], "delay: a row per pair")
if len(rows) == 2:
    check_eq(rows["qz_outer"]["calls"], N, "outer calls")
    check_eq(rows["qz_inner"]["calls"], 2 * N, "inner calls")
    check(rows["qz_inner"]["min"] >= 50000, f"inner sleeps 50 us: min {rows['qz_inner']['min']}")
    check(rows["qz_outer"]["min"] >= 2 * rows["qz_inner"]["min"], "outer covers two inner calls")
    check(rows["qz_outer"]["total"] >= rows["qz_inner"]["total"], "outer total >= inner total")
check_eq(rep.get("unmatched_exits"), 0, "every exit matched")

rep = nested("call")
calls = rep.get("calls", [])
check_eq([(c["path"], c["depth"], c["calls"]) for c in calls],
         [("qz_outer", 0, N), ("qz_outer;qz_inner", 1, 2 * N)], "call tree")

rep = nested("call-delay")
calls = rep.get("calls", [])
check_eq([(c["path"], c["calls"]) for c in calls],
         [("qz_outer", N), ("qz_outer;qz_inner", 2 * N)], "call-delay tree")
check(all(c["min"] >= 50000 for c in calls), "call-delay times")

r = run(["nested-trace"] + pairs + ["--impl", "call", "--", P, "10"])
check("qz_outer" in r.stdout and "  |-qz_inner" in r.stdout, f"text tree: {r.stdout!r}")
r = run(["nested-trace", "-e", f"uprobe:{P}:qz_outer", "--", P, "1"])
check(r.returncode != 0 and "ENTRY,EXIT" in r.stderr, f"unpaired -e refused: {r.stderr!r}")
r = run(["nested-trace"] + pairs + ["--impl", "pair"])
check(r.returncode != 0 and "call-delay" in r.stderr, f"bad impl: {r.stderr!r}")

# kmemprof: sizes from rsi, pointers from rdi, sites by stack.
syms = symbols(P)
r = run(["kmemprof", "-e", f"uprobe:{P}:qz_alloc_hook//key=rdi/size=rsi/stack/",
         "-e", f"uprobe:{P}:qz_free_hook//key=rdi/stack/", "--json", "-i", "0", "--", P, str(N)])
check_eq(r.returncode, 0, f"kmemprof exit status (stderr: {r.stderr})")
recs = [x for x in json_lines(r.stdout) if x.get("type") == "kmemprof"]
check_eq(len(recs), 1, "one final report")
if recs:
    rep = recs[0]
    check_eq((rep["alloc"]["bytes"], rep["alloc"]["objects"]), (N // 2 * (64 + 256), N), "allocated")
    check_eq((rep["free"]["bytes"], rep["free"]["objects"]), (N // 2 * 64, N // 2), "freed")
    check_eq(rep["live"], N // 2, "live allocations")
    check_eq(rep["unknown_frees"], 0, "every free known")

    # A probe on a function's first instruction stops before it pushes its
    # frame pointer: with gcc's code the stack goes from the hook to its
    # caller's caller (main); clang's may keep the caller.
    def frames(s):
        return [function_at(syms, int(f["addr"], 16)) for f in s.get("stack", [])][:2]

    sites = rep["alloc"]["sites"]
    check_eq([(s["bytes"], s["objects"]) for s in sites], [(N // 2 * 256, N // 2), (N // 2 * 64, N // 2)],
             "two sites, largest first")
    if len(sites) == 2:
        fb, fa = frames(sites[0]), frames(sites[1])
        check(fb[0] == fa[0] == "qz_alloc_hook", f"stacks start at the hook: {fb}, {fa}")
        check(fb[1] in ("main", "qz_site_b") and fa[1] in ("main", "qz_site_a"),
              f"then the site or main: {fb}, {fa}")
        check(sites[0]["stack"][1]["addr"] != sites[1]["stack"][1]["addr"],
              "the two sites are two places in the code")
    fs = rep["free"]["sites"]
    check(len(fs) == 1 and fs[0]["bytes"] == N // 2 * 64 and frames(fs[0])[0] == "qz_free_hook",
          f"frees: {fs}")

r = run(["kmemprof", "-e", "kmem:kmalloc", "-e", "kmem:kfree"])
check(r.returncode != 0 and "size=" in r.stderr, f"size required: {r.stderr!r}")
done()
