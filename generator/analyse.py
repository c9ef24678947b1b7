"""Analyse stage: what changed between releases, what was carried over, each item's history, and who signed what."""

from __future__ import annotations

import collections
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Optional, Sequence

from generator.model import Evaluation, ItemResult

# (kind, heading, test on (before, after) statuses); the order is the order shown on the page.
CHANGE_KINDS = (
    ("regressed", "Regressed", lambda b, a: b in ("done", "waived") and a in ("failed", "pending")),
    ("fixed", "Fixed", lambda b, a: b in ("failed", "pending") and a == "done"),
    ("newly-waived", "Newly waived", lambda b, a: b != "waived" and a == "waived"),
    ("newly-na", "Newly n/a", lambda b, a: b != "n/a" and a == "n/a"),
    ("no-longer-na", "No longer n/a", lambda b, a: b == "n/a" and a != "n/a"),
)


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between a release and the one before it."""

    kind: str  # regressed, fixed, newly-waived, newly-na, no-longer-na, added, removed, value
    item: str
    text: str
    before: Optional[str] = None
    after: Optional[str] = None
    carried_from: Optional[str] = None  # the new status was carried over from this release, not re-verified


@dataclass(frozen=True)
class Diff:
    """A release compared with the previous release of the same checklist (or any release: `compare`)."""

    previous: Optional[str]
    changes: tuple[Change, ...]

    @property
    def carried_changes(self) -> int:
        return sum(1 for c in self.changes if c.carried_from)

    def of(self, kind: str) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.kind == kind)


DIFF_SECTIONS = tuple((k, h) for k, h, _ in CHANGE_KINDS) + (
    ("added", "Added to the checklist"),
    ("removed", "Removed from the checklist"),
    ("value", "Criteria values changed"),
)


def diff(previous: Optional[Evaluation], current: Evaluation) -> Diff:
    """Status changes, items added or removed, and criteria values that moved since `previous`."""
    if previous is None:
        return Diff(None, ())
    before = {r.item.id: r for r in previous.results}
    after = {r.item.id: r for r in current.results}
    changes: list[Change] = []
    for item_id, now in after.items():
        was = before.get(item_id)
        carried = carried_from(now)
        if was is None:
            changes.append(Change("added", item_id, now.item.plain, None, now.status, carried))
            continue
        for kind, _, test in CHANGE_KINDS:
            if test(was.status, now.status):
                changes.append(Change(kind, item_id, now.item.plain, was.status, now.status, carried))
        if now.item.criterion and was.measured != now.measured and (was.measured or now.measured):
            changes.append(Change("value", item_id, now.item.plain, was.measured, now.measured, carried))
    for item_id, was in before.items():
        if item_id not in after:
            changes.append(Change("removed", item_id, was.item.plain, was.status, None))
    order = {k: i for i, (k, _) in enumerate(DIFF_SECTIONS)}
    changes.sort(key=lambda c: order[c.kind])  # stable: checklist order within a kind
    return Diff(previous.release.name, tuple(changes))


def carried_from(r: ItemResult) -> Optional[str]:
    """The release an item's status was carried over from by `new --from`, while no one has confirmed it."""
    return r.entry.carried_from if r.entry is not None else None


def carried(e: Evaluation) -> dict[str, tuple[str, ...]]:
    """Items whose status is carried over and not confirmed, by the release they came from (in checklist order)."""
    return dict(e.carried)


@dataclass(frozen=True)
class Comparison:
    """Any two releases side by side (`readiness compare`, the /compare/ page): verdicts, counts, item changes
    of the same kinds as a release page's changes, and sign-offs that differ."""

    a: Evaluation
    b: Evaluation
    diff: Diff
    signoffs: tuple[tuple[str, Optional[str], Optional[str]], ...]  # (role, before, after): "name, date" or None


def _signed(e: Evaluation, role: str) -> Optional[str]:
    s = e.signoffs.get(role)
    return f"{s.name}, {s.date.isoformat()}" if s else None


def compare(a: Evaluation, b: Evaluation) -> Comparison:
    """Release `b` against release `a`, whichever is older; the same classification as diff()."""
    roles = list(dict.fromkeys([*a.signoffs, *b.signoffs]))
    signoffs = tuple((role, _signed(a, role), _signed(b, role)) for role in roles if _signed(a, role) != _signed(b, role))
    return Comparison(a, b, diff(a, b), signoffs)


