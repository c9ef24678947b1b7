"""History stage, per release: the release as launched, each sign-off as given, what changed after, and removals.

Built from GitHistory (history.py), which read the commit graph once. For a results file:

* its **launch commit** is the first commit, in graph order, whose version records `launch.date`; the
  release is loaded and evaluated as that commit holds the file and its checklist (the launch rules
  judge that evaluation);
* each **sign-off** was recorded by the commit that gave its entry the value it has today (a merge that
  brought it in is passed through to the branch commit that wrote it); the release is evaluated as
  that commit holds it, so a sign-off given while items were failed or pending names them;
* every commit that is not an ancestor of the launch commit and changes an entry (or the checklist
  items today's evaluation uses) is an **edit after launch**, with each entry before → after; a change
  back to the launched value, or a merge bringing in a change already listed on its branch, is not;
* edits after the **last sign-off** (in graph order) and before the launch are listed the same way;
* a launched release whose file was deleted leaves a **tombstone**.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from dataclasses import dataclass, field
from typing import Optional

from generator.errors import Problem
from generator.history import Version
from generator.merge import evaluate
from generator.model import Checklist, Evaluation, Release
from generator.provenance import ChecklistRevision, Commit
from generator.snapshot import Edit, TimelineBuilder
from generator.source import read_input
from generator.summary import Loaded
from generator.summary import head as head_of
from generator.versions import summarise

MAX_ROWS = 200  # commits listed per release page; the findings name every commit that matters


@dataclass(frozen=True)
class LaunchRecord:
    """The commit that first recorded a release's launch, and the release as that commit holds it."""

    commit: Commit
    path: str
    date: str
    verdict: Optional[str] = None  # None when it could not be evaluated (see `problem`)
    progress: Optional[float] = None
    checklist: str = ""
    checklist_sha256: str = ""
    problem: str = ""
    before_clone: bool = False  # recorded at or before a shallow clone's first commit: not readable as launched
    checklist_commit: Optional[Commit] = None  # the commit of the checklist revision it was evaluated against
    signoff_commits: dict = field(default_factory=dict, compare=False)  # role -> Commit (None: not known) that
    # gave each sign-off at launch its value; read only when the sign-off policy checks commit signatures


@dataclass(frozen=True)
class SignoffRecord:
    """A sign-off as given: the commit that recorded it and what was not ready in that commit."""

    role: str
    commit: Optional[Commit]  # None: not committed, or recorded before a shallow clone's first commit
    before_clone: bool = False
    not_ready: tuple = ()  # ((item id, status), ...): failed, pending or expired when it was recorded
    after_launch: bool = False  # committed after the launch commit (not one of its ancestors)
    checklist_sha256: str = ""  # the checklist it was given against
    problem: str = ""  # why the commit's version could not be evaluated


@dataclass(frozen=True)
class CommitRow:
    commit: Commit
    path: str
    note: str = ""  # moved from …, merge, the clone's first commit


@dataclass(frozen=True)
class ReleaseHistory:
    """Everything the history tells about one release, for its page and the audit."""

    path: str
    unchecked: tuple[str, ...] = ()  # why some history checks could not be made
    commits: tuple[CommitRow, ...] = ()  # newest first
    more_commits: int = 0  # commits not listed beyond MAX_ROWS
    last: Optional[Commit] = None  # the commit whose version of the file HEAD holds
    dirty: bool = True
    launch: Optional[LaunchRecord] = None
    signoffs: dict = field(default_factory=dict)  # role -> SignoffRecord, for the sign-offs in the file today
    after_launch: tuple[Edit, ...] = ()
    after_signoff: tuple[Edit, ...] = ()
    last_signoff: Optional[Commit] = None

    @property
    def signoff_commits(self) -> dict:
        return {role: s.commit for role, s in self.signoffs.items() if s.commit is not None}


@dataclass(frozen=True)
class Tombstone:
    """A launched release whose results file was deleted: when, by whom, and the verdicts it had."""

    release: str
    path: str
    removed: Commit
    launch: LaunchRecord
    verdict: Optional[str]  # of the last version before the deletion


