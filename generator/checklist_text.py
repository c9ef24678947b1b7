"""Checklist text: an inline token's display, plain and id text, references, placeholders, conditions."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Optional

from markdown_it import MarkdownIt
from markdown_it.common.normalize_url import normalizeLink
from markdown_it.common.utils import normalizeReference
from markdown_it.token import Token

from generator.errors import Location, Problems

_PINNED = re.compile(r"\s*\{#([^{}\s]*)\}\s*$")
_PAREN_TAIL = re.compile(r"\s*\(([^()]*)\)\s*$")
# The id rule of before: only these tail parentheticals leave the id, so ids stay as they were.
_ID_CONDITION = re.compile(r"optional|if(\s+\S+){1,5}", re.IGNORECASE)
_PARENTHETICAL = re.compile(r"\(([^()]*)\)")
_CONDITION_WORDS = re.compile(r"(?<![\w-])(?<!not )(?<!non-)optional(?!\w)|^(?:if|only)(?:\s|$)", re.IGNORECASE)
_PLACEHOLDER = re.compile(
    r"(?:[.…\s_*\\-]*|(?:todo|tbd|tbc|fixme|xxx)\b\s*(?::.*)?|<[^<>]*>|\[[^\[\]]*\]|\{\{?[^{}]*\}\}?)\Z",
    re.IGNORECASE | re.DOTALL,
)


@dataclass
class Text:
    """An inline run: raw Markdown (references resolved), plain text for display, prose outside code spans,
    the text ids are made from, and a pinned id."""

    raw: str
    plain: str
    prose: str
    pinned: Optional[str]
    idtext: str = ""

    @classmethod
    def of(cls, text: str) -> "Text":
        return cls(text, text, text, None, text)


def inline_text(token: Token, refs: Optional[dict] = None) -> Text:
    """Raw, plain and code-free text of an inline token, with a trailing `{#id}` split off.

    `refs` is markdown-it's `env["references"]`: reference-style links are written out inline in `raw`.
    """
    raw = token.content
    for child in token.children or []:
        if child.type == "html_inline" and child.content.startswith("<!--"):
            # A comment is no part of the text; shown as written, it would print literally on the pages.
            raw = raw.replace(child.content, "", 1)
    raw = resolve_references(raw.strip(), refs or {})
    plain_parts: list[str] = []
    prose_parts: list[str] = []
    id_parts: list[str] = []
    for child in token.children or []:
        if child.type == "text":
            plain_parts.append(child.content)
            prose_parts.append(child.content)
            id_parts.append(child.content)
        elif child.type == "code_inline":
            plain_parts.append(child.content)
            prose_parts.append(" ")
            id_parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            for parts in (plain_parts, prose_parts, id_parts):
                parts.append(" ")
        elif child.type == "image":
            plain_parts.append(child.content)
            id_parts.append(child.content)
    plain, prose, idtext = (" ".join("".join(p).split()) for p in (plain_parts, prose_parts, id_parts))
    pinned = None
    m = _PINNED.search(raw)
    if m:
        pinned = m.group(1)
        raw = raw[: m.start()].rstrip()
        plain, prose, idtext = (_PINNED.sub("", t).rstrip() for t in (plain, prose, idtext))
    return Text(raw, plain, prose, pinned, idtext)


_INLINE = MarkdownIt("commonmark", {"html": True})


def as_written(raw: str) -> str:
    """An item's text as plain text that keeps inline `<placeholders>`, for the results scaffold's comments (a
    YAML comment, never a page: `plain` leaves raw HTML out because pages and their outlines show it)."""
    parts: list[str] = []
    for token in _INLINE.parseInline(raw):
        for child in token.children or []:
            if child.type in ("text", "code_inline", "image"):
                parts.append(child.content)
            elif child.type == "html_inline" and not child.content.startswith("<!--"):
                parts.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                parts.append(" ")
    return " ".join("".join(parts).split())


# --- reference-style links ----------------------------------------------------


def _closing_bracket(text: str, start: int) -> int:
    """Index of the `]` matching the `[` at `start`, skipping escapes and code spans; -1 if none."""
    depth, i = 0, start
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "`":
            run = len(text[i:]) - len(text[i:].lstrip("`"))
            end = text.find("`" * run, i + run)
            i = (end + run) if end >= 0 else i + run
            continue
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _destination(ref: dict) -> str:
    href = normalizeLink(ref["href"]).replace(">", "%3E").replace("<", "%3C")
    title = ref.get("title") or ""
    if title:
        title = title.replace("\\", "\\\\").replace('"', '\\"')
        return f'(<{href}> "{title}")'
    return f"(<{href}>)"


def resolve_references(raw: str, refs: dict) -> str:
    """`[text][label]`, `[label][]` and `[label]` written inline, so an item's text shows its links on its own."""
    if "[" not in raw:
        return raw
    if not refs:
        return raw
    out: list[str] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\":
            out.append(raw[i: i + 2])
            i += 2
            continue
        if ch == "`":
            run = len(raw[i:]) - len(raw[i:].lstrip("`"))
            end = raw.find("`" * run, i + run)
            stop = (end + run) if end >= 0 else i + run
            out.append(raw[i:stop])
            i = stop
            continue
        if ch != "[":
            out.append(ch)
            i += 1
            continue
        close = _closing_bracket(raw, i)
        if close < 0:
            out.append(raw[i:])
            break
        inner = raw[i + 1: close]
        after = close + 1
        label, end = None, after
        if raw.startswith("[", after):
            label_close = raw.find("]", after)
            if label_close > after and "[" not in raw[after + 1: label_close]:
                label = raw[after + 1: label_close] or inner
                end = label_close + 1
        elif not raw.startswith("(", after) and not raw.startswith(":", after):
            label = inner
        ref = refs.get(normalizeReference(label)) if label and label.strip() else None
        if ref is None:
            out.append("[" + resolve_references(inner, refs) + "]")
            i = after
            continue
        out.append("[" + resolve_references(inner, refs) + "]" + _destination(ref))
        i = end
    return "".join(out)


