"""Audit findings: one function per rule, listed in RULES; each yields findings with evidence an auditor can follow."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional, Sequence

from generator.model import Evaluation
from generator.provenance import FileHistory, Repository


@dataclass(frozen=True)
class Finding:
    """One audit finding: a stable rule id, a severity, the release, a message and the evidence behind it."""

    rule: str
    severity: str  # error or warning
    release: Optional[str]
    message: str
    evidence: dict = field(default_factory=dict, compare=False)

    def as_json(self) -> dict:
        return {"rule": self.rule, "severity": self.severity, "release": self.release, "message": self.message,
                "evidence": self.evidence}


@dataclass(frozen=True)
class AuditContext:
    """What the rules look at: evaluated releases, their git history, and the audit settings."""

    evaluations: Sequence[Evaluation]
    histories: dict  # release name -> FileHistory
    repository: Repository
    config: dict  # readiness.yml `audit:` settings

    def history(self, e: Evaluation) -> Optional[FileHistory]:
        return self.histories.get(e.release.name)


def _line(location) -> str:
    return f"{location.path}:{location.line}"


def _commit(c) -> dict:
    return {"sha": c.sha, "author": c.author, "date": c.author_date.isoformat(), "signature": c.signature}


def signoff_missing(ctx: AuditContext) -> Iterable[Finding]:
    for e in ctx.evaluations:
        if e.launched:
            for role in e.unsigned:
                yield Finding("signoff-missing", "error", e.release.name,
                              f"launched {e.release.launch.date} without a sign-off by {role}",
                              {"role": role, "file": e.release.path})


def launched_before_signoff(ctx: AuditContext) -> Iterable[Finding]:
    for e in ctx.evaluations:
        if not e.launched:
            continue
        for s in e.release.signoffs:
            if s.date > e.release.launch.date:
                yield Finding("launched-before-signoff", "error", e.release.name,
                              f"launched {e.release.launch.date}, before {s.role} signed on {s.date}",
                              {"role": s.role, "signed": s.date.isoformat(), "launch": e.release.launch.date.isoformat(),
                               "line": _line(s.location)})


def signoff_before_completion(ctx: AuditContext) -> Iterable[Finding]:
    for e in ctx.evaluations:
        dated = [(r.own.date, r.item.id, r.own.location) for r in e.results
                 if r.status == "done" and r.own is not None and r.own.date is not None]
        if not dated:
            continue
        last_date, last_item, where = max(dated, key=lambda d: (d[0], d[1]))
        for s in e.release.signoffs:
            if s.date < last_date:
                yield Finding("signoff-before-completion", "warning", e.release.name,
                              f"{s.role} signed on {s.date}, before {last_item} was completed on {last_date}",
                              {"role": s.role, "signed": s.date.isoformat(), "item": last_item,
                               "completed": last_date.isoformat(), "lines": [_line(s.location), _line(where)]})


def launched_not_ready(ctx: AuditContext) -> Iterable[Finding]:
    for e in ctx.evaluations:
        if e.launched and e.verdict != "YES":
            why = ", ".join(sorted({r.kind for r in e.reasons}))
            yield Finding("launched-not-ready", "error", e.release.name,
                          f"launched {e.release.launch.date} while the verdict was {e.verdict} ({why})",
                          {"verdict": e.verdict, "blocking": list(e.blocking)[:50], "unsigned": list(e.unsigned)})


def duplicate_signer(ctx: AuditContext) -> Iterable[Finding]:
    """One person signing several roles, however the name is spelt (case, spaces, invisible characters)."""
    from generator.text import comparable

    for e in ctx.evaluations:
        roles: dict[str, list[str]] = {}
        for s in e.release.signoffs:
            roles.setdefault(comparable(s.name), []).append(s.role)
        for s_name, signed in roles.items():
            if len(signed) > 1:
                name = next(s.name for s in e.release.signoffs if comparable(s.name) == s_name)
                yield Finding("duplicate-signer", "error", e.release.name,
                              f"{name} signed {len(signed)} roles: {', '.join(signed)}", {"name": name, "roles": signed})


def signer_is_recorder(ctx: AuditContext) -> Iterable[Finding]:
    for e in ctx.evaluations:
        history = ctx.history(e)
        if history is None:
            continue
        for s in e.release.signoffs:
            commit = history.signoff_commits.get(s.role)
            if commit is not None and commit.author.strip().casefold() != s.name.strip().casefold():
                yield Finding("signer-is-recorder", "warning", e.release.name,
                              f"{s.role} sign-off by {s.name} was recorded by {commit.author} in {commit.short}",
                              {"role": s.role, "signer": s.name, "commit": _commit(commit), "line": _line(s.location)})


def edited_after_signoff(ctx: AuditContext) -> Iterable[Finding]:
    for e in ctx.evaluations:
        history = ctx.history(e)
        for commit, keys in history.edits_after_signoff if history else ():
            where = f"commit {commit.short} by {commit.author} ({commit.author_date.date()})" if commit else \
                "uncommitted changes"
            last = max(history.signoff_commits.values(), key=lambda c: (c.commit_date, c.sha))
            yield Finding("edited-after-signoff", "warning", e.release.name,
                          f"{', '.join(keys)} changed by {where} after the last sign-off was recorded in {last.short}",
                          {"keys": list(keys), "commit": _commit(commit) if commit else None,
                           "signoff_commit": _commit(last)})


def waiver_expired(ctx: AuditContext) -> Iterable[Finding]:
    for e in ctx.evaluations:
        for r in e.results:
            if r.expired:
                when = "before the launch" if e.launched else "before the evaluation date"
                yield Finding("waiver-expired", "error", e.release.name,
                              f"waiver of {r.item.id} expired on {r.entry.expires}, {when} ({e.evaluated_on})",
                              {"item": r.item.id, "expires": r.entry.expires.isoformat(),
                               "approved_by": r.entry.approved_by, "line": _line(r.entry.location)})


def justification_missing(ctx: AuditContext) -> Iterable[Finding]:
    for e in ctx.evaluations:
        seen: set[str] = set()
        for r in e.results:
            if r.status in ("n/a", "waived") and r.entry is not None and not r.entry.reason \
                    and r.entry.target not in seen:
                seen.add(r.entry.target)
                severity = "warning" if r.status == "n/a" and r.item.conditional else "error"
                yield Finding("justification-missing", severity, e.release.name,
                              f"{r.entry.target} is {r.status} without a reason",
                              {"entry": r.entry.target, "line": _line(r.entry.location)})


def evidence_missing(ctx: AuditContext) -> Iterable[Finding]:
    required = tuple(ctx.config.get("evidence_required", ()))
    if not required:
        return
    for e in ctx.evaluations:
        for r in e.results:
            if r.status == "done" and any(a in required for a in r.item.ancestors + (r.item.id,)) \
                    and not (r.own and r.own.evidence):
                yield Finding("evidence-missing", "warning", e.release.name,
                              f"{r.item.id} is done without an evidence link", {"item": r.item.id})


def unsigned_commit(ctx: AuditContext) -> Iterable[Finding]:
    if not ctx.config.get("signed_commits"):
        return
    for e in ctx.evaluations:
        history = ctx.history(e)
        for c in history.commits if history else ():
            if not c.signature.startswith("good"):
                yield Finding("unsigned-commit", "error", e.release.name,
                              f"commit {c.short} by {c.author} changing {e.release.path} is {c.signature}",
                              {"commit": _commit(c)})


def timestamp_ambiguous(ctx: AuditContext) -> Iterable[Finding]:
    for e in ctx.evaluations:
        launch = e.release.launch
        if launch and launch.time and not launch.timezone:
            yield Finding("timestamp-ambiguous", "warning", e.release.name,
                          f"launch time {launch.time} has no time zone", {"line": _line(launch.location)})


def history_incomplete(ctx: AuditContext) -> Iterable[Finding]:
    if not ctx.repository.available:
        yield Finding("history-incomplete", "warning", None,
                      f"provenance could not be computed: {ctx.repository.reason}", {})
        return
    if ctx.repository.shallow:
        yield Finding("history-incomplete", "warning", None,
                      "the repository is a shallow clone: commits older than its depth are missing; "
                      "fetch the full history (git fetch --unshallow)", {"head": ctx.repository.head})
    for e in ctx.evaluations:
        history = ctx.history(e)
        if history is not None and not history.commits:
            yield Finding("history-incomplete", "warning", e.release.name,
                          f"{e.release.path} has never been committed", {"file": e.release.path})


def carried_over_unconfirmed(ctx: AuditContext) -> Iterable[Finding]:
    """A launched release with statuses `new --from` copied from another release that no one confirmed."""
    from generator.analyse import carried

    for e in ctx.evaluations:
        if not e.launched:
            continue
        for source, items in carried(e).items():
            shown = ", ".join(items[:10]) + (f" and {len(items) - 10} more" if len(items) > 10 else "")
            yield Finding("carried-over-unconfirmed", "warning", e.release.name,
                          f"launched {e.release.launch.date} with {len(items)} item"
                          f"{'s' if len(items) != 1 else ''} carried over from {source} and not re-verified: {shown}",
                          {"from": source, "items": list(items[:50]), "count": len(items), "file": e.release.path})


RULES: list[Callable[[AuditContext], Iterable[Finding]]] = [
    signoff_missing,
    launched_before_signoff,
    signoff_before_completion,
    launched_not_ready,
    duplicate_signer,
    signer_is_recorder,
    edited_after_signoff,
    waiver_expired,
    justification_missing,
    evidence_missing,
    unsigned_commit,
    timestamp_ambiguous,
    history_incomplete,
    carried_over_unconfirmed,
]


def audit(ctx: AuditContext) -> list[Finding]:
    """Every rule's findings, errors first, then by release and rule."""
    findings = [f for rule in RULES for f in rule(ctx)]
    order = {e.release.name: i for i, e in enumerate(ctx.evaluations)}
    return sorted(findings, key=lambda f: (f.severity != "error", order.get(f.release, -1), f.rule, f.message))
