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
def find_secret(text: str) -> Optional[tuple[str, str]]:
    """(kind, redacted value) of the first secret in the text, or None; cached, since names and reasons repeat."""
    for number, line in enumerate(text.splitlines() or [text], start=1):
        for plugin in _plugins():
            for found in plugin.analyze_line(filename="results.yaml", line=line, line_number=number, context=None):
                return found.type, redact(found.secret_value or line)
    return None


def redact(value: str) -> str:
    """Enough of a secret to find it in the file, not enough to use it."""
    value = value.strip()
    if len(value) <= 8:
        return "****"
    return f"{value[:4]}…{'*' * 4}"