@dataclass(frozen=True)
class Timelines:
    """The history stage's output."""

    histories: dict  # release name -> ReleaseHistory
    launched: dict  # release name -> Evaluation of the release as launched
    tombstones: tuple[Tombstone, ...] = ()
    revisions: dict = field(default_factory=dict)  # checklist name -> [ChecklistRevision], newest first
    incomplete: str = ""


def release_name(path: str) -> str:
    parts = path.split("/")
    return "/".join(parts[1:])[: -len(".yaml")]


def latest_date(now: Optional[dt.datetime] = None) -> dt.date:
    """The latest calendar date anywhere on Earth (UTC+14) at `now`: SOURCE_DATE_EPOCH when set, else the clock."""
    if now is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
        now = dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc) if epoch.isdigit() else \
            dt.datetime.now(dt.timezone.utc)
    return (now + dt.timedelta(hours=14)).date()


def future_dates(releases, latest: dt.date) -> list[Problem]:
    """Sign-offs and launches dated after today everywhere: a record of something that has not happened."""
    out = []
    for r in releases:
        for s in r.signoffs:
            if s.date > latest:
                out.append(Problem(s.location, f"signoffs.{s.role}.date: {s.date} is in the future (no place on Earth "
                                   f"has reached it); a sign-off is recorded when it is given"))
        if r.launch is not None and r.launch.date is not None and r.launch.date > latest:
            out.append(Problem(r.launch.location, f"launch.date: {r.launch.date} is in the future (no place on Earth "
                               "has reached it); record the launch when it has happened, and plans in a note"))
    return out


def checklist_revisions(builder: TimelineBuilder) -> dict[str, list[ChecklistRevision]]:
    """Each checklist's commits, newest first, with the ids each one added, removed or renamed."""
    out: dict[str, list[ChecklistRevision]] = {}
    for name, versions in builder.gh.checklist_versions.items():
        revisions = []
        for v in versions:
            parsed = builder.checklist(name, v.blob) if v.blob else None
            if parsed is None:
                continue
            previous = builder.checklist(name, v.pred.blob) if v.pred is not None and v.pred.blob else None
            now = {i.id: i.plain for i in parsed.items}
            before = {} if previous is None or v.boundary else {i.id: i.plain for i in previous.items}
            if v.boundary:
                before = dict(now)
            added = [i for i in now if i not in before]
            removed = [i for i in before if i not in now]
            by_text = {before[i]: i for i in removed}
            renamed = [(by_text[now[i]], i) for i in added if now[i] in by_text]
            moved_old, moved_new = {o for o, _ in renamed}, {n for _, n in renamed}
            revisions.append(ChecklistRevision(v.commit, len(now), tuple(i for i in added if i not in moved_new),
                                               tuple(i for i in removed if i not in moved_old), tuple(renamed)))
        out[name] = list(reversed(revisions))
    return out


# --- assembling each release's history -------------------------------------------------------------


def build_timelines(b: "TimelineBuilder", releases, today: dict) -> Timelines:
    """Every release's history (`today` maps release names to the checklist today's evaluation uses), the
    tombstones of deleted launched releases and the checklists' revisions; warnings go to `b.warnings`."""
    gh = b.gh
    histories, launched = {}, {}
    try:
        for r in releases:
            histories[r.name], evaluation = _release(b, r, today.get(r.name))
            if evaluation is not None:
                launched[r.name] = evaluation
        tombstones = tuple(_tombstones(b)) if gh.repo.available else ()
        revisions = checklist_revisions(b) if gh.repo.available else {}
    finally:
        gh.close()
    return Timelines(histories, launched, tombstones, revisions, gh.incomplete)


