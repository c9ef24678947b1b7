"""The real `mkdocs build --strict` on the example data and on the fixture project, and what the pages hold."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.cli import cli

from conftest import ROOT


def build(root: Path, site: Path, *extra: str):
    return CliRunner().invoke(cli, ["build", "--root", str(root), "-d", str(site), *extra])


def test_fixture_project_builds(project, tmp_path):
    site = tmp_path / "site"
    result = build(project, site)
    assert result.exit_code == 0, result.output
    for name in ("1.0.0", "1.1.0", "2.0.0"):
        page = site / "releases" / name / "index.html"
        assert page.is_file()
    assert (site / "index.html").is_file()
    assert (site / "checklists" / "web" / "index.html").is_file()
    assert (site / "signoffs" / "index.html").is_file()
    data = json.loads((site / "data" / "releases.json").read_text())
    assert [d["release"] for d in data] == ["1.0.0", "1.1.0", "2.0.0"]
    assert (site / "data" / "releases" / "1.1.0.json").is_file()
    assert (site / "data" / "releases.csv").read_text().startswith("release,checklist,verdict")


def test_release_page_content(project, tmp_path):
    site = tmp_path / "site"
    assert build(project, site).exit_code == 0
    html = (site / "releases" / "1.1.0" / "index.html").read_text()
    assert 'rd-verdict--no">NO<' in html
    assert "Page load &lt; 3 seconds" in html  # a failed criterion is named in the reasons
    assert "https://ci.example.com/runs/42" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    digest = __import__("hashlib").sha256((project / "results" / "1.1.0.yaml").read_bytes()).hexdigest()
    assert digest in html
    assert "Vendor issues production keys next week" in html


def test_release_pages_are_not_in_navigation(project, tmp_path):
    site = tmp_path / "site"
    assert build(project, site).exit_code == 0
    index = (site / "index.html").read_text()
    nav = index[index.index('<nav class="md-nav md-nav--primary"'): index.index("md-sidebar--secondary")]
    assert "releases/1.0.0/" not in nav
    assert "releases/index.html" in nav


def test_no_external_references(project, tmp_path):
    """Nothing in the built site points at another host except links users wrote (evidence, notes)."""
    site = tmp_path / "site"
    assert build(project, site).exit_code == 0
    allowed = ("https://ci.example.com/", "https://runbook.example.com/", "http://www.w3.org/",
               "https://www.sitemaps.org/", "http://www.sitemaps.org/", "https://github.com/squidfunk/mkdocs-material")
    for page in site.rglob("*.html"):
        for url in re.findall(r'(?:src|href)="(https?://[^"]+)"', page.read_text()):
            assert url.startswith(allowed), f"{page}: {url}"


def test_failed_build_leaves_previous_site(project, tmp_path):
    site = tmp_path / "site"
    assert build(project, site).exit_code == 0
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    (project / "results" / "1.0.0.yaml").write_text('release: "1.0.0"\nitems: {security: passed}\n')
    result = build(project, site)
    assert result.exit_code == 1
    assert "did you mean 'done'?" in result.output
    after = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert after == before
    assert not list(tmp_path.glob(".readiness-build-*"))


def test_refuses_to_replace_a_foreign_directory(project, tmp_path):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    result = build(project, foreign)
    assert result.exit_code == 1
    assert "was not built by readiness" in result.output
    assert (foreign / "notes.txt").read_text() == "keep me"
    result = build(project, project)
    assert result.exit_code == 1 and "holds the inputs" in result.output


@pytest.mark.slow
def test_example_site_builds(tmp_path):
    """The repository's own example data: every results file gets a page, `mkdocs build --strict` is clean."""
    site = tmp_path / "site"
    result = build(ROOT, site)
    assert result.exit_code == 0, result.output
    releases = sorted(p.stem for p in (ROOT / "results").glob("*.yaml"))
    assert len(releases) >= 12
    for name in releases:
        assert (site / "releases" / name / "index.html").is_file(), name
    assert (site / "search" / "search_index.js").is_file()  # offline search index
    assert (site / "assets" / "javascripts" / "iframe-worker" / "shim.js").is_file()


@pytest.mark.slow
def test_a_fully_recorded_release_page_stays_under_150_kb(tmp_path):
    """Every item of the production checklist with who, when, evidence and a note: the heaviest real page."""
    from generator.checklist import load_checklist

    root = tmp_path / "heavy"
    (root / "checklists").mkdir(parents=True)
    (root / "results").mkdir()
    (root / "checklists" / "production.md").write_bytes((ROOT / "checklists" / "production.md").read_bytes())
    checklist, _ = load_checklist(root / "checklists" / "production.md")
    lines = ['release: "9.9.0"', "items:"]
    for n, item in enumerate(checklist.items):
        if item.criterion:
            lines.append(f"  {item.id}: {{value: {item.criterion.threshold / 2:g}, by: Mara Lindqvist, "
                         f"date: 2026-11-20, evidence: https://ci.lumen.example/runs/{100000 + n}}}")
        else:
            lines.append(f"  {item.id}: {{status: done, by: Mara Lindqvist, date: 2026-11-20, "
                         f"evidence: https://ci.lumen.example/runs/{100000 + n}, note: Checked in staging.}}")
    (root / "results" / "9.9.0.yaml").write_text("\n".join(lines) + "\n")
    site = tmp_path / "site"
    result = build(root, site)
    assert result.exit_code == 0, result.output
    size = (site / "releases" / "9.9.0" / "index.html").stat().st_size
    assert size < 150 * 1024, f"{size} bytes"


