"""Slugs for checklist ids, the name rule (releases, products, checklists) and version ordering."""

from __future__ import annotations

import functools
import re
import unicodedata

from packaging.version import InvalidVersion, Version

MAX_SLUG = 64
MAX_ID = 100
_MIN_LEAF = 24  # what an over-long id keeps of its own slug before its parents' slugs are cut too
_APOSTROPHES = str.maketrans("", "", "'\u2019\u02bc")
_WORD = re.compile(r"[^\W_]+")
RELEASE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*\Z")
# Names the site gives its own files in the folders where release, product and checklist names become
# folders (releases/index.md beside releases/<name>/): compared case-folded, as macOS and Windows do.
RESERVED_NAMES = ("index.md", "index.html")
PINNED_ID = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*\Z")


@functools.lru_cache(maxsize=65536)  # a text is slugged once per parse stage, and per checklist version
def slugify(text: str) -> str:
    """Lower-case words of letters and digits joined by `-`, accents and punctuation dropped, at most 64 chars."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = _WORD.findall(bare.translate(_APOSTROPHES).casefold())
    slug = "-".join(words)
    if len(slug) <= MAX_SLUG:
        return slug
    cut = slug.rfind("-", 0, MAX_SLUG + 1)
    # A single word longer than the limit has no boundary to cut at.
    return slug[:cut] if cut > 0 else slug[:MAX_SLUG]


def _cut(slug: str, size: int) -> str:
    """A slug cut to at most `size` characters, at a `-` boundary when there is one."""
    if len(slug) <= size:
        return slug
    cut = slug.rfind("-", 0, size + 1)
    return slug[:cut] if cut > 0 else slug[:size]


def join_id(parent: str | None, slug: str) -> str:
    """`parent/slug`, at most MAX_ID characters: an id that fits is never changed; a longer one loses words from
    the end of its own slug first (down to a few words), then from the longest of its parents' slugs."""
    full = f"{parent}/{slug}" if parent else slug
    if len(full) <= MAX_ID:
        return full
    segments = (parent.split("/") if parent else []) + [slug]
    prefix = len(full) - len(slug)
    segments[-1] = _cut(slug, max(_MIN_LEAF, MAX_ID - prefix))
    while len("/".join(segments)) > MAX_ID:
        longest = max(range(len(segments)), key=lambda k: (len(segments[k]), k))
        over = len("/".join(segments)) - MAX_ID
        segments[longest] = _cut(segments[longest], max(1, len(segments[longest]) - over))
    return "/".join(s for s in segments if s)


def version_key(name: str) -> tuple:
    """Sort key: PEP 440 order where the name is a version, else natural order (2.10 after 2.9)."""
    try:
        return (0, Version(name), name)
    except InvalidVersion:
        parts = re.split(r"(\d+)", name.casefold())
        return (1, tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p), name)


def name_problem(name: str, kind: str = "release") -> str | None:
    """Why a release, product or checklist name is refused, naming the first offending character; None when
    it is fine. Every name that becomes a path, a page or a git request passes this one rule."""
    if RELEASE_NAME.match(name):
        if name.casefold() in RESERVED_NAMES:
            return (f"{kind} name `{name}` is reserved: the site names its own pages {' and '.join(RESERVED_NAMES)}; "
                    "choose another name")
        return None
    if not name:
        return f"{kind} name is empty"
    for i, ch in enumerate(name):
        allowed = ch.isascii() and (ch.isalnum() or (i > 0 and ch in "._+-"))
        if not allowed:
            try:
                what = f"U+{ord(ch):04X} {unicodedata.name(ch)}"
            except ValueError:
                what = f"U+{ord(ch):04X}"
            return (f"{kind} name `{name}` has `{ch}` ({what}) at position {i + 1}; use ASCII letters, digits "
                    "and . _ + - (starting with a letter or digit)")
    return f"{kind} name `{name}` is not allowed"


def release_name_problem(name: str) -> str | None:
    """Why a release name is refused (see name_problem); None when it is fine."""
    return name_problem(name, "release")
