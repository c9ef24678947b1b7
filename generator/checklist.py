"""Parse stage: a Markdown task-list checklist -> Checklist, from markdown-it-py tokens.

The blocks (headings, list items, tables, lines) come from checklist_blocks; this module decides what they are:
the title, the sign-off roles, the section level, sections, groups and items, and their ids.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path
from typing import Optional, Union

from markdown_it import MarkdownIt

from generator.checklist_blocks import LOOKS_LIKE_TASK, Blocks, Heading, Line, Task, scan, strip_front_matter
from generator.checklist_criteria import criterion
from generator.checklist_roles import QUALIFIED, STRICT, line_role, loose_label, role_label, signoff_kind
from generator.checklist_tables import TableReader
from generator.checklist_text import Text, id_source, is_conditional, is_placeholder
from generator.errors import Location, Problems
from generator.ids import MAX_ID, PINNED_ID, join_id, slugify
from generator.model import Checklist, Group, Item, Level, Role, Section
from generator.source import read_input

MAX_LEVEL = 8  # six heading levels and bold lines one below the deepest
_EMPTY_BOX = re.compile(r"\[[ xX]?\]")  # `- [ ]` with nothing after the box reads as a plain bullet


def load_checklist(path: Path, display: Optional[str] = None) -> tuple[Checklist, list]:
    """Read and parse a checklist file; returns the checklist and its warnings, raises InputError on errors."""
    shown = display or str(path)
    problems = Problems()
    text, data = read_input(path, shown, "checklist")
    checklist = parse_checklist(text, name=path.stem, path=shown, problems=problems,
                                sha256=hashlib.sha256(data).hexdigest())
    problems.raise_if_errors()
    return checklist, problems.warnings


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def describe(checklist: Checklist) -> str:
    """One line on the structure found: sections, groups, items, roles, criteria and levels."""
    groups = sum(1 for n in checklist.nodes.values() if isinstance(n, Group))
    levels = ", ".join(level.label for level in checklist.levels)
    return (f"{_plural(len(checklist.sections), 'section')}, {_plural(groups, 'group')}, "
            f"{_plural(len(checklist.items), 'item')}, {_plural(len(checklist.roles), 'role')}, "
            f"{len(checklist.criteria)} {'criterion' if len(checklist.criteria) == 1 else 'criteria'}, "
            + (f"{_plural(len(checklist.levels), 'level')} ({levels})" if levels else "no levels"))


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
    for number, line in enumerate(re.split(r"\r\n|\r|\n", text), start=1):  # lines as markdown-it counts them
        found = mojibake(line)
        if found:
            problems.warning(Location(path, number, 1), f"text looks garbled (UTF-8 read as {found[1]}); "
                             f"did you mean `{found[0].strip()}`? Re-save the file as UTF-8")


def parse_checklist(text: str, name: str, path: str, problems: Problems, sha256: str = "") -> Checklist:
    """Parse checklist Markdown into sections, groups, items, roles and criteria per docs/formats.md."""
    _warn_mojibake(text, path, problems)
    text, front_title = strip_front_matter(text)
    md = MarkdownIt("commonmark", {"tasklists": True, "html": True}).enable("table")
    env: dict = {}
    tokens = md.parse(text, env)
    blocks = scan(tokens, path, problems, env.get("references", {}), md.options["maxNesting"])
    return _Builder(path, name, problems).build(blocks, front_title, sha256)


def _in_signoff_list(task: Task) -> bool:
    """Whether a list item sits under a plain bullet titled like a sign-off block (`- Signatures:`)."""
    parent = task.parent
    while parent is not None:
        if parent.plain and signoff_kind(parent.text.plain.rstrip(":")) == STRICT:
            return True
        parent = parent.parent
    return False


def _holds_task(task: Task) -> bool:
    """Whether a list item is a task item or holds one."""
    return not task.plain or any(_holds_task(k) for k in task.children)


def _shown(text: Text) -> str:
    return text.raw if len(text.raw) <= 60 else text.raw[:57] + "..."


class _Builder:
    """Turns the blocks into a title, roles, sections, groups and items with ids."""

    def __init__(self, path: str, name: str, problems: Problems):
        self.path = path
        self.name = name
        self.problems = problems
        self.seen: dict[str, int] = {}

    def loc(self, line: int) -> Location:
        return Location(self.path, line, 1)

    # --- ids ---------------------------------------------------------------

    def make_id(self, text: Text, parent_id: Optional[str], line: int) -> tuple[str, bool, str]:
        """The node's id, whether it is conditional, and its display text."""
        conditional = is_conditional(text.plain)
        if text.pinned is not None:
            if not PINNED_ID.match(text.pinned):
                self.problems.error(self.loc(line), f"pinned id `{{#{text.pinned}}}` must be lower-case letters, "
                                    "digits and - . _ separated by /")
            elif len(text.pinned) > MAX_ID:
                self.problems.error(self.loc(line), f"pinned id is {len(text.pinned)} characters long; ids are "
                                    f"at most {MAX_ID}")
            node_id = text.pinned
        else:
            slug = slugify(id_source(text.idtext))
            if not slug:
                self.problems.error(self.loc(line), f"`{_shown(text)}` gives an empty id; add `{{#some-id}}` at "
                                    "the end of the line")
                slug = f"line-{line}"
            node_id = join_id(parent_id, slug)
            if len(f"{parent_id}/{slug}" if parent_id else slug) > MAX_ID:
                # A shortened id could meet another one cut from the same words: number it instead.
                base, n = node_id, 2
                while node_id in self.seen:
                    suffix = f"-{n}"
                    node_id = join_id(None, base[: MAX_ID - len(suffix)].rstrip("-/") + suffix)
                    n += 1
        if node_id in self.seen:
            self.problems.error(self.loc(line), f"duplicate id `{node_id}` (also on line {self.seen[node_id]}); "
                                "reword one of them or pin an id with `{#...}`")
        else:
            self.seen[node_id] = line
        return node_id, conditional, text.raw

    def task_node(self, task: Task, parent_id: str, ancestors: tuple[str, ...], inherited: bool):
        """An item, or a group when the task (or plain bullet) has nested task items."""
        node_id, conditional, display = self.make_id(task.text, parent_id, task.line)
        cond = conditional or inherited
        if task.children:
            children = tuple(self.task_node(k, node_id, ancestors + (node_id,), cond) for k in task.children)
            return Group(node_id, display, task.text.plain, self.loc(task.line), conditional, children)
        return Item(node_id, display, task.text.plain, self.loc(task.line), cond, criterion(task.text.prose),
                    ancestors, task.checked, task.details, task.levels)

    # --- stages --------------------------------------------------------------

    def build(self, blocks: Blocks, front_title: Optional[str], sha256: str) -> Checklist:
        headings, tasks = blocks.headings, blocks.tasks
        first_task = min((t.line for t in tasks if not t.plain), default=None)
        title_index: Optional[int] = None
        if headings and headings[0].level == 1 and not headings[0].pseudo:
            if first_task is None or first_task > headings[0].line:
                title_index = 0
        title_text = (headings[title_index].text if title_index is not None
                      else Text.of(front_title) if front_title else Text.of(self.name))
        self._mark_signoff(headings, title_index)
        levels = self._tables(blocks)
        roles = self._roles(blocks)
        roots = self._prune([t for t in tasks if t.parent is None and not t.is_role], None)
        sections = self._structure(headings, roots, title_index, title_text)
        checklist = Checklist(self.name, self.path, title_text.plain, sections, tuple(roles), sha256, levels)
        if not checklist.items and not blocks.too_deep:
            hint = (" (a table holds items when a column other than the first holds check marks or empty boxes: "
                    "✓, ☐, `[ ]`)" if blocks.tables else "")
            self.problems.error(self.loc(1), "checklist has no items; add task items such as `- [ ] Backups tested`"
                                + hint)
        return checklist

    def _mark_signoff(self, headings: list[Heading], title_index: Optional[int]) -> None:
        """A sign-off heading makes its block, to the next heading of the same or a higher level, a sign-off block."""
        until: Optional[int] = None
        kind: Optional[str] = None
        for idx, h in enumerate(headings):
            if until is not None and h.level <= until:
                until, kind = None, None
            found = signoff_kind(h.text.plain) if idx != title_index else None
            if found:
                until, kind = h.level, found
                h.opens_signoff = True
            h.signoff = kind

    def _tables(self, blocks: Blocks) -> tuple[Level, ...]:
        """Rows of checklist tables become task items (rows in a sign-off block become role lines)."""
        headings = blocks.headings
        in_signoff = [t for t in blocks.tables if t.heading is not None and headings[t.heading].signoff]
        for table in in_signoff:  # a sign-off table's rows name roles in their first cell, whatever the block
            blocks.lines.extend(Line(table.heading, line, cells[0].raw, bare=True) for line, cells in table.rows
                                if cells)
        reader = TableReader([t for t in blocks.tables if t not in in_signoff])
        for table in reader.tables:
            if not reader.is_checklist(table):
                boxes = [(line, cell.raw[:3]) for line, cells in table.rows for cell in cells
                         if LOOKS_LIKE_TASK.match(cell.raw)]
                if boxes:  # once per table: a template may hold dozens
                    self.problems.warning(self.loc(boxes[0][0]), f"`{boxes[0][1]}` in a table is not a task item; "
                                          "start the line with `- [ ] `")
                continue
            rows = reader.rows(table)
            for row in rows:
                blocks.tasks.append(Task(row.text, row.line, False, table.heading, details=row.details,
                                         levels=row.levels))
            ticked = [row.line for row in rows if row.checked]
            if ticked:
                self.problems.warning(self.loc(ticked[0]), "check marks in the table are ignored; record the state "
                                      "in a results file")
        return tuple(Level(i, label) for i, label in reader.level_names.items())

    def _roles(self, blocks: Blocks) -> list[Role]:
        """Task items that are role lines, and any line in a sign-off block that names a role."""
        headings = blocks.headings
        candidates: list[tuple[int, Task | Line]] = []
        for task in blocks.tasks:
            block = headings[task.heading].signoff if task.heading is not None else None
            if _in_signoff_list(task):  # under a bullet `- Signatures:`
                block = STRICT
            if task.plain:
                if block and not task.children:
                    candidates.append((task.line, Line(task.heading, task.line, task.text.raw,
                                                       bare=block == STRICT)))
            elif not any(_holds_task(k) for k in task.children):
                if block == STRICT or role_label(task.text.raw):
                    candidates.append((task.line, task))
                elif block == QUALIFIED and line_role(task.text.raw, bare=False):
                    task.is_role = True
                    candidates.append((task.line, Line(task.heading, task.line, task.text.raw, bare=False)))
        candidates += [(ln.line, ln) for ln in blocks.lines if ln.heading is not None and headings[ln.heading].signoff]
        candidates.sort(key=lambda c: c[0])

        roles: list[Role] = []
        lines: dict[str, int] = {}
        held: set[int] = set()  # the sign-off headings that yield a role
        for line, what in candidates:
            if isinstance(what, Task):
                label = role_label(what.text.raw)
                what.is_role = True
                if label is None:
                    label = loose_label(what.text.raw)
                if not label:
                    self.problems.error(self.loc(line),
                                        "sign-off role has no label; write it as `- [ ] **Role name:** ____ Date: ____`")
                    continue
                pinned, heading = what.text.pinned, what.heading
            else:
                bare = what.bare if what.bare is not None else headings[what.heading].signoff == STRICT
                label = line_role(what.raw, bare=bare)
                if label is None:
                    continue
                pinned, heading = None, what.heading
            role_id = pinned or slugify(label)
            if not role_id:
                self.problems.error(self.loc(line), f"role `{label}` gives an empty id; add `{{#some-id}}`")
                continue
            if role_id in lines:
                self.problems.error(self.loc(line), f"duplicate role `{role_id}` (also on line {lines[role_id]})")
                continue
            lines[role_id] = line
            roles.append(Role(role_id, label, self.loc(line)))
            if heading is not None and not headings[heading].signoff:
                heading = None
            while heading is not None and not headings[heading].opens_signoff:
                heading = heading - 1 if heading > 0 and headings[heading - 1].signoff else None
            if heading is not None:
                held.add(heading)
        for idx, h in enumerate(headings):
            if h.opens_signoff and h.signoff == STRICT and idx not in held:
                self.problems.warning(self.loc(h.line), f"sign-off heading `{_shown(h.text)}` names no role; write "
                                      "each role as `- [ ] **Role name:** ____ Date: ____`")
        return roles

    def _prune(self, tasks: list[Task], parent: Optional[Task]) -> list[Task]:
        """Placeholders and items whose text gives no id leave the tree, with a warning; their nested items move
        up. Plain bullets stay only as groups of task items."""
        out: list[Task] = []
        for task in tasks:
            if task.is_role:
                continue
            kids = self._prune(task.children, task)
            reason = None
            if task.plain:
                if not kids and _EMPTY_BOX.fullmatch(task.text.raw):
                    self.problems.warning(self.loc(task.line), "empty task item, not an item; it is left out (write "
                                          "the item, or delete the line)")
                if not kids:
                    continue
                if is_placeholder(task.text) or not slugify(id_source(task.text.idtext)):
                    reason = ""  # a bullet without words above task items: the items simply move up
            elif is_placeholder(task.text):
                reason = (f"`{_shown(task.text)}` is a placeholder" if task.text.raw.strip() else "empty task item") \
                    + ", not an item; it is left out (write the item, or delete the line)"
            elif task.text.pinned is None and not slugify(id_source(task.text.idtext)):
                reason = (f"`{_shown(task.text)}` gives no id; it is left out until you add `{{#some-id}}` at the "
                          "end of the line")
            if reason is None:
                task.children = kids
                for k in kids:
                    k.parent = task
                out.append(task)
                continue
            if reason:
                self.problems.warning(self.loc(task.line), reason)
            for k in kids:
                k.parent = parent
            out.extend(kids)
        return out

    def _structure(self, headings: list[Heading], roots: list[Task], title_index: Optional[int],
                   title_text: Text) -> tuple[Section, ...]:
        """Count items per heading, choose the section level, and place every task in a section or group."""
        for t in roots:
            if t.heading is not None:
                headings[t.heading].direct_items += 1
        ignored = {title_index} if title_index is not None else set()
        for idx, h in enumerate(headings):
            if idx not in ignored and h.level == 1 and not h.pseudo and h.direct_items == 0:
                ignored.add(idx)

        def spans() -> None:
            for idx, h in enumerate(headings):
                end = next((j for j in range(idx + 1, len(headings))
                            if headings[j].level <= h.level and j not in ignored), len(headings))
                h.subtree_items = sum(headings[j].direct_items for j in range(idx, end))

        spans()
        stray = self._stray_heading(headings, ignored)
        if stray is not None:
            ignored.add(stray)
            spans()

        section_level: Optional[int] = None
        for level in range(1, MAX_LEVEL + 1):
            at_level = [h for i, h in enumerate(headings) if h.level == level and i not in ignored]
            if any(h.direct_items for h in at_level) or sum(1 for h in at_level if h.subtree_items) > 1:
                section_level = level
                break
        return _Placer(self, headings, ignored, stray, section_level, title_text,
                       headings[title_index].line if title_index is not None else 1).place(roots)

    @staticmethod
    def _stray_heading(headings: list[Heading], ignored: set) -> Optional[int]:
        """A `#` heading other than the title, the only one holding items, with items directly under it and two or
        more deeper headings holding items directly: its own items are stray, not a reason to make `#` the section
        level (a lone `#` section would swallow the real ones as its groups)."""
        at_one = [i for i, h in enumerate(headings) if h.level == 1 and not h.pseudo and i not in ignored
                  and h.subtree_items]
        if len(at_one) != 1 or not headings[at_one[0]].direct_items:
            return None
        deeper = [h for h in headings if h.level > 1 and h.direct_items]
        return at_one[0] if len(deeper) >= 2 else None


