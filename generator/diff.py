"""What a change to the repository does to readiness: two revisions loaded, evaluated, audited and compared.

`readiness diff BASE HEAD` shows a pull request's reviewer the verdicts it moves, the items and
sign-offs it changes, the audit findings it adds or clears and the checklist edits with the releases
they reach. Each revision is loaded as a checkout of it would be (generator/checkout.py), through the
same public stages as a build: load_project, Project.evaluations, audit. Rendering is in diff_report.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from generator import analyse, checkout
from generator.audit import AuditContext, Finding, audit
from generator.errors import InputError, Problem
from generator.model import Checklist, Evaluation, ItemResult

VERDICT_RANK = {"YES": 2, "NEEDS REVIEW": 1, "NO": 0}
ENTRY_FIELDS = ("status", "by", "date", "evidence", "note", "reason", "approved_by", "expires", "value")
FAIL_ON = ("regression", "error")


@dataclass(frozen=True)
class Side:
    """One revision, loaded and evaluated."""

    label: str
    commit: Optional[str]
    evaluations: dict  # release name -> Evaluation
    checklists: dict  # checklist name -> Checklist
    findings: tuple[Finding, ...]
    skipped: tuple[Problem, ...]  # files git holds that are not read: symbolic links, submodules

    @property
    def short(self) -> str:
        return self.commit[:10] if self.commit else self.label


@dataclass(frozen=True)
class ItemChange:
    """One item whose status or recorded details differ between the revisions."""

    item: str
    text: str
    before: Optional[str]  # status, "waived (expired)" for an expired waiver; None: not in that checklist
    after: Optional[str]
    kinds: tuple[str, ...]  # analyse.CHANGE_KINDS' kinds, plus failed / expired / details
    changed: tuple[str, ...]  # which of ENTRY_FIELDS differ
    by: Optional[str] = None  # who recorded the result at HEAD (or at BASE when the item is gone)
    date: Optional[str] = None
    evidence: Optional[str] = None
    value_before: Optional[str] = None
    value_after: Optional[str] = None

    @property
    def regression(self) -> bool:
        return bool({"regressed", "failed", "expired"} & set(self.kinds))


@dataclass(frozen=True)
class SignoffChange:
    """A sign-off added, removed or replaced."""

    role: str
    label: str
    change: str  # added, removed, changed
    before: Optional[tuple[str, str]]  # (name, date)
    after: Optional[tuple[str, str]]


@dataclass(frozen=True)
class ReleaseDiff:
    """One release touched by the change: its verdict before and after and what moved it."""

    name: str
    path: str
    change: str  # added, removed, changed
    checklist: str
    verdict_before: Optional[str]
    verdict_after: Optional[str]
    progress_before: Optional[float]
    progress_after: Optional[float]
    items: tuple[ItemChange, ...] = ()
    signoffs: tuple[SignoffChange, ...] = ()
    new_findings: tuple[Finding, ...] = ()
    gone_findings: tuple[Finding, ...] = ()
    file_changed: bool = False

    @property
    def regression(self) -> bool:
        """The verdict got worse, or an item newly failed, went back from done, or its waiver expired."""
        worse = self.verdict_before is not None and self.verdict_after is not None and \
            VERDICT_RANK[self.verdict_after] < VERDICT_RANK[self.verdict_before]
        return worse or any(i.regression for i in self.items)

    @property
    def new_errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.new_findings if f.severity == "error")


@dataclass(frozen=True)
class ChecklistChange:
    """A checklist added, removed or edited, and the releases at HEAD that are evaluated against it."""

    name: str
    path: str
    change: str  # added, removed, changed
    added: tuple[tuple[str, str], ...] = ()  # (id, text)
    removed: tuple[tuple[str, str], ...] = ()
    renamed: tuple[tuple[str, str], ...] = ()  # (old id, new id), same text
    reworded: tuple[tuple[str, str, str], ...] = ()  # (id, text before, text after)
    roles_added: tuple[str, ...] = ()
    roles_removed: tuple[str, ...] = ()
    affects: tuple[str, ...] = ()  # releases evaluated against this version at HEAD
    keep: tuple[str, ...] = ()  # releases of this checklist still evaluated against an earlier version


@dataclass(frozen=True)
class Report:
    """Everything `readiness diff` prints, in one value the three formats render."""

    base: Side
    head: Side
    evaluated_on: dt.date
    releases: tuple[ReleaseDiff, ...]
    checklists: tuple[ChecklistChange, ...]
    new_findings: tuple[Finding, ...] = ()  # findings about the repository rather than one release
    gone_findings: tuple[Finding, ...] = ()
    unchanged: int = 0  # releases at both revisions that nothing touched

    @property
    def regressions(self) -> tuple[ReleaseDiff, ...]:
        return tuple(r for r in self.releases if r.regression)

    @property
    def new_errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.new_findings if f.severity == "error") + \
            tuple(f for r in self.releases for f in r.new_errors)

    def failures(self, fail_on: tuple[str, ...]) -> list[str]:
        """Why `--fail-on` fails the run: one phrase per condition met, empty when none is."""
        out = []
        if "regression" in fail_on and self.regressions:
            out.append(f"{len(self.regressions)} release(s) regressed: "
                       + ", ".join(r.name for r in self.regressions))
        if "error" in fail_on and self.new_errors:
            out.append(f"{len(self.new_errors)} new audit finding(s) of severity error: "
                       + ", ".join(sorted({f.rule for f in self.new_errors})))
        return out


class RevisionError(Exception):
    """A revision whose inputs do not load; carries the problems and which revision it was."""

    def __init__(self, side: str, label: str, problems: list[Problem]):
        self.side, self.label, self.problems = side, label, problems
        super().__init__(f"{side} {label}")


def load_side(root: Path, rev: str, which: str, today: dt.date) -> Side:
    """Load, evaluate and audit the project at `rev`."""
    from generator.project import load_project

    with checkout.revision(root, rev) as snap:
        try:
            project = load_project(snap.root)
        except InputError as exc:
            raise RevisionError(which, f"{rev} ({snap.short})", exc.problems) from None
        evaluations = project.evaluations(today)
        findings = audit(AuditContext(evaluations, project.histories, project.repository,
                                      project.config.get("audit", {})))
    return Side(rev, snap.commit, {e.release.name: e for e in evaluations}, dict(project.checklists),
                tuple(findings), tuple(snap.skipped))


def compare(base: Side, head: Side, today: dt.date) -> Report:
    """The differences between two loaded revisions, releases in HEAD's order (the latest last)."""
    names = list(head.evaluations) + [n for n in base.evaluations if n not in head.evaluations]
    releases, unchanged = [], 0
    by_release = _findings_by_release(base.findings, head.findings)
    for name in names:
        d = _release_diff(base.evaluations.get(name), head.evaluations.get(name), *by_release.get(name, ((), ())))
        if d is None:
            unchanged += 1
        else:
            releases.append(d)
    repo_new, repo_gone = by_release.get(None, ((), ()))
    checklists = tuple(c for c in (_checklist_change(n, base.checklists.get(n), head.checklists.get(n), head)
                                   for n in sorted(set(base.checklists) | set(head.checklists))) if c)
    return Report(base, head, today, tuple(releases), checklists, repo_new, repo_gone, unchanged)


