"""Sign-off roles: which headings open a sign-off block, and which lines in it name a role."""

from __future__ import annotations

import re
from typing import Optional

from generator.ids import slugify

_CORE = r"(?:sign-offs?|signoffs?|sign-off-sheet|approvals?|approvers|signatures?)"
# "Sign-off", "📝 Sign-Off", "5. Signatures", "Release approvals", "Go-live sign-off", "Sign-off and approval".
_SIGNOFF_SLUG = re.compile(r"(?:\d+-)*(?:[^\W\d_][^\W_]*-){0,2}" + _CORE + r"(?:-and-" + _CORE + r")?\Z")
_BOLD_LABEL = re.compile(r"(\*\*|__)(?P<label>.+?)\1(?P<rest>.*)\Z", re.DOTALL)
_BLANKS = re.compile(r"(?P<b1>[\s_*]*)(?:Date\s*:?(?P<b2>[\s_*]*))?\Z", re.IGNORECASE)
# A form's fields, not roles: `Name: ____`, `Date: ____` under a role line.
FIELD_WORDS = {"name", "names", "date", "dates", "signature", "signed", "sign", "title", "designation", "decision",
               "comment", "comments", "note", "notes", "email", "e-mail", "time", "status", "role", "roles",
               "approvers", "approvals", "approval", "signatures", "sign-off", "sign-offs", "signoff", "version"}
_FILLER = re.compile(
    r"(?:[\s_*.\-–—/|:]|\\.|\[[^\[\]]*\]|<[^<>]*>|`[^`]*`|\([^()]*\)|\{\{[^{}]*\}\}"
    r"|(?<![^\W_])(?:date|signature|signed|name|title|time|decision|comments?|go|no-go)(?![^\W_]))*\Z",
    re.IGNORECASE,
)
_MAX_ROLE_WORDS = 5


def is_signoff_heading(text: str) -> bool:
    """Headings that open a sign-off block: Sign-off, Signoff, Approvals, Signatures, with up to two words before."""
    return bool(_SIGNOFF_SLUG.fullmatch(slugify(text)))


def role_label(raw: str) -> Optional[str]:
    """The label of a `**Label:** ____ Date: ___` sign-off line, or None if the line is not one."""
    m = _BOLD_LABEL.match(raw.strip())
    if not m:
        return None
    label, rest = m.group("label").strip(), m.group("rest")
    if label.endswith(":"):
        label = label[:-1].strip()
    elif rest.startswith(":"):
        rest = rest[1:]
    else:
        return None
    blanks = _BLANKS.fullmatch(rest.replace("\\", ""))
    if not label or not blanks:
        return None
    if sum(blanks.group("b1").count(c) for c in "_*") < 3:
        return None
    return label


def loose_label(raw: str) -> str:
    """A task item's role label under a sign-off heading: its text without bold markers, blanks and `Date:`."""
    text = raw.replace("\\", "")
    text = re.sub(r"[_*]{2,}|(?<!\w)[_*]|[_*](?!\w)", " ", text)
    text = re.sub(r"\bDate\s*:?\s*$", "", text.strip(), flags=re.IGNORECASE)
    return " ".join(text.split()).rstrip(":").strip()


def line_role(raw: str) -> Optional[str]:
    """The role a line under a sign-off heading names, whatever its form: `**QA Lead:** ___ Date: ___`,
    `QA Lead: ________`, `- Product:`, a table row's first cell; None for prose, fields and blanks."""
    strict = role_label(raw)
    if strict is not None:
        return strict
    text = raw.strip()
    if "\n" in text:
        return None
    label, _, rest = text.partition(":")
    label = re.sub(r"(\*\*|__|\*|_|`)", "", label).strip()
    label = re.sub(r"^[-–—•]\s*", "", label).strip()
    rest = rest.replace("\\_", "_")
    if not label or not _FILLER.fullmatch(rest):
        return None
    if not any(ch.isalpha() for ch in label) or label[-1] in ".!?,;" or _FILLER.fullmatch(label):
        return None
    if len(label.split()) > _MAX_ROLE_WORDS or slugify(label) in FIELD_WORDS:
        return None
    return label
