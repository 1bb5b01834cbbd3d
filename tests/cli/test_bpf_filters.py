#!/usr/bin/env python3
"""perf-prof's BPF filters, each on a load it must keep or drop, counted
against an unfiltered instance over the same load at the same time:
--irqs_disabled, --tif_need_resched, --exclude_pid, --nr_running_min/max,
--sched_policy and --prio on profile (cpu-clock, a BPF program deciding in
the kernel), and the tracepoint forms on trace (common_flags, the pid)."""
import collections
import os
from qzt import *
from qzbpf import Gated, comm_samples, final, require_bpf, run_over

require_bpf()
# The loads inherit this nice: at 0 they have prio 120, as --prio 120 expects
# (a niced test run would give them 130). Root may lower it.
os.setpriority(os.PRIO_PROCESS, 0, 0)
F = ["-F", "499", "-g", "--json", "-i", "100000"]


def profile(pids, *extra):
    return ["profile", "-p", ",".join(str(p) for p in pids)] + F + list(extra)


def counts(results, comms):
    """Per instance, the samples of each comm."""
    out = []
    for rc, o, e in results:
        check_eq(rc, 0, f"exit status (stderr: {e[-500:]})")
        rec = final(o)
        out.append({c: comm_samples(rec, c) for c in comms})
    return out


def kept(what, got, base):
    check(base > 50, f"{what}: the unfiltered run saw the load ({base} samples)")
    check(got >= 0.9 * base, f"{what}: kept ({got} of {base})")


def dropped(what, got, base):
    check(got <= max(2, 0.02 * base), f"{what}: dropped ({got} left of {base})")


# --irqs_disabled: a user-space spinner always runs with interrupts on.
s = Gated("spin_irq", 600, cpu=1)
none, on, off = counts(run_over([s], [profile([s.pid]), profile([s.pid], "--irqs_disabled=0"),
                                       profile([s.pid], "--irqs_disabled")]), ["spin_irq"])
kept("--irqs_disabled=0 on a spinner", on["spin_irq"], none["spin_irq"])
dropped("--irqs_disabled on a spinner", off["spin_irq"], none["spin_irq"])

# --tif_need_resched: a spinner in user space has it set only when a tick
# that ended its slice ran just before the sample: rarely. The two forms
# split the samples between them.
s = Gated("spin_tif", 600, cpu=1)
none, clear, set_ = counts(run_over([s], [profile([s.pid]),
                                           profile([s.pid], "--tif_need_resched=0"),
                                           profile([s.pid], "--tif_need_resched")]), ["spin_tif"])
kept("--tif_need_resched=0 on a spinner", clear["spin_tif"], none["spin_tif"])
check(set_["spin_tif"] <= 0.1 * none["spin_tif"],
      f"--tif_need_resched on a spinner: mostly dropped ({set_['spin_tif']} of {none['spin_tif']})")
check(abs(set_["spin_tif"] + clear["spin_tif"] - none["spin_tif"]) <= 0.05 * none["spin_tif"],
      f"--tif_need_resched and =0 add up: {set_['spin_tif']} + {clear['spin_tif']} vs {none['spin_tif']}")

# --exclude_pid: two spinners, one excluded.
a, b = Gated("spin_a", 600, cpu=0), Gated("spin_b", 600, cpu=1)
none, excl = counts(run_over([a, b], [profile([a.pid, b.pid]),
                                      profile([a.pid, b.pid], "--exclude_pid", str(a.pid))]),
                    ["spin_a", "spin_b"])
dropped("--exclude_pid A: A", excl["spin_a"], none["spin_a"])
kept("--exclude_pid A: B", excl["spin_b"], none["spin_b"])

# --nr_running_min/max: two spinners sharing CPU 0 make its runqueue 2 or more.
a, b = Gated("spin_q1", 500, cpu=0), Gated("spin_q2", 500, cpu=0)
none, most, least = counts(run_over([a, b], [profile([a.pid, b.pid]),
                                             profile([a.pid, b.pid], "--nr_running_max", "1"),
                                             profile([a.pid, b.pid], "--nr_running_min", "2")]),
                           ["spin_q1", "spin_q2"])
both = lambda c: c["spin_q1"] + c["spin_q2"]
dropped("--nr_running_max 1 with two spinners on a CPU", both(most), both(none))
kept("--nr_running_min 2 with two spinners on a CPU", both(least), both(none))

# --sched_policy and --prio: a SCHED_FIFO spinner (priority 10: kernel prio 89)
# beside a normal one (nice 0: prio 120).
rt, nrm = Gated("spin_fifo", 500, cpu=1, fifo=10), Gated("spin_norm", 500, cpu=0)
pids = [rt.pid, nrm.pid]
none, fifo, normal, rtprio, prio120 = counts(run_over([rt, nrm], [
    profile(pids), profile(pids, "--sched_policy", "1"), profile(pids, "--sched_policy", "0"),
    profile(pids, "--prio", "0-99"), profile(pids, "--prio", "120")]), ["spin_fifo", "spin_norm"])
