"""seq across agent restarts, with global.state_dir.

run1 and run2 share a state_dir: run2's seqs carry on from run1's last,
with no gap. A state file that does not hold a number is reported and the
collector starts again at 1; so does a state_dir that cannot be used.
"""
import json
import os
import signal
import time

from agentlib import (Agent, check, check_eq, done, require_root, workdir, write)

require_root()
d = workdir("restart-seq")
state = d + "/state"


def run(name, state_dir, seconds=1.0):
    out = f"{d}/{name}.jsonl"
    cfg = f"{d}/{name}.yaml"
    write(cfg, f"""global:
  host: {name}
  http_listen: "off"
  http_socket: "off"
  state_dir: {state_dir}
sinks:
  file:
    type: file
    path: {out}
collectors:
  - name: ticks
    profiler: stat
    events: [page-faults]
    interval: 100ms
    sink: file
""")
    agent = Agent(cfg)
    check(agent.wait_log(r"collector 'ticks' starts", 20), f"{name}: the agent started")
    time.sleep(seconds)
    check_eq(agent.stop(signal.SIGTERM), 0, f"{name}: exit status")
    with open(out) as f:
        seqs = [json.loads(line)["seq"] for line in f]
    check(len(seqs) >= 5, f"{name}: reports made: {len(seqs)}")
    check_eq(seqs, list(range(seqs[0], seqs[0] + len(seqs))) if seqs else [], f"{name}: seqs rise by one")
    check_eq(agent.final_seqs().get("ticks"), seqs[-1] if seqs else None, f"{name}: last seq logged")
    return agent, seqs


_, first = run("run1", state)
check_eq(first[:1], [1], "run1 starts at 1")
_, second = run("run2", state)
check_eq(second[:1], [first[-1] + 1] if first else [], "run2 carries on after run1's last seq")

with open(state + "/seq.ticks", "w") as f:
    f.write("garbage\n")
agent, third = run("run3", state)
check_eq(third[:1], [1], "a state file without a number: starts at 1")
check("does not hold a seq" in agent.text(), "the bad state file is reported:\n" + agent.text()[-800:])

blocker = d + "/not-a-dir"
open(blocker, "w").close()
agent, fourth = run("run4", blocker)
check_eq(fourth[:1], [1], "an unusable state_dir: starts at 1")
check("cannot keep its seq in " + blocker in agent.text(), "the state_dir is reported:\n" + agent.text()[-800:])
done()
