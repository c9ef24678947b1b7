"""What a release page says of a release beyond its items: what holds it back, and the text search finds."""

from __future__ import annotations

import collections
from dataclasses import dataclass
from typing import Optional

from generator.model import Evaluation

WHY = (  # (kind, one, many, verdict it gives)
    ("failed", "failed item", "failed items", "NO"),
    ("pending", "pending item", "pending items", "NO"),
    ("expired", "expired waiver", "expired waivers", "NO"),
    ("waived", "waived item", "waived items", "NEEDS REVIEW"),
    ("unsigned", "missing sign-off", "missing sign-offs", "NEEDS REVIEW"),
)
HELD_OPEN = 12  # a section holding more than this many items lists them folded (the item table has them all)


@dataclass(frozen=True)
class Why:
    """One kind of reason a release is not YES, and how many there are."""

    kind: str
    label: str  # "1 failed item", "26 pending items"
    gives: str  # the verdict this kind gives: NO or NEEDS REVIEW


@dataclass(frozen=True)
class Held:
    """What holds a release back in one section (or, with `section` None, its missing sign-offs)."""

    section: Optional[object]
    reasons: tuple  # model.Reason, in checklist order: failed and pending first, then expired, then waived

    @property
    def folded(self) -> bool:
        return len(self.reasons) > HELD_OPEN


def why(e: Evaluation) -> list[Why]:
    """The kinds of reason for a release's verdict with their counts, in the order of WHY."""
    counts = collections.Counter(r.kind for r in e.reasons)
    return [Why(kind, f"{counts[kind]} {one if counts[kind] == 1 else many}", gives)
            for kind, one, many, gives in WHY if counts[kind]]


def held_back(e: Evaluation) -> list[Held]:
    """Everything that holds a release back, grouped by section in checklist order, sign-offs last: the same
    reasons as `status --json`'s `blocking` and `unsigned` (expired waivers are blocking waived items)."""
    by_section: dict[str, list] = {}
    unsigned = []
    for r in e.reasons:
        if r.kind == "unsigned":
            unsigned.append(r)
        else:
            by_section.setdefault(e.checklist.nodes[r.target].ancestors[0], []).append(r)
    out = [Held(s, tuple(by_section[s.id])) for s in e.checklist.sections if s.id in by_section]
    if unsigned:
        out.append(Held(None, tuple(unsigned)))
    return out


# Per release: notes, reasons and evidence that search finds, cut beyond this; about 2.5 KB per release in the
# search index (which every reader's browser loads whole), so 1,000 releases add about 2.5 MB to it.
SEARCH_CHARS = 2500


def search_text(e: Evaluation) -> list[str]:
    """What search finds on a release page besides its summary: each note and reason (once per entry), with
    the item it belongs to, and each failed or waived item, in checklist order, at most SEARCH_CHARS
    characters. Evidence links are left out: a URL per done item made most of every release's entry in the
    index each reader's browser loads whole, and no one searches for a CI run's address."""
    out: list[str] = []
    seen: set = set()
    size = 0
    for r in e.results:
        parts = []
        if r.own is not None and r.own.note:
            parts.append(" ".join(r.own.note.split()))
        if r.entry is not None and r.entry.reason and r.entry.target not in seen:
            seen.add(r.entry.target)
            parts.append(("Waived: " if r.status == "waived" else "Reason: ") + " ".join(r.entry.reason.split()))
        if not parts and r.status not in ("failed", "waived"):
            continue
        line = f"{r.item.plain} ({r.status}): " + " ".join(parts) if parts else f"{r.item.plain} ({r.status})"
        if size + len(line) > SEARCH_CHARS:
            break
        out.append(line)
        size += len(line)
    launch = e.release.launch
    if launch and launch.notes and size + len(launch.notes) <= SEARCH_CHARS:
        out.append("Launch notes: " + " ".join(launch.notes.split()))
    return out
