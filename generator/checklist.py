"""Parse stage: a Markdown task-list checklist -> Checklist, from markdown-it-py tokens."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from markdown_it import MarkdownIt
from markdown_it.token import Token

from generator.errors import Location, Problems
from generator.ids import PINNED_ID, slugify
from generator.model import Checklist, Criterion, Group, Item, Role, Section
from generator.secrets import scan_checklist
from generator.source import read_input

SIGNOFF_HEADINGS = {"sign-off", "sign-offs", "signoff", "signoffs", "approvals", "approval"}
_PINNED = re.compile(r"\s*\{#([^{}\s]*)\}\s*$")
_PAREN_TAIL = re.compile(r"\s*\(([^()]*)\)\s*$")
_CONDITION = re.compile(r"optional|if(\s+\S+){1,5}", re.IGNORECASE)
_UNITS = r"ms|seconds|second|secs|sec|s|minutes|min|%|KB|MB|GB"
# At most 12 digits either side of the point: a longer number states no threshold anything is measured against.
_THRESHOLD = re.compile(
    r"(?P<op><=|>=|≤|≥|<|>)\s*(?P<num>\d{1,12}(?:\.\d{1,12})?)\s*(?P<unit>" + _UNITS + r")(?![A-Za-z0-9])"
)
_OPS = {"≤": "<=", "≥": ">="}
_BOLD_LABEL = re.compile(r"(\*\*|__)(?P<label>.+?)\1(?P<rest>.*)\Z", re.DOTALL)
_BLANKS = re.compile(r"(?P<b1>[\s_*]*)(?:Date\s*:?(?P<b2>[\s_*]*))?\Z", re.IGNORECASE)
_LOOKS_LIKE_TASK = re.compile(r"\[[ xX]\](\s|$)")


def load_checklist(path: Path, display: Optional[str] = None) -> tuple[Checklist, list]:
    """Read and parse a checklist file; returns the checklist and its warnings, raises InputError on errors."""
    shown = display or str(path)
    problems = Problems()
    text, data = read_input(path, shown, "checklist")
    checklist = parse_checklist(text, name=path.stem, path=shown, problems=problems,
                                sha256=hashlib.sha256(data).hexdigest())
    problems.raise_if_errors()
    return checklist, problems.warnings


# --- tokens -> light tree ----------------------------------------------------


@dataclass
class _Text:
    """An inline run: raw Markdown, plain text, plain text outside code spans, and a pinned id."""

    raw: str
    plain: str
    prose: str
    pinned: Optional[str]


@dataclass
class _Heading:
    level: int
    text: _Text
    line: int
    direct_items: int = 0
    subtree_items: int = 0
    signoff: bool = False


@dataclass
class _Task:
    text: _Text
    line: int
    checked: bool
    heading: Optional[int]  # index into headings
    children: list["_Task"] = field(default_factory=list)
    parent: Optional["_Task"] = None
    is_role: bool = False


def _inline_text(token: Token) -> _Text:
    """Raw, plain and code-free text of an inline token, with a trailing `{#id}` split off."""
    raw = token.content
    plain_parts: list[str] = []
    prose_parts: list[str] = []
    for child in token.children or []:
        if child.type == "text":
            plain_parts.append(child.content)
            prose_parts.append(child.content)
        elif child.type == "code_inline":
            plain_parts.append(child.content)
            prose_parts.append(" ")
        elif child.type in ("softbreak", "hardbreak"):
            plain_parts.append(" ")
            prose_parts.append(" ")
        elif child.type == "image":
            plain_parts.append(child.content)
    plain = " ".join("".join(plain_parts).split())
    prose = " ".join("".join(prose_parts).split())
    pinned = None
    m = _PINNED.search(raw)
    if m:
        pinned = m.group(1)
        raw = raw[: m.start()].rstrip()
        plain = _PINNED.sub("", plain).rstrip()
        prose = _PINNED.sub("", prose).rstrip()
    return _Text(raw, plain, prose, pinned)


def _scan(tokens: list[Token], path: str, problems: Problems) -> tuple[list[_Heading], list[_Task]]:
    """Walk tokens once: headings, task items with their nesting, and warnings for look-alike boxes."""
    headings: list[_Heading] = []
    tasks: list[_Task] = []
    stack: list[Optional[_Task]] = []  # one entry per open list item; None for a plain bullet
    pending: Optional[Token] = None  # list_item_open of a task waiting for its text
    in_table = 0
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open":
            inline = tokens[i + 1]
            headings.append(_Heading(int(tok.tag[1]), _inline_text(inline), tok.map[0] + 1))
        elif tok.type == "list_item_open":
            if tok.meta and "checked" in tok.meta:
                pending = tok
                parent = next((t for t in reversed(stack) if t is not None), None)
                task = _Task(_Text("", "", "", None), tok.map[0] + 1, bool(tok.meta["checked"]),
                             len(headings) - 1 if headings else None, parent=parent)
                if parent:
                    parent.children.append(task)
                tasks.append(task)
                stack.append(task)
                if task.checked:
                    problems.warning(Location(path, task.line, 1),
                                     "checked box `[x]` in the checklist is ignored; record the state in a results file")
            else:
                stack.append(None)
        elif tok.type == "list_item_close":
            stack.pop()
        elif tok.type == "table_open":
            in_table += 1
        elif tok.type == "table_close":
            in_table -= 1
        elif tok.type == "inline":
            if pending is not None and stack and stack[-1] is not None and not stack[-1].text.raw:
                stack[-1].text = _inline_text(tok)
                pending = None
                continue
            prev = tokens[i - 1] if i else None
            starts_paragraph = prev is not None and prev.type == "paragraph_open" and not any(stack)
            if (in_table or starts_paragraph) and _LOOKS_LIKE_TASK.match(tok.content):
                where = "in a table" if in_table else "at the start of a paragraph"
                problems.warning(Location(path, (tok.map[0] + 1) if tok.map else 1, 1),
                                 f"`{tok.content[:3]}` {where} is not a task item; start the line with `- [ ] `")
    return headings, tasks


# --- light tree -> Checklist -------------------------------------------------


def _conditional(text: str) -> tuple[bool, str]:
    """Whether the text ends in an "(optional)" / "(if ...)" parenthetical; returns the text without it."""
    conditional = False
    kept: list[str] = []
    rest = text
    while True:
        m = _PAREN_TAIL.search(rest)
        if not m:
            break
        inner = m.group(1).strip()
        if _CONDITION.fullmatch(inner):
            conditional = True
        else:
            kept.insert(0, m.group(0))
        rest = rest[: m.start()]
    return conditional, rest + "".join(kept)


def _criterion(prose: str) -> Optional[Criterion]:
    """The threshold an item's prose states, if it compares a number with a unit."""
    m = _THRESHOLD.search(prose)
    if not m:
        return None
    op = _OPS.get(m.group("op"), m.group("op"))
    return Criterion(op, float(m.group("num")), m.group("unit"), m.group(0))


