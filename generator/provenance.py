"""Provenance from git: who committed each results file and sign-off, and the checklist as it was.

Plain `git` through subprocess with a fixed locale; no git library. Without git, or outside a
repository, everything still builds and pages say provenance is unavailable. A shallow clone is
detected and reported, never silently taken as the whole history.

Nothing a contributor commits can put git's output out of step: every listing is NUL-separated
(`-z`), every record is checked field by field (one that does not check is reported and left out, never
half-read), and file contents are asked for by object id only, never by a path on a line of its own
(history.py reads them).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
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
# %GS is the principal of a good SSH signature: the person id that readiness.yml's keys give it (people.py).
LOG_FIELDS = ("%H", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%G?", "%GS", "%s", "%H")
_PRINCIPAL = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}\Z")
LOG_FORMAT = "%x00C%x00" + "%x00".join(LOG_FIELDS)
HEX = re.compile(r"(?:[0-9a-f]{40}|[0-9a-f]{64})\Z")
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
    signer: str = ""  # the principal (person id) of a good signature by a key of readiness.yml, else ""

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
    sha_b, parents_b, an, ae, ad, cn, _ce, cd, sig, principal_b, subject, trailer = fields
    sha = sha_b.decode("ascii", "replace")
    parents = tuple(parents_b.decode("ascii", "replace").split())
    if not HEX.match(sha) or trailer != sha_b or not all(HEX.match(p) and len(p) == len(sha) for p in parents):
        return None
    signature = sig.decode("ascii", "replace")
    if signature not in SIGNATURES:
        return None
    # Only ids from our own allowed-signers file can be principals; anything else is not what git writes.
    principal = principal_b.decode("ascii", "replace")
    if principal and not (_PRINCIPAL.match(principal) and signature in "GUXY"):
        return None
    try:
        author_date = dt.datetime.fromisoformat(ad.decode("ascii"))
        commit_date = dt.datetime.fromisoformat(cd.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return None
    if author_date.tzinfo is None or commit_date.tzinfo is None:
        return None
    return Commit(sha, _text(an), _text(ae), author_date, _text(cn), commit_date, SIGNATURES[signature],
                  _text(subject, MAX_SUBJECT), parents, principal)


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
class Repository:
    """What git can tell about the repository a site is built from."""

    available: bool
    reason: str = ""  # why provenance is unavailable, for the pages
    head: Optional[str] = None
    head_date: Optional[dt.datetime] = None
    shallow: bool = False
    dirty: tuple[str, ...] = ()  # inputs whose working-tree file is not HEAD's (changed, staged or untracked)


class Git:
    """Runs git in one repository with a fixed locale and no pager, prompts or user-specific formats."""

    def __init__(self, root: Path):
        self.root = root
        self.env = dict(os.environ, LC_ALL="C", LANG="C", GIT_PAGER="cat", GIT_TERMINAL_PROMPT="0",
                        GIT_OPTIONAL_LOCKS="0")
        self.allowed_signers: Optional[Path] = None  # set while a log is read against readiness.yml's keys

    def _argv(self, args) -> list[str]:
        signers = ["-c", f"gpg.ssh.allowedSignersFile={self.allowed_signers}"] if self.allowed_signers else []
        return ["git", "-C", str(self.root), "-c", "core.quotepath=off", "-c", "log.showSignature=false",
                "-c", "diff.noprefix=false", "-c", "log.mailmap=false", *signers, *args]

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
        return Repository(True, "", head, date, shallow, self.dirty_inputs())

    def dirty_inputs(self) -> tuple[str, ...]:
        """Input paths (settings, checklists, results) that differ from HEAD in the working tree or index."""
        out = self.run_bytes("status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--",
                             "readiness.yml", "checklists", "results", check=False)
        paths = {_text(entry[3:]) for entry in out.split(b"\0") if len(entry) > 3 and entry[2:3] == b" "}
        return tuple(sorted(paths))


class GitError(Exception):
    """git failed; the message is git's own."""


@dataclass(frozen=True)
class ChecklistRevision:
    """One commit that changed a checklist, and what it did to the item ids."""

    commit: Commit
    items: int
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    renamed: tuple[tuple[str, str], ...] = ()  # (old id, new id) of items whose text stayed the same
