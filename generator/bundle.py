"""`readiness bundle RELEASE`: one deterministic tar an auditor can take away, with hashes of its own files.

The archive holds the results file as launched and as now, the checklist as launched, the git log of the
results file and of the checklist with their diffs, the release's findings and sign-offs with identities,
its JSON and CSV exports with the checklist revision's items export (`checklist.json`, which the JSON's
items refer to), and SHA256SUMS (checkable with `sha256sum -c`). Entries are sorted, with fixed
times, owners and modes, so the same inputs give the same bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import stat
import tarfile
import tempfile
from pathlib import Path
from typing import Optional

from generator.errors import InputError, Location, Problem, printable
from generator.exports import checklist_export, checklist_json, dumps, dumps_compact, release_csv, release_json
from generator.provenance import HEX, Git, GitError
from generator.source import MAX_INPUT_BYTES, read_regular

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
    from generator.verify import sign_file

    with tempfile.TemporaryDirectory(prefix="readiness-bundle-") as tmp:
        path = Path(tmp) / "SHA256SUMS"
        path.write_bytes(data)
        return sign_file(path, key, BUNDLE_NAMESPACE, "the auditor's bundle").read_bytes()


def _find(site, name: str):
    found = [e for e in site.evaluations if e.release.name == name]
    if not found:
        known = ", ".join(e.release.name for e in site.evaluations[-10:])
        raise InputError([Problem(Location("results/"), f"no release `{name}`; releases include {known}")])
    return found[0]


def bundle_path(e) -> str:
    """Where a release's bundle sits in the site: beside its page, named after the release."""
    return f"releases/{e.release.name}/{e.release.name.rsplit('/', 1)[-1]}-audit.tar.gz"


def _small_files(site, e, findings: Optional[list] = None) -> dict[str, bytes]:
    """The bundle's files made from the site data alone (no git, no exports): cheap, so they key the rest.
    `findings` are the release's, when the caller has grouped them (a build, for every release at once)."""
    name, history = e.release.name, site.histories.get(e.release.name)
    launch = history.launch if history else None
    if findings is None:
        findings = [f for f in site.findings if f.release == name]
    findings = [f.as_json() for f in findings]
    last = history.last if history else None
    return {
        "findings.json": dumps({"release": name, "findings": findings}).encode(),
        "signoffs.json": dumps({"release": name, "signoffs": _signoffs(e, history, site.config.get("team")),
                                "uncounted": e.uncounted}).encode(),
        "provenance.json": dumps({
            "release": name, "file": e.release.path, "sha256": e.release.sha256,
            "last_commit": last.sha if last else None, "uncommitted_changes": bool(history and history.dirty),
            "checklist": e.checklist.name, "checklist_sha256": e.checklist.sha256,
            "launch_commit": launch.commit.sha if launch else None,
            "verdict_at_launch": launch.verdict if launch else None, "verdict_now": e.verdict}).encode()}


def bundle_key(site, e, exports_key: str, signer: str = "", findings: Optional[list] = None) -> str:
    """A hash of everything the bundle is made of, so a rebuild makes again only the bundles whose inputs
    moved. Its git logs stand in as the newest commit of each file (a commit's id covers all before it): the
    release's history (which also holds what its sign-offs and provenance files say) and its checklist's
    revisions. The small files stand in as what they are made from, not made for every release of every
    build: that history, the release's findings and uncounted sign-offs; `exports_key` covers the rest."""
    import generator.cache as cache

    revisions = site.revisions.get(e.checklist.name) or []
    if findings is None:
        findings = [f for f in site.findings if f.release == e.release.name]
    return cache.key("bundle", e.release.name, e.release.path, exports_key, signer,
                     revisions[0].commit.sha if revisions else None, len(revisions),
                     site.histories.get(e.release.name), findings, sorted(e.uncounted.items()))


