"""Loading in worker processes gives what loading in one process gives: the same problems, pages and order."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

from generator.parallel import MIN_ITEMS, parallel_map

from test_cache import tree


_BARRIER = None
_MET = False


def _pid_after_meeting(_x: int) -> int:
    """The worker's pid; its first call waits until the other worker arrives, so one fast worker cannot take
    every chunk on a loaded machine."""
    global _MET
    if not _MET:
        _MET = True
        _BARRIER.wait(timeout=60)
    return os.getpid()


def test_parallel_map_keeps_order_and_uses_several_processes(monkeypatch):
    global _BARRIER
    monkeypatch.setenv("READINESS_JOBS", "2")
    items = list(range(MIN_ITEMS * 3))
    assert parallel_map(lambda x: x * x, items) == [x * x for x in items]
    _BARRIER = multiprocessing.get_context("fork").Barrier(2)  # inherited by both forked workers
    pids = set(parallel_map(_pid_after_meeting, items))
    assert len(pids) == 2 and os.getpid() not in pids


def test_few_items_or_one_job_stay_in_this_process(monkeypatch):
    monkeypatch.setenv("READINESS_JOBS", "2")
    assert set(parallel_map(lambda _x: os.getpid(), list(range(MIN_ITEMS - 1)))) == {os.getpid()}
    monkeypatch.setenv("READINESS_JOBS", "1")
    assert set(parallel_map(lambda _x: os.getpid(), list(range(MIN_ITEMS * 2)))) == {os.getpid()}


def many_releases(project: Path, count: int) -> None:
    """`count` more results files, a few broken, and files the loader warns about between them."""
    template = (project / "results" / "1.1.0.yaml").read_text()
    for n in range(count):
        name = f"5.{n}.0"
        text = template.replace('release: "1.1.0"', f'release: "{name}"')
        if n % 17 == 3:
            text = text.replace("status: done", "status: finished", 1)  # an unknown status: an error
        if n % 23 == 5:
            text = text.replace("release:", "release: x\nrelease:", 1)  # a duplicate key: an error
        (project / "results" / f"{name}.yaml").write_text(text, encoding="utf-8")
    (project / "results" / ".draft.yaml").write_text("release: draft\n")  # hidden: a warning
    (project / "results" / "5.9.0.yml").write_text("release: 5.9.0\n")  # wrong suffix: an error between files


def run(project: Path, jobs: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, READINESS_JOBS=jobs)
    return subprocess.run([sys.executable, "-m", "generator", *args, "--root", str(project)], capture_output=True,
                          text=True, env=env)


def test_check_reports_the_same_problems_in_the_same_order_with_workers(project):
    many_releases(project, MIN_ITEMS * 2)
    one, two = run(project, "1", "check"), run(project, "2", "check")
    assert one.returncode == two.returncode == 1
    out = one.stdout + one.stderr
    assert out.count("finished") >= 5 and "hidden file" in out and out.count("duplicate") >= 4 and ".yml" in out
    assert (one.stdout, one.stderr) == (two.stdout, two.stderr)


def test_sites_built_with_and_without_workers_are_identical(project, tmp_path):
    many_releases(project, MIN_ITEMS * 2)
    for path in project.glob("results/5.*.yaml"):  # only warnings left: the site builds
        path.write_text(path.read_text().replace("status: finished", "status: done").replace("release: x\n", ""))
    (project / "results" / "5.9.0.yml").unlink()
    one = run(project, "1", "build", "--no-cache", "-d", str(tmp_path / "one"))
    two = run(project, "2", "build", "--no-cache", "-d", str(tmp_path / "two"))
    assert one.returncode == two.returncode == 0, one.stderr
    assert tree(tmp_path / "one") == tree(tmp_path / "two")
    assert one.stderr.splitlines()[:-1] == two.stderr.splitlines()[:-1]  # warnings; the last line has the time
