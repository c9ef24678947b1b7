"""The build cache: a cached build gives the same site, byte for byte, as a build from nothing, whatever changed."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
import types
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import cache as cache_module
from generator.cache import cache_path
from generator.cli import cli

from conftest import ROOT
from gitrepo import Repo


@pytest.fixture(scope="module")
def replayed(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("example") / "lumen"
    subprocess.run([sys.executable, str(ROOT / "examples" / "replay.py"), str(dest)], check=True)
    return dest


@pytest.fixture
def repo(replayed, tmp_path) -> Repo:
    """A clone of the replayed example (its own path, so its own cache), committing as the example does."""
    dest = tmp_path / "lumen"
    subprocess.run(["git", "clone", "-q", str(replayed), str(dest)], check=True)
    r = Repo.__new__(Repo)
    r.root = dest
    r.git("config", "user.name", "Test Runner")
    r.git("config", "user.email", "runner@example.com")
    return r


def build(root: Path, site: Path, *extra: str) -> str:
    result = CliRunner().invoke(cli, ["build", "--root", str(root), "-d", str(site), *extra])
    assert result.exit_code == 0, result.output
    return result.output


def tree(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def reused(output: str) -> int:
    found = re.search(r"(\d+) of (\d+) cached parts reused", " ".join(output.split()))
    return int(found.group(1)) if found else 0


def assert_cached_equals_full(root: Path, tmp: Path, name: str) -> int:
    """Build with the cache (into the same site each time, as a team does, so unchanged files are taken from
    the previous site) and without it; the two sites must be identical. Returns how many parts were reused."""
    output = build(root, tmp / "cached")
    build(root, tmp / f"{name}-full", "--no-cache")
    cached, full = tree(tmp / "cached"), tree(tmp / f"{name}-full")
    assert cached.keys() == full.keys(), name
    differ = [path for path in cached if cached[path] != full[path]]
    assert not differ, f"{name}: cached build differs from the full build in {differ[:5]}"
    return reused(output)


@pytest.mark.slow
def test_cached_builds_match_full_builds_through_every_kind_of_change(repo, tmp_path, monkeypatch):
    root = repo.root
    assert assert_cached_equals_full(root, tmp_path, "cold") == 0
    assert assert_cached_equals_full(root, tmp_path, "unchanged") > 0

    # An uncommitted edit of one release: its page, and the next release's comparison with it, change.
    path = root / "results" / "3.0.0.yaml"
    text = path.read_text()
    path.write_text(text.replace("status: done", "status: failed", 1))
    assert assert_cached_equals_full(root, tmp_path, "edited") > 0

    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "3.0.0: one item failed after all")
    assert assert_cached_equals_full(root, tmp_path, "committed") > 0

    (root / "results" / "3.3.0.yaml").write_text('release: "3.3.0"\nchecklist: production\nitems:\n  security: done\n')
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "3.3.0 started")
    assert assert_cached_equals_full(root, tmp_path, "new-release") > 0

    checklist = root / "checklists" / "production.md"
    checklist.write_text(checklist.read_text().replace("\n## ", "\n- [ ] Status page announces the release\n\n## ", 1))
    assert assert_cached_equals_full(root, tmp_path, "checklist") > 0

    # A second checklist: the navigation of every page changes, though no release page's content does.
    (root / "checklists" / "staging.md").write_text("# Staging\n\n## Smoke\n\n- [ ] Smoke tests pass\n")
    assert assert_cached_equals_full(root, tmp_path, "navigation") > 0

    config = root / "readiness.yml"
    config.write_text(config.read_text().replace("site_name: Lumen launch readiness", "site_name: Lumen readiness"))
    assert assert_cached_equals_full(root, tmp_path, "settings") > 0

    # Another day: releases not launched yet are evaluated on it (waivers may expire).
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(1795824000 + 40 * 86400))
    assert assert_cached_equals_full(root, tmp_path, "another-day") > 0


def test_second_build_reuses_every_release_part_and_the_cache_stays_outside_the_repository(repo, tmp_path, cache_root):
    root = repo.root
    before = set(repo.git("status", "--porcelain", "--ignored").splitlines())
    build(root, tmp_path / "one")
    output = build(root, tmp_path / "two")
    releases = len(list((root / "results").glob("*.yaml")))
    # Per release: the loaded file without its entries, its evaluation's summary and its audit findings, the
    # page as rendered and as MkDocs finished it, two exports (JSON and the compare page's script), the badge,
    # the hash of the auditor's bundle, its search entries; the search entries of every other page, and the
    # dashboard and trends page as rendered; and each checklist revision's two exports. The history stage
    # asks for the summary of each launched release again (as launched, when HEAD holds the file as it was
    # launched), and reads the entries of a release it evaluates on another day (a sign-off given while a
    # waiver could expire; tests/test_summary.py counts those).
    pages = len(list((tmp_path / "one").rglob("index.html"))) - releases
    revisions = len(list((tmp_path / "one" / "data" / "checklists").glob("*/*.json")))
    assert revisions >= 1
    found = re.search(r"(\d+) of (\d+) cached parts reused", output)
    assert found and found.group(1) == found.group(2), output  # nothing made again
    launched = sum("launch:" in p.read_text() for p in (root / "results").glob("*.yaml"))
    parts = 10 * releases + pages + 2 + 2 * revisions
    assert reused(output) >= parts + launched
    assert set(repo.git("status", "--porcelain", "--ignored").splitlines()) == before
    assert cache_path(root).parent == cache_root and cache_path(root).is_file()


def test_a_rebuild_links_unchanged_files_of_the_previous_site_and_rewrites_changed_ones(repo, tmp_path):
    root, site = repo.root, tmp_path / "site"
    build(root, site)
    kept = site / "releases" / "3.0.0" / "index.html"
    inode = kept.stat().st_ino
    # Files changed in the published site since it was built: none of it may reach the next site.
    page = site / "releases" / "3.1.0" / "index.html"
    page.write_bytes(page.read_bytes().replace(b"</h1>", b" (edited)</h1>", 1))
    export = site / "data" / "releases" / "3.1.0.json"
    export.write_text(export.read_text().replace('"3.1.0"', '"9.9.9"'))
    badge = site / "releases" / "3.2.0" / "badge.svg"
    elsewhere = tmp_path / "badge.svg"
    elsewhere.write_bytes(badge.read_bytes())
    badge.unlink()
    badge.symlink_to(elsewhere)  # the right bytes, but not a file of the site
    (root / "results" / "3.3.0.yaml").write_text('release: "3.3.0"\nchecklist: production\nitems:\n  security: done\n')

    output = build(root, site)
    build(root, tmp_path / "full", "--no-cache")
    assert tree(site) == tree(tmp_path / "full")
    assert kept.stat().st_ino == inode, "an unchanged page was written again instead of linked"
    assert not badge.is_symlink()
    assert reused(output) > 0
    assert re.search(r'"releases/3.0.0/index.html": "[0-9a-f]{64}"', (site / "manifest.json").read_text())
    for _ in range(2):  # what a build links it keeps in the cache: the builds after it reuse everything
        parts = re.search(r"(\d+) of (\d+) cached parts reused", " ".join(build(root, site).split()))
        assert parts and parts.group(1) == parts.group(2)
    assert kept.stat().st_ino == inode


def test_files_linked_before_are_linked_again_unread_unless_written_since(repo, tmp_path, monkeypatch):
    from generator import previous

    root, site = repo.root, tmp_path / "site"
    build(root, site)
    build(root, site)  # links every unchanged file, stamping each as linked
    hashed = []
    sha256 = hashlib.sha256

    def counting(data=b""):
        hashed.append(len(data))
        return sha256(data)

    page = site / "releases" / "3.1.0" / "index.html"
    # The same number of bytes and the same mtime: only the inode's ctime tells that it was written.
    info = page.stat()
    page.write_bytes(page.read_bytes().replace(b"<h1", b"<H1", 1))
    os.utime(page, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert page.stat().st_size == info.st_size and page.stat().st_mtime_ns == info.st_mtime_ns
    with monkeypatch.context() as patch:  # scoped: undoing all would drop the suite's SOURCE_DATE_EPOCH too
        patch.setattr(previous, "hashlib", types.SimpleNamespace(sha256=counting))
        build(root, site)
    assert len(hashed) == 1, "only the page written since its last link is read to check it"
    build(root, tmp_path / "full", "--no-cache")
    assert tree(site) == tree(tmp_path / "full")


def test_files_stamped_within_the_clock_tick_they_changed_in_are_read_again(repo, tmp_path, monkeypatch):
    from generator import previous

    root, site = repo.root, tmp_path / "site"
    build(root, site)
    # A clock that has not moved on since the files were linked: every one of them is racily stamped.
    with monkeypatch.context() as patch:
        patch.setattr(previous, "_clock", lambda folder: 0)
        build(root, site)
    hashed = []
    sha256 = hashlib.sha256

    def counting(data=b""):
        hashed.append(len(data))
        return sha256(data)

    with monkeypatch.context() as patch:
        patch.setattr(previous, "hashlib", types.SimpleNamespace(sha256=counting))
        build(root, site)
    assert len(hashed) > 50, "no stamp was kept, so every linked file is read to check it"


def test_a_damaged_stamps_entry_means_every_file_is_read_and_the_site_is_unaffected(repo, tmp_path):
    from generator.cache import Cache, encode
    from generator.previous import STAMPS

    root, site = repo.root, tmp_path / "site"
    build(root, site)
    for damaged in ("[" * 100_000, '{"index.html": 1}', "[1, 2]", "not json"):
        with sqlite3.connect(cache_path(root)) as db:
            assert db.execute("UPDATE entries SET value = ? WHERE key = ?", (encode(damaged), STAMPS)).rowcount == 1
        assert Cache(root).peek(STAMPS) == damaged
        build(root, site)
    build(root, tmp_path / "full", "--no-cache")
    assert tree(site) == tree(tmp_path / "full")


def test_a_rebuild_gives_mkdocs_only_the_release_pages_that_changed(repo, tmp_path, monkeypatch):
    from generator import hookstate

    root, site = repo.root, tmp_path / "site"
    config = root / "readiness.yml"
    config.write_text(config.read_text() + "site_url: https://readiness.example/lumen/\n")  # a full sitemap
    build(root, site)
    asked: dict[str, bool] = {}
    skip = hookstate.BuildState.skip

    def recorded(self, src_uri, content_key, *keep):
        asked[src_uri] = skip(self, src_uri, content_key, *keep)
        return asked[src_uri]

    monkeypatch.setattr(hookstate.BuildState, "skip", recorded)
    path = root / "results" / "3.0.0.yaml"
    path.write_text(path.read_text().replace("status: done", "status: failed", 1))
    build(root, site)
    releases = sorted(p.stem for p in (root / "results").glob("*.yaml"))
    assert sorted(asked) == [f"releases/{name}/index.md" for name in releases]
    given = [src for src, skipped in asked.items() if not skipped]
    # The edited release and the one compared with it are rendered; every other page comes from the last build.
    assert "releases/3.0.0/index.md" in given and len(given) <= 2, given
    build(root, tmp_path / "full", "--no-cache")
    assert tree(site) == tree(tmp_path / "full")
    sitemap = (site / "sitemap.xml").read_text()
    assert all(f"<loc>https://readiness.example/lumen/releases/{name}/index.html</loc>" in sitemap for name in releases)


def test_cache_holds_only_what_the_last_build_used(repo, tmp_path):
    root = repo.root

    def rows() -> int:
        with sqlite3.connect(cache_path(root)) as db:
            return db.execute("SELECT count(*) FROM entries").fetchone()[0]

    build(root, tmp_path / "one")
    counts = []
    for n in range(3):  # three edits of the latest release: its old entries are dropped each time
        path = root / "results" / "3.2.0.yaml"
        path.write_text(path.read_text() + f"# edit {n}\n")
        build(root, tmp_path / f"edit{n}")
        counts.append(rows())
    releases = len(list((root / "results").glob("*.yaml")))
    # Per release at most: the loaded file and its head, the evaluation's summary, the findings, the page whole
    # and as an outline, the finished page, 4 exports, the hashes of the five files in the site, the hash of
    # the auditor's bundle, the search entries (and those of the other pages).
    pages = len(list((tmp_path / "one").rglob("index.html"))) - releases
    assert counts[0] == counts[1] == counts[2] <= 18 * releases + pages


def test_a_damaged_cache_is_replaced_and_the_build_is_unaffected(project, tmp_path):
    path = cache_path(project)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not a database" * 100)
    build(project, tmp_path / "damaged")
    build(project, tmp_path / "full", "--no-cache")
    assert tree(tmp_path / "damaged") == tree(tmp_path / "full")
    assert reused(build(project, tmp_path / "again")) > 0


def test_an_unusable_cache_directory_only_means_no_cache(project, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory would be")
    monkeypatch.setenv("READINESS_CACHE_DIR", str(blocker))
    output = build(project, tmp_path / "site")
    assert "cached parts" not in output and "Traceback" not in output
    assert cache_warnings(output) == [f"{blocker}:1:1: warning: build cache not used: the cache folder is a file; "
                                      f"{NOT_USED}"]
    assert reused(build(project, tmp_path / "again")) == 0


def test_no_cache_reads_and_writes_nothing(project, tmp_path):
    build(project, tmp_path / "site", "--no-cache")
    assert not cache_path(project).exists()


def test_generator_fingerprint_covers_templates(tmp_path, monkeypatch):
    copy = tmp_path / "generator"
    shutil.copytree(cache_module.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache_module, "PACKAGE", copy)
    cache_module.generator_key.cache_clear()
    try:
        first = cache_module.generator_key()
        template = copy / "templates" / "release.html.j2"
        template.write_text(template.read_text() + "\n")
        cache_module.generator_key.cache_clear()
        assert cache_module.generator_key() != first
    finally:
        cache_module.generator_key.cache_clear()


# --- what the cache holds, and when it is not used -------------------------------------------------------


def cache_warnings(output: str) -> list[str]:
    return [line for line in output.splitlines() if "build cache" in line]


NOT_USED = "the site is built without it (fix or remove the cache, or build with --no-cache)"
NOT_UPDATED = "the next build will not find what this one made in it (fix or remove the cache, or build with --no-cache)"


@pytest.fixture
def own_cache(tmp_path, monkeypatch) -> Path:
    """A cache folder of this test alone (made by the first build, as readiness makes it)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("READINESS_CACHE_DIR", str(folder))
    return folder