def _launch(b: TimelineBuilder, v: Version, now: Optional[Release] = None, today: Optional[Checklist] = None,
            current: Optional[Version] = None) -> tuple[LaunchRecord, Optional[Evaluation]]:
    date = b.summary(v).launch_date or ""
    if v.boundary:
        return LaunchRecord(v.commit, v.path, date, problem="it was recorded at or before the first commit of this "
                            "shallow clone, so the release as launched cannot be read", before_clone=True), None
    if now is not None and today is not None and current is not None and (v.blob, v.checklists, v.path) == \
            (current.blob, current.checklists, current.path) and not b.gh.dirty(current.path):
        release, checklist, problem = now, today, ""  # HEAD holds the file as launched: it is loaded already
    else:
        release, checklist, problem = b.load(v)
    if release is not None and not (release.launch and release.launch.date):
        release, problem = None, "its launch block does not load"
    if release is None:
        return LaunchRecord(v.commit, v.path, date, problem=problem), None
    # HEAD's release is evaluated as the load stage evaluates it (from the build cache's summary when the
    # last build had it): an older version, read from git, is evaluated here.
    e = b.evaluate_head(release, checklist) if release is now else evaluate(release, checklist)
    return LaunchRecord(v.commit, v.path, release.launch.date.isoformat(), e.verdict, e.progress, checklist.name,
                        checklist.sha256, checklist_commit=b.checklist_commit(v, checklist.name)), e


def _not_ready(b: TimelineBuilder, v: Version, memo: dict, now: Optional[Release] = None,
               today: Optional[Checklist] = None, current: Optional[Version] = None,
               evaluated: Optional[Evaluation] = None) -> tuple[tuple, str, str]:
    """(item id, status) of what was failed, pending or expired in v, the checklist's sha256, and any problem.

    Evaluated once per distinct items, checklists and evaluation date; when they are those of the file HEAD
    holds, that release (loaded already) is evaluated instead of loading v again."""
    on = v.commit.commit_date.date()
    head = b.summary(current) if current is not None else None
    # The items (and `checklist:`) of v are HEAD's when v's bytes are HEAD's up to where those end: the usual
    # case of a sign-off appended below the items, which then needs no parsing of its own.
    if head is not None and head.readable and all(b.same_as(v, current, k) or k not in head.key_ends
                                                  for k in ("checklist", "items")):
        items, checklist = head.items, head.checklist
    else:
        s = b.summary(v)
        items, checklist = s.items, s.checklist
    launch_date = b.summary(v).launch_date if b.may_hold(v, launch_only=True) else None
    key = (tuple(sorted(items.items(), key=lambda kv: kv[0])), checklist, v.checklists, launch_date or on)
    if key not in memo:
        same = now is not None and today is not None and head is not None and not b.gh.dirty(current.path) \
            and v.checklists == current.checklists and checklist == head.checklist and items == head.items
        if same and evaluated is not None and evaluated.release is now and not evaluated.expiring:
            e, problem = evaluated, ""  # no waiver can expire: the statuses are those of any other day
        elif same:
            if launch_date and now.launch and now.launch.date and now.launch.date.isoformat() == launch_date:
                release = now
            else:  # without its launch, so evaluated on the sign-off's day; its entries read only if needed
                release = Loaded.of(dataclasses.replace(head_of(now), launch=None), lambda: now.entries)
            # HEAD's items on that day: the build cache's summary when the last build evaluated them.
            e, problem = b.evaluate_head(release, today, on), ""
        else:
            e, problem = b.evaluated(v, on)
        memo[key] = ((), "", problem) if e is None else (
            tuple((item.id, status) for item, status in zip(e.checklist.items, e.statuses)
                  if status in ("failed", "pending", "expired")), e.checklist.sha256, "")
    return memo[key]


def _rows(versions: list[Version]) -> list[CommitRow]:
    rows, seen = [], set()
    for v in reversed(versions):
        if v.deleted or v.commit.sha in seen:
            continue
        seen.add(v.commit.sha)
        note = ("the clone's first commit: what it holds, not what it changed" if v.boundary else
                f"moved from {v.moved_from}" if v.moved_from else "merge" if len(v.commit.parents) > 1 else "")
        rows.append(CommitRow(v.commit, v.path, note))
    return rows


