"""`readiness schema`: a JSON Schema (draft-07) for the results files of one checklist, for editors.

The schema mirrors the loader in `generator.results`, which stays the source of truth: it is built from
the same key lists, statuses, units and patterns, and `tests/test_schema.py` feeds the same good and bad
files to both. What a JSON Schema cannot express (secrets, duplicate keys, anchors, the file name, time
zone and calendar validity, ...) is listed in docs/workflow.md and asserted there as known differences.

Draft-07 because yaml-language-server (VS Code's YAML extension, and the YAML support of most other
editors) supports JSON Schema up to draft-07. The output is the same bytes on every run for the same
checklist file: keys are emitted in a fixed insertion order (the checklist's order for ids).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional, Union

from generator.checklist import load_checklist
from generator.errors import InputError, Location, Problem, UsageError, display_path
from generator.ids import RELEASE_NAME
from generator.model import STATUSES, Checklist, Criterion, Group, Item, Section
from generator.results import (ENTRY_KEYS, LAUNCH_KEYS, MAX_VALUE, SIGNOFF_KEYS, TOP_KEYS, UNIT_FACTORS,
                               did_you_mean)

DRAFT = "http://json-schema.org/draft-07/schema#"

# ECMA-262 patterns (JSON Schema has no regex flags): ASCII classes spelled out, case folded by hand.
RELEASE_PATTERN = "^" + RELEASE_NAME.pattern.replace(r"\Z", "") + "$"
_MONTH_DAY = "(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
# What `date.fromisoformat` / `datetime.fromisoformat` accept in their common forms; YAML 1.1 readers
# turn a plain date into a date object, which tools see as this ISO text.
DATE_PATTERN = (r"^\s*[0-9]{4}-" + _MONTH_DAY
                + r"([Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)?)?\s*$")
TIME_PATTERN = "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"  # results._TIME
TIMEZONE_PATTERN = "^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$"  # results._valid_timezone, before the lookup
EVIDENCE_PATTERN = r"^\s*[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#]+\S*\s*$"  # http(s), a host, no blanks inside
_NAME = RELEASE_NAME.pattern.replace(r"\Z", "")
CARRIED_PATTERN = f"^{_NAME}(/{_NAME})?$"  # results._carried_from: a release, or product/release
TEXT_PATTERN = r"\S"  # not empty, not only blanks
_NUMBER = r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?"  # results._VALUE's number

DEFS = "#/definitions/"
SCHEMA_DIR = ".readiness"  # where docs/workflow.md tells users to save `readiness schema`'s output


def _ref(name: str) -> dict:
    return {"$ref": DEFS + name}


def _described(name: str, description: str) -> dict:
    """A reference with its own description (draft-07 ignores keywords beside `$ref`, so wrap it)."""
    return {"description": description, "allOf": [_ref(name)]}


def _any_case(word: str) -> str:
    """`ms` -> `[mM][sS]`: a case-insensitive match without regex flags."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else ("%" if c == "%" else c) for c in word)


def value_pattern(criterion: Criterion) -> str:
    """A measured value as text: a number and, optionally, a unit of the threshold's kind ("2400 ms")."""
    kind = UNIT_FACTORS[criterion.unit.lower()][0]
    units = sorted((u for u, (k, _) in UNIT_FACTORS.items() if k == kind), key=lambda u: (-len(u), u))
    # No minus sign: a measured value is not negative (results.parse_value).
    return r"^\s*" + _NUMBER.replace("[-+]?", "\\+?", 1) + r"\s*(" + "|".join(_any_case(u) for u in units) + r")?\s*$"


def _example(c: Criterion) -> str:
    return f"{c.threshold:g} {c.unit}" if c.unit != "%" else f"{c.threshold:g}%"


# --- shared definitions ---------------------------------------------------------------


