"""Frozen value objects shared by every stage: the checklist, a release's results and its evaluation."""

from __future__ import annotations

import collections
import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Iterable, Optional, Union

from generator.errors import Location


@functools.lru_cache(maxsize=65536)
def iso_date(text: str) -> dt.date:
    """A date from its YYYY-MM-DD text, one shared (immutable) object per day: a history has a few thousand
    days in hundreds of thousands of entries, read from YAML or from the build cache."""
    return dt.date.fromisoformat(text)

STATUSES = ("done", "pending", "failed", "n/a", "waived")
VERDICTS = ("YES", "NO", "NEEDS REVIEW")


# --- checklist -------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    """A threshold an item states, e.g. `< 3 seconds`; results give it a measured value."""

    op: str  # one of < <= > >=
    threshold: float
    unit: str  # as written, e.g. "seconds", "ms", "%"
    text: str  # the comparison as written, e.g. "< 3 seconds"

    def met_by(self, value: float) -> bool:
        """Whether a measured value (in this criterion's unit) satisfies the threshold."""
        return {
            "<": value < self.threshold,
            "<=": value <= self.threshold,
            ">": value > self.threshold,
            ">=": value >= self.threshold,
        }[self.op]


@dataclass(frozen=True)
class Item:
    """A countable task item: the unit of progress."""

    id: str
    text: str  # inline Markdown as written, without the checkbox and pinned id
    plain: str  # plain text, for search, CSV and messages
    location: Location
    conditional: bool  # it, its group or its section may be n/a without a reason
    criterion: Optional[Criterion]
    ancestors: tuple[str, ...]  # section id first, then group ids, outermost first
    checked: bool = False
    details: tuple[tuple[str, str], ...] = ()  # a table row's other columns: (header, inline Markdown)
    levels: Optional[tuple[str, ...]] = None  # level ids it is required at; None: required at every level


@dataclass(frozen=True)
class Group:
    """A bold task item with nested items, or a heading below the section level."""

    id: str
    text: str
    plain: str
    location: Location
    conditional: bool
    children: tuple[Union["Group", Item], ...]


@dataclass(frozen=True)
class Section:
    """A top-level part of the checklist (the headings of the section level)."""

    id: str
    text: str
    plain: str
    location: Location
    conditional: bool
    children: tuple[Union[Group, Item], ...]


@dataclass(frozen=True)
class Role:
    """A sign-off role, e.g. `technical-lead`."""

    id: str
    label: str
    location: Location


@dataclass(frozen=True)
class Level:
    """A maturity level a table checklist marks items for, e.g. `level-b` ("Level B")."""

    id: str
    label: str


@dataclass(frozen=True)
class Checklist:
    """A parsed checklist: its structure, roles, and every node by id."""

    name: str  # file stem, used in results files and URLs
    path: str  # as displayed
    title: str
    sections: tuple[Section, ...]
    roles: tuple[Role, ...]
    sha256: str
    levels: tuple[Level, ...] = ()
    items: tuple[Item, ...] = field(init=False)
    nodes: dict = field(init=False, compare=False, repr=False)
    conditional_ids: frozenset = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        items: list[Item] = []
        nodes: dict[str, Union[Section, Group, Item]] = {}
        conditional: set[str] = set()

        def walk(node, inherited: bool):
            nodes[node.id] = node
            cond = inherited or node.conditional
            if cond:
                conditional.add(node.id)
            if isinstance(node, Item):
                items.append(node)
            else:
                for child in node.children:
                    walk(child, cond)

        for section in self.sections:
            walk(section, False)
        object.__setattr__(self, "items", tuple(items))
        object.__setattr__(self, "nodes", nodes)
        object.__setattr__(self, "conditional_ids", frozenset(conditional))

    @property
    def role_ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.roles)

    @property
    def criteria(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.criterion)

    def items_under(self, node_id: str) -> tuple[Item, ...]:
        """Every item a section, group or item id covers."""
        node = self.nodes[node_id]
        if isinstance(node, Item):
            return (node,)
        return tuple(i for i in self.items if node_id in i.ancestors)