def diff_revisions(root: Path, base: str, head: str, today: dt.date) -> Report:
    """Load both revisions and compare them."""
    checkout.resolve(root, base)  # a missing BASE is reported before HEAD is loaded
    checkout.resolve(root, head)
    return compare(load_side(root, base, "BASE", today), load_side(root, head, "HEAD", today), today)


def _key(f: Finding) -> tuple:
    return (f.rule, f.severity, f.release, f.message)


def _findings_by_release(before, after) -> dict:
    """release name (None for the repository) -> (findings only at HEAD, findings only at BASE)."""
    old, new = {_key(f) for f in before}, {_key(f) for f in after}
    out: dict = {}
    for f in after:
        if _key(f) not in old:
            out.setdefault(f.release, ([], []))[0].append(f)
    for f in before:
        if _key(f) not in new:
            out.setdefault(f.release, ([], []))[1].append(f)
    return {k: (tuple(a), tuple(b)) for k, (a, b) in out.items()}


def _status(r: Optional[ItemResult]) -> Optional[str]:
    if r is None:
        return None
    return "waived (expired)" if r.expired else r.status


def _fields(r: Optional[ItemResult]) -> dict:
    own = r.own if r is not None else None
    if own is None:
        return {"status": r.status if r else None}
    return {"status": r.status, "by": own.by, "date": own.date, "evidence": own.evidence, "note": own.note,
            "reason": own.reason, "approved_by": own.approved_by, "expires": own.expires, "value": r.measured}