kept("--sched_policy 1: the FIFO spinner", fifo["spin_fifo"], none["spin_fifo"])
dropped("--sched_policy 1: the normal spinner", fifo["spin_norm"], none["spin_norm"])
kept("--sched_policy 0: the normal spinner", normal["spin_norm"], none["spin_norm"])
dropped("--sched_policy 0: the FIFO spinner", normal["spin_fifo"], none["spin_fifo"])
kept("--prio 0-99: the FIFO spinner", rtprio["spin_fifo"], none["spin_fifo"])
dropped("--prio 0-99: the normal spinner", rtprio["spin_norm"], none["spin_norm"])
kept("--prio 120: the normal spinner", prio120["spin_norm"], none["spin_norm"])
dropped("--prio 120: the FIFO spinner", prio120["spin_fifo"], none["spin_fifo"])

# trace on a sampled event (page-faults, every fault): the BPF program decides.
r = run(["trace", "-e", "page-faults", "--json", "--prio", "120", "--", prog("touch_pages"), "500"])
n = len([x for x in json_lines(r.stdout) if x.get("type") == "event"])
check(r.returncode == 0 and n >= 500, f"trace --prio 120 keeps a nice-0 program's faults: {n} {r.stderr}")
r = run(["trace", "-e", "page-faults", "--json", "--prio", "0-99", "--", prog("touch_pages"), "500"])
n = len([x for x in json_lines(r.stdout) if x.get("type") == "event"])
check(r.returncode == 0 and n == 0, f"trace --prio 0-99 drops them: {n} {r.stderr}")

# trace of a profiler run as an event source: its events take the program too.
def nested(*extra):
    r = run(["trace", "-e", "profile/-F 499/"] + list(extra) + ["--", prog("spin"), "500"])
    check_eq(r.returncode, 0, f"trace -e profile {extra} exit status ({r.stderr})")
    return r.stdout.count("profile(cpu-clock)")


check(nested("--prio", "120") >= 100, "trace --prio 120 keeps the samples of profile inside it")
check_eq(nested("--prio", "0-99"), 0, "trace --prio 0-99 drops them")
r = run(["trace", "-e", "profile/-F 499 --prio 120/", "--prio", "120", "--", prog("spin"), "10"])
check(r.returncode != 0 and "once" in r.stderr, f"filters given twice refused: {r.stderr!r}")

# trace on tracepoints: sched_switch always runs with interrupts off.
def switches(*extra):
    r = run(["trace", "-e", "sched:sched_switch", "--json"] + list(extra) +
             ["--", prog("sleeper"), "50", "1"])
    check_eq(r.returncode, 0, f"trace {extra} exit status ({r.stderr})")
    return len([x for x in json_lines(r.stdout) if x.get("type") == "event"])


check(switches("--irqs_disabled") >= 50, "--irqs_disabled keeps sched_switch")
check_eq(switches("--irqs_disabled=0"), 0, "--irqs_disabled=0 drops sched_switch")

# --exclude_pid on a tracepoint: a spinner beside a sleeper on CPU 0; the
# sleeper's own switches go, the spinner's stay.
spinner = Gated("spin_side", 700, cpu=0)
sleeper = Gated("sleep_side", 0, cpu=0, base="sleeper", args=["100", "2"])
tr = ["trace", "-e", "sched:sched_switch", "-C", "0", "--json"]
res = run_over([spinner, sleeper], [tr, tr + ["--exclude_pid", str(sleeper.pid)]])
per = []
for rc, o, e in res:
    check_eq(rc, 0, f"trace exit status ({e[-300:]})")
    per.append(collections.Counter(x["pid"] for x in json_lines(o) if x.get("type") == "event"))
check(per[0][sleeper.pid] >= 100, f"the sleeper switched out: {per[0][sleeper.pid]}")
check_eq(per[1][sleeper.pid], 0, "--exclude_pid: none of the sleeper's switches")
check(per[1][spinner.pid] >= 0.9 * per[0][spinner.pid] and per[0][spinner.pid] > 20,
      f"--exclude_pid: the spinner's switches stay ({per[1][spinner.pid]} of {per[0][spinner.pid]})")

# --tif_need_resched on a tracepoint: a wakeup storm on one CPU, split by the flag.
def wakeups(*extra):
    r = run(["trace", "-e", "sched:sched_wakeup", "-C", "0", "--json"] + list(extra) +
             ["--", "taskset", "-c", "0", prog("pingpong"), "5000"])
    check_eq(r.returncode, 0, f"trace {extra} exit status ({r.stderr})")
    return len([x for x in json_lines(r.stdout) if x.get("type") == "event"])


total, with_, without = wakeups(), wakeups("--tif_need_resched"), wakeups("--tif_need_resched=0")
check(with_ > 0 and without > 0, f"wakeups with and without need-resched: {with_}, {without}")
check(abs(with_ + without - total) <= 0.25 * total,
      f"the two add up to the whole: {with_} + {without} vs {total}")

# The task filters are refused on tracepoints, with why.
r = run(["trace", "-e", "sched:sched_switch", "--sched_policy", "1", "--", "true"])
check(r.returncode != 0 and "every perf user" in r.stderr, f"refused on tracepoints: {r.stderr!r}")
# Bad values name the option.
for bad in (["--irqs_disabled=2"], ["--prio", "150"], ["--prio", "5-1"], ["--exclude_pid", "x"],
            ["--nr_running_min", "3", "--nr_running_max", "1"], ["--sched_policy", "9"]):
    r = run(["profile"] + bad + ["--", "true"])
    check(r.returncode != 0 and bad[0].split("=")[0] in r.stderr, f"{bad} refused: {r.stderr!r}")
done()
