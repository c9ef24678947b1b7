"""Benchmark: readiness on synthetic histories against a bare `mkdocs build` of the same release pages.

    .venv/bin/python bench/bench.py                   # 100 and 1000 releases, 3 runs each
    .venv/bin/python bench/bench.py --sizes 100 --runs 1
    .venv/bin/python bench/bench.py --sizes 10000 --products 200 --runs 1 --no-baseline   # an organisation

Prints medians: full build wall time (with an empty build cache, as a first build), rebuild time after
adding one results file and after editing one (each with the cache of the build before), generator time (all a build does but run
MkDocs: load, evaluate, render, write the docs and exports) from nothing and as a rebuild (warm cache,
previous site), chart time, peak memory (resident, of the build and its worker processes together,
sampled every 0.1 s, and never less than the largest process's peak), site size and site bytes per
release (KB, everything in the site divided by the releases), largest release page,
and the baseline's build time and peak memory (a bare `mkdocs build` with Material of the same release
pages as plain Markdown tables, default navigation), measured in the same
invocation so the ratio is meaningful on a noisy machine. `--no-baseline` skips the baseline (at 10,000
releases its navigation makes it take hours). `--products N` spreads the releases over N product folders
of results/, as an organisation's services. Caches go to a temporary directory, never the user's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from synth import add_release, edit_release, write_baseline, write_history  # noqa: E402

ENV = dict(os.environ, NO_MKDOCS_2_WARNING="1", SOURCE_DATE_EPOCH="1795824000")
MEASURE = """
import os, resource, subprocess, sys, time

def tree_rss(root):
    # Resident memory of a process and all its descendants (readiness loads files in worker processes).
    children = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(pid))
        except (OSError, ValueError, IndexError):
            pass
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            pass
    return total

start = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
peak = 0
while proc.poll() is None:
    peak = max(peak, tree_rss(proc.pid))
    time.sleep(0.1)
elapsed = time.perf_counter() - start
single = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(proc.returncode, elapsed, max(peak, single))
"""


def timed(cmd: list[str], cwd: Path, cache: Path | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of a command, measured by a small wrapper process of its own."""
    env = dict(ENV, READINESS_CACHE_DIR=str(cache)) if cache else ENV
    out = subprocess.run([sys.executable, "-c", MEASURE, *cmd], cwd=cwd, env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    if out[0] != "0":
        raise SystemExit(f"command failed: {' '.join(cmd)}")
    return float(out[1]), int(out[2]) / 1e6


def generator_time(history: Path, cache_dir: Path | None = None) -> tuple[float, float]:
    """Seconds for what a build does besides running MkDocs (load, evaluate, render, write the docs and the
    exports into a temporary directory): from nothing, as a first build; or, given `cache_dir`, as a rebuild,
    with the build cache there (used, but left unchanged) and the history's site as the previous site;
    and seconds for the charts alone."""
    from generator import hookstate
    from generator.cache import Cache, NoCache
    from generator.cli_common import tune_gc
    from generator.merge import default_today
    from generator.pages import SiteData
    from generator.project import load_project
    from generator.site import PreviousSite, mkdocs_config, theme_key, write_docs

    os.environ.update(ENV)
    tune_gc()  # as the command line does
    with tempfile.TemporaryDirectory(prefix="readiness-bench-docs-") as tmp:
        work = Path(tmp)
        start = time.perf_counter()
        cache = Cache(history, cache_dir) if cache_dir else NoCache()
        project = load_project(history, cache)
        site = SiteData.of_project(project, default_today())
        store = cache.writer()
        config = mkdocs_config(site, work / "docs", work / "site")
        previous = PreviousSite(history / "site" if cache_dir else work / "none", cache)
        state = hookstate.BuildState(theme_key(config), cache, store, previous=previous)
        write_docs(site, work / "docs", cache, work / "static", store, state)
        previous.place(work / "site", store)  # a rebuild links the exports it did not write
        total = time.perf_counter() - start
        store.close(commit=False)
    try:
        from generator.charts import all_charts
    except ImportError:
        return total, float("nan")
    start = time.perf_counter()
    all_charts(site.evaluations)
    return total, time.perf_counter() - start


def generator_run(history: Path, cache_dir: Path | None = None) -> tuple[float, float]:
    """generator_time in a fresh process, as a build runs: nothing left over from an earlier measurement."""
    cmd = [sys.executable, __file__, "--generator-only", str(history)] + (["--cache", str(cache_dir)] if cache_dir else [])
    out = subprocess.run(cmd, env=ENV, capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), float(out[1])


def size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def bench(n: int, runs: int, baseline: bool, products: int = 1) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"readiness-bench-{n}-") as tmp:
        tmp = Path(tmp)
        history = tmp / "history"
        write_history(history, n, products=products)
        readiness = [sys.executable, "-m", "generator", "build", "--root", str(history)]
        cache = tmp / "cache"
        builds = []
        for i in range(runs):  # a first build each time: an empty cache
            shutil.rmtree(cache, ignore_errors=True)
            builds.append(timed(readiness, ROOT, cache))
        rebuilds = []
        for i in range(runs):  # one more release each time, as a team adds its next results file
            add_release(history, n + i, products)
            rebuilds.append(timed(readiness, ROOT, cache))
        edits = []
        for i in range(runs):  # one more item recorded in the newest release each time
            edit_release(history, n + runs - 1, products, i)
            edits.append(timed(readiness, ROOT, cache))
        gens = [generator_run(history) for _ in range(runs)]
        warm = [generator_run(history, cache) for _ in range(runs)]
        site = history / "site"
        pages = [p for p in (site / "releases").rglob("index.html") if (p.parent / "badge.svg").is_file()]
        row = {
            "releases": n,
            "build_s": statistics.median(b[0] for b in builds),
            "rebuild_s": statistics.median(b[0] for b in rebuilds),
            "edit_s": statistics.median(b[0] for b in edits),
            "generator_s": statistics.median(g[0] for g in gens),
            "gen_cached_s": statistics.median(g[0] for g in warm),
            "charts_s": statistics.median(g[1] for g in gens),
            "peak_mb": statistics.median(b[1] for b in builds),
            "site_mb": size_mb(site),
            "kb_per_release": size_mb(site) * 1000 / (n + runs),
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
    parser.add_argument("--products", type=int, default=1)
    parser.add_argument("--generator-only", type=Path, help=argparse.SUPPRESS)  # one generator_time, printed
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generator_only:
        print(*generator_time(args.generator_only, args.cache))
        return
    cols = ["releases", "build_s", "rebuild_s", "edit_s", "generator_s", "gen_cached_s", "charts_s", "peak_mb",
            "site_mb", "kb_per_release", "page_kb"]
    if not args.no_baseline:
        cols += ["baseline_s", "baseline_mb", "ratio"]
    print(" | ".join(cols))
    for n in (int(s) for s in args.sizes.split(",")):
        row = bench(n, args.runs, not args.no_baseline, args.products)
        print(" | ".join(f"{row[c]:.2f}" if isinstance(row[c], float) else str(row[c]) for c in cols), flush=True)


if __name__ == "__main__":
    main()