def _other_user(path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("giving a file to another user needs root")
    os.chown(path, 65534, 65534, follow_symlinks=False)


def _file_link(path: Path) -> None:
    real = path.with_name("real.sqlite3")
    path.rename(real)
    path.symlink_to(real)


UNTRUSTED = {
    "folder-writable-by-others": (lambda folder, file: folder.chmod(0o777), "folder",
                                  "the cache folder may be written by other users (mode 0777)"),
    "folder-writable-by-group": (lambda folder, file: folder.chmod(0o770), "folder",
                                 "the cache folder may be written by other users (mode 0770)"),
    "file-writable-by-others": (lambda folder, file: file.chmod(0o646), "file",
                                "the cache file may be written by other users (mode 0646)"),
    "file-of-another-user": (lambda folder, file: _other_user(file), "file",
                             "the cache file belongs to another user (uid 65534, not {uid})"),
    "folder-of-another-user": (lambda folder, file: _other_user(folder), "folder",
                               "the cache folder belongs to another user (uid 65534, not {uid})"),
    "file-is-a-link": (lambda folder, file: _file_link(file), "file", "the cache file is a symbolic link"),
    "file-is-a-fifo": (lambda folder, file: (file.unlink(), os.mkfifo(file)), "file",
                       "the cache file is a named pipe (FIFO)"),
}


@pytest.mark.parametrize("case", list(UNTRUSTED))
def test_a_cache_others_could_write_is_neither_read_nor_written(project, tmp_path, own_cache, case):
    change, where, reason = UNTRUSTED[case]
    build(project, tmp_path / "first")
    path = cache_path(project)
    change(own_cache, path)
    before = {p.name: (p.read_bytes() if p.is_file() and not p.is_symlink() else None) for p in own_cache.iterdir()}
    output = build(project, tmp_path / "second")
    shown = own_cache if where == "folder" else path
    assert cache_warnings(output) == [f"{shown}:1:1: warning: build cache not used: "
                                      f"{reason.format(uid=os.geteuid())}; {NOT_USED}"]
    assert reused(output) == 0
    after = {p.name: (p.read_bytes() if p.is_file() and not p.is_symlink() else None) for p in own_cache.iterdir()}
    assert after == before, "an untrusted cache was written"
    build(project, tmp_path / "full", "--no-cache")
    assert tree(tmp_path / "second") == tree(tmp_path / "full")


def test_a_linked_cache_folder_is_not_used(project, tmp_path, own_cache, monkeypatch):
    build(project, tmp_path / "first")
    link = tmp_path / "cache-link"
    link.symlink_to(own_cache)
    monkeypatch.setenv("READINESS_CACHE_DIR", str(link))
    output = build(project, tmp_path / "second")
    assert cache_warnings(output) == [f"{link}:1:1: warning: build cache not used: the cache folder is a symbolic "
                                      f"link; {NOT_USED}"]
    assert reused(output) == 0


def test_a_cache_file_is_made_for_its_owner_alone(project, tmp_path, own_cache, monkeypatch):
    monkeypatch.setattr(os, "umask", os.umask)  # restored by monkeypatch below
    old = os.umask(0o002)  # a group-writable default, as many systems have
    try:
        build(project, tmp_path / "first")
    finally:
        os.umask(old)
    assert stat.S_IMODE(own_cache.stat().st_mode) == 0o700
    assert stat.S_IMODE(cache_path(project).stat().st_mode) == 0o600
    assert reused(build(project, tmp_path / "second")) > 0


def test_a_planted_pickle_is_never_unpickled(project, tmp_path, own_cache):
    build(project, tmp_path / "first")
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Payload(str(marker)))
    with sqlite3.connect(cache_path(project)) as db:
        keys = [k for (k,) in db.execute("SELECT key FROM entries")]
        for n, k in enumerate(keys):  # every kind of value readiness knows, each holding the pickle
            kind = (b"p", b"j", b"s", b"")[n % 4]
            db.execute("UPDATE entries SET value = ? WHERE key = ?", (kind + zlib.compress(payload), k))
    output = build(project, tmp_path / "second")
    assert not marker.exists(), "the pickle ran"
    assert reused(output) == 0
    build(project, tmp_path / "full", "--no-cache")
    assert tree(tmp_path / "second") == tree(tmp_path / "full")


