"""Sections: the section level a checklist's headings give, and each task's place in a section or group."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Union

from generator.checklist_blocks import Heading, Task
from generator.checklist_text import Text, shown
from generator.model import Group, Item, Section

if TYPE_CHECKING:
    from generator.checklist import _Builder

MAX_LEVEL = 8  # six heading levels and bold lines one below the deepest


def place_sections(builder: "_Builder", headings: list[Heading], roots: list[Task], title_index: Optional[int],
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
    stray = _stray_heading(headings, ignored)
    if stray is not None:
        ignored.add(stray)
        spans()

    section_level: Optional[int] = None
    for level in range(1, MAX_LEVEL + 1):
        at_level = [h for i, h in enumerate(headings) if h.level == level and i not in ignored]
        if any(h.direct_items for h in at_level) or sum(1 for h in at_level if h.subtree_items) > 1:
            section_level = level
            break
    return _Placer(builder, headings, ignored, stray, section_level, title_text,
                   headings[title_index].line if title_index is not None else 1).place(roots)


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

    def __init__(self, builder: "_Builder", headings: list[Heading], ignored: set, stray_heading: Optional[int],
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
                self.b.problems.warning(self.b.loc(first.line), f"task item directly under `# {shown(h.text)}` "
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