def _definitions() -> dict:
    # `patternErrorMessage` and `errorMessage` are yaml-language-server's (and VS Code's) own keywords for a
    # clearer message; validators that do not know them ignore them, as draft-07 allows.
    text = {"type": "string", "pattern": TEXT_PATTERN, "patternErrorMessage": "Empty: fill it in or remove the key."}
    return {
        "status": {
            "description": "done, pending, failed, n/a (needs `reason` unless the item is optional or "
                           "\"(if ...)\"), waived (needs `reason`, `approved_by` and `expires`).",
            "enum": list(STATUSES),
        },
        "text": dict(text, description="Text; quote values YAML would read as something else "
                                       "(yes, no, 1.10, 12:30)."),
        "markdown": dict(text, description="Markdown, rendered safely on the site."),
        "date": {"type": "string", "pattern": DATE_PATTERN,
                 "patternErrorMessage": "Not a date: write it as YYYY-MM-DD, e.g. 2026-01-21.",
                 "description": "An ISO 8601 date such as 2026-01-21, quoted or not."},
        "evidence": {"type": "string", "pattern": EVIDENCE_PATTERN,
                     "patternErrorMessage": "Evidence must be an http:// or https:// link.",
                     "description": "An http:// or https:// link to the evidence (a CI run, a ticket, a report)."},
        "carriedFrom": {"type": "string", "pattern": CARRIED_PATTERN,
                        "patternErrorMessage": "A release name such as 3.1.0 (product/release with products)."},
        "waiverRule": {
            "if": {"properties": {"status": {"const": "waived"}}, "required": ["status"]},
            "then": {"required": ["reason", "approved_by", "expires"]},
            "else": {"properties": {"approved_by": False, "expires": False}},
        },
        "reasonRule": {
            "if": {"properties": {"status": {"const": "n/a"}}, "required": ["status"]},
            "then": {"required": ["reason"]},
        },
        "signoff": {
            "type": "object",
            "additionalProperties": False,
            "required": list(SIGNOFF_KEYS),
            "properties": {
                "name": _described("text", "Who signed."),
                "date": _described("date", "When they signed."),
            },
        },
    }


def _entry_properties(criterion: Optional[Criterion] = None) -> dict:
    descriptions = {
        "status": None,
        "by": "Who did or checked it.",
        "date": "When it was done.",
        "evidence": None,
        "note": "A note in Markdown.",
        "reason": "Why: required for n/a (unless optional or \"(if ...)\") and for waived.",
        "approved_by": "Who approved the waiver (waived only).",
        "expires": "When the waiver expires (waived only); an expired waiver makes the verdict NO.",
        "carried_from": "The release `readiness new --from` copied this entry from: not re-verified for this "
                        "release. Remove the key once the entry is confirmed (with by, date and evidence).",
    }
    kinds = {"status": "status", "by": "text", "date": "date", "evidence": "evidence", "note": "markdown",
             "reason": "text", "approved_by": "text", "expires": "date", "carried_from": "carriedFrom"}
    props: dict = {}
    for key in ENTRY_KEYS:
        if key == "value":
            if criterion is not None:
                props[key] = {
                    "description": f"The measured value for `{criterion.text}`: a number in {criterion.unit}, "
                                   f"or text with a unit of the same kind (\"{_example(criterion)}\"). "
                                   "The status is computed from it.",
                    "type": ["number", "string"],  # `pattern` applies to the text only, the range to numbers
                    "minimum": 0,
                    "maximum": MAX_VALUE,
                    "pattern": value_pattern(criterion),
                    "patternErrorMessage": f"Not a measured value: a number, or a number with a unit of the "
                                           f"threshold's kind, e.g. \"{_example(criterion)}\".",
                }
            continue
        props[key] = _described(kinds[key], descriptions[key]) if descriptions[key] else _ref(kinds[key])
    return props


def _criterion_rules(c: Criterion) -> list:
    """Draft-07 rules for a criterion's status and value, as `_check_entry` applies them."""
    threshold = int(c.threshold) if float(c.threshold).is_integer() else c.threshold
    met = {"<": "exclusiveMaximum", "<=": "maximum", ">": "exclusiveMinimum", ">=": "minimum"}[c.op]
    missed = {"<": "minimum", "<=": "exclusiveMinimum", ">": "maximum", ">=": "exclusiveMaximum"}[c.op]
    number_with = lambda status: {  # noqa: E731 - a small schema builder
        "properties": {"status": {"const": status}, "value": {"type": "number"}}, "required": ["status", "value"]}
    return [
        # done or failed is computed: it needs a measured value.
        {"if": {"properties": {"status": {"enum": ["done", "failed"]}}, "required": ["status"]},
         "then": {"required": ["value"]}},
        # a value computes done or failed, never pending.
        {"if": {"required": ["value", "status"]},
         "then": {"properties": {"status": {"not": {"const": "pending"}}}}},
        # a status that contradicts a plain-number value (text with a unit cannot be compared here).
        {"if": number_with("done"), "then": {"properties": {"value": {met: threshold}}}},
        {"if": number_with("failed"), "then": {"properties": {"value": {missed: threshold}}}},
    ]


def _mapping(conditional: bool, criterion: Optional[Criterion]) -> dict:
    rules = [_ref("waiverRule")]
    if not conditional:
        rules.append(_ref("reasonRule"))
    if criterion is not None:
        rules.extend(_criterion_rules(criterion))
    return {"type": "object", "additionalProperties": False, "properties": _entry_properties(criterion),
            "allOf": rules}


