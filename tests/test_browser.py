"""The built site in headless Chromium, opened from disk: pages render, search works, nothing leaves the machine."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from generator.cli import cli

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    import shutil

    from conftest import FIXTURES

    root = tmp_path_factory.mktemp("browser") / "project"
    shutil.copytree(FIXTURES / "project", root)
    out = root / "site"
    result = CliRunner().invoke(cli, ["build", "--root", str(root)])
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


def external(requests):
    return [u for u in requests if not u.startswith(("file://", "data:", "blob:", "about:"))]


def test_dashboard_and_release_from_disk(site, page):
    page.goto((site / "index.html").as_uri())
    assert page.locator("h1").first.inner_text().startswith("Launch readiness")
    assert page.locator(".rd-hero .rd-verdict").inner_text() == "NO"  # 2.0.0, unlaunched, mostly pending
    page.click("text=1.1.0")
    page.wait_for_load_state()
    assert page.url.endswith("releases/1.1.0/index.html")
    assert "Release 1.1.0" in page.locator("h1").first.inner_text()
    assert page.locator("tr.rd-item").count() == 8
    assert external(page.requests) == []


def test_search_works_offline(site, page):
    page.goto((site / "releases" / "1.0.0" / "index.html").as_uri())
    page.locator(".md-search__input").click()
    # The index loads in a worker (iframe-worker from file://); Material says so until it is ready.
    page.wait_for_function(
        "() => !document.querySelector('.md-search-result__meta').textContent.includes('Initializing')",
        timeout=30_000)
    page.locator(".md-search__input").press_sequentially("Webhook", delay=20)  # Material reacts to keys
    results = page.locator(".md-search-result__item")
    results.first.wait_for(timeout=30_000)
    assert results.count() >= 1
    assert external(page.requests) == []