def test_finished_pages_the_cache_cannot_give_back_are_finished_again(project, tmp_path, own_cache):
    build(project, tmp_path / "first")
    with sqlite3.connect(cache_path(project)) as db:
        damaged = 0
        for key, value in db.execute("SELECT key, value FROM entries").fetchall():
            if value[:1] == b"s" and zlib.decompress(value[1:]).lstrip().lower().startswith(b"<!doctype html"):
                db.execute("UPDATE entries SET value = ? WHERE key = ?", (b"s" + b"not zlib", key))
                damaged += 1
    assert damaged >= 3  # the release pages as MkDocs finished them, with the rest still good
    # Into another site: nothing to link, so each page would come from the cache, which cannot give it back.
    build(project, tmp_path / "second")
    build(project, tmp_path / "full", "--no-cache")
    assert tree(tmp_path / "second") == tree(tmp_path / "full")


class _Payload:
    """What a pickle planted in a cache would do when loaded: run a command."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_stored_values_are_made_as_their_init_would_make_them_and_checked_where_it_checks():
    import dataclasses as dc

    from generator.cachecodec import _maker

    @dc.dataclass(frozen=True, slots=True)
    class Slotted:
        a: str
        b: int = 0

    @dc.dataclass(frozen=True)
    class Plain:
        a: str
        b: int = 0

    @dc.dataclass(frozen=True)
    class Checked:
        a: str

        def __post_init__(self):
            if not self.a:
                raise ValueError("empty")

    for cls in (Slotted, Plain):
        made = _maker(cls, ["a", "b"])(["x", 2])
        assert type(made) is cls and made == cls("x", 2) and hash(made) == hash(cls("x", 2))
        with pytest.raises(dc.FrozenInstanceError):
            made.a = "y"
    with pytest.raises(ValueError):
        _maker(Checked, ["a"])([""])


def test_loaded_releases_come_back_from_json_as_they_were(project):
    from generator.cachecodec import LOADED, CodecError
    from generator.project import load_project

    loaded = load_project(project)
    for release in loaded.releases:
        value = (release, tuple(loaded.warnings))
        text = LOADED.dumps(value)
        assert LOADED.loads(text) == value
        assert "pickle" not in text and text.startswith("[[")
    with pytest.raises(CodecError):
        LOADED.dumps((loaded.releases[0], (object(),)))
    for text in ('{"__reduce__": 1}', "[1, 2, 3]", '[["x"], []]', "[null, [[1, 2]]]", "not json", '[null, {"(": []}]'):
        with pytest.raises(CodecError):
            LOADED.loads(text)
    # Any field of a stored release replaced by a value of another kind is a miss (CodecError), never another
    # exception; a tuple stored as text is not read as a tuple of its characters.
    good = json.loads(LOADED.dumps((loaded.releases[0], ())))
    for i in range(len(good[0])):
        for other in ("abc", {"a": 1}, [[1]], 3.5, [], None):
            data = json.loads(json.dumps(good))
            data[0][i] = other
            try:
                LOADED.loads(json.dumps(data))
            except CodecError:
                pass


# --- a cache that cannot be written: one warning, never a hang ------------------------------------------------


def cli_process(args: list[str], timeout: float = 180, lose_dac: bool = False) -> subprocess.CompletedProcess:
    """The command in a process of its own (a hang fails the test instead of stopping the run); with
    `lose_dac`, without root's power to write read-only files, so permissions apply as to anyone."""
    prefix: list[str] = []
    if lose_dac and os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("setpriv is needed to drop root's file permission override")
        caps = "-dac_override,-dac_read_search"
        prefix = ["setpriv", f"--bounding-set={caps}", f"--inh-caps={caps}", "--"]
    return subprocess.run([*prefix, sys.executable, "-m", "generator", *args], cwd=ROOT, env=dict(os.environ),
                          capture_output=True, text=True, timeout=timeout)


