"""Versions of a results file compared entry by entry: what one commit changed, as `key: before → after`.

A version is summarised once per blob: each `items:` entry, each sign-off, the `launch:` block and the
`checklist:` key as a canonical value (a scalar status is the same entry as `{status: ...}`; quoting,
order of keys and comments make no difference). Values are compared, never lines, so re-quoting a date
or moving a line changes nothing, and a change is named by the entry it changed. What is shown of a
value is cut short, made printable and checked for secrets (an old version may hold one that was removed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

import yaml

from generator.errors import printable
from generator.secrets import find_secret

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_EMPTY = ("", "~", "null", "Null", "NULL")
MAX_SHOWN = 80  # characters of a value shown in a change
MAX_DEPTH = 20


@dataclass(frozen=True)
class Summary:
    """One version of a results file, entry by entry; `readable` is False when it is not a YAML mapping."""

    readable: bool
    items: dict = field(default_factory=dict)  # entry id -> canonical value
    signoffs: dict = field(default_factory=dict)  # role id -> canonical value (roles listed but unsigned left out)
    launch: object = None  # canonical value of the `launch:` block, None when there is none
    launch_date: Optional[str] = None
    checklist: Optional[str] = None
    # role -> byte offset up to which the version's bytes decide that sign-off: a version with the same bytes
    # up to there holds the same sign-off, without being parsed
    signoff_ends: dict = field(default_factory=dict, compare=False, repr=False)
    signoff_starts: dict = field(default_factory=dict, compare=False, repr=False)  # role -> its key line's start
    key_ends: dict = field(default_factory=dict, compare=False, repr=False)  # as signoff_ends, per top-level key
    key_starts: dict = field(default_factory=dict, compare=False, repr=False)

    def value(self, key: str):
        """The canonical value of one entry key (`items.<id>`, `signoffs.<role>`, `launch`, `checklist`)."""
        kind, _, name = key.partition(".")
        if kind == "items":
            return self.items.get(name)
        if kind == "signoffs":
            return self.signoffs.get(name)
        return self.launch if kind == "launch" else self.checklist


UNREADABLE = Summary(False)


class _Unreadable(Exception):
    """An alias, a tag-less oddity or nesting too deep: the version is not compared entry by entry."""


def _node(events, event, depth: int):
    """The canonical value of the node starting at `event`: a string, None (an empty plain scalar), a tuple of
    (key, value) pairs sorted by key for a mapping, or ("[", ...) for a sequence. Built from libyaml's events
    directly (no node tree, no type resolution): a few milliseconds for a results file of 200 items."""
    kind = type(event)
    if kind is yaml.ScalarEvent:
        return None if not event.style and event.value in _EMPTY else event.value
    if depth > MAX_DEPTH:
        raise _Unreadable()
    if kind is yaml.MappingStartEvent:
        pairs = []
        for key_event in events:
            if type(key_event) is yaml.MappingEndEvent:
                break
            key = _node(events, key_event, depth + 1)
            pairs.append((key if isinstance(key, str) else repr(key), _node(events, next(events), depth + 1)))
        pairs.sort(key=lambda pair: pair[0])
        return tuple(pairs)
    if kind is yaml.SequenceStartEvent:
        out = ["["]
        for item in events:
            if type(item) is yaml.SequenceEndEvent:
                break
            out.append(_node(events, item, depth + 1))
        return tuple(out)
    raise _Unreadable()  # an alias: the loader refuses them, and nothing is compared through one


class _Tracked:
    """An event iterator that remembers the last event it gave (where a value parsed from it ended)."""

    __slots__ = ("events", "last")

    def __init__(self, events):
        self.events, self.last = events, None

    def __iter__(self):
        return self

    def __next__(self):
        self.last = next(self.events)
        return self.last


def _entry(value):
    """An `items:` entry: a bare status is the same as `{status: ...}`."""
    if isinstance(value, str):
        return (("status", value),)
    return value


def summarise(data: Optional[bytes]) -> Summary:
    """The entries of one version of a results file (UNREADABLE when it is not UTF-8 YAML holding a mapping)."""
    if data is None:
        return UNREADABLE
    try:
        text = data.decode("utf-8")
        offset = _offsets(text, data)
        events = iter(yaml.parse(text, Loader=_Loader))
        next(events), next(events)  # stream and document start
        if type(next(events)) is not yaml.MappingStartEvent:
            return UNREADABLE
        root, ends, starts, key_ends, key_starts, pending = [], {}, {}, {}, {}, None
        for key_event in events:
            if pending is not None:
                key_ends[pending] = offset(key_event.end_mark.index)
            if type(key_event) is yaml.MappingEndEvent:
                break
            key = _node(events, key_event, 1)
            key = key if isinstance(key, str) else repr(key)
            key_starts[key] = offset(key_event.start_mark.index, start=True)
            value_event = next(events)
            if key == "signoffs" and type(value_event) is yaml.MappingStartEvent:
                value = _signoffs(events, offset, ends, starts)
            else:
                value = _node(events, value_event, 1)
            if any(k == key for k, _ in root):
                return UNREADABLE  # a duplicate key: the loader refuses the file
            root.append((key, value))
            pending = key
        if type(next(events)) is not yaml.DocumentEndEvent or type(next(events)) is not yaml.StreamEndEvent:
            return UNREADABLE  # a second document: the loader refuses it too
    except (UnicodeDecodeError, yaml.YAMLError, RecursionError, ValueError, StopIteration, _Unreadable):
        return UNREADABLE
    out: dict = {"items": {}, "signoffs": {}, "launch": None, "launch_date": None, "checklist": None,
                 "signoff_ends": ends, "signoff_starts": starts, "key_ends": key_ends, "key_starts": key_starts}
    for key, value in root:
        mapping = isinstance(value, tuple) and value[:1] != ("[",)
        if key == "items" and mapping:
            out["items"] = {k: _entry(v) for k, v in value}
            if len(out["items"]) != len(value):
                return UNREADABLE  # an item id twice: the loader refuses the file
        elif key == "signoffs" and mapping:
            out["signoffs"] = {k: v for k, v in value if v is not None}
        elif key == "launch" and value is not None:
            out["launch"] = value
            dates = [v for k, v in value if k == "date" and isinstance(v, str)] if mapping else []
            out["launch_date"] = dates[-1] if dates else None
        elif key == "checklist" and isinstance(value, str):
            out["checklist"] = value
    return Summary(True, **out)


_ONLY_BLANKS = re.compile(r"(?:\s|#[^\n]*)*\Z")


def _offsets(text: str, data: bytes):
    """A function from a character index of `text` to the byte offset of the end of its line in `data`.

    What a YAML parser emits up to an event depends on the text up to the end of the line where the event
    ends (a simple key is decided within its line); that line end is where the bytes stop mattering."""
    ascii_only = len(text) == len(data)

    def offset(index: int, start: bool = False, closed: bool = False) -> int:
        if not start and not closed and _ONLY_BLANKS.match(text, index):
            # Nothing but blanks and comments follows: what decides the entry is that nothing does, so no
            # other version shares the bytes that decide it (a plain value would go on over added lines).
            return len(data) + 1
        if start:  # the start of the line instead
            end = text.rfind("\n", 0, index) + 1
        else:
            end = text.find("\n", index)
            end = len(text) if end < 0 else end + 1
        return end if ascii_only else len(text[:end].encode("utf-8"))

    return offset


def _signoffs(events, offset, ends: dict, starts: dict) -> tuple:
    """The `signoffs:` mapping, noting for each role the byte offset up to which the bytes decide its value
    (the end of the line where the next event ends: a plain value may go on over the next lines) and the
    offset of the start of its key's line."""
    pairs, pending, duplicates = [], None, set()
    for event in events:
        if pending is not None:
            ends[pending] = offset(event.end_mark.index)
            pending = None
        if type(event) is yaml.MappingEndEvent:
            break
        role = _node(events, event, 2)
        role = role if isinstance(role, str) else repr(role)
        if role in starts:
            duplicates.add(role)
        starts[role] = offset(event.start_mark.index, start=True)
        value_event = next(events)
        tracked = _Tracked(events)
        pairs.append((role, _node(tracked, value_event, 2)))
        closing = tracked.last or value_event
        if getattr(value_event, "flow_style", False) or getattr(value_event, "style", None) in ("'", '"'):
            # A flow collection or quoted scalar is closed where it ends: later lines cannot change it.
            ends[role] = offset(closing.end_mark.index, closed=True)
        else:
            pending = role
    if duplicates:
        raise _Unreadable()  # a duplicate key: the loader refuses the file, and so is it read here
    pairs.sort(key=lambda pair: pair[0])
    return tuple(pairs)


