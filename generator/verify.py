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
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator, Optional

from generator.errors import InputError, Location, Problem, display_path, printable
from generator.source import kind_of, read_regular

MANIFEST = "manifest.json"
CONFIG_FILE = "readiness.yml"
# Files a site holds that are not part of what it shows (the manifest itself).
SIGNATURE = MANIFEST + ".sig"  # `readiness build --sign KEY`: ssh-keygen -Y sign of manifest.json
SIGN_NAMESPACE = "readiness-manifest"
UNHASHED = {MANIFEST, SIGNATURE}
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


def _files(folder: Path, prefix: str = "") -> Iterator[str]:
    """The paths of the files under `folder`, "/"-separated and relative to it, from the folders' entries
    (a long history's site has tens of thousands: a stat and a Path each took seconds)."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                yield from _files(Path(entry.path), f"{prefix}{entry.name}/")
            elif entry.is_file():
                yield prefix + entry.name


def manifest(site, root: Path, out: Path, build_epoch: Optional[int], known: Optional[dict[str, str]] = None) -> dict:
    """What the build writes as the site's manifest.json: hashes of every input and every output file, the
    generator version and the commit built from (`known`: hashes already checked of files linked from the
    previous site, not read again)."""
    known = known or {}
    outputs = {}
    for path in sorted(_files(out), key=lambda path: path.split("/")):  # in the order of their folders' paths
        if path not in UNHASHED:  # data/releases/manifest.json is a release's export
            outputs[path] = known.get(path) or hashlib.sha256((out / path).read_bytes()).hexdigest()
    return {
        "generator": f"readiness {site.version}",
        "git_commit": site.repository.head,
        # Inputs that are not the commit's: the hashes below are of the working tree, not of git_commit.
        "dirty": list(site.repository.dirty),
        "build_date": dt.datetime.fromtimestamp(build_epoch, dt.timezone.utc).isoformat() if build_epoch else None,
        "inputs": {p.relative_to(root).as_posix(): file_digest(p) for p in input_files(root)},
        "outputs": outputs,
    }


def _ssh_keygen(args: list[str], stdin: Optional[bytes] = None) -> subprocess.CompletedProcess:
    if shutil.which("ssh-keygen") is None:
        raise InputError([Problem(Location("ssh-keygen"), "ssh-keygen is not installed; install OpenSSH (8.2 or "
                                  "later) to sign or verify a manifest")])
    return subprocess.run(["ssh-keygen", *args], input=stdin, capture_output=True, check=False, timeout=60,
                          env=dict(os.environ, LC_ALL="C"))


def sign_file(path: Path, key: Path, namespace: str, what: str) -> Path:
    """`ssh-keygen -Y sign` of the file at `path` in `namespace`; the signature's path (`path` + .sig)."""
    result = _ssh_keygen(["-Y", "sign", "-n", namespace, "-f", str(key), str(path)])
    sig = path.with_name(path.name + ".sig")
    if result.returncode != 0 or not sig.is_file():
        why = printable(result.stderr.decode("utf-8", "replace").strip()[:300]) or "no signature written"
        raise InputError([Problem(Location(str(key)), f"could not sign {what} with this key ({why}); give the "
                                  "private key of an SSH key pair without a passphrase prompt, or an agent")])
    return sig


def sign_manifest(out: Path, key: Path) -> None:
    """manifest.json.sig beside the manifest: `ssh-keygen -Y sign` with the namespace readiness-manifest."""
    sign_file(out / MANIFEST, key, SIGN_NAMESPACE, "the manifest")


def check_signature(site_dir: Path, allowed_signers: Path) -> str:
    """The principal whose key signed the site's manifest, from an allowed-signers file; raises when none."""
    where = Location(f"{str(site_dir).rstrip('/')}/{SIGNATURE}")
    if not os.path.lexists(site_dir / SIGNATURE):
        raise InputError([Problem(where, "the site has no manifest signature; it was built without --sign, or "
                                  "the signature was removed")])
    signature = read_regular(site_dir / SIGNATURE, where.path, 64 * 1024, "")
    data = read_regular(site_dir / MANIFEST, f"{site_dir}/{MANIFEST}", MAX_MANIFEST_BYTES, "")
    with tempfile.TemporaryDirectory(prefix="readiness-verify-") as tmp:
        sig = Path(tmp) / "manifest.json.sig"  # a copy: what is checked is what was read
        sig.write_bytes(signature)
        found = _ssh_keygen(["-Y", "find-principals", "-s", str(sig), "-f", str(allowed_signers)])
        principals = found.stdout.decode("utf-8", "replace").split()
        for principal in principals:
            ok = _ssh_keygen(["-Y", "verify", "-f", str(allowed_signers), "-I", principal, "-n", SIGN_NAMESPACE,
                              "-s", str(sig)], stdin=data)
            if ok.returncode == 0:
                return printable(principal)
    raise InputError([Problem(where, "the manifest's signature is not by a key of the allowed signers (or the "
                              "manifest was changed after it was signed)")])


def check_commit(root: Path, commit: Optional[str], dirty, site_dir: Path) -> list[str]:
    """Notes on the manifest's commit in the checkout at `root`; raises when the commit is missing or is not
    an ancestor of HEAD (the site was not built from this history)."""
    from generator.provenance import HEX, Git

    git = Git(root)
    repo = git.repository()
    if not repo.available:
        return [f"commit not checked: {repo.reason}"]
    where = Location(f"{str(site_dir).rstrip('/')}/{MANIFEST}")
    if not isinstance(commit, str) or not HEX.match(commit):
        raise InputError([Problem(where, "git_commit is not a commit id; the site cannot be tied to this history")])
    if subprocess.run(git._argv(["cat-file", "-e", f"{commit}^{{commit}}"]), env=git.env,
                      capture_output=True).returncode != 0:
        raise InputError([Problem(where, f"git_commit {commit[:12]} does not exist in this repository; the site "
                                  "was built from another history (fetch it, or check out the right clone)")])
    if subprocess.run(git._argv(["merge-base", "--is-ancestor", commit, "HEAD"]), env=git.env,
                      capture_output=True).returncode != 0:
        raise InputError([Problem(where, f"git_commit {commit[:12]} is not an ancestor of HEAD ({repo.head[:12]}); "
                                  "the site was built from a history this checkout does not contain")])
    if not (isinstance(dirty, list) and all(isinstance(d, str) for d in dirty)):
        raise InputError([Problem(where, "dirty is not a list of input paths; the manifest was changed after the build")])
    notes = [f"built from commit {commit[:12]}, an ancestor of HEAD"]
    if dirty:
        notes.append(f"built from a dirty working tree: {len(dirty)} input(s) were not as committed "
                     f"({', '.join(map(str, dirty[:10]))}); the hashes are of those files, not of {commit[:12]}")
    return notes


def _present(site_dir: Path) -> dict[str, Optional[str]]:
    """Every entry of the site that is not a folder -> what it is when it is not a regular file (links too)."""
    out: dict[str, Optional[str]] = {}
    for folder, dirs, files in os.walk(site_dir):  # never into a linked folder
        for name in files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            path = Path(folder) / name
            out[path.relative_to(site_dir).as_posix()] = kind_of(path.lstat().st_mode)
    return out


def verify_site(site_dir: Path, root: Path) -> tuple[int, int, dict]:
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
    return len(outputs), len(inputs), data
