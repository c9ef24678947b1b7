"""Audit findings: one function per rule, listed in RULES; each yields findings with evidence an auditor can follow.

A launched release is judged as its launch commit holds it (timeline.py): later edits are findings of
their own and never change what the launch rules see. Messages name commits by sha, author and
committer date (the order commits were made in; an author date can be set to anything).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional, Sequence

from generator.errors import printable
from generator.model import Evaluation
from generator.people import Team, signed_by
from generator.text import comparable
from generator.provenance import Repository

MAX_LISTED = 10  # items or entries named in one message; the evidence lists up to 50
# Rules that read the git history: without it (or with part of it) they cannot be checked.
HISTORY_RULES = ("signer-is-recorder", "signoff-not-ready", "signoff-after-launch", "edited-after-signoff",
                 "edited-after-launch", "unsigned-commit", "release-deleted", "signoff-unsigned")


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
    """What the rules look at: evaluated releases, their history (timeline.py), and the audit settings."""

    evaluations: Sequence[Evaluation]
    histories: dict  # release name -> ReleaseHistory
    repository: Repository
    config: dict  # readiness.yml `audit:` settings
    launched: dict = field(default_factory=dict)  # release name -> Evaluation of the release as launched
    tombstones: tuple = ()
    incomplete: str = ""  # why the history is incomplete ("" when it is whole)
    team: Optional[Team] = None  # readiness.yml people and policy; None: names are compared as strings
    whole: bool = True  # False: `evaluations` is one release, and findings about the site as a whole are not wanted

    def history(self, e: Evaluation):
        return self.histories.get(e.release.name)

    def judged(self, e: Evaluation) -> Evaluation:
        """The evaluation the launch rules judge: the release as launched when the history has it, else as now."""
        return self.launched.get(e.release.name) or e


def _line(location) -> str:
    return f"{location.path}:{location.line}"


def _commit(c) -> dict:
    return {"sha": c.sha, "author": c.author, "email": c.author_email, "date": c.author_date.isoformat(),
            "committed": c.commit_date.isoformat(), "signature": c.signature, **({"signer": c.signer} if c.signer else {})}


def _by(c) -> str:
    return f"commit {c.short} by {c.author} (committed {c.commit_date.isoformat()})"


def _as_of(ctx: AuditContext, e: Evaluation) -> dict:
    """Evidence naming the launch commit whose version of the file a finding was judged on."""
    h = ctx.history(e)
    if e.release.name in ctx.launched and h is not None and h.launch is not None:
        return {"as_launched": h.launch.commit.sha}
    return {}


def _listed(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_LISTED])
    return shown + (f" and {len(names) - MAX_LISTED} more" if len(names) > MAX_LISTED else "")


def signoff_missing(ctx: AuditContext) -> Iterable[Finding]:
    for now in ctx.evaluations:
        e = ctx.judged(now)
        if e.launched:
            for role in e.unsigned:
                why = f" that counts ({role}'s sign-off does not: {e.uncounted[role]})" if role in e.uncounted else ""
                yield Finding("signoff-missing", "error", now.release.name,
                              f"launched {e.release.launch.date} without a sign-off by {role}{why}",
                              {"role": role, "file": now.release.path, **_as_of(ctx, now),
                               **({"uncounted": e.uncounted[role]} if role in e.uncounted else {})})


def launched_before_signoff(ctx: AuditContext) -> Iterable[Finding]:
    for now in ctx.evaluations:
        e = ctx.judged(now)
        if not e.launched:
            continue
        for s in e.release.signoffs:
            if s.date > e.release.launch.date:
                yield Finding("launched-before-signoff", "error", now.release.name,
                              f"launched {e.release.launch.date}, before {s.role} signed on {s.date}",
                              {"role": s.role, "signed": s.date.isoformat(), "launch": e.release.launch.date.isoformat(),
                               "line": _line(s.location), **_as_of(ctx, now)})


def signoff_before_completion(ctx: AuditContext) -> Iterable[Finding]:
    for now in ctx.evaluations:
        e = ctx.judged(now)
        dated = [(r.own.date, r.item.id, r.own.location) for r in e.results
                 if r.status == "done" and r.own is not None and r.own.date is not None]
        if not dated:
            continue
        last_date, last_item, where = max(dated, key=lambda d: (d[0], d[1]))
        for s in e.release.signoffs:
            if s.date < last_date:
                yield Finding("signoff-before-completion", "warning", now.release.name,
                              f"{s.role} signed on {s.date}, before {last_item} was completed on {last_date}",
                              {"role": s.role, "signed": s.date.isoformat(), "item": last_item,
                               "completed": last_date.isoformat(), "lines": [_line(s.location), _line(where)],
                               **_as_of(ctx, now)})


def launched_not_ready(ctx: AuditContext) -> Iterable[Finding]:
    for now in ctx.evaluations:
        e = ctx.judged(now)
        if e.launched and e.verdict != "YES":
            why = ", ".join(sorted({r.kind for r in e.reasons}))
            yield Finding("launched-not-ready", "error", now.release.name,
                          f"launched {e.release.launch.date} while the verdict was {e.verdict} ({why})",
                          {"verdict": e.verdict, "blocking": list(e.blocking)[:50], "unsigned": list(e.unsigned),
                           **_as_of(ctx, now)})


def duplicate_signer(ctx: AuditContext) -> Iterable[Finding]:
    """One person signing several roles, however the name is spelt (case, spaces, invisible characters, and
    the aliases readiness.yml lists for them)."""

    for now in ctx.evaluations:
        e = ctx.judged(now)
        roles: dict[str, list] = {}
        for s in e.release.signoffs:
            person = ctx.team.person(s.name) if ctx.team else None
            roles.setdefault(f"person:{person.id}" if person else comparable(s.name), []).append(s)
        for signed in roles.values():
            if len(signed) > 1:
                names = sorted({s.name for s in signed})
                person = ctx.team.person(signed[0].name) if ctx.team else None
                name = person.name if person else signed[0].name
                spelt = f" (written {', '.join(names)})" if len(names) > 1 or names[0] != name else ""
                yield Finding("duplicate-signer", "error", now.release.name,
                              f"{name}{spelt} signed {len(signed)} roles: {', '.join(s.role for s in signed)}",
                              {"name": name, "roles": [s.role for s in signed],
                               **({"names": names, "person": person.id if person else None} if ctx.team else {})})


def _recorded_signoffs(ctx: AuditContext):
    """(evaluation, sign-off, the commit that recorded it) for every sign-off whose commit is known."""
    for e in ctx.evaluations:
        history = ctx.history(e)
        for s in e.release.signoffs if history is not None else ():
            record = history.signoffs.get(s.role)
            if record is not None and record.commit is not None:
                yield e, s, record.commit


def signer_is_recorder(ctx: AuditContext) -> Iterable[Finding]:
    """A sign-off committed by someone other than the signer. With a team listed, people are compared: the
    signer's name is matched to a person, and the commit to the person whose e-mails include its author's."""
    for e, s, commit in _recorded_signoffs(ctx):
        if ctx.team is not None:
            signer, recorder = ctx.team.person(s.name), ctx.team.by_email(commit.author_email)
            if signer is not None and recorder is not None and signer.id == recorder.id:
                continue
            who = recorder.name if recorder else "no one on the team"
            yield Finding("signer-is-recorder", "warning", e.release.name,
                          f"{s.role} sign-off by {s.name} was recorded in {commit.short} by {commit.author} "
                          f"<{commit.author_email}>, an e-mail of {who}",
                          {"role": s.role, "signer": s.name, "signer_person": signer.id if signer else None,
                           "recorder_person": recorder.id if recorder else None, "commit": _commit(commit),
                           "line": _line(s.location)})
        elif comparable(commit.author) != comparable(printable(s.name)):  # spelt as duplicate-signer compares
            yield Finding("signer-is-recorder", "warning", e.release.name,
                          f"{s.role} sign-off by {s.name} was recorded by {commit.author} in {commit.short}",
                          {"role": s.role, "signer": s.name, "commit": _commit(commit), "line": _line(s.location)})


def signoff_unsigned(ctx: AuditContext) -> Iterable[Finding]:
    """With `audit.signed_commits: true` and a team: a sign-off whose recording commit is not signed by a key
    readiness.yml lists for the person named (git's principal, not only a good %G?); it does not count."""
    if ctx.team is None or not ctx.config.get("signed_commits"):
        return
    for e in ctx.evaluations:
        history = ctx.history(e)
        for s in e.release.signoffs:
            record = history.signoffs.get(s.role) if history is not None else None
            commit = record.commit if record is not None else None
            person = ctx.team.person(s.name)
            if signed_by(person, commit):
                continue
            whose = f"of {person.name}" if person else "of anyone listed (the name matches no person)"
            if commit is None:
                where = "before this shallow clone's first commit" if record is not None and record.before_clone \
                    else "in no commit (it is not committed)" if ctx.repository.available \
                    else f"where no git history could be read ({ctx.repository.reason})"
                yield Finding("signoff-unsigned", "error", e.release.name,
                              f"{s.role} sign-off by {s.name} does not count: it was recorded {where}, so no "
                              f"signature by a key {whose} can be checked",
                              {"role": s.role, "signer": s.name, "person": person.id if person else None,
                               "commit": None, "line": _line(s.location)})
                continue
            if commit.signer:
                how = f"signed by a key of {ctx.team.people[commit.signer].name}" \
                    if commit.signer in ctx.team.people else f"signed by {commit.signer}"
            elif commit.signature.startswith("good"):
                how = "signed by a key readiness.yml does not list"
            else:
                how = commit.signature
            yield Finding("signoff-unsigned", "error", e.release.name,
                          f"{s.role} sign-off by {s.name} does not count: {commit.short}, which recorded it, is "
                          f"{how}, not by a key {whose}",
                          {"role": s.role, "signer": s.name, "person": person.id if person else None,
                           "principal": commit.signer or None, "commit": _commit(commit), "line": _line(s.location)})


def signoff_not_allowed(ctx: AuditContext) -> Iterable[Finding]:
    """With a team listed: a sign-off by a name that is no one on it, or by a person the policy does not let
    sign that role."""
    if ctx.team is None:
        return
    for now in ctx.evaluations:
        e = ctx.judged(now)
        for s in e.release.signoffs:
            person = ctx.team.person(s.name)
            if person is None:
                why = "matches no person listed under people: in readiness.yml"
            elif not ctx.team.may_sign(s.role, person):
                allowed = ", ".join(ctx.team.people[i].name for i in ctx.team.policy.roles[s.role]) or "no one"
                why = f"is {person.name}, who may not sign it (policy.roles.{s.role}: {allowed})"
            else:
                continue
            counts = "; it does not count" if ctx.team.policy is not None else ""
            yield Finding("signoff-not-allowed", "error", now.release.name,
                          f"{s.role} sign-off by {s.name} {why}{counts}",
                          {"role": s.role, "signer": s.name, "person": person.id if person else None,
                           "line": _line(s.location), **_as_of(ctx, now)})


def waiver_not_allowed(ctx: AuditContext) -> Iterable[Finding]:
    """With a team listed: a waiver approved by no one on it, by a person the policy does not let approve
    waivers, or by the person who recorded the item (segregation of duties)."""
    if ctx.team is None:
        return
    for now in ctx.evaluations:
        e = ctx.judged(now)
        seen: set[str] = set()
        for r in e.results:
            entry = r.entry
            if r.status != "waived" or entry is None or not entry.approved_by or entry.target in seen:
                continue
            seen.add(entry.target)
            approver, recorder = ctx.team.person(entry.approved_by), ctx.team.person(entry.by)
            if approver is None:
                why = "who matches no person listed under people: in readiness.yml"
            elif not ctx.team.may_waive(approver):
                why = f"({approver.name}), who may not approve waivers (policy.waivers)"
            elif recorder is not None and recorder.id == approver.id:
                why = f"({approver.name}), the person who recorded it; a waiver needs another person's approval"
            else:
                continue
            yield Finding("waiver-not-allowed", "error", now.release.name,
                          f"waiver of {entry.target} was approved by {entry.approved_by} {why}",
                          {"entry": entry.target, "approved_by": entry.approved_by, "by": entry.by,
                           "person": approver.id if approver else None, "line": _line(entry.location),
                           **_as_of(ctx, now)})


def signoff_not_ready(ctx: AuditContext) -> Iterable[Finding]:
    for e in ctx.evaluations:
        history = ctx.history(e)
        for role, record in sorted(history.signoffs.items()) if history else ():
            if record.commit is None or not record.not_ready:
                continue
            names = [f"{item} ({status})" for item, status in record.not_ready]
            yield Finding("signoff-not-ready", "error", e.release.name,
                          f"{role} signed in {_by(record.commit)} while {len(names)} item"
                          f"{'s were' if len(names) != 1 else ' was'} failed, pending or expired: {_listed(names)}",
                          {"role": role, "commit": _commit(record.commit), "checklist_sha256": record.checklist_sha256,
                           "items": [{"item": i, "status": s} for i, s in record.not_ready[:50]]})


def signoff_after_launch(ctx: AuditContext) -> Iterable[Finding]:
    for e in ctx.evaluations:
        history = ctx.history(e)
        if history is None or history.launch is None:
            continue
        signed = {s.role: s for s in e.release.signoffs}
        for role, record in sorted(history.signoffs.items()):
            if record.after_launch and role in signed:
                launch = history.launch.commit
                yield Finding("signoff-after-launch", "error", e.release.name,
                              f"{role} sign-off (dated {signed[role].date} in the file) was committed in "
                              f"{_by(record.commit)}, after the launch was recorded in {_by(launch)}",
                              {"role": role, "dated": signed[role].date.isoformat(), "commit": _commit(record.commit),
                               "launch_commit": _commit(launch)})


def _edits(edits) -> Iterable[tuple]:
    for edit in edits:
        where = _by(edit.commit) if edit.commit is not None else "uncommitted changes"
        entries = [str(c) for c in edit.entries]
        yield edit, where, entries, {"commit": _commit(edit.commit) if edit.commit is not None else None,
                                     "file": edit.path, "entries": [{"key": c.key, "field": c.field, "before": c.before,
                                                                     "after": c.after} for c in edit.entries[:50]]}


def edited_after_signoff(ctx: AuditContext) -> Iterable[Finding]:
    for e in ctx.evaluations:
        history = ctx.history(e)
        if history is None or history.last_signoff is None:
            continue
        for edit, where, entries, evidence in _edits(history.after_signoff):
            yield Finding("edited-after-signoff", "warning", e.release.name,
                          f"{where} changed {_listed(entries)}, after the last sign-off was recorded in "
                          f"{_by(history.last_signoff)}", {**evidence, "signoff_commit": _commit(history.last_signoff)})


def edited_after_launch(ctx: AuditContext) -> Iterable[Finding]:
    for e in ctx.evaluations:
        history = ctx.history(e)
        if history is None or history.launch is None:
            continue
        for edit, where, entries, evidence in _edits(history.after_launch):
            yield Finding("edited-after-launch", "warning" if edit.minor else "error", e.release.name,
                          f"{where} changed {_listed(entries)}, after the launch was recorded in "
                          f"{_by(history.launch.commit)}", {**evidence, "launch_commit": _commit(history.launch.commit)})


def waiver_expired(ctx: AuditContext) -> Iterable[Finding]:
    for now in ctx.evaluations:
        e = ctx.judged(now)
        for r in e.results:
            if r.expired:
                when = "before the launch" if e.launched else "before the evaluation date"
                yield Finding("waiver-expired", "error", now.release.name,
                              f"waiver of {r.item.id} expired on {r.entry.expires}, {when} ({e.evaluated_on})",
                              {"item": r.item.id, "expires": r.entry.expires.isoformat(),
                               "approved_by": r.entry.approved_by, "line": _line(r.entry.location), **_as_of(ctx, now)})


def justification_missing(ctx: AuditContext) -> Iterable[Finding]:
    for now in ctx.evaluations:
        e = ctx.judged(now)
        seen: set[str] = set()
        for r in e.results:
            if r.status in ("n/a", "waived") and r.entry is not None and not r.entry.reason \
                    and r.entry.target not in seen:
                seen.add(r.entry.target)
                severity = "warning" if r.status == "n/a" and r.item.conditional else "error"
                yield Finding("justification-missing", severity, now.release.name,
                              f"{r.entry.target} is {r.status} without a reason",
                              {"entry": r.entry.target, "line": _line(r.entry.location), **_as_of(ctx, now)})


def evidence_missing(ctx: AuditContext) -> Iterable[Finding]:
    required = tuple(ctx.config.get("evidence_required", ()))
    if not required:
        return
    for now in ctx.evaluations:
        e = ctx.judged(now)
        for r in e.results:
            if r.status == "done" and any(a in required for a in r.item.ancestors + (r.item.id,)) \
                    and not (r.own and r.own.evidence):
                yield Finding("evidence-missing", "warning", now.release.name,
                              f"{r.item.id} is done without an evidence link", {"item": r.item.id, **_as_of(ctx, now)})


def unsigned_commit(ctx: AuditContext) -> Iterable[Finding]:
    if not ctx.config.get("signed_commits"):
        return
    for e in ctx.evaluations:
        history = ctx.history(e)
        for row in history.commits if history else ():
            c = row.commit
            if not c.signature.startswith("good") and not row.note.startswith("the clone's first commit"):
                yield Finding("unsigned-commit", "error", e.release.name,
                              f"commit {c.short} by {c.author} changing {row.path} is {c.signature}",
                              {"commit": _commit(c)})


def timestamp_ambiguous(ctx: AuditContext) -> Iterable[Finding]:
    for now in ctx.evaluations:
        launch = ctx.judged(now).release.launch
        if launch and launch.time and not launch.timezone:
            yield Finding("timestamp-ambiguous", "warning", now.release.name,
                          f"launch time {launch.time} has no time zone", {"line": _line(launch.location),
                                                                          **_as_of(ctx, now)})


def release_deleted(ctx: AuditContext) -> Iterable[Finding]:
    for t in ctx.tombstones:
        verdict = t.launch.verdict or "unknown"
        yield Finding("release-deleted", "error", t.release,
                      f"{t.path} of release {t.release}, launched {t.launch.date or '(date unreadable)'} with the verdict "
                      f"{verdict} (recorded in {_by(t.launch.commit)}), was deleted in {_by(t.removed)}",
                      {"file": t.path, "removed": _commit(t.removed), "launch_commit": _commit(t.launch.commit),
                       "verdict_at_launch": t.launch.verdict, "verdict_when_deleted": t.verdict})


def history_incomplete(ctx: AuditContext) -> Iterable[Finding]:
    not_checked = f"not checked: {', '.join(HISTORY_RULES)}; the launch rules judged the files as they are now"
    if not ctx.repository.available:
        if ctx.whole:
            yield Finding("history-incomplete", "error", None,
                          f"provenance could not be computed: {ctx.repository.reason}; {not_checked}", {})
        return
    if not ctx.whole:
        pass
    elif ctx.repository.shallow:
        yield Finding("history-incomplete", "error", None,
                      "the repository is a shallow clone: commits older than its depth are missing, so what they "
                      "did cannot be checked; fetch the full history (git fetch --unshallow)",
                      {"head": ctx.repository.head})
    elif ctx.incomplete:
        yield Finding("history-incomplete", "error", None, f"the git history is incomplete: {ctx.incomplete}", {})
    for e in ctx.evaluations:
        history = ctx.history(e)
        if history is None:
            continue
        if not history.commits:
            yield Finding("history-incomplete", "warning", e.release.name,
                          f"{e.release.path} has never been committed", {"file": e.release.path})
        elif history.launch is not None and history.launch.problem and not history.launch.before_clone:
            yield Finding("history-incomplete", "error", e.release.name,
                          f"the release as launched in {_by(history.launch.commit)} could not be evaluated: "
                          f"{history.launch.problem}; the launch rules judged the file as it is now",
                          {"launch_commit": _commit(history.launch.commit)})


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
    signoff_unsigned,
    signoff_not_allowed,
    waiver_not_allowed,
    signoff_not_ready,
    signoff_after_launch,
    edited_after_signoff,
    edited_after_launch,
    waiver_expired,
    justification_missing,
    evidence_missing,
    unsigned_commit,
    timestamp_ambiguous,
    release_deleted,
    history_incomplete,
    carried_over_unconfirmed,
]


def release_findings(ctx: AuditContext, e: Evaluation) -> list[Finding]:
    """Every rule's findings about one release of `ctx`: made of it, its history and the settings alone, so a
    build can keep them per release (summary.cached_findings)."""
    one = dataclasses.replace(ctx, evaluations=(e,), tombstones=(), whole=False)
    return [f for rule in RULES for f in rule(one)]


def audit(ctx: AuditContext,
          of_release: Callable[[AuditContext, Evaluation], list[Finding]] = release_findings) -> list[Finding]:
    """Every rule's findings, errors first, then by release and rule: those about the site as a whole (its
    history, deleted releases), then each release's from `of_release`."""
    findings = [f for rule in RULES for f in rule(dataclasses.replace(ctx, evaluations=()))]
    for e in ctx.evaluations:
        findings.extend(of_release(ctx, e))
    order = {e.release.name: i for i, e in enumerate(ctx.evaluations)}
    return sorted(findings, key=lambda f: (f.severity != "error", order.get(f.release, -1), f.rule, f.message))
