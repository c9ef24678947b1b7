"""Sign-off roles: which headings open a sign-off block, and which lines in it name a role."""

from __future__ import annotations

import re
from typing import Optional

from generator.ids import slugify

_CORE = r"(?:sign-offs?|signoffs?|sign-off-sheet|approvals?|approvers|reviewers|signatures?)"
# "Sign-off", "📝 Sign-Off", "5. Signatures", "Sign-off and approval": every task item under it is a role.
_SIGNOFF_SLUG = re.compile(r"(?:\d+-)*" + _CORE + r"(?:-and-" + _CORE + r")?\Z")
# "Release approvals", "Go-live sign-off": only lines written as roles (`**QA Lead:** ____`) are roles.
_QUALIFIED_SLUG = re.compile(r"(?:\d+-)*(?:[^\W\d_][^\W_]*-){1,2}" + _CORE + r"(?:-and-" + _CORE + r")?\Z")
_BOLD_LABEL = re.compile(r"(\*\*|__)(?P<label>.+?)\1(?P<rest>.*)\Z", re.DOTALL)
_BLANKS = re.compile(r"(?P<b1>[\s_*]*)(?:Date\s*:?(?P<b2>[\s_*]*))?\Z", re.IGNORECASE)
# A form's fields, not roles: `Name: ____`, `Date: ____` under a role line.
FIELD_WORDS = {"name", "names", "date", "dates", "signature", "signed", "sign", "title", "designation", "decision",
               "comment", "comments", "note", "notes", "email", "e-mail", "time", "status", "role", "roles",
               "approvers", "approvals", "approval", "signatures", "sign-off", "sign-offs", "signoff", "version",
               "reviewers", "mandatory", "optional", "required"}
_FILLER = re.compile(
    r"(?:[\s_*.\-–—/|:]|\\.|\[[^\[\]]*\]|<[^<>]*>|`[^`]*`|\([^()]*\)|\{\{[^{}]*\}\}|\{[^{}]*\}"
    r"|(?<![^\W_])(?:date|signature|signed|name|title|time|decision|comments?|go|no-go)(?![^\W_]))*\Z",
    re.IGNORECASE,
)
_MAX_ROLE_WORDS = 5
# What a role's name ends in: under a heading such as "Required sign-offs", `- [ ] Product owner` is a role while
# `- [ ] Smoke tests passed` is a check.
ROLE_NOUNS = {
    "lead", "leads", "owner", "owners", "manager", "managers", "engineer", "engineering", "officer", "director",
    "head", "architect", "approver", "reviewer", "sponsor", "admin", "administrator", "team", "qa", "sre", "devops",
    "security", "legal", "compliance", "product", "support", "operations", "ops", "on-call", "oncall", "cto", "ceo",
    "cio", "ciso", "cfo", "coo", "vp", "president", "analyst", "steward", "champion", "coordinator",
    "representative", "signatory", "developer", "designer", "tester", "chair", "board", "committee", "customer",
    "client", "stakeholder", "finance", "marketing", "sales", "platform", "frontend", "backend", "infrastructure",
    "privacy", "sponsor", "executive", "partner", "auditor", "specialist", "consultant", "dba", "pm", "po",
}


STRICT, QUALIFIED = "strict", "qualified"


def signoff_kind(text: str) -> Optional[str]:
    """Whether a heading opens a sign-off block: STRICT for Sign-off, Signoff, Approvals, Signatures (numbered or
    not); QUALIFIED with one or two words before (Release approvals); None otherwise."""
    slug = slugify(text)
    if _SIGNOFF_SLUG.fullmatch(slug):
        return STRICT
    if _QUALIFIED_SLUG.fullmatch(slug):
        return QUALIFIED
    return None


def is_signoff_heading(text: str) -> bool:
    return signoff_kind(text) is not None


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


def _ends_in_role_noun(label: str) -> bool:
    words = slugify(re.sub(r"\([^()]*\)", " ", label)).split("-")
    return bool(words) and (words[-1] in ROLE_NOUNS or "-".join(words[-2:]) in ROLE_NOUNS)


def line_role(raw: str, bare: bool = True) -> Optional[str]:
    """The role a line under a sign-off heading names, whatever its form: `**QA Lead:** ___ Date: ___`,
    `QA Lead: ________`, `- Product:`, a table row's first cell, and a short label on its own (if not `bare`, only
    one ending in a role's noun: "Product owner", not "Smoke tests passed"); None for prose, fields and blanks."""
    strict = role_label(raw)
    if strict is not None:
        return strict
    text = raw.strip()
    if "\n" in text:
        return None
    label, colon, rest = text.partition(":")
    label = re.sub(r"(\*\*|__|\*|_|`)", "", label).strip()
    label = re.sub(r"^[-–—•]\s*", "", label).strip()
    rest = rest.replace("\\_", "_")
    if not label or not _FILLER.fullmatch(rest):
        return None
    if not any(ch.isalpha() for ch in label) or label[-1] in ".!?,;" or _FILLER.fullmatch(label):
        return None
    if "<" in label or ">" in label or "](" in label:  # markup or a link is prose, not a role's name
        return None
    if len(label.split()) > _MAX_ROLE_WORDS or slugify(label) in FIELD_WORDS:
        return None
    if not colon and not bare and not _ends_in_role_noun(label):
        return None
    return label
