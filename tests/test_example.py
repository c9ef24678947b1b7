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


STORY_FINDINGS = {
    ("1.0.0", "launched-not-ready"), ("1.2.0", "launched-not-ready"), ("1.2.0", "waiver-expired"),
    ("2.0.0", "launched-not-ready"), ("2.1.0", "launched-not-ready"), ("2.1.0", "signoff-missing"),
    ("2.3.0", "launched-not-ready"), ("1.4.0", "signoff-before-completion"), ("3.0.0", "signer-is-recorder"),
    ("3.1.0", "edited-after-signoff"), ("1.2.0", "signoff-not-ready"), ("2.0.0", "signoff-not-ready"),
    ("3.2.0", "signoff-not-ready"),
}


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    import subprocess
    import sys

    dest = tmp_path_factory.mktemp("example") / "lumen"
    subprocess.run([sys.executable, str(ROOT / "examples" / "replay.py"), str(dest)], check=True)
    return dest


def test_replay_reproduces_the_results_files(replayed):
    for path in (ROOT / "results").glob("*.yaml"):
        assert (replayed / "results" / path.name).read_bytes() == path.read_bytes()


def test_replayed_history_gives_exactly_the_story_findings(replayed):
    out = CliRunner().invoke(cli, ["audit", "--json", "--root", str(replayed)])
    assert out.exit_code == 1  # the story has errors: launches that were not ready
    found = {(f["release"], f["rule"]) for f in json.loads(out.output)["findings"]}
    assert found == STORY_FINDINGS


def test_replay_is_reproducible(replayed, tmp_path):
    import subprocess
    import sys

    again = tmp_path / "again"
    subprocess.run([sys.executable, str(ROOT / "examples" / "replay.py"), str(again)], check=True)
    head = ["git", "rev-parse", "HEAD"]
    assert subprocess.run(head, cwd=again, capture_output=True, text=True).stdout == \
        subprocess.run(head, cwd=replayed, capture_output=True, text=True).stdout


def test_story_page_lists_the_findings():
    story = (ROOT / "docs" / "example-story.md").read_text()
    for release, rule in STORY_FINDINGS:
        assert any(release in line and rule in line for line in story.splitlines()), (release, rule)


@pytest.mark.parametrize("work", ["new file", "commit", "git config", "not a replay"])
def test_replay_never_deletes_a_folder_someone_worked_in(tmp_path, work):
    import subprocess
    import sys

    dest = tmp_path / "example"
    replay = [sys.executable, str(ROOT / "examples" / "replay.py"), str(dest)]
    if work == "not a replay":
        dest.mkdir()
        (dest / "notes.txt").write_text("mine")
    else:
        subprocess.run(replay, check=True, capture_output=True)
        again = subprocess.run(replay, capture_output=True, text=True)  # untouched: replaced
        assert again.returncode == 0, again.stderr
        git = ["git", "-C", str(dest), "-c", "user.name=Me", "-c", "user.email=me@example.com"]
        (dest / "results" / "3.3.0.yaml").write_text('release: "3.3.0"\n')
        if work == "commit":
            subprocess.run(git + ["add", "-A"], check=True)
            subprocess.run(git + ["commit", "-q", "--no-gpg-sign", "-m", "mine"], check=True)
        elif work == "git config":
            (dest / "results" / "3.3.0.yaml").unlink()
            subprocess.run(["git", "-C", str(dest), "config", "user.name", "Me"], check=True)
    before = sorted(str(p.relative_to(dest)) for p in dest.rglob("*"))
    refused = subprocess.run(replay, capture_output=True, text=True)
    assert refused.returncode == 1
    assert f"{dest} is left as it is" in refused.stderr and "Traceback" not in refused.stderr
    assert sorted(str(p.relative_to(dest)) for p in dest.rglob("*")) == before
