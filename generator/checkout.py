"""A readiness project as it is at a git revision or in git's index, laid out in a temporary directory.

`readiness diff` loads two revisions and `check --staged` loads what is staged. Each is loaded as a
checkout would be: the tracked project files (checklists/, results/, readiness.yml) are written from
git's objects into a temporary tree, and beside them a temporary git directory borrows the repository's
objects (alternates), with HEAD and the index set to the revision, so loading finds each results file's
history and the checklist as it was when the file was last committed, as it does in the working tree.
The repository itself is only read. Names are read NUL-separated (`-z`) and file contents by object id,
so no file name is ever parsed from a line; a symbolic link or a submodule is not followed but reported.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

from generator.errors import Location, Problem, UsageError

PROJECT_PATHS = ("checklists", "results", "readiness.yml")
# Variables git sets for hooks (GIT_INDEX_FILE during `git commit`) or a user sets by hand: inherited,
# they would point the loader's git at the real repository instead of the snapshot's.
_GIT_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR",
            "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_PREFIX", "GIT_CEILING_DIRECTORIES",
            "GIT_DISCOVERY_ACROSS_FILESYSTEM")
_REGULAR = {"100644", "100755"}
_CHUNK = 1 << 16


@dataclass(frozen=True)
class Snapshot:
    """A project root in a temporary directory, what it was made from, and what could not be laid out."""

    root: Path
    label: str  # as the user named it: `origin/main`, `HEAD`, `the index`
    commit: Optional[str]  # the commit's full id; None for the index
    skipped: tuple[Problem, ...] = field(default=())

    @property
    def short(self) -> str:
        return self.commit[:10] if self.commit else "index"


class _Git:
    """git in the user's repository (read only), with a fixed locale and no pager or prompts."""

    def __init__(self, cwd: Path, env: Optional[dict] = None):
        self.cwd = cwd
        self.env = dict(env if env is not None else os.environ, LC_ALL="C", LANG="C", GIT_PAGER="cat",
                        GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0")

    def run(self, *args: str, stdin: bytes = b"", check: bool = True) -> subprocess.CompletedProcess:
        try:
            result = subprocess.run(["git", "-c", "core.quotepath=off", *args], cwd=self.cwd, env=self.env,
                                    input=stdin, capture_output=True, check=False)
        except FileNotFoundError:
            raise UsageError("git is not installed; comparing revisions and checking the index need it") from None
        if check and result.returncode != 0:
            raise UsageError(f"git {args[0]} failed: {result.stderr.decode('utf-8', 'replace').strip()}")
        return result

    def out(self, *args: str) -> str:
        return self.run(*args).stdout.decode("utf-8", "replace").strip()


def _repository(root: Path) -> tuple[_Git, str, Path, Path]:
    """git for `root`, the project's path inside the work tree, and the repository's objects and shared git folder."""
    if not root.is_dir():
        raise UsageError(f"{root}: no such directory; point --root at a readiness repository")
    git = _Git(root)
    probe = git.run("rev-parse", "--path-format=absolute", "--git-path", "objects", "--git-common-dir", check=False)
    inside = git.run("rev-parse", "--show-prefix", check=False)
    if probe.returncode != 0 or inside.returncode != 0:
        raise UsageError(f"{root} is not inside a git work tree; comparing revisions and checking the index "
                         "need one")
    objects, common = probe.stdout.decode("utf-8", "surrogateescape").splitlines()[:2]
    prefix = inside.stdout.decode("utf-8", "surrogateescape").strip("\n")
    return git, prefix, Path(objects), Path(common)


def is_shallow(root: Path) -> bool:
    git, *_ = _repository(root)
    return git.out("rev-parse", "--is-shallow-repository") == "true"


def resolve(root: Path, revision: str) -> str:
    """The full commit id a revision names; a usage error that says what to do when there is none."""
    git, *_ = _repository(root)
    if revision.startswith("-"):
        raise UsageError(f"`{revision}` is not a revision")
    found = git.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}", check=False)
    if found.returncode == 0:
        return found.stdout.decode().strip()
    if is_shallow(root):
        raise UsageError(f"`{revision}` is not in this clone, which is shallow (cloned with a depth): fetch the "
                         "full history (`git fetch --unshallow`, or `fetch-depth: 0` for actions/checkout) and "
                         "make sure the branch is fetched")
    if git.run("cat-file", "-e", revision, check=False).returncode == 0:
        raise UsageError(f"`{revision}` does not name a commit")
    raise UsageError(f"`{revision}` is not a commit of this repository: no branch, tag or commit id of that "
                     "name (fetch it first, e.g. `git fetch origin main`, and use `origin/main`)")


