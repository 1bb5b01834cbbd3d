#!/usr/bin/env python3
"""blktrace on a loop device of the test's own: dio_write makes N direct,
synchronous 4 KiB writes, 64 KiB apart; each is one request through every
stage the loop device has (it issues directly: no scheduler insert)."""
import shutil
import subprocess
import tempfile
import time
from qzt import *

require_root()
if not shutil.which("losetup") or not os.path.exists("/dev/loop-control"):
    print("skipped: no loop devices (losetup, /dev/loop-control)")
    sys.exit(SKIP)
N = 50
img = tempfile.NamedTemporaryFile(prefix="qz_blk_", suffix=".img", dir="/tmp", delete=False)
img.truncate(64 << 20)
img.close()
r = subprocess.run(["losetup", "-f", "--show", img.name], capture_output=True, text=True)
if r.returncode:
    os.unlink(img.name)
    print(f"skipped: losetup cannot attach a loop device: {r.stderr.strip()}")
    sys.exit(SKIP)
loop = r.stdout.strip()
try:
    time.sleep(1.0)  # let udev's probe of the new device finish
    q = subprocess.Popen([QUAZAR, "blktrace", "-d", loop, "--json", "-i", "60000", "--than", "1ns"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    w = subprocess.run([prog("dio_write"), loop, str(N)])
    check_eq(w.returncode, 0, "dio_write")
    time.sleep(0.5)
    q.terminate()
    out, err = q.communicate(timeout=60)
    check_eq(q.returncode, 0, f"exit status (stderr: {err})")
    recs = json_lines(out)
    final = [x for x in recs if x.get("type") == "blktrace" and x["final"]]
    slow = [x for x in recs if x.get("type") == "blktrace_slow"]
    check_eq(len(final), 1, "one final report")
    rep = final[0] if final else {"stages": []}
    st = {(s["from"], s["to"], s["whole"]): s for s in rep["stages"]}
    whole = [s for s in rep["stages"] if s["whole"]]
    check_eq(len(whole), 1, f"one kind of whole life: {whole}")
    if whole:
        check_eq(whole[0]["calls"], N, "whole lives")
        check_eq(whole[0]["than"], N, "each over --than 1ns")
    done_ = st.get(("rq_issue", "rq_complete", False))
    check(done_ and done_["calls"] == N, f"issue => complete for each write: {done_}")
    check(all(s["calls"] == N for s in rep["stages"]), f"every stage seen once per write: {rep['stages']}")
    check(any(s["from"] == "bio_queue" for s in rep["stages"]), "bios were queued")
    check(done_ and 0 < done_["min"] <= done_["p50"] <= done_["max"], "ordered statistics")
    check_eq(len(slow), N, "--than prints each slow request")
    check(all(x["complete"]["event"] == "block:block_rq_complete" for x in slow), "at completion")
    check_eq(rep.get("dev"), (7 << 20) | int(loop.replace("/dev/loop", "")), "the kernel's dev_t")

    r = run(["blktrace", "-d", "/dev/null"])
    check(r.returncode != 0 and "not a block device" in r.stderr, f"/dev/null refused: {r.stderr!r}")
    r = run(["blktrace", "-d", loop, "--", "true"])
    check(r.returncode != 0 and "whole device" in r.stderr, f"-- cmd refused: {r.stderr!r}")
    r = run(["blktrace"])
    check(r.returncode != 0 and "-d /dev/sda" in r.stderr, f"-d required: {r.stderr!r}")
finally:
    subprocess.run(["losetup", "-d", loop])
    os.unlink(img.name)
done()
