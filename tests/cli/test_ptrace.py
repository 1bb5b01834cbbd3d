"""--ptrace follows the threads a process creates after the start; task-state
follows a -- cmd workload and its new threads (it used to refuse it)."""
import os
import subprocess
import time

import qzt

qzt.require_root()
GETPPID = "syscalls:sys_enter_getppid"


def threads_under(quazar_args, threads=3, rounds=10):
    """prog('threads') pinned to CPU 0, held until quazar runs; returns
    (its pid, the new threads' tids, quazar's stdout, stderr)."""
    fifo = f"/tmp/qzt-ptrace-{os.getpid()}"
    os.mkfifo(fifo)
    try:
        prog = subprocess.Popen(["taskset", "-c", "0", "sh", "-c",
                                 f"read x < {fifo}; exec {qzt.prog('threads')} "
                                 f"{threads} {rounds} 5 getppid"],
                                stdout=subprocess.PIPE, text=True)
        q = subprocess.Popen([qzt.QUAZAR] + quazar_args(prog.pid), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        with open(fifo, "w") as f:
            f.write("go\n")
        tids, _ = prog.communicate(timeout=60)
        time.sleep(0.5)
        q.terminate()
        out, err = q.communicate(timeout=30)
    finally:
        os.unlink(fifo)
    return prog.pid, [int(t) for t in tids.split()], out, err


# trace -p PID --ptrace: the getppid of the threads created after the start.
pid, tids, out, err = threads_under(lambda p: ["trace", "-e", GETPPID, "-p", str(p),
                                               "--ptrace"])
qzt.check_eq(len(tids), 3, "threads started")
for t in tids:
    qzt.check_eq(out.count(f"{pid}/{t} "), 10, f"--ptrace: getppid of new thread {t}")

# Without --ptrace, -p opens on the threads of the start only.
pid, tids, out, err = threads_under(lambda p: ["trace", "-e", GETPPID, "-p", str(p)])
qzt.check(all(out.count(f"/{t} ") == 0 for t in tids),
          f"without --ptrace the new threads are not followed: {out[-300:]!r}")

# -- cmd --ptrace: the workload's new threads get events of their own (no inherit).
r = qzt.run(["trace", "-e", GETPPID, "--ptrace", "--", "taskset", "-c", "0",
             qzt.prog("threads"), "3", "10", "5", "getppid"])
tids = [int(t) for t in r.stdout.split("\n") if t.strip().isdigit()]
qzt.check_eq(len(tids), 3, f"-- cmd --ptrace: threads ({r.stderr!r})")
for t in tids:
    qzt.check_eq(r.stdout.count(f"/{t} "), 10, f"-- cmd --ptrace: getppid of thread {t}")

# task-state -- cmd: the workload and each of its new threads, 10 sleeps of 5 ms each.
r = qzt.run(["task-state", "--perins", "--json", "--", "taskset", "-c", "0",
             qzt.prog("threads"), "3", "10", "5"])
qzt.check_eq(r.returncode, 0, f"task-state -- cmd: {r.stderr!r}")
tids = [int(t) for t in r.stdout.split("\n") if t.strip().isdigit()]
rows = [row for j in qzt.json_lines("\n".join(l for l in r.stdout.splitlines()
                                              if l.startswith("{")))
        if j.get("type") == "task_state" for row in j["rows"]]
qzt.check_eq(len(tids), 3, "the workload's threads")
for t in tids:
    s = [row for row in rows if row["tid"] == t and row["state"] == "S"]
    calls = sum(row["calls"] for row in s)
    qzt.check_eq(calls, 10, f"task-state -- cmd: S periods of new thread {t}")
    if s:
        qzt.check(4.5e6 < s[0]["mean"] < 20e6 and s[0]["stddev"] >= 0,
                  f"mean of 5 ms sleeps: {s[0]}")

# task-state -p PID --ptrace, and --ptrace with --filter refused.
pid, tids, out, err = threads_under(lambda p: ["task-state", "-p", str(p), "--ptrace",
                                               "--perins", "-i", "60000"])
for t in tids:
    line = [l for l in out.splitlines() if l.split()[:1] == [str(t)] and " S " in l]
    qzt.check(line and int(line[0].split()[3]) == 10,
              f"task-state --ptrace: thread {t}: {line}")
r = qzt.run(["task-state", "--ptrace", "--filter", "sh", "-i", "100"], timeout=30)
qzt.check(r.returncode != 0 and "--ptrace" in r.stderr, f"--ptrace --filter: {r.stderr!r}")
r = qzt.run(["trace", "-e", GETPPID, "--ptrace", "-N", "1"], timeout=30)
qzt.check(r.returncode != 0 and "--ptrace" in r.stderr, "--ptrace without a task refused")
qzt.done()
