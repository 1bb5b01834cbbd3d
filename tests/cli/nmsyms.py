"""Symbol addresses of a test program built without PIE (nm), and which
function an address falls in."""
import subprocess


def symbols(path):
    out = subprocess.run(["nm", "-n", path], capture_output=True, text=True).stdout
    syms = []
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "tTbBdD":
            syms.append((int(f[0], 16), f[2]))
    return syms


def function_at(syms, addr):
    best = None
    for a, name in syms:
        if a <= addr:
            best = name
        else:
            break
    return best
