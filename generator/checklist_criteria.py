"""Criteria: the threshold an item's text states, with an operator or its word form, and a unit."""

from __future__ import annotations

import re
from typing import Optional

from generator.model import Criterion

_UNITS = r"ms|seconds|second|secs|sec|s|minutes|min|%|KB|MB|GB"
# Longest forms first, so "no more than" is not read as "more than".
_WORDS = (
    (r"no\s+more\s+than|not\s+more\s+than", "<="),
    (r"no\s+less\s+than|not\s+less\s+than|no\s+fewer\s+than", ">="),
    (r"at\s+least|minimum\s+of", ">="),
    (r"at\s+most|maximum\s+of", "<="),
    (r"(?:[a-z]*n['’]t|not|never)\s+(?:to\s+)?exceed(?:s|ing)?|not\s+exceeding", "<="),
    (r"more\s+than|greater\s+than|above|over", ">"),
    (r"less\s+than|fewer\s+than|below|under", "<"),
)
_WORD_GROUPS = "|".join(f"(?P<w{i}>{pattern})" for i, (pattern, _) in enumerate(_WORDS))
# At most 12 digits either side of the point: a longer number states no threshold anything is measured against.
_THRESHOLD = re.compile(
    r"(?:(?P<op><=|>=|≤|≥|<|>)|(?<![\w'])(?i:" + _WORD_GROUPS + r"))"
    r"\s*(?P<num>\d{1,12}(?:\.\d{1,12})?)\s*(?P<unit>" + _UNITS + r")(?![A-Za-z0-9])"
)
_OPS = {"≤": "<=", "≥": ">="}


def criterion(prose: str) -> Optional[Criterion]:
    """The threshold an item's prose states, if it compares a number with a unit ("< 3 s", "above 70%")."""
    m = _THRESHOLD.search(prose)
    if not m:
        return None
    if m.group("op"):
        op = _OPS.get(m.group("op"), m.group("op"))
    else:
        op = next(o for i, (_, o) in enumerate(_WORDS) if m.group(f"w{i}"))
    return Criterion(op, float(m.group("num")), m.group("unit"), m.group(0))
