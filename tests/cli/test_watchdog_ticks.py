#!/usr/bin/env python3
"""watchdog: the kernel's soft-lockup timer runs on each CPU every 2*thresh/5
seconds (4 s with watchdog_thresh 10) and kicks the CPU's stopper thread.
Over ~9.5 s each CPU shows its ticks that far apart, and as many stopper runs.
With --soft 3s below the tick period (made so by the test) each tick
after the first one whose stopper run was seen warns once: a soft lockup
coming, with the sampler's last stack. No real lockup can be made here (it
takes kernel code spinning with preemption off); tests/unit/test_watchdog.c
plays recorded lockups through the same logic."""
from qzt import *
from qzt_wait import run_for

require_root()


def proc(name):
    with open("/proc/sys/kernel/" + name) as f:
        return f.read().strip()


if proc("watchdog") != "1" or proc("soft_watchdog") != "1":
    print("skipped: the kernel's soft lockup watchdog is off (/proc/sys/kernel/watchdog)")
    raise SystemExit(SKIP)
thresh = int(proc("watchdog_thresh"))
tick = 2 * thresh / 5
q, out, err = run_for(["watchdog", "-C", "0", "-F", "5", "-g", "--soft", f"{int(tick * 750)}ms",
                       "--json", "-i", "60000"], 2 * tick + 1.5)
check_eq(q.returncode, 0, f"exit status (stderr: {err})")
recs = json_lines(out)
reps = [r for r in recs if r.get("type") == "watchdog"]
warns = [r for r in recs if r.get("type") == "lockup_warning"]
check_eq(len(reps), 1, "one final report (-i 60000)")
rep = reps[0] if reps else {"cpus": []}
check(rep.get("enabled") is True, "the kernel's watchdog is reported enabled")
check_eq(rep.get("thresh_s"), thresh, "watchdog_thresh")
check(rep.get("sampler") in ("cpu-clock", "cycles"), f"sampler: {rep.get('sampler')}")
cpu0 = [c for c in rep["cpus"] if c["cpu"] == 0]
check_eq(len(cpu0), 1, "CPU 0 reported (-C 0), and only it")
c = cpu0[0] if cpu0 else {}
check(c.get("ticks", 0) >= 2, f"two or more watchdog ticks: {c.get('ticks')}")
check(c.get("touches", 0) >= 2, f"a stopper run per tick: {c.get('touches')}")
check(tick * 0.95e9 <= c.get("max_tick_gap", 0) <= tick * 1.1e9,
      f"ticks {tick} s apart: {c.get('max_tick_gap', 0) / 1e9:.3f} s")
check(0 < c.get("max_stopper_age", 0) <= tick * 1.1e9,
      f"stopper runs {tick} s apart: {c.get('max_stopper_age', 0) / 1e9:.3f} s")
soft = [w for w in warns if w["kind"] == "soft"]
check(len(soft) >= 1, f"--soft below the tick period: warnings come ({len(soft)})")
check_eq(len(soft), c.get("soft_warnings"), "each warning counted in the report")
check(len(soft) <= c.get("ticks", 0), "at most one warning per tick")
check(all(w["cpu"] == 0 and tick * 0.75e9 < w["age_ns"] <= tick * 1.1e9 for w in soft),
      f"warned at a tick, the stopper last ran a tick ago: {[w['age_ns'] for w in soft]}")
check(all(w["kernel_limit_ns"] == 2 * thresh * 10**9 for w in soft), "the kernel's limit: 2*thresh")
check(all("sample" in w for w in soft), "each warning carries the CPU's last sample")
check(not [w for w in warns if w["kind"] == "hard"], "no hard lockup warning (timer on time)")

r = run(["watchdog", "-e", "sched:sched_switch"])
check(r.returncode != 0 and "-e" in r.stderr, f"-e refused: {r.stderr}")
done()