# A version can hold a sign-off (or a launch) only if its bytes name the key standing alone (after a line
# start, a blank, a quote or flow punctuation; quoted or not; then `:` after blanks or a comment) or escape
# something (a double-quoted key may spell it with escapes): a sound test that skips parsing the others.
_AFTER_KEY = re.compile(rb"['\"]?(?:\s|#[^\n]*)*:")
_BEFORE_KEY = frozenset(b" \t\r\n{[,?'\"")


def may_hold(data: Optional[bytes], launch_only: bool = False) -> bool:
    """Whether a version's bytes may hold a sign-off or a launch (only a launch with `launch_only`)."""
    if data is None:
        return False
    if b"\\" in data or b"\xef\xbb\xbf" in data:  # an escape, or a byte-order mark YAML reads past
        return True
    for key in (b"launch",) if launch_only else (b"launch", b"signoffs"):
        at = data.find(key)
        while at >= 0:
            if (at == 0 or data[at - 1] in _BEFORE_KEY) and _AFTER_KEY.match(data, at + len(key)):
                return True
            at = data.find(key, at + 1)
    return False


@dataclass(frozen=True)
class EntryChange:
    """One entry a commit changed (or one field of it): its key and its value before and after, as shown."""

    key: str  # items.<id>, signoffs.<role>, launch, checklist, path, or checklist <name>: <item id>
    before: str  # "(none)" when the entry (or field) did not exist
    after: str
    minor: bool = False  # only a note (or the file's place) changed: nothing a verdict or rule reads
    field: str = ""  # the field of a mapping entry that changed, when only fields changed

    def __str__(self) -> str:
        return f"{self.key}{'.' + self.field if self.field else ''}: {self.before} → {self.after}"


