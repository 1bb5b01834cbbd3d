#!/usr/bin/env python3
"""Install the build into a temporary DESTDIR and use only that tree, as a
user of libquazar would: the layout (library with its soname, headers,
libquazar.pc, quazar, docs, a man page per profiler), both examples built
with `cc ... $(pkg-config --cflags --libs libquazar)`, then run against a
workload this test builds: count_tracepoint must count exactly its N
getppid calls, print_samples must decode the tracepoint's fields and name
the workload's function in the user stack. quazar-fleet is where the
installed quazar looks for it: `quazar agent --help` runs it.

Environment (set by tests/install/meson.build): MESON, BUILD_ROOT,
SOURCE_ROOT, CC and QUAZAR_FLEET.
"""
import glob
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

from qzt import SKIP, check, check_eq, done, json_lines

BUILD = os.environ["BUILD_ROOT"]
SRC = os.environ["SOURCE_ROOT"]
CC = shlex.split(os.environ.get("CC", "cc"))
CFLAGS = ["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-O1", "-g"]
N = 5000
EVENT = "syscalls:sys_enter_getppid"
# Where meson installs quazar-fleet, compiled into quazar (meson.build).
FLEET = os.environ["QUAZAR_FLEET"]
# What only agent, ingest and fleet need: quazar must not load them.
FLEET_LIBS = ["librdkafka", "libcurl", "libmicrohttpd", "libyaml", "libsystemd", "libjson-c"]


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=120, **kw)


def must(r, what):
    """A step the rest depends on: stop at its failure, with its output."""
    if r.returncode != 0:
        print(f"FAIL: {what} (exit {r.returncode}):\n{r.stdout}{r.stderr}", file=sys.stderr)
        sys.exit(1)
    return r


def check_layout(root, prefix, libdir):
    top = root + prefix
    lib = os.path.join(root + libdir, "libquazar.so")
    for path in ["bin/quazar", "include/quazar/quazar.h", "share/doc/quazar/README.md"]:
        check(os.path.isfile(os.path.join(top, path)), f"{path} installed")
    check(os.path.isfile(os.path.join(root + libdir, "libquazar.a")), "libquazar.a installed")
    dyn = must(run(["readelf", "-d", lib]), "readelf -d libquazar.so").stdout
    soname = re.search(r"\(SONAME\)\s+Library soname: \[(.+)\]", dyn)
    check(soname and soname.group(1) == "libquazar.so.0", f"soname libquazar.so.0 ({soname})")
    check(os.path.exists(os.path.join(root + libdir, "libquazar.so.0")), "libquazar.so.0 link")
    for md in glob.glob(os.path.join(SRC, "docs", "*.md")):
        path = os.path.join(top, "share/doc/quazar", os.path.basename(md))
        check(os.path.isfile(path), f"{os.path.basename(md)} installed in share/doc/quazar")
    # A page per profiler the installed binary knows, and quazar.1.
    names = must(run([os.path.join(top, "bin/quazar"), "man", "--list"]),
                 "installed quazar man --list").stdout.split()
    check(len(names) >= 8, f"quazar man --list names the profilers: {names}")
    for page in ["quazar"] + ["quazar-" + n for n in names]:
        check(os.path.isfile(os.path.join(top, "share/man/man1", page + ".1")),
              f"man page {page}.1 installed")


def check_fleet(dest, prefix):
    """quazar-fleet installed at FLEET, and quazar without the libraries it carries."""
    fleet = dest + FLEET
    if not check(os.access(fleet, os.X_OK), f"quazar-fleet installed at {FLEET}"):
        return
    libs = must(run(["ldd", os.path.join(dest + prefix, "bin/quazar")]), "ldd quazar").stdout
    check(not [lib for lib in FLEET_LIBS if lib in libs],
          f"the installed quazar loads none of {FLEET_LIBS}: {libs}")
    r = run([fleet, "agent", "--help"])
    check(r.returncode == 0 and r.stdout.startswith("usage: quazar agent"),
          f"quazar-fleet agent --help: {r.returncode} {r.stdout[:200]!r} {r.stderr!r}")


def in_namespace(mount, argv):
    """argv run after `mount` in a mount namespace of its own, so the
    host's tree is left as it is."""
    return run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                mount + ' && exec "$@"', "sh"] + argv)