@contextlib.contextmanager
def _isolated_git_env() -> Iterator[None]:
    """While the snapshot loads, git finds the snapshot's own git folder and no repository around it."""
    saved = {k: os.environ.get(k) for k in _GIT_ENV}
    for k in _GIT_ENV:
        os.environ.pop(k, None)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _parse_index_records(data: bytes) -> list[tuple[str, str, str, bytes]]:
    """`git ls-files -z --stage` records: (mode, object id, stage, path bytes)."""
    records = []
    for record in data.split(b"\0"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        mode, sha, stage = meta.decode("ascii").split(" ")
        records.append((mode, sha, stage, path))
    return records


def _safe_relative(path: bytes) -> bool:
    parts = path.split(b"/")
    return all(p not in (b"", b".", b"..") and p.lower() != b".git" for p in parts)


def _write_blobs(git: _Git, tree: Path, wanted: list[tuple[str, bytes]]) -> None:
    """Write blobs by object id to paths under `tree`, streamed from one `git cat-file --batch`."""
    if not wanted:
        return
    proc = subprocess.Popen(["git", "cat-file", "--batch"], cwd=git.cwd, env=git.env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        for sha, rel in wanted:
            proc.stdin.write(sha.encode("ascii") + b"\n")
            proc.stdin.flush()
            header = proc.stdout.readline().split()
            if len(header) != 3 or header[1] != b"blob":
                raise UsageError(f"git cat-file: object {sha} is missing from the repository")
            remaining = int(header[2])
            target = os.path.join(os.fsencode(tree), rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
            with os.fdopen(fd, "wb") as out:
                while remaining:  # in chunks: a results file can be any size before the loader refuses it
                    chunk = proc.stdout.read(min(remaining, _CHUNK))
                    if not chunk:
                        raise UsageError(f"git cat-file: object {sha} was cut short")
                    out.write(chunk)
                    remaining -= len(chunk)
            proc.stdout.read(1)  # the newline after each object
    finally:
        proc.stdin.close()
        proc.stdout.close()
        proc.wait()


def _lay_out(git: _Git, base: Path, prefix: str, objects: Path, shallow_file: Path,
             index_info: bytes, head: Optional[str]) -> tuple[Path, list[Problem]]:
    """A work tree under base/tree holding the index's project files, and base/git borrowing `objects`."""
    tree, gitdir = base / "tree", base / "git"
    tree.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in _GIT_ENV}
    _Git(base, env).run("init", "--quiet", "--bare", "--template=", str(gitdir))
    (gitdir / "objects" / "info").mkdir(parents=True, exist_ok=True)
    (gitdir / "objects" / "info" / "alternates").write_text(f"{objects}\n", encoding="utf-8")
    if shallow_file.is_file():  # without the boundary commits, `git log` would walk into missing parents
        shutil.copyfile(shallow_file, gitdir / "shallow")
    (tree / ".git").write_text(f"gitdir: {gitdir}\n", encoding="utf-8")
    local = _Git(tree, env)
    local.run("config", "core.bare", "false")
    local.run("config", "core.worktree", str(tree))
    if head:
        local.run("update-ref", "--no-deref", "HEAD", head)
    local.run("update-index", "-z", "--index-info", stdin=index_info)
    problems: list[Problem] = []
    wanted = []
    for mode, sha, stage, path in _parse_index_records(local.run("ls-files", "-z", "--stage").stdout):
        shown = os.fsdecode(path[len(prefix.encode()):]) if path.startswith(prefix.encode()) else os.fsdecode(path)
        if stage != "0":
            if stage == "1":
                problems.append(Problem(Location(shown), "has unresolved merge conflicts; resolve them and "
                                        "`git add` the file"))
            continue
        if mode not in _REGULAR or not _safe_relative(path):
            kind = {"120000": "a symbolic link", "160000": "a submodule"}.get(mode, "not a regular file")
            problems.append(Problem(Location(shown), f"is {kind} in git and is not read", "warning"))
            continue
        wanted.append((sha, path))
    _write_blobs(local, tree, wanted)
    # Stat data for the files just written, so git sees them as they are in the index, not as changed.
    local.run("update-index", "-q", "--refresh", check=False)
    return tree / prefix, problems


def _project_pathspecs(prefix: str) -> list[str]:
    return [f":(literal){prefix}{p}" for p in PROJECT_PATHS]


@contextlib.contextmanager
def revision(root: Path, rev: str) -> Iterator[Snapshot]:
    """The project as it is at commit `rev`, in a temporary directory removed afterwards."""
    commit = resolve(root, rev)
    git, prefix, objects, common = _repository(root)
    listing = git.run("ls-tree", "-r", "-z", "--full-tree", commit, "--", *_project_pathspecs(prefix)).stdout
    with tempfile.TemporaryDirectory(prefix="readiness-rev-") as tmp, _isolated_git_env():
        tree, skipped = _lay_out(git, Path(tmp), prefix, objects, common / "shallow", listing, commit)
        yield Snapshot(tree, rev, commit, tuple(skipped))


@contextlib.contextmanager
def staged(root: Path) -> Iterator[Snapshot]:
    """The project as git's index holds it (what the next commit will contain), untracked files left out."""
    git, prefix, objects, common = _repository(root)
    head = git.run("rev-parse", "--verify", "--quiet", "HEAD", check=False)
    head_sha = head.stdout.decode().strip() if head.returncode == 0 else None
    # Run from the work tree's top so paths are the repository's, whatever --root is.
    top = Path(git.out("rev-parse", "--show-toplevel"))
    listing = _Git(top).run("ls-files", "-z", "--stage", "--full-name", "--",
                            *_project_pathspecs(prefix)).stdout
    with tempfile.TemporaryDirectory(prefix="readiness-index-") as tmp, _isolated_git_env():
        tree, skipped = _lay_out(git, Path(tmp), prefix, objects, common / "shallow", listing, head_sha)
        yield Snapshot(tree, "the index", None, tuple(skipped))


def staged_changes(root: Path) -> list[str]:
    """Project files the next commit changes (added, modified, deleted or renamed), relative to `root`."""
    git, prefix, *_ = _repository(root)
    has_head = git.run("rev-parse", "--verify", "--quiet", "HEAD", check=False).returncode == 0
    against = "HEAD" if has_head else git.out("hash-object", "-t", "tree", "/dev/null")
    out = git.run("diff", "--cached", "--name-only", "-z", "--no-renames", "--relative", against, "--",
                  *_project_pathspecs(prefix)).stdout
    return [os.fsdecode(p) for p in out.split(b"\0") if p]