def built_without_hang(project: Path, site: Path, lose_dac: bool = False) -> list[str]:
    run = cli_process(["build", "--root", str(project), "-d", str(site)], lose_dac=lose_dac)
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    return cache_warnings(run.stdout + run.stderr)


def _edit(project: Path) -> None:
    """A change, so the next build has entries to store."""
    with open(project / "results" / "1.0.0.yaml", "a") as fh:
        fh.write("# edited\n")


def test_a_folder_where_the_cache_file_should_be(project, tmp_path, own_cache):
    build(project, tmp_path / "first")
    path = cache_path(project)
    path.unlink()
    path.mkdir()
    warnings = built_without_hang(project, tmp_path / "second")
    assert warnings == [f"{path}:1:1: warning: build cache not used: the cache file is a folder; {NOT_USED}"]
    assert path.is_dir()
    build(project, tmp_path / "full", "--no-cache")
    assert tree(tmp_path / "second") == tree(tmp_path / "full")


def test_a_read_only_cache_file(project, tmp_path, own_cache):
    build(project, tmp_path / "first")
    path = cache_path(project)
    path.chmod(0o400)
    before = path.read_bytes()
    _edit(project)
    warnings = built_without_hang(project, tmp_path / "second", lose_dac=True)
    assert warnings == [f"{path}:1:1: warning: build cache not updated: the cache file cannot be written (attempt to "
                        f"write a readonly database); {NOT_UPDATED}"]
    assert path.read_bytes() == before
    build(project, tmp_path / "full", "--no-cache")
    assert tree(tmp_path / "second") == tree(tmp_path / "full")


