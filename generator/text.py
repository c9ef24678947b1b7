"""Text policy for invisible and direction characters: refused in results files, dropped for display, ignored
when names are compared (docs/decisions.md, "Invisible and direction characters").
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Optional

# Embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) make text display in another order than
# it is stored ("Trojan Source"). The marks U+200E, U+200F and U+061C only nudge neutral characters, as
# right-to-left writing needs, and stay.
DIRECTION_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): characters that show nothing. Format
# characters (category Cf) are tested separately, by category.
_IGNORABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]")
# Joiners that Persian, Indic and emoji writing needs inside words; a name may hold them.
_JOINERS = {"\u200c", "\u200d"}
NAME_FIELDS = ("by", "approved_by", "name", "deployed_by")
# Scripts whose letters pass for Latin ones: a word mixing them with Latin is how a look-alike name is made.
_LOOK_ALIKE_SCRIPTS = ("CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE")


def _describe(ch: str) -> str:
    try:
        return f"U+{ord(ch):04X} {unicodedata.name(ch)}"
    except ValueError:
        return f"U+{ord(ch):04X}"


def _invisible(ch: str) -> bool:
    return ch not in _JOINERS and (unicodedata.category(ch) == "Cf" or bool(_IGNORABLE.match(ch)))


def _script(ch: str) -> str:
    try:
        return unicodedata.name(ch).split(" ", 1)[0]
    except ValueError:
        return ""


def text_problem(text: str, name: bool = False) -> Optional[str]:
    """Why a text of a results file is refused, or None: a direction control anywhere; in a name (of a
    signer, approver, deployer, or whoever did an item) also an invisible character or a word that mixes
    Latin letters with look-alike letters of another script."""
    if text.isascii():
        return None
    found = DIRECTION_CONTROLS.search(text)
    if found:
        return (f"has {_describe(found.group())} at character {found.start() + 1}; direction controls make text "
                "show in another order than it is written; remove it")
    if not name:
        return None
    for i, ch in enumerate(text):
        if _invisible(ch):
            return (f"has the invisible character {_describe(ch)} at character {i + 1}; a name shows every "
                    "character it has; remove it")
    for word in text.split():
        scripts = {_script(ch) for ch in word if ch.isalpha()}
        other = scripts.intersection(_LOOK_ALIKE_SCRIPTS)
        if "LATIN" in scripts and other:
            ch = next(c for c in word if _script(c) in other)
            return (f"mixes Latin letters with {_describe(ch)} in the word `{word}`; write each word of a name "
                    "in one script")
    return None


@functools.lru_cache(maxsize=4096)
def comparable(name: str) -> str:
    """A name as compared with another: NFKC, case folded, with invisible and format characters and all
    whitespace dropped (a filler or zero-width space may stand where a space was, or where none was), so
    "Ada\u200bLove\u3164lace" and "ADA  LOVELACE" are the same person as "Ada Lovelace"."""
    text = visible(unicodedata.normalize("NFKC", name).casefold())
    return unicodedata.normalize("NFKC", "".join(text.split()))


def visible(text: str) -> str:
    """Text without its invisible and format characters (joiners included): what is left when it is copied
    by eye, and what a secret scan must see."""
    if text.isascii():
        return text
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf" and not _IGNORABLE.match(ch))


def displayed(text: str) -> str:
    """Text as a page shows it: direction controls dropped, so what is read is what is stored."""
    return text if text.isascii() else DIRECTION_CONTROLS.sub("", text)