def shown(value) -> str:
    """A canonical value as one short, printable line; a value that looks like a secret is not shown."""
    if value is None:
        return "(none)"
    text = value if isinstance(value, str) else _flow(value)
    if find_secret(text):
        return "(a value that looks like a secret; not shown)"
    text = printable(text)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN - 1] + "…"


def _flow(value) -> str:
    if isinstance(value, str):
        return value
    if value and value[0] == "[":
        return "[" + ", ".join(_flow(v) for v in value[1:]) + "]"
    if len(value) == 1 and value[0][0] == "status":
        return _flow(value[0][1])
    return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value) + "}"


def _fields(value) -> Optional[dict]:
    """A mapping entry's fields, or None for a scalar or a list."""
    if value is None or isinstance(value, str) or value[:1] == ("[",):
        return None
    return dict(value)


def changes(before: Summary, after: Summary, keys: Optional[set] = None) -> list[EntryChange]:
    """The entries that differ between two versions, in a stable order (items, sign-offs, launch, checklist);
    an entry that stays a mapping is shown field by field."""
    out: list[EntryChange] = []
    pairs = [(f"items.{k}", before.items.get(k), after.items.get(k)) for k in _union(before.items, after.items)]
    pairs += [(f"signoffs.{k}", before.signoffs.get(k), after.signoffs.get(k))
              for k in _union(before.signoffs, after.signoffs)]
    pairs += [("launch", before.launch, after.launch), ("checklist", before.checklist, after.checklist)]
    for key, a, b in pairs:
        if a == b or (keys is not None and key not in keys):
            continue
        fa, fb = _fields(a), _fields(b)
        if fa is None or fb is None:
            out.append(EntryChange(key, shown(a), shown(b)))
            continue
        note = "notes" if key == "launch" else "note"
        changed = [f for f in _union(fa, fb) if fa.get(f) != fb.get(f)]
        minor = key.startswith(("items.", "launch")) and changed == [note]
        out += [EntryChange(key, shown(fa.get(f)), shown(fb.get(f)), minor, f) for f in changed]
    return out


def entry_keys(summary: Summary) -> set:
    return ({f"items.{k}" for k in summary.items} | {f"signoffs.{k}" for k in summary.signoffs}
            | {"launch", "checklist"})


def _union(a: dict, b: dict) -> list:
    return list(a) + [k for k in b if k not in a]
