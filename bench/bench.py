"""Benchmark: readiness on synthetic histories against a bare `mkdocs build` of the same release pages.

    .venv/bin/python bench/bench.py                   # 100 and 1000 releases, 3 runs each
    .venv/bin/python bench/bench.py --sizes 100 --runs 1

Prints medians: full build wall time, rebuild time after adding one results file, generator time without
MkDocs (load, evaluate, render), chart time, peak memory of the build process, site size, largest
release page, and the baseline's build time and peak memory (a bare `mkdocs build` with Material of the
same release pages as plain Markdown tables, default navigation), measured in the same invocation so
the ratio is meaningful on a noisy machine. `--no-baseline` skips the baseline (at 10,000 releases its
navigation makes it take hours).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from synth import add_release, write_baseline, write_history  # noqa: E402

ENV = dict(os.environ, NO_MKDOCS_2_WARNING="1", SOURCE_DATE_EPOCH="1795824000")
MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(code, elapsed, peak)
"""


def timed(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of a command, measured by a small wrapper process of its own."""
    out = subprocess.run([sys.executable, "-c", MEASURE, *cmd], cwd=cwd, env=ENV, capture_output=True, text=True,
                         check=True).stdout.split()
    if out[0] != "0":
        raise SystemExit(f"command failed: {' '.join(cmd)}")
    return float(out[1]), int(out[2]) / 1024


def generator_time(history: Path) -> tuple[float, float]:
    """Seconds to load, evaluate and render every page without MkDocs, and seconds for the charts alone."""
    from generator.cli_common import tune_gc
    from generator.merge import default_today
    from generator.pages import SiteData, site_outputs
    from generator.project import load_project
    from generator.site import render_outputs

    os.environ.update(ENV)
    tune_gc()  # as the command line does
    start = time.perf_counter()
    project = load_project(history)
    site = SiteData.of_project(project, default_today())
    for _ in render_outputs(site_outputs(site)):
        pass
    total = time.perf_counter() - start
    try:
        from generator.charts import all_charts
    except ImportError:
        return total, float("nan")
    start = time.perf_counter()
    all_charts(site.evaluations)
    return total, time.perf_counter() - start


def size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def bench(n: int, runs: int, baseline: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"readiness-bench-{n}-") as tmp:
        tmp = Path(tmp)
        history = tmp / "history"
        write_history(history, n)
        readiness = [sys.executable, "-m", "generator", "build", "--root", str(history)]
        builds = [timed(readiness, ROOT) for _ in range(runs)]
        rebuilds = []
        for i in range(runs):  # one more release each time, as a team adds its next results file
            add_release(history, n + i)
            rebuilds.append(timed(readiness, ROOT))
        gens = [generator_time(history) for _ in range(runs)]
        site = history / "site"
        pages = list((site / "releases").glob("*/index.html"))
        row = {
            "releases": n,
            "build_s": statistics.median(b[0] for b in builds),
            "rebuild_s": statistics.median(b[0] for b in rebuilds),
            "generator_s": statistics.median(g[0] for g in gens),
            "charts_s": statistics.median(g[1] for g in gens),
            "peak_mb": statistics.median(b[1] for b in builds),
            "site_mb": size_mb(site),
            "page_kb": max(p.stat().st_size for p in pages) / 1024,
        }
        if baseline:
            base = tmp / "baseline"
            write_baseline(base, history)
            mkdocs = [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(base / "mkdocs.yml")]
            bases = [timed(mkdocs, base) for _ in range(runs)]
            row["baseline_s"] = statistics.median(b[0] for b in bases)
            row["baseline_mb"] = statistics.median(b[1] for b in bases)
            row["ratio"] = row["build_s"] / row["baseline_s"]
        return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    cols = ["releases", "build_s", "rebuild_s", "generator_s", "charts_s", "peak_mb", "site_mb", "page_kb"]
    if not args.no_baseline:
        cols += ["baseline_s", "baseline_mb", "ratio"]
    print(" | ".join(cols))
    for n in (int(s) for s in args.sizes.split(",")):
        row = bench(n, args.runs, not args.no_baseline)
        print(" | ".join(f"{row[c]:.2f}" if isinstance(row[c], float) else str(row[c]) for c in cols), flush=True)


if __name__ == "__main__":
    main()
