"""Round-trip editing of one results entry: change `items.<id>` or `signoffs.<role>` and keep every other byte.

ruamel.yaml reads the document (positions of every key and value) and writes only the lines of the touched
entry, so comments, key order, quotes and indentation elsewhere stay byte for byte. The new text is checked
with the strict loader (`load_release`) in a temporary file and only then renamed over the results file.
Shared by `readiness record` and `readiness sign`, the two commands that write into a results file.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Sequence

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from ruamel.yaml.tokens import CommentToken

from generator.errors import InputError, Location, Problem, Problems
from generator.model import Checklist, Release
from generator.results import TOP_KEYS, _Scalar, _yaml11_type, load_release, plain_data


def _yaml() -> YAML:
    """A round-trip reader and writer that keeps quotes and never folds a line."""
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 1 << 20  # never fold a long line
    y.allow_unicode = True
    return y


def text_value(value: str):
    """A string as the strict loader will read it back: quoted when YAML 1.1 would read it as another type."""
    kind = _yaml11_type(_Scalar(value, True, ("-", 1, 1)))
    return DoubleQuotedScalarString(value) if kind else value


def _lines(text: str) -> list[str]:
    return re.findall(r"[^\n]*\n|[^\n]+\Z", text)


def _node_end(node) -> tuple[int, int]:
    """(line, col) just after a node's content: a block collection ends where its last value ends."""
    if isinstance(node, MappingNode) and not node.flow_style and node.value:
        return _node_end(node.value[-1][1])
    if isinstance(node, SequenceNode) and not node.flow_style and node.value:
        return _node_end(node.value[-1])
    return node.end_mark.line, node.end_mark.column


def _span(key_node, value_node, lines: list[str]) -> tuple[int, int]:
    """First line and end line (exclusive) of one `key: value` pair of a block mapping."""
    start = key_node.start_mark.line
    line, col = _node_end(value_node)
    last = line if col > 0 else line - 1
    last = min(max(last, start), len(lines) - 1)
    while last > start and not lines[last].strip():
        last -= 1
    return start, last + 1


class EditError(Exception):
    """The file's layout does not allow an exact edit (reported to the user as an input problem)."""


def _rewrite(lines: list[str], start: int, end: int, indent: int, change: Callable[[CommentedMap], None],
             newline: str) -> list[str]:
    """Load lines[start:end] (one `key: value` pair at `indent`) with ruamel, change it, write it back."""
    chunk = []
    for line in lines[start:end]:
        line = line.replace("\r\n", "\n")
        chunk.append(line[indent:] if line[:indent].strip() == "" else line.lstrip(" "))
    fragment = "".join(chunk)
    y = _yaml()
    nested = re.search(r"\n( +)\S", fragment)
    if nested:
        y.indent(mapping=len(nested.group(1)))
    data = y.load(fragment)
    if not isinstance(data, CommentedMap) or len(data) != 1:
        raise EditError(f"line {start + 1}: cannot read this entry on its own")
    # ruamel puts one space before a comment that no longer fits its column; keep the file's spacing
    # (only for the end-of-line comment ruamel itself found on the first line, never a `#` inside a string).
    spaced = re.search(r"\S(\s{2,})(#.*)$", chunk[0].rstrip("\n"))
    slots = data.ca.items.get(next(iter(data))) or []
    if spaced and not any(isinstance(t, CommentToken) and t.start_mark.line == 0
                              and t.start_mark.column == spaced.start(2) for t in slots):
        spaced = None
    change(data)
    out = _emit(y, data, indent, newline)
    if spaced and out:
        first = out[0].rstrip("\r\n")
        at = first.rfind(" " + spaced.group(2))  # the comment is last on the line, perhaps with text added
        if at > 0 and first[at - 1] != " ":
            out[0] = first[:at] + spaced.group(1) + first[at + 1:] + newline
    return out


def _emit(y: YAML, data: CommentedMap, indent: int, newline: str) -> list[str]:
    buffer = io.StringIO()
    y.dump(data, buffer)
    out = buffer.getvalue().rstrip("\n").split("\n")
    return [(" " * indent + line if line.strip() else "").rstrip() + newline for line in out]


