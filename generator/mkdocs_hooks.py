"""MkDocs hooks: pages readiness renders as HTML reach the theme without a second Markdown pass.

Release pages are large tables already rendered by readiness's templates. MkDocs would otherwise run
Python-Markdown's raw-HTML handling over them and Material's search would parse all of it; here the
Markdown step gets an empty string, the table of contents comes from the headings' ids, and search
indexes only the page's summary (between `<!--rd-summary-->` markers) instead of every table cell.
Markdown pages (dashboard, releases, trends, ...) hand their large HTML blocks over after a STASH marker
(see render.py): Markdown sees placeholders, and the blocks are put back into the converted page.
Loaded by MkDocs from the `hooks:` setting that site.py writes; it keeps no state between builds.

MkDocs and Material print titles (site name, nav, page, table of contents) into pages without escaping,
so every title is escaped here on its way to the theme, whatever escaped it before: front matter and
the nav hold plain text, and table-of-contents titles are cut down to their text and escaped.
"""

from __future__ import annotations

import collections
import hashlib
import html
import json
import logging
import re
from html.parser import HTMLParser
from pathlib import Path

from mkdocs.plugins import CombinedEvent, event_priority
from mkdocs.structure.files import File
from mkdocs.structure.nav import Section
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc
from mkdocs.utils.meta import get_data

from generator import hookstate
from generator.cache import decode, key
from generator.render import FRAGMENT, PLACEHOLDER, STASH

log = logging.getLogger("mkdocs.hooks.readiness")
FLAG = "readiness_prerendered"
CACHED_TEMPLATE = "readiness-cached.html"  # in overrides/: a stub the finished page from the cache replaces
_HEADING = re.compile(r'<h([23]) id="([^"]+)">(.*?)<a class="headerlink"', re.DOTALL)
_SUMMARY = re.compile(r"(<h1[^>]*>.*?</h1>).*?<!--rd-summary-->(.*?)<!--/rd-summary-->", re.DOTALL)


class _TextOf(HTMLParser):
    """The text of an HTML fragment: tags dropped, character references decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def text_of(fragment: str) -> str:
    """The plain text an HTML fragment shows, whitespace collapsed."""
    parser = _TextOf()
    parser.feed(fragment)
    parser.close()
    return " ".join("".join(parser.parts).split())


def escape(text: str) -> str:
    """Plain text as HTML for the theme's text and double-quoted attributes (`'` is kept: Material quotes
    attributes with `"`, and escaping `'` would show as `&#x27;` where Material escapes a title again)."""
    return html.escape(str(text), quote=False).replace('"', "&quot;")


def _safe_toc(links) -> None:
    """Every table-of-contents title as escaped text: Material prints `toc_item.title` as HTML."""
    for link in links:
        link.title = escape(text_of(link.title))
        _safe_toc(link.children)


def on_config(config):
    """Settings Material prints as HTML (project.load_config refuses markup in them; this holds either way)."""
    for key in ("site_name", "site_description", "site_author", "copyright"):
        if isinstance(config.get(key), str):
            config[key] = escape(config[key])
    return config


def on_nav(nav, config, files):
    """Nav titles (checklist and product names among them) escaped: MkDocs and Material print them raw."""

    def walk(items) -> None:
        for item in items:
            if isinstance(item, Page):
                if "title" in vars(item):  # given in the nav; otherwise the page's own (front matter) title
                    item.title = escape(item.title)
            elif item.title is not None:
                item.title = escape(item.title)
            if isinstance(item, Section):
                walk(item.children)

    walk(nav.items)
    return nav


def _prerendered(page) -> str:
    """The page's HTML, decompressed (or read from its file) each time it is needed rather than kept:
    MkDocs prepares every page before writing any, and a thousand pages held as text would take
    hundreds of megabytes."""
    if isinstance(page.file, _Kept):
        return page.file.body()
    body, _meta = get_data(page.file.content_string)
    return body


