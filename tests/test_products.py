"""Several products: results/<product>/<release>.yaml, one checklist per product or shared."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from generator.cli import cli

from conftest import FIXTURES


def run(*args):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def multi(tmp_path):
    """Products `web` (checklist web.md, chosen by name) and `api` (shared checklist named explicitly)."""
    root = tmp_path / "multi"
    (root / "checklists").mkdir(parents=True)
    web = (FIXTURES / "project" / "checklists" / "web.md").read_text()
    (root / "checklists" / "web.md").write_text(web)
    (root / "checklists" / "api.md").write_text(web.replace("# Web launch checklist", "# API launch checklist"))
    for product in ("web", "api"):
        shutil.copytree(FIXTURES / "project" / "results", root / "results" / product)
    (root / "results" / "web" / "2.0.0.yaml").write_text(
        (root / "results" / "web" / "2.0.0.yaml").read_text().replace("checklist: web\n", ""))
    for name in ("1.0.0", "1.1.0", "2.0.0"):
        path = root / "results" / "api" / f"{name}.yaml"
        path.write_text(path.read_text().replace("checklist: web\n", "").replace("items:", "checklist: web\nitems:", 1))
    return root


def test_releases_are_named_product_slash_release(multi):
    result = run("check", "--root", str(multi))
    assert result.exit_code == 0, result.output
    status = json.loads(run("status", "web/1.1.0", "--json", "--root", str(multi)).output)
    assert status["release"] == "web/1.1.0" and status["checklist"] == "web" and status["verdict"] == "NO"
    assert json.loads(run("status", "api/1.1.0", "--json", "--root", str(multi)).output)["checklist"] == "web"


def test_site_has_a_page_set_per_product(multi, tmp_path):
    site = tmp_path / "site"
    result = run("build", "--root", str(multi), "-d", str(site))
    assert result.exit_code == 0, result.output
    for product in ("web", "api"):
        for name in ("1.0.0", "1.1.0", "2.0.0"):
            assert (site / "releases" / product / name / "index.html").is_file()
        assert (site / "products" / product / "index.html").is_file()
        assert (site / "trends" / product / "index.html").is_file()
    dashboard = (site / "index.html").read_text()
    assert 'href="products/web/index.html"' in dashboard and 'href="products/api/index.html"' in dashboard
    web_page = (site / "products" / "web" / "index.html").read_text()
    assert "web/2.0.0" in web_page and "api/2.0.0" not in web_page


def _text(page) -> str:
    """A built page's article as text, one space between words."""
    import html
    import re

    body = page.read_text()
    body = body[body.index("<article"):body.index("</article>")]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_index_pages_list_products_and_each_product_has_its_own_signoffs_and_findings(multi, tmp_path):
    """Listing every release, /releases/, /signoffs/ and /audit/ grew without bound: in a site of several
    products they list the products, and each product's sign-offs and findings are pages of its own."""
    site = tmp_path / "site"
    result = run("build", "--root", str(multi), "-d", str(site))
    assert result.exit_code == 0, result.output
    findings = json.loads((site / "data" / "findings.json").read_text())["findings"]
    for index in ("releases", "signoffs", "audit"):
        page = (site / index / "index.html").read_text()
        assert "web/1.0.0/index.html" not in page and "api/1.0.0/index.html" not in page, index
    assert 'href="../products/web/index.html"' in (site / "releases" / "index.html").read_text()
    assert 'href="../products/api/signoffs/index.html"' in (site / "signoffs" / "index.html").read_text()
    audit = (site / "audit" / "index.html").read_text()
    assert 'href="../products/web/audit/index.html"' in audit
    assert f"{len(findings)} findings over 6 releases" in _text(site / "audit" / "index.html")
    for product, other in (("web", "api"), ("api", "web")):
        signoffs = (site / "products" / product / "signoffs" / "index.html").read_text()
        assert all(f"{product}/{n}/index.html" in signoffs for n in ("1.0.0", "1.1.0", "2.0.0"))
        assert f"{other}/" not in signoffs.split("<article", 1)[1]
        own = [f for f in findings if (f["release"] or "").startswith(f"{product}/")]
        text = _text(site / "products" / product / "audit" / "index.html")
        assert f"{len(own)} findings over this product's 3 releases" in text
        assert text.count(f"{product}/") >= len(own) and f"{other}/" not in text
        assert 'href="signoffs/index.html"' in (site / "products" / product / "index.html").read_text()
    assert any(f["release"] for f in findings)  # the fixture's releases have findings to be shared out


def test_diff_compares_within_a_product(multi, tmp_path):
    site = tmp_path / "site"
    assert run("build", "--root", str(multi), "-d", str(site)).exit_code == 0
    page = (site / "releases" / "api" / "1.1.0" / "index.html").read_text()
    assert "Changes since api/1.0.0" in page


def test_new_in_a_product_folder(multi):
    result = run("new", "web/2.1.0", "--from", "web/1.1.0", "--root", str(multi))
    assert result.exit_code == 0, result.output
    assert (multi / "results" / "web" / "2.1.0.yaml").is_file()
    assert run("check", "--root", str(multi)).exit_code == 0
    assert run("new", "a/b/c", "--root", str(multi)).exit_code == 2


def test_bad_product_folder_name_is_an_error(multi):
    (multi / "results" / "we b").mkdir()
    result = run("check", "--root", str(multi))
    assert result.exit_code == 1
    assert "results/we b:1:1: product folder: name `we b` has ` ` (U+0020 SPACE)" in result.output