def _item_changes(before: Optional[Evaluation], after: Optional[Evaluation]) -> tuple[ItemChange, ...]:
    if before is None or after is None:
        return ()
    kinds: dict[str, list[str]] = {}
    for c in analyse.diff(before, after).changes:  # the release page's own classification of changes
        kinds.setdefault(c.item, []).append(c.kind)
    old = {r.item.id: r for r in before.results}
    new = {r.item.id: r for r in after.results}
    out = []
    for item_id in list(new) + [i for i in old if i not in new]:
        was, now = old.get(item_id), new.get(item_id)
        a, b = _fields(was), _fields(now)
        changed = tuple(k for k in ENTRY_FIELDS if a.get(k) != b.get(k))
        expired_now = bool(now and now.expired and not (was and was.expired))
        if not changed and not expired_now:
            continue
        k = list(kinds.get(item_id, ()))
        if now is not None and now.status == "failed" and (was is None or was.status != "failed") \
                and "regressed" not in k:
            k.append("failed")
        if expired_now:
            k.append("expired")
        if not k:
            k.append("details")
        shown = now if now is not None else was
        own = shown.own
        out.append(ItemChange(item_id, shown.item.plain, _status(was), _status(now), tuple(k), changed,
                              own.by if own else None, own.date.isoformat() if own and own.date else None,
                              own.evidence if own else None, was.measured if was else None,
                              now.measured if now else None))
    return tuple(out)


def _signoff_changes(before: Optional[Evaluation], after: Optional[Evaluation]) -> tuple[SignoffChange, ...]:
    if before is None or after is None:
        return ()
    old = {s.role: (s.name, s.date.isoformat()) for s in before.release.signoffs}
    new = {s.role: (s.name, s.date.isoformat()) for s in after.release.signoffs}
    labels = {r.id: r.label for r in before.checklist.roles}
    labels.update({r.id: r.label for r in after.checklist.roles})
    out = []
    for role in [r for r in new if r not in old or old[r] != new[r]] + [r for r in old if r not in new]:
        change = "added" if role not in old else "removed" if role not in new else "changed"
        out.append(SignoffChange(role, labels.get(role, role), change, old.get(role), new.get(role)))
    return tuple(out)


def _release_diff(before: Optional[Evaluation], after: Optional[Evaluation], new_findings,
                  gone_findings) -> Optional[ReleaseDiff]:
    shown = after or before
    items, signoffs = _item_changes(before, after), _signoff_changes(before, after)
    file_changed = before is None or after is None or before.release.sha256 != after.release.sha256
    moved = before is None or after is None or before.verdict != after.verdict or before.progress != after.progress
    if not (items or signoffs or new_findings or gone_findings or file_changed or moved):
        return None
    change = "added" if before is None else "removed" if after is None else "changed"
    return ReleaseDiff(shown.release.name, shown.release.path, change, shown.checklist.name,
                       before.verdict if before else None, after.verdict if after else None,
                       before.progress if before else None, after.progress if after else None,
                       items, signoffs, tuple(new_findings), tuple(gone_findings), file_changed)


