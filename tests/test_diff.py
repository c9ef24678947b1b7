"""`readiness diff` on a real git repository: a main branch and a feature branch that flips an item to
failed, adds a sign-off and lets a waiver expire; text, JSON and Markdown; --fail-on; missing revisions."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from generator.cli import cli
from generator.diff_report import code

from gitrepo import Repo

CHECKLIST = """# Web launch

## Security

- [ ] Default passwords changed
- [ ] WAF enabled
- [ ] PCI compliance verified

## Performance

- [ ] Page load < 3 seconds

## Sign-off

- [ ] **Tech Lead:** ____
- [ ] **Product Owner:** ____
"""

MAIN_24 = """release: "2.4"
items:
  security/default-passwords-changed: {status: done, by: Ada Lovelace, date: 2026-11-02}
  security/waf-enabled: {status: done, by: Ada Lovelace, date: 2026-11-03}
  security/pci-compliance-verified:
    status: waived
    reason: QSA review booked
    approved_by: Carol Diaz
    expires: 2026-12-31
  performance/page-load-3-seconds: {value: 2.4}
signoffs:
  product-owner: {name: Paula Ortiz, date: 2026-11-20}
"""

FEATURE_24 = """release: "2.4"
items:
  security/default-passwords-changed: {status: done, by: Ada Lovelace, date: 2026-11-02}
  security/waf-enabled:
    status: failed
    by: Bob Stone
    date: 2026-11-25
    evidence: https://ci.example.com/runs/913
  security/pci-compliance-verified:
    status: waived
    reason: QSA review booked
    approved_by: Carol Diaz
    expires: 2026-11-01
  performance/page-load-3-seconds: {value: 2.4}
signoffs:
  product-owner: {name: Paula Ortiz, date: 2026-11-20}
  tech-lead: {name: Grace Hopper, date: 2026-11-26}
"""

RELEASE_10 = """release: "1.0"
items:
  security: done
  performance/page-load-3-seconds: {value: 2.1}
signoffs:
  tech-lead: {name: Grace Hopper, date: 2026-10-01}
  product-owner: {name: Paula Ortiz, date: 2026-10-01}