def _release(b: TimelineBuilder, r: Release, today: Optional[Checklist]) -> tuple[ReleaseHistory, Optional[Evaluation]]:
    gh, path = b.gh, r.path
    if not gh.repo.available:
        return ReleaseHistory(path, (f"there is no git history ({gh.repo.reason})",)), None
    versions, current, dirty = gh.versions_of(path), gh.current(path), gh.dirty(path)
    unchecked = []
    if current is None:
        unchecked.append("the results file has never been committed")
    if versions and versions[0].boundary:
        unchecked.append("its commits before the first commit of this shallow clone are missing")
    if gh.problems:
        unchecked.append("some commits could not be read")
    launch_v = next((v for v in versions if b.may_hold(v, launch_only=True) and b.summary(v).launch_date), None)
    launch, launched = _launch(b, launch_v, r, today, current) if launch_v is not None else (None, None)
    if launch is not None and launched is not None and b.launch_signers:
        origins = {s.role: b.origin(launch_v, f"signoffs.{s.role}") for s in launched.release.signoffs}
        launch = dataclasses.replace(launch, signoff_commits={role: None if before_clone else o.commit
                                                              for role, (o, before_clone) in origins.items()})
    if launch is not None and launch.problem:
        unchecked.append(f"the release as launched could not be evaluated: {launch.problem}")
    anchor = launch_v if launch_v is not None and not launch_v.boundary else None

    working = None
    if dirty and current is not None:
        try:
            working = summarise(read_input(b.root / path, path, "results")[1])
        except Exception:  # noqa: BLE001 - the loader reported it
            working = None
    memo: dict = {}
    reused = launched if launched is not None and launched.release is r else None
    signoffs = {}
    committed = b.summary(current).signoffs if current is not None else {}
    for s in r.signoffs:
        key = f"signoffs.{s.role}"
        if s.role not in committed or (working is not None and working.value(key) != committed[s.role]):
            signoffs[s.role] = SignoffRecord(s.role, None)
            continue
        origin, before_clone = b.origin(current, key)
        not_ready, sha, problem = ((), "", "") if before_clone else _not_ready(b, origin, memo, r, today, current,
                                                                              reused)
        signoffs[s.role] = SignoffRecord(s.role, None if before_clone else origin.commit, before_clone, not_ready,
                                         anchor is not None and not before_clone and not gh.is_ancestor(origin, anchor),
                                         sha, problem)

    everything = lambda key: True  # noqa: E731
    after_launch: list[Edit] = []
    if anchor is not None:
        after_launch = b.edits(versions, anchor, None, everything)
        if working is not None:
            edit = b.working_tree_edit(path, current, b.summary(anchor), everything)
            after_launch += [edit] if edit else []
        at_launch = b.checklists_at(anchor).get(launched.checklist.name) if launched else None
        if launched is not None:
            after_launch += b.checklist_edits(launched.checklist.name, anchor, None if dirty else current, today,
                                              at_launch)

    # Edits after the last sign-off present at the launch (or today), in graph order, up to the launch.
    point = anchor or current
    after_signoff: list[Edit] = []
    last = None
    if point is not None:
        origins = [b.origin(point, f"signoffs.{role}") for role in b.summary(point).signoffs]
        origins = [o for o, before_clone in origins if not before_clone]
        last = max(origins, key=lambda o: o.index) if origins else None
    if last is not None:
        content = lambda key: not key.startswith("signoffs.") and key != "launch"  # noqa: E731
        after_signoff = b.edits(versions, last, anchor, content)
        if anchor is None and working is not None:
            edit = b.working_tree_edit(path, current, b.summary(last), content)
            after_signoff += [edit] if edit else []
        name = launched.checklist.name if launched is not None else (today.name if today else None)
        if name is not None:
            until_checklist = anchor or (None if dirty else current)
            at_point = launched.checklist if launched is not None else today
            after_signoff += b.checklist_edits(name, last, until_checklist, at_point, b.checklists_at(last).get(name))
    rows = _rows(versions)
    return ReleaseHistory(path, tuple(unchecked), tuple(rows[:MAX_ROWS]), max(0, len(rows) - MAX_ROWS),
                          current.commit if current is not None else None, dirty, launch, signoffs,
                          tuple(after_launch), tuple(after_signoff), last.commit if last is not None else None), launched


def _tombstones(b: TimelineBuilder):
    for versions in b.gh.removed():
        live = [v for v in versions if not v.deleted]
        gone = [v for v in versions if v.deleted]
        launch_v = next((v for v in live if b.summary(v).launch_date), None)
        if launch_v is None or not gone:
            continue
        removed = gone[-1]
        last = removed.pred or live[-1]
        launch, _ = _launch(b, launch_v)
        e, _ = b.evaluated(last, last.commit.commit_date.date())
        yield Tombstone(release_name(last.path), last.path, removed.commit, launch, e.verdict if e else None)
