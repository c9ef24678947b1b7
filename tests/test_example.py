"""The repository's example history gives the verdicts its story (docs/example-story.md) says it should."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.project import load_project

from conftest import ROOT

STORY = {
    "1.0.0": "NEEDS REVIEW", "1.0.1": "YES", "1.1.0": "YES", "1.2.0": "NO", "1.3.0": "YES", "1.4.0": "YES",
    "2.0.0": "NO", "2.0.1": "YES", "2.1.0": "NEEDS REVIEW", "2.2.0": "YES", "2.3.0": "NEEDS REVIEW",
    "3.0.0": "YES", "3.1.0": "YES", "3.2.0": "NO",
}


def test_repository_checks_clean():
    result = CliRunner().invoke(cli, ["check", "--root", str(ROOT)])
    assert result.exit_code == 0, result.output


def test_every_release_has_the_verdict_of_the_story():
    project = load_project(ROOT)
    assert {e.release.name: e.verdict for e in project.evaluations()} == STORY


def test_story_page_lists_the_same_verdicts():
    story = (ROOT / "docs" / "example-story.md").read_text()
    for release, verdict in STORY.items():
        assert any(release in line and verdict in line for line in story.splitlines()), release


@pytest.mark.parametrize("release", sorted(STORY))
def test_status_json_agrees_with_the_site_data(release):
    project = load_project(ROOT)
    e = next(x for x in project.evaluations() if x.release.name == release)
    out = json.loads(CliRunner().invoke(cli, ["status", release, "--json", "--root", str(ROOT)]).output)
    assert out["verdict"] == STORY[release]
    assert out["counts"]["total"] == 211 == len(e.checklist.items)
    assert set(out["blocking"]) == {r.item.id for r in e.results if r.status in ("failed", "pending", "waived")}


def test_latest_release_is_the_unlaunched_one():
    project = load_project(ROOT)
    assert project.evaluations()[-1].release.name == "3.2.0"
    assert project.evaluations()[0].release.name == "1.0.0"