def _scalar_statuses(conditional: bool, criterion: bool) -> list[str]:
    """Statuses that may stand alone: a waiver always needs its fields, n/a a reason unless conditional."""
    allowed = ["pending"] if criterion else ["done", "pending", "failed"]
    if conditional:
        allowed.append("n/a")
    return [s for s in STATUSES if s in allowed]


def _scalar_message(alone: list[str], conditional: bool, criterion: bool) -> str:
    """Why a status written on its own is refused, and what to write instead."""
    hints = []
    if criterion:
        hints.append("done and failed are computed: give {value: ...}")
    if not conditional:
        hints.append("n/a needs a reason: {status: n/a, reason: ...}")
    hints.append("waived needs {status: waived, reason: ..., approved_by: ..., expires: YYYY-MM-DD}")
    use = f"{' or '.join(alone)} or a measured number" if criterion else f"one of {', '.join(alone)}"
    return f"Use {use}; " + "; ".join(hints) + "."


# --- per-checklist parts -----------------------------------------------------------------


def _trails(checklist: Checklist) -> dict[str, tuple[str, ...]]:
    """Every id -> the section and group ids above it, outermost first."""
    trails: dict[str, tuple[str, ...]] = {}

    def walk(node, trail: tuple[str, ...]) -> None:
        trails[node.id] = trail
        if not isinstance(node, Item):
            for child in node.children:
                walk(child, trail + (node.id,))

    for section in checklist.sections:
        walk(section, ())
    return trails


def _entry_schema(checklist: Checklist, node: Union[Section, Group, Item], trail: tuple[str, ...],
                  defs: dict) -> dict:
    conditional = node.id in checklist.conditional_ids
    criterion = node.criterion if isinstance(node, Item) else None
    where = " › ".join(checklist.nodes[a].plain for a in trail)
    notes: list[str] = []
    if isinstance(node, Item):
        kind = "Item"
    else:
        count = len(checklist.items_under(node.id))
        kind = "Section" if isinstance(node, Section) else "Group"
        notes.append(f"Sets every item under it ({count}); the most specific entry wins.")
    if criterion is not None:
        notes.append(f"Criterion `{criterion.text}`: give `value:` (e.g. `{_example(criterion)}`); "
                     "its status is computed.")
    if conditional:
        notes.append("May be `n/a` without a reason.")
    plain = f"{kind}: {node.plain}" + (f" ({where})" if where else "")
    markdown = f"**{kind}**" + (f" in {where}" if where else "") + f"\n\n{node.text}"
    alone = _scalar_statuses(conditional, criterion is not None)
    scalar = {"enum": alone, "errorMessage": _scalar_message(alone, conditional, criterion is not None)}
    if criterion is not None:
        # Numbered, not named after the id: a `/` in a definition name would need `~1` in the reference.
        name = f"criterion{sum(1 for d in defs if d.startswith('criterion')) + 1}"
        defs[name] = dict({"$comment": f"the mapping form of {node.id}"}, **_mapping(conditional, criterion))
        shapes = [scalar, {"type": "number"}, _ref(name)]
    else:
        shapes = [scalar, _ref("conditionalEntry" if conditional else "entry")]
    return {
        "description": f"{plain}. {' '.join(notes)}" if notes else plain,
        "markdownDescription": "\n\n".join([markdown] + notes),
        "anyOf": shapes,
    }


