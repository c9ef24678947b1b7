"""Secret detection for text fields, with detect-secrets' maintained detectors (keys, tokens, passwords)."""

from __future__ import annotations

import functools
from typing import Optional

# Public IP addresses are not credentials; notes often name a server.
_SKIPPED = {"IPPublicDetector"}


@functools.lru_cache(maxsize=1)
def _plugins() -> tuple:
    from detect_secrets.settings import default_settings, get_plugins

    with default_settings():
        return tuple(p for p in get_plugins() if type(p).__name__ not in _SKIPPED)


@functools.lru_cache(maxsize=65536)
def find_secret(text: str) -> Optional[tuple[str, str, int]]:
    """(kind, redacted value, line offset in the text) of the first secret, or None; cached, as values repeat."""
    for offset, line in enumerate(text.splitlines() or [text]):
        for plugin in _plugins():
            for found in plugin.analyze_line(filename="results.yaml", line=line, line_number=offset + 1, context=None):
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
