"""`readiness record`: item statuses and criteria values from test, page-speed and load-test reports.

Each report format is a module listed in generator/reports.py: it reads its file into a summary and says
what that summary means for each of its slots (an item and its default id). This module matches slots to
the checklist's items (`--item`), decides what may be written (an entry set by hand is kept unless
`--force`) and writes through the round-trip editor (generator/yamledit.py), which keeps every other byte.

DESIGN.md says readiness never modifies results files; `record` and `sign` are the explicit exceptions
(docs/evidence.md).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from ruamel.yaml.comments import CommentedMap

from generator.errors import InputError, Location, Problem, Problems, UsageError
from generator.model import Checklist, Entry, Item, Release
from generator.report_common import ReportFormat, Slot
from generator.reports import REPORTS
from generator.results import UNIT_FACTORS, _suggest_id, did_you_mean
from generator.yamledit import EditError, check_only_touched, edit_entry, text_value, write_results

# --- slots: which item each report sets ------------------------------------------------------------


def _active(reports: Sequence[str]) -> list[tuple[ReportFormat, Slot]]:
    """The slots of the reports given, in the order of REPORTS."""
    return [(fmt, slot) for fmt in REPORTS if fmt.name in reports for slot in fmt.slots]


SKIP = "-"  # `--item SLOT=-` leaves that slot's item alone


def resolve_slots(reports: Sequence[str], item_options: Sequence[str], checklist: Checklist) -> dict[str, Optional[str]]:
    """Slot name -> item id (None: skipped) for the given reports, from defaults and `--item [SLOT=]ID`."""
    active = _active(reports)
    names = [s.name for _, s in active]
    required = [s.name for _, s in active if s.default is None]
    chosen: dict[str, str] = {}
    for option in item_options:
        if "=" in option:
            slot, _, target = option.partition("=")
            slot, target = slot.strip(), target.strip()
            if slot not in names:
                hint = did_you_mean(slot, names) or ""
                raise UsageError(f"--item {option}: no slot `{slot}` for the reports given{hint}; "
                                 f"slots: {', '.join(names)}")
        elif len(required) == 1 or len(active) == 1:  # a plain id is the item of the slot without a default
            slot, target = (required or names)[0], option.strip()
        else:
            raise UsageError(f"--item {option}: these reports set several items; name the one you mean, "
                             f"e.g. --item {names[0]}={option} (slots: {', '.join(names)})")
        if slot in chosen:
            raise UsageError(f"--item: `{slot}` is given twice")
        chosen[slot] = target
    out: dict[str, Optional[str]] = {}
    for fmt, s in active:
        target = chosen.get(s.name, s.default)
        if target is None:
            raise UsageError(f"--{fmt.name} needs --item ID: the item the tests cover, "
                             "e.g. --item testing/unit-tests/backend-unit-tests-passing")
        if target == SKIP:
            out[s.name] = None
            continue
        explicit = s.name in chosen
        node = checklist.nodes.get(target)
        if node is None:
            if not explicit:
                raise UsageError(f"checklist `{checklist.name}` has no item `{target}` (the default for "
                                 f"{s.name}); pass --item {s.name}=ID, or --item {s.name}={SKIP} to skip it")
            raise UsageError(f"--item {target}: unknown id in checklist `{checklist.name}`"
                             f"{_suggest_id(target, checklist)}")
        if not isinstance(node, Item):
            first = checklist.items_under(target)[0].id
            raise UsageError(f"--item {target}: a section or group; record sets single items, e.g. `{first}`")
        if s.criterion:
            if node.criterion is None:
                raise UsageError(f"--item {target}: {s.name} needs a criterion, an item with a time threshold "
                                 "such as `Page load < 3 seconds`")
            if UNIT_FACTORS[node.criterion.unit.lower()][0] != "time":
                raise UsageError(f"--item {target}: its threshold `{node.criterion.text}` is not a time; "
                                 f"{s.name} records a time")
        elif node.criterion is not None:
            raise UsageError(f"--item {target}: a criterion (`{node.criterion.text}`) takes a measured value, "
                             f"not a status; choose an item without a threshold for {s.name}")
        out[s.name] = target
    used: dict[str, str] = {}
    for slot, target in out.items():
        if target is not None and target in used:
            raise UsageError(f"--item: `{target}` is chosen for both {used[target]} and {slot}")
        if target is not None:
            used[target] = slot
    return out


# --- outcomes: what to write ---------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one report says about one item: a status, or a measured value (criteria)."""

    target: str
    note: str
    status: Optional[str] = None  # done or failed, for items
    value: Optional[float] = None  # in the criterion's unit, for criteria


