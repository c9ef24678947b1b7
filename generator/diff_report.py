"""`readiness diff` as text for a terminal and as GitHub Markdown for a pull request comment or run summary.

The markup is in templates/diff/. Every value that comes from a results file or checklist (names,
notes, ids, messages) is put in a Markdown code span, where GitHub renders no formatting, links,
images, @-mentions or issue references; evidence becomes a link only when it is a plain http(s) URL.
The Markdown output is kept under a length budget: past COLLAPSE_AT characters each release's details
fold into <details>, and past the budget whole releases' details are left out, with a line that names
them and says how to see everything.
"""

from __future__ import annotations

import functools
import html
import re
import urllib.parse

import jinja2

from generator.diff import Report
from generator.errors import printable
from generator.render import TEMPLATES

GITHUB_COMMENT_LIMIT = 65_536  # characters in a pull request comment
DEFAULT_BUDGET = 50_000  # well under the limit: a bot may add its own header, and the count is checked in bytes
COLLAPSE_AT = 3_000
MAX_ROWS = 50  # table rows per release; the rest is counted, and is in --json
_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#@!$&*+,;=%]+\Z")


def code(value, cell: bool = False) -> str:
    """A Markdown code span holding `value` literally (one line); `cell`: also safe inside a table cell."""
    text = printable(" ".join(str(value).split()))
    if cell:
        text = text.replace("|", "\\|")  # GFM splits cells on | even inside code spans
    if not text:
        return "` `"
    fence = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or (text[0] == " " and text[-1] == " ") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def link(url, label: str = "link") -> str:
    """A Markdown link for an http(s) URL of plain characters; anything else as a code span."""
    if url and _URL.match(str(url)) and urllib.parse.urlsplit(str(url)).netloc:
        return f"[{label}]({str(url).replace('(', '%28').replace(')', '%29')})"
    return code(url, cell=True) if url else ""


def change_arrow(before, after, missing: str = "—") -> str:
    """`before → after`, or just the value when it did not change."""
    b = missing if before is None else before
    a = missing if after is None else after
    return str(a) if b == a else f"{b} → {a}"


def percent(value) -> str:
    return "—" if value is None else f"{value:.1f} %"


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """Templates for plain text and GitHub Markdown: no HTML autoescaping; the filters above escape."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES / "diff"), undefined=jinja2.StrictUndefined,
                             autoescape=False, extensions=["jinja2.ext.do"], trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(code=code, link=link, arrow=change_arrow, percent=percent, plain=printable,
                       html=lambda v: html.escape(printable(str(v))))
    return env


def _context(report: Report) -> dict:
    return {"report": report, "max_rows": MAX_ROWS}


def render_text(report: Report) -> str:
    """The report for a terminal: every change, one line each, control characters shown as escapes."""
    return environment().get_template("diff.txt.j2").render(**_context(report))


def _priority(r) -> tuple:
    return (not r.regression, not r.new_errors)


def render_markdown(report: Report, budget: int = DEFAULT_BUDGET) -> str:
    """The report for a pull request comment or $GITHUB_STEP_SUMMARY, at most `budget` UTF-8 bytes."""
    env = environment()
    module = env.get_template("diff.md.j2").make_module(_context(report))
    head = str(module.header(report))
    collapsed = len(head) + sum(len(str(module.release(r, False))) for r in report.releases) > COLLAPSE_AT
    blocks = {r.name: str(module.release(r, collapsed)) for r in report.releases}
    # Releases that regressed or gained an error finding keep their details first; then HEAD's order.
    room = budget - len(head.encode()) - 600  # the closing line that says what was cut
    kept: set[str] = set()
    for r in sorted(report.releases, key=_priority):
        size = len(blocks[r.name].encode())
        if size <= room:
            kept.add(r.name)
            room -= size
    cut = [r.name for r in report.releases if r.name not in kept]
    text = env.get_template("diff.md.j2").render(
        **_context(report), blocks=[blocks[r.name] for r in report.releases if r.name in kept], cut=cut,
        budget=budget).lstrip("\n")
    encoded = text.encode()
    if len(encoded) > budget:  # only a header larger than the budget gets here (thousands of releases)
        text = encoded[: budget - 200].decode("utf-8", "ignore").rsplit("\n", 1)[0] + \
            "\n\n**Cut here to stay within the length limit;** run `readiness diff` locally for everything.\n"
    return text
