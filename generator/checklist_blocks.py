"""Checklist blocks: markdown-it tokens -> headings (and bold lines standing in for them), list items, tables,
and the lines a sign-off block may name its roles on. One walk, no interpretation beyond the block shapes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from markdown_it.token import Token

from generator.checklist_roles import is_signoff_heading
from generator.checklist_tables import Table
from generator.checklist_text import Text, inline_text
from generator.errors import Location, Problems

LOOKS_LIKE_TASK = re.compile(r"\[[ xX]\](\s|$)")
_FRONT_OPEN = re.compile(r"---[ \t]*\r?\n")
_FRONT_KEY = re.compile(r"[A-Za-z_][\w-]*[ \t]*:")
_FRONT_TITLE = re.compile(r"(name|title)[ \t]*:[ \t]*(.*?)[ \t]*\Z")


@dataclass
class Heading:
    """A heading, or a bold line on its own above task items (`pseudo`), one level below the heading before it."""

    level: int
    text: Text
    line: int
    pseudo: bool = False
    direct_items: int = 0
    subtree_items: int = 0
    signoff: Optional[str] = None  # inside a sign-off block: its kind (checklist_roles.STRICT or QUALIFIED)
    opens_signoff: bool = False  # titled Sign-off, Approvals, ...


@dataclass
class Task:
    """A list item: a task item (`- [ ] ...`), a plain bullet (a group when it holds task items) or a table row."""

    text: Text
    line: int
    checked: bool
    heading: Optional[int]  # index into the headings
    children: list["Task"] = field(default_factory=list)
    parent: Optional["Task"] = None
    plain: bool = False
    is_role: bool = False
    details: tuple[tuple[str, str], ...] = ()
    levels: Optional[tuple[str, ...]] = None


@dataclass
class Line:
    """A paragraph line, plain bullet or table row that names a role if it sits in a sign-off block."""

    heading: Optional[int]
    line: int
    raw: str
    bare: Optional[bool] = None  # whether a label alone names a role; None: as the block's kind says


@dataclass
class Blocks:
    headings: list[Heading]
    tasks: list[Task]  # every list item and table row, in document order of their start
    lines: list[Line]
    tables: list[Table]
    too_deep: bool = False  # nesting the parser stops at: nothing after it was read


def strip_front_matter(text: str) -> tuple[str, Optional[str]]:
    """YAML front matter (`---` ... `---` at the very start) blanked out, keeping line numbers; and its
    `name` (else `title`) as a stand-in title. Read line by line: front matter is never loaded as YAML."""
    if not _FRONT_OPEN.match(text):
        return text, None
    lines = text.split("\n")
    for end in range(1, len(lines)):
        if lines[end].rstrip() in ("---", "..."):
            break
    else:
        return text, None
    body = [ln for ln in lines[1:end] if ln.strip() and not ln.lstrip().startswith("#")]
    if not body or not _FRONT_KEY.match(body[0]):
        return text, None
    found: dict[str, str] = {}
    for ln in lines[1:end]:
        m = _FRONT_TITLE.match(ln.rstrip())
        if m and m.group(1) not in found:
            value = m.group(2)
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            found[m.group(1)] = " ".join(value.split())
    title = found.get("name") or found.get("title") or None
    return "\n" * (end + 1) + "\n".join(lines[end + 1:]), title


def _bold_only(inline: Token) -> bool:
    """A one-line paragraph that is all bold: `**Before release**`, `__Deploy__:`."""
    kids = list(inline.children or [])
    while kids and kids[0].type == "text" and not kids[0].content.strip():
        kids = kids[1:]
    if kids and kids[-1].type == "text" and kids[-1].content.strip() in ("", ":"):
        kids = kids[:-1]
    if len(kids) < 3 or kids[0].type != "strong_open" or kids[-1].type != "strong_close":
        return False
    depth = 0
    for k, child in enumerate(kids):
        if child.type in ("softbreak", "hardbreak"):
            return False
        if child.type == "strong_open":
            depth += 1
        elif child.type == "strong_close":
            depth -= 1
            if depth == 0 and k != len(kids) - 1:
                return False
    return True


def _list_has_tasks(tokens: list[Token], start: int) -> bool:
    """Whether the list opening at `start`, or a list right after it (past HTML comments), holds a task item."""
    level = tokens[start].level
    i = start + 1
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "list_item_open" and tok.meta and "checked" in tok.meta:
            return True
        if tok.level == level and tok.type.endswith("_list_close"):
            nxt = i + 1
            while nxt < len(tokens) and tokens[nxt].type == "html_block" and tokens[nxt].level == level:
                nxt += 1
            if nxt < len(tokens) and tokens[nxt].type in ("bullet_list_open", "ordered_list_open"):
                i = nxt + 1
                continue
            return False
        i += 1
    return False


def _pseudo_heading(tokens: list[Token], i: int) -> bool:
    """A bold paragraph directly above a list with task items (or titled like a sign-off block)."""
    inline = tokens[i + 1]
    if not _bold_only(inline):
        return False
    nxt = tokens[i + 3] if i + 3 < len(tokens) else None
    if nxt is not None and nxt.type in ("bullet_list_open", "ordered_list_open") and _list_has_tasks(tokens, i + 3):
        return True
    return is_signoff_heading(inline_text(inline).plain.rstrip(":"))


def _read_table(tokens: list[Token], i: int, heading: Optional[int], refs: dict) -> tuple[Table, int]:
    """The table opening at `i`, and the index of its `table_close`."""
    table = Table(heading, tokens[i].map[0] + 1 if tokens[i].map else 1, [])
    row: Optional[list[Text]] = None
    in_head = False
    j = i + 1
    while j < len(tokens) and tokens[j].type != "table_close":
        tok = tokens[j]
        if tok.type == "thead_open":
            in_head = True
        elif tok.type == "thead_close":
            in_head = False
        elif tok.type == "tr_open" and not in_head:
            row = []
            table.rows.append(((tok.map[0] + 1) if tok.map else table.line, row))
        elif tok.type == "inline":
            (table.header if in_head else row if row is not None else table.header).append(inline_text(tok, refs))
        j += 1
    return table, j


def scan(tokens: list[Token], path: str, problems: Problems, refs: dict, max_nesting: int) -> Blocks:
    """Walk the tokens once, in document order."""
    for tok in tokens:
        if tok.nesting == 1 and tok.level >= max_nesting - 1:
            problems.error(Location(path, (tok.map[0] + 1) if tok.map else 1, 1),
                           "lists or quotes nested too deeply from here; readiness reads them up to 9 levels deep: "
                           "flatten the list")
            return Blocks([], [], [], [], too_deep=True)
    headings: list[Heading] = []
    tasks: list[Task] = []
    lines: list[Line] = []
    tables: list[Table] = []
    stack: list[Task] = []  # one per open list item
    pending: Optional[Task] = None  # the list item waiting for its text
    real_level = 0
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        here = len(headings) - 1 if headings else None
        if tok.type == "heading_open":
            real_level = int(tok.tag[1])
            headings.append(Heading(real_level, inline_text(tokens[i + 1], refs), tok.map[0] + 1))
            i += 3
            continue
        if tok.type == "table_open":
            table, i = _read_table(tokens, i, here, refs)
            tables.append(table)
        elif tok.type == "paragraph_open" and not stack and tokens[i + 1].type == "inline":
            inline = tokens[i + 1]
            line = tok.map[0] + 1
            if _pseudo_heading(tokens, i):
                text = inline_text(inline, refs)
                text.plain = text.plain.rstrip(":").rstrip()
                headings.append(Heading(real_level + 1, text, line, pseudo=True))
            else:
                for k, raw in enumerate(inline.content.split("\n")):
                    lines.append(Line(here, line + k, raw.rstrip().rstrip("\\").rstrip()))
                if LOOKS_LIKE_TASK.match(inline.content):
                    problems.warning(Location(path, line, 1), f"`{inline.content[:3]}` at the start of a paragraph "
                                     "is not a task item; start the line with `- [ ] `")
            i += 3
            continue
        elif tok.type == "list_item_open":
            is_task = bool(tok.meta) and "checked" in tok.meta
            parent = stack[-1] if stack else None
            task = Task(Text.of(""), tok.map[0] + 1, is_task and bool(tok.meta["checked"]), here, parent=parent,
                        plain=not is_task)
            if parent is not None:
                parent.children.append(task)
            tasks.append(task)
            stack.append(task)
            pending = task
            if task.checked:
                problems.warning(Location(path, task.line, 1),
                                 "checked box `[x]` in the checklist is ignored; record the state in a results file")
        elif tok.type == "list_item_close":
            stack.pop()
            pending = None
        elif tok.type == "inline" and pending is not None and stack and stack[-1] is pending:
            pending.text = inline_text(tok, refs)
            pending = None
        elif tok.type == "html_block" and pending is not None and stack and stack[-1] is pending:
            # `- [ ] <fill in>`: a lone tag is an HTML block; kept as text (a placeholder), never as markup.
            content = "" if tok.content.lstrip().startswith("<!--") else " ".join(tok.content.split())
            pending.text = Text(content, content, "", None, "")
            pending = None
        i += 1
    return Blocks(headings, tasks, lines, tables)