def _in_unit(seconds: float, item: Item) -> float:
    """A time in the criterion's unit, rounded to 6 significant digits unless that would flip the verdict."""
    exact = seconds / UNIT_FACTORS[item.criterion.unit.lower()][1]
    rounded = float(f"{exact:.6g}")
    return rounded if item.criterion.met_by(rounded) == item.criterion.met_by(exact) else exact


def outcomes(targets: dict[str, Optional[str]], checklist: Checklist, parsed: dict[str, object]) -> list[Outcome]:
    """What the parsed reports (format name -> summary) say about the items their slots point at."""
    items = {i.id: i for i in checklist.items}
    out: list[Outcome] = []
    for fmt in REPORTS:
        if fmt.name not in parsed:
            continue
        for finding in fmt.findings(parsed[fmt.name]):
            target = targets.get(finding.slot)
            if target is None:
                continue
            if finding.seconds is not None:
                out.append(Outcome(target, finding.note, value=_in_unit(finding.seconds, items[target])))
            else:
                out.append(Outcome(target, finding.note, status=finding.status))
    return out


# --- the command -----------------------------------------------------------------------------------


@dataclass
class Change:
    """One entry record will change: the item, how it reads before and after, and what to write."""

    target: str
    before: str
    after: str
    outcome: Outcome


@dataclass
class RecordResult:
    path: str
    changes: list = field(default_factory=list)  # Change
    unchanged: list = field(default_factory=list)  # (target, state)


def _fmt_number(value: float) -> str:
    return f"{value:.6g}"


def _state(item: Item, status: str, own: Optional[Entry]) -> str:
    """How an item reads now: `pending`, `done`, or `failed, value 3.2 seconds` for a measured criterion."""
    if item.criterion is not None and own is not None and own.value is not None and status in ("done", "failed"):
        unit = item.criterion.unit
        shown = own.value_text if own.value_text and any(c.isalpha() or c == "%" for c in own.value_text) \
            else f"{_fmt_number(own.value)}{'' if unit == '%' else ' '}{unit}"
        return f"{status}, value {shown}"
    return status


def _hand_set(item: Item, entries: dict[str, Entry]) -> Optional[tuple[Entry, str]]:
    """The entry that set this item's status by hand, and that status; None when it is pending."""
    own = entries.get(item.id)
    if own is not None:
        if own.value is not None:
            return own, f"value {own.value_text}"
        if own.status not in (None, "pending"):
            return own, own.status
        if own.status == "pending":
            return None
    for ancestor in reversed(item.ancestors):
        entry = entries.get(ancestor)
        if entry is None or entry.status is None:
            continue
        if item.criterion is not None and entry.status not in ("n/a", "waived"):
            continue  # a section-wide done or failed does not cover criteria
        return (entry, entry.status) if entry.status != "pending" else None
    return None


# Recorded from a report, an entry is confirmed for this release: a `carried_from` marker goes too.
ENTRY_DROP = ("status", "value", "by", "reason", "approved_by", "expires", "evidence", "carried_from")