def test_a_repository_without_results_builds(project, tmp_path):
    for path in (project / "results").glob("*.yaml"):
        path.unlink()
    site = tmp_path / "site"
    result = build(project, site)
    assert result.exit_code == 0, result.output
    assert "No results files yet" in (site / "index.html").read_text()
    assert (site / "trends" / "index.html").is_file() and (site / "audit" / "index.html").is_file()


def test_held_back_tables_come_back_in_place_and_only_searchable_ones_are_indexed(project, tmp_path):
    """Markdown pages hand their large tables to MkDocs past Python-Markdown (render.stash); each is put back
    where its placeholder was; search indexes the names of the people who signed, not the tables of every release."""
    site = tmp_path / "site"
    assert build(project, site).exit_code == 0
    for page in site.rglob("*.html"):
        assert "rd-stash" not in page.read_text() and "rd-fragment" not in page.read_text(), page
    index = (site / "index.html").read_text()
    assert index.index('id="releases"') < index.index('class="rd-table rd-releases"') < index.index("Exports:")
    assert index.index('id="chart-progress"') < index.index("All charts, with their numbers")
    audit = (site / "audit" / "index.html").read_text()
    assert audit.index('class="rd-table rd-findings"') < audit.index('id="rules"')
    search = json.loads((site / "search" / "search_index.json").read_text())["docs"]
    text = {d["location"]: d["text"] for d in search}
    signoffs = " ".join(t for loc, t in text.items() if loc.startswith("signoffs/"))
    assert "Grace Hopper" in signoffs
    # Tables of every release are not indexed: a release name finds that release's own entry.
    assert "1.1.0" not in signoffs
    assert "1.1.0" not in " ".join(t for loc, t in text.items() if loc.startswith("audit/"))
    assert "releases/1.1.0/index.html" in text
    dashboard = " ".join(t for loc, t in text.items() if loc in ("", "#releases"))
    assert "not launched" not in dashboard and "1.1.0" not in dashboard


def test_a_lost_placeholder_fails_the_build(project, tmp_path, monkeypatch):
    """If Markdown ever swallowed a placeholder, the table would silently vanish; the build fails instead."""
    from generator import render

    monkeypatch.setattr(render, "PLACEHOLDER", "`rd-stash-{}`")  # Markdown turns this into <code>
    result = build(project, tmp_path / "site")
    assert result.exit_code == 1
    assert "lost 1 held-back HTML block" in result.output


def test_the_dashboard_lists_the_newest_releases_and_links_all_of_them(tmp_path):
    """Past DASHBOARD_RELEASES the front page shows the newest ones and links /releases/, which has every
    release; each release's row is the same markup in both tables, under each page's base."""
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    from synth import write_history

    from generator.pages import DASHBOARD_RELEASES

    n = DASHBOARD_RELEASES + 2
    write_history(tmp_path / "h", n)
    site = tmp_path / "site"
    assert build(tmp_path / "h", site).exit_code == 0
    dashboard = (site / "index.html").read_text()
    releases = (site / "releases" / "index.html").read_text()

    def rows(page: str) -> list[str]:
        table = page[page.index('class="rd-table rd-releases"'):]
        return re.findall(r"<tr><td><a href=\"[./]*releases/([^/]+)/index.html\">", table[:table.index("</table>")])

    assert len(rows(releases)) == n and len(set(rows(releases))) == n
    assert rows(dashboard) == rows(releases)[:DASHBOARD_RELEASES]
    assert f"The {DASHBOARD_RELEASES} newest of {n} releases" in dashboard
    assert 'href="releases/index.html">Releases</a>' in dashboard
    newest = rows(releases)[0]
    row = re.search(rf'<tr><td><a href="releases/{re.escape(newest)}/index.html">.*?</tr>', dashboard).group(0)
    assert row.replace('href="', 'href="../') in releases


def test_a_prerendered_page_without_a_summary_is_indexed_whole():
    """Search gets the whole body of a pre-rendered page that has no summary markers to cut it down to."""
    from types import SimpleNamespace

    from generator import mkdocs_hooks

    body = '<h1 id="t">Title</h1>\n<p>Body text</p>\n'
    page = SimpleNamespace(readiness_prerendered=True,
                           file=SimpleNamespace(content_string=f"---\ntitle: Title\n---\n{body}"))
    assert mkdocs_hooks.on_page_content("", page, None, None).strip() == body.strip()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(paths=st.sets(st.lists(st.sampled_from(["index", "README", "a", "a-b", "b", "B", "z_", "10", "2"]),
                              min_size=1, max_size=4).map(lambda parts: "/".join(parts) + ".md"), min_size=1, max_size=12))
def test_pages_left_out_of_mkdocs_go_back_where_mkdocs_walks_the_docs(tmp_path_factory, paths):
    """The order search and the sitemap take pages in: hookstate.order_key is MkDocs' own walk of the docs."""
    from mkdocs.config import load_config
    from mkdocs.structure.files import get_files

    from generator.hookstate import order_key

    docs = tmp_path_factory.mktemp("docs")
    made = set()
    for path in sorted(paths):
        target = docs / path
        if any(str(p) in made for p in [target, *target.parents]) or target.is_dir():
            continue  # a file where another path needs a folder
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            continue
        target.write_text("# page\n")
        made.add(str(target))
    config_file = docs.parent / f"{docs.name}.yml"
    config_file.write_text(f"site_name: t\ndocs_dir: {docs.name}\nsite_dir: {docs.name}-site\n")
    config = load_config(config_file=str(config_file))
    walked = [f.src_uri for f in get_files(config).documentation_pages()]
    assert walked == sorted(walked, key=lambda src: order_key(None, src))
