"""multi-trace's table has the mean and standard deviation of each pair;
--only-than prints a table only when a latency exceeded it; every --detail
form perf-prof documents is taken, and -N, +N and samekey change what is
shown."""
import qzt

qzt.require_root()


def mt(extra, rounds="20 5"):
    return qzt.with_sleeper(rounds, lambda pid: [
        "multi-trace",
        "-e", f"sched:sched_switch/prev_pid=={pid} && prev_state==1/key=prev_pid/",
        "-e", f"sched:sched_switch/next_pid=={pid}/key=next_pid/,"
              f"sched:sched_wakeup/pid=={pid}/untraced/key=pid/"] + extra)


# Mean and standard deviation, in JSON (ns) and in the text table (us).
pid, q, out, err = mt(["--json"])
fin = [r for r in qzt.json_lines(out) if r.get("type") == "multi_trace" and r.get("final")]
p = fin[0]["pairs"][0] if fin and fin[0]["pairs"] else {}
qzt.check(p and abs(p["mean"] - p["total"] / p["calls"]) < 1, f"mean = total / calls: {p}")
qzt.check(p and 0 <= p["stddev"] < 2e6, f"stddev of 5 ms sleeps under 2 ms: {p}")
qzt.check(p and p["stddev"] <= p["max"] - p["min"], "stddev within the range")
pid, q, out, err = mt([])
head = [l for l in out.splitlines() if "start => end" in l]
row = [l for l in out.splitlines() if "sched_switch => sched_switch" in l]
qzt.check(head and head[0].split()[-2:] == ["avg(us)", "stddev(us)"], f"header: {head}")
if row:
    cols = row[-1].split()
    calls, total, avg = int(cols[3]), float(cols[4]), float(cols[-2])
    qzt.check(abs(avg - total / calls) < 0.01, f"avg(us) = total / calls: {row[-1]}")

# --only-than: no table when nothing exceeded, the table when something did.
pid, q, out, err = mt(["--only-than", "1s", "--json"], "10 5")
qzt.check_eq(q.returncode, 0, "--only-than 1s runs")
qzt.check(not [r for r in qzt.json_lines(out) if r.get("type") == "multi_trace"],
          "--only-than 1s: no table")
pid, q, out, err = mt(["--only-than", "4ms", "--json"], "10 5")
recs = qzt.json_lines(out)
qzt.check([r for r in recs if r.get("type") == "multi_trace"], "--only-than 4ms: a table")
qzt.check(len([r for r in recs if r.get("type") == "outlier"]) >= 9, "and its outliers")

# Every documented --detail form is taken.
for form in ["--detail", "--detail=samekey", "--detail=-100us", "--detail=+1ms",
             "--detail=samecpu", "--detail=samepid", "--detail=sametid", "--detail=1",
             "--detail=2", "--detail=hide<10us", "--detail=1ms",
             "--detail=-1ms,+500us,samecpu,samepid"]:
    pid, q, out, err = mt(["--than", "4ms", form], "5 5")
    qzt.check(q.returncode == 0 and out.count("\n> ") + out.startswith("> ") >= 4,
              f"{form}: outliers printed (rc {q.returncode}, {err[-200:]!r})")

# samekey keeps the untraced wakeup (same key) between event1 and event2.
pid, q, out, err = mt(["--than", "4ms", "--detail=samekey", "--json"], "5 5")
outl = [r for r in qzt.json_lines(out) if r.get("type") == "outlier"]
qzt.check(outl and all(any(d["event"] == "sched:sched_wakeup" for d in o["detail"])
                       for o in outl), "samekey: the wakeup of the same pid is shown")
# +N shows events after event2: with +1s the next switch-out follows.
pid, q, out, err = mt(["--than", "4ms", "--detail=+1s", "--json"], "5 5")
outl = [r for r in qzt.json_lines(out) if r.get("type") == "outlier"]
qzt.check(outl and any(o["detail"][-1]["time"] > o["event2"]["time"] for o in outl),
          "+1s: events after event2")
r = qzt.run(["multi-trace", "-e", "sched:sched_switch", "-e", "sched:sched_switch",
             "--than", "1ms", "--detail=bogus"], timeout=30)
qzt.check(r.returncode != 0 and "bogus" in r.stderr, "a bad --detail part is refused")
qzt.done()
