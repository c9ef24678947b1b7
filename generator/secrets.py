"""Secret detection for text fields and checklists, with detect-secrets' maintained detectors (keys, tokens,
passwords). Text is scanned as a reader would copy it: invisible characters dropped and compatibility
forms folded (NFKC), so a key split by a zero-width space or written in full-width letters is still found.
"""

from __future__ import annotations

import functools
import unicodedata
from typing import Optional

from generator.errors import Location, Problems
from generator.text import visible

# Public IP addresses are not credentials; notes often name a server.
_SKIPPED = {"IPPublicDetector"}


@functools.lru_cache(maxsize=1)
def _plugins() -> tuple:
    from detect_secrets.settings import default_settings, get_plugins

    with default_settings():
        return tuple(p for p in get_plugins() if type(p).__name__ not in _SKIPPED)


# Every keyword of detect-secrets' KeywordDetector contains one of these (it matches case-insensitively,
# and casefold maps the look-alikes its regexes treat as equal, such as U+017F for s, to ASCII).
_KEYWORD_PARTS = ("key", "pass", "pwd", "secret", "contrase")


def _has_keyword(line: str) -> bool:
    folded = line.casefold()
    return any(part in folded for part in _KEYWORD_PARTS)


def _quoted(line: str) -> bool:
    return '"' in line or "'" in line


def _always(line: str) -> bool:
    return True


@functools.lru_cache(maxsize=1)
def _gated() -> tuple:
    """Each plugin with a cheap test that holds for every line it could report (most values pass none).

    A detector reports only what its regular expressions match, so a line none of them can match is
    skipped without the detector's per-line machinery: a long history has a hundred thousand unique
    evidence links, and scanning each with every detector took seconds. tests/test_secrets.py checks
    that the gated scan finds exactly what the full scan finds.
    """
    from detect_secrets.plugins.base import RegexBasedDetector
    from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin
    from detect_secrets.plugins.jwt import JwtTokenDetector
    from detect_secrets.plugins.keyword import KeywordDetector

    out = []
    for plugin in _plugins():
        kind = type(plugin)
        if kind is KeywordDetector and plugin.keyword_exclude is None:
            gate = _has_keyword
        elif isinstance(plugin, HighEntropyStringsPlugin) and kind.analyze_string is HighEntropyStringsPlugin.analyze_string:
            gate = _quoted  # it looks only at quoted strings unless asked for an eager search
        elif isinstance(plugin, RegexBasedDetector) and (kind.analyze_string is RegexBasedDetector.analyze_string
                                                         or kind is JwtTokenDetector):
            gate = functools.partial(_any_match, tuple(plugin.denylist))
        else:
            gate = _always
        out.append((plugin, gate))
    return tuple(out)


def _any_match(patterns: tuple, line: str) -> bool:
    for pattern in patterns:
        if pattern.search(line):
            return True
    return False


@functools.lru_cache(maxsize=1)
def _all_patterns() -> Optional[tuple]:
    """Every regular expression the gates test, so a line none of them (nor a keyword or quote) matches is
    passed over in one loop; None when some detector has no gate and must see every line."""
    if any(gate is _always for _plugin, gate in _gated()):
        return None
    return tuple(p for _plugin, gate in _gated() if isinstance(gate, functools.partial) for p in gate.args[0])


def _scan_line(line: str, offset: int, gated: bool = True):
    patterns = _all_patterns() if gated else None
    if patterns is not None and not _has_keyword(line) and not _quoted(line) and not _any_match(patterns, line):
        return None  # no detector's gate holds: most values (links, names, notes) end here
    for plugin, gate in _gated():
        if gated and not gate(line):
            continue
        for found in plugin.analyze_line(filename="results.yaml", line=line, line_number=offset + 1, context=None):
            return found
    return None


@functools.lru_cache(maxsize=65536)
def find_secret(text: str, gated: bool = True) -> Optional[tuple[str, str, int]]:
    """(kind, redacted value, line offset in the text) of the first secret, or None; cached, as values repeat.

    `gated=False` runs every detector on every line (the reference the gated scan is tested against)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", visible(text))
    for offset, line in enumerate(text.splitlines() or [text]):
        found = _scan_line(line, offset, gated)
        if found is not None:
            return found.type, redact(_token_around(line, found.secret_value or line)), offset
    return None


def _token_around(line: str, fragment: str) -> str:
    """The whitespace-delimited token holding what a detector matched (some capture only a prefix like `ghp`)."""
    at = line.find(fragment)
    if at < 0:
        return fragment
    start = at
    while start > 0 and not line[start - 1].isspace():
        start -= 1
    end = at + len(fragment)
    while end < len(line) and not line[end].isspace():
        end += 1
    token = line[start:end]
    # Keep `password=` style keys out of the shown prefix: show from the value on.
    for sep in ("=", ":"):
        if sep in token and not token.startswith("http"):
            token = token.split(sep, 1)[1] or token
    return token


def redact(value: str) -> str:
    """Enough of a secret to find it in the file, not enough to use it."""
    value = value.strip()
    if len(value) <= 8:
        return "****"
    return f"{value[:4]}…{'*' * 4}"


ADVICE = "remove it from the file, rotate the credential, and link to where it is kept instead"


def scan_checklist(text: str, path: str, problems: Problems) -> None:
    """Every line of a checklist that holds a secret, as an error: checklist text is published on every page
    that shows its items, in the exports and in the search index."""
    for number, line in enumerate(text.splitlines(), start=1):
        found = find_secret(line)
        if found is None:
            continue
        kind, redacted, _offset = found
        # The column of the secret in the line as written, where it can be found (not when characters
        # inside it were dropped or folded for the scan).
        start = line.find(redacted[:4]) if not redacted.startswith("*") else -1
        problems.error(Location(path, number, start + 1 if start >= 0 else 1),
                       f"looks like a secret ({kind}: {redacted}); {ADVICE}")


def secret_free(text: str) -> str:
    """Text from git (a commit subject) as a page may show it: history cannot be rewritten to take a pasted
    key out, so a text that holds one is replaced by a note naming the kind and the redacted value."""
    found = find_secret(text) if text else None
    if found is None:
        return text
    return f"(not shown: looks like a secret ({found[0]}: {found[1]}))"
