"""History stage: one pass over the commit graph gives every results file's versions, file by file, move by move.

One `git log` lists every commit reachable from HEAD, parents before children (topological order, never
dates), each with what it changed under results/ and checklists/ relative to its first parent: a merge
is read as what it changed on the branch it was merged into. Walking that list once, the state of every
file is carried from each commit's first parent to the commit (a copy only where history forks), so each
change is known with the version it replaced, the versions a merge's other parents held, and the
checklists as they stood in that commit. Versions are chained into lineages: a file keeps its lineage
when it is modified, or moved to a path with the same file name (results/8.0.0.yaml to
results/lumen/8.0.0.yaml); a deletion ends it. In a shallow clone the first commit lists every file as
added: those versions are marked `boundary`, the start of what the clone holds, never a change.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from generator.provenance import HEX, LOG_FORMAT, Commit, Git, GitError, parse_log

FOLDERS = ("results", "checklists")


@dataclass(frozen=True, eq=False)
class Version:
    """One commit's version of a results file or checklist, as that commit changed it."""

    commit: Commit
    index: int  # position in topological order: every parent comes before its children
    path: str
    blob: Optional[str]  # None: the commit deleted the file (or moved it away)
    pred: Optional["Version"] = field(default=None, repr=False)  # the version in the first parent
    others: tuple = field(default=(), repr=False)  # a merge's other parents' versions (Version or None each)
    checklists: tuple = field(default=(), repr=False)  # ((name, blob), ...) of checklists/*.md at this commit
    boundary: bool = False  # a shallow clone's first commit (or one after an unreadable commit): not a change
    moved_from: str = ""  # the path before, when this commit moved the file here
    lineage: int = 0

    @property
    def deleted(self) -> bool:
        return self.blob is None


class _State:
    """The files (path -> Version) and checklist blobs as they stand at one commit."""

    __slots__ = ("files", "checklists")

    def __init__(self, files: Optional[dict] = None, checklists: tuple = ()):
        self.files: dict[str, Version] = files if files is not None else {}
        self.checklists = checklists

    def copy(self) -> "_State":
        return _State(dict(self.files), self.checklists)


def is_results_path(path: str) -> bool:
    parts = path.split("/")
    return parts[0] == "results" and 2 <= len(parts) <= 3 and parts[-1].endswith(".yaml") and all(parts)


def checklist_name(path: str) -> Optional[str]:
    parts = path.split("/")
    if len(parts) == 2 and parts[0] == "checklists" and parts[1].endswith(".md") and len(parts[1]) > 3:
        return parts[1][:-3]
    return None


def _stem(path: str) -> str:
    return path.rsplit("/", 1)[-1]


