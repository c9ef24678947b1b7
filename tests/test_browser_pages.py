"""Pages a reader works through, in headless Chromium from file://: the release page's status filter and
what holds a release back, the compare page, each item's history on the checklist page, and charts on a
phone. No page may request anything from another host.

The site is the example story replayed into git (as `make site` does) with one more release, 3.3.0,
scaffolded with `readiness new 3.3.0 --from 3.1.0` as the README's walk-through starts it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from generator.analyse import compare
from generator.cli import cli
from generator.exports import compare_json
from generator.merge import default_today
from generator.project import load_project

from conftest import ROOT

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def lumen(tmp_path_factory):
    base = tmp_path_factory.mktemp("pages")
    root = base / "lumen"
    subprocess.run([sys.executable, str(ROOT / "examples" / "replay.py"), str(root)], check=True, capture_output=True)
    made = CliRunner().invoke(cli, ["new", "3.3.0", "--from", "3.1.0", "--root", str(root)])
    assert made.exit_code == 0, made.output
    return root


@pytest.fixture(scope="module")
def site(lumen):
    out = lumen.parent / "site"
    result = CliRunner().invoke(cli, ["build", "--root", str(lumen), "-d", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def evaluations(lumen):
    return {e.release.name: e for e in load_project(lumen).evaluations(default_today())}


def external(requests):
    return [u for u in requests if not u.startswith(("file://", "data:", "blob:", "about:"))]


def open_page(browser, url, width=1280, script=True):
    context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=script)
    page = context.new_page()
    page.requests = []
    page.on("request", lambda r: page.requests.append(r.url))
    page.goto(url)
    return context, page


VISIBLE_ROWS = """() => [...document.querySelectorAll('tr[id^="i-"]')].filter(tr => tr.offsetParent !== null)
    .map(tr => [tr.id.slice(2), [...tr.classList].find(c => c.startsWith('rd-item--')).slice(9)])"""
VISIBLE_SECTIONS = """() => [...document.querySelectorAll('.rd-items-section')].filter(s => s.offsetParent !== null)
    .map(s => s.querySelector('h3').id)"""


@pytest.mark.parametrize("script", [True, False])
def test_the_status_filter_shows_only_that_status(site, browser, evaluations, script):
    """The filter is CSS only: it works the same with script turned off."""
    e = evaluations["3.2.0"]
    context, page = open_page(browser, (site / "releases" / "3.2.0" / "index.html").as_uri(), script=script)
    try:
        assert len(page.evaluate(VISIBLE_ROWS)) == e.counts.total == 211
        for token, status, count in (("failed", "failed", 1), ("pending", "pending", 26), ("waived", "waived", 1),
                                     ("na", "n/a", 7), ("done", "done", 176)):
            page.locator(f"label[for='rd-f-{token}']").click()
            rows = page.evaluate(VISIBLE_ROWS)
            assert len(rows) == count == sum(1 for r in e.results if r.status == status)
            assert {cls for _, cls in rows} == {token}
            assert {i for i, _ in rows} == {r.item.id for r in e.results if r.status == status}
            sections = page.evaluate(VISIBLE_SECTIONS)
            assert sections == [f"s-{s.id}" for s, _ in e.section_counts
                                if any(r.status == status and r.item.ancestors[0] == s.id for r in e.results)]
        page.locator("label[for='rd-f-all']").click()
        assert len(page.evaluate(VISIBLE_ROWS)) == 211
        assert external(page.requests) == []
    finally:
        context.close()


def without_has(css: str) -> str:
    """A stylesheet as a browser without :has() applies it: every rule (and @supports block) naming :has() left out."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    out, depth, start = [], 0, 0
    for i, ch in enumerate(css):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                block = css[start:i + 1]
                if ":has(" not in block.split("{", 1)[0]:
                    out.append(block)
                start = i + 1
    return "".join(out)


def test_without_has_support_the_filter_is_hidden_and_every_row_shows(site, browser):
    context, page = open_page(browser, (site / "releases" / "3.2.0" / "index.html").as_uri())
    try:
        assert page.locator(".rd-filter").is_visible()
        css = (site / "assets" / "stylesheets" / "readiness.css").read_text(encoding="utf-8")
        assert ":has(" in css and ":has(" not in without_has(css)
        page.evaluate("() => document.querySelector('link[href$=\"readiness.css\"]').disabled = true")
        page.add_style_tag(content=without_has(css))
        assert not page.locator(".rd-filter").is_visible()
        assert len(page.evaluate(VISIBLE_ROWS)) == 211
    finally:
        context.close()


