"""Checklists as people write them (docs/formats.md "Checklists as people write them"), in data form.

Each `tests/fixtures/checklists/shapes/<case>.md` sits beside `<case>.expected.json`, written from the rules:
title, section and group ids, every item (id, line, conditional, criterion, levels, details, display text where it
differs from the source), role ids, levels, the one-line summary, and every warning and error with its line.
`READINESS_REGOLD=1` rewrites the expected files from the parser; review the diff before committing it.
"""

from __future__ import annotations

import json
import os

import pytest

from generator.checklist import describe, parse_checklist
from generator.errors import Problems
from generator.model import Checklist, Group, Item

from conftest import FIXTURES

SHAPES = FIXTURES / "checklists" / "shapes"
CASES = sorted(p.stem for p in SHAPES.glob("*.md"))


def shape(checklist: Checklist, problems: Problems) -> dict:
    """A checklist in the form of the `.expected.json` files."""
    groups: list[str] = []
    items: list[dict] = []

    def walk(node) -> None:
        for child in node.children:
            if isinstance(child, Group):
                groups.append(child.id)
                walk(child)
                continue
            assert isinstance(child, Item)
            crit = child.criterion
            entry = {"id": child.id, "line": child.location.line, "conditional": child.conditional,
                     "criterion": None if crit is None else
                     {"op": crit.op, "threshold": crit.threshold, "unit": crit.unit, "text": crit.text}}
            if child.levels is not None:
                entry["levels"] = list(child.levels)
            if child.details:
                entry["details"] = [list(d) for d in child.details]
            entry["text"] = child.text
            items.append(entry)

    for section in checklist.sections:
        walk(section)
    return {
        "title": checklist.title,
        "summary": describe(checklist),
        "sections": [s.id for s in checklist.sections],
        "groups": groups,
        "items": items,
        "roles": [[r.id, r.label, r.location.line] for r in checklist.roles],
        "levels": [[level.id, level.label] for level in checklist.levels],
        "warnings": [[w.location.line, w.message] for w in problems.warnings],
        "errors": [[e.location.line, e.message] for e in problems.errors],
    }


def parse_case(case: str) -> dict:
    problems = Problems()
    text = (SHAPES / f"{case}.md").read_text(encoding="utf-8")
    checklist = parse_checklist(text, name=case, path=f"{case}.md", problems=problems)
    return shape(checklist, problems)


def test_every_shape_has_expectations():
    assert len(CASES) >= 20
    for case in CASES:
        assert (SHAPES / f"{case}.expected.json").is_file(), case


@pytest.mark.parametrize("case", CASES)
def test_shape(case):
    actual = parse_case(case)
    path = SHAPES / f"{case}.expected.json"
    if os.environ.get("READINESS_REGOLD"):
        path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    expected = json.loads(path.read_text(encoding="utf-8"))
    # Field by field, so a failure names what differs.
    for key in ("errors", "title", "sections", "groups", "roles", "levels", "warnings", "summary"):
        assert actual[key] == expected[key], key
    assert [i["id"] for i in actual["items"]] == [i["id"] for i in expected["items"]]
    for got, want in zip(actual["items"], expected["items"]):
        assert got == want, want["id"]


@pytest.mark.parametrize("case", CASES)
def test_shape_ids_are_short_and_unique(case):
    actual = parse_case(case)
    ids = actual["sections"] + actual["groups"] + [i["id"] for i in actual["items"]]
    assert len(ids) == len(set(ids))
    assert all(len(i) <= 100 for i in ids)