def edit_entry(text: str, top: str, key: str, change: Callable[[CommentedMap, object], None],
               order: Sequence[str]) -> str:
    """`text` with `top.key` changed by `change(parent, key)`; every line outside that entry kept as is.

    `parent` is a ruamel CommentedMap holding the entry (its comments and quotes as in the file); the
    entry may be absent, in which case `change` adds it and it is inserted after the entry that precedes
    it in `order` (checklist order), or where the `top` mapping is missing, a new `top:` block is added.
    """
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = _lines(text)
    root = _yaml().compose(text)
    if not isinstance(root, MappingNode) or root.flow_style:
        raise EditError("the results file is written as one flow mapping `{...}`; write it in block style")
    pairs = {k.value: (k, v) for k, v in root.value if isinstance(k, ScalarNode)}
    if top not in pairs:
        return _insert_top(lines, root, top, key, change, newline)
    top_key, mapping = pairs[top]
    if isinstance(mapping, MappingNode) and not mapping.flow_style and mapping.value:
        entries = [(k, v) for k, v in mapping.value]
        for k, v in entries:
            if k.value == key:
                start, end = _span(k, v, lines)
                if lines[start][:k.start_mark.column].strip():
                    raise EditError(f"line {start + 1}: `{key}` does not start its line")
                new = _rewrite(lines, start, end, k.start_mark.column, lambda d: change(d, next(iter(d))), newline)
                return "".join(lines[:start] + new + lines[end:])
        indent = entries[0][0].start_mark.column
        at = _insertion_line(entries, key, order, lines)
        fresh = CommentedMap()
        change(fresh, key)
        new = _emit(_yaml(), fresh, indent, newline)
        return _join(lines, at, new, newline)
    if isinstance(mapping, ScalarNode) and mapping.value not in ("", "~", "null", "Null", "NULL"):
        raise EditError(f"line {mapping.start_mark.line + 1}: `{top}:` holds text; expected a mapping")
    # `top:` empty, `{}` or a flow mapping: rewrite the whole `top:` entry (it is what changes).
    start, end = _span(top_key, mapping, lines)

    def change_top(d: CommentedMap) -> None:
        k = next(iter(d))
        inner = d[k]
        if not isinstance(inner, CommentedMap) or not inner:
            d[k] = inner = CommentedMap()
        change(inner, key)

    new = _rewrite(lines, start, end, 0, change_top, newline)
    return "".join(lines[:start] + new + lines[end:])


def _insertion_line(entries: list, key: str, order: Sequence[str], lines: list[str]) -> int:
    """Line index to insert a new entry at: after the closest preceding entry in checklist order."""
    rank = {name: i for i, name in enumerate(order)}
    mine = rank.get(key, len(rank))
    before = [(rank[k.value], k, v) for k, v in entries if k.value in rank and rank[k.value] < mine]
    if before:
        _, k, v = max(before, key=lambda t: t[0])
        return _span(k, v, lines)[1]
    after = [(rank.get(k.value, len(rank)), k) for k, v in entries]
    if any(r > mine for r, _ in after):
        return min((k.start_mark.line for r, k in after if r > mine))
    k, v = entries[-1]
    return _span(k, v, lines)[1]


def _join(lines: list[str], at: int, new: list[str], newline: str) -> str:
    head = lines[:at]
    if head and not head[-1].endswith("\n"):
        head[-1] += newline
    return "".join(head + new + lines[at:])


def _insert_top(lines: list[str], root, top: str, key: str, change, newline: str) -> str:
    """Add a `top:` block holding the new entry, before the next top-level key in TOP_KEYS order."""
    later = set(TOP_KEYS[TOP_KEYS.index(top) + 1:])
    at = len(lines)
    for k, _ in root.value:
        if isinstance(k, ScalarNode) and k.value in later:
            at = k.start_mark.line
            break
    inner = CommentedMap()
    change(inner, key)
    data = CommentedMap([(top, inner)])
    return _join(lines, at, _emit(_yaml(), data, 0, newline), newline)


def check_only_touched(before: str, after: str, touched: dict[str, set]) -> None:
    """Guard: apart from the touched keys, both versions hold the same data in the same order."""

    def strip(doc):
        if not isinstance(doc, dict):
            return doc
        out = {}
        for k, v in doc.items():
            if k in touched and isinstance(v, dict):
                v = {ik: iv for ik, iv in v.items() if ik not in touched[k]}
                if not v:
                    continue
            elif k in touched and v in (None, "", {}):
                continue
            out[k] = v
        return list(out.items())

    if strip(plain_data(before)) != strip(plain_data(after)):
        raise EditError("the edit would change entries other than the ones recorded")


def write_results(path: Path, shown: str, original: bytes, text: str,
                  checklists: dict[str, Checklist], product: str = "") -> Release:
    """Write `text` over the results file only if the strict loader accepts it; atomic (temp file + rename)."""
    tmpdir = tempfile.mkdtemp(prefix=".readiness-", dir=path.parent)
    try:
        tmp = Path(tmpdir) / path.name
        tmp.write_bytes(text.encode("utf-8"))
        problems = Problems()
        release = load_release(tmp, shown, checklists, problems, product=product)
        if problems.errors or release is None:
            problems.error(Location(shown), "the changed file would not pass the strict loader "
                           "(see the other messages); it was left as it was")
            raise InputError(problems.errors)
        shutil.copymode(path, tmp)
        if path.read_bytes() != original:
            raise InputError([Problem(Location(shown), "the file changed while readiness was editing it; "
                                      "run the command again")])
        os.replace(tmp, path)
        return release
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