class Diffs(Mapping):
    """Each release against the previous release of its product and checklist, found in one pass (linear in
    releases) and compared when asked for: a rebuild compares only the releases whose pages it renders."""

    def __init__(self, evaluations: Sequence[Evaluation]):
        last: dict[tuple[str, str], Evaluation] = {}
        self._pairs: dict[str, tuple[Optional[Evaluation], Evaluation]] = {}
        for e in evaluations:
            key = (e.release.product, e.checklist.name)
            self._pairs[e.release.name] = (last.get(key), e)
            last[key] = e

    def previous(self, name: str) -> Optional[Evaluation]:
        """The release `name` is compared with, or None."""
        pair = self._pairs.get(name)
        return pair[0] if pair else None

    def __getitem__(self, name: str) -> Diff:
        return diff(*self._pairs[name])

    def get(self, name: str, default: Optional[Diff] = None) -> Optional[Diff]:
        # Not Mapping.get, which would take a KeyError raised inside diff() for a missing release.
        pair = self._pairs.get(name)
        return default if pair is None else diff(*pair)

    def __iter__(self):
        return iter(self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)


def diffs(evaluations: Sequence[Evaluation]) -> Diffs:
    """Each release against the previous release of its product and checklist (see Diffs)."""
    return Diffs(evaluations)


@dataclass(frozen=True)
class Signed:
    """One sign-off by a person."""

    release: str
    role: str
    role_label: str
    date: str


def signers(evaluations: Sequence[Evaluation]) -> list[tuple[str, list[Signed]]]:
    """People and what they signed, by name, newest release first for each person."""
    people: dict[str, list[Signed]] = {}
    for e in reversed(evaluations):
        labels = {r.id: r.label for r in e.checklist.roles}
        for s in e.release.signoffs:
            people.setdefault(s.name.strip(), []).append(
                Signed(e.release.name, s.role, labels.get(s.role, s.role), s.date.isoformat()))
    return sorted(people.items(), key=lambda kv: kv[0].casefold())


# --- each item over the releases of its checklist ---------------------------------------------------

STRIP_RELEASES = 40  # releases shown per item on the checklist page; the counts cover every release


@dataclass(frozen=True, slots=True)
class ItemHistory:
    """One item over the releases of its checklist: counts over all of them, the latest drawn as a strip."""

    item: str
    recent: tuple[tuple[str, str], ...]  # (release, status) of the latest STRIP_RELEASES releases that have the
    # item, oldest first; "expired" for an expired waiver
    releases: int  # releases whose checklist version has the item
    failed: int
    pending: int
    waived: int  # expired waivers included
    na: int
    done: int
    first: Optional[str]  # the first release that has the item
    flips: int  # changes between done and failed, over the releases where it was one of the two
    failed_in: tuple[str, ...] = ()  # the latest FAILED_NAMED releases where it failed, oldest first


FAILED_NAMED = 10


class _Tally:
    """An item's history as it is read release by release: counts, flips and the latest statuses only, so a
    long history costs the same memory as a short one."""

    __slots__ = ("counts", "recent", "first", "last_decided", "flips", "failed_in")

    def __init__(self, release: str) -> None:
        self.counts = dict.fromkeys(("done", "failed", "pending", "n/a", "waived", "expired"), 0)
        self.recent: collections.deque = collections.deque(maxlen=STRIP_RELEASES)
        self.first, self.last_decided, self.flips = release, None, 0
        self.failed_in: collections.deque = collections.deque(maxlen=FAILED_NAMED)

    def add(self, release: str, status: str) -> None:
        self.counts[status] += 1
        self.recent.append((release, status))
        if status == "failed":
            self.failed_in.append(release)
        if status in ("done", "failed"):
            if self.last_decided is not None and self.last_decided != status:
                self.flips += 1
            self.last_decided = status

    def history(self, item: str) -> ItemHistory:
        c = self.counts
        return ItemHistory(item, tuple(self.recent), sum(c.values()), c["failed"], c["pending"],
                           c["waived"] + c["expired"], c["n/a"], c["done"], self.first, self.flips,
                           tuple(self.failed_in))


def item_histories(evaluations: Sequence[Evaluation], checklist: str) -> dict[str, ItemHistory]:
    """Every item id ever in `checklist` -> its history over the releases that use it, oldest first."""
    tallies: dict[str, _Tally] = {}
    for e in evaluations:
        if e.checklist.name != checklist:
            continue
        name = e.release.name
        for item, status in zip(e.checklist.items, e.statuses):
            t = tallies.get(item.id)
            if t is None:
                t = tallies[item.id] = _Tally(name)
            t.add(name, status)
    return {item: t.history(item) for item, t in tallies.items()}


MOST_FAILED = 10  # items named at the top of the checklist page


def most_failed(histories: dict[str, ItemHistory]) -> list[ItemHistory]:
    """The items that failed in the most releases (then flipped most), at most MOST_FAILED, none never failed."""
    failing = [h for h in histories.values() if h.failed]
    return sorted(failing, key=lambda h: (-h.failed, -h.flips, h.item))[:MOST_FAILED]