class _Kept(File):
    """A release page the build keeps in memory (see site.write_docs), compressed until it is read."""

    front = ""  # the front matter block the text starts with
    _outline: "str | bytes" = ""  # the text cut down to its outline (see outline()), or cache.encode of it
    _source: "str | bytes | hookstate.Spilled" = ""  # the text, or cache.encode(text), or where that is

    @property
    def outline(self) -> str:
        """All the table of contents and search read of the page."""
        return self._outline if isinstance(self._outline, str) else decode(self._outline)

    @property
    def content_string(self) -> str:
        source = self._source
        if isinstance(source, str):
            return source
        return decode(source if isinstance(source, bytes) else source.read())

    @property
    def content_bytes(self) -> bytes:
        return self.content_string.encode("utf-8")

    def body(self, outline: bool = False) -> str:
        """The text (or its outline) after the front matter, as MkDocs' meta.get_data cuts it."""
        text = self.outline if outline else self.content_string
        return text[len(self.front):].lstrip("\n")


def search_entries(text) -> "list | None":
    """Search entries as the cache holds them, or None for anything but a list of the plugin's entry shape."""
    try:
        entries = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
    fields = {"location": str, "title": str, "text": str, "tags": list, "boost": (int, float)}
    if not isinstance(entries, list) or not all(
            isinstance(e, dict) and {"location", "title", "text"} <= e.keys() and
            all(k in fields and isinstance(v, fields[k]) for k, v in e.items()) for e in entries):
        return None
    return entries


def _search_from_cache(index, state) -> None:
    """Material's search parses every page's HTML for its entries (seconds for a long history's pages, most
    unchanged since the last build): the entries of a page are kept in the build cache under a hash of all
    they are made from (the HTML search sees, toc, URL, title, search and tags meta, the theme's inputs); a
    release page's, like its finished HTML, under its content's key and the theme's (and so a page outside
    the navigation's, pages.Output.alone). The entries of pages MkDocs is not given (state.skipped) go in
    where MkDocs would have indexed them (hookstate.order_key): release pages come last (see on_files), in
    the order of their paths; the others where MkDocs' walk of the docs folder puts them."""
    parse = index.add_entry_from_context
    waiting = collections.deque(sorted(state.skipped, key=lambda src: hookstate.order_key(state, src)))

    def skipped_before(src_uri: "str | None") -> None:
        place = hookstate.order_key(state, src_uri) if src_uri is not None else None
        while waiting and (place is None or hookstate.order_key(state, waiting[0]) < place):
            index.entries.extend(state.skipped[waiting.popleft()])

    def add_entry_from_context(page) -> None:
        src_uri = page.file.src_uri
        skipped_before(src_uri)
        content_key = state.page_keys.get(src_uri) or state.markdown_keys.get(src_uri)
        if content_key:
            entry = state.search_key(src_uri, content_key)
        else:
            def outline(items) -> list:
                return [(t.id, t.title, t.url, outline(t.children)) for t in items]

            meta = {k: page.meta.get(k) for k in ("title", "search", "tags")}
            entry = key("search entries", state.theme_key, page.url, page.title, repr(meta), outline(page.toc),
                        hashlib.sha256(page.content.encode("utf-8", "surrogatepass")).hexdigest())
        cached = search_entries(state.cache.get(entry))
        if cached is not None:
            index.entries.extend(cached)
            return
        before = len(index.entries)
        parse(page)
        if state.store is not None:
            state.store.put(entry, json.dumps(index.entries[before:], ensure_ascii=False))

    index.add_entry_from_context = add_entry_from_context
    state.after_pages.append(lambda: skipped_before(None))


def on_files(files, config):
    """Release pages the build keeps in memory take their places in the docs, in the order of their paths
    (the order of the search index), whichever of them came from the cache."""
    state = hookstate.current
    if state is not None and state.cache is not None:
        for plugin in config.plugins.values():
            index = getattr(plugin, "search_index", None)
            if isinstance(getattr(index, "entries", None), list) and hasattr(index, "add_entry_from_context"):
                _search_from_cache(index, state)
    for src_uri, (front, shape, source) in sorted(state.sources.items() if state else ()):
        kept = _Kept.generated(config, src_uri, content="")
        kept.front, kept._outline, kept._source = front, shape, source
        files.append(kept)
    return files


