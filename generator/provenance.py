"""Provenance from git: who committed each results file and sign-off, and the checklist as it was.

Plain `git` through subprocess with a fixed locale; no git library. Without git, or outside a
repository, everything still builds and pages say provenance is unavailable. A shallow clone is
detected and reported, never silently taken as the whole history.

Nothing a contributor commits can put git's output out of step: every listing is NUL-separated
(`-z`), every record is checked field by field (one that does not check is reported and left out, never
half-read), and file contents are asked for by object id only, never by a path on a line of its own.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from generator.errors import printable

SIGNATURES = {
    "G": "good", "U": "good (unknown validity)", "X": "good, signature expired", "Y": "good, key expired",
    "R": "revoked key", "B": "bad", "E": "unverified", "N": "not signed",
}
# One record per commit, every field NUL-terminated (NUL cannot occur in commit metadata or paths); the
# record opens with a `C` field and closes with the sha again, which no name or message can forge (it
# would have to contain the hash of the commit that contains it).
LOG_FIELDS = ("%H", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%G?", "%s", "%H")
LOG_FORMAT = "%x00C%x00" + "%x00".join(LOG_FIELDS)
_HEX = re.compile(r"(?:[0-9a-f]{40}|[0-9a-f]{64})\Z")
_RAW = re.compile(rb"\n?:([0-7]{6}) ([0-7]{6}) ([0-9a-f]{40}|[0-9a-f]{64}) ([0-9a-f]{40}|[0-9a-f]{64}) "
                  rb"([ACDMRTUX])([0-9]{0,3})\Z")
MAX_SUBJECT = 300  # characters of a commit subject kept for pages; a huge message is cut, not published whole


@dataclass(frozen=True)
class Commit:
    """One commit, as an auditor needs it; names and subject are made printable (controls shown as escapes)."""

    sha: str
    author: str
    author_email: str
    author_date: dt.datetime
    committer: str
    commit_date: dt.datetime
    signature: str  # one of SIGNATURES' values
    subject: str
    parents: tuple[str, ...] = ()

    @property
    def short(self) -> str:
        return self.sha[:10]


@dataclass(frozen=True)
class Change:
    """One file a commit changed, relative to its first parent: git's status letter, paths and blob ids."""

    status: str  # A added, M modified, D deleted, R renamed, T type changed, C copied
    path: str  # the path after the commit (the old path for D)
    old_path: str  # the path before (differs from `path` for R and C)
    old_blob: str  # all zeros when added
    new_blob: str  # all zeros when deleted
    new_mode: str = "100644"


@dataclass(frozen=True)
class LogRecord:
    """One commit of `git log` output and the changes listed under it."""

    commit: Commit
    changes: tuple[Change, ...]


def _text(raw: bytes, limit: int = 0) -> str:
    text = raw.decode("utf-8", "replace")
    if limit and len(text) > limit:
        text = text[:limit] + "…"
    return printable(text)