def _role_label(raw: str) -> Optional[str]:
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


def _loose_label(raw: str) -> str:
    """A role label under a Sign-off heading: the text without bold markers, blanks and a trailing `Date:`."""
    text = raw.replace("\\", "")
    text = re.sub(r"[_*]{2,}|(?<!\w)[_*]|[_*](?!\w)", " ", text)
    text = re.sub(r"\bDate\s*:?\s*$", "", text.strip(), flags=re.IGNORECASE)
    return " ".join(text.split()).rstrip(":").strip()


class _Builder:
    """Turns headings and task items into sections, groups and items with ids."""

    def __init__(self, path: str, name: str, problems: Problems):
        self.path = path
        self.name = name
        self.problems = problems
        self.seen: dict[str, int] = {}

    def loc(self, line: int) -> Location:
        return Location(self.path, line, 1)

    def make_id(self, text: _Text, parent_id: Optional[str], line: int) -> tuple[str, bool, str]:
        """The node's id, whether it is conditional, and its display text."""
        conditional, without = _conditional(text.plain)
        if text.pinned is not None:
            if not PINNED_ID.match(text.pinned):
                self.problems.error(self.loc(line), f"pinned id `{{#{text.pinned}}}` must be lower-case letters, "
                                    "digits and - . _ separated by /")
            node_id = text.pinned
        else:
            slug = slugify(without)
            if not slug:
                self.problems.error(self.loc(line), f"`{text.raw}` gives an empty id; add `{{#some-id}}` at the end "
                                    "of the line")
                slug = f"line-{line}"
            node_id = f"{parent_id}/{slug}" if parent_id else slug
        if node_id in self.seen:
            self.problems.error(self.loc(line), f"duplicate id `{node_id}` (also on line {self.seen[node_id]}); "
                                "reword one of them or pin an id with `{#...}`")
        else:
            self.seen[node_id] = line
        return node_id, conditional, text.raw

    def task_node(self, task: _Task, parent_id: str, ancestors: tuple[str, ...], inherited: bool):
        """An item, or a group when the task has nested (non-role) tasks."""
        node_id, conditional, display = self.make_id(task.text, parent_id, task.line)
        cond = conditional or inherited
        kids = [k for k in task.children if not k.is_role]
        if kids:
            children = tuple(self.task_node(k, node_id, ancestors + (node_id,), cond) for k in kids)
            return Group(node_id, display, task.text.plain, self.loc(task.line), conditional, children)
        return Item(node_id, display, task.text.plain, self.loc(task.line), cond,
                    _criterion(task.text.prose), ancestors, task.checked)