launch: {date: 2026-10-02}
"""


@pytest.fixture
def repo(tmp_path) -> Repo:
    """main: the checklist, 1.0 (launched, YES) and 2.4 (NEEDS REVIEW); branch feature: 2.4 changed."""
    repo = Repo(tmp_path / "repo")
    repo.commit("Checklist", {"checklists/web.md": CHECKLIST}, "Mara Lindqvist", "2026-09-01T09:00:00+00:00")
    repo.commit("1.0", {"results/1.0.yaml": RELEASE_10}, "Ada Lovelace", "2026-10-02T09:00:00+00:00")
    repo.commit("2.4 results", {"results/2.4.yaml": MAIN_24}, "Ada Lovelace", "2026-11-20T09:00:00+00:00")
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("2.4: WAF test failed, waiver date corrected, tech lead signs", {"results/2.4.yaml": FEATURE_24},
                "Bob Stone", "2026-11-26T09:00:00+00:00")
    return repo


def run(repo: Repo, *args: str):
    return CliRunner().invoke(cli, ["diff", *args, "--root", str(repo.root)])


def test_text(repo):
    result = run(repo, "main", "feature")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    main_sha = repo.git("rev-parse", "main").strip()
    assert lines[0] == f"readiness diff main ({main_sha[:10]}) -> feature (" \
        f"{repo.git('rev-parse', 'feature').strip()[:10]}), evaluated on 2026-11-28"
    assert lines[1] == "1 release(s) changed, 1 regression(s), 2 new error finding(s); 1 unchanged"
    assert "2.4: NEEDS REVIEW -> NO  REGRESSION" in lines
    assert "  results/2.4.yaml, checklist web, progress 100.0 % -> 75.0 %" in lines
    assert "  item security/waf-enabled: done -> failed (regressed) by Bob Stone on 2026-11-25 " \
           "evidence https://ci.example.com/runs/913" in lines
    assert "  item security/pci-compliance-verified: waived -> waived (expired) (expired)" in lines
    assert "  sign-off tech-lead added: Grace Hopper 2026-11-26" in lines
    assert "  new error waiver-expired: waiver of security/pci-compliance-verified expired on 2026-11-01, " \
           "before the evaluation date (2026-11-28)" in lines
    # Bob committed Grace's sign-off: loaded with its history, the revision has the recorder finding too.
    assert f"  new warning signer-is-recorder: tech-lead sign-off by Grace Hopper was recorded by Bob Stone in " \
           f"{repo.git('rev-parse', 'feature').strip()[:10]}" in lines
    assert "1.0" not in result.stdout.split("\n\n", 1)[1]  # unchanged: counted, not listed


def test_head_defaults_to_the_head_commit(repo):
    default, named = run(repo, "main").stdout, run(repo, "main", "feature").stdout  # feature is checked out
    assert default.replace("-> HEAD (", "-> feature (", 1) == named
    repo.write({"results/2.4.yaml": MAIN_24})  # the working tree is not HEAD: uncommitted edits are not compared
    assert "REGRESSION" in run(repo, "main").stdout


def test_json(repo):
    result = run(repo, "main", "feature", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["base"]["revision"] == "main" and data["base"]["commit"] == repo.git("rev-parse", "main").strip()
    assert data["summary"] == {"releases_changed": 1, "releases_unchanged": 1, "regressions": ["2.4"],
                               "new_errors": 2}
    (release,) = data["releases"]
    assert release["verdict"] == {"before": "NEEDS REVIEW", "after": "NO"}
    assert release["progress"] == {"before": 100.0, "after": 75.0}  # an expired waiver still counts
    items = {i["item"]: i for i in release["items"]}
    assert set(items) == {"security/waf-enabled", "security/pci-compliance-verified"}
    waf = items["security/waf-enabled"]
    assert (waf["before"], waf["after"], waf["kinds"], waf["by"], waf["date"], waf["evidence"]) == \
        ("done", "failed", ["regressed"], "Bob Stone", "2026-11-25", "https://ci.example.com/runs/913")
    assert waf["changed"] == ["status", "by", "date", "evidence"]
    pci = items["security/pci-compliance-verified"]
    assert (pci["before"], pci["after"], pci["kinds"], pci["changed"]) == \
        ("waived", "waived (expired)", ["expired"], ["expires"])
    assert release["signoffs"] == [{"role": "tech-lead", "change": "added", "before": None,
                                    "after": {"name": "Grace Hopper", "date": "2026-11-26"}}]
    assert [(f["rule"], f["severity"]) for f in release["findings"]["new"]] == [
        ("signoff-not-ready", "error"), ("waiver-expired", "error"), ("signer-is-recorder", "warning")]
    assert release["findings"]["gone"] == []
    assert data["checklists"] == [] and data["findings"] == {"new": [], "gone": []}


def test_markdown(repo):
    result = run(repo, "main", "feature", "--markdown")
    assert result.exit_code == 0, result.output
    text = result.stdout
    lines = text.splitlines()
    assert lines[0] == "## Readiness: `main` → `feature`"
    assert "**1 release changed**, 1 regression, 2 new error findings; 1 unchanged." in lines[2]
    assert "| `2.4` | NEEDS REVIEW → **NO** ⚠️ regression | 100.0 % → 75.0 % | 2 | 1 | 3 new (2 errors) |" in lines
    assert "#### `2.4`: NEEDS REVIEW → **NO**" in lines  # short: not collapsed
    assert "| `security/waf-enabled` | done → failed | regressed | `Bob Stone` 2026-11-25 | " \
           "[link](https://ci.example.com/runs/913) |" in lines
    assert "| `security/pci-compliance-verified` | waived → waived (expired) | expired |  |  |" in lines
    assert "- **added** `Tech Lead`: `Grace Hopper`, 2026-11-26" in lines
    assert "- **new error** `waiver-expired`: `waiver of security/pci-compliance-verified expired on 2026-11-01, " \
           "before the evaluation date (2026-11-28)`" in lines
    assert "<details>" not in text and "Not shown" not in text


def _rendered(text: str):
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    return md.parse(text), md.render(text)


def test_markdown_reads_well_when_rendered(repo):
    """Rendered as GitHub would: a heading, a summary table, the release's table and lists; no raw pipes."""
    tokens, html = _rendered(run(repo, "main", "feature", "--markdown").stdout)
    headings = ["".join(c.content for c in tokens[i + 1].children) for i, t in enumerate(tokens)
                if t.type == "heading_open"]
    assert headings == ["Readiness: main → feature", "Releases", "2.4: NEEDS REVIEW → NO"]
    tables = html.count("<table>")
    assert tables == 2
    assert "<th>Release</th><th>Verdict</th><th>Progress</th>" in html.replace("\n", "")
    assert '<a href="https://ci.example.com/runs/913">link</a>' in html
    assert "<code>Grace Hopper</code>" in html
    # Every table row has as many cells as its header.
    for table in re.findall(r"<table>.*?</table>", html, re.S):
        widths = {len(re.findall(r"<t[hd]>", row)) for row in re.findall(r"<tr>.*?</tr>", table, re.S)}
        assert len(widths) == 1, table


