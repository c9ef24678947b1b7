"""`readiness bundle RELEASE`: one deterministic tar an auditor can take away, with hashes of its own files.

The archive holds the results file as launched and as now, the checklist as launched, the git log of the
results file and of the checklist with their diffs, the release's findings and sign-offs with identities,
its JSON and CSV exports, and SHA256SUMS (checkable with `sha256sum -c`). Entries are sorted, with fixed
times, owners and modes, so the same inputs give the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import tempfile
from pathlib import Path
from typing import Optional

from generator.errors import InputError, Location, Problem, printable
from generator.exports import dumps, release_csv, release_json
from generator.provenance import HEX, Git, GitError

BUNDLE_NAMESPACE = "readiness-bundle"
MTIME = 0  # every entry's time: a bundle's bytes must not depend on when it was made


def _blob_at(git: Git, commit: str, path: str) -> Optional[bytes]:
    """A file's bytes at a commit, asked for by object id (the path only selects the tree entry)."""
    try:
        listing = git.run_bytes("ls-tree", "-z", "--full-tree", commit, "--", path)
    except GitError:
        return None
    for entry in listing.split(b"\0"):
        head, _, name = entry.partition(b"\t")
        fields = head.split()
        if name.decode("utf-8", "replace") == path and len(fields) == 3 and fields[1] == b"blob" \
                and HEX.match(fields[2].decode("ascii", "replace")):
            return git.run_bytes("cat-file", "blob", fields[2].decode("ascii"))
    return None


def _log(git: Git, path: str) -> bytes:
    """The file's history with each commit's diff, as git prints it (no colour, no mailmap, full ids)."""
    try:
        return git.run_bytes("log", "--no-color", "--format=fuller", "--no-abbrev", "-p", "--follow",
                             "--encoding=UTF-8", "HEAD", "--", path)
    except GitError as exc:
        return f"git log failed: {exc}\n".encode()


def _signoffs(e, history, team) -> list[dict]:
    rows = []
    for s in e.release.signoffs:
        record = history.signoffs.get(s.role) if history else None
        commit = record.commit if record is not None else None
        person = team.person(s.name) if team else None
        recorder = team.by_email(commit.author_email) if team and commit else None
        rows.append({"role": s.role, "name": s.name, "date": s.date.isoformat(),
                     "person": person.id if person else None,
                     "commit": commit.sha if commit else None, "author": commit.author if commit else None,
                     "email": commit.author_email if commit else None,
                     "recorded_by_person": recorder.id if recorder else None,
                     "signature": commit.signature if commit else None,
                     "signature_key_of": (commit.signer or None) if commit else None})
    return rows


def _sign(data: bytes, key: Path) -> bytes:
    """An `ssh-keygen -Y sign` signature of `data` in the readiness-bundle namespace."""
    from generator.verify import _ssh_keygen

    with tempfile.TemporaryDirectory(prefix="readiness-bundle-") as tmp:
        path = Path(tmp) / "SHA256SUMS"
        path.write_bytes(data)
        result = _ssh_keygen(["-Y", "sign", "-n", BUNDLE_NAMESPACE, "-f", str(key), str(path)])
        sig = path.with_name("SHA256SUMS.sig")
        if result.returncode != 0 or not sig.is_file():
            why = printable(result.stderr.decode("utf-8", "replace").strip()[:300]) or "no signature written"
            raise InputError([Problem(Location(str(key)), f"could not sign the bundle with this key ({why})")])
        return sig.read_bytes()


def bundle_files(site, root: Path, name: str, sign_key: Optional[Path] = None) -> dict[str, bytes]:
    """The bundle's files by name (SHA256SUMS included), for release `name` of the site data."""
    found = [e for e in site.evaluations if e.release.name == name]
    if not found:
        known = ", ".join(e.release.name for e in site.evaluations[-10:])
        raise InputError([Problem(Location("results/"), f"no release `{name}`; releases include {known}")])
    e = found[0]
    history = site.histories.get(name)
    team = site.config.get("team")
    prefix = f"{name}/"
    files: dict[str, bytes] = {}
    files["results-now.yaml"] = (root / e.release.path).read_bytes()
    git = Git(root)
    launch = history.launch if history else None
    if site.repository.available:
        files["git-log-results.txt"] = _log(git, e.release.path)
        files["git-log-checklist.txt"] = _log(git, f"checklists/{e.checklist.name}.md")
    if launch is not None:
        launched = _blob_at(git, launch.commit.sha, launch.path)
        if launched is not None:
            files["results-as-launched.yaml"] = launched
        checklist = _blob_at(git, launch.commit.sha, f"checklists/{launch.checklist or e.checklist.name}.md")
        if checklist is not None:
            files["checklist-as-launched.md"] = checklist
    findings = [f.as_json() for f in site.findings if f.release == name]
    files["findings.json"] = dumps({"release": name, "findings": findings}).encode()
    files["signoffs.json"] = dumps({"release": name, "signoffs": _signoffs(e, history, team)}).encode()
    files["release.json"] = dumps(release_json(e)).encode()
    files["release.csv"] = release_csv(e).encode()
    files["provenance.json"] = dumps({
        "release": name, "file": e.release.path, "git_commit": site.repository.head,
        "dirty": list(site.repository.dirty),
        "launch_commit": launch.commit.sha if launch else None,
        "verdict_at_launch": launch.verdict if launch else None, "verdict_now": e.verdict}).encode()
    sums = "".join(f"{hashlib.sha256(data).hexdigest()}  {n}\n" for n, data in sorted(files.items()))
    files["SHA256SUMS"] = sums.encode()
    if sign_key is not None:
        files["SHA256SUMS.sig"] = _sign(files["SHA256SUMS"], sign_key)
    return {prefix + n: data for n, data in sorted(files.items())}


def tar_bytes(files: dict[str, bytes]) -> bytes:
    """A plain tar of `files`, sorted, every entry owned by 0:0 with mode 0644 and time MTIME."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted({n.split("/", 1)[0] + "/" for n in files}):
            info = tarfile.TarInfo(name.rstrip("/"))
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, MTIME
            tar.addfile(info)
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, MTIME
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def write_bundle(site, root: Path, name: str, dest: Path, sign_key: Optional[Path] = None) -> int:
    """Write release `name`'s bundle to `dest` (replacing it whole); returns the number of files in it."""
    files = bundle_files(site, root, name, sign_key)
    data = tar_bytes(files)
    tmp = dest.with_name(f".{dest.name}.tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(dest)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError([Problem(Location(str(dest)), f"cannot write the bundle ({exc.strerror}); choose "
                                  "another place with -o")]) from None
    return len(files)