def check_fleet_exec(dest, prefix):
    """The installed `quazar agent --help` runs quazar-fleet from FLEET, the
    path compiled in: seen where the staged tree covers the host's from the
    first folder of FLEET that exists. Where FLEET is missing, a clear error
    and 127."""
    quazar = os.path.join(dest + prefix, "bin/quazar")
    top = os.path.dirname(FLEET)
    while not os.path.isdir(top):
        top = os.path.dirname(top)
    # Covering / or /usr would hide the loader and libc; covering an
    # ancestor of dest, dest itself.
    if top in ("/", "/usr") or (dest + "/").startswith(top + "/") or not shutil.which("unshare"):
        print(f"skipped: the installed quazar agent --help (it would cover {top})")
        return
    r = in_namespace(f"mount --bind {shlex.quote(dest + top)} {shlex.quote(top)}",
                     [quazar, "agent", "--help"])
    check(r.returncode == 0 and r.stdout.startswith("usage: quazar agent"),
          f"installed quazar agent --help: {r.returncode} {r.stdout[:200]!r} {r.stderr!r}")
    r = in_namespace(f"mount -t tmpfs none {shlex.quote(top)}", [quazar, "agent", "--help"])
    beside = os.path.join(dest + prefix, "bin/quazar-fleet")
    check(r.returncode == 127 and beside in r.stderr and FLEET in r.stderr and
          "make install" in r.stderr,
          f"no quazar-fleet: exit 127, both paths and the fix named: {r.returncode} {r.stderr!r}")


def check_count(tool, workload, env):
    r = run([tool, "--json", EVENT, "--", workload, str(N)], env=env)
    if r.returncode != 0 and "unknown tracepoint" in r.stderr:
        print(f"skipped: the kernel has no {EVENT} (CONFIG_FTRACE_SYSCALLS): {r.stderr}")
        sys.exit(SKIP)
    check_eq(r.returncode, 0, f"count_tracepoint exit status (stderr: {r.stderr})")
    recs = json_lines(r.stdout)
    if not check_eq(len(recs), 1, "count_tracepoint --json prints one line"):
        return
    rec = recs[0]
    print(f"count_tracepoint: {r.stdout.strip()}")
    check_eq(rec.get("event"), EVENT, "the event counted")
    check_eq(rec.get("total"), N, "events counted for N getppid calls")
    check_eq(rec.get("lost"), 0, "nothing lost")
    check_eq(sum(rec.get("cpus", {}).values()), N, "per-CPU counts add up to N")
    check_eq(len(rec.get("cpus", {})), os.cpu_count(), "one count per online CPU")
    # The text form says the same.
    r = run([tool, EVENT, "--", workload, "100"], env=env)
    check(re.search(r"^total\s+100$", r.stdout, re.M), f"text total of 100 calls: {r.stdout!r}")


def check_samples(tool, workload, env):
    calls = 3
    r = run([tool, EVENT, "--", workload, str(calls)], env=env)
    check_eq(r.returncode, 0, f"print_samples exit status (stderr: {r.stderr})")
    head = re.compile(r"^pid (\d+)/(\d+) cpu \d+ \d+\.\d{6}: " + EVENT +
                      r" __syscall_nr=(\d+)$")
    samples, frames = [], []
    for line in r.stdout.splitlines():
        m = head.match(line)
        if m:
            samples.append(m)
            frames.append([])
        elif line.startswith("\t") and frames:
            frames[-1].append(line.strip())
        else:
            check(False, f"print_samples line neither a sample nor a frame: {line!r}")
    print("print_samples, its first sample:\n" + "\n".join(r.stdout.splitlines()[:5]))
    check_eq(len(samples), calls, "one sample per getppid call")
    check_eq(len({m.group(1) for m in samples}), 1, "one traced pid")
    if platform.machine() == "x86_64":
        check(all(m.group(3) == "110" for m in samples), "__syscall_nr is getppid's, 110")
    want = re.compile(r"^[0-9a-f]{16} qz_install_loop\+0x[0-9a-f]+ \(workload\)$")
    check(frames and all(any(want.match(f) for f in fr) for fr in frames),
          f"every stack names the workload's qz_install_loop: {frames[:1]}")


