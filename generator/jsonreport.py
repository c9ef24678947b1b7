"""JSON reports (Lighthouse, k6) read so that every number knows where it stands, and is refused there
when it is not one a tool could have measured: not finite, negative, too large or thousands of digits long.
"""

from __future__ import annotations

import bisect
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from generator.report_common import fail as _fail
from generator.report_common import read_report
from generator.results import MAX_NUMBER_CHARS, MAX_VALUE

# Strings are skipped so that digits inside them are not taken for numbers; what remains are the
# numbers and constants in the order the decoder meets them.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|(-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|NaN|-?Infinity)', re.DOTALL)


class _Int(int):
    """An integer of the report, with its place among the report's numbers."""

    ordinal: int


class _Float(float):
    """A number of the report that is not a plain integer (or an integer too long to read as one)."""

    ordinal: int
    literal: str


@dataclass
class JsonReport:
    """A decoded report and what is needed to point at any of its numbers."""

    shown: str
    text: str
    data: object
    _offsets: Optional[list] = field(default=None, repr=False)
    _lines: Optional[list] = field(default=None, repr=False)

    def _where(self, value) -> tuple[str, int, int]:
        """(the number as written, line, col) of a number of this report."""
        if self._offsets is None:
            self._offsets = [(m.start(1), m.group(1)) for m in _TOKEN.finditer(self.text) if m.group(1)]
            self._lines = [i for i, ch in enumerate(self.text) if ch == "\n"]
        at, literal = self._offsets[value.ordinal]
        line = bisect.bisect_left(self._lines, at)
        col = at - (self._lines[line - 1] + 1 if line else 0)
        return literal, line + 1, col + 1

    def number(self, value: object, what: str, high: int = MAX_VALUE) -> Optional[float]:
        """A number from 0 to `high` as a float; None when the report holds no number there (missing, text,
        a boolean); refused with its position when it is one no tool measures."""
        if isinstance(value, bool) or not isinstance(value, (_Int, _Float)):
            return None
        literal, line, col = self._where(value)
        shown = literal if len(literal) <= 40 else f"{literal[:20]}… ({len(literal):,} characters)"
        if math.isnan(value):
            raise _fail(self.shown, f"{what}: `{shown}` is not a number", line, col)
        if value < 0:
            raise _fail(self.shown, f"{what}: `{shown}` is negative; in a real report it is 0 or more", line, col)
        if len(literal) > MAX_NUMBER_CHARS or not math.isfinite(value) or value > high:
            raise _fail(self.shown, f"{what}: `{shown}` is out of range; in a real report it is at most {high:,}",
                        line, col)
        return float(value)


def decode(text: str, shown: str) -> JsonReport:
    """The report's data, its numbers numbered in the order they appear (see JsonReport.number)."""
    count = [0]

    def numbered(kind, value, literal: str = ""):
        out = kind(value)
        out.ordinal = count[0]
        if kind is _Float:
            out.literal = literal
        count[0] += 1
        return out

    def parse_int(s: str):
        # Python refuses to read integers of more than 4,300 digits; no measurement has more than a few.
        return numbered(_Int, s) if len(s) <= MAX_NUMBER_CHARS else numbered(_Float, math.inf, s)

    def parse_float(s: str):
        return numbered(_Float, float(s) if len(s) <= MAX_NUMBER_CHARS else math.inf, s)

    def parse_constant(name: str):
        return numbered(_Float, float(name.replace("Infinity", "inf")), name)

    try:
        data = json.loads(text, parse_int=parse_int, parse_float=parse_float, parse_constant=parse_constant)
    except json.JSONDecodeError as exc:
        raise _fail(shown, f"invalid JSON: {exc.msg}", exc.lineno, exc.colno)
    except RecursionError:
        raise _fail(shown, "invalid JSON: nested too deeply")
    return JsonReport(shown, text, data)


def read_json(path: Path, shown: str) -> JsonReport:
    """A JSON report file decoded: UTF-8 (a BOM is allowed), not empty, every number placed."""
    data = read_report(path, shown)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _fail(shown, f"byte 0x{data[exc.start]:02x} is not valid UTF-8; JSON reports are UTF-8", line, col)
    if not text.strip():
        raise _fail(shown, "the report is empty")
    return decode(text, shown)
