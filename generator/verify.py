"""`readiness verify`: check offline that a built site matches its manifest and the inputs it names.

The manifest lists every input the loader reads (settings, checklists, results files in results/ and in
each product folder) and every file of the site. Files are hashed as inputs are read: never through a
link, never a pipe or a device, so a planted link or pipe is reported rather than followed or waited on;
and the manifest itself is data from the site, so an input it names outside the repository is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import stat
from pathlib import Path
from typing import Optional

from generator.errors import InputError, Location, Problem, display_path
from generator.source import kind_of, read_regular

MANIFEST = "manifest.json"
CONFIG_FILE = "readiness.yml"
# Files a site holds that are not part of what it shows (the manifest itself).
UNHASHED = {MANIFEST}
MAX_MANIFEST_BYTES = 256 * 1024 * 1024  # a hash per file: tens of MB for the largest histories
# What an input's path in the manifest can be: the loader reads nothing else.
_NAME = r"[A-Za-z0-9][A-Za-z0-9._+-]*"
INPUT_PATH = re.compile(rf"(?:readiness\.yml|checklists/{_NAME}\.md|results/(?:{_NAME}/)?{_NAME}\.yaml)\Z")
_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def file_digest(path: Path) -> Optional[str]:
    """SHA-256 of a regular file's bytes; None for anything else (a link, a pipe, a folder, nothing)."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        fd = os.open(path, _FLAGS)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        digest = hashlib.sha256()
        while chunk := os.read(fd, 1 << 20):
            digest.update(chunk)
        return digest.hexdigest()
    except OSError:
        return None
    finally:
        os.close(fd)


def _regular(folder: Path, suffix: str) -> list[Path]:
    """The regular files of a real folder (not a link to one) whose names end in `suffix`, hidden ones aside."""
    try:
        if not stat.S_ISDIR(os.lstat(folder).st_mode):
            return []
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return []
    return [Path(e.path) for e in entries
            if e.name.endswith(suffix) and not e.name.startswith(".") and e.is_file(follow_symlinks=False)]


def input_files(root: Path) -> list[Path]:
    """The files a site is built from: settings, checklists, and results files of results/ and every product."""
    files = [root / CONFIG_FILE] if (root / CONFIG_FILE).is_file() and not (root / CONFIG_FILE).is_symlink() else []
    files += _regular(root / "checklists", ".md")
    files += _regular(root / "results", ".yaml")
    try:
        products = sorted(e.name for e in os.scandir(root / "results")
                          if e.is_dir(follow_symlinks=False) and not e.name.startswith("."))
    except OSError:
        products = []
    for product in products:
        files += _regular(root / "results" / product, ".yaml")
    return files


def manifest(site, root: Path, out: Path, build_epoch: Optional[int], known: Optional[dict[str, str]] = None) -> dict:
    """What the build writes as the site's manifest.json: hashes of every input and every output file, the
    generator version and the commit built from (`known`: hashes already checked of files linked from the
    previous site, not read again)."""
    known = known or {}
    outputs = {}
    for p in sorted(out.rglob("*")):
        path = p.relative_to(out).as_posix()
        if p.is_file() and path not in UNHASHED:  # data/releases/manifest.json is a release's export
            outputs[path] = known.get(path) or hashlib.sha256(p.read_bytes()).hexdigest()
    return {
        "generator": f"readiness {site.version}",
        "git_commit": site.repository.head,
        "build_date": dt.datetime.fromtimestamp(build_epoch, dt.timezone.utc).isoformat() if build_epoch else None,
        "inputs": {p.relative_to(root).as_posix(): file_digest(p) for p in input_files(root)},
        "outputs": outputs,
    }


def _present(site_dir: Path) -> dict[str, Optional[str]]:
    """Every entry of the site that is not a folder -> what it is when it is not a regular file (links too)."""
    out: dict[str, Optional[str]] = {}
    for folder, dirs, files in os.walk(site_dir):  # never into a linked folder
        for name in files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            path = Path(folder) / name
            out[path.relative_to(site_dir).as_posix()] = kind_of(path.lstat().st_mode)
    return out


def verify_site(site_dir: Path, root: Path) -> tuple[int, int]:
    """Recompute every hash; raises InputError naming each file that differs. Returns (outputs, inputs) checked."""
    manifest_path = site_dir / MANIFEST
    shown_site = str(site_dir).rstrip("/")
    where_manifest = Location(f"{shown_site}/{MANIFEST}")
    if not os.path.lexists(manifest_path):
        raise InputError([Problem(where_manifest, "no manifest: this is not a site built by readiness, or the "
                                  "manifest was removed")])
    try:
        data = json.loads(read_regular(manifest_path, where_manifest.path, MAX_MANIFEST_BYTES, "").decode("utf-8"))
        outputs, inputs = dict(data["outputs"]), dict(data["inputs"])
    except InputError as exc:
        raise InputError([Problem(where_manifest, f"unreadable manifest ({exc.problems[0].message}); the site "
                                  "cannot be verified")])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError([Problem(where_manifest, f"unreadable manifest ({exc}); the site cannot be verified")])
    problems: list[Problem] = []
    present = {rel: kind for rel, kind in _present(site_dir).items() if rel not in UNHASHED}
    for rel in sorted(set(outputs) | set(present)):
        where = Location(f"{shown_site}/{rel}")
        if rel not in present:
            problems.append(Problem(where, "missing: the manifest lists this file but the site does not have it"))
        elif present[rel] is not None:
            problems.append(Problem(where, f"is {present[rel]}, not a file the build wrote; it was put there after "
                                    "the build"))
        elif rel not in outputs:
            problems.append(Problem(where, "not in the manifest: the file was added after the build"))
        elif file_digest(site_dir / rel) != outputs[rel]:
            problems.append(Problem(where, f"content differs from the manifest (sha256 {str(outputs[rel])[:16]}…); "
                                    "the page was changed after the build"))
    for rel, digest in sorted(inputs.items()):
        if not INPUT_PATH.match(rel):
            problems.append(Problem(where_manifest, f"names `{rel}` as an input, which is not a checklist, results "
                                    "or settings file of a repository; the manifest was changed after the build"))
            continue
        path = root / rel
        where = Location(display_path(path, root))
        found = file_digest(path)
        if found is None:
            what = kind_of(path.lstat().st_mode) if os.path.lexists(path) else None
            problems.append(Problem(where, f"input named in the manifest is {what} in the repository, not a file"
                                    if what else "input named in the manifest is missing from the repository"))
        elif found != digest:
            problems.append(Problem(where, f"differs from the input the site was built from (sha256 {str(digest)[:16]}…); "
                                    "check out the commit in the manifest (git_commit) to compare"))
    for path in input_files(root):
        rel = path.relative_to(root).as_posix()
        if rel not in inputs:
            problems.append(Problem(Location(rel), "not an input of this site: added after the build"))
    if problems:
        raise InputError(problems)
    return len(outputs), len(inputs)
