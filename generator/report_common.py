"""What a report format for `readiness record` is made of, and the reading steps all formats share.

A format is one module (report_junit, report_lighthouse, report_k6) holding a `FORMAT`: its command-line
option, the slots it can set (each with a default item), a parser from file to summary, and the findings a
summary gives for each slot. generator/reports.py lists the formats; `record` and its CLI iterate that list.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from generator.errors import InputError, Location, Problem
from generator.source import read_regular

MAX_REPORT_BYTES = 200 * 1024 * 1024  # Lighthouse reports with screenshots reach tens of MB; JUnit files more


@dataclass(frozen=True)
class Slot:
    """One thing a report can set: its `--item` name, its default item id, and whether it takes a time."""

    name: str
    default: Optional[str]  # an id of checklists/production.md; None: --item is required
    criterion: bool  # takes a time criterion (a measured value) rather than a status


@dataclass(frozen=True)
class Finding:
    """What a report says for one slot: a status (`done`/`failed`) or a measured time, and the note to write."""

    slot: str
    note: str
    status: Optional[str] = None
    seconds: Optional[float] = None  # converted to the criterion's unit by record


@dataclass(frozen=True)
class ReportFormat:
    """One report format: `--NAME FILE` on the command line, the slots it sets and how to read it."""

    name: str
    help: str  # the option's help text
    slots: tuple[Slot, ...]
    parse: Callable[[Path, str], object]  # (file, the path as shown in messages) -> summary; raises InputError
    findings: Callable[[object], list[Finding]]  # summary -> one finding per slot


def fail(shown: str, message: str, line: int = 1, col: int = 1) -> InputError:
    """An input error at `shown:line:col`."""
    return InputError([Problem(Location(shown, line, col), message)])


def plural(n: int, word: str, many: Optional[str] = None) -> str:
    """`1 test`, `2 tests`, `1,204 failures`."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def read_report(path: Path, shown: str) -> bytes:
    """A report's bytes; a missing or oversized file, a link, a pipe or a device is an error at `shown:1:1`
    (read as inputs are: a report may be a file a pull request added, and a pipe would block)."""
    if not os.path.lexists(path):
        raise fail(shown, "no such report file")
    if path.is_dir() and not path.is_symlink():
        raise fail(shown, "is a directory; give the report file")
    return read_regular(path, shown, MAX_REPORT_BYTES, "reports are the output of one run", "reports")