class GitHistory:
    """Every version of every results file and checklist reachable from HEAD, from one `git log`."""

    def __init__(self, root: Path, allowed_signers: str = ""):
        self.root = root
        self.git = Git(root)
        self._allowed_signers = allowed_signers  # git's allowed-signers text made from readiness.yml's keys
        self.repo = self.git.repository()
        self.problems: list[str] = []  # parts of git's output that could not be read, as warnings
        self.incomplete = ""  # why the history is not the whole history ("" when it is)
        self.lineages: dict[int, list[Version]] = {}
        self.checklist_versions: dict[str, list[Version]] = {}  # checklist name -> versions, oldest first
        self.head: dict[str, Version] = {}  # path -> the version HEAD holds
        self.commits: list[Commit] = []
        self._parents: list[tuple[int, ...]] = []
        self._merges = False
        self._dirty: set[str] = set()
        self._blobs: Optional[_BlobReader] = None
        if not self.repo.available:
            self.incomplete = self.repo.reason
            return
        if self.repo.shallow:
            self.incomplete = "the repository is a shallow clone: commits older than its depth are missing"
        try:
            self._read()
        except GitError as exc:
            self.problems.append(f"git log failed: {exc}")
            self.incomplete = self.incomplete or "git log failed"

    # --- the one pass --------------------------------------------------------------------------------

    def _log(self) -> bytes:
        """The one `git log`; with team keys, signatures are checked against them (a file git reads, kept
        outside the repository and removed at once: git takes allowed signers only from a file)."""
        args = ("log", "-z", "--topo-order", "--reverse", "--full-history", "--sparse", "--diff-merges=first-parent",
                "--raw", "--no-abbrev", "-M", "--relative", f"--format={LOG_FORMAT}", "HEAD", "--", *FOLDERS)
        if not self._allowed_signers:
            return self.git.run_bytes(*args)
        with tempfile.TemporaryDirectory(prefix="readiness-signers-") as tmp:
            path = Path(tmp) / "allowed_signers"
            path.write_text(self._allowed_signers, encoding="ascii")
            self.git.allowed_signers = path
            try:
                return self.git.run_bytes(*args)
            finally:
                self.git.allowed_signers = None

    def _read(self) -> None:
        out = self._log()
        records, self.problems = parse_log(out)
        if self.problems:
            self.incomplete = self.incomplete or "some commits could not be read (see the warnings of the build)"
        shallow = self._shallow_commits()
        index = {r.commit.sha: i for i, r in enumerate(records)}
        skip = self._unreadable_parents(index) if self.problems else {}

        def readable(sha: Optional[str]) -> Optional[str]:
            """The commit itself, or for one that could not be read its nearest readable first-parent ancestor."""
            seen = set()
            while sha is not None and sha not in index and sha not in seen:
                seen.add(sha)
                sha = skip.get(sha)
            return sha if sha in index else None

        rewritten = [tuple(dict.fromkeys(q for q in map(readable, r.commit.parents) if q)) for r in records]
        remaining = Counter(p for ps in rewritten for p in ps)
        states: dict[int, _State] = {}
        lineage_count = 0
        for i, record in enumerate(records):
            commit = record.commit
            self.commits.append(commit)
            parents = tuple(index[p] for p in rewritten[i] if index[p] < i)
            self._parents.append(parents)
            self._merges = self._merges or len(parents) > 1
            # A commit whose first parent is not in the list (a shallow clone's boundary) starts from nothing.
            boundary = commit.sha in shallow or (bool(commit.parents) and not parents)
            first = states.get(parents[0]) if parents and not boundary else None
            if first is None:
                state = _State()
            elif remaining[rewritten[i][0]] == 1:
                state = first  # this is the last child: it takes the parent's state over
            else:
                state = first.copy()
            before = first.files if first is not None else {}
            others = [states[p] for p in parents[1:] if p in states]
            made = []  # (path, blob or None, moved from, version in the first parent, other parents' versions)
            for change in record.changes:  # read against the first parent's state before anything is applied
                if change.status == "R":
                    same = _stem(change.old_path) == _stem(change.path)  # else it became another release
                    made.append((change.old_path, None, "", before.get(change.old_path), ()))
                    made.append((change.path, change.new_blob, change.old_path if same else "",
                                 before.get(change.old_path if same else change.path), ()))
                else:
                    made.append((change.path, None if change.status == "D" else change.new_blob, "",
                                 before.get(change.path), ()))
                if change.new_mode not in ("100644", "100755") and change.status != "D":
                    made[-1] = (made[-1][0], None, "", made[-1][3], ())  # a symlink or submodule: not a file
            checklists = dict(state.checklists)
            for path, blob, _moved, _pred, _others in made:
                name = checklist_name(path)
                if name is not None:
                    if blob is None:
                        checklists.pop(name, None)
                    else:
                        checklists[name] = blob
            state.checklists = tuple(sorted(checklists.items()))
            for path, blob, moved_from, pred, _ in made:
                other_versions = tuple(o.files.get(path) for o in others)
                if pred is not None:
                    lineage = pred.lineage
                elif any(v is not None for v in other_versions):
                    lineage = next(v for v in other_versions if v is not None).lineage
                else:
                    lineage_count += 1
                    lineage = lineage_count
                version = Version(commit, i, path, blob, pred, other_versions, state.checklists, boundary,
                                  moved_from, lineage)
                if is_results_path(path):
                    self.lineages.setdefault(lineage, []).append(version)
                name = checklist_name(path)
                if name is not None:
                    self.checklist_versions.setdefault(name, []).append(version)
                if blob is None:
                    state.files.pop(path, None)
                else:
                    state.files[path] = version
            for p in rewritten[i]:
                remaining[p] -= 1
                if remaining[p] <= 0:
                    states.pop(index[p], None)
            states[i] = state
        head = index.get(readable(self.repo.head) or "")
        self.head = dict(states[head].files) if head is not None and head in states else {}
        self._dirty = self._uncommitted()

    def _unreadable_parents(self, index: dict) -> dict[str, Optional[str]]:
        """First parents of the commits whose record could not be read, from `git rev-list` (ids only)."""
        out: dict[str, Optional[str]] = {}
        for line in self.git.run("rev-list", "--parents", "HEAD").splitlines():
            shas = line.split()
            if shas and shas[0] not in index:
                out[shas[0]] = shas[1] if len(shas) > 1 else None
        return out

    def _shallow_commits(self) -> set[str]:
        if not self.repo.shallow:
            return set()
        where = self.git.run_bytes("rev-parse", "--git-path", "shallow").removesuffix(b"\n")
        path = Path(os.fsdecode(where))
        path = path if path.is_absolute() else self.root / path
        try:
            return {line.strip() for line in path.read_text(encoding="ascii", errors="replace").splitlines()}
        except OSError:
            return set()

    def _uncommitted(self) -> set[str]:
        changed = self.git.run_bytes("ls-files", "-z", "--modified", "--others", "--exclude-standard", "--", *FOLDERS)
        staged = self.git.run_bytes("diff", "--cached", "-z", "--name-only", "--relative", "--", *FOLDERS)
        return {p.decode("utf-8", "surrogateescape") for p in (changed + b"\0" + staged).split(b"\0") if p}

    # --- questions the later stages ask ------------------------------------------------------------

    def current(self, path: str) -> Optional[Version]:
        """The version of a file HEAD holds (None when HEAD has none)."""
        return self.head.get(path)

    def dirty(self, path: str) -> bool:
        """Uncommitted changes, or never committed: the file matches no commit."""
        return not self.repo.available or path in self._dirty or path not in self.head

    def versions_of(self, path: str) -> list[Version]:
        """Every version of the lineage HEAD's file at `path` belongs to, oldest first (deletions included)."""
        current = self.head.get(path)
        return list(self.lineages.get(current.lineage, ())) if current is not None else []

    def removed(self) -> list[list[Version]]:
        """Lineages of results files HEAD no longer holds (deleted, or moved to another release's name)."""
        alive = {v.lineage for v in self.head.values()}
        return [versions for lineage, versions in sorted(self.lineages.items()) if lineage not in alive]

    def checklists_at(self, version: Optional[Version]) -> dict[str, str]:
        return dict(version.checklists) if version is not None else {}

    def is_ancestor(self, a: Version, b: Version) -> bool:
        """Whether a's commit is b's commit or one of its ancestors (from the graph; dates play no part)."""
        x, y = a.index, b.index
        if x == y:
            return True
        if x > y:
            return False
        if not self._merges:
            return True
        seen, todo = {y}, [y]
        while todo:
            for p in self._parents[todo.pop()]:
                if p == x:
                    return True
                if p > x and p not in seen:
                    seen.add(p)
                    todo.append(p)
        return False

    def blob(self, blob: str) -> Optional[bytes]:
        """A blob's bytes, read through one long-running `git cat-file --batch` (requests are object ids only)."""
        if self._blobs is None:
            self._blobs = _BlobReader(self.git)
        return self._blobs.read(blob)

    def close(self) -> None:
        if self._blobs is not None:
            self._blobs.close()
            self._blobs = None


