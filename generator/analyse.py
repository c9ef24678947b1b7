"""Analyse stage: what changed between consecutive releases, and who signed what, over the whole history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

from generator.model import Evaluation

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


@dataclass(frozen=True)
class Diff:
    """A release compared with the previous release of the same checklist."""

    previous: Optional[str]
    changes: tuple[Change, ...]

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
        if was is None:
            changes.append(Change("added", item_id, now.item.plain, None, now.status))
            continue
        for kind, _, test in CHANGE_KINDS:
            if test(was.status, now.status):
                changes.append(Change(kind, item_id, now.item.plain, was.status, now.status))
        if now.item.criterion and was.measured != now.measured and (was.measured or now.measured):
            changes.append(Change("value", item_id, now.item.plain, was.measured, now.measured))
    for item_id, was in before.items():
        if item_id not in after:
            changes.append(Change("removed", item_id, was.item.plain, was.status, None))
    order = {k: i for i, (k, _) in enumerate(DIFF_SECTIONS)}
    changes.sort(key=lambda c: order[c.kind])  # stable: checklist order within a kind
    return Diff(previous.release.name, tuple(changes))


def diffs(evaluations: Sequence[Evaluation]) -> dict[str, Diff]:
    """Each release against the previous release of its product and checklist, in one pass (linear in releases)."""
    last: dict[tuple[str, str], Evaluation] = {}
    out: dict[str, Diff] = {}
    for e in evaluations:
        key = (e.release.product, e.checklist.name)
        out[e.release.name] = diff(last.get(key), e)
        last[key] = e
    return out


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
