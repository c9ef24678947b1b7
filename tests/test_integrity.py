"""Manifest, `readiness verify`, and reproducible builds: same commit, different places and times, same bytes."""

from __future__ import annotations

import json
import subprocess
import time

import pytest
from click.testing import CliRunner

from generator.cli import cli

from gitrepo import Repo

CHECKLIST = "# Web\n\n## Security\n\n- [ ] Default passwords changed\n- [ ] HTTPS enforced\n\n## Sign-off\n\n" \
            "- [ ] **Tech Lead:** ____\n"


@pytest.fixture
def repo(tmp_path):
    r = Repo(tmp_path / "repo")
    r.commit("Checklist", {"checklists/web.md": CHECKLIST}, "Ada Lovelace", "2026-01-01T09:00:00+00:00")
    r.commit("1.0", {"results/1.0.yaml": 'release: "1.0"\nitems:\n  security: done\nsignoffs:\n'
                     "  tech-lead: {name: Ada Lovelace, date: 2026-01-02}\nlaunch: {date: 2026-01-03}\n"},
             "Ada Lovelace", "2026-01-02T09:00:00+00:00")
    r.commit("1.1", {"results/1.1.yaml": 'release: "1.1"\nitems:\n  security/https-enforced: done\n'},
             "Ada Lovelace", "2026-01-09T09:00:00+00:00")
    return r


def build(root, site):
    result = CliRunner().invoke(cli, ["build", "--root", str(root), "-d", str(site)])
    assert result.exit_code == 0, result.output


def tree(path):
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def test_manifest_names_inputs_outputs_version_and_commit(repo, tmp_path):
    site = tmp_path / "site"
    build(repo.root, site)
    data = json.loads((site / "manifest.json").read_text())
    assert data["generator"].startswith("readiness ")
    assert data["git_commit"] == repo.git("rev-parse", "HEAD").strip()
    assert set(data["inputs"]) == {"checklists/web.md", "results/1.0.yaml", "results/1.1.yaml"}
    assert "releases/1.0/index.html" in data["outputs"] and "manifest.json" not in data["outputs"]


def test_verify_passes_on_a_fresh_build(repo, tmp_path):
    site = tmp_path / "site"
    build(repo.root, site)
    result = CliRunner().invoke(cli, ["verify", str(site), "--root", str(repo.root)])
    assert result.exit_code == 0, result.output


def test_verify_names_a_page_changed_by_one_byte(repo, tmp_path):
    site = tmp_path / "site"
    build(repo.root, site)
    page = site / "releases" / "1.0" / "index.html"
    data = bytearray(page.read_bytes())
    data[100] ^= 1
    page.write_bytes(bytes(data))
    result = CliRunner().invoke(cli, ["verify", str(site), "--root", str(repo.root)])
    assert result.exit_code == 1
    assert f"{site}/releases/1.0/index.html:1:1: content differs from the manifest" in result.output


def test_verify_names_a_changed_results_file(repo, tmp_path):
    site = tmp_path / "site"
    build(repo.root, site)
    path = repo.root / "results" / "1.0.yaml"
    path.write_bytes(path.read_bytes().replace(b"done", b"dona", 1))
    result = CliRunner().invoke(cli, ["verify", str(site), "--root", str(repo.root)])
    assert result.exit_code == 1
    assert "results/1.0.yaml:1:1: differs from the input the site was built from" in result.output


def test_verify_names_added_and_missing_pages(repo, tmp_path):
    site = tmp_path / "site"
    build(repo.root, site)
    (site / "extra.html").write_text("<p>hi</p>")
    (site / "signoffs" / "index.html").unlink()
    result = CliRunner().invoke(cli, ["verify", str(site), "--root", str(repo.root)])
    assert result.exit_code == 1
    assert f"{site}/extra.html:1:1: not in the manifest" in result.output
    assert f"{site}/signoffs/index.html:1:1: missing" in result.output


def test_two_builds_of_one_commit_are_byte_identical(repo, tmp_path):
    """Different clones, different site directories, different moments, same SOURCE_DATE_EPOCH (conftest)."""
    clones = []
    for name in ("a", "b"):
        dest = tmp_path / f"clone-{name}"
        subprocess.run(["git", "clone", "-q", str(repo.root), str(dest)], check=True)
        clones.append(dest)
    build(clones[0], tmp_path / "out" / "one" / "site")
    time.sleep(1.1)
    build(clones[1], tmp_path / "elsewhere" / "site")
    first, second = tree(tmp_path / "out" / "one" / "site"), tree(tmp_path / "elsewhere" / "site")
    assert sorted(first) == sorted(second)
    assert [k for k in first if first[k] != second[k]] == []


def test_without_source_date_epoch_the_build_date_is_the_last_commit(repo, tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    site = tmp_path / "site"
    build(repo.root, site)
    assert json.loads((site / "manifest.json").read_text())["build_date"] == "2026-01-09T09:00:00+00:00"