def results_schema(checklist: Checklist, several: bool = False) -> dict:
    """The JSON Schema (draft-07) of a results file for `checklist`.

    `several` says the repository has more than one checklist, so `checklist:` is required.
    """
    defs = _definitions()
    defs["entry"] = _mapping(conditional=False, criterion=None)
    defs["conditionalEntry"] = _mapping(conditional=True, criterion=None)
    trails = _trails(checklist)
    items = {node_id: _entry_schema(checklist, node, trails[node_id], defs)
             for node_id, node in checklist.nodes.items()}
    roles = {
        role.id: {
            "description": f"Sign-off of the {role.label}: {{name, date}}; empty until signed.",
            "anyOf": [{"type": "null"}, _ref("signoff")],
        }
        for role in checklist.roles
    }
    launch_props = {
        "date": _described("date", "The launch date; the verdict is evaluated on it."),
        "time": {"type": "string", "pattern": TIME_PATTERN,
                 "patternErrorMessage": "Not a time: write it as \"HH:MM\" (24-hour clock), in quotes.",
                 "description": "Local time as \"HH:MM\" (24-hour clock), in quotes."},
        "timezone": {"type": "string", "pattern": TIMEZONE_PATTERN,
                     "patternErrorMessage": "Not a time zone: use an IANA name such as Europe/Berlin, or UTC.",
                     "description": "An IANA time zone such as Europe/Berlin, or UTC.",
                     "examples": ["UTC", "Europe/Berlin", "America/New_York"]},
        "deployed_by": _described("text", "Who deployed."),
        "notes": _described("markdown", "Launch notes in Markdown."),
    }
    assert tuple(launch_props) == LAUNCH_KEYS
    properties = {
        "release": {"type": "string", "pattern": RELEASE_PATTERN,
                    "patternErrorMessage": "A release name is ASCII letters, digits and . _ + - (starting with a "
                                           "letter or digit).",
                    "description": "The release name; must equal the file name without .yaml. Quote it: "
                                   "release: \"1.10\"."},
        "checklist": {"enum": [checklist.name],
                      "description": f"The checklist these results are for (checklists/{checklist.name}.md)"
                                     + ("." if several else "; may be omitted, the repository has one.")},
        "level": {"enum": [level.id for level in checklist.levels],
                  "description": "The level the release is held to: only items required at it count."},
        "items": {"type": ["object", "null"], "additionalProperties": False, "properties": items,
                  "description": "Item, group or section id -> a status or {status, by, date, evidence, note, "
                                 "...}. Everything not listed is pending."},
        "signoffs": {"type": ["object", "null"], "additionalProperties": False, "properties": roles,
                     "description": "Role id -> {name, date}."},
        "launch": {"type": ["object", "null"], "additionalProperties": False, "properties": launch_props,
                   "description": "When and by whom the release went out."},
    }
    if not checklist.levels:
        del properties["level"]  # a checklist without levels takes no `level:`
    assert tuple(properties) == tuple(k for k in TOP_KEYS if k in properties)
    return {
        "$schema": DRAFT,
        "title": f"readiness results for checklist {checklist.name}",
        "description": f"A results file (results/<release>.yaml) for {checklist.title} ({checklist.path}). "
                       "`readiness check` is the authority; this schema is for editors.",
        "$comment": f"Generated by `readiness schema --checklist {checklist.name}` from {checklist.path} "
                    f"(sha256 {checklist.sha256}); regenerate when the checklist changes.",
        "type": "object",
        "additionalProperties": False,
        "required": ["release", "checklist"] if several else ["release"],
        "properties": properties,
        "definitions": defs,
    }


def dumps(schema: dict) -> str:
    """Stable JSON text: insertion order, two-space indent, UTF-8 characters kept, a final newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


# --- choosing the checklist ----------------------------------------------------------------


def checklist_sources(root: Path) -> dict[str, Path]:
    """checklists/*.md by name, sorted."""
    folder = root / "checklists"
    return {p.stem: p for p in sorted(folder.glob("*.md"))} if folder.is_dir() else {}


def schema_text(root: Path, name: Optional[str]) -> str:
    """The schema for checklist `name` (or the only checklist) under `root`, as JSON text.

    Raises UsageError for a missing or unknown --checklist, InputError when the checklist has errors.
    Only the chosen checklist is parsed, so a broken other checklist does not stand in the way.
    """
    if not root.is_dir():
        raise InputError([Problem(Location(str(root)), "no such directory; point --root at a readiness repository")])
    sources = checklist_sources(root)
    if not sources:
        raise InputError([Problem(Location("checklists/"), "no checklist found; add one such as "
                                  "checklists/production.md")])
    if name is None:
        if len(sources) > 1:
            raise UsageError(f"several checklists: choose one with --checklist ({', '.join(sources)})")
        name = next(iter(sources))
    if name not in sources:
        hint = did_you_mean(name, sources) or f"; have {', '.join(sources)}"
        raise UsageError(f"--checklist: no checklist `{name}`{hint}")
    path = sources[name]
    checklist, _warnings = load_checklist(path, display_path(path, root))
    return dumps(results_schema(checklist, several=len(sources) > 1))


def saved_schema_path(root: Path, name: str) -> Path:
    """Where the schema of checklist `name` is saved for editors: .readiness/<name>.schema.json."""
    return root / SCHEMA_DIR / f"{name}.schema.json"


def stale_saved_schema(root: Path, checklist: Checklist, several: bool) -> Optional[Problem]:
    """A warning when the saved schema exists but is not what `readiness schema` prints for this checklist now."""
    path = saved_schema_path(root, checklist.name)
    try:
        saved = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return Problem(Location(display_path(path, root)), f"cannot be read ({exc.strerror or exc})", "warning")
    if saved == dumps(results_schema(checklist, several)).encode("utf-8"):
        return None
    shown = display_path(path, root)
    return Problem(Location(shown), f"out of date with {checklist.path}; regenerate it with "
                   f"`readiness schema --checklist {checklist.name} > {shown}`", "warning")
