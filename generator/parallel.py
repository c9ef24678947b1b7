"""Order-preserving parallel map over worker processes, for loading many results files on several cores.

Workers are forked, so they start with the parent's checklists and tasks in memory and receive only an
index; only results travel back. Where fork is unavailable (Windows, macOS's default), with one core, with
few items, or with READINESS_JOBS=1, the map runs in this process. The output never depends on the
number of workers: results come back in input order. A worker that dies (killed, or out of memory) ends
the map with WorkerLost, never a hang or a traceback.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS = 48  # below this, starting workers costs more than it saves
_WORK: tuple = ()  # (function, items) of the running map, inherited by the forked workers


class WorkerLost(Exception):
    """A worker process ended before it returned its results (killed by a signal, or out of memory)."""


def job_count() -> int:
    """READINESS_JOBS if set, else the cores this process may use (at most 8)."""
    configured = os.environ.get("READINESS_JOBS", "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


def _run(index: int):
    fn, items = _WORK
    return fn(items[index])


def parallel_map(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """[fn(x) for x in items], spread over worker processes when that is worth it."""
    global _WORK
    jobs = min(job_count(), len(items) // (MIN_ITEMS // 2) or 1)
    if jobs < 2 or len(items) < MIN_ITEMS or "fork" not in multiprocessing.get_all_start_methods():
        return [fn(x) for x in items]
    _WORK = (fn, items)
    try:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            return list(pool.map(_run, range(len(items)), chunksize=max(1, len(items) // (jobs * 8))))
    except BrokenProcessPool:
        raise WorkerLost() from None
    finally:
        _WORK = ()
