"""--sampling-limit caps samples per second per instance and counts the
rest; --perfeval-cpus/-pids report the events of those contexts and their
cost; --clock-offset shifts every time; --kvmclock is refused with why;
stat --period counts per period as hrcount; --cgroups takes a list."""
import json
import os
import subprocess
import time

import qzt

qzt.require_root()
N = 20000
LOOP = ["taskset", "-c", "0", qzt.prog("getppid_loop"), str(N)]
GETPPID = "syscalls:sys_enter_getppid"

# --sampling-limit: the workload runs on CPU 0, one instance (ring).
r = qzt.run(["trace", "-e", GETPPID, "--sampling-limit", "100", "--"] + LOOP)
qzt.check_eq(r.returncode, 0, "--sampling-limit run")
delivered = r.stdout.count("sys_enter_getppid")
dropped = [l for l in r.stderr.splitlines() if "over --sampling-limit" in l]
qzt.check(delivered in (100, 200, 300, 400), f"delivered {delivered}: 100 per second")
qzt.check(len(dropped) == 1, f"the dropped count is reported: {r.stderr!r}")
if dropped:
    n = int(dropped[0].split("dropped ")[1].split()[0])
    qzt.check_eq(n + delivered, N, "dropped + delivered")

# --perfeval-cpus 0 and --perfeval-pids: the events of those contexts.
r = qzt.run(["trace", "-e", GETPPID, "-o", "/dev/null", "--perfeval-cpus", "0",
             "-i", "400", "--"] + LOOP)
lines = [l for l in r.stderr.splitlines() if l.startswith("quazar perfeval cpus 0:")]
qzt.check(lines, f"perfeval lines: {r.stderr!r}")
matched = sum(int(l.split(": ")[1].split(" of ")[0]) for l in lines)
qzt.check_eq(matched, N, "--perfeval-cpus 0: events in CPU 0's context")
qzt.check(all(" ns per event in quazar" in l for l in lines), "the cost per event")
qzt.check("  cpu 0: " in r.stderr, "the per-instance line")

sleeper = subprocess.Popen(["sleep", "30"])
r = qzt.run(["trace", "-e", GETPPID, "-o", "/dev/null", "--perfeval-pids",
             str(sleeper.pid), "--"] + LOOP)
sleeper.kill()
sleeper.wait()
pe = [l for l in r.stderr.splitlines() if l.startswith("quazar perfeval pids")]
qzt.check(len(pe) == 1 and f" 0 of {N} events" in pe[0],
          f"--perfeval-pids of a sleeping process: none of the {N}: {pe}")

# --perfeval in JSON, with the session's output
r = qzt.run(["trace", "-e", GETPPID, "--json", "--perfeval-cpus", "0", "-i", "60000",
             "--"] + LOOP)
recs = [json.loads(l) for l in r.stderr.splitlines() if l.startswith("{")]
qzt.check(not recs, "perfeval goes to stderr as text in the CLI")

# --clock-offset: every time shifted by N ns.
OFF = 1000000000000
before = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
r = qzt.run(["trace", "-e", GETPPID, "--json", "--clock-offset", str(OFF), "-N", "5",
             "--"] + LOOP)
after = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
ev = [j for j in qzt.json_lines(r.stdout) if j.get("type") == "event"]
qzt.check_eq(len(ev), 5, "-N 5 events")
qzt.check(all(before + OFF <= e["ts"] <= after + OFF for e in ev),
          f"times shifted by {OFF}: {[e['ts'] for e in ev]} vs [{before}, {after}]")
r = qzt.run(["trace", "-e", GETPPID, "--clock-offset", "0xffffffffffffffff", "-N", "1",
             "--json", "--"] + LOOP)
qzt.check(r.returncode == 0 and '"type":"event"' in r.stdout, "a hex offset (-1) is taken")

# --kvmclock: refused, saying why and what to use.
r = qzt.run(["trace", "-e", GETPPID, "--kvmclock", "8ab13543-95fc-4a78-9056-d605a03e9033",
             "-N", "1"])
qzt.check(r.returncode != 0 and "--kvmclock" in r.stderr and "--clock-offset" in r.stderr,
          f"--kvmclock refused: {r.stderr!r}")

# stat --period: hrcount's counts per period, each interval exactly -i / --period.
# A workload (counted with its children only: others on this shared machine
# call getppid too) that waits, calls, and waits again.
r = qzt.run(["stat", "-e", GETPPID, "--period", "200ms", "-i", "1000", "--json", "--",
             "sh", "-c", f"sleep 1.2; {' '.join(LOOP)}; sleep 1.3"])
recs = [j for j in qzt.json_lines(r.stdout) if j.get("type") == "stat"]
qzt.check(len(recs) >= 2, f"stat records: {len(recs)} ({r.stderr!r})")
total = 0
for rec in recs[:-1]:
    c = rec["counters"][0]
    qzt.check_eq(len(c["periods"]), 5, "periods per 1 s interval of 200 ms")
    qzt.check_eq(sum(c["periods"]), c["value"], "the periods add up to the interval")
    total += c["value"]
total += recs[-1]["counters"][0]["value"] if recs else 0
qzt.check(N <= total <= N + 10, f"stat counted the load: {total}")
busy = [p for rec in recs for p in rec["counters"][0]["periods"] if p >= N // 4]
qzt.check(len(busy) in (1, 2), f"the load falls in one or two periods: {busy}")

r = qzt.run(["stat", "-e", GETPPID, "--period", "2s", "-i", "1000"], timeout=30)
qzt.check(r.returncode != 0 and "--period" in r.stderr, "--period longer than -i refused")

# --cgroups A,B (names under the cgroup v2 mount, as perf-prof's): the events
# of both cgroups, none of the rest.
root = None
with open("/proc/self/mounts") as f:
    for line in f:
        if line.split()[2] == "cgroup2":
            root = line.split()[1]
            break
if not root:
    print("cgroup v2 is not mounted: --cgroups list not checked")
else:
    groups = [f"qzt-{os.getpid()}-{c}" for c in "ab"]
    for g in groups:
        os.makedirs(f"{root}/{g}", exist_ok=True)
    try:
        q = subprocess.Popen([qzt.QUAZAR, "stat", "-e", GETPPID, "--cgroups",
                              ",".join(groups), "--json"], stdout=subprocess.PIPE, text=True)
        time.sleep(1.0)
        for g, n in ((groups[0], 2000), (groups[1], 3000), (None, 1000)):
            cmd = f"echo $$ > {root}/{g}/cgroup.procs; " if g else ""
            subprocess.run(["sh", "-c", cmd + f"exec {qzt.prog('getppid_loop')} {n}"],
                           check=True, stdout=subprocess.DEVNULL)
        time.sleep(0.3)
        q.terminate()
        out, _ = q.communicate(timeout=30)
        recs = [j for j in qzt.json_lines(out) if j.get("type") == "stat"]
        got = sum(r["counters"][0]["value"] for r in recs)
        qzt.check_eq(got, 5000, "--cgroups a,b counts both cgroups' calls only")
    finally:
        for g in groups:
            try:
                os.rmdir(f"{root}/{g}")
            except OSError:
                pass
qzt.done()