def check_bpf(dest, prefix, libdir, pc_dir, tmp, env):
    """libquazar-bpf from the installed tree: its header, library and .pc
    (which requires libquazar's), and the BPF example built on it, run on the
    installed example object."""
    obj = os.path.join(dest + prefix, "share/quazar/faults.bpf.o")
    if not os.path.exists(os.path.join(pc_dir, "libquazar-bpf.pc")):
        check(False, "libquazar-bpf.pc installed (libbpf-dev missing at build time?)")
        return
    check(os.path.isfile(os.path.join(dest + prefix, "include/quazar/bpf.h")), "quazar/bpf.h installed")
    check(os.path.isfile(os.path.join(dest + libdir, "libquazar-bpf.so.0")), "libquazar-bpf.so.0 installed")
    pkg = must(run(["pkg-config", "--define-variable=prefix=" + dest + prefix, "--cflags", "--libs",
                    "libquazar-bpf"], env=dict(os.environ, PKG_CONFIG_PATH=pc_dir)),
               "pkg-config libquazar-bpf")
    flags = shlex.split(pkg.stdout)
    check("-lquazar-bpf" in flags and "-lquazar" in flags, f"Libs name both libraries: {flags}")
    exe = os.path.join(tmp, "faults")
    must(run(CC + CFLAGS + ["-o", exe, os.path.join(SRC, "examples/bpf/faults.c")] + flags),
         "build examples/bpf/faults.c against the installed tree")
    if not os.path.isfile(obj):
        check(False, f"{obj} installed (no clang, bpftool or BTF at build time?)")
        return
    r = run([exe, obj, "1", "page-faults//period=8/"], env=env)
    check(r.returncode == 0 and "faults (hash):" in r.stdout and "after 1 s:" in r.stdout,
          f"the installed example runs: {r.stdout[-300:]!r} {r.stderr!r}")


def main():
    # meson points this at the build tree: only the installed tree may be used.
    os.environ.pop("LD_LIBRARY_PATH", None)
    tmp = tempfile.mkdtemp(prefix="qz-install-")
    try:
        dest = os.path.join(tmp, "dest")
        must(run([os.environ["MESON"], "install", "-C", BUILD, "--no-rebuild", "--quiet",
                  "--destdir", dest]), "meson install --destdir")
        pcs = glob.glob(os.path.join(dest, "**", "pkgconfig", "libquazar.pc"), recursive=True)
        if not check_eq(len(pcs), 1, "one libquazar.pc installed"):
            return
        pc_dir = os.path.dirname(pcs[0])
        with open(pcs[0]) as f:
            prefix = re.search(r"^prefix=(.*)$", f.read(), re.M).group(1)
        libdir = os.path.dirname(pc_dir)[len(dest):]
        check_layout(dest, prefix, libdir)
        check_fleet(dest, prefix)
        print(f"installed under {dest}, prefix {prefix}, libdir {libdir}")

        # pkg-config of the staged tree: its prefix moved under DESTDIR.
        pkg = must(run(["pkg-config", "--define-variable=prefix=" + dest + prefix,
                        "--cflags", "--libs", "libquazar"],
                       env=dict(os.environ, PKG_CONFIG_PATH=pc_dir)), "pkg-config libquazar")
        flags = shlex.split(pkg.stdout)
        check("-I" + dest + prefix + "/include" in flags, f"Cflags name the installed headers: {flags}")
        check("-L" + dest + libdir in flags and "-lquazar" in flags, f"Libs: {flags}")
        for ex in ["count_tracepoint", "print_samples"]:
            must(run(CC + CFLAGS + ["-o", os.path.join(tmp, ex),
                                    os.path.join(SRC, "examples", ex + ".c")] + flags),
                 f"build {ex} against the installed tree")
        workload = os.path.join(tmp, "workload")
        must(run(CC + ["-O0", "-g", "-fno-omit-frame-pointer", "-o", workload,
                       os.path.join(SRC, "tests/install/workload.c")]), "build the workload")

        if os.geteuid() != 0:
            print("skipped: running the examples needs root (perf_event_open of tracepoints)")
            sys.exit(SKIP)
        check_fleet_exec(dest, prefix)
        env = dict(os.environ, LD_LIBRARY_PATH=dest + libdir)
        ldd = run(["ldd", os.path.join(tmp, "count_tracepoint")], env=env).stdout
        check(dest + libdir + "/libquazar.so.0" in ldd, f"the examples load the installed library: {ldd}")
        check_count(os.path.join(tmp, "count_tracepoint"), workload, env)
        check_samples(os.path.join(tmp, "print_samples"), workload, env)
        check_bpf(dest, prefix, libdir, pc_dir, tmp, env)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


main()
done()