def _sitemap(state, config):
    """The sitemap's pages (the theme's sitemap.xml lists them): the release pages MkDocs was not given stand
    in its list, at their places, as pages of their own, so the sitemap is the one a full build writes."""

    def pages(files) -> list:
        listed = [f.page for f in files]
        if not state.skipped:
            return listed
        listed += [Page(None, File.generated(config, src, content=""), config) for src in state.skipped]
        return sorted(listed, key=lambda p: hookstate.order_key(state, p.file.src_uri))

    return pages


def on_env(env, config, files):
    state = hookstate.current
    if state is not None:
        env.globals["readiness_sitemap"] = _sitemap(state, config)
    return env


@event_priority(100)
def on_post_build(config):
    """Before the search plugin writes its index (at 0): the entries of the last pages MkDocs was not given."""
    state = hookstate.current
    if state is None:
        return
    for step in state.after_pages:
        step()
    state.after_pages.clear()


def on_page_read_source(page, config):
    """Of a kept page MkDocs reads only the front matter: the body reaches the theme through these hooks."""
    return page.file.front if isinstance(page.file, _Kept) else None


def on_page_markdown(markdown, page, config, files):
    # Front matter holds the title as plain text; Material prints `page.meta.title` as HTML (in <title>, the
    # header and, for a section without a heading, the search entry).
    if isinstance(page.meta.get("title"), str):
        page.meta["title"] = escape(page.meta["title"])
    if not page.meta.get(FLAG):
        text, mark, held = markdown.partition(f"\n{STASH}\n")
        if mark:
            parts = FRAGMENT.split(held)  # "", number, "-search" or None, block, number, ...
            page.readiness_stash = {int(n): (bool(search), block[:-1] if block.endswith("\n") else block)
                                    for n, search, block in zip(parts[1::3], parts[2::3], parts[3::3])}
        state = hookstate.current
        content_key = state.markdown_keys.get(page.file.src_uri) if state else None
        if content_key:  # finished, it is stored for a rebuild that can leave it out (BuildState.skip)
            page.readiness_final = state.final_key(page.file.src_uri, content_key)
        return text
    page.readiness_prerendered = True
    state = hookstate.current
    content_key = state.page_keys.get(page.file.src_uri) if state else None
    if content_key:
        # The finished page is a function of its content and of what every page shares (the theme's inputs):
        # when the last build made it, the theme renders a stub and the page is taken from the cache. The
        # docs file then holds only the page's outline (see outline()), all the table of contents and
        # search need.
        page.readiness_final = state.final_key(page.file.src_uri, content_key)
        if page.file.src_uri in state.finished:
            page.readiness_cached = True
            page.meta["template"] = CACHED_TEMPLATE
    return ""


def outline(page: str) -> str:
    """What the hooks read of a pre-rendered page whose finished HTML is cached: its title, summary and
    headings, in the same markup, so the table of contents and the search entry come out the same."""
    summary = _SUMMARY.search(page)
    parts = [summary.group(1), f"<!--rd-summary-->{summary.group(2)}<!--/rd-summary-->"] if summary else []
    parts += [m.group(0) + "></a></h" + m.group(1) + ">" for m in _HEADING.finditer(page)]
    return "\n".join(parts) + "\n"


def _put_back(html_content: str, page, search: bool) -> str:
    """Replace the placeholders of held-back blocks (only those marked for search, when `search`)."""
    held = getattr(page, "readiness_stash", None) or {}
    for n, (for_search, block) in list(held.items()):
        mark = PLACEHOLDER.format(n)
        if (for_search or not search) and mark in html_content:
            html_content = html_content.replace(mark, block, 1)
            del held[n]
    return html_content


def on_page_content(html_content, page, config, files):
    if not getattr(page, "readiness_prerendered", False):
        _safe_toc(page.toc)
        return _put_back(html_content, page, search=True)
    # The search entry comes from the summary: a kept page's outline has it (and the headings, see _toc).
    full = _outline_of(page)
    summary = _SUMMARY.search(full)
    # Search (at the default priority) indexes what this returns; the full page is put back afterwards.
    return (summary.group(1) + summary.group(2)) if summary else full