def _commit_fields(fields: list[bytes]) -> Optional[Commit]:
    """A Commit from the fields of LOG_FIELDS, or None when any field is not what git writes there."""
    if len(fields) != len(LOG_FIELDS):
        return None
    sha_b, parents_b, an, ae, ad, cn, _ce, cd, sig, subject, trailer = fields
    sha = sha_b.decode("ascii", "replace")
    parents = tuple(parents_b.decode("ascii", "replace").split())
    if not _HEX.match(sha) or trailer != sha_b or not all(_HEX.match(p) and len(p) == len(sha) for p in parents):
        return None
    signature = sig.decode("ascii", "replace")
    if signature not in SIGNATURES:
        return None
    try:
        author_date = dt.datetime.fromisoformat(ad.decode("ascii"))
        commit_date = dt.datetime.fromisoformat(cd.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return None
    if author_date.tzinfo is None or commit_date.tzinfo is None:
        return None
    return Commit(sha, _text(an), _text(ae), author_date, _text(cn), commit_date, SIGNATURES[signature],
                  _text(subject, MAX_SUBJECT), parents)


def parse_log(data: bytes) -> tuple[list[LogRecord], list[str]]:
    """Records of `git log -z --raw --format=LOG_FORMAT` output, and a message per part that could not be read.

    A record that does not check (a field out of place, a bad sha, date or signature letter, a change line
    that is not git's) is skipped up to the next record, and reported; nothing is guessed.
    """
    tokens = data.split(b"\0")
    records: list[LogRecord] = []
    problems: list[str] = []
    n, i = len(tokens), 0
    while i < n:
        if tokens[i] in (b"", b"\n"):
            i += 1
            continue
        if tokens[i] != b"C":
            problems.append(f"unexpected output from git log ({_text(tokens[i][:60])!s}); skipped")
            i = _next_record(tokens, i)
            continue
        commit = _commit_fields(tokens[i + 1:i + 1 + len(LOG_FIELDS)])
        if commit is None:
            sha = _text(tokens[i + 1][:64]) if i + 1 < n else "?"
            problems.append(f"commit {sha[:10]}: its record from git log does not check (a field is not what git "
                            "writes there); the commit is left out of the history")
            i = _next_record(tokens, i + 1)
            continue
        i += 1 + len(LOG_FIELDS)
        changes: list[Change] = []
        bad = False
        while i < n and tokens[i] != b"":
            m = _RAW.match(tokens[i])
            two = bool(m) and m.group(5) in (b"R", b"C")
            if not m or i + (2 if two else 1) >= n:
                bad = True
                break
            old_path = tokens[i + 1].decode("utf-8", "surrogateescape")
            new_path = tokens[i + 2].decode("utf-8", "surrogateescape") if two else old_path
            if not old_path or not new_path:
                bad = True
                break
            changes.append(Change(m.group(5).decode(), new_path, old_path, m.group(3).decode(), m.group(4).decode(),
                                  m.group(2).decode()))
            i += 3 if two else 2
        if bad:
            problems.append(f"commit {commit.short}: the list of files it changed could not be read; the commit "
                            "is left out of the history")
            i = _next_record(tokens, i)
            continue
        records.append(LogRecord(commit, tuple(changes)))
    return records, problems


def _next_record(tokens: list[bytes], i: int) -> int:
    """The index of the next record's `C` (an empty token, which only ends a record, then `C`), or the end."""
    while i < len(tokens):
        if tokens[i] == b"C" and i > 0 and tokens[i - 1] == b"":
            return i
        i += 1
    return i


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

    def _argv(self, args) -> list[str]:
        return ["git", "-C", str(self.root), "-c", "core.quotepath=off", "-c", "log.showSignature=false",
                "-c", "diff.noprefix=false", "-c", "log.mailmap=false", *args]

    def run_bytes(self, *args: str, check: bool = True, stdin: Optional[bytes] = None) -> bytes:
        result = subprocess.run(self._argv(args), env=self.env, capture_output=True, check=False, input=stdin)
        if check and result.returncode != 0:
            raise GitError(printable(result.stderr.decode("utf-8", "replace").strip()))
        return result.stdout

    def run(self, *args: str, check: bool = True) -> str:
        return self.run_bytes(*args, check=check).decode("utf-8", "replace")

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
        try:
            date = dt.datetime.fromisoformat(self.run("log", "-1", "--format=%cI", head).strip())
        except ValueError:
            date = None
        return Repository(True, "", head, date, shallow)

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
            if row.startswith("\t"):  # the content of a line: never read as a header
                continue
            parts = row.split(" ")
            if len(parts) >= 3 and _HEX.match(parts[0]) and parts[2].isdigit():
                current = parts[0]
                lines[int(parts[2])] = current
            elif row == "boundary":
                boundary.add(current)
        return {n: sha for n, sha in lines.items() if not (skip_boundary and sha in boundary)}

    def objects(self, ids: list[str]) -> dict[str, Optional[tuple[str, bytes]]]:
        """(type, bytes) of objects by id (hex, or `<hex>^{tree}`), from one `git cat-file --batch` call.

        Requests are object ids only, so no name can put the line-based protocol out of step; each answer's
        header must name the object asked for, else everything after it is left unread (None).
        """
        wanted = [i for i in dict.fromkeys(ids) if _HEX.match(i.removesuffix("^{tree}"))]
        out: dict[str, Optional[tuple[str, bytes]]] = {i: None for i in ids}
        if not wanted:
            return out
        data = self.run_bytes("cat-file", "--batch", check=False, stdin="".join(f"{i}\n" for i in wanted).encode())
        pos = 0
        for request in wanted:
            end = data.find(b"\n", pos)
            if end < 0:
                break
            header = data[pos:end].split(b" ")
            pos = end + 1
            if len(header) == 2 and header[1] == b"missing":
                continue
            if len(header) != 3 or not header[2].isdigit() or not _HEX.match(header[0].decode("ascii", "replace")):
                break
            if not request.startswith(header[0].decode()) and not request.endswith("^{tree}"):
                break
            size = int(header[2])
            out[request] = (header[1].decode("ascii", "replace"), data[pos:pos + size])
            pos += size + 1
        return out


class GitError(Exception):
    """git failed; the message is git's own."""


def tree_entries(data: bytes, id_bytes: int = 20) -> dict[bytes, tuple[str, str]]:
    """A tree object's entries: name -> (mode, object id in hex)."""
    entries: dict[bytes, tuple[str, str]] = {}
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos)
        nul = data.find(b"\0", space + 1)
        if space < 0 or nul < 0 or nul + 1 + id_bytes > len(data):
            break
        entries[data[space + 1:nul]] = (data[pos:space].decode("ascii", "replace"),
                                        data[nul + 1:nul + 1 + id_bytes].hex())
        pos = nul + 1 + id_bytes
    return entries


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
    `git ls-files` and one `git diff`, file contents from `git cat-file --batch` by object id."""

    def __init__(self, root: Path, folders: tuple[str, ...] = ("results", "checklists")):
        self.git = Git(root)
        self.repo = self.git.repository()
        self.problems: list[str] = []  # git output that could not be read, for warnings
        self._commits: dict[str, list[Commit]] = {}
        self._dirty: set[str] = set()
        self._prefix: tuple[bytes, ...] = ()
        if not self.repo.available:
            return
        out = self.git.run_bytes("log", "-z", "--relative", "--raw", "--no-abbrev", "--no-renames",
                                 f"--format={LOG_FORMAT}", "--", *folders)
        records, self.problems = parse_log(out)
        for record in records:
            for change in record.changes:
                self._commits.setdefault(change.path, []).append(record.commit)
        self._prefix = self._root_prefix()
        changed = self.git.run_bytes("ls-files", "-z", "--modified", "--others", "--exclude-standard", "--", *folders)
        staged = self.git.run_bytes("diff", "--cached", "-z", "--name-only", "--relative", "--", *folders)
        self._dirty = {p.decode("utf-8", "surrogateescape") for p in (changed + b"\0" + staged).split(b"\0") if p}

    def _root_prefix(self) -> tuple[bytes, ...]:
        """The project root's folders inside the repository (empty when the root is the top level)."""
        top = self.git.run_bytes("rev-parse", "--show-toplevel").removesuffix(b"\n")
        try:
            rel = self.git.root.resolve().relative_to(Path(os.fsdecode(top)).resolve())
        except ValueError:
            return ()
        return tuple(os.fsencode(part) for part in rel.parts)

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

    def blobs(self, requests: list[tuple[str, str]]) -> dict[tuple[str, str], Optional[str]]:
        """The blob id of each (commit, path), found by reading trees from the commit down: no path is sent to git."""
        found: dict[tuple[str, str], Optional[str]] = {r: None for r in requests}
        if not requests or not self.repo.available:
            return found
        parts = {r: self._prefix + tuple(os.fsencode(p) for p in r[1].split("/")) for r in requests}
        current = {r: f"{r[0]}^{{tree}}" for r in requests if _HEX.match(r[0])}  # object to read next, per request
        depth = 0
        while current:
            objects = self.git.objects(list(current.values()))
            following: dict[tuple[str, str], str] = {}
            for r, obj in current.items():
                got = objects.get(obj)
                if got is None or got[0] != "tree":
                    continue
                entry = tree_entries(got[1], len(r[0]) // 2).get(parts[r][depth])
                if entry is None:
                    continue
                mode, oid = entry
                if depth + 1 == len(parts[r]):
                    if mode in ("100644", "100755"):  # a regular file; a symlink or submodule is not read
                        found[r] = oid
                elif mode == "40000":
                    following[r] = oid
            current, depth = following, depth + 1
        return found

    def contents(self, requests: list[tuple[str, str]]) -> dict[tuple[str, str], Optional[bytes]]:
        """File bytes at commits, for many (sha, path) pairs: blob ids from the trees, then one `cat-file --batch`."""
        blobs = self.blobs(requests)
        objects = self.git.objects([b for b in blobs.values() if b]) if any(blobs.values()) else {}
        out: dict[tuple[str, str], Optional[bytes]] = {}
        for r, blob in blobs.items():
            got = objects.get(blob) if blob else None
            out[r] = got[1] if got is not None and got[0] == "blob" else None
        return out