def _checklist_change(name: str, before: Optional[Checklist], after: Optional[Checklist],
                      head: Side) -> Optional[ChecklistChange]:
    if before is not None and after is not None and before.sha256 == after.sha256:
        return None
    # A results file is evaluated against the checklist as it was at its last commit: only those committed
    # with this version (or changed since) are evaluated against it; the others keep theirs until next committed.
    affects = tuple(n for n, e in head.evaluations.items() if after is not None and e.checklist.sha256 == after.sha256)
    keep = tuple(n for n, e in head.evaluations.items() if e.checklist.name == name and n not in affects)
    shown = after or before
    if before is None or after is None:
        return ChecklistChange(name, shown.path, "added" if before is None else "removed", affects=affects, keep=keep)
    old = {i.id: i.plain for i in before.items}
    new = {i.id: i.plain for i in after.items}
    added = [i for i in new if i not in old]
    removed = [i for i in old if i not in new]
    by_text = {old[i]: i for i in removed}
    renamed = [(by_text[new[i]], i) for i in added if new[i] in by_text]
    moved_old, moved_new = {o for o, _ in renamed}, {n for _, n in renamed}
    return ChecklistChange(
        name, after.path, "changed",
        tuple((i, new[i]) for i in added if i not in moved_new),
        tuple((i, old[i]) for i in removed if i not in moved_old),
        tuple(renamed),
        tuple((i, old[i], new[i]) for i in new if i in old and old[i] != new[i]),
        tuple(r for r in after.role_ids if r not in before.role_ids),
        tuple(r for r in before.role_ids if r not in after.role_ids),
        affects, keep)


def report_json(report: Report) -> dict:
    """The report as plain data for `--json`: every change in full, nothing cut."""

    def side(s: Side) -> dict:
        return {"revision": s.label, "commit": s.commit, "not_read": [str(p) for p in s.skipped]}

    def finding(f: Finding) -> dict:
        return f.as_json()

    def release(r: ReleaseDiff) -> dict:
        return {
            "release": r.name, "path": r.path, "change": r.change, "checklist": r.checklist,
            "verdict": {"before": r.verdict_before, "after": r.verdict_after},
            "progress": {"before": r.progress_before, "after": r.progress_after},
            "regression": r.regression, "file_changed": r.file_changed,
            "items": [{"item": i.item, "text": i.text, "before": i.before, "after": i.after, "kinds": list(i.kinds),
                       "changed": list(i.changed), "by": i.by, "date": i.date, "evidence": i.evidence,
                       "value": {"before": i.value_before, "after": i.value_after}} for i in r.items],
            "signoffs": [{"role": s.role, "change": s.change,
                          "before": dict(zip(("name", "date"), s.before)) if s.before else None,
                          "after": dict(zip(("name", "date"), s.after)) if s.after else None} for s in r.signoffs],
            "findings": {"new": [finding(f) for f in r.new_findings], "gone": [finding(f) for f in r.gone_findings]},
        }

    def checklist(c: ChecklistChange) -> dict:
        return {"checklist": c.name, "path": c.path, "change": c.change,
                "items": {"added": [dict(id=i, text=t) for i, t in c.added],
                          "removed": [dict(id=i, text=t) for i, t in c.removed],
                          "renamed": [dict(before=a, after=b) for a, b in c.renamed],
                          "reworded": [dict(id=i, before=a, after=b) for i, a, b in c.reworded]},
                "roles": {"added": list(c.roles_added), "removed": list(c.roles_removed)},
                "affects": list(c.affects), "keep_earlier_version": list(c.keep)}

    return {
        "base": side(report.base), "head": side(report.head), "evaluated_on": report.evaluated_on.isoformat(),
        "summary": {"releases_changed": len(report.releases), "releases_unchanged": report.unchanged,
                    "regressions": [r.name for r in report.regressions],
                    "new_errors": len(report.new_errors)},
        "releases": [release(r) for r in report.releases],
        "checklists": [checklist(c) for c in report.checklists],
        "findings": {"new": [finding(f) for f in report.new_findings],
                     "gone": [finding(f) for f in report.gone_findings]},
    }
