"""A load that waits for quazar: start a program paused on a CPU, learn its
pid, start quazar on that pid, then let the program run.

The program is `sh -c 'read x; exec PROG ARGS'`, so its pid is known (and
can go into filters) before it does anything; it runs on CPU 0 by default
(see qzt.with_sleeper: on these VMs CPU 1 leaving idle raises no
sched_switch).
"""
import subprocess
import time

from qzt import QUAZAR


def with_waiting(argv, quazar_args, cpu="0", fifo=None, settle=1.0, after=0.5,
                 timeout=60):
    """Run argv under quazar_args(pid). Returns (pid, quazar Popen, stdout, stderr)."""
    cmd = ["taskset", "-c", cpu, "sh", "-c", "read x; exec " + " ".join(argv)]
    if fifo:
        cmd = ["chrt", "-f", str(fifo)] + cmd
    load = subprocess.Popen(cmd, stdin=subprocess.PIPE, text=True)
    q = subprocess.Popen([QUAZAR] + quazar_args(load.pid), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
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
    out, err = q.communicate(timeout=60)
    return load.pid, q, out, err
