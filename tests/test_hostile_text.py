"""Hostile text: what reaches a page is escaped, numbers are finite and in range, invisible and direction
characters neither hide a duplicate signer nor reach a page, secrets are found in checklists too, and a
file with thousands of mistakes gives a short report quickly.

Built on the harness of tests/test_hostile.py: each case starts from the fixture project with a site built
from clean inputs; a refused input must leave every input and that site byte-for-byte as they were.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config

from generator.site import HOOKS, OVERRIDES

from test_hostile import (R, assert_clean_exit, assert_inert, clean_site, hostile, inputs, invoke,  # noqa: F401
                          parse_pages, refused, stray_build_dirs, tree)

WEB = Path(__file__).parent / "fixtures" / "project" / "checklists" / "web.md"


def built(project: Path) -> Path:
    """`check` and `build` succeed (the inputs are valid), change no input, leave nothing behind: the site."""
    before = inputs(project)
    for command in ("check", "build"):
        run = invoke(command, "--root", str(project))
        assert_clean_exit(run, 0)
        assert stray_build_dirs(project) == []
    assert inputs(project) == before
    return project / "site"


def page(site: Path, rel: str) -> str:
    return (site / rel).read_text(encoding="utf-8")


# --- titles, the table of contents and the navigation ---------------------------------------------------

IMG = "<img src=x onerror=alert(1)>"
SHOWN = "&lt;img src=x onerror=alert(1)&gt;"


def test_an_escaped_tag_in_a_heading_stays_text_in_the_table_of_contents(hostile, clean_site):
    """`\\<img ...\\>` is inert in the checklist; Material prints toc titles as HTML, so they must stay escaped."""
    text = WEB.read_text().replace("## 🔐 Security", "## Security \\<img src=x onerror=alert(1)\\> {#security}")
    project = hostile({"checklists/web.md": text})
    site = built(project)
    assert_inert(site, clean_site)
    release = page(site, "releases/1.0.0/index.html")
    toc = release[release.index('<nav class="md-nav md-nav--secondary"'):]
    toc = toc[:toc.index("</nav>")]
    assert f"Security {SHOWN}" in toc
    assert "<img" not in toc


def _mkdocs_site(tmp_path: Path, name: str, nav_title: str, page_title: str, heading: str) -> Path:
    """A real `mkdocs build` with readiness's hooks and theme overrides, of a nav and a page whose titles
    are given as they arrive from inputs: the rendering side alone, whatever rules the inputs passed."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("---\ntitle: Home\n---\n\n# Home\n", encoding="utf-8")
    front = yaml.safe_dump({"title": page_title}, allow_unicode=True)
    (docs / "page.md").write_text(f"---\n{front}---\n\n# Page\n\n## {heading}\n\ntext\n", encoding="utf-8")
    (docs / "plain.md").write_text("# Plain\n", encoding="utf-8")  # no front matter: MkDocs' own title
    config = {
        "site_name": name,
        "docs_dir": str(docs),
        "site_dir": str(tmp_path / "site"),
        "theme": {"name": "material", "custom_dir": str(OVERRIDES), "font": False},
        "plugins": ["search"],
        "hooks": [str(HOOKS)],
        "nav": [{"Home": "index.md"}, {nav_title: [{nav_title: "page.md"}, {"Plain": "plain.md"}]}],
        "repo_url": "https://github.com/example/readiness",
        "markdown_extensions": [{"toc": {"permalink": True}}],
    }
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    mkdocs_build(load_config(str(tmp_path / "mkdocs.yml")))
    return tmp_path / "site"


def test_titles_reaching_the_theme_are_escaped_whatever_the_inputs(tmp_path):
    """Nav, page and site titles with markup: MkDocs does not escape them, so the hooks do."""
    payload = f'x</title>{IMG}"><svg onload=alert(2)>'
    site = _mkdocs_site(tmp_path, "Site " + payload, "Nav " + payload, "Page " + payload,
                        "Heading <b>bold</b> &lt;i&gt;")
    shown = 'x&lt;/title&gt;&lt;img src=x onerror=alert(1)&gt;&quot;&gt;&lt;svg onload=alert(2)&gt;'
    for rel, pages in parse_pages(site).items():
        for tag, attrs in pages.tags:
            assert tag not in ("img", "svg") or not any(a.startswith("on") for a, _ in attrs), f"{rel}: <{tag} {attrs}>"
            for attr, value in attrs:
                assert not attr.startswith("on"), f"{rel}: <{tag} {attr}={value!r}>"
        assert pages.scripts, rel  # the theme's own scripts are there: the parse saw the whole page
    html = page(site, "page/index.html")
    assert f"<title>Page {shown} - Site {shown}</title>" in html
    assert f"Nav {shown}" in html  # the nav section and its page
    toc = html[html.index('<nav class="md-nav md-nav--secondary"'):]
    assert "Heading bold &lt;i&gt;" in toc[:toc.index("</nav>")]  # tags dropped, text kept escaped
    # A page without front matter: its <title> must not come from Material's `striptags`, which decodes.
    assert "<title>Plain - Site " in page(site, "plain/index.html")
    search = page(site, "search/search_index.json")
    assert "<img" not in search and "<svg" not in search and "</title>" not in search


def test_the_repository_link_is_a_plain_link(tmp_path):
    """Material's repository widget fetches stars and forks from api.github.com; the site asks no other host."""
    html = page(_mkdocs_site(tmp_path, "Site", "Nav", "Page", "Heading"), "page/index.html")
    links = re.findall(r'<a href="https://github.com/example/readiness"[^>]*>', html)
    assert links and all("data-md-component" not in a for a in links)
    assert 'data-md-component="source"' not in html