class _Placer:
    """Walks headings and top-level tasks in document order, giving each task its section and group path."""

    def __init__(self, builder: _Builder, headings: list[Heading], ignored: set, stray_heading: Optional[int],
                 section_level: Optional[int], title_text: Text, title_line: int):
        self.b = builder
        self.headings = headings
        self.ignored = ignored
        self.stray_heading = stray_heading
        self.section_level = section_level
        self.title_text = title_text
        self.title_line = title_line
        self.sections: list[dict] = []
        self.default: Optional[dict] = None
        self.stray: list[tuple[int, Optional[int]]] = []  # (line, heading) of tasks outside any section
        self.stray_section: Optional[tuple[dict, Heading]] = None

    def new_section(self, text: Text, line: int) -> dict:
        node_id, cond, display = self.b.make_id(text, None, line)
        sec = {"id": node_id, "cond": cond, "display": display, "plain": text.plain, "line": line, "children": []}
        self.sections.append(sec)
        return sec

    def default_section(self) -> dict:
        if self.default is None:
            self.default = self.new_section(self.title_text, self.title_line)
        return self.default

    def place(self, roots: list[Task]) -> tuple[Section, ...]:
        events: list[tuple[int, str, object]] = [(h.line, "h", i) for i, h in enumerate(self.headings)]
        events += [(t.line, "t", t) for t in roots]
        events.sort(key=lambda e: (e[0], e[1]))
        current: Optional[dict] = None
        group_stack: list[tuple[int, dict]] = []
        for _, kind, obj in events:
            if kind == "h":
                h = self.headings[obj]
                if obj == self.stray_heading:
                    current, group_stack = self.new_section(h.text, h.line), []
                    self.stray_section = (current, h)
                    continue
                if obj in self.ignored:
                    continue
                if self.section_level is None or h.level < self.section_level:
                    current, group_stack = None, []
                elif h.level == self.section_level:
                    current = self.new_section(h.text, h.line) if h.subtree_items else None
                    group_stack = []
                else:
                    while group_stack and group_stack[-1][0] >= h.level:
                        group_stack.pop()
                    if h.subtree_items:
                        owner = current or self.default_section()
                        parent = group_stack[-1][1] if group_stack else owner
                        gid, cond, display = self.b.make_id(h.text, parent["id"], h.line)
                        group = {"id": gid, "cond": cond, "display": display, "plain": h.text.plain,
                                 "line": h.line, "children": []}
                        parent["children"].append(group)
                        group_stack.append((h.level, group))
            else:
                owner = current
                if owner is None:
                    owner = self.default_section()
                    self.stray.append((obj.line, obj.heading))
                parent = group_stack[-1][1] if group_stack else owner
                parent["children"].append(obj)
        frozen = tuple(Section(s["id"], s["display"], s["plain"], self.b.loc(s["line"]), s["cond"],
                               self.freeze(s, (), False)) for s in self.sections)
        self.warn_stray()
        return frozen

    def warn_stray(self) -> None:
        """Items outside every section, when the checklist has sections: one warning per run under one heading."""
        if self.stray_section is not None and self.section_level is not None:
            section, h = self.stray_section
            first = next((c for c in section["children"] if isinstance(c, Task)), None)
            if first is not None:
                self.b.problems.warning(self.b.loc(first.line), f"task item directly under `# {_shown(h.text)}` "
                                        f"(line {h.line}), above the sections (`{'#' * self.section_level}`); it is "
                                        "put in a section of its own")
        if self.default is None or len(self.sections) < 2 or not self.stray:
            return
        runs: list[list[int]] = []
        last: object = object()
        for line, heading in self.stray:
            if heading != last:
                runs.append([])
                last = heading
            runs[-1].append(line)
        for run in runs:
            what = "task item" if len(run) == 1 else f"{len(run)} task items (lines {run[0]}-{run[-1]})"
            self.b.problems.warning(self.b.loc(run[0]), f"{what} outside the sections; put in a section named after "
                                    f"the title, `{self.default['plain']}` (move {'it' if len(run) == 1 else 'them'} "
                                    "under a section heading to change that)")

    def freeze(self, node: dict, ancestors: tuple[str, ...], inherited: bool) -> tuple:
        cond = node["cond"] or inherited
        out: list[Union[Group, Item]] = []
        for child in node["children"]:
            if isinstance(child, Task):
                out.append(self.b.task_node(child, node["id"], ancestors + (node["id"],), cond))
            else:
                kids = self.freeze(child, ancestors + (node["id"],), cond)
                out.append(Group(child["id"], child["display"], child["plain"], self.b.loc(child["line"]),
                                 child["cond"], kids))
        return tuple(out)