class _BlobReader:
    """One `git cat-file --batch` process, asked for one object id at a time and answered in order."""

    MAX = 5 * 1024 * 1024  # results files and checklists larger than this are not read (as in the loader)
    KEEP = 64  # blobs kept: a release's versions are read together, again and again while it is compared

    def __init__(self, git: Git):
        self.recent: OrderedDict[str, Optional[bytes]] = OrderedDict()
        self.proc: Optional[subprocess.Popen] = None
        try:
            self.proc = subprocess.Popen(git._argv(["cat-file", "--batch"]), env=git.env, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        except OSError:
            self.proc = None

    def read(self, oid: str) -> Optional[bytes]:
        """The blob's bytes (None when it is missing, not a blob or too large); the last few are kept."""
        if oid in self.recent:
            self.recent.move_to_end(oid)
            return self.recent[oid]
        data = self._read(oid)
        self.recent[oid] = data
        if len(self.recent) > self.KEEP:
            self.recent.popitem(last=False)
        return data

    def _read(self, oid: str) -> Optional[bytes]:
        if self.proc is None or not HEX.match(oid):
            return None
        try:
            self.proc.stdin.write(oid.encode() + b"\n")
            self.proc.stdin.flush()
            header = self.proc.stdout.readline().rstrip(b"\n").split(b" ")
            if len(header) == 2 and header[1] == b"missing":
                return None
            if len(header) != 3 or header[0] != oid.encode() or not header[2].isdigit():
                self.close()  # out of step: nothing more is read from it
                return None
            size = int(header[2])
            data = self.proc.stdout.read(size)
            self.proc.stdout.read(1)
        except (OSError, ValueError):
            self.close()
            return None
        if header[1] != b"blob" or len(data) != size or size > self.MAX:
            return None
        return data

    def close(self) -> None:
        if self.proc is not None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
            self.proc = None
