"""The build cache: a cached build gives the same site, byte for byte, as a build from nothing, whatever changed."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import cache as cache_module
from generator.cache import Cache
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
    # Per release: the loaded file, the page as rendered and as MkDocs finished it, three exports (JSON, CSV
    # and the compare page's script), the badge.
    assert reused(output) == 7 * releases
    assert set(repo.git("status", "--porcelain", "--ignored").splitlines()) == before
    assert Cache(root).path.parent == cache_root and Cache(root).path.is_file()


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


def test_cache_holds_only_what_the_last_build_used(repo, tmp_path):
    root = repo.root

    def rows() -> int:
        with sqlite3.connect(Cache(root).path) as db:
            return db.execute("SELECT count(*) FROM entries").fetchone()[0]

    build(root, tmp_path / "one")
    counts = []
    for n in range(3):  # three edits of the latest release: its old entries are dropped each time
        path = root / "results" / "3.2.0.yaml"
        path.write_text(path.read_text() + f"# edit {n}\n")
        build(root, tmp_path / f"edit{n}")
        counts.append(rows())
    releases = len(list((root / "results").glob("*.yaml")))
    # Per release at most: the loaded file, the page whole and as an outline, the finished page, 4 exports,
    # and the hashes of the five files in the site.
    assert counts[0] == counts[1] == counts[2] <= 13 * releases


def test_a_damaged_cache_is_replaced_and_the_build_is_unaffected(project, tmp_path):
    path = Cache(project).path
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
    assert reused(build(project, tmp_path / "again")) == 0


def test_no_cache_reads_and_writes_nothing(project, tmp_path):
    build(project, tmp_path / "site", "--no-cache")
    assert not Cache(project).path.exists()


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