def test_what_holds_each_release_back_agrees_with_status_json(site, browser, lumen, evaluations):
    context, page = open_page(browser, (site / "index.html").as_uri())
    try:
        for name in evaluations:
            status = json.loads(CliRunner().invoke(cli, ["status", name, "--json", "--root", str(lumen)]).output)
            page.goto((site / "releases" / name / "index.html").as_uri())
            held = page.evaluate("""() => ({
                items: [...document.querySelectorAll('.rd-held a[href^="#i-"]')].map(a => a.getAttribute('href').slice(3)),
                missing: [...document.querySelectorAll('.rd-held a[href^="#i-"]')]
                    .filter(a => !document.getElementById(a.getAttribute('href').slice(1))).length,
                roles: [...document.querySelectorAll('.rd-held li')].filter(li => li.querySelector('a[href="#sign-offs"]'))
                    .flatMap(li => [...li.querySelectorAll('code.rd-id')].map(c => c.textContent)),
            })""")
            assert sorted(held["items"]) == sorted(status["blocking"]), name
            assert held["roles"] == status["unsigned"], name
            assert held["missing"] == 0, name
        assert external(page.requests) == []
    finally:
        context.close()


def test_a_release_launched_while_not_ready_says_so_in_its_header(site, browser, evaluations):
    context, page = open_page(browser, (site / "index.html").as_uri())
    try:
        for name, e in evaluations.items():
            page.goto((site / "releases" / name / "index.html").as_uri())
            alarm = page.locator(".rd-hero .rd-hero__alarm", has_text="while the verdict was")
            if e.launched and e.verdict != "YES":
                assert alarm.inner_text().startswith(f"Launched {e.release.launch.date} while the verdict was {e.verdict}")
            else:
                assert alarm.count() == 0, name
        page.goto((site / "index.html").as_uri())
        why = dict(page.evaluate("""() => [...document.querySelectorAll('table.rd-releases tbody tr')]
            .map(tr => [tr.cells[0].innerText, tr.querySelector('.rd-why-short').innerText])"""))
        assert why["2.0.0"].startswith("launched while NO") and "5 failed" in why["2.0.0"]
        assert why["3.2.0"] == "1 failed · 26 pending · 1 waived · 4 unsigned"
        assert why["3.3.0"] == "5 unsigned"
        assert why["3.1.0"] == "nothing holds it back"
    finally:
        context.close()


def test_carried_over_statuses_are_marked_not_re_verified(site, browser):
    context, page = open_page(browser, (site / "releases" / "3.3.0" / "index.html").as_uri())
    try:
        assert "211 items carried over from 3.1.0, not re-verified" in page.locator(".rd-hero").inner_text()
        fixed = page.locator(".rd-diff p", has_text="Fixed")
        assert "all 26 carried over from 3.1.0, not re-verified" in fixed.inner_text()
        rows = page.locator('tr[id^="i-"]', has_text="carried over from 3.1.0, not re-verified")
        assert rows.count() == 211
    finally:
        context.close()


COLLECT = """() => ({
    pair: document.getElementById('rd-compare-out').getAttribute('data-pair'),
    changes: [...document.querySelectorAll('.rd-compare-change')].map(li => ({kind: li.dataset.kind,
        item: li.dataset.item, before: li.dataset.before || null, after: li.dataset.after || null,
        carried_from: li.dataset.carried || null})),
    signoffs: [...document.querySelectorAll('.rd-compare-signoff')].map(li => li.dataset.role),
})"""


@pytest.mark.parametrize("a,b", [("3.1.0", "3.2.0"), ("3.2.0", "3.3.0"), ("1.0.0", "3.2.0"), ("2.0.0", "2.0.1"),
                                 ("3.2.0", "1.0.0"), ("2.1.0", "2.1.0")])
def test_the_compare_page_agrees_with_readiness_compare(site, browser, evaluations, a, b):
    expected = compare_json(compare(evaluations[a], evaluations[b]))
    context, page = open_page(browser, (site / "compare" / "index.html").as_uri())
    try:
        page.wait_for_function("() => document.getElementById('rd-compare-out').getAttribute('data-pair')")
        page.select_option("#rd-compare-a", a)
        page.select_option("#rd-compare-b", b)
        page.wait_for_function(f"() => document.getElementById('rd-compare-out').getAttribute('data-pair') === '{a}|{b}'")
        got = page.evaluate(COLLECT)
        assert got["changes"] == [{k: c[k] for k in ("kind", "item", "before", "after", "carried_from")}
                                  for c in expected["changes"]]
        assert got["signoffs"] == [s["role"] for s in expected["signoffs"]]
        text = page.locator("#rd-compare-out").inner_text()
        assert f"{expected['from']['progress']:.1f} %" in text and expected["to"]["verdict"] in text
        assert page.url.endswith(f"#from={a}&to={b}")
        assert external(page.requests) == []
    finally:
        context.close()