# --- placeholders and conditions -----------------------------------------------


def is_placeholder(text: Text) -> bool:
    """A template's stand-in for an item: empty, `...`, `TODO`, `<fill in>`, `[item]`, `{{ var }}`, blanks."""
    return not text.pinned and bool(_PLACEHOLDER.fullmatch(text.plain.strip()))


def is_conditional(text: str) -> bool:
    """Whether a parenthetical in the text says "optional" or starts with "if" or "only", in any case."""
    for m in _PARENTHETICAL.finditer(text):
        inner = m.group(1).strip().strip("*_ ").strip()
        if _CONDITION_WORDS.search(inner):
            return True
    return False


def id_source(text: str) -> str:
    """The text without its trailing "(optional)" / "(if ...)" parentheticals, for the id."""
    kept: list[str] = []
    rest = text
    while True:
        m = _PAREN_TAIL.search(rest)
        if not m:
            break
        if not _ID_CONDITION.fullmatch(m.group(1).strip()):
            kept.insert(0, m.group(0))
        rest = rest[: m.start()]
    return rest + "".join(kept)


def shown(text: Text) -> str:
    """An item's text as quoted in a message: at most 60 characters."""
    return text.raw if len(text.raw) <= 60 else text.raw[:57] + "..."


# --- mojibake ------------------------------------------------------------------


_MOJIBAKE_ENCODINGS = (("mac_roman", "Mac Roman"), ("cp1252", "Windows-1252"))


def mojibake(line: str) -> Optional[tuple[str, str]]:
    """(likely intended text, wrong encoding) when a line reads as UTF-8 bytes decoded with a legacy code page."""
    if line.isascii():
        return None
    candidates = []
    for codec, label in _MOJIBAKE_ENCODINGS:
        try:
            fixed = line.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if fixed != line and not fixed.isascii():
            # Marks and control characters are what a wrong guess produces; the fewest wins.
            odd = sum(1 for ch in fixed if unicodedata.category(ch)[0] in "MC")
            candidates.append((odd, fixed, label))
    if not candidates:
        return None
    _, fixed, label = min(candidates, key=lambda c: c[0])
    return fixed, label


def warn_mojibake(text: str, path: str, problems: Problems) -> None:
    """A warning for each line that reads as UTF-8 decoded with a legacy code page."""
    for number, line in enumerate(re.split(r"\r\n|\r|\n", text), start=1):  # lines as markdown-it counts them
        found = mojibake(line)
        if found:
            problems.warning(Location(path, number, 1), f"text looks garbled (UTF-8 read as {found[1]}); "
                             f"did you mean `{found[0].strip()}`? Re-save the file as UTF-8")
