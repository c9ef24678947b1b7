"""Versions of a results file compared entry by entry: what one commit changed, as `key: before → after`.

A version is summarised once per blob: each `items:` entry, each sign-off, the `launch:` block and the
`checklist:` key as a canonical value (a scalar status is the same entry as `{status: ...}`; quoting,
order of keys and comments make no difference). Values are compared, never lines, so re-quoting a date
or moving a line changes nothing, and a change is named by the entry it changed. What is shown of a
value is cut short, made printable and checked for secrets (an old version may hold one that was removed).
"""

from __future__ import annotations

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

    def value(self, key: str):
        """The canonical value of one entry key (`items.<id>`, `signoffs.<role>`, `launch`, `checklist`)."""
        kind, _, name = key.partition(".")
        if kind == "items":
            return self.items.get(name)
        if kind == "signoffs":
            return self.signoffs.get(name)
        return self.launch if kind == "launch" else self.checklist


UNREADABLE = Summary(False)


class _Alias(Exception):
    """A node met twice (an alias) or nested too deep: the version is not compared entry by entry."""


def _canon(node, seen: set, depth: int = 0):
    if depth > MAX_DEPTH or id(node) in seen:
        raise _Alias()
    if isinstance(node, yaml.ScalarNode):
        return node.value
    seen.add(id(node))
    if isinstance(node, yaml.SequenceNode):
        return ("[",) + tuple(_canon(n, seen, depth + 1) for n in node.value)
    return tuple(sorted(((_key(k), _canon(v, seen, depth + 1)) for k, v in node.value), key=repr))


def _key(node) -> str:
    return node.value if isinstance(node, yaml.ScalarNode) else repr(node)


def _entry(value):
    """An `items:` entry: a bare status is the same as `{status: ...}`."""
    if isinstance(value, str):
        return (("status", value),)
    return value


def _empty(node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.value in _EMPTY and node.style in (None, "")


def summarise(data: Optional[bytes]) -> Summary:
    """The entries of one version of a results file (UNREADABLE when it is not UTF-8 YAML holding a mapping)."""
    if data is None:
        return UNREADABLE
    try:
        root = yaml.compose(data.decode("utf-8"), Loader=_Loader)
    except (UnicodeDecodeError, yaml.YAMLError, RecursionError, ValueError):
        return UNREADABLE
    if not isinstance(root, yaml.MappingNode):
        return UNREADABLE
    out: dict = {"items": {}, "signoffs": {}, "launch": None, "launch_date": None, "checklist": None}
    try:
        for k, v in root.value:
            key = _key(k)
            if key == "items" and isinstance(v, yaml.MappingNode):
                out["items"] = {_key(ik): _entry(_canon(iv, set())) for ik, iv in v.value}
            elif key == "signoffs" and isinstance(v, yaml.MappingNode):
                out["signoffs"] = {_key(sk): _canon(sv, set()) for sk, sv in v.value if not _empty(sv)}
            elif key == "launch" and not _empty(v):
                out["launch"] = _canon(v, set())
                if isinstance(v, yaml.MappingNode):
                    dates = [d.value for dk, d in v.value if _key(dk) == "date" and isinstance(d, yaml.ScalarNode)]
                    out["launch_date"] = dates[-1] if dates and dates[-1] not in _EMPTY else None
            elif key == "checklist" and isinstance(v, yaml.ScalarNode):
                out["checklist"] = v.value
    except _Alias:
        return UNREADABLE
    return Summary(True, **out)


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
