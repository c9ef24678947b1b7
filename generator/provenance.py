"""Provenance from git: who committed each results file and sign-off, and the checklist as it was.

Plain `git` through subprocess with a fixed locale; no git library. Without git, or outside a
repository, everything still builds and pages say provenance is unavailable. A shallow clone is
detected and reported, never silently taken as the whole history.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

SIGNATURES = {
    "G": "good", "U": "good (unknown validity)", "X": "good, signature expired", "Y": "good, key expired",
    "R": "revoked key", "B": "bad", "E": "unverified", "N": "not signed",
}
_SEP, _END = "\x1f", "\x1e"
_LOG_FORMAT = _SEP.join(["%H", "%an", "%ae", "%aI", "%cn", "%cI", "%G?", "%s"]) + _END


@dataclass(frozen=True)
class Commit:
    """One commit, as an auditor needs it."""

    sha: str
    author: str
    author_email: str
    author_date: dt.datetime
    committer: str
    commit_date: dt.datetime
    signature: str  # one of SIGNATURES' values
    subject: str

    @property
    def short(self) -> str:
        return self.sha[:10]


@dataclass(frozen=True)
class FileHistory:
    """The commits that touched one file (newest first), whether it differs from HEAD, and who recorded sign-offs."""

    path: str
    commits: tuple[Commit, ...]
    dirty: bool  # uncommitted changes or never committed: the page does not match any commit
    signoff_commits: dict = field(default_factory=dict)  # role id -> Commit that last wrote its line
    # Changes after the last sign-off was recorded, other than to `launch:`: (Commit or None for the working
    # tree, top-level keys changed). Recording the launch after approval is expected; anything else is not.
    edits_after_signoff: tuple = ()

    @property
    def last(self) -> Optional[Commit]:
        return self.commits[0] if self.commits else None


@dataclass(frozen=True)
class Repository:
    """What git can tell about the repository a site is built from."""

    available: bool
    reason: str = ""  # why provenance is unavailable, for the pages
    head: Optional[str] = None
    head_date: Optional[dt.datetime] = None
    shallow: bool = False


class Git:
    """Runs git in one repository with a fixed locale and no pager, prompts or user-specific formats."""

    def __init__(self, root: Path):
        self.root = root
        self.env = dict(os.environ, LC_ALL="C", LANG="C", GIT_PAGER="cat", GIT_TERMINAL_PROMPT="0",
                        GIT_OPTIONAL_LOCKS="0")

    def run(self, *args: str, check: bool = True) -> str:
        result = subprocess.run(["git", "-C", str(self.root), "-c", "core.quotepath=off", "-c", "log.showSignature=false",
                                 *args], env=self.env, capture_output=True, check=False)
        if check and result.returncode != 0:
            raise GitError(result.stderr.decode("utf-8", "replace").strip())
        return result.stdout.decode("utf-8", "replace")

    def repository(self) -> Repository:
        if shutil.which("git") is None:
            return Repository(False, "git is not installed")
        try:
            self.run("rev-parse", "--show-toplevel")
        except GitError:
            return Repository(False, "not a git repository")
        try:
            head = self.run("rev-parse", "--verify", "-q", "HEAD").strip()
        except GitError:
            return Repository(False, "the repository has no commits yet")
        shallow = self.run("rev-parse", "--is-shallow-repository").strip() == "true"
        date = self.run("log", "-1", "--format=%cI", head).strip()
        return Repository(True, "", head, dt.datetime.fromisoformat(date), shallow)

    def blame_lines(self, path: str, skip_boundary: bool = False) -> dict[int, str]:
        """Line number (in HEAD's version) -> sha of the commit that last wrote it.

        In a shallow clone git blames every older line on the clone's boundary commit, which did not
        write them; with `skip_boundary` those lines are left out rather than credited to it.
        """
        out = self.run("blame", "--porcelain", "HEAD", "--", path)
        lines: dict[int, str] = {}
        boundary: set[str] = set()
        current = ""
        for row in out.splitlines():
            parts = row.split(" ")
            if len(parts) >= 3 and len(parts[0]) == 40 and all(c in "0123456789abcdef" for c in parts[0]):
                current = parts[0]
                lines[int(parts[2])] = current
            elif row == "boundary":
                boundary.add(current)
        return {n: sha for n, sha in lines.items() if not (skip_boundary and sha in boundary)}


class GitError(Exception):
    """git failed; the message is git's own."""


def _commit(record: str) -> Commit:
    sha, an, ae, ad, cn, cd, sig, subject = record.strip("\n").split(_SEP, 7)
    return Commit(sha, an, ae, dt.datetime.fromisoformat(ad), cn, dt.datetime.fromisoformat(cd),
                  SIGNATURES.get(sig, "unverified"), subject)


@dataclass(frozen=True)
class ChecklistRevision:
    """One commit that changed a checklist, and what it did to the item ids."""

    commit: Commit
    items: int
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    renamed: tuple[tuple[str, str], ...] = ()  # (old id, new id) of items whose text stayed the same


class History:
    """Batched git queries for one project: every commit per file from one `git log`, changed files from one
    `git ls-files` and one `git diff`, file contents from one `git cat-file --batch` per request."""

    def __init__(self, root: Path, folders: tuple[str, ...] = ("results", "checklists")):
        self.git = Git(root)
        self.repo = self.git.repository()
        self._commits: dict[str, list[Commit]] = {}
        self._dirty: set[str] = set()
        if not self.repo.available:
            return
        out = self.git.run("log", "--relative", "--name-only", f"--format={_END}{_LOG_FORMAT[:-1]}", "--", *folders)
        for record in out.split(_END):
            if not record.strip():
                continue
            header, _, names = record.partition("\n")
            commit = _commit(header)
            for name in names.splitlines():
                if name.strip():
                    self._commits.setdefault(name.strip(), []).append(commit)
        changed = self.git.run("ls-files", "--modified", "--others", "--exclude-standard", "--", *folders)
        staged = self.git.run("diff", "--cached", "--name-only", "--relative", "--", *folders)
        self._dirty = {line.strip() for line in (changed + staged).splitlines() if line.strip()}

    def commits(self, path: str) -> tuple[Commit, ...]:
        """Commits that touched the file (path relative to the project root), newest first."""
        return tuple(self._commits.get(path, ()))

    def dirty(self, path: str) -> bool:
        """Uncommitted changes, or never committed: the file matches no commit."""
        return not self.repo.available or path in self._dirty or path not in self._commits

    def file(self, path: str, signoff_lines: dict[str, int]) -> FileHistory:
        """A results file's commits, and the commit behind each sign-off line (blame of the committed file).

        `signoff_lines` are line numbers in HEAD's version of the file (for a file with uncommitted changes
        the caller reads them from that version), so blame answers for the sign-offs as committed.
        """
        commits = self.commits(path)
        dirty = self.dirty(path)
        recorded: dict[str, Commit] = {}
        if commits and signoff_lines:
            by_sha = {c.sha: c for c in commits}
            try:
                blame = self.git.blame_lines(path, skip_boundary=self.repo.shallow)
            except GitError:
                blame = {}
            for role, line in signoff_lines.items():
                if blame.get(line) in by_sha:
                    recorded[role] = by_sha[blame[line]]
        return FileHistory(path, commits, dirty, recorded)

    def contents(self, requests: list[tuple[str, str]]) -> dict[tuple[str, str], Optional[bytes]]:
        """File bytes at commits, for many (sha, path) pairs in one `git cat-file --batch` call."""
        if not requests or not self.repo.available:
            return {r: None for r in requests}
        prefix = self.git.run("rev-parse", "--show-prefix").strip()
        stdin = "".join(f"{sha}:{prefix}{path}\n" for sha, path in requests).encode()
        result = subprocess.run(["git", "-C", str(self.git.root), "cat-file", "--batch"], input=stdin,
                                env=self.git.env, capture_output=True, check=False)
        data, pos, out = result.stdout, 0, {}
        for request in requests:
            end = data.index(b"\n", pos)
            header = data[pos:end].split(b" ")
            pos = end + 1
            if len(header) == 3 and header[1] == b"blob":
                size = int(header[2])
                out[request] = data[pos:pos + size]
                pos += size + 1
            else:
                out[request] = None
        return out
