"""Read quazar's flame graph SVGs back: frames with their path from the root,
samples, geometry and fill, so tests can hold them against the folded counts."""
import bisect
import re
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"
XPAD = 10


class Frame:
    def __init__(self, g):
        title = g.find(NS + "title").text
        rect = g.find(NS + "rect")
        m = re.match(r"^(.*) \(([\d,]+) (.+?), ([\d.]+)%(?:; (\w+) ([\d,]+), self ([-+]\d+), total ([-+]\d+))?\)$",
                     title, re.S)
        assert m, f"unexpected title {title!r}"
        self.name = m.group(1)
        self.title_n = int(m.group(2).replace(",", ""))
        self.pct = float(m.group(4))
        self.other = int(m.group(6).replace(",", "")) if m.group(6) else None
        self.self_delta = int(m.group(7)) if m.group(7) else None
        self.o = int(g.get("data-o"))
        self.n = int(g.get("data-n"))
        self.merged = g.get("class") == "m"
        self.x = float(rect.get("x"))
        self.y = int(rect.get("y"))
        self.w = float(rect.get("width"))
        self.fill = tuple(int(v) for v in re.findall(r"\d+", rect.get("fill")))
        text = g.find(NS + "text")
        self.text = text.text if text is not None else None
        self.path = None


def parse(path):
    """(root element, [Frame]) with each frame's path ("all" first) set."""
    root = ET.parse(path).getroot()
    frames = [Frame(g) for g in root.find(f"{NS}g[@id='frames']")]
    frames.sort(key=lambda f: (-f.y, f.o, -f.n))
    rows = {}  # y: (offsets, frames), sorted by offset
    for f in frames:
        offs, row = rows.get(f.y + 16, ([], []))
        # The parent: the last frame of the row below starting at or before f.
        i = bisect.bisect_right(offs, f.o) - 1
        while i >= 0 and not (row[i].o <= f.o and f.o + f.n <= row[i].o + row[i].n):
            i -= 1
        f.path = (row[i].path if i >= 0 else ()) + (f.name,)
        r = rows.setdefault(f.y, ([], []))
        r[0].append(f.o)
        r[1].append(f)
    return root, frames


def folded_totals(lines, strip_kernel=True):
    """{path: samples through it} of folded lines, "all" at the root."""
    totals = {}
    for line in lines:
        stack, n = line.rsplit(" ", 1)
        path = ("all",)
        totals[path] = totals.get(path, 0) + int(n)
        for frame in stack.split(";"):
            if strip_kernel and frame.endswith("_[k]"):
                frame = frame[:-4]
            path += (frame,)
            totals[path] = totals.get(path, 0) + int(n)
    return totals


def width_of(root):
    return int(root.get("width"))
