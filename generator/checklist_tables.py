"""Table checklists: which tables hold items, each row's text and details, and the levels its marks give."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from generator.checklist_text import Text
from generator.ids import slugify

_VARIATION = re.compile("[\ufe0e\ufe0f]")
CHECKED = {"✓", "✔", "✅", "☑", "🗸", "☒", "x", "[x]", "yes", "y", "required", "req", "must", "●", "◉", "★", "+"}
UNCHECKED = {"☐", "⬜", "◻", "□", "[ ]", "[]", "❌", "✗", "✘", "×", "no", "n", "optional", "-", "–", "—", "○"}
_BOXES = {"☐", "⬜", "◻", "□", "[ ]", "[]"}
# What makes a table a checklist: a box or a tick, not a word or a dash; an `x` only where others are blank
# (a column of `[X]` everywhere is a template's stand-in for numbers).
_SYMBOLS = _BOXES | {"✓", "✔", "✅", "☑", "🗸", "☒", "❌", "✗", "✘"}
_WEAK = {"x", "[x]"}
# A column for the state of each row, left blank in a template: its rows are the checklist's items.
STATUS_WORDS = {"status", "done", "complete", "completed", "check", "checked", "verified", "tick", "ok", "state",
                "satisfied", "pass", "passed", "fail", "failed", "applicable", "result", "compliant", "signed"}


@dataclass
class Table:
    """A Markdown table as read: header cells and body rows of cells, with the line of each row."""

    heading: Optional[int]
    line: int
    header: list[Text]
    rows: list[tuple[int, list[Text]]] = field(default_factory=list)


@dataclass
class Row:
    """A table row that is an item: its text, other columns as (header, cell) details, and its levels."""

    line: int
    text: Text
    details: tuple[tuple[str, str], ...]
    levels: Optional[tuple[str, ...]]
    checked: bool


def mark(cell: Text) -> Optional[bool]:
    """True for a check mark, False for an empty box or blank, None for anything else."""
    text = _key(cell)
    if not text:
        return False
    if text in CHECKED:
        return True
    if text in UNCHECKED:
        return False
    return None


def _key(cell: Text) -> str:
    return _VARIATION.sub("", cell.plain).strip().strip("*_").strip().casefold()


def _marks_items(cells: list[Text]) -> bool:
    """Whether a column of marks says something: a box or tick, or an `x` beside blanks."""
    keys = [_key(cell) for cell in cells]
    return any(k in _SYMBOLS for k in keys) or (any(k in _WEAK for k in keys) and any(k not in _WEAK for k in keys))


def level_id(label: str, col: int) -> str:
    return slugify(label) or f"level-{col + 1}"


_ROW_NUMBER = re.compile(r"#?\d+[.)]?")  # dropped; other numbering (`1.2.3`, `V2.1`) is kept as a detail
_NUMBERING = re.compile(r"#?(?:[A-Za-z]{1,4}[-.]?)?\d+(?:\.\d+)*[.)]?")


def _is_number(cell: Text) -> bool:
    return bool(_NUMBERING.fullmatch(cell.plain.strip()))


class TableReader:
    """Reads every table of a checklist; levels are the headers of mark columns across all of its tables."""

    def __init__(self, tables: list[Table]):
        self.tables = tables
        found: dict[str, str] = {}
        for table in tables:
            for col in self._positive_run(table):
                label = table.header[col].plain.strip()
                found.setdefault(level_id(label, col), label)
        # In column order of their first table, so a level left blank in the first table keeps its place.
        self.level_names: dict[str, str] = {}  # level id -> label
        for table in tables:
            for col in self._mark_columns(table):
                key = level_id(table.header[col].plain.strip(), col)
                if key in found:
                    self.level_names.setdefault(key, found[key])

    @staticmethod
    def _cells(table: Table, col: int) -> list[Text]:
        return [cells[col] if col < len(cells) else Text.of("") for _, cells in table.rows]

    def _mark_columns(self, table: Table) -> list[int]:
        """Columns whose every body cell is a mark or blank."""
        return [c for c in range(len(table.header))
                if table.rows and all(mark(cell) is not None for cell in self._cells(table, c))]

    def _text_column(self, table: Table) -> Optional[int]:
        """The first column that is neither numbering (`1`, `1.2.3`, `V2.1`) nor marks, preferring one whose cells
        all differ (a column repeating its values is a category); None for a legend: one column of marks (not
        empty boxes) before the text."""
        marks = set(self._mark_columns(table))
        candidates = [c for c in range(len(table.header)) if c not in marks
                      and not all(_is_number(cell) for cell in self._cells(table, c))]
        if not candidates:
            return None
        before = [c for c in marks if c < candidates[0]
                  and not all(_key(cell) in _BOXES for cell in self._cells(table, c))]
        if len(before) == 1 and len(marks) == 1:
            return None
        for c in candidates:
            texts = [slugify(cell.plain) for cell in self._cells(table, c)]
            if all(texts) and len(set(texts)) == len(texts):
                return c
        return candidates[0]

    def _positive_run(self, table: Table) -> list[int]:
        """Mark columns after the text column with at least one check mark, when there are two or more."""
        text_col = self._text_column(table)
        if text_col is None:
            return []
        cols = [c for c in self._mark_columns(table) if c != text_col
                and any(mark(cell) for cell in self._cells(table, c)) and _marks_items(self._cells(table, c))]
        return cols if len(cols) >= 2 else []

    def is_checklist(self, table: Table) -> bool:
        """A table holds items when a column other than its text holds marks (✓, ☐, `[ ]`)."""
        text_col = self._text_column(table)
        if text_col is None:
            return False
        return any(c != text_col and (_marks_items(self._cells(table, c)) or self._status_column(table, c))
                   for c in self._mark_columns(table))

    def _status_column(self, table: Table, col: int) -> bool:
        """A column headed like a state (Status, Done, Passed, Not applicable) that a template leaves blank."""
        words = set(slugify(table.header[col].plain).split("-"))
        return bool(words & STATUS_WORDS) and all(_key(cell) in ("", "☐", "⬜", "[ ]", "[]")
                                                  for cell in self._cells(table, col))

    def rows(self, table: Table) -> list[Row]:
        """The items of a checklist table, one per body row."""
        text_col = self._text_column(table)
        assert text_col is not None
        marks = set(self._mark_columns(table))
        level_cols = {c for c in marks if c != text_col and level_id(table.header[c].plain.strip(), c) in self.level_names}
        if len(level_cols) < 2:
            level_cols = set()
        out = []
        for line, cells in table.rows:
            cells = cells + [Text.of("")] * (len(table.header) - len(cells))
            details = tuple((table.header[c].plain.strip() or f"column {c + 1}", cells[c].raw.strip())
                            for c in range(len(table.header))
                            if c != text_col and c not in marks and cells[c].raw.strip()
                            and not _ROW_NUMBER.fullmatch(cells[c].plain.strip()))
            levels = tuple(level_id(table.header[c].plain.strip(), c) for c in sorted(level_cols)
                           if mark(cells[c])) if level_cols else None
            checked = not level_cols and any(mark(cells[c]) for c in marks if c != text_col)
            out.append(Row(line, cells[text_col], details, levels, checked))
        return out