# --- results -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry under `items:` in a results file: an item, group or section id and what was recorded."""

    target: str
    location: Location
    status: Optional[str] = None
    by: Optional[str] = None
    date: Optional[dt.date] = None
    evidence: Optional[str] = None
    note: Optional[str] = None
    reason: Optional[str] = None
    approved_by: Optional[str] = None
    expires: Optional[dt.date] = None
    value: Optional[float] = None
    value_text: Optional[str] = None  # the value as written, e.g. "2400 ms"
    carried_from: Optional[str] = None  # the release `new --from` copied this entry from, until someone confirms it


@dataclass(frozen=True)
class Signoff:
    """A role's approval: who and when."""

    role: str
    name: str
    date: dt.date
    location: Location


@dataclass(frozen=True)
class Launch:
    """When and by whom a release went out."""

    date: Optional[dt.date]
    time: Optional[str]
    timezone: Optional[str]
    deployed_by: Optional[str]
    notes: Optional[str]
    location: Location


@dataclass(frozen=True)
class Release:
    """A loaded results file, validated against its checklist."""

    name: str
    path: str
    checklist: str
    entries: tuple[Entry, ...]
    signoffs: tuple[Signoff, ...]
    launch: Optional[Launch]
    sha256: str
    location: Location
    product: str = ""  # the folder under results/, "" for results/ itself; `name` is then "<product>/<release>"
    level: Optional[str] = None  # the level id it is held to; only items required at that level count

    @property
    def version(self) -> str:
        """The release name within its product (the file name without .yaml)."""
        return self.name.rsplit("/", 1)[-1]

    def __hash__(self) -> int:
        # What the file is, not everything read from it: the entries of a release read back from the build
        # cache are read only when needed (summary.Loaded), and equal releases have equal files anyway.
        return hash((self.name, self.path, self.sha256))


# --- evaluation ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Counts:
    """Item counts by status; adds with `+` so `sum()` gives totals."""

    done: int = 0
    failed: int = 0
    pending: int = 0
    na: int = 0
    waived: int = 0

    @property
    def total(self) -> int:
        return self.done + self.failed + self.pending + self.na + self.waived

    @property
    def applicable(self) -> int:
        return self.total - self.na

    @property
    def progress(self) -> float:
        """(done + waived) / applicable as a percentage rounded to one decimal; 100.0 when nothing applies."""
        if self.applicable == 0:
            return 100.0
        # Integer arithmetic rounds halves up (6.25 -> 6.3) with no float error, as people expect.
        tenths = (2000 * (self.done + self.waived) + self.applicable) // (2 * self.applicable)
        return tenths / 10

    def __add__(self, other: "Counts") -> "Counts":
        if not isinstance(other, Counts):
            return NotImplemented
        return Counts(
            self.done + other.done,
            self.failed + other.failed,
            self.pending + other.pending,
            self.na + other.na,
            self.waived + other.waived,
        )

    def __radd__(self, other):
        if other == 0:
            return self
        return self.__add__(other)

    @classmethod
    def tally(cls, statuses: Iterable[str]) -> "Counts":
        """Counts of a sequence of statuses, in one pass (equal to summing Counts.of over them)."""
        c = collections.Counter(statuses)
        return cls(c["done"], c["failed"], c["pending"], c["n/a"], c["waived"])

    @classmethod
    def of(cls, status: str) -> "Counts":
        """Counts for a single item with this status."""
        key = "na" if status == "n/a" else status
        return cls(**{key: 1})

    def as_dict(self) -> dict[str, int]:
        return {
            "total": self.total,
            "done": self.done,
            "failed": self.failed,
            "pending": self.pending,
            "na": self.na,
            "waived": self.waived,
        }


