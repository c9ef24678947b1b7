"""A site built from a repository whose every text field is an attack, opened page by page in Chromium.

Every text a contributor can commit holds script in the forms that get through careless escaping (tags,
attribute break-outs, pre-escaped entities, Markdown escapes and links, `</title>`), each calling
`alert(N)` with its own N; commit authors and messages hold what git lets through. The site must build,
and in the browser no payload may run (no dialog opens), no element may carry an event handler or a
script URL, search results must stay inert, and no page may request anything from another host, with
`repo_url` pointing at GitHub (whose widget would ask api.github.com).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli

from gitrepo import Repo

pytestmark = [pytest.mark.browser, pytest.mark.slow]
RLO = "\u202e"


def payload(n: int, bidi: bool = True) -> str:
    """Script, in the forms careless escaping lets through, each calling alert(n); and a direction override
    (`bidi`), which results files refuse (tests/test_hostile_text.py) but checklists and git history hold."""
    return (f"T{n} <script>alert({n})</script><img src=x onerror=alert({n})>\"><img src=x onerror=alert({n})>"
            f"'><img src=x onerror=alert({n})>&lt;img src=x onerror=alert({n})&gt;</title><svg onload=alert({n})>"
            + (f" {RLO}gnp.exe" if bidi else ""))


def markdown_payload(n: int, bidi: bool = True) -> str:
    """The same, and what Markdown adds: backslash escapes, script links, autolinks, attribute break-outs,
    attribute lists (Python-Markdown's attr_list turns `{: onclick=...}` into an attribute)."""
    return (payload(n, bidi) + f" \\<img src=x onerror=alert({n})\\> [a](javascript:alert({n})) <javascript:alert({n})>"
            f" [b](https://x.example/\"onmouseover=\"alert({n})) ![c](x\"onerror=\"alert({n}))"
            f" [d](https://x.example/){{: onclick=\"alert({n})\" }} {{: onmouseover=\"alert({n})\" }}")


def q(text: str) -> str:
    """A YAML double-quoted scalar (JSON is YAML) holding the characters themselves."""
    return json.dumps(text, ensure_ascii=False)


def checklist() -> str:
    return f"""# Title {markdown_payload(1)}

## Security {markdown_payload(2)} {{#security}}

- [ ] **Group {payload(3)}** {{#grp}}
  - [ ] Item {markdown_payload(4)} {{#item}}
- [ ] Plain {markdown_payload(5)} {{#plain}}
- [ ] Page load < 3 seconds {payload(6)} {{#load}}

## Other \\<img src=x onerror=alert(7)\\> {{#other}}

- [ ] Thing `<img src=x onerror=alert(8)>` {{#thing}}
- [ ] <img src=x onerror=alert(9)> raw {{#raw}}

| a | b |
|---|---|
| <script>alert(10)</script> | [ ] in a table |

## Sign-off

- [ ] **Tech Lead {payload(11)}:** ______ Date: ______ {{#tech-lead}}
"""


def results(release: str, value: str) -> str:
    return f"""release: "{release}"
items:
  item: {{status: done, by: {q(payload(20, bidi=False))}, date: 2026-01-10, evidence: {q('https://e.example/?"><img/src=x/onerror=alert(21)>')}, note: {q(markdown_payload(22, bidi=False))}}}
  plain: {{status: waived, reason: {q(markdown_payload(23, bidi=False))}, approved_by: {q(payload(24, bidi=False))}, expires: 2026-12-01}}
  load: {{value: {value}}}
  other: {{status: n/a, reason: {q(markdown_payload(25, bidi=False))}}}
  thing: {{status: failed, note: {q(markdown_payload(26, bidi=False))}, evidence: "https://e.example/x?a=1&b='onmouseover=alert(30)"}}
signoffs:
  tech-lead: {{name: {q(payload(27, bidi=False))}, date: 2026-01-11}}
launch: {{date: 2026-01-12, time: "09:30", timezone: Europe/London, deployed_by: {q(payload(28, bidi=False))}, notes: {q(markdown_payload(29, bidi=False))}}}
"""


# readiness.yml refuses < > " & ` in its values; what it allows is tried in attribute and text contexts.
SETTINGS = """site_name: Launch ' onmouseover='alert(40)' x='
site_description: Describe ' onfocus='alert(41)
copyright: Copyright 'alert(42)' {{ 7*7 }} ${alert(43)}
repo_url: https://github.com/example/readiness?'onmouseover='alert(44)
site_url: https://readiness.example.com/'onload='alert(45)/
"""

# Git drops < and > from author names; quotes, entities and direction controls get through, and a
# message holds anything.
AUTHOR = f"Mallory \"'&lt;img src=x onerror=alert(50)&gt; {RLO}gnp"


def make_repo(root: Path) -> Repo:
    repo = Repo(root)
    repo.commit(f"Checklist {payload(51)}", {"checklists/web.md": checklist(), "readiness.yml": SETTINGS},
                AUTHOR, "2026-01-01T09:00:00+00:00")
    repo.commit(f"Results {payload(52)}\n\nBody {markdown_payload(53)}", {"results/1.0.0.yaml": results("1.0.0", "2")},
                AUTHOR, "2026-01-05T09:00:00+00:00")
    repo.commit(f"{payload(54)}", {"results/1.1.0.yaml": results("1.1.0", '"4 s"')}, "Eve",
                "2026-01-06T09:00:00+00:00", committer=AUTHOR)
    return repo


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("hostile-pages")
    repo = make_repo(base / "repo")
    result = CliRunner().invoke(cli, ["build", "--root", str(repo.root), "-d", str(base / "site")])
    assert result.exit_code == 0, result.output
    status = subprocess.run(["git", "-C", str(repo.root), "status", "--porcelain"], capture_output=True, text=True)
    assert status.stdout == ""  # the build changed nothing in the repository
    return base / "site"


def external(requests: list[str]) -> list[str]:
    return [u for u in requests if not u.startswith(("file://", "data:", "blob:", "about:"))]


# Every attribute of every element once the page's scripts have run: handlers and script URLs.
LIVE_MARKUP = """() => {
    const found = [];
    for (const el of document.querySelectorAll('*')) {
        for (const a of el.attributes) {
            const v = a.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
            if (a.name.startsWith('on') || /^(javascript|vbscript|data:text\\/html)/.test(v)
                    && ['href', 'src', 'action', 'formaction', 'xlink:href', 'data'].includes(a.name))
                found.push(el.tagName + ' ' + a.name + '=' + a.value.slice(0, 80));
        }
    }
    return found;
}"""


@pytest.fixture
def visit(browser):
    """Open a page and record what it did: dialogs (a payload ran), requests, live markup."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    seen = {"dialogs": [], "requests": []}
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    page.on("request", lambda r: seen["requests"].append(r.url))

    def open_page(path: Path):
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        page.wait_for_timeout(100)  # let onerror handlers of broken images fire
        return page

    yield open_page, seen
    context.close()


def test_the_site_is_built_with_every_page(site):
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    for rel in ("index.html", "releases/1.0.0/index.html", "releases/1.1.0/index.html", "checklists/web/index.html",
                "signoffs/index.html", "audit/index.html", "trends/index.html", "releases/index.html"):
        assert rel in pages


def test_no_payload_runs_on_any_page(site, visit):
    open_page, seen = visit
    pages = sorted(site.rglob("*.html")) + sorted(site.rglob("*.svg"))
    assert len(pages) > 10
    for path in pages:
        page = open_page(path)
        if path.suffix == ".html":
            assert page.evaluate(LIVE_MARKUP) == [], path
            # The payload is shown as text, not dropped: it is on the page the reader sees.
        assert seen["dialogs"] == [], f"{path}: a payload ran: {seen['dialogs']}"
    assert external(seen["requests"]) == []
    release = (site / "releases" / "1.0.0" / "index.html").read_text(encoding="utf-8")
    assert "T22 &lt;script&gt;alert(22)&lt;/script&gt;" in release
    assert "T2 " in release and "T27 " in release and "T28 " in release


def test_search_results_stay_inert(site, visit):
    open_page, seen = visit
    page = open_page(site / "index.html")
    page.locator(".md-search__input").click()
    page.wait_for_function(
        "() => !document.querySelector('.md-search-result__meta').textContent.includes('Initializing')",
        timeout=30_000)
    for query in ("alert", "T22", "Security", "img", "Mallory"):
        page.locator(".md-search__input").fill("")
        page.locator(".md-search__input").press_sequentially(query, delay=10)
        page.wait_for_timeout(400)
        assert page.evaluate(LIVE_MARKUP) == [], query
    assert page.locator(".md-search-result__item").count() > 0
    assert seen["dialogs"] == []
    assert external(seen["requests"]) == []


def test_no_direction_control_reaches_a_page(site):
    for path in [*site.rglob("*.html"), *site.rglob("*.svg"), site / "search" / "search_index.json"]:
        assert RLO not in path.read_text(encoding="utf-8"), path


def test_the_repository_link_fetches_nothing(site, visit):
    open_page, seen = visit
    page = open_page(site / "releases" / "1.0.0" / "index.html")
    link = page.locator("a.md-source")
    assert link.count() >= 1 and link.first.get_attribute("data-md-component") is None
    page.wait_for_timeout(500)  # Material asks for a repository's facts shortly after load
    assert external(seen["requests"]) == []
    assert not re.search(r"api\.github\.com", " ".join(seen["requests"]))
