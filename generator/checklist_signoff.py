"""Sign-off blocks: which headings open one, and the roles named by task items and lines in it."""

from __future__ import annotations

from typing import Optional

from generator.checklist_blocks import Blocks, Heading, Line, Task
from generator.checklist_roles import QUALIFIED, STRICT, line_role, loose_label, role_label, signoff_kind
from generator.checklist_text import shown
from generator.errors import Location, Problems
from generator.ids import slugify
from generator.model import Role


def mark_signoff(headings: list[Heading], title_index: Optional[int]) -> None:
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


def find_roles(blocks: Blocks, path: str, problems: Problems) -> list[Role]:
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
                problems.error(Location(path, line, 1),
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
            problems.error(Location(path, line, 1), f"role `{label}` gives an empty id; add `{{#some-id}}`")
            continue
        if role_id in lines:
            problems.error(Location(path, line, 1), f"duplicate role `{role_id}` (also on line {lines[role_id]})")
            continue
        lines[role_id] = line
        roles.append(Role(role_id, label, Location(path, line, 1)))
        if heading is not None and not headings[heading].signoff:
            heading = None
        while heading is not None and not headings[heading].opens_signoff:
            heading = heading - 1 if heading > 0 and headings[heading - 1].signoff else None
        if heading is not None:
            held.add(heading)
    for idx, h in enumerate(headings):
        if h.opens_signoff and h.signoff == STRICT and idx not in held:
            problems.warning(Location(path, h.line, 1), f"sign-off heading `{shown(h.text)}` names no role; write "
                                  "each role as `- [ ] **Role name:** ____ Date: ____`")
    return roles