def record_results(root: Path, release_name: str, reports: dict[str, Path], item_options: Sequence[str],
                   evidence: Optional[str], force: bool) -> RecordResult:
    """Apply the reports to results/RELEASE.yaml; raises UsageError/InputError and writes nothing on any problem."""
    from generator.merge import default_today, evaluate
    from generator.project import load_project

    if not reports:
        options = [f"--{fmt.name} FILE" for fmt in REPORTS]
        raise UsageError(f"give at least one report: {', '.join(options[:-1])} or {options[-1]}")
    if evidence is not None and not re.match(r"https?://[^\s/]+\S*\Z", evidence.strip(), re.IGNORECASE):
        raise UsageError(f"--evidence {evidence}: must be an http:// or https:// link")
    project = load_project(root)
    release = find_release(project, release_name)
    checklist = project.checklists[release.checklist]
    targets = resolve_slots(list(reports), item_options, checklist)

    problems = Problems()
    parsed: dict[str, object] = {}
    for fmt in REPORTS:
        if fmt.name in reports:
            try:
                parsed[fmt.name] = fmt.parse(reports[fmt.name], str(reports[fmt.name]))
            except InputError as exc:
                problems.extend(exc.problems)
    problems.raise_if_errors()
    wanted = outcomes(targets, checklist, parsed)

    path = root / "results" / f"{release.name}.yaml"
    shown = release.path
    result = RecordResult(shown)
    evaluation = evaluate(release, checklist)
    by_id = {r.item.id: r for r in evaluation.results}
    entries = {e.target: e for e in release.entries}
    refused = Problems()
    today = default_today()
    for o in wanted:
        r = by_id[o.target]
        item = r.item
        before = _state(item, r.status, r.own)
        if item.criterion is not None:
            status = "done" if item.criterion.met_by(o.value) else "failed"
            after = f"{status}, value {_fmt_number(o.value)}{'' if item.criterion.unit == '%' else ' '}" \
                    f"{item.criterion.unit}"
        else:
            status, after = o.status, o.status
        own = entries.get(o.target)
        if own is not None and own.carried_from is None and own.note == o.note and (
                (item.criterion is not None and own.value is not None and math.isclose(own.value, o.value))
                or (item.criterion is None and own.status == o.status)) and (evidence is None or own.evidence == evidence):
            result.unchanged.append((o.target, before))
            continue
        hand = _hand_set(item, entries)
        if hand is not None and not force:
            entry, set_to = hand
            same_status_via_group = entry is not own and item.criterion is None and set_to == status
            if not same_status_via_group:
                where = "" if entry is own else f" by `{entry.target}`"
                refused.error(entry.location, f"items.{o.target}: already {set_to}{where} (set by hand or by an "
                              f"earlier record); the report says {after}; pass --force to replace it")
                continue
        result.changes.append(Change(o.target, before, after, o))
    refused.raise_if_errors()
    if not result.changes:
        return result

    original = path.read_bytes()
    text = original.decode("utf-8")
    order = list(checklist.nodes)
    for change in result.changes:
        o = change.outcome
        fields: list[tuple[str, object]] = []
        if o.value is not None:
            fields.append(("value", o.value))
        else:
            fields.append(("status", o.status))
        fields.append(("date", today))
        if evidence is not None:
            fields.append(("evidence", evidence.strip()))
        fields.append(("note", text_value(o.note)))

        def apply(parent: CommentedMap, key, fields=fields) -> None:
            current = parent.get(key) if key in parent else None
            if isinstance(current, CommentedMap):
                for name in ENTRY_DROP:
                    if name in current and name not in dict(fields):
                        del current[name]
                for name, value in fields:
                    current[name] = value
            else:
                entry = CommentedMap(fields)
                entry.fa.set_flow_style()
                parent[key] = entry

        try:
            text = edit_entry(text, "items", o.target, apply, order)
        except EditError as exc:
            raise InputError([Problem(Location(shown), f"cannot record into this file exactly: {exc}")])
    try:
        check_only_touched(original.decode("utf-8"), text, {"items": {c.target for c in result.changes}})
    except EditError as exc:
        raise InputError([Problem(Location(shown), f"cannot record into this file exactly: {exc}")])
    write_results(path, shown, original, text, project.checklists, release.product)
    return result


def find_release(project, name: str) -> Release:
    """The release of results/NAME.yaml, or a usage error naming the closest release."""
    releases = {r.name: r for r in project.releases}
    if name not in releases:
        hint = did_you_mean(name, releases) or f"; releases: {', '.join(sorted(releases)) or '(none)'}"
        raise UsageError(f"no results file for release `{name}`{hint} (create one with `readiness new {name}`)")
    return releases[name]


def change_lines(result: RecordResult) -> list[str]:
    """One line per changed entry, e.g. `results/X.yaml: items.<id>: pending -> done (JUnit: ...)`."""
    return [f"{result.path}: items.{c.target}: {c.before} -> {c.after} ({c.outcome.note})" for c in result.changes]
