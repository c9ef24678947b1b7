"""Provenance from real git repositories: commits, sign-off recorders, the checklist as it was, shallow clones."""

from __future__ import annotations

import shutil
import subprocess

from click.testing import CliRunner

from generator.cli import cli
from generator.project import load_project

from gitrepo import Repo

V1 = """# Web

## Security

- [ ] Default passwords changed
- [ ] Old firewall rule removed

## Sign-off

- [ ] **Tech Lead:** ____
"""
V2 = V1.replace("- [ ] Old firewall rule removed\n", "- [ ] WAF enabled\n").replace(
    "- [ ] Default passwords changed", "- [ ] Default passwords changed {#security/passwords}")


def make_repo(tmp_path) -> Repo:
    repo = Repo(tmp_path / "repo")
    repo.commit("Checklist v1", {"checklists/web.md": V1}, "Ada Lovelace", "2026-01-01T09:00:00+00:00")
    repo.commit("Results 1.0", {"results/1.0.yaml": 'release: "1.0"\nitems:\n  security: done\n'},
                "Ada Lovelace", "2026-01-05T09:00:00+00:00")
    repo.commit("Sign 1.0", {"results/1.0.yaml": 'release: "1.0"\nitems:\n  security: done\n'
                             "signoffs:\n  tech-lead: {name: Grace Hopper, date: 2026-01-06}\n"
                             "launch: {date: 2026-01-07}\n"},
                "Bob Stone", "2026-01-06T09:00:00+00:00")
    repo.commit("Checklist v2", {"checklists/web.md": V2}, "Ada Lovelace", "2026-02-01T09:00:00+00:00")
    repo.commit("Results 1.1", {"results/1.1.yaml": 'release: "1.1"\nitems:\n  security/waf-enabled: done\n'},
                "Grace Hopper", "2026-02-05T09:00:00+00:00")
    return repo


def test_each_release_uses_the_checklist_as_it_was(tmp_path):
    repo = make_repo(tmp_path)
    project = load_project(repo.root)
    old = project.versions["1.0"]
    assert [i.id for i in old.items] == ["security/default-passwords-changed", "security/old-firewall-rule-removed"]
    assert [i.id for i in project.versions["1.1"].items] == ["security/passwords", "security/waf-enabled"]
    verdicts = {e.release.name: e.verdict for e in project.evaluations()}
    assert verdicts == {"1.0": "YES", "1.1": "NO"}  # 1.1: passwords pending, tech lead unsigned


def test_commits_and_signoff_recorders(tmp_path):
    project = load_project(make_repo(tmp_path).root)
    history = project.histories["1.0"]
    assert [(row.commit.author, row.commit.author_date.isoformat(), row.commit.subject) for row in history.commits] == [
        ("Bob Stone", "2026-01-06T09:00:00+00:00", "Sign 1.0"),
        ("Ada Lovelace", "2026-01-05T09:00:00+00:00", "Results 1.0"),
    ]
    assert history.commits[0].commit.signature == "not signed"
    assert history.signoff_commits["tech-lead"].author == "Bob Stone"
    assert not history.dirty


def test_checklist_revisions_name_added_removed_and_renamed(tmp_path):
    project = load_project(make_repo(tmp_path).root)
    newest, first = project.revisions["web"]
    assert first.items == 2 and first.commit.subject == "Checklist v1"
    assert newest.added == ("security/waf-enabled",)
    assert newest.removed == ("security/old-firewall-rule-removed",)
    assert newest.renamed == (("security/default-passwords-changed", "security/passwords"),)


def test_uncommitted_changes_use_the_working_tree_checklist(tmp_path):
    repo = make_repo(tmp_path)
    repo.write({"results/1.0.yaml": 'release: "1.0"\nitems:\n  security/waf-enabled: done\n'})
    project = load_project(repo.root)
    assert project.histories["1.0"].dirty
    assert [i.id for i in project.versions["1.0"].items] == ["security/passwords", "security/waf-enabled"]


def test_old_release_with_removed_item_checks_clean(tmp_path):
    repo = make_repo(tmp_path)
    result = CliRunner().invoke(cli, ["check", "--root", str(repo.root)])
    assert result.exit_code == 0, result.output


def test_release_page_shows_provenance(tmp_path):
    repo = make_repo(tmp_path)
    site = tmp_path / "site"
    result = CliRunner().invoke(cli, ["build", "--root", str(repo.root), "-d", str(site)])
    assert result.exit_code == 0, result.output
    page = (site / "releases" / "1.0" / "index.html").read_text()
    assert "Bob Stone" in page and "Sign 1.0" in page
    assert "it differs from the current checklist" in page
    assert "Old firewall rule removed" in page  # removed later, still shown on the old release's page
    checklist = (site / "checklists" / "web" / "index.html").read_text()
    assert "security/old-firewall-rule-removed" in checklist and "Revisions" in checklist


def test_shallow_clone_is_reported(tmp_path):
    repo = make_repo(tmp_path)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.root}", str(clone)], check=True)
    project = load_project(clone)
    assert project.repository.available and project.repository.shallow


def test_without_git_everything_builds(tmp_path):
    repo = make_repo(tmp_path)
    plain = tmp_path / "plain"
    shutil.copytree(repo.root, plain, ignore=shutil.ignore_patterns(".git"))
    project = load_project(plain)
    assert not project.repository.available and project.repository.reason == "not a git repository"
    site = tmp_path / "site"
    result = CliRunner().invoke(cli, ["build", "--root", str(plain), "-d", str(site)])
    assert result.exit_code == 0
    assert "Provenance is unavailable: not a git repository" in (site / "releases" / "1.0" / "index.html").read_text()
