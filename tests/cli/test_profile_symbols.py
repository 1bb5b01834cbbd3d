#!/usr/bin/env python3
"""profile's symbols resolve for every process, whenever it lived. One
system-wide profile of CPU 0 sees, in turn:

1. a program that runs 50 ms and exits before the interval that names it;
2. a program that dlopens a library, burns CPU in it and dlcloses it;
3. a binary run from a tmpfs and deleted while it runs;
4. a program started through `taskset`, which must show as itself;
5. a binary on a tmpfs mounted in another mount namespace only, as in a
   container: quazar finds it through /proc/PID/root.

Each load has a name of its own (a copy of spin), so only what the test
caused is counted, whatever else the machine runs. The loads run at
SCHED_FIFO on CPU 0 (CPU 1's idle is silent on some hosts).
Then the same taskset case as a workload: `profile -- taskset ...`."""
import os
import shutil
import subprocess
import tempfile
import time
from qzt import *

require_root()
tmp = tempfile.mkdtemp(prefix="qz-syms-")
shm = tempfile.mkdtemp(prefix="qz-syms-", dir="/dev/shm")
tag = str(os.getpid() % 100000)
names = {k: f"qz{k}{tag}"[:15] for k in ("short", "dl", "del", "task", "ns")}


def copy_spin(name, where):
    path = os.path.join(where, name)
    shutil.copy(prog("spin"), path)
    os.chmod(path, 0o755)
    return path


def load(argv):
    return subprocess.run(["chrt", "-f", "1", "taskset", "-c", "0"] + argv, timeout=120)


def folded(path):
    stacks = {}
    try:
        with open(path) as f:
            for line in f.read().splitlines():
                stack, count = line.rsplit(" ", 1)
                stacks[stack] = stacks.get(stack, 0) + int(count)
    except OSError as e:
        check(False, f"{path}: {e}")
    return stacks


def of(stacks, comm):
    return {k: v for k, v in stacks.items() if k.split(";", 1)[0] == comm}


short = copy_spin(names["short"], tmp)
task = copy_spin(names["task"], tmp)
deleted = copy_spin(names["del"], shm)
flame = os.path.join(tmp, "cpu")

q = subprocess.Popen([QUAZAR, "profile", "-C", "0", "-F", "999", "-g", "--json", "-i", "500",
                      "--flame-graph", flame], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                     text=True)
q.stdout.readline()     # the first report: the events are on, /proc was read
try:
    # 1. 50 ms, then gone before the report that resolves it.
    load([short, "50"])
    # 2. A library mapped only while it runs.
    load([prog("dlopen_burn"), os.path.join(PROGS, "libqzburn.so"), "300"])
    # 3. Deleted while it runs: only /proc/PID/map_files still has it.
    p = subprocess.Popen(["chrt", "-f", "1", "taskset", "-c", "0", deleted, "1200"])
    time.sleep(0.2)
    os.unlink(deleted)
    p.wait(timeout=120)
    # 4. taskset execs the program: the stacks are the program's.
    subprocess.run(["taskset", "-c", "0", "chrt", "-f", "1", task, "300"], timeout=120)
    # 5. Mounted in its own mount namespace: the path means nothing here.
    nsdir = tempfile.mkdtemp(prefix="qz-syms-ns-")
    ns_bin = os.path.join(nsdir, names["ns"])
    subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                    f"mount -t tmpfs qzns {nsdir} && cp {prog('spin')} {ns_bin} && "
                    f"exec chrt -f 1 taskset -c 0 {ns_bin} 1200"], timeout=120)
    check(not os.path.exists(ns_bin), "5. the namespace's binary is not in ours")
    os.rmdir(nsdir)
    time.sleep(1.2)     # two reports after the last exit
finally:
    q.terminate()
    out, err = q.communicate(timeout=60)
check_eq(q.returncode, 0, f"exit status (stderr: {err[-2000:]})")
stacks = folded(flame + ".folded")

s = of(stacks, names["short"])
burn = sum(v for k, v in s.items() if k.endswith(";main;burn"))
check(burn >= 30, f"1. the 50 ms program: {burn} samples in main;burn (want >= 30): {s}")

d = of(stacks, "dlopen_burn")
lib = sum(v for k, v in d.items() if k.endswith(";lib_burn_loop;lib_burn_inner"))
check(lib >= 200, f"2. dlopen'd library: {lib} samples in lib_burn_loop;lib_burn_inner "
      f"(want >= 200 of 300 ms): {sorted(d.items(), key=lambda x: -x[1])[:5]}")

x = of(stacks, names["del"])
total = sum(x.values())
named = sum(v for k, v in x.items() if k.endswith(";main;burn"))
check(total >= 800 and named >= 0.9 * total,
      f"3. deleted binary: {named} of {total} samples in main;burn (want >= 90% of >= 800): "
      f"{sorted(x.items(), key=lambda x: -x[1])[:5]}")

t = of(stacks, names["task"])
tb = sum(v for k, v in t.items() if k.endswith(";main;burn"))
wrong = sum(v for k, v in stacks.items() if k.startswith("taskset;") and k.endswith(";burn"))
check(tb >= 200, f"4. taskset: {tb} samples under {names['task']};...;main;burn (want >= 200)")
check_eq(wrong, 0, "4. taskset: samples of burn() under the comm taskset")

n = of(stacks, names["ns"])
ns_total = sum(n.values())
ns_named = sum(v for k, v in n.items() if k.endswith(";main;burn"))
check(ns_total >= 800 and ns_named >= 0.9 * ns_total,
      f"5. other mount namespace: {ns_named} of {ns_total} samples in main;burn (want >= 90% "
      f"of >= 800): {sorted(n.items(), key=lambda x: -x[1])[:5]}")

print(f"50 ms program: {burn}; dlopen'd library: {lib}; deleted binary: {named}/{total}; "
      f"taskset: {tb} as itself, {wrong} as taskset; other mount namespace: {ns_named}/{ns_total}")
unknown = [r for r in json_lines(out) if r.get("type") == "profile"]
frames = sum(r.get("frames", 0) for r in unknown)
check(frames > 0 and all("unknown_frames" in r for r in unknown),
      f"reports count frames and unknown frames: {frames}")

# 6. The workload form: quazar starts taskset, which execs the program.
r = run(["profile", "-F", "199", "-g", "--json", "-i", "100000", "--flame-graph", flame,
         "--", "taskset", "-c", "0", task, "300"])
check_eq(r.returncode, 0, f"workload exit status (stderr: {r.stderr[-2000:]})")
w = folded(flame + ".folded")
good = sum(v for k, v in w.items() if k.startswith(names["task"] + ";") and k.endswith(";main;burn"))
bad = sum(v for k, v in w.items() if k.startswith("taskset;") and k.endswith(";burn"))
check(good >= 40 and bad == 0, f"6. workload through taskset: {good} as itself, {bad} as taskset")

shutil.rmtree(tmp, ignore_errors=True)
shutil.rmtree(shm, ignore_errors=True)
done()
