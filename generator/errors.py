"""Locations and input problems: every mistake names `path:line:col` and is collected, not raised one by one."""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

# Problems shown per file: a file with thousands of mistakes (generated, or hostile) gives a report that fits on
# a screen, and the loaders skip their costly hints (did you mean ...) once a file has this many.
MAX_SHOWN_PER_FILE = 50


@dataclass(frozen=True, order=True, slots=True)
class Location:
    """A 1-based position in an input file; line 1, col 1 when the input has no position."""

    path: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Problem:
    """One message about an input, an error or a warning."""

    location: Location
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return printable(f"{self.location}: {prefix}{self.message}")

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def printable(text: str) -> str:
    """Text safe for one terminal line: control, format and separator characters shown as escapes."""
    return "".join(
        ch if ch == " " or unicodedata.category(ch)[0] not in "CZ" else (
            f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        for ch in text
    )


class UsageError(Exception):
    """A command-line argument that cannot be used (exit 2), as opposed to a problem in an input file."""


class InputError(Exception):
    """Raised when inputs hold errors; carries every problem found, so all are reported at once."""

    def __init__(self, problems: Iterable[Problem]):
        every = sorted_problems(problems)
        self.error_count = sum(1 for p in every if p.is_error)  # all of them, shown or not
        self.problems = capped(every)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class Problems:
    """Collects problems while a stage runs, then raises them together."""

    items: list[Problem] = field(default_factory=list)
    per_path: Counter = field(default_factory=Counter)

    def error(self, location: Location, message: str) -> None:
        self.items.append(Problem(location, message, "error"))
        self.per_path[location.path] += 1

    def warning(self, location: Location, message: str) -> None:
        self.items.append(Problem(location, message, "warning"))
        self.per_path[location.path] += 1

    def extend(self, problems: Iterable[Problem]) -> None:
        for p in problems:
            self.items.append(p)
            self.per_path[p.location.path] += 1

    def full(self, path: str) -> bool:
        """Whether `path` has more problems than are shown: further ones need no costly hint."""
        return self.per_path[path] >= MAX_SHOWN_PER_FILE

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if not p.is_error]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise InputError(self.items)


def sorted_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Problems in file order, duplicates dropped, so output is stable and readable."""
    seen: dict[tuple, Problem] = {}
    for p in problems:
        seen.setdefault((p.location, p.message, p.severity), p)
    return sorted(seen.values(), key=lambda p: (p.location, p.message))


def capped(problems: list[Problem]) -> list[Problem]:
    """The first MAX_SHOWN_PER_FILE problems of each file (in file order), then one line saying how many more."""
    shown: list[Problem] = []
    count: Counter = Counter()
    hidden: dict[str, list[Problem]] = {}
    for p in problems:
        count[p.location.path] += 1
        if count[p.location.path] <= MAX_SHOWN_PER_FILE:
            shown.append(p)
        else:
            hidden.setdefault(p.location.path, []).append(p)
    for path, rest in hidden.items():
        errors = sum(1 for p in rest if p.is_error)
        what = f"{len(rest):,} more problem{'s' if len(rest) != 1 else ''}"
        if errors and errors != len(rest):
            what += f" ({errors:,} error{'s' if errors != 1 else ''})"
        last = max(i for i, p in enumerate(shown) if p.location.path == path)
        shown.insert(last + 1, Problem(rest[0].location, f"and {what} in this file, not shown; fix the ones above "
                                       "and run `readiness check` again", "error" if errors else "warning"))
    return shown


def display_path(path: Path, root: Path) -> str:
    """The path as the user knows it: relative to the project root when inside it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
