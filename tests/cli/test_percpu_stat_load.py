#!/usr/bin/env python3
"""percpu-stat: `touch_pages 5000` on CPU 0 faults in 5000 pages, and
`getppid_loop 50000` there makes 50000 system calls: CPU 0's minflt and
syscalls columns count at least that many (other tasks add their own)."""
import subprocess
import tempfile
import time
from qzt import *

require_root()
out_f, err_f = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
q = subprocess.Popen([QUAZAR, "percpu-stat", "--syscalls", "--json", "-i", "300"],
                     stdout=out_f, stderr=err_f, text=True)
time.sleep(1.0)
subprocess.run(["taskset", "-c", "0", prog("touch_pages"), "5000"], check=True)
subprocess.run(["taskset", "-c", "0", prog("getppid_loop"), "50000"], check=True)
time.sleep(0.7)
q.terminate()
q.wait(timeout=30)
out_f.seek(0)
err_f.seek(0)
out, err = out_f.read(), err_f.read()
check_eq(q.returncode, 0, f"exit status (stderr: {err})")
reps = [r for r in json_lines(out) if r.get("type") == "percpu_stat"]
check(len(reps) >= 4, f"a report per 300 ms: {len(reps)}")
cpu0 = [c for r in reps for c in r["cpus"] if c["cpu"] == 0]
check(sum(c["minflt"] for c in cpu0) >= 5000, f"CPU 0 minflt >= 5000: {sum(c['minflt'] for c in cpu0)}")
check(sum(c["syscalls"] for c in cpu0) >= 50000, "CPU 0 syscalls >= 50000")
check(all(k in cpu0[0] for k in ("csw", "cpu-mig", "majflt", "hardirq", "softirq", "hrtimer", "idle")),
      f"the columns: {sorted(cpu0[0]) if cpu0 else None}")
check({c["cpu"] for r in reps for c in r["cpus"]} >= {0}, "CPUs reported")
r = run(["percpu-stat", "-p", "1"])
check(r.returncode != 0 and "-C" in r.stderr, f"CPUs only: {r.stderr}")
done()
