"""Snapshots: a results file and its checklists as one commit holds them, read, parsed and evaluated once.

The history stage's reader: every blob is summarised (versions.py), parsed as a checklist, or loaded and
evaluated at most once per build; the origin of an entry's value and the edits made after a commit are
computed from the versions GitHistory chained (history.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from generator.checklist import parse_checklist
from generator.errors import Location, Problem, Problems, printable
from generator.history import GitHistory, Version
from generator.merge import evaluate
from generator.model import Checklist, Evaluation, Release
from generator.provenance import Commit
from generator.results import release_from_text
from generator.source import read_input
from generator.versions import EntryChange, Summary, changes, may_hold, shown, summarise

NONE = Summary(True)  # the version before a file existed


@dataclass(frozen=True)
class Edit:
    """One commit's changes to a release (None: the uncommitted changes of the working tree)."""

    commit: Optional[Commit]
    path: str
    entries: tuple[EntryChange, ...]

    @property
    def minor(self) -> bool:
        return all(e.minor for e in self.entries)


class _At(Mapping):
    """The checklists as one commit holds them, parsed when asked for (one that does not parse is absent)."""

    def __init__(self, timeline: "TimelineBuilder", blobs: tuple):
        self._t, self._blobs = timeline, dict(blobs)

    def __getitem__(self, name: str) -> Checklist:
        checklist = self._t.checklist(name, self._blobs[name]) if name in self._blobs else None
        if checklist is None:
            raise KeyError(name)
        return checklist

    def __iter__(self):
        return iter(n for n in self._blobs if n in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class TimelineBuilder:
    """Reads versions from a GitHistory, each blob summarised, parsed and evaluated at most once."""

    def __init__(self, gh: GitHistory, root: Path, launch_signers: bool = False):
        self.gh, self.root = gh, root
        self.launch_signers = launch_signers  # find the commits that recorded each sign-off as launched
        self._summaries: dict[Optional[str], Summary] = {}
        self._may_hold: dict[tuple, bool] = {}
        self._checklists: dict[str, Optional[Checklist]] = {}
        self._loaded: dict = {}
        self.warnings: list[Problem] = []
        # How HEAD's own releases are evaluated: the load stage gives the one that uses the build cache.
        self.evaluate_head: Callable[..., Evaluation] = evaluate

    # --- versions ---------------------------------------------------------------------------------

    def summary(self, v: Optional[Version]) -> Summary:
        if v is None or v.deleted:
            return NONE
        if v.blob not in self._summaries:
            self._summaries[v.blob] = summarise(self.gh.blob(v.blob))
        return self._summaries[v.blob]

    def may_hold(self, v: Optional[Version], launch_only: bool = False) -> bool:
        """Whether a version may hold a sign-off or a launch at all (a byte test; False ones are not parsed)."""
        if v is None or v.deleted:
            return False
        key = (v.blob, launch_only)
        if key not in self._may_hold:
            self._may_hold[key] = may_hold(self.gh.blob(v.blob), launch_only)
        return self._may_hold[key]

    def same_as(self, v: Optional[Version], ref: Optional[Version], top: str) -> bool:
        """Whether v's bytes equal ref's up to where they decide ref's top-level `top` entry (so v holds the
        same value there, unparsed); ref must have been summarised."""
        if v is None or ref is None or v.deleted or ref.deleted or ref.blob not in self._summaries:
            return False
        end = self._summaries[ref.blob].key_ends.get(top)
        a, b = self.gh.blob(v.blob), self.gh.blob(ref.blob)
        return end is not None and a is not None and b is not None and len(a) >= end and a[:end] == b[:end]

    def value(self, v: Optional[Version], key: str):
        """One entry's value in a version; a sign-off or launch of a version that cannot hold one is None unparsed."""
        if key.startswith(("signoffs.", "launch")) and not self.may_hold(v, key == "launch"):
            return None
        return self.summary(v).value(key)

    def checklist(self, name: str, blob: str) -> Optional[Checklist]:
        """A checklist version from history; one that does not parse is None, with one warning."""
        if blob not in self._checklists:
            data, problems, parsed = self.gh.blob(blob), Problems(), None
            rel = f"checklists/{name}.md"
            try:
                text = data.decode("utf-8") if data is not None else None
                if text is not None:
                    parsed = parse_checklist(text, name, rel, problems, hashlib.sha256(data).hexdigest())
            except UnicodeDecodeError:
                problems.error(Location(rel), "not UTF-8")
            except (RecursionError, ValueError, TypeError, KeyError, IndexError) as exc:
                # An old version is read as it was committed, by anyone: whatever it holds, the build goes on.
                problems.error(Location(rel), f"it cannot be read ({type(exc).__name__})")
            if parsed is None or problems.errors:
                why = problems.errors[0].message if problems.errors else "it could not be read"
                wrote = next((v.commit.short for v in self.gh.checklist_versions.get(name, ()) if v.blob == blob), None)
                which = f"commit {wrote}" if wrote else f"blob {blob[:10]}"
                self.warnings.append(Problem(Location(rel), f"the version of {which} does not parse ({why}); "
                                             "releases committed with it are evaluated against the working tree's "
                                             "checklist", "warning"))
                parsed = None
            self._checklists[blob] = parsed
        return self._checklists[blob]

    def checklist_commit(self, v: Version, name: str) -> Optional[Commit]:
        """The commit of the checklist revision `v` holds (the latest of its ancestors that wrote that blob)."""
        blob = dict(v.checklists).get(name)
        for cv in reversed(self.gh.checklist_versions.get(name, ())):
            if cv.index <= v.index and cv.blob == blob and self.gh.is_ancestor(cv, v):
                return cv.commit
        return None

    def checklists_at(self, v: Optional[Version]) -> Mapping:
        return _At(self, v.checklists if v is not None else ())

    def load(self, v: Version) -> tuple[Optional[Release], Optional[Checklist], str]:
        """The release as one commit holds it, validated against that commit's checklists; or why not."""
        key = (v.blob, v.checklists, v.path)
        if key not in self._loaded:
            self._loaded[key] = self._load(v)
        return self._loaded[key]

    def _load(self, v: Version):
        data = self.gh.blob(v.blob) if v.blob else None
        if data is None:
            return None, None, "its content could not be read from git"
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return None, None, "it is not UTF-8"
        problems, parts = Problems(), v.path.split("/")
        checklists = self.checklists_at(v)
        try:
            release = release_from_text(text, data, Path(v.path), v.path, checklists, problems,
                                        product=parts[1] if len(parts) == 3 else "")
        except (RecursionError, ValueError, TypeError, KeyError, IndexError) as exc:
            return None, None, f"it cannot be read ({type(exc).__name__})"
        if release is None:
            first = problems.errors[0] if problems.errors else None
            return None, None, printable(f"it does not load ({first})" if first else "it does not load")
        return release, checklists[release.checklist], ""

    def evaluated(self, v: Version, on: dt.date) -> tuple[Optional[Evaluation], str]:
        release, checklist, problem = self.load(v)
        if release is None:
            return None, problem
        return evaluate(release, checklist, on), ""

    # --- one release ------------------------------------------------------------------------------

    def origin(self, v: Version, key: str) -> tuple[Version, bool]:
        """The version that gave entry `key` the value it has in v (and whether that is the clone's start).

        Walks back through first parents while the value stays the same, into a merge's other parent when the
        value came from there. A parent whose bytes equal v's up to the end of a sign-off's entry holds the
        same sign-off (YAML is read left to right, and a simple key is decided within its line), so the
        versions of a file that gained one sign-off per commit are compared without parsing each."""
        value = self.value(v, key)
        role = key[len("signoffs."):] if key.startswith("signoffs.") else None
        anchor, end, start = self._anchor(v, role)
        while True:
            if v.boundary:
                return v, True
            p = v.pred
            if p is not None and not p.deleted:
                if end is not None and self._same_prefix(p, anchor, end):
                    v = p
                    continue
                # A parent that is the anchor's bytes cut before this sign-off's line did not hold it (a second
                # one earlier would be a duplicate key, which the loader refuses); else compare values.
                cut = value is not None and start is not None and self._cut_before(p, anchor, start)
                if not cut and self.value(p, key) == value:
                    v = p
                    anchor, end, start = self._anchor(v, role)
                    continue
            came = [o for o in v.others if o is not None and not o.deleted and self.value(o, key) == value]
            if came:
                v = came[0]
                anchor, end, start = self._anchor(v, role)
                continue
            return v, False

    def _anchor(self, v: Version, role: Optional[str]) -> tuple[Optional[bytes], Optional[int], Optional[int]]:
        """v's bytes, and where a sign-off's line starts and its deciding bytes end (v must be summarised)."""
        s = self._summaries.get(v.blob)
        if role is None or s is None or role not in s.signoff_ends:
            return None, None, None
        return self.gh.blob(v.blob), s.signoff_ends[role], s.signoff_starts.get(role)

    def _cut_before(self, p: Version, anchor: Optional[bytes], start: int) -> bool:
        data = self.gh.blob(p.blob)
        return anchor is not None and data is not None and len(data) <= start and anchor[:len(data)] == data

    def _same_prefix(self, p: Version, anchor: Optional[bytes], end: int) -> bool:
        data = self.gh.blob(p.blob)
        return anchor is not None and data is not None and len(data) >= end and data[:end] == anchor[:end]

    def edits(self, versions: list[Version], anchor: Version, until: Optional[Version],
              wanted: Callable[[str], bool]) -> list[Edit]:
        """Commits after `anchor` (not its ancestors), up to `until` if given, and what they changed of `wanted` keys."""
        out = []
        for v in versions:
            if v is anchor or v.boundary or v.deleted or self.gh.is_ancestor(v, anchor):
                continue
            if until is not None and not self.gh.is_ancestor(v, until):
                continue
            if self._appended_unwanted(v.pred, v, wanted):
                continue
            # A move alone changes no entry: the commits table lists it, the findings do not.
            entries = self._entries(self.summary(v.pred), self.summary(v), self.summary(anchor), wanted, v.others,
                                    anchor)
            if entries:
                out.append(Edit(v.commit, v.path, tuple(entries)))
        return out

    def _appended_unwanted(self, p: Optional[Version], v: Version, wanted: Callable[[str], bool]) -> bool:
        """Whether v only appended lines to p that hold no `wanted` entry (the launch block after the last
        sign-off, usually): every wanted top-level key of v is decided within p's bytes, which v starts with."""
        if p is None or p.deleted or v.others:
            return False
        a, b = self.gh.blob(p.blob), self.gh.blob(v.blob)
        if a is None or b is None or len(a) > len(b) or not a.endswith(b"\n") or b[:len(a)] != a:
            return False
        s = self.summary(v)
        if not s.readable:
            return False
        for key in ("items", "signoffs", "launch", "checklist"):
            if key in s.key_starts and wanted(key + "." if key in ("items", "signoffs") else key) and (
                    s.key_starts[key] >= len(a) or s.key_ends.get(key, len(b) + 1) > len(a)):
                return False
        return True

    def _entries(self, before: Summary, after: Summary, base: Summary, wanted, others=(), anchor=None) -> list:
        entries = []
        for change in changes(before, after):
            if not wanted(change.key):
                continue
            now = after.value(change.key)
            if now == base.value(change.key):
                continue  # back to what the anchor holds
            if anchor is not None and any(o is not None and not o.deleted and self.gh.is_ancestor(anchor, o)
                                          and self.summary(o).value(change.key) == now for o in others):
                continue  # a merge bringing in a change its branch's own commit is listed for
            entries.append(change)
        return entries

    def working_tree_edit(self, path: str, head: Optional[Version], base: Summary, wanted) -> Optional[Edit]:
        try:
            _, data = read_input(self.root / path, path, "results")
        except Exception:  # noqa: BLE001 - the loader has reported whatever is wrong with the file
            return None
        entries = self._entries(self.summary(head), summarise(data), base, wanted)
        return Edit(None, path, tuple(entries)) if entries else None

    def checklist_edits(self, name: str, anchor: Version, until: Optional[Version], today: Optional[Checklist],
                        at_anchor: Optional[Checklist]) -> list[Edit]:
        """Commits of the checklist a release is evaluated against, after `anchor` and up to `until` (the
        version today's evaluation uses; None: the working tree), with each item added, removed or reworded."""
        if at_anchor is None or today is None or at_anchor.sha256 == today.sha256:
            return []
        out = []
        for cv in self.gh.checklist_versions.get(name, ()):
            if cv.boundary or self.gh.is_ancestor(cv, anchor) or (until is not None and not self.gh.is_ancestor(cv, until)):
                continue
            before = self.checklist(name, cv.pred.blob) if cv.pred is not None and cv.pred.blob else None
            after = self.checklist(name, cv.blob) if cv.blob else None
            entries = checklist_changes(name, before, after)
            if entries:
                out.append(Edit(cv.commit, cv.path, tuple(entries)))
        if until is None:
            head = self.gh.current(f"checklists/{name}.md")
            committed = self.checklist(name, head.blob) if head is not None else None
            entries = checklist_changes(name, committed, today)
            if entries:
                out.append(Edit(None, f"checklists/{name}.md", tuple(entries)))
        return out


def checklist_changes(name: str, before: Optional[Checklist], after: Optional[Checklist]) -> list[EntryChange]:
    """Items and roles a checklist version added, removed or reworded, by id."""
    def rows(c: Optional[Checklist]) -> dict:
        if c is None:
            return {}
        out = {i.id: i.plain + (f" [{i.criterion.text}]" if i.criterion else "") for i in c.items}
        out.update({f"role {r.id}": r.label for r in c.roles})
        return out

    a, b = rows(before), rows(after)
    return [EntryChange(f"checklist {name}: {k}", shown(a.get(k)), shown(b.get(k)))
            for k in list(a) + [k for k in b if k not in a] if a.get(k) != b.get(k)]
