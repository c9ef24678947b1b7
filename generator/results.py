"""Load stage: a results YAML file -> Release, strictly, with the location of every problem."""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import hashlib
import math
import re
import sys
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union
from urllib.parse import urlsplit

import yaml

from generator.errors import InputError, Location, Problems
from generator.ids import release_name_problem
from generator.secrets import find_secret
from generator.source import MAX_INPUT_BYTES, read_input
from generator.text import NAME_FIELDS, text_problem
from generator.model import STATUSES, Checklist, Criterion, Entry, Item, Launch, Release, Signoff, iso_date

MAX_RESULTS_BYTES = MAX_INPUT_BYTES
TOP_KEYS = ("release", "checklist", "level", "items", "signoffs", "launch")
ENTRY_KEYS = ("status", "by", "date", "evidence", "note", "reason", "approved_by", "expires", "value", "carried_from")
SIGNOFF_KEYS = ("name", "date")
LAUNCH_KEYS = ("date", "time", "timezone", "deployed_by", "notes")
STATUS_SYNONYMS = {
    "passed": "done", "pass": "done", "ok": "done", "complete": "done", "completed": "done", "yes": "done",
    "true": "done", "fail": "failed", "no": "failed", "false": "failed", "todo": "pending", "open": "pending",
    "na": "n/a", "n.a.": "n/a", "none": "n/a", "skip": "n/a", "skipped": "n/a", "not applicable": "n/a",
    "waive": "waived", "exception": "waived", "accepted": "waived",
}
# Factors to a base unit, per dimension; a value may be written in any unit of its criterion's dimension.
UNIT_FACTORS = {
    "ms": ("time", 0.001), "s": ("time", 1.0), "sec": ("time", 1.0), "secs": ("time", 1.0),
    "second": ("time", 1.0), "seconds": ("time", 1.0), "min": ("time", 60.0), "minutes": ("time", 60.0),
    "%": ("ratio", 1.0), "kb": ("size", 1e3), "mb": ("size", 1e6), "gb": ("size", 1e9),
}
# Measured values are finite, not negative (no threshold is: a time, a size or a percentage below zero is a
# typo or a forgery that would "meet" every `<` threshold) and at most MAX_VALUE in the criterion's unit,
# far above any real measurement, so exports, charts and comparisons only ever see ordinary numbers.
MAX_VALUE = 10 ** 12
MAX_NUMBER_CHARS = 32  # a measurement needs far fewer digits; longer ones are refused before they are read
_DIMENSION = {"time": "duration", "size": "size", "ratio": "percentage"}
_VALUE = re.compile(r"\s*(?P<num>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(?P<unit>[A-Za-z%]*)\s*\Z")
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?\Z")
_YAML11_BOOL = re.compile(r"(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)\Z")
_RESOLVER = yaml.resolver.Resolver()
try:  # libyaml is much faster; the pure-Python parser gives the same events
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader


# --- a small node tree built from YAML events, so nothing is ever constructed from tags ---------


@dataclass
class _Scalar:
    value: str
    plain: bool
    at: tuple  # (path, line, col): made into a Location only when one is asked for (few nodes ever are)
    block: bool = False  # `|` or `>`: the text starts on the line after the indicator

    @property
    def loc(self) -> Location:
        return Location(*self.at)


@dataclass
class _Map:
    pairs: list[tuple["_Scalar", "_Node"]]
    at: tuple

    @property
    def loc(self) -> Location:
        return Location(*self.at)


@dataclass
class _Seq:
    items: list["_Node"] = field(default_factory=list)
    at: tuple = ()

    @property
    def loc(self) -> Optional[Location]:
        return Location(*self.at) if self.at else None


_Node = Union[_Scalar, _Map, _Seq]


_SPACE = re.compile(r"\s")


def _at(path: str, mark) -> tuple:
    """(path, line, col), 1-based, of a YAML mark: what a node keeps, and a Location is made from."""
    return (path, mark.line + 1, mark.column + 1) if mark else (path, 1, 1)


