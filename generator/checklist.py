"""Parse stage: a Markdown task-list checklist -> Checklist, from markdown-it-py tokens.

The blocks (headings, list items, tables, lines) come from checklist_blocks; this module decides what they are:
the title, the sign-off roles, the section level, sections, groups and items, and their ids.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Optional

from markdown_it import MarkdownIt

from generator.checklist_blocks import LOOKS_LIKE_TASK, Blocks, Line, Task, scan, strip_front_matter
from generator.checklist_criteria import criterion
from generator.checklist_sections import place_sections
from generator.checklist_signoff import find_roles, mark_signoff
from generator.checklist_tables import TableReader
from generator.checklist_text import Text, id_source, is_conditional, is_placeholder, shown, warn_mojibake
from generator.checklist_text import mojibake  # noqa: F401  (part of this module's interface)
from generator.errors import Location, Problems
from generator.ids import MAX_ID, PINNED_ID, join_id, slugify
from generator.model import Checklist, Group, Item, Level
from generator.secrets import scan_checklist
from generator.source import read_input

_EMPTY_BOX = re.compile(r"\[[ xX]?\]")  # `- [ ]` with nothing after the box reads as a plain bullet


def load_checklist(path: Path, display: Optional[str] = None) -> tuple[Checklist, list]:
    """Read and parse a checklist file; returns the checklist and its warnings, raises InputError on errors."""
    where = display or str(path)
    problems = Problems()
    text, data = read_input(path, where, "checklist")
    checklist = parse_checklist(text, name=path.stem, path=where, problems=problems,
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


def parse_checklist(text: str, name: str, path: str, problems: Problems, sha256: str = "") -> Checklist:
    """Parse checklist Markdown into sections, groups, items, roles and criteria per docs/formats.md."""
    warn_mojibake(text, path, problems)
    scan_checklist(text, path, problems)
    text, front_title = strip_front_matter(text)
    md = MarkdownIt("commonmark", {"tasklists": True, "html": True}).enable("table")
    env: dict = {}
    tokens = md.parse(text, env)
    blocks = scan(tokens, path, problems, env.get("references", {}), md.options["maxNesting"])
    return _Builder(path, name, problems).build(blocks, front_title, sha256)


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
                self.problems.error(self.loc(line), f"`{shown(text)}` gives an empty id; add `{{#some-id}}` at "
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
        mark_signoff(headings, title_index)
        levels = self._tables(blocks)
        roles = find_roles(blocks, self.path, self.problems)
        roots = self._prune([t for t in tasks if t.parent is None and not t.is_role], None)
        sections = place_sections(self, headings, roots, title_index, title_text)
        checklist = Checklist(self.name, self.path, title_text.plain, sections, tuple(roles), sha256, levels)
        if not checklist.items and not blocks.too_deep:
            hint = (" (a table holds items when a column beside its text holds check marks or empty boxes, ✓ ☐ "
                    "`[ ]`, or is a blank Status or Done column)" if blocks.tables else "")
            self.problems.error(self.loc(1), "checklist has no items; add task items such as `- [ ] Backups tested`"
                                + hint)
        return checklist

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
                reason = (f"`{shown(task.text)}` is a placeholder" if task.text.raw.strip() else "empty task item") \
                    + ", not an item; it is left out (write the item, or delete the line)"
            elif task.text.pinned is None and not slugify(id_source(task.text.idtext)):
                reason = (f"`{shown(task.text)}` gives no id; it is left out until you add `{{#some-id}}` at the "
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