def test_long_markdown_collapses_and_cuts_within_budget(repo):
    """Many releases touched: details fold into <details>, and past the budget are left out, said so."""
    files = {f"results/3.{n}.yaml": MAIN_24.replace('"2.4"', f'"3.{n}"') for n in range(40)}
    repo.commit("40 releases", files, "Ada Lovelace", "2026-11-27T09:00:00+00:00")
    flipped = {k: v.replace("security/waf-enabled: {status: done, by: Ada Lovelace, date: 2026-11-03}",
                            "security/waf-enabled: {status: failed, by: Bob Stone, date: 2026-11-27, "
                            "note: 'a | pipe, `ticks` and <b>tags</b> @someone'}")
             for k, v in files.items()}
    repo.commit("all fail", flipped, "Bob Stone", "2026-11-27T10:00:00+00:00")
    full = run(repo, "HEAD~1", "HEAD", "--markdown").stdout
    assert full.count("<details><summary>") == 40
    assert "<details><summary>3.0: NEEDS REVIEW → NO (regression)</summary>\n\n" in full
    cut = run(repo, "HEAD~1", "HEAD", "--markdown", "--max-length", "6000").stdout
    assert len(cut.encode()) <= 6000
    shown = cut.count("<details><summary>")
    assert 0 < shown < 40
    assert f"**Not shown, to stay under 6000 bytes:** the details of {40 - shown} releases (" in cut
    _, html = _rendered(cut)
    assert html.count("<details>") == html.count("</details>") == shown
    # A note reaches the Markdown only quoted by a finding, inside a code span: no markup, no mention.
    assert "<b>" not in html and "@someone" not in re.sub(r"<code>.*?</code>", "", html, flags=re.S)


def test_fail_on(repo):
    assert run(repo, "main", "feature").exit_code == 0
    regression = run(repo, "main", "feature", "--fail-on", "regression")
    assert regression.exit_code == 1
    assert "--fail-on: 1 release(s) regressed: 2.4" in regression.stderr
    error = run(repo, "main", "feature", "--fail-on", "error")
    assert error.exit_code == 1
    assert "--fail-on: 2 new audit finding(s) of severity error: signoff-not-ready, waiver-expired" in error.stderr
    both = run(repo, "main", "feature", "--fail-on", "regression", "--fail-on", "error")
    assert both.exit_code == 1 and both.stderr.count("--fail-on:") == 2
    # The other way round, the feature branch fixes things: nothing regresses and no error is new.
    assert run(repo, "feature", "main", "--fail-on", "regression", "--fail-on", "error").exit_code == 0
    assert run(repo, "main", "main", "--fail-on", "regression").stdout.splitlines()[1] == \
        "0 release(s) changed, 0 regression(s), 0 new error finding(s); 2 unchanged"


def test_missing_base(repo):
    result = run(repo, "origin/main")
    assert result.exit_code == 2
    assert result.stderr == ("Error: `origin/main` is not a commit of this repository: no branch, tag or commit id "
                             "of that name (fetch it first, e.g. `git fetch origin main`, and use `origin/main`)\n")
    tree = repo.git("rev-parse", "main^{tree}").strip()
    assert "does not name a commit" in run(repo, tree).stderr
    assert run(repo, "--", "--help").exit_code == 2