_MOJIBAKE_ENCODINGS = (("mac_roman", "Mac Roman"), ("cp1252", "Windows-1252"))


def mojibake(line: str) -> Optional[tuple[str, str]]:
    """(likely intended text, wrong encoding) when a line reads as UTF-8 bytes decoded with a legacy code page."""
    if line.isascii():
        return None
    candidates = []
    for codec, label in _MOJIBAKE_ENCODINGS:
        try:
            fixed = line.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if fixed != line and not fixed.isascii():
            # Marks and control characters are what a wrong guess produces; the fewest wins.
            odd = sum(1 for ch in fixed if unicodedata.category(ch)[0] in "MC")
            candidates.append((odd, fixed, label))
    if not candidates:
        return None
    _, fixed, label = min(candidates, key=lambda c: c[0])
    return fixed, label


def _warn_mojibake(text: str, path: str, problems: Problems) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        found = mojibake(line)
        if found:
            problems.warning(Location(path, number, 1), f"text looks garbled (UTF-8 read as {found[1]}); "
                             f"did you mean `{found[0].strip()}`? Re-save the file as UTF-8")


def parse_checklist(text: str, name: str, path: str, problems: Problems, sha256: str = "") -> Checklist:
    """Parse checklist Markdown into sections, groups, items, roles and criteria per DESIGN.md."""
    _warn_mojibake(text, path, problems)
    scan_checklist(text, path, problems)
    md = MarkdownIt("commonmark", {"tasklists": True, "html": True}).enable("table")
    headings, tasks = _scan(md.parse(text), path, problems)
    builder = _Builder(path, name, problems)

    title_index: Optional[int] = None
    if headings and headings[0].level == 1:
        first_task_line = min((t.line for t in tasks), default=None)
        if first_task_line is None or first_task_line > headings[0].line:
            title_index = 0
    title = headings[title_index].text.plain if title_index is not None else name

    # Sign-off headings make every task under them (to the next heading of the same or higher level) a role.
    signoff_until: Optional[int] = None
    for idx, h in enumerate(headings):
        if signoff_until is not None and h.level <= signoff_until:
            signoff_until = None
        if slugify(h.text.plain) in SIGNOFF_HEADINGS:
            signoff_until = h.level
        h.signoff = signoff_until is not None

    roles: list[Role] = []
    role_lines: dict[str, int] = {}
    for task in tasks:
        if task.children:
            continue
        label = _role_label(task.text.raw)
        in_block = task.heading is not None and headings[task.heading].signoff
        if label is None and in_block:
            label = _loose_label(task.text.raw)
            if not label:
                problems.error(Location(path, task.line, 1),
                               "sign-off role has no label; write it as `- [ ] **Role name:** ____ Date: ____`")
                task.is_role = True
                continue
        if label is None:
            continue
        task.is_role = True
        role_id = task.text.pinned or slugify(label)
        if not role_id:
            problems.error(Location(path, task.line, 1), f"role `{label}` gives an empty id; add `{{#some-id}}`")
            continue
        if role_id in role_lines:
            problems.error(Location(path, task.line, 1),
                           f"duplicate role `{role_id}` (also on line {role_lines[role_id]})")
            continue
        role_lines[role_id] = task.line
        roles.append(Role(role_id, label, Location(path, task.line, 1)))

    # Count items per heading, directly and in its subtree; the title and ignored `#` headings hold none.
    top_items = [t for t in tasks if not t.is_role and (t.parent is None or t.parent.is_role)]
    all_items = [t for t in tasks if not t.is_role]
    for t in all_items:
        if t.heading is not None and t.parent is None:
            headings[t.heading].direct_items += 1
    ignored = {title_index} if title_index is not None else set()
    for idx, h in enumerate(headings):
        if idx not in ignored and h.level == 1 and h.direct_items == 0:
            ignored.add(idx)
    for idx, h in enumerate(headings):
        end = next((j for j in range(idx + 1, len(headings))
                    if headings[j].level <= h.level and j not in ignored), len(headings))
        h.subtree_items = sum(headings[j].direct_items for j in range(idx, end))

    section_level: Optional[int] = None
    for level in range(1, 7):
        at_level = [h for i, h in enumerate(headings) if h.level == level and i not in ignored]
        if any(h.direct_items for h in at_level) or sum(1 for h in at_level if h.subtree_items) > 1:
            section_level = level
            break

    # Walk headings and top-level tasks in document order, assigning each task a section and group path.
    sections: list[dict] = []  # {"node": _Text, "line", "id", "cond", "children": list}
    default: Optional[dict] = None
    current: Optional[dict] = None
    group_stack: list[tuple[int, dict]] = []  # heading groups: (level, group dict)

    def new_section(text: _Text, line: int) -> dict:
        node_id, cond, display = builder.make_id(text, None, line)
        sec = {"id": node_id, "cond": cond, "display": display, "plain": text.plain, "line": line, "children": []}
        sections.append(sec)
        return sec

    def default_section() -> dict:
        nonlocal default
        if default is None:
            title_text = headings[title_index].text if title_index is not None else _Text(name, name, name, None)
            line = headings[title_index].line if title_index is not None else 1
            default = new_section(title_text, line)
        return default

    events: list[tuple[int, str, object]] = [(h.line, "h", i) for i, h in enumerate(headings)]
    events += [(t.line, "t", t) for t in top_items]
    events.sort(key=lambda e: (e[0], e[1]))
    for _, kind, obj in events:
        if kind == "h":
            idx = obj
            h = headings[idx]
            if idx in ignored:
                continue
            if section_level is None or h.level < section_level:
                current, group_stack = None, []
            elif h.level == section_level:
                current = new_section(h.text, h.line) if h.subtree_items else None
                group_stack = []
            else:
                while group_stack and group_stack[-1][0] >= h.level:
                    group_stack.pop()
                if h.subtree_items:
                    owner = current or default_section()
                    parent = group_stack[-1][1] if group_stack else owner
                    gid, cond, display = builder.make_id(h.text, parent["id"], h.line)
                    group = {"id": gid, "cond": cond, "display": display, "plain": h.text.plain,
                             "line": h.line, "children": [], "section": owner}
                    parent["children"].append(group)
                    group_stack.append((h.level, group))
        else:
            task = obj
            owner = current or default_section()
            parent = group_stack[-1][1] if group_stack else owner
            parent["children"].append(task)

    def freeze(node: dict, ancestors: tuple[str, ...], inherited: bool) -> tuple:
        cond = node["cond"] or inherited
        out = []
        for child in node["children"]:
            if isinstance(child, _Task):
                out.append(builder.task_node(child, node["id"], ancestors + (node["id"],), cond))
            else:
                kids = freeze(child, ancestors + (node["id"],), cond)
                out.append(Group(child["id"], child["display"], child["plain"],
                                 Location(path, child["line"], 1), child["cond"], kids))
        return tuple(out)

    frozen = tuple(
        Section(s["id"], s["display"], s["plain"], Location(path, s["line"], 1), s["cond"], freeze(s, (), False))
        for s in sections
    )
    checklist = Checklist(name, path, title, frozen, tuple(roles), sha256)
    if not checklist.items:
        problems.error(Location(path, 1, 1), "checklist has no items; add task items such as `- [ ] Backups tested`")
    return checklist