def _loc(path: str, mark) -> Location:
    return Location(*_at(path, mark))


def _parse(text: str, path: str, problems: Problems) -> Optional[_Node]:
    """YAML events -> node tree; anchors, aliases, tags and extra documents are errors.

    Any of them stops the read before a tree is built, so an alias bomb is never expanded and a tag is
    never acted on (values are only ever read from the event text, not constructed).
    """
    try:
        events = list(yaml.parse(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if mark is not None and 0 <= mark.index < len(text) and text[mark.index] == "\t":
            problems.error(_loc(path, mark), "tab character: YAML indents with spaces; replace the tab with spaces")
            return None
        if exc.context and "quoted scalar" in exc.context and exc.context_mark is not None:
            problems.error(_loc(path, exc.context_mark), "the quoted value starting here is never closed; "
                           "add the closing quote")
            return None
        what = exc.problem or "syntax error"
        if exc.context:
            what = f"{what} {exc.context}"
            if exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
                what += f" (line {exc.context_mark.line + 1})"
        problems.error(_loc(path, mark), f"invalid YAML: {what}")
        return None
    except yaml.YAMLError as exc:
        problems.error(Location(path), f"invalid YAML: {exc}")
        return None
    refused = False
    documents = 0
    seen_alias = seen_anchor = False
    for ev in events:  # locations are made only for the events that are reported
        if isinstance(ev, yaml.DocumentStartEvent):
            documents += 1
            if documents == 2:
                problems.error(_loc(path, ev.start_mark), "more than one YAML document; keep one results document per file")
                refused = True
        if isinstance(ev, yaml.AliasEvent):
            # Only the first is reported: an alias bomb would otherwise give thousands of lines.
            if not seen_alias:
                problems.error(_loc(path, ev.start_mark), f"YAML alias `*{ev.anchor}` is not allowed; write the value out in full")
            seen_alias = refused = True
        elif getattr(ev, "anchor", None):
            if not seen_anchor:
                problems.error(_loc(path, ev.start_mark), f"YAML anchor `&{ev.anchor}` is not allowed; write values out in full")
            seen_anchor = refused = True
        tag = getattr(ev, "tag", None)
        if tag is not None:
            # Only explicit tags reach events (`!!python/object`, `!!str`, `!custom`); none are needed.
            shown = "!!" + tag[len("tag:yaml.org,2002:"):] if tag.startswith("tag:yaml.org,2002:") else tag
            problems.error(_loc(path, ev.start_mark), f"YAML tag `{shown}` is not allowed; remove it")
            refused = True
    if refused:
        return None
    return _build(events, path)


def _build(events: list, path: str) -> Optional[_Node]:
    """Assemble scalars, mappings and sequences from a validated event list."""
    stack: list = []
    root: Optional[_Node] = None
    pending_key: list = []

    def attach(node):
        nonlocal root
        if not stack:
            root = node
            return
        parent = stack[-1]
        if isinstance(parent, _Seq):
            parent.items.append(node)
        elif pending_key[-1] is None:
            pending_key[-1] = node
        else:
            parent.pairs.append((pending_key[-1], node))
            pending_key[-1] = None

    for ev in events:
        if isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            stack.pop()
            pending_key.pop()
            continue
        if not isinstance(ev, (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            continue
        at = _at(path, ev.start_mark)
        if isinstance(ev, yaml.ScalarEvent):
            # Short values (statuses, names, dates) recur in every entry: one string object each, shared by
            # all of them (and by what the loading worker sends back), holds a fraction of the memory.
            value = sys.intern(ev.value) if len(ev.value) <= 64 else ev.value
            attach(_Scalar(value, not ev.style, at, ev.style in ("|", ">")))  # libyaml gives "" for plain, PyYAML None
        elif isinstance(ev, yaml.MappingStartEvent):
            node = _Map([], at)
            attach(node)
            stack.append(node)
            pending_key.append(None)
        elif isinstance(ev, yaml.SequenceStartEvent):
            node = _Seq([], at)
            attach(node)
            stack.append(node)
            pending_key.append(None)
    return root


def plain_data(text: str) -> object:
    """A results text as plain nested dicts, lists and strings (no types resolved), to compare two versions."""
    problems = Problems()
    node = _parse(text, "-", problems)

    def convert(n):
        if isinstance(n, _Scalar):
            return n.value
        if isinstance(n, _Seq):
            return [convert(x) for x in n.items]
        if isinstance(n, _Map):
            return {convert(k): convert(v) for k, v in n.pairs}
        return None

    return convert(node) if node is not None else None


def signoff_lines(text: str) -> dict[str, int]:
    """Role id -> the line of its entry under `signoffs:`, in a results text (no validation)."""
    node = _parse(text, "-", Problems())
    if not isinstance(node, _Map):
        return {}
    for key, value in node.pairs:
        if isinstance(key, _Scalar) and key.value == "signoffs" and isinstance(value, _Map):
            return {k.value: k.loc.line for k, _ in value.pairs if isinstance(k, _Scalar)}
    return {}


# --- typed reading of nodes ------------------------------------------------------


def did_you_mean(word: str, choices, n: int = 1) -> str:
    """`; did you mean 'x'?` for the closest choice, or an empty string."""
    close = difflib.get_close_matches(word, list(choices), n=n, cutoff=0.6)
    if not close:
        lowered = {c.casefold(): c for c in choices}
        if word.casefold() in lowered:
            close = [lowered[word.casefold()]]
    return f"; did you mean '{close[0]}'?" if close else ""


def _yaml11_type(node: _Scalar) -> Optional[str]:
    """What a YAML 1.1 reader would make of a plain scalar, if not a string: 'a boolean', 'a number'..."""
    return _plain_type(node.value) if node.plain else None


@functools.lru_cache(maxsize=65536)
def _plain_type(value: str) -> Optional[str]:
    """The YAML 1.1 type of a plain scalar's text; cached, as statuses, names and dates repeat in every file."""
    if value == "" or value in ("~", "null", "Null", "NULL"):
        return "empty"
    if _YAML11_BOOL.match(value):
        return "a boolean"
    tag = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))
    return {
        "tag:yaml.org,2002:int": "a number",
        "tag:yaml.org,2002:float": "a number",
        "tag:yaml.org,2002:bool": "a boolean",
        "tag:yaml.org,2002:timestamp": "a date",
    }.get(tag)


class _Reader:
    """Reads one results document against its checklist, collecting every problem."""

    def __init__(self, path: str, problems: Problems):
        self.path = path
        self.problems = problems

    def error(self, loc: Location, key: str, message: str) -> None:
        self.problems.error(loc, f"{key}: {message}" if key else message)

    @property
    def quiet(self) -> bool:
        """Past the problems shown for this file: further ones are counted, not given costly hints."""
        return self.problems.full(self.path)

    def mapping(self, node: _Node, key: str, allowed: tuple[str, ...]) -> dict[str, tuple[_Scalar, _Node]]:
        """A mapping's pairs by key; duplicate and unknown keys reported."""
        if not isinstance(node, _Map):
            self.error(node.loc, key, f"expected a mapping of {', '.join(allowed)}")
            return {}
        out: dict[str, tuple[_Scalar, _Node]] = {}
        for k, v in node.pairs:
            name = self.key(k, key)
            if name is None:
                continue
            if name in out:
                first = out[name][0].loc
                self.error(k.loc, _join(key, name), f"duplicate key (first on line {first.line})")
                continue
            if name not in allowed:
                hint = "" if self.quiet else did_you_mean(name, allowed)
                if name == "<<":
                    self.error(k.loc, key, "YAML merge keys `<<` are not allowed; write the keys out")
                else:
                    self.error(k.loc, _join(key, name), f"unknown key{hint or '; expected one of ' + ', '.join(allowed)}")
                continue
            out[name] = (k, v)
        return out

    def key(self, node: _Node, where: str) -> Optional[str]:
        if not isinstance(node, _Scalar):
            self.error(node.loc, where, "keys must be plain text")
            return None
        kind = _yaml11_type(node)
        if kind and kind != "empty" and kind != "a date" and kind != "a number":
            self.error(node.loc, where, f"key `{node.value}` is read by YAML as {kind}; put it in quotes")
            return None
        return node.value

    def text(self, node: _Node, key: str) -> Optional[str]:
        """A string; plain scalars that YAML 1.1 reads as another type must be quoted."""
        if not isinstance(node, _Scalar):
            self.error(node.loc, key, "expected text")
            return None
        kind = _yaml11_type(node)
        if kind == "empty":
            self.error(node.loc, key, "is empty; fill it in or remove the key")
            return None
        if kind:
            self.error(node.loc, key, f"`{node.value}` is read by YAML as {kind}; put it in quotes: \"{node.value}\"")
            return None
        if not node.value.strip():
            self.error(node.loc, key, "is empty; fill it in or remove the key")
            return None
        secret = find_secret(node.value)
        if secret:
            kind, redacted, offset = secret
            loc = node.loc
            if offset:  # a later line of a multi-line value: block scalars start on the next line
                loc = Location(loc.path, loc.line + offset + (1 if node.block else 0), 1)
            self.error(loc, key, f"looks like a secret ({kind}: {redacted}); remove it from the file, "
                       "rotate the credential, and link to where it is kept instead")
            return None
        problem = text_problem(node.value, name=key.rsplit(".", 1)[-1] in NAME_FIELDS)
        if problem:
            self.error(node.loc, key, problem)
            return None
        return node.value

    def date(self, node: _Node, key: str) -> Optional[dt.date]:
        if not isinstance(node, _Scalar) or _yaml11_type(node) == "empty":
            self.error(node.loc, key, "expected a date such as 2026-01-21")
            return None
        raw = node.value.strip()
        try:
            return iso_date(raw) if len(raw) == 10 else dt.datetime.fromisoformat(raw).date()
        except ValueError:
            self.error(node.loc, key, f"`{raw}` is not an ISO 8601 date; write it as YYYY-MM-DD")
            return None

    def url(self, node: _Node, key: str) -> Optional[str]:
        value = self.text(node, key)
        if value is None:
            return None
        try:
            parts = urlsplit(value.strip())
        except ValueError:  # e.g. an unbalanced `[` in the host part
            parts = None
        if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.netloc \
                or _SPACE.search(value.strip()):
            shown = value.strip() if len(value.strip()) <= 60 else value.strip()[:57] + "..."
            self.error(node.loc, key, f"`{shown}` is not an http:// or https:// link; evidence must be one")
            return None
        return value.strip()


def _join(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name


def parse_value(raw: str, criterion: Criterion) -> tuple[Optional[float], Optional[str]]:
    """A measured value in the criterion's unit, from "2400 ms" or "2.4"; or an error message."""
    shown = _shown_number(raw)
    m = _VALUE.match(raw)
    if not m:
        return None, f"`{shown}` is not a number; write e.g. `{_example(criterion)}`"
    literal = m.group("num")
    unit = m.group("unit")
    given = UNIT_FACTORS.get(unit.lower()) if unit else None
    wanted = UNIT_FACTORS[criterion.unit.lower()]
    if unit and given is None:
        return None, f"unknown unit `{unit}`; use {criterion.unit} or a unit of the same kind"
    if given is not None and given[0] != wanted[0]:
        return None, f"unit `{unit}` cannot be compared with the threshold `{criterion.text}`"
    if literal.startswith("-"):
        return None, f"`{shown}` is negative; a measured {_DIMENSION[wanted[0]]} is 0 or more"
    if len(literal) > MAX_NUMBER_CHARS:
        return None, (f"`{shown}` has {len(literal):,} characters; a measured value needs at most "
                      f"{MAX_NUMBER_CHARS}, e.g. `{_example(criterion)}`")
    number = float(literal) * (given[1] / wanted[1] if given else 1.0)
    if not math.isfinite(number) or number > MAX_VALUE:
        limit = f"{MAX_VALUE:,}{'' if criterion.unit == '%' else ' '}{criterion.unit}"
        return None, f"`{shown}` is out of range; a measured value is at most {limit}"
    return number, None


def _shown_number(raw: str) -> str:
    """A value as quoted in a message: in full when short, else its start and its length."""
    raw = raw.strip()
    return raw if len(raw) <= 40 else f"{raw[:20]}…"


def _example(c: Criterion) -> str:
    return f"{c.threshold:g} {c.unit}" if c.unit != "%" else f"{c.threshold:g}%"


def read_results_bytes(path: Path, shown: str, problems: Problems) -> Optional[tuple[str, bytes]]:
    """The file's text and bytes, or None with the reason added to `problems`."""
    try:
        return read_input(path, shown, "results")
    except InputError as exc:
        problems.extend(exc.problems)
        return None


def load_release(path: Path, shown: str, checklists: dict[str, Checklist], problems: Problems,
                 broken: frozenset = frozenset(), files: Optional[dict[str, str]] = None,
                 product: str = "") -> Optional[Release]:
    """Read one results file strictly; every problem goes to `problems`; returns None when it cannot be used.

    `broken` names checklists that failed to parse: files using them are read for syntax only, so the
    checklist's own errors are not echoed as a wrong id in every results file. `files` maps release
    names (case-folded) to the results files of the repository, to name the other file of a duplicate.
    """
    read = read_results_bytes(path, shown, problems)
    if read is None:
        return None
    return release_from_text(read[0], read[1], path, shown, checklists, problems, broken, files, product)


def release_from_text(text: str, data: bytes, path: Path, shown: str, checklists: dict[str, Checklist],
                      problems: Problems, broken: frozenset = frozenset(), files: Optional[dict[str, str]] = None,
                      product: str = "") -> Optional[Release]:
    """load_release for a text already read (a results file as one commit of the history holds it)."""
    start = len(problems.errors)
    bad_name = release_name_problem(path.stem)
    if bad_name:
        problems.error(Location(shown), f"file name `{path.name}`: {bad_name}; rename the file")
        return None
    root = _parse(text, shown, problems)
    if root is None:
        if len(problems.errors) == start:
            problems.error(Location(shown), "results file is empty; it needs at least `release: \"" + path.stem + "\"`")
        return None
    r = _Reader(shown, problems)
    top = r.mapping(root, "", TOP_KEYS)
    if not isinstance(root, _Map):
        return None

    name = None
    if "release" not in top:
        r.error(root.loc, "", f"missing `release: \"{path.stem}\"`")
    else:
        node = top["release"][1]
        name = r.text(node, "release")
        if name is not None and name != path.stem:
            other = (files or {}).get(name.casefold())
            also = f"; {other} already holds release `{name}`" if other and other != shown else ""
            r.error(node.loc, "release", f"`{name}` does not match the file name `{path.name}`; "
                    f"they must be the same (release: \"{path.stem}\"){also}")
            name = None

    checklist = _pick_checklist(r, top.get("checklist"), checklists, root.loc, broken, product)
    entries = _read_items(r, top.get("items"), checklist) if checklist else ()
    signoffs = _read_signoffs(r, top.get("signoffs"), checklist) if checklist else ()
    launch = _read_launch(r, top["launch"][1]) if "launch" in top else None
    level = _read_level(r, top["level"][1], checklist) if "level" in top and checklist else None
    if len(problems.errors) > start or name is None or checklist is None:
        return None
    key = f"{product}/{name}" if product else name
    return Release(key, shown, checklist.name, entries, signoffs, launch,
                   hashlib.sha256(data).hexdigest(), Location(shown), product, level)


def _read_level(r: _Reader, node, checklist: Checklist) -> Optional[str]:
    """`level:` names one of the checklist's levels, by id or label; the release is held to it."""
    name = r.text(node, "level")
    if name is None:
        return None
    labels = {level.label.casefold(): level.id for level in checklist.levels}
    if name in labels.values() or name.casefold() in labels:
        return name if name in labels.values() else labels[name.casefold()]
    if not checklist.levels:
        r.error(node.loc, "level", f"checklist `{checklist.name}` marks no levels; remove `level:`")
    else:
        ids = [level.id for level in checklist.levels]
        r.error(node.loc, "level", f"no level `{name}` in checklist `{checklist.name}`"
                + (did_you_mean(name, ids) or f"; its levels are {', '.join(ids)}"))
    return None


def _pick_checklist(r: _Reader, pair, checklists: dict[str, Checklist], at: Location,
                    broken: frozenset, product: str = "") -> Optional[Checklist]:
    if pair is None:
        if len(checklists) == 1 and not broken:
            return next(iter(checklists.values()))
        if product and product in checklists:
            return checklists[product]
        if product and product in broken:
            return None
        if not checklists or (broken and len(checklists) + len(broken) == 1):
            return None
        names = ", ".join(sorted(set(checklists) | set(broken)))
        r.error(at, "", f"missing `checklist:`; this repository has several: {names}")
        return None
    node = pair[1]
    name = r.text(node, "checklist")
    if name is None:
        return None
    if name in broken:
        return None
    if name not in checklists:
        hint = did_you_mean(name, checklists) or f"; expected one of {', '.join(sorted(checklists)) or '(none)'}"
        r.error(node.loc, "checklist", f"no checklist `{name}` in checklists/{hint}")
        return None
    return checklists[name]


def _suggest_id(key: str, checklist: Checklist) -> str:
    """The closest known id: by whole id, then by last segment (an item moved or its path left out)."""
    hint = did_you_mean(key, checklist.nodes)
    if hint:
        return hint
    tail = key.rsplit("/", 1)[-1]
    ends = [i for i in checklist.nodes if i.rsplit("/", 1)[-1] == tail]
    if ends:
        return f"; did you mean '{ends[0]}'?"
    close = difflib.get_close_matches(tail, {i.rsplit("/", 1)[-1]: i for i in checklist.nodes}, n=1, cutoff=0.75)
    if close:
        full = next(i for i in checklist.nodes if i.rsplit("/", 1)[-1] == close[0])
        return f"; did you mean '{full}'?"
    return f"; run `readiness new` to see every id of checklist `{checklist.name}`"


def _status(r: _Reader, node: _Node, key: str) -> Optional[str]:
    if not isinstance(node, _Scalar):
        r.error(node.loc, key, f"expected a status: {', '.join(STATUSES)}")
        return None
    kind = _yaml11_type(node)
    if kind in ("a boolean", "empty"):
        hint = STATUS_SYNONYMS.get(node.value.lower())
        hint_text = f"; did you mean '{hint}'?" if hint else f"; use one of {', '.join(STATUSES)}"
        what = "is empty" if kind == "empty" else f"`{node.value}` is read by YAML as a boolean"
        r.error(node.loc, key, f"{what}, not a status{hint_text}")
        return None
    value = node.value
    if value in STATUSES:
        return value
    hint = STATUS_SYNONYMS.get(value.strip().lower())
    hint_text = f"; did you mean '{hint}'?" if hint else did_you_mean(value.lower(), STATUSES)
    r.error(node.loc, key, f"unknown status '{value}'{hint_text or '; use one of ' + ', '.join(STATUSES)}")
    return None


def _read_items(r: _Reader, pair, checklist: Checklist) -> tuple[Entry, ...]:
    if pair is None:
        return ()
    node = pair[1]
    if isinstance(node, _Scalar) and _yaml11_type(node) == "empty":
        return ()
    if not isinstance(node, _Map):
        r.error(node.loc, "items", "expected a mapping of item ids to statuses")
        return ()
    entries: list[Entry] = []
    seen: dict[str, Location] = {}
    for k, v in node.pairs:
        target = r.key(k, "items")
        if target is None:
            continue
        if target == "<<":
            r.error(k.loc, "items", "YAML merge keys `<<` are not allowed; write the entries out")
            continue
        key = f"items.{target}"
        if target in seen:
            r.error(k.loc, key, f"duplicate key (first on line {seen[target].line})")
            continue
        seen[target] = k.loc
        if target not in checklist.nodes:
            hint = "" if r.quiet else _suggest_id(target, checklist)
            r.error(k.loc, key, f"unknown id in checklist `{checklist.name}`{hint}")
            continue
        entry = _read_entry(r, target, v, k.loc, checklist)
        if entry is not None:
            entries.append(entry)
    return tuple(entries)


def _read_entry(r: _Reader, target: str, node: _Node, loc: Location, checklist: Checklist) -> Optional[Entry]:
    key = f"items.{target}"
    target_node = checklist.nodes[target]
    criterion = target_node.criterion if isinstance(target_node, Item) else None
    fields: dict = {}
    errors_before = len(r.problems.errors)
    if isinstance(node, _Scalar) and not (criterion and _yaml11_type(node) == "a number"):
        fields["status"] = _status(r, node, key)
    elif isinstance(node, _Scalar):
        fields["value"], fields["value_text"] = _read_value(r, node, key, criterion)
    else:
        pairs = r.mapping(node, key, ENTRY_KEYS)
        for name, (_, vnode) in pairs.items():
            sub = f"{key}.{name}"
            if name == "status":
                fields["status"] = _status(r, vnode, sub)
            elif name in ("date", "expires"):
                fields[name] = r.date(vnode, sub)
            elif name == "evidence":
                fields[name] = r.url(vnode, sub)
            elif name == "carried_from":
                fields[name] = _carried_from(r, vnode, sub)
            elif name == "value":
                if criterion is None:
                    r.error(vnode.loc, sub, "only threshold criteria take a value; "
                            "this item states no threshold such as `< 3 seconds`")
                else:
                    fields["value"], fields["value_text"] = _read_value(r, vnode, sub, criterion)
            else:
                fields[name] = r.text(vnode, sub)
    if len(r.problems.errors) > errors_before:
        return None
    entry = Entry(target, loc, **fields)
    _check_entry(r, entry, key, checklist, criterion, node.loc)
    return entry


def _carried_from(r: _Reader, node: _Node, key: str) -> Optional[str]:
    """The release an entry was carried over from (`new --from`): a release name, `product/release` with products."""
    name = r.text(node, key)
    if name is None:
        return None
    parts = name.split("/")
    bad = next((p for p in map(release_name_problem, parts) if p), None) if len(parts) <= 2 else \
        f"release name `{name}` has more than one `/`"
    if bad:
        r.error(node.loc, key, f"{bad}; `carried_from` names the release the entry was carried over from, "
                "e.g. `3.1.0`")
        return None
    return name


def _read_value(r: _Reader, node: _Node, key: str, criterion: Criterion) -> tuple[Optional[float], Optional[str]]:
    if not isinstance(node, _Scalar) or _yaml11_type(node) in ("empty", "a boolean", "a date"):
        r.error(node.loc, key, f"expected a number such as `{_example(criterion)}`")
        return None, None
    value, message = parse_value(node.value, criterion)
    if message:
        r.error(node.loc, key, message)
    return value, node.value


def _check_entry(r: _Reader, e: Entry, key: str, checklist: Checklist, criterion: Optional[Criterion],
                 loc: Location) -> None:
    """Rules that tie fields together: reasons, waiver fields, criteria statuses."""
    status = e.status
    if status == "n/a" and not e.reason and e.target not in checklist.conditional_ids:
        r.error(loc, key, "n/a needs a `reason:` (only items marked optional or \"(if ...)\" may omit it)")
    if status == "waived":
        missing = [f for f in ("reason", "approved_by", "expires") if getattr(e, f) is None]
        if missing:
            r.error(loc, key, f"a waiver needs {', '.join('`' + m + ':`' for m in missing)}")
    elif e.approved_by is not None or e.expires is not None:
        r.error(loc, key, "`approved_by` and `expires` belong to waivers; set `status: waived` or remove them")
    if criterion is not None:
        if e.value is not None and status in ("done", "failed", "pending"):
            computed = "done" if criterion.met_by(e.value) else "failed"
            if status != computed:
                r.error(loc, key, f"value {e.value_text} gives `{computed}` against `{criterion.text}`, "
                        f"but status says `{status}`; remove `status:` (it is computed)")
        elif e.value is None and status in ("done", "failed"):
            r.error(loc, key, f"this criterion's status is computed from its measured value; "
                    f"give `value:` (e.g. `{_example(criterion)}`) instead of `status: {status}`")


def _read_signoffs(r: _Reader, pair, checklist: Checklist) -> tuple[Signoff, ...]:
    if pair is None:
        return ()
    node = pair[1]
    if isinstance(node, _Scalar) and _yaml11_type(node) == "empty":
        return ()
    if not isinstance(node, _Map):
        r.error(node.loc, "signoffs", "expected a mapping of role ids to {name, date}")
        return ()
    roles = checklist.role_ids
    out: list[Signoff] = []
    seen: dict[str, Location] = {}
    for k, v in node.pairs:
        role = r.key(k, "signoffs")
        if role is None:
            continue
        key = f"signoffs.{role}"
        if role in seen:
            r.error(k.loc, key, f"duplicate key (first on line {seen[role].line})")
            continue
        seen[role] = k.loc
        if role not in roles:
            hint = did_you_mean(role, roles) or f"; roles are {', '.join(roles) or '(none in the checklist)'}"
            r.error(k.loc, key, f"unknown sign-off role{hint}")
            continue
        if isinstance(v, _Scalar) and _yaml11_type(v) == "empty":
            continue  # listed but not signed yet
        fields = r.mapping(v, key, SIGNOFF_KEYS)
        if not isinstance(v, _Map):
            continue
        missing = [f for f in SIGNOFF_KEYS if f not in fields]
        if missing:
            r.error(v.loc, key, f"a sign-off needs {' and '.join('`' + m + ':`' for m in missing)}")
            continue
        name = r.text(fields["name"][1], f"{key}.name")
        date = r.date(fields["date"][1], f"{key}.date")
        if name and date:
            out.append(Signoff(role, name, date, k.loc))
    return tuple(out)


def _read_launch(r: _Reader, node: _Node) -> Optional[Launch]:
    if isinstance(node, _Scalar) and _yaml11_type(node) == "empty":
        return None
    fields = r.mapping(node, "launch", LAUNCH_KEYS)
    if not isinstance(node, _Map):
        return None
    values: dict = {}
    for name, (_, vnode) in fields.items():
        key = f"launch.{name}"
        if name == "date":
            values[name] = r.date(vnode, key)
        elif name == "time":
            if isinstance(vnode, _Scalar) and vnode.plain and _yaml11_type(vnode) == "a number":
                r.error(vnode.loc, key, f"`{vnode.value}` is read by YAML as a number; "
                        f"put it in quotes: \"{vnode.value}\"")
                continue
            text = r.text(vnode, key)
            if text is not None and not _TIME.match(text):
                r.error(vnode.loc, key, f"`{text}` is not a time; write it as \"HH:MM\" (24-hour clock)")
                continue
            values[name] = text
        elif name == "timezone":
            text = r.text(vnode, key)
            if text is not None and not _valid_timezone(text):
                r.error(vnode.loc, key, f"unknown time zone `{text}`; use an IANA name such as Europe/Berlin or UTC")
                continue
            values[name] = text
        else:
            values[name] = r.text(vnode, key)
    return Launch(values.get("date"), values.get("time"), values.get("timezone"), values.get("deployed_by"),
                  values.get("notes"), node.loc)


def _valid_timezone(name: str) -> bool:
    if name.upper() == "UTC":
        return True
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*", name):
        return False
    try:
        zoneinfo.ZoneInfo(name)
        return True
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False


# The strict YAML reader, for the other small inputs read the same way (readiness.yml, see project.py).
parse_yaml = _parse
YamlReader = _Reader
YamlScalar = _Scalar
YamlSeq = _Seq