def test_a_compare_link_opens_on_its_pair_and_swap_turns_it_round(site, browser):
    url = (site / "compare" / "index.html").as_uri() + "#from=2.0.0&to=2.0.1"
    context, page = open_page(browser, url)
    try:
        page.wait_for_function("() => document.getElementById('rd-compare-out').getAttribute('data-pair') === '2.0.0|2.0.1'")
        assert page.locator(".rd-compare-change[data-kind='fixed']").count() == 5
        page.locator("#rd-compare-swap").click()
        page.wait_for_function("() => document.getElementById('rd-compare-out').getAttribute('data-pair') === '2.0.1|2.0.0'")
        assert page.locator(".rd-compare-change[data-kind='regressed']").count() == 5
        assert external(page.requests) == []
    finally:
        context.close()


def test_the_compare_page_says_what_it_needs_without_script(site, browser):
    context, page = open_page(browser, (site / "compare" / "index.html").as_uri(), script=False)
    try:
        assert not page.locator("#rd-compare").is_visible()
        assert "readiness compare A B" in page.locator("article").inner_text()
    finally:
        context.close()


def test_each_items_history_on_the_checklist_page(site, browser, evaluations):
    item = "testing/integration-tests/third-party-integration-tests-passing"
    releases = [e for e in evaluations.values()]  # oldest first, as the site orders them
    context, page = open_page(browser, (site / "checklists" / "production" / "index.html").as_uri())
    try:
        row = page.locator(f"tr[id='c-{item}']")
        cells = row.locator(".rd-strip .rd-cell")
        titles = [cells.nth(k).get_attribute("title") for k in range(cells.count())]
        expected = []
        for e in releases:
            r = next((r for r in e.results if r.item.id == item), None)
            if r is not None:
                expected.append(f"{e.release.name}: {'waived (expired)' if r.expired else r.status}")
        assert titles == expected
        numbers = row.locator("td.rd-num").all_inner_texts()  # line, failed, pending, waived, flips
        assert numbers[1] == str(sum(t.endswith(": failed") for t in titles))
        assert "fails often" in row.inner_text()
        top = page.locator("table.rd-most-failed tbody tr").first
        top.locator("td").last.locator("a").first.click()
        page.wait_for_load_state()
        target = page.url.split("#", 1)[1]
        assert target.startswith("i-") and page.locator(f"tr[id='{target}'].rd-item--failed").count() == 1
        assert external(page.requests) == []
    finally:
        context.close()


@pytest.mark.parametrize("rel", ["index.html", "trends/index.html"])
def test_charts_fit_a_phone_and_show_the_latest_release(site, browser, rel, evaluations):
    context = browser.new_context(viewport={"width": 375, "height": 812}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    try:
        page.goto((site / rel).as_uri())
        found = page.evaluate("""() => [...document.querySelectorAll('figure.rd-chart')].map(f => ({
            scrolls: f.scrollWidth > f.clientWidth + 1,
            overflow: f.querySelector('svg').getBoundingClientRect().right - document.documentElement.clientWidth,
            latest: (() => { const labels = [...f.querySelectorAll('.rdc-xlabels text')];
                             const last = labels[labels.length - 1];
                             return last ? last.getBoundingClientRect().right <= document.documentElement.clientWidth + 8 : true; })(),
        }))""")
        assert found and all(not c["scrolls"] and c["overflow"] <= 1 and c["latest"] for c in found), found
        assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0
    finally:
        context.close()


def test_search_finds_a_waiver_reason_of_a_release(site, browser):
    context, page = open_page(browser, (site / "index.html").as_uri())
    try:
        page.locator(".md-search__input").click()
        page.wait_for_function(
            "() => !document.querySelector('.md-search-result__meta').textContent.includes('Initializing')",
            timeout=30_000)
        page.locator(".md-search__input").press_sequentially("booked for 2026-10-19", delay=15)
        hit = page.locator(".md-search-result__item a[href*='releases/2.3.0/']").first
        hit.wait_for(timeout=30_000)
        assert external(page.requests) == []
    finally:
        context.close()


AXE = ROOT / "tests" / "assets" / "axe-core" / "axe.min.js"


@pytest.mark.parametrize("rel", ["compare/index.html#from=3.1.0&to=3.2.0", "audit/rules/index.html",
                                 "releases/3.3.0/index.html", "checklists/production/index.html"])
def test_new_pages_have_no_serious_accessibility_violations(site, browser, rel):
    path, _, fragment = rel.partition("#")
    context, page = open_page(browser, (site / path).as_uri() + (f"#{fragment}" if fragment else ""))
    try:
        if path.startswith("compare"):
            page.wait_for_function("() => document.getElementById('rd-compare-out').getAttribute('data-pair')")
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
                   if v["impact"] in ("serious", "critical")]
        assert serious == []
    finally:
        context.close()