def bundle_files(site, root: Path, name: str, sign_key: Optional[Path] = None,
                 exports: Optional[bytes] = None, evaluation=None,
                 small: Optional[dict] = None, revision: Optional[bytes] = None) -> dict[str, bytes]:
    """The bundle's files by name (SHA256SUMS included), for release `name` of the site data (its
    `evaluation`, when the caller has it); `exports` and `revision` are the release's JSON and its
    checklist revision's as the site holds them (made here when not given: the same bytes); its CSV is
    in the bundle only."""
    e = evaluation if evaluation is not None else _find(site, name)
    history = site.histories.get(name)
    prefix = f"{name}/"
    files: dict[str, bytes] = {}
    now = read_regular(root / e.release.path, e.release.path, MAX_INPUT_BYTES, "results files are kept small")
    if hashlib.sha256(now).hexdigest() != e.release.sha256:
        raise InputError([Problem(Location(e.release.path), "changed while the site was being built; build again")])
    files["results-now.yaml"] = now
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
    files.update(small or _small_files(site, e))
    files["release.json"] = exports or dumps_compact(release_json(e)).encode()
    files["release.csv"] = release_csv(e).encode()
    files["checklist.json"] = revision or dumps_compact(checklist_json(e.checklist)).encode()
    sums = "".join(f"{hashlib.sha256(data).hexdigest()}  {n}\n" for n, data in sorted(files.items()))
    files["SHA256SUMS"] = sums.encode()
    if sign_key is not None:
        files["SHA256SUMS.sig"] = _sign(files["SHA256SUMS"], sign_key)
    return {prefix + n: data for n, data in sorted(files.items())}


def tar_bytes(files: dict[str, bytes]) -> bytes:
    """A plain tar of `files`, sorted, every entry owned by 0:0 with mode 0644 and time MTIME."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        folders = {"/".join(n.split("/")[:i]) for n in files for i in range(1, n.count("/") + 1)}
        for name in sorted(folders):
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, MTIME
            tar.addfile(info)
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, MTIME
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def archive(files: dict[str, bytes], compressed: bool) -> bytes:
    """The tar of `files`, gzip-compressed when asked (no name and time in the gzip header: same bytes)."""
    data = tar_bytes(files)
    return gzip.compress(data, compresslevel=6, mtime=0) if compressed else data  # 6: as fast again as 9, 1 % larger


def write_bundle(site, root: Path, name: str, dest: Path, sign_key: Optional[Path] = None) -> int:
    """Write release `name`'s bundle to `dest` (replacing it whole; gzip-compressed when `dest` ends in .gz or
    .tgz, as the site's); returns the number of files in it."""
    files = bundle_files(site, root, name, sign_key)
    data = archive(files, dest.name.endswith((".gz", ".tgz")))
    tmp = dest.with_name(f".{dest.name}.tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(dest)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError([Problem(Location(str(dest)), f"cannot write the bundle ({exc.strerror}); choose "
                                  "another place with -o")]) from None
    return len(files)


def key_digest(key: Path) -> str:
    """The SHA-256 of a signing key file, for bundle keys (a bundle signed by another key is another bundle)."""
    try:
        info = os.stat(key)  # a key may be a link (into ~/.ssh, a secrets mount); a FIFO or folder is not one
        if not stat.S_ISREG(info.st_mode) or info.st_size > 1 << 20:
            raise OSError("not a key file")
        return hashlib.sha256(key.read_bytes()).hexdigest()
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise InputError([Problem(Location(str(key)), f"cannot read this signing key ({why}); give the path "
                                  "of an SSH private key file")]) from None


def place_bundles(site, root: Path, out: Path, cache=None, previous=None, sign_key: Optional[Path] = None) -> int:
    """Put every release's bundle into the built site `out`, beside its page: linked from the previous site
    when the build cache says its bytes are those this build would make, else made (and their hash kept).
    Reads each release's exports from `out`, so the bundle holds the very bytes the site publishes."""
    from generator.pages import findings_by_release, release_key

    signer = key_digest(sign_key) if sign_key is not None else ""
    findings = findings_by_release(site)
    checklists: dict[str, bytes] = {}  # a revision's export, read once for all its releases
    made = 0
    for e in site.evaluations:
        path = bundle_path(e)
        mine = findings.get(e.release.name, [])
        entry = bundle_key(site, e, release_key(site, e, "data"), signer, mine)
        digest = cache.get(entry) if cache is not None else None
        target = out / path
        if digest is not None and previous is not None and previous.link(path, entry, target, digest):
            continue
        exports = (out / f"data/releases/{e.release.name}.json").read_bytes()
        revision = f"data/{checklist_export(e.checklist)}.json"
        if revision not in checklists:
            checklists[revision] = (out / revision).read_bytes()
        small = _small_files(site, e, mine)
        data = archive(bundle_files(site, root, e.release.name, sign_key, exports, e, small, checklists[revision]),
                       compressed=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        made += 1
        if cache is not None:
            cache.put(entry, hashlib.sha256(data).hexdigest(), None)
    return made
