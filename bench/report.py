"""Write bench/RESULTS.md from the measurements of bench/run.sh.

Usage: report.py MEASUREMENTS.tsv META.txt SIZES.txt DATA_DIR
"""
import math
import os
import statistics
import sys
from collections import defaultdict

tsv, meta_path, sizes_path, data = sys.argv[1:5]

meta = {}
with open(meta_path, encoding="utf-8") as f:
    for line in f:
        k, _, v = line.rstrip("\n").partition("=")
        meta[k] = v

runs = defaultdict(list)  # (scale, form, tool) -> [(wall, rss, exit, cpu)]
with open(tsv, encoding="utf-8") as f:
    next(f)
    for line in f:
        scale, form, tool, _run, wall, rss, code, cpu = line.rstrip("\n").split("\t")
        runs[(scale, form, tool)].append((float(wall), int(rss), int(code), float(cpu)))


def yaml_bytes(path):
    total = files = 0
    for dirpath, _dirs, names in os.walk(path):
        for n in names:
            if n.endswith((".yml", ".yaml")):
                total += os.path.getsize(os.path.join(dirpath, n))
                files += 1
    return total, files


class Timeout:
    def __init__(self, seconds):
        self.seconds = seconds


def med(key):
    r = runs.get(key)
    if not r:
        return None
    if any(code == 124 for _w, _r, code, _c in r):
        return Timeout(max(w for w, *_ in r))
    return (
        statistics.median(w for w, *_ in r),
        max(rs for _w, rs, *_ in r),
        len(r),
        statistics.median(c for *_, c in r),
    )


def secs(t):
    return f"{t * 1000:.1f} ms" if t < 1 else f"{t:.2f} s"


def fmt_t(x):
    if x is None:
        return "n/a"
    if isinstance(x, Timeout):
        return f"> {x.seconds:.0f} s (timeout)"
    return secs(x[0])


def fmt_mb(kb):
    return f"{kb / 1024:.1f} MB"


def ratio(a, b):
    if isinstance(a, Timeout) and isinstance(b, tuple) and b[0]:
        return f"> {a.seconds / b[0]:.0f}x"
    if not isinstance(a, tuple) or not isinstance(b, tuple) or b[0] == 0:
        return "n/a"
    return f"{a[0] / b[0]:.2f}x"


def fit(points):
    """Least-squares slope of log(time) against log(size)."""
    pts = [(math.log(s), math.log(t)) for s, t in points if s > 0 and t > 0]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    den = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / den if den else None


scales = sorted({int(k[0]) for k in runs if k[0].isdigit()})
forms = ["compose", "kustomize"]
tools = ["envparity", "envparity-report", "limit", "limit-1-thread", "limit-events", "deepdiff", "checkov"]

out = []
w = out.append
w("# Benchmark results")
w("")
w("Written by `bench/run.sh` from a real run; do not edit the tables by hand. The analysis at the")
w("end comes from `bench/analysis.md`, written for the run recorded here.")
w("")
w("## Machine and versions")
w("")
w(f"- CPU: {meta.get('cpu_model')}, {meta.get('cores')} cores; memory {meta.get('memory')}; {meta.get('kernel')}")
w(f"- Load before: `{meta.get('uptime_before', '').strip()}`")
w(f"- Load after: `{meta.get('uptime_after', '').strip()}`")
w(f"- {meta.get('envparity')}; {meta.get('rustc')}; saphyr-parser {meta.get('saphyr_parser')}")
w(f"- {meta.get('python')}; deepdiff {meta.get('deepdiff', 'not run')}; PyYAML {meta.get('pyyaml', 'not run')}; checkov {meta.get('checkov', 'not run')}")
w(f"- Each time is the median of {meta.get('runs')} runs after one warm-up run (Python peers: {meta.get('peer_runs')} runs after a warm-up, 1 run without warm-up at the largest scale); peak RSS is the largest of those runs (GNU time `%M`). Run on {meta.get('date')}.")
w("")
w("Tools: **envparity** = `envparity check REPO --format json`, the whole process; **report** =")
w("`envparity report REPO --format json` (the full document, every setting), its wall time and peak RSS;")
w("both run with `--max-file-size 268435456`, as the 30,000-object Compose base is over the 16 MiB default; **limit** =")
w("`envparity-limit REPO`: read every YAML file of the repository and parse it with envparity's YAML")
w("reader (saphyr-parser events into the span tree), nothing else, spread over the cores;")
w("envparity CPU = user + system time (median), which the machine's load inflates less than wall time;")
w("**limit-1-thread** = the same on one thread; **limit-events** = saphyr-parser's event stream only,")
w("no tree; **deepdiff** = `bench/peers/deepdiff_compare.py` on the rendered staging and production")
w("manifests (PyYAML load + DeepDiff); **checkov** = `checkov -d REPO --quiet --compact -o json`.")
w("")

