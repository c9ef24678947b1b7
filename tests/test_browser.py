"""The built example site in headless Chromium, the way readers and auditors use it.

Opened from disk (file://): pages render, search works, nothing is requested from another host; flows
through the site; dark mode; a phone-sized viewport; accessibility with axe-core; printing to PDF.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import unicodedata

import pytest
from click.testing import CliRunner

from generator.cli import cli

from conftest import ROOT

pytestmark = pytest.mark.browser
AXE = ROOT / "tests" / "assets" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The example story replayed into git and built, as `make site` does."""
    base = tmp_path_factory.mktemp("browser")
    subprocess.run([sys.executable, str(ROOT / "examples" / "replay.py"), str(base / "lumen")], check=True,
                   capture_output=True)
    out = base / "site"
    result = CliRunner().invoke(cli, ["build", "--root", str(base / "lumen"), "-d", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.requests = []
    page.on("request", lambda r: page.requests.append(r.url))
    yield page
    context.close()


def as_read(text: str) -> str:
    """Text as a reader reads it, whatever the fonts: compatibility forms folded (the ligature "ﬁ" is "fi",
    a non-breaking space a space) and whitespace dropped, since a PDF's line breaks fall where the font puts them."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def external(requests):
    return [u for u in requests if not u.startswith(("file://", "data:", "blob:", "about:"))]


def test_dashboard_then_a_release_from_the_table(site, page):
    page.goto((site / "index.html").as_uri())
    assert page.locator(".rd-hero__release").inner_text() == "3.2.0"
    assert page.locator(".rd-hero__verdict .rd-verdict").inner_text() == "NO"
    page.locator("table.rd-releases a", has_text="2.0.1").click()
    page.wait_for_load_state()
    assert page.url.endswith("releases/2.0.1/index.html")
    assert page.locator("h1").first.inner_text().startswith("Release 2.0.1")
    assert page.locator(".rd-hero__verdict .rd-verdict").inner_text() == "YES"
    assert page.locator('tr[id^="i-"]').count() == 211
    assert external(page.requests) == []


def test_search_for_an_item_and_land_on_it(site, page):
    page.goto((site / "index.html").as_uri())
    page.locator(".md-search__input").click()
    page.wait_for_function(
        "() => !document.querySelector('.md-search-result__meta').textContent.includes('Initializing')",
        timeout=30_000)
    page.locator(".md-search__input").press_sequentially("Penetration test passed", delay=15)
    first = page.locator(".md-search-result__item a").first
    first.wait_for(timeout=30_000)
    first.click()
    page.wait_for_load_state()
    assert "Penetration test passed" in page.locator("article").inner_text()
    assert external(page.requests) == []


def test_offline_pages_make_no_request_to_other_hosts(site, page):
    for rel in ("index.html", "releases/1.0.0/index.html", "signoffs/index.html", "audit/index.html",
                "checklists/production/index.html", "trends/index.html"):
        if (site / rel).exists():
            page.goto((site / rel).as_uri())
            page.wait_for_load_state("load")
    assert page.requests and external(page.requests) == []


def test_dark_mode_keeps_status_colours_readable(site, page):
    page.goto((site / "releases" / "2.0.0" / "index.html").as_uri())
    page.locator("label[for='__palette_1'], [data-md-component='palette'] label").first.click()
    assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == "slate"
    colours = page.evaluate("""() => {
        const bg = getComputedStyle(document.body).backgroundColor;
        const failed = getComputedStyle(document.querySelector('.rd-status--failed')).backgroundColor;
        const text = getComputedStyle(document.querySelector('article')).color;
        return {bg, failed, text};
    }""")
    assert colours["failed"] != colours["bg"] and colours["text"] != colours["bg"]
    charts = page.locator("svg.rd-chart, figure svg")
    if charts.count():
        fill = page.evaluate("() => getComputedStyle(document.querySelector('figure svg text')).fill")
        assert fill != colours["bg"]


def test_release_page_fits_a_phone(site, browser):
    context = browser.new_context(viewport={"width": 375, "height": 812}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    page.goto((site / "releases" / "2.0.0" / "index.html").as_uri())
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    context.close()
    assert overflow <= 0


PAGE_TYPES = ["index.html", "releases/index.html", "releases/2.0.0/index.html", "trends/index.html",
              "signoffs/index.html", "audit/index.html", "checklists/production/index.html"]


@pytest.mark.parametrize("rel", PAGE_TYPES)
def test_no_serious_accessibility_violations(site, page, rel):
    if not (site / rel).exists():
        pytest.skip(f"{rel} is not part of this site yet")
    page.goto((site / rel).as_uri())
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == []


def test_printed_release_page_has_every_item_and_no_navigation(site, page):
    from pypdf import PdfReader

    page.goto((site / "releases" / "2.0.0" / "index.html").as_uri())
    page.emulate_media(media="print")
    assert page.evaluate("() => getComputedStyle(document.querySelector('.md-sidebar--primary')).display") == "none"
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4")))
    text = "".join(p.extract_text() for p in pdf.pages)
    squashed = as_read(text)
    data = json.loads((site / "data" / "releases" / "2.0.0.json").read_text())
    items = json.loads((site / data["checklist_source"]["items"]).read_text())["items"]
    assert [i["id"] for i in items] == [i["id"] for i in data["items"]]
    missing = [i["id"] for i in items if as_read(i["text"]) not in squashed]
    assert missing == []
    for needle in ("Ready for production", "Sign-offs", "Provenance", "Evidence"):
        assert as_read(needle) in squashed
    assert "Table of contents" not in text


# Chart data tables are matrices of one row per release and a column per series (a column per section in
# the heat map): they may scroll sideways, as a named, focusable region. Every other table fits at 1400 px.
MAY_SCROLL = ".rd-chart-data"


@pytest.mark.parametrize("width", [1400, 375])
def test_every_scrollable_region_is_named_and_reachable_by_keyboard(site, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    problems = []
    for rel in PAGE_TYPES:
        page.goto((site / rel).as_uri())
        problems += [f"{rel}: {p}" for p in page.evaluate("""() => {
            const out = [];
            for (const el of document.querySelectorAll('article *')) {
                const style = getComputedStyle(el);
                if (!['auto', 'scroll'].includes(style.overflowX) || el.scrollWidth <= el.clientWidth + 1) continue;
                const name = el.getAttribute('aria-label') || '';
                if (el.tabIndex < 0 || !name.trim())
                    out.push(`${el.className}: scrolls but is not named and focusable`);
            }
            return out;
        }""")]
    context.close()
    assert problems == []


def test_wide_tables_show_every_column_at_1400_px(site, page):
    page.set_viewport_size({"width": 1400, "height": 900})
    hidden = []
    for rel in PAGE_TYPES + ["releases/1.0.0/index.html", "releases/3.2.0/index.html"]:
        page.goto((site / rel).as_uri())
        hidden += [f"{rel}: {t}" for t in page.evaluate("""(mayScroll) => [...document.querySelectorAll('.rd-table-wrap')]
            .filter(w => !w.matches(mayScroll) && w.scrollWidth > w.clientWidth + 1)
            .map(w => `${w.getAttribute('aria-label')} is ${w.scrollWidth}px wide in ${w.clientWidth}px`)""", MAY_SCROLL)]
    assert hidden == []


@pytest.mark.parametrize("width", [1400, 375])
def test_dates_and_commit_hashes_never_break_across_lines(site, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    broken = []
    for rel in ("releases/2.0.0/index.html", "signoffs/index.html", "audit/index.html"):
        page.goto((site / rel).as_uri())
        broken += [f"{rel}: {t}" for t in page.evaluate("""() => [...document.querySelectorAll(
                'article time, article .rd-nowrap, article .rd-commits code, article .rd-items-table td:nth-child(4)')]
            .filter(el => {
                const range = document.createRange();
                range.selectNodeContents(el);
                const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.bottom)));
                return lines.size > 1;
            })
            .map(el => el.textContent)""")]
    context.close()
    assert broken == []