def _outline_of(page) -> str:
    """What the table of contents and search read of a pre-rendered page: its outline when it is kept."""
    return page.file.body(outline=True) if isinstance(page.file, _Kept) else _prerendered(page)


@event_priority(100)
def _toc(context, page, config, nav):
    """Before search (0) reads it: a pre-rendered page's table of contents, from its headings. Made here and
    dropped once the page is written (see _finished_page), not with its content: MkDocs holds every page
    from the first content to the last page written, and a release page's toc is kilobytes of titles."""
    if getattr(page, "readiness_prerendered", False):
        page.toc = get_toc(_toc_tokens(_outline_of(page)))
    return context


@event_priority(-100)
def _context(context, page, config, nav):
    if not isinstance(page.meta.get("title"), str):
        # Without front matter Material puts `page.title | striptags` into <title>, and striptags decodes
        # what was escaped: give it the escaped text instead.
        page.meta["title"] = escape(text_of(str(page.title or "")))
    if getattr(page, "readiness_prerendered", False):
        if not getattr(page, "readiness_cached", False):
            page.content = _prerendered(page)
    elif getattr(page, "readiness_stash", None):
        page.content = _put_back(page.content, page, search=False)
        if page.readiness_stash:  # a placeholder Markdown did not keep as it was: fail rather than lose a table
            log.warning("readiness: %s lost %d held-back HTML blocks", page.file.src_uri, len(page.readiness_stash))
    return context


_HOLE = "<!--rd-content-->"


@event_priority(-40)
def _hold_back_rows(output, page, config):
    """Before the privacy plugin (-50) parses the page: hold back the content after the summary.

    The privacy plugin parses every page's HTML for external assets; a release page is hundreds of table
    rows that readiness rendered with no asset in them (user Markdown never renders images). It checks the
    page's theme chrome and summary; the rows are put back afterwards, unchanged.
    """
    if not getattr(page, "readiness_prerendered", False) or getattr(page, "readiness_cached", False):
        return output
    start = output.find("<!--/rd-summary-->")
    end = output.find("</article>", start)
    if start < 0 or end < 0:
        return output
    page.readiness_rows = output[start:end]
    return output[:start] + _HOLE + output[end:]


@event_priority(-60)
def _put_back_rows(output, page, config):
    rows = getattr(page, "readiness_rows", None)
    if rows is None:
        return output
    # The page is written from what this returns; search indexed its summary earlier. MkDocs would keep
    # the content of every page until the end of the build, hundreds of megabytes for a long history.
    page.readiness_rows = None
    page.content = None
    return output.replace(_HOLE, rows, 1)


@event_priority(-1000)
def _finished_page(output, page, config):
    """After every other plugin: the finished page from the cache, or this one stored for the next build."""
    if getattr(page, "readiness_prerendered", False):
        page.toc = get_toc([])  # written: nothing reads it again (see _toc)
    entry = getattr(page, "readiness_final", None)
    state = hookstate.current
    if entry is None or state is None:
        return output
    if getattr(page, "readiness_cached", False):
        # The same page in the previous site, checked against the cache's hash, is linked: nothing to write
        # (MkDocs writes no file for an empty page).
        if state.previous is not None and state.previous.link(page.file.dest_uri, entry, Path(page.file.abs_dest_path)):
            return ""
        cached = state.cache.get(entry)
        if cached is None:  # gone since it was found: fail rather than publish the stub
            log.warning("readiness: the build cache lost %s; build again, or with --no-cache", page.file.src_uri)
            return output
        return cached
    if state.store is not None:
        state.store.put(entry, output, digest=True)
    return output


on_page_context = CombinedEvent(_toc, _context)
on_post_page = CombinedEvent(_hold_back_rows, _put_back_rows, _finished_page)


def _toc_tokens(content: str) -> list[dict]:
    """Table-of-contents tokens (as Python-Markdown's toc extension makes them) from h2 and h3 headings."""
    tokens: list[dict] = []
    for level, anchor, inner in _HEADING.findall(content):
        token = {"level": int(level), "id": anchor, "name": escape(text_of(inner)), "children": []}
        if token["level"] == 3 and tokens:
            tokens[-1]["children"].append(token)
        else:
            tokens.append(token)
    return tokens
