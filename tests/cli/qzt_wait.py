"""A load that waits for quazar: start a program paused on a CPU, learn its
pid, start quazar on that pid, then let the program run.

The program is `sh -c 'read x; exec PROG ARGS'`, so its pid is known (and
can go into filters) before it does anything; it runs on CPU 0 by default
(see qzt.with_sleeper: on these VMs CPU 1 leaving idle raises no
sched_switch).
"""
import subprocess
import tempfile
import time

from qzt import QUAZAR


def wait_blocked(pid, timeout=10.0):
    """Until pid is the shell and sleeps (in `read`): its start-up is over."""
    until = time.time() + timeout
    while time.time() < until:
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
            if stat.split(" (", 1)[1].startswith("sh)") and stat.rsplit(")", 1)[1].split()[0] == "S":
                return
        except OSError:
            return
        time.sleep(0.01)


def with_waiting(argv, quazar_args, cpu="0", fifo=None, settle=1.0, after=0.5,
                 timeout=60):
    """Run argv under quazar_args(pid). Returns (pid, quazar Popen, stdout, stderr).
    quazar starts once the shell waits in `read`, so what the shell did to
    start (dash calls getppid, for one) is not in its events."""
    cmd = ["taskset", "-c", cpu, "sh", "-c", "read x; exec " + " ".join(argv)]
    if fifo:
        cmd = ["chrt", "-f", str(fifo)] + cmd
    load = subprocess.Popen(cmd, stdin=subprocess.PIPE, text=True)
    wait_blocked(load.pid)
    # Files, not pipes: a pipe nobody reads until the end would stall quazar.
    out_f, err_f = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
    q = subprocess.Popen([QUAZAR] + quazar_args(load.pid), stdout=out_f, stderr=err_f,
                         text=True)
    try:
        time.sleep(settle)
        load.stdin.write("go\n")
        load.stdin.flush()
        load.wait(timeout=timeout)
        time.sleep(after)
    finally:
        if load.poll() is None:
            load.kill()
        q.terminate()
    q.wait(timeout=60)
    out_f.seek(0)
    err_f.seek(0)
    return load.pid, q, out_f.read(), err_f.read()


def run_for(args, seconds):
    """Run quazar with args for `seconds`, then stop it (SIGTERM). Returns
    (Popen, stdout, stderr); stdout goes through a file, never a full pipe."""
    out_f, err_f = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
    q = subprocess.Popen([QUAZAR] + args, stdout=out_f, stderr=err_f, text=True)
    time.sleep(seconds)
    q.terminate()
    q.wait(timeout=60)
    out_f.seek(0)
    err_f.seek(0)
    return q, out_f.read(), err_f.read()