def test_missing_base_in_a_shallow_clone(repo, tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", "feature", f"file://{repo.root}", str(clone)],
                   check=True, capture_output=True)
    base = repo.git("rev-parse", "main").strip()
    result = CliRunner().invoke(cli, ["diff", base, "--root", str(clone)])
    assert result.exit_code == 2
    assert "is not in this clone, which is shallow" in result.stderr
    assert "fetch-depth: 0" in result.stderr and result.stderr.count("\n") == 1


def test_not_a_repository(tmp_path):
    result = CliRunner().invoke(cli, ["diff", "main", "--root", str(tmp_path)])
    assert result.exit_code == 2 and "is not inside a git work tree" in result.stderr


def test_checklist_change_names_the_releases_it_reaches(repo):
    edited = CHECKLIST.replace("- [ ] WAF enabled\n", "- [ ] WAF enabled\n- [ ] Rate limits set\n").replace(
        "- [ ] Default passwords changed", "- [ ] Default passwords rotated")
    touched = FEATURE_24.replace("security/default-passwords-changed", "security/default-passwords-rotated")
    repo.commit("Checklist: rate limits; 2.4 follows it", {"checklists/web.md": edited, "results/2.4.yaml": touched},
                "Mara Lindqvist", "2026-11-27T09:00:00+00:00")
    result = run(repo, "HEAD~1", "HEAD")
    lines = result.stdout.splitlines()
    assert "checklist web (checklists/web.md) changed; releases evaluated against this version at HEAD: 2.4; " \
           "still against an earlier version until their results file is next committed: 1.0" in lines
    assert "  added security/rate-limits-set: Rate limits set" in lines
    assert "  added security/default-passwords-rotated: Default passwords rotated" in lines
    assert "  removed security/default-passwords-changed: Default passwords changed" in lines
    # 1.0 was last committed with the old checklist and is still evaluated against it, as in a build.
    assert not any(line.startswith("1.0:") for line in lines)
    assert "2.4: NO" in lines
    assert "  item security/rate-limits-set: not in checklist -> pending (added)" in lines
    assert "  item security/default-passwords-rotated: not in checklist -> done (added) by Ada Lovelace on " \
           "2026-11-02" in lines
    assert "  item security/default-passwords-changed: done -> not in checklist (removed) by Ada Lovelace on " \
           "2026-11-02" in lines


def test_a_revision_that_does_not_load(repo):
    repo.commit("broken", {"results/2.4.yaml": FEATURE_24.replace("status: failed", "status: passed")},
                "Bob Stone", "2026-11-27T09:00:00+00:00")
    result = run(repo, "main", "HEAD")
    assert result.exit_code == 1
    assert re.search(r"^results/2\.4\.yaml:\d+:\d+: .*unknown status 'passed'", result.stderr, re.M)
    assert f"HEAD HEAD ({repo.git('rev-parse', 'HEAD').strip()[:10]}) does not load: 1 error(s)" in result.stderr


@pytest.mark.parametrize("value,span", [
    ("plain", "`plain`"),
    ("a `tick`", "`` a `tick` ``"),  # CommonMark strips one space on each side
    ("`", "`` ` ``"),
    ("pipe | here", "`pipe | here`"),
    ("two\nlines", "`two lines`"),
])
def test_code_span(value, span):
    assert code(value) == span
    assert MarkdownIt().renderInline(code(value)) == "<code>" + " ".join(value.split()).replace("&", "&amp;") \
        .replace("<", "&lt;").replace(">", "&gt;") + "</code>"


def test_code_span_in_a_table_cell():
    assert code("a | b", cell=True) == r"`a \| b`"
    html = MarkdownIt("commonmark").enable("table").render(f"| x |\n|---|\n| {code('a | b', cell=True)} |\n")
    assert "<td><code>a | b</code></td>" in html


@given(st.text(max_size=40))
def test_any_text_in_a_code_span_renders_as_that_text_and_nothing_else(text):
    """Whatever an input holds, its code span in a table cell is one <code> element of its one-line text."""
    import html as html_module

    from generator.errors import printable

    expected = printable(" ".join(text.split()))
    rendered = MarkdownIt("commonmark").enable("table").render(f"| a |\n|---|\n| {code(text, cell=True)} |\n")
    cell = re.search(r"<tbody>\n<tr>\n<td><code>([^<]*)</code></td>\n</tr>\n</tbody>", rendered)
    assert cell, rendered
    assert html_module.unescape(cell.group(1)) == (expected or " ")
