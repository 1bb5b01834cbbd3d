"""SIGUSR1 prints each profiler's state, SIGUSR2 quazar's own usage, both to
stderr and without stopping it; SIGHUP ends the run with its final report;
--usage-self prints the usage line periodically; -V prints the version.
The agent survives SIGUSR1 and SIGUSR2 and logs its usage on the latter."""
import os
import signal
import subprocess
import sys
import time

import qzt

qzt.require_root()
LEAK = "kmem:kmalloc//ptr=ptr/size=bytes_alloc/"

# profiler args, what its SIGUSR1 answer must hold (beyond the session's line)
CASES = [
    (["trace", "-e", "syscalls:sys_enter_getppid"], None),
    (["top", "-e", "syscalls:sys_enter_getppid", "-i", "60000"], "COUNT"),
    (["stat", "-e", "syscalls:sys_enter_getppid", "-i", "60000"], "interval so far"),
    (["multi-trace", "-e", "syscalls:sys_enter_getppid", "-e", "syscalls:sys_exit_getppid",
      "-i", "60000"], "multi-trace pending:"),
    (["kmemleak", "--alloc", LEAK, "--free", "kmem:kfree//ptr=ptr/", "-i", "60000"],
     "LEAKED BYTES REPORT"),
    (["task-state", "-i", "60000"], "task-state filters:"),
    (["profile", "-i", "60000"], None),
]


def load(n=2000):
    """Run the getppid load; its pid."""
    p = subprocess.Popen(["taskset", "-c", "0", qzt.prog("getppid_loop"), str(n)],
                         stdout=subprocess.DEVNULL)
    qzt.check_eq(p.wait(), 0, "the getppid load's exit status")
    return p.pid


for args, want in CASES:
    name = args[0]
    # stdout to a file: a full pipe would block quazar, and the test with it.
    outf = open(f"/tmp/qzt-signals-{os.getpid()}.out", "w+")
    q = subprocess.Popen([qzt.QUAZAR] + args, stdout=outf,
                         stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    load_pid = load()
    for sig in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGUSR1, signal.SIGUSR2):
        q.send_signal(sig)
        time.sleep(0.3)
    qzt.check(q.poll() is None, f"{name}: still running after SIGUSR1/SIGUSR2")
    q.send_signal(signal.SIGHUP)
    _, err = q.communicate(timeout=60)
    outf.seek(0)
    out = outf.read()
    outf.close()
    os.unlink(outf.name)
    qzt.check_eq(q.returncode, 0, f"{name}: exit status after SIGHUP")
    qzt.check_eq(err.count("quazar status:"), 2, f"{name}: SIGUSR1 status lines")
    qzt.check_eq(err.count("quazar usage:"), 2, f"{name}: SIGUSR2 usage lines")
    if want:
        qzt.check(want in err, f"{name}: SIGUSR1 shows {want!r}: {err[-600:]!r}")
    # The second usage line covers the time since the first: ~0.6 s.
    lines = [l for l in err.splitlines() if l.startswith("quazar usage:")]
    if len(lines) == 2:
        span = float(lines[1].split(" over ")[1].split(" s,")[0])
        qzt.check(0.4 < span < 3, f"{name}: usage covers the time since the last: {lines[1]}")
    if name == "top":
        # The status rows are not reset: the final report (at SIGHUP) has the
        # load's row, by pid (its comm may show taskset's, which exec'd it).
        rows = [l.split() for l in out.splitlines()]
        qzt.check(any(r[0] == str(load_pid) and r[-1] == "2000" for r in rows if r),
                  f"top: final report after SIGHUP has pid {load_pid}: {out[-400:]!r}")
    if name == "trace":
        qzt.check(out.count("sys_enter_getppid") >= 2000, "trace: events before SIGHUP")

# --usage-self MS: the usage line every MS
q = subprocess.Popen([qzt.QUAZAR, "trace", "-e", "syscalls:sys_enter_getppid",
                      "--usage-self", "300"], stdout=subprocess.DEVNULL,
                     stderr=subprocess.PIPE, text=True)
time.sleep(0.5)
load(3000)
time.sleep(1.3)
q.terminate()
_, err = q.communicate(timeout=30)
usage = [l for l in err.splitlines() if l.startswith("quazar usage:")]
qzt.check(4 <= len(usage) <= 9, f"--usage-self 300 over ~1.8 s: {len(usage)} lines")
events = sum(int(l.split("(")[2].split(" events")[0]) for l in usage)
qzt.check(events >= 3000, f"--usage-self counts the events read: {events}")

# -V, --version: quazar's and any profiler's
for argv in (["-V"], ["--version"], ["trace", "-V"], ["top", "--version"]):
    r = qzt.run(argv)
    qzt.check(r.returncode == 0 and r.stdout.startswith("quazar "), f"{argv}: {r.stdout!r}")

# The agent: USR1 logs status, USR2 its usage; neither kills it.
a = subprocess.Popen([qzt.QUAZAR, "agent"], stdout=subprocess.DEVNULL,
                     stderr=subprocess.PIPE, text=True)
time.sleep(1.5)
for sig in (signal.SIGUSR2, signal.SIGUSR1, signal.SIGUSR2):
    a.send_signal(sig)
    time.sleep(0.4)
qzt.check(a.poll() is None, "agent: alive after SIGUSR1/SIGUSR2")
a.terminate()
_, err = a.communicate(timeout=60)
qzt.check_eq(a.returncode, 0, f"agent exit status ({err[-500:]!r})")
qzt.check_eq(err.count("SIGUSR2: cpu"), 2, "agent: usage lines")
qzt.done()
