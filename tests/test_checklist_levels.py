"""Levels end to end: a table checklist's level columns, a results file's `level:`, the verdict, the scaffold, the
pages and `readiness check`'s summary of what it read."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from generator.cli import cli
from generator.errors import Problems
from generator.merge import evaluate
from generator.results import load_release

from helpers_results import make_checklist, write

MATURITY = textwrap.dedent("""\
    # Service Maturity

    ## Operations

    | Check | Description | Bronze | Silver | Gold |
    |-------|-------------|--------|--------|------|
    | Runbook | Common tasks are written down. | ✓ | ✓ | ✓ |
    | On-call | Someone is paged for alerts. |  | ✓ | ✓ |
    | Chaos drills | Failure is rehearsed, see <the wiki>. |  |  | ✓ |

    ## Release

    - [ ] Bump the version to <next version>
    - [ ] Changelog written

    ## Sign-off

    **Service Owner:** ________ Date: ______
    """)


@pytest.fixture
def maturity():
    return make_checklist(MATURITY, "maturity")


def load(tmp_path: Path, body: str, checklist):
    problems = Problems()
    release = load_release(write(tmp_path, body), "results/2.4.0.yaml", {checklist.name: checklist}, problems)
    return release, [str(p) for p in problems.items]


def test_levels_of_the_table(maturity):
    assert [(level.id, level.label) for level in maturity.levels] == [
        ("bronze", "Bronze"), ("silver", "Silver"), ("gold", "Gold")]
    levels = {i.id: i.levels for i in maturity.items}
    assert levels == {
        "operations/runbook": ("bronze", "silver", "gold"),
        "operations/on-call": ("silver", "gold"),
        "operations/chaos-drills": ("gold",),
        "release/bump-the-version-to": None,  # not from a table: required at every level
        "release/changelog-written": None,
    }
    runbook = maturity.nodes["operations/runbook"]
    assert runbook.details == (("Description", "Common tasks are written down."),)
    assert maturity.role_ids == ("service-owner",)


@pytest.mark.parametrize("written", ["silver", "Silver", "SILVER"])
def test_results_name_the_level_by_id_or_label(tmp_path, maturity, written):
    release, problems = load(tmp_path, f'release: "2.4.0"\nlevel: {written}\n', maturity)
    assert problems == []
    assert release.level == "silver"


def test_unknown_level_is_an_error_with_a_suggestion(tmp_path, maturity):
    release, problems = load(tmp_path, 'release: "2.4.0"\nlevel: silvr\n', maturity)
    assert release is None
    assert problems == ["results/2.4.0.yaml:2:8: level: no level `silvr` in checklist `maturity`; did you mean "
                        "'silver'?"]
    _, problems = load(tmp_path, 'release: "2.4.0"\nlevel: platinum\n', maturity)
    assert problems == ["results/2.4.0.yaml:2:8: level: no level `platinum` in checklist `maturity`; its levels are "
                        "bronze, silver, gold"]


def test_level_on_a_checklist_without_levels(tmp_path):
    checklist = make_checklist("## A\n\n- [ ] x\n", "plain")
    release, problems = load(tmp_path, 'release: "2.4.0"\nlevel: gold\n', checklist)
    assert release is None
    assert problems == ["results/2.4.0.yaml:2:8: level: checklist `plain` marks no levels; remove `level:`"]


def test_only_items_required_at_the_level_count(tmp_path, maturity):
    body = textwrap.dedent("""\
        release: "2.4.0"
        level: silver
        items:
          operations/runbook: done
          operations/on-call: done
          operations/chaos-drills: failed
          release: done
        signoffs:
          service-owner: {name: Ana Ruiz, date: 2026-01-02}
        """)
    release, problems = load(tmp_path, body, maturity)
    assert problems == []
    e = evaluate(release, maturity)
    assert e.verdict == "YES"  # the failed gold-only drill does not count at silver
    drill = next(r for r in e.results if r.item.id == "operations/chaos-drills")
    assert (drill.status, drill.exempt) == ("n/a", True)
    assert (e.counts.done, e.counts.na, e.counts.applicable) == (4, 1, 4)
    # Held to gold, the same results say NO; without a level every item counts.
    gold = load(tmp_path, body.replace("level: silver", "level: gold"), maturity)[0]
    assert evaluate(gold, maturity).verdict == "NO"
    unlevelled = load(tmp_path, body.replace("level: silver\n", ""), maturity)[0]
    e = evaluate(unlevelled, maturity)
    assert (e.verdict, e.counts.failed, any(r.exempt for r in e.results)) == ("NO", 1, False)


def _project(tmp_path: Path, results: str) -> Path:
    root = tmp_path / "repo"
    (root / "checklists").mkdir(parents=True)
    (root / "results").mkdir()
    (root / "checklists" / "maturity.md").write_text(MATURITY, encoding="utf-8")
    (root / "results" / "2.4.0.yaml").write_text(results, encoding="utf-8")
    return root


def test_check_prints_what_it_read(tmp_path):
    root = _project(tmp_path, 'release: "2.4.0"\nlevel: gold\n')
    result = CliRunner().invoke(cli, ["check", "--root", str(root)])
    assert result.exit_code == 0, result.output
    assert ("checklists/maturity.md: 2 sections, 0 groups, 5 items, 1 role, 0 criteria, 3 levels (Bronze, Silver, "
            "Gold)") in result.output


def test_scaffold_keeps_placeholders_and_notes_levels(tmp_path):
    root = _project(tmp_path, 'release: "2.4.0"\n')
    result = CliRunner().invoke(cli, ["new", "2.5.0", "--root", str(root)])
    assert result.exit_code == 0, result.output
    text = (root / "results" / "2.5.0.yaml").read_text(encoding="utf-8")
    assert "  release/bump-the-version-to: pending  # Bump the version to <next version>\n" in text
    assert "  operations/on-call: pending  # On-call (required at Silver, Gold)\n" in text
    assert "# level: bronze  # hold the release to one level (bronze, silver, gold)" in text
    data = yaml.safe_load(text)
    assert "level" not in data and len(data["items"]) == 5


def test_pages_show_details_levels_and_the_level_held_to(tmp_path):
    root = _project(tmp_path, 'release: "2.4.0"\nlevel: silver\nitems:\n  operations: done\n')
    site = tmp_path / "site"
    result = CliRunner().invoke(cli, ["build", "--root", str(root), "-d", str(site), "--no-cache"])
    assert result.exit_code == 0, result.output
    release = (site / "releases" / "2.4.0" / "index.html").read_text(encoding="utf-8")
    assert "Held to level Silver (<code>silver</code>): the 4 items required at it count" in release
    assert '<span class="rd-muted">Description:</span> Common tasks are written down.' in release
    assert "not required at level silver" in release
    page = (site / "checklists" / "maturity" / "index.html").read_text(encoding="utf-8")
    assert "2 sections, 5 items, 0 threshold criteria, 1 sign-off role</dd>" in page
    assert "required at Silver, Gold" in page
    assert "Failure is rehearsed, see &lt;the wiki&gt;." in page  # a detail is Markdown without raw HTML