def test_a_cache_folder_that_cannot_be_written(project, tmp_path, own_cache):
    own_cache.mkdir(mode=0o500)
    warnings = built_without_hang(project, tmp_path / "site", lose_dac=True)
    assert warnings == [f"{cache_path(project)}:1:1: warning: build cache not updated: the cache cannot be created "
                        f"(Permission denied); {NOT_UPDATED}"]
    assert list(own_cache.iterdir()) == []


def test_a_cache_locked_by_another_build(project, tmp_path, own_cache):
    build(project, tmp_path / "first")
    _edit(project)
    with sqlite3.connect(cache_path(project), isolation_level=None) as other:
        other.execute("BEGIN EXCLUSIVE")
        started = time.monotonic()
        warnings = built_without_hang(project, tmp_path / "second")
        other.execute("ROLLBACK")
    assert warnings == [f"{cache_path(project)}:1:1: warning: build cache not updated: the cache file cannot be "
                        f"written (database is locked); {NOT_UPDATED}"]
    assert time.monotonic() - started < 120
    build(project, tmp_path / "full", "--no-cache")
    assert tree(tmp_path / "second") == tree(tmp_path / "full")


def test_a_full_disk_under_the_cache(project, tmp_path, own_cache):
    """A real full disk: a tiny tmpfs for the cache, in a private mount namespace (no privileges needed)."""
    if subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode != 0:
        pytest.skip("this system does not allow private mount namespaces (unshare -rm)")
    own_cache.mkdir(mode=0o700)
    script = ('mount -t tmpfs -o size=64k,mode=0700 none "$1" && cd "$2" && exec "$3" -m generator build '
              '--root "$4" -d "$5"')
    run = subprocess.run(["unshare", "-rm", "sh", "-c", script, "sh", str(own_cache), str(ROOT), sys.executable,
                          str(project), str(tmp_path / "site")], env=dict(os.environ), capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    assert cache_warnings(run.stderr) == [f"{cache_path(project)}:1:1: warning: build cache not updated: the cache "
                                          f"file cannot be written (database or disk is full); {NOT_UPDATED}"]
    build(project, tmp_path / "full", "--no-cache")
    assert tree(tmp_path / "site") == tree(tmp_path / "full")


def test_the_writer_thread_dying_does_not_stop_the_build(project, tmp_path, own_cache, monkeypatch):
    """Whatever kills the thread that stores entries, the build ends, with every page, and one warning."""
    from generator import cache as cache_module

    real = cache_module._Writer._store

    def dies(self, entry, value, digest, keep, shape):
        if keep is not None:  # on a release page, which the build needs back from the writer
            raise SystemExit("the storing thread is gone")  # not an Exception: the thread ends
        return real(self, entry, value, digest, keep, shape)

    monkeypatch.setattr(cache_module._Writer, "_store", dies)
    output = build(project, tmp_path / "site")
    assert cache_warnings(output) == [f"{cache_path(project)}:1:1: warning: build cache not updated: the cache writer "
                                      f"stopped (SystemExit); {NOT_UPDATED}"]
    build(project, tmp_path / "full", "--no-cache")
    assert tree(tmp_path / "site") == tree(tmp_path / "full")


def test_a_cache_folder_inside_the_repository_is_not_used(project, tmp_path, monkeypatch):
    """Files a checkout makes are the user's own: a cache committed to the repository would pass every other
    check, so one inside the repository is never used."""
    folder = project / ".cache"
    monkeypatch.setenv("READINESS_CACHE_DIR", str(folder))
    output = build(project, tmp_path / "first")
    assert cache_warnings(output) == [f"{folder}:1:1: warning: build cache not used: the cache folder is inside the "
                                      f"repository, where a commit could put one; use a folder outside it; {NOT_USED}"]
    assert not folder.exists()
    assert reused(build(project, tmp_path / "second")) == 0


def test_search_entries_of_any_other_shape_in_the_cache_are_a_miss():
    from generator.mkdocs_hooks import search_entries as _entries

    good = '[{"location": "releases/1.0/", "title": "Release 1.0", "text": "NO"}]'
    assert _entries(good) == [{"location": "releases/1.0/", "title": "Release 1.0", "text": "NO"}]
    for bad in ("not json", '{"location": "x"}', '[{"location": "x", "title": "t"}]',
                '[{"location": "x", "title": "t", "text": "y", "onclick": "z"}]',
                '[{"location": 1, "title": "t", "text": "y"}]', None, b"[]"):
        assert _entries(bad) is None, bad


def _held(monkeypatch) -> list:
    """What each release page held for the hooks became: bytes in memory or a place in the build folder."""
    from generator import hookstate

    kinds, real = [], hookstate.BuildState.hold

    def hold(self, src_uri, front, outline, page):
        real(self, src_uri, front, outline, page)
        kinds.append(type(self.sources[src_uri][2]).__name__)

    monkeypatch.setattr(hookstate.BuildState, "hold", hold)
    return kinds


def test_release_pages_wait_for_mkdocs_in_the_build_folder_not_in_memory(project, tmp_path, own_cache, monkeypatch):
    held = _held(monkeypatch)
    build(project, tmp_path / "site")
    assert held and set(held) == {"Spilled"}
    build(project, tmp_path / "full", "--no-cache")
    assert tree(tmp_path / "site") == tree(tmp_path / "full")


def test_a_page_the_build_folder_cannot_take_waits_in_memory(project, tmp_path, own_cache, monkeypatch):
    """A full disk under the build folder: the pages stay in memory and the site is whole."""
    import errno

    from generator import hookstate

    tries = []

    def full(fd, data, offset):
        tries.append(offset)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(hookstate.os, "pwrite", full)
    held = _held(monkeypatch)
    build(project, tmp_path / "site")
    assert held and set(held) == {"bytes"}
    assert len(tries) == 1  # the disk is not tried again for every page after
    build(project, tmp_path / "full", "--no-cache")
    assert tree(tmp_path / "site") == tree(tmp_path / "full")


def test_held_pages_read_back_as_written_and_not_once_closed(tmp_path):
    from generator.hookstate import Spill

    spill = Spill(tmp_path / "held")
    blobs = [os.urandom(n) for n in (0, 1, 70_000, 3)]
    places = [spill.put(b) for b in blobs]
    assert [p.read() for p in reversed(places)] == blobs[::-1]
    spill.close()
    with pytest.raises(OSError):
        places[2].read()
    assert spill.put(b"late") == b"late"  # once closed, a page stays in memory


def test_the_hashes_of_the_previous_sites_files_are_read_in_one_query(project, tmp_path, own_cache):
    from generator.cache import Cache

    build(project, tmp_path / "site")
    cache = Cache(project)
    rows = cache._db.execute("SELECT key FROM entries WHERE key LIKE 'sha256:%'").fetchall()
    assert len(rows) > 10
    statements: list = []
    cache._db.set_trace_callback(statements.append)
    found = [cache.digest(key[len("sha256:"):]) for (key,) in rows]
    assert all(len(d) == 64 for d in found) and cache.digest("no such entry") is None
    assert len(statements) == 1
    cache.fail("stopped for the test")
    assert cache.digest(rows[0][0][len("sha256:"):]) is None  # nothing is read once reading has stopped
