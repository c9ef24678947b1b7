"""Merge stage: a checklist and a release's results -> statuses, counts, verdict and what blocks it."""

from __future__ import annotations

import datetime as dt
import os
from typing import Optional

from generator.ids import version_key
from generator.model import Checklist, Counts, Entry, Evaluation, ItemResult, Reason, Release


def evaluation_date(release: Release, today: Optional[dt.date] = None) -> dt.date:
    """The launch date; for an unlaunched release SOURCE_DATE_EPOCH's date, else today (UTC)."""
    if release.launch and release.launch.date:
        return release.launch.date
    if today is not None:
        return today
    return default_today()


def default_today() -> dt.date:
    """SOURCE_DATE_EPOCH's date when set (reproducible builds), else today's UTC date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    return dt.datetime.now(dt.timezone.utc).date()


def _item_status(item, entries: dict[str, Entry]) -> tuple[str, Optional[Entry], Optional[Entry]]:
    """The status of one item: its own entry, else the nearest group or section entry that covers it."""
    own = entries.get(item.id)
    if item.criterion is not None:
        # A criterion's own value decides, unless it is set n/a or waived (itself or by a section-wide entry).
        if own is not None and own.status in ("n/a", "waived"):
            return own.status, own, own
        if own is not None and own.value is not None:
            return ("done" if item.criterion.met_by(own.value) else "failed"), own, own
        if own is not None and own.status == "pending":
            return "pending", own, own
        for ancestor in reversed(item.ancestors):
            entry = entries.get(ancestor)
            if entry is not None and entry.status in ("n/a", "waived"):
                return entry.status, entry, own
        return "pending", own, own
    if own is not None and own.status is not None:
        return own.status, own, own
    for ancestor in reversed(item.ancestors):
        entry = entries.get(ancestor)
        if entry is not None and entry.status is not None:
            return entry.status, entry, own
    return "pending", None, own


def evaluate(release: Release, checklist: Checklist, today: Optional[dt.date] = None,
             uncounted: Optional[dict] = None) -> Evaluation:
    """Apply DESIGN.md's verdict rules to one release on its evaluation date; a sign-off in `uncounted` (role
    -> why, from the sign-off policy: people.uncounted) is shown but leaves its role unsigned."""
    uncounted = {role: why for role, why in (uncounted or {}).items() if role in {r.id for r in checklist.roles}}
    on = evaluation_date(release, today)
    entries = {e.target: e for e in release.entries}
    results = []
    level = release.level
    by_section: dict[str, list[str]] = {section.id: [] for section in checklist.sections}
    held: dict[str, list[Reason]] = {"blocking": [], "expired": [], "waived": []}  # in the order reasons list them
    for item in checklist.items:
        own = entries.get(item.id)
        if own is not None and own.status is not None and item.criterion is None:
            status, entry = own.status, own  # most items of a long release: an entry of their own says it
        else:
            status, entry, own = _item_status(item, entries)
        # Held to a level, an item not required at it does not count, whatever was recorded for it.
        exempt = level is not None and item.levels is not None and level not in item.levels
        if exempt:
            status, entry = "n/a", None
        expired = status == "waived" and entry is not None and entry.expires is not None and entry.expires < on
        results.append(ItemResult(item, status, entry, own, expired, exempt))
        by_section.setdefault(item.ancestors[0], []).append(status)
        if status in ("failed", "pending"):
            held["blocking"].append(Reason(status, item.id, item.plain))
        elif expired:
            held["expired"].append(Reason("expired", item.id, f"{item.plain} (waiver expired {entry.expires})"))
        elif status == "waived":
            held["waived"].append(Reason("waived", item.id, item.plain))

    counts = Counts.tally(r.status for r in results)
    section_counts = tuple((section, Counts.tally(by_section[section.id])) for section in checklist.sections)
    signed = {s.role: s for s in release.signoffs}
    signoffs = {role.id: signed.get(role.id) for role in checklist.roles}
    unsigned = tuple(role.id for role in checklist.roles if role.id not in signed or role.id in uncounted)

    reasons = held["blocking"] + held["expired"] + held["waived"]
    labels = {role.id: role.label for role in checklist.roles}
    reasons += [Reason("unsigned", role, labels[role] if role not in uncounted else
                       f"{labels[role]} (signed by {signed[role].name}, not counted: {uncounted[role]})")
                for role in unsigned]

    if counts.failed or counts.pending or held["expired"]:
        verdict = "NO"
    elif counts.waived or unsigned:
        verdict = "NEEDS REVIEW"
    else:
        verdict = "YES"
    blocking = tuple(r.item.id for r in results if r.status in ("failed", "pending", "waived"))
    return Evaluation(release, checklist, on, tuple(results), counts, section_counts, verdict, tuple(reasons),
                      blocking, unsigned, signoffs, uncounted)


def release_order(evaluations: list[Evaluation]) -> list[Evaluation]:
    """Oldest first: launched releases by launch date, then unlaunched ones by version; the last is the latest."""

    def key(e: Evaluation):
        launch = e.release.launch.date if e.launched else None
        return (launch is None, launch or dt.date.min, e.release.product, version_key(e.release.version))

    return sorted(evaluations, key=key)
