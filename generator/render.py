"""Render stage: the Jinja2 environment and safe rendering of user Markdown; returns text, writes nothing."""

from __future__ import annotations

import functools
import html
import re
from pathlib import Path

import jinja2
import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from generator.secrets import secret_free
from generator.text import displayed

TEMPLATES = Path(__file__).parent / "templates"
URL_SCHEMES = {"http", "https", "mailto"}
# Characters Python-Markdown gives meaning to; escaping them keeps user text literal in Markdown context.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|])")
# A Markdown page's large HTML blocks follow its text after STASH, each after a FRAGMENT marker; the text
# keeps a placeholder per block. mkdocs_hooks.py puts them back after Python-Markdown, which would
# otherwise re-parse every table row of a long history (seconds per page at a thousand releases).
STASH = "<!--rd-stash-->"
PLACEHOLDER = "<!--rd-stash-{}-->"
FRAGMENT = re.compile(r"<!--rd-fragment-(\d+)(-search)?-->\n")


@functools.lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # html off: raw HTML in notes is shown as text, never passed through. Images off: the site must
    # not load anything from another host, so `![alt](url)` stays text and the URL stays a plain link.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable("image")


def _clean(rendered: str) -> str:
    return nh3.clean(rendered, url_schemes=URL_SCHEMES, link_rel="noopener noreferrer nofollow")


def markdown_block(text: str | None) -> Markup:
    """User Markdown (notes) as sanitised HTML: CommonMark without raw HTML, then nh3 with http/https/mailto only."""
    if not text:
        return Markup("")
    return Markup(_clean(_markdown().render(displayed(text))).strip())


@functools.lru_cache(maxsize=16384)
def markdown_inline(text: str | None) -> Markup:
    """One line of user Markdown (item text) as sanitised inline HTML; cached: item texts repeat on every release."""
    if not text:
        return Markup("")
    return Markup(_clean(_markdown().renderInline(displayed(text))).strip())


def markdown_text(text: str) -> Markup:
    """Plain text made literal for a Markdown context such as a heading: escaped for Markdown, then for HTML."""
    escaped = _MD_SPECIAL.sub(r"\\\1", html.escape(" ".join(displayed(str(text)).split()), quote=False))
    return Markup(escaped)


@jinja2.pass_context
def stash(context, html: str, search: bool = False) -> Markup:
    """Hold back a large HTML block from Markdown: a placeholder here, the block after the page's text.

    `search=True` blocks are put back before MkDocs' search indexes the page, the others after it."""
    blocks = context["_stash"]
    blocks.append((search, str(html).strip("\n")))
    return Markup(PLACEHOLDER.format(len(blocks) - 1) + "\n")  # a line of its own: Markdown reads on after it


def _with_stash(text: str, blocks: list) -> str:
    if not blocks:
        return text
    held = "".join(f"<!--rd-fragment-{i}{'-search' if search else ''}-->\n{html}\n"
                   for i, (search, html) in enumerate(blocks))
    return f"{text.rstrip()}\n\n{STASH}\n{held}"


def wbr(text: str) -> Markup:
    """An id or path that may wrap only after a `/` (a hyphen already allows a break after it), never inside a
    word: escaped, with <wbr> after each slash."""
    return Markup(html.escape(displayed(str(text)), quote=False).replace("/", "/<wbr>"))


def percent(value: float) -> str:
    """A progress percentage as displayed: one decimal."""
    return f"{value:.1f} %"


def css_token(text: str) -> str:
    """A value usable in a class name: `NEEDS REVIEW` -> `needs-review`, `n/a` -> `na`."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("n/a", "na")).strip("-")


def _finalize(value):
    """Every value a template prints: plain text without direction controls (text.displayed), before it is
    escaped. Markup is left alone: it was made from text that went through the filters above."""
    if type(value) is str and not value.isascii():
        return displayed(value)
    return value


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """Templates with StrictUndefined and autoescaping on, so user text is escaped unless made safe above."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        # Pages are HTML inside Markdown: escape everything. The results scaffold is YAML: escape nothing.
        autoescape=jinja2.select_autoescape(enabled_extensions=("md.j2", "html.j2", "svg.j2"), disabled_extensions=("yaml.j2",),
                                            default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
        extensions=["jinja2.ext.do"],  # `{% do list.append(x) %}`: small lists built where they are shown
    )
    env.filters.update(
        md_block=markdown_block,
        md_inline=markdown_inline,
        md_text=markdown_text,
        stash=stash,
        percent=percent,
        wbr=wbr,
        css=css_token,
        escape_attr=html.escape,
        status_badge=status_badge,
        item_row_start=item_row_start,
        release_row=release_row,
        secret_free=secret_free,
    )
    return env


@functools.lru_cache(maxsize=16384)
def _macro(name: str, *args) -> Markup:
    """A macro of _macros.html.j2, rendered once per arguments: release pages repeat them on every row."""
    return Markup(getattr(environment().get_template("_macros.html.j2").module, name)(*args))


def status_badge(status: str, expired: bool = False) -> Markup:
    """The `status` macro of _macros.html.j2."""
    return _macro("status", status, expired)


def item_row_start(result, depth: int) -> Markup:
    """The `item_row_start` macro of _macros.html.j2 for an item's result at a depth in its checklist."""
    return _macro("item_row_start", result.item.id, result.item.text, min(depth, 3), result.status, result.expired)


_BASE = "@base@"  # no release name has an @ (ids.RELEASE_NAME)


@functools.lru_cache(maxsize=65536)
def _release_row(*args) -> str:
    return str(_macro.__wrapped__("release_row", *args, _BASE))


def release_row(e, base: str) -> Markup:
    """The `release_row` macro of _macros.html.j2 for an evaluation: the dashboard, the releases page and a
    product's page list the same releases under other bases, so each row is rendered once and the marker
    replaced (a Jinja call per cell made these tables most of an index build: 6.6 s at 2,000 releases)."""
    launch = e.release.launch.date if e.launched else None
    expired = sum(1 for r in e.reasons if r.kind == "expired")
    row = _release_row(e.release.name, e.verdict, e.counts, launch, len(e.signoffs) - len(e.unsigned),
                       len(e.signoffs), expired, len(e.unsigned))
    return Markup(row.replace(_BASE, html.escape(base)))


def render(template: str, context: dict) -> str:
    """Render one template with its context."""
    blocks: list = []
    text = environment().get_template(template).render(**context, _stash=blocks)
    return _with_stash(text, blocks)