@dataclass(frozen=True, slots=True)
class ItemResult:
    """An item's status in one release and the entry it came from."""

    item: Item
    status: str
    entry: Optional[Entry]  # the most specific entry that applies, if any
    own: Optional[Entry]  # the entry naming this item itself, if any (carries value, evidence...)
    expired: bool = False  # a waiver whose expiry is before the evaluation date
    exempt: bool = False  # not required at the level the release is held to: n/a, whatever was recorded

    @property
    def measured(self) -> Optional[str]:
        """A criterion's measured value as written, with the threshold's unit when none was given."""
        if self.item.criterion is None or self.own is None or self.own.value is None:
            return None
        text = str(self.own.value_text if self.own.value_text is not None else self.own.value).strip()
        if any(ch.isalpha() or ch == "%" for ch in text):
            return text
        unit = self.item.criterion.unit
        return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


@dataclass(frozen=True, slots=True)
class Reason:
    """One thing holding a release back from YES."""

    kind: str  # failed, pending, expired, waived, unsigned
    target: str  # item or role id
    text: str  # plain text for display


@dataclass(frozen=True)
class Evaluation:
    """A release evaluated against its checklist on a given date."""

    release: Release
    checklist: Checklist
    evaluated_on: dt.date
    results: tuple[ItemResult, ...]
    counts: Counts
    section_counts: tuple[tuple[Section, Counts], ...]
    verdict: str
    reasons: tuple[Reason, ...]
    blocking: tuple[str, ...]
    unsigned: tuple[str, ...]
    signoffs: dict = field(compare=False)  # role id -> Signoff or None
    uncounted: dict = field(default_factory=dict, compare=False)  # role id -> why its sign-off does not count

    def __hash__(self) -> int:
        # What the evaluation is made of, not its items (see Release.__hash__ and summary.Summarised).
        return hash((self.release, self.checklist.name, self.checklist.sha256, self.evaluated_on))

    @property
    def progress(self) -> float:
        return self.counts.progress

    @property
    def launched(self) -> bool:
        return bool(self.release.launch and self.release.launch.date)

    # What the pages about many releases need of each one's items, kept apart from `results` so that a
    # release summarised by the build cache (summary.py) answers them without its items being loaded.

    @functools.cached_property
    def statuses(self) -> tuple[str, ...]:
        """Each item's status in the checklist's order, "expired" for a waiver past its expiry (item histories)."""
        return tuple("expired" if r.expired else r.status for r in self.results)

    @functools.cached_property
    def measured(self) -> tuple[tuple[str, Optional[float], str], ...]:
        """(item id, measured value or None, status) of each criterion item, in the checklist's order (charts)."""
        return tuple((r.item.id, r.own.value if r.own is not None else None, r.status)
                     for r in self.results if r.item.criterion is not None)

    @functools.cached_property
    def first_record(self) -> Optional[dt.date]:
        """The earliest date recorded for the release: on an item entry or a sign-off."""
        dates = [x.date for x in self.release.entries if x.date is not None]
        dates += [s.date for s in self.release.signoffs if s.date is not None]
        return min(dates, default=None)

    @functools.cached_property
    def expiring(self) -> bool:
        """Whether any entry of the release sets a waiver's expiry (its statuses may then change with the day)."""
        return any(x.expires is not None for x in self.release.entries)

    @functools.cached_property
    def carried(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """(release, item ids) of statuses `new --from` carried over that no one confirmed, in checklist order."""
        out: dict[str, list[str]] = {}
        for r in self.results:
            if r.entry is not None and r.entry.carried_from is not None:
                out.setdefault(r.entry.carried_from, []).append(r.item.id)
        return tuple((k, tuple(v)) for k, v in out.items())


@dataclass(frozen=True)
class Summary:
    """An evaluation without its item results: all the pages about many releases need of it (summary.py)."""

    evaluated_on: dt.date
    counts: Counts
    sections: tuple[Counts, ...]  # in the order of the checklist's sections
    verdict: str
    reasons: tuple[Reason, ...]
    blocking: tuple[str, ...]
    unsigned: tuple[str, ...]
    uncounted: tuple[tuple[str, str], ...]
    statuses: tuple[str, ...]
    measured: tuple[tuple[str, Optional[float], str], ...]
    first_record: Optional[dt.date]
    carried: tuple[tuple[str, tuple[str, ...]], ...]
    expiring: bool