def test_record_and_sign_in_a_product_folder(multi, tmp_path):
    """web/2.0.0 names no checklist: it gets checklists/web.md from its folder, also when rewritten."""
    import subprocess

    from conftest import FIXTURES as F

    subprocess.run(["git", "init", "-q", str(multi)], check=True)
    subprocess.run(["git", "-C", str(multi), "config", "user.name", "Ada Lovelace"], check=True)
    report = F / "reports" / "junit-pass.xml"
    result = run("record", "web/2.0.0", "--junit", str(report), "--item", "security/https-enforced",
                 "--root", str(multi))
    assert result.exit_code == 0, result.output
    assert "checklist:" not in (multi / "results" / "web" / "2.0.0.yaml").read_text()
    assert run("check", "--root", str(multi)).exit_code == 0


def test_a_rebuild_remakes_only_the_pages_and_charts_of_the_product_that_changed(multi, tmp_path, monkeypatch):
    from generator import charts, pages, site as site_module

    site = tmp_path / "site"
    assert run("build", "--root", str(multi), "-d", str(site)).exit_code == 0
    drawn, rendered = [], []
    all_charts, produce = charts.all_charts, site_module._produce

    def drawing(evaluations):
        drawn.append(sorted({e.release.product for e in evaluations}))
        return all_charts(evaluations)

    def producing(out):
        rendered.append(out.path)
        return produce(out)

    from generator import hookstate

    skipped, real_skip = {}, hookstate.BuildState.skip

    def skip(self, src_uri, content_key, *keep):
        skipped[src_uri] = real_skip(self, src_uri, content_key, *keep)
        return skipped[src_uri]

    monkeypatch.setattr(pages, "all_charts", drawing)
    monkeypatch.setattr(site_module, "_produce", producing)
    monkeypatch.setattr(hookstate.BuildState, "skip", skip)
    text = (multi / "results" / "api" / "2.0.0.yaml").read_text()
    (multi / "results" / "api" / "2.1.0.yaml").write_text(text.replace('release: "2.0.0"', 'release: "2.1.0"'))
    result = run("build", "--root", str(multi), "-d", str(site))
    assert result.exit_code == 0, result.output
    assert drawn == [["api"]]
    assert "products/api/index.md" in rendered and "trends/api/index.md" in rendered
    assert "products/web/index.md" not in rendered and "trends/web/index.md" not in rendered
    assert "products/api/signoffs/index.md" in rendered and "products/api/audit/index.md" in rendered
    assert "products/web/signoffs/index.md" not in rendered and "products/web/audit/index.md" not in rendered
    # The unchanged product's pages are not given to MkDocs at all: their finished HTML is linked.
    alone = ("products/{}/index.md", "products/{}/signoffs/index.md", "products/{}/audit/index.md",
             "trends/{}/index.md")
    assert all(skipped[page.format("web")] for page in alone)
    assert not any(skipped[page.format("api")] for page in alone)
    # Still the site a build from nothing makes, byte for byte.
    assert run("build", "--root", str(multi), "-d", str(tmp_path / "full"), "--no-cache").exit_code == 0
    files = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert files == {p.relative_to(tmp_path / "full"): p.read_bytes() for p in (tmp_path / "full").rglob("*")
                     if p.is_file()}


def test_a_new_product_remakes_every_product_page_while_their_trends_pages_are_left_out(multi, tmp_path, monkeypatch):
    """Every product page lists the products, so a new one remakes them all; their trends pages do not list
    them, and a rebuild takes those from the last build: the pages link to each other in HTML, which MkDocs
    does not check against the pages it is given."""
    from generator import hookstate

    site = tmp_path / "site"
    assert run("build", "--root", str(multi), "-d", str(site)).exit_code == 0
    skipped, real_skip = {}, hookstate.BuildState.skip

    def skip(self, src_uri, content_key, *keep):
        skipped[src_uri] = real_skip(self, src_uri, content_key, *keep)
        return skipped[src_uri]

    monkeypatch.setattr(hookstate.BuildState, "skip", skip)
    shutil.copytree(multi / "results" / "api", multi / "results" / "cli")
    result = run("build", "--root", str(multi), "-d", str(site))
    assert result.exit_code == 0, result.output
    assert skipped["trends/web/index.md"] and skipped["trends/api/index.md"]
    assert not skipped["products/web/index.md"] and not skipped["products/api/index.md"]
    assert run("build", "--root", str(multi), "-d", str(tmp_path / "full"), "--no-cache").exit_code == 0
    files = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert files == {p.relative_to(tmp_path / "full"): p.read_bytes() for p in (tmp_path / "full").rglob("*")
                     if p.is_file()}


def test_product_names_are_shown_as_written_in_the_index_pages(multi, tmp_path):
    """Folder names such as `a._x` and `y_.` are valid products; Markdown must not read them as emphasis."""
    for name in ("a._x", "y_."):
        shutil.copytree(multi / "results" / "api", multi / "results" / name)
    site = tmp_path / "site"
    result = run("build", "--root", str(multi), "-d", str(site))
    assert result.exit_code == 0, result.output
    for page in ("trends", "signoffs", "releases", "audit"):
        body = (site / page / "index.html").read_text()
        body = body[body.index("<article"):]
        assert "<em>" not in body and "a._x</a>" in body and "y_.</a>" in body, page