for form in forms:
    if not any(k[1] == form for k in runs):
        continue
    w(f"## {form.capitalize()} repositories")
    w("")
    w("| objects/env | YAML files | YAML size | envparity | envparity CPU | peak RSS | RSS / input | limit | envparity / limit | report | report RSS | report / limit | limit 1 thread | limit events | deepdiff | deepdiff / envparity | checkov | checkov / envparity |")
    w("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    ep_points, limit_points = [], []
    for n in scales:
        size, files = yaml_bytes(os.path.join(data, str(n), form))
        m = {t: med((str(n), form, t)) for t in tools}
        ep = m["envparity"]
        rss = fmt_mb(ep[1]) if isinstance(ep, tuple) else "n/a"
        rss_ratio = f"{ep[1] * 1024 / size:.2f}x" if isinstance(ep, tuple) and size else "n/a"
        if isinstance(ep, tuple) and n >= 100:
            ep_points.append((size, ep[0]))
        if isinstance(m["limit"], tuple) and n >= 100:
            limit_points.append((size, m["limit"][0]))
        w(
            f"| {n:,} | {files:,} | {size / 1e6:.2f} MB | {fmt_t(ep)} | {secs(ep[3]) if isinstance(ep, tuple) else 'n/a'} | {rss} | {rss_ratio} | {fmt_t(m['limit'])} | {ratio(ep, m['limit'])} "
            f"| {fmt_t(m['envparity-report'])} | {fmt_mb(m['envparity-report'][1]) if isinstance(m['envparity-report'], tuple) else 'n/a'} | {ratio(m['envparity-report'], m['limit'])} "
            f"| {fmt_t(m['limit-1-thread'])} | {fmt_t(m['limit-events'])} | {fmt_t(m['deepdiff'])} | {ratio(m['deepdiff'], ep)} "
            f"| {fmt_t(m['checkov'])} | {ratio(m['checkov'], ep)} |"
        )
    w("")
    e1, e2 = fit(ep_points), fit(limit_points)
    w(f"Scaling exponent (least-squares slope of log time against log YAML size, 100 to {scales[-1]:,} objects): "
      f"envparity **{e1:.3f}**" if e1 is not None else "Scaling exponent: n/a (it needs envparity times at two scales from 100 objects up).")
    if e2 is not None:
        w(f"; limit {e2:.3f}.")
    w("")

ex = sorted(k for k in runs if k[0] == "example")
if ex:
    w("## Bundled examples")
    w("")
    floor = med(("floor", "true", "true"))
    has_floor = isinstance(floor, tuple)
    if has_floor:
        w(f"Harness floor: `/bin/true` measured the same way (`date`, `timeout`, GNU `time`) takes "
          f"{fmt_t(floor)}; the last column is envparity's wall time minus that floor.")
        w("")
    w("| example | envparity check --format json (wall) | CPU (user + system) | peak RSS | wall minus harness floor |")
    w("|---|---:|---:|---:|---:|")
    for k in ex:
        m = med(k)
        ok = isinstance(m, tuple)
        net = fmt_t((max(m[0] - floor[0], 0.0),) + m[1:]) if ok and has_floor else "n/a"
        w(f"| {k[1]} | {fmt_t(m)} | {secs(m[3]) if ok else 'n/a'} | {fmt_mb(m[1]) if ok else 'n/a'} | {net} |")
    w("")

analysis = os.path.join(os.path.dirname(os.path.abspath(__file__)), "analysis.md")
if os.path.exists(analysis):
    with open(analysis, encoding="utf-8") as f:
        w(f.read().rstrip("\n"))
    w("")

print("\n".join(out))
