"""Property tests for the checklist parser's invariants: ids, placeholders, front matter, references."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.checklist import parse_checklist
from generator.checklist_roles import is_signoff_heading
from generator.checklist_text import resolve_references
from generator.errors import Problems
from generator.ids import MAX_ID, join_id

WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12)
TEXTS = st.lists(WORDS, min_size=1, max_size=14).map(" ".join)
PLACEHOLDERS = st.sampled_from(["...", "TODO", "", "<fill in>", "[Item]", "{{ step }}", "TBD: owner", "____", "🚀"])


def parse(text: str):
    problems = Problems()
    return parse_checklist(text, "prop", "prop.md", problems), problems


def checklist_text(sections: list[tuple[str, list[str]]]) -> str:
    return "# Title\n\n" + "".join(f"## {h}\n\n" + "".join(f"- [ ] {t}\n" for t in items) + "\n"
                                   for h, items in sections)


# A heading such as "Approvals" opens a sign-off block whose lines are roles, not items: kept out of these sections.
HEADINGS = TEXTS.filter(lambda h: not is_signoff_heading(h))
SECTIONS = st.lists(st.tuples(HEADINGS, st.lists(TEXTS, min_size=1, max_size=5, unique=True)), min_size=1, max_size=4,
                    unique_by=lambda s: s[0])


@given(st.one_of(st.none(), st.text(alphabet="abc-/", max_size=150)), st.text(alphabet="abcd-", max_size=150))
def test_join_id_fits_and_keeps_what_fits(parent, slug):
    parent = "/".join(p for p in (parent or "").split("/") if p.strip("-")) or None
    slug = slug.strip("-") or "x"
    joined = join_id(parent, slug)
    full = f"{parent}/{slug}" if parent else slug
    assert len(joined) <= MAX_ID
    if len(full) <= MAX_ID:
        assert joined == full


@settings(max_examples=60, deadline=None)
@given(SECTIONS)
def test_ids_are_unique_and_short(sections):
    checklist, problems = parse(checklist_text(sections))
    if problems.errors:  # two texts with the same slug: a duplicate, reported with both lines
        assert all("duplicate id" in p.message for p in problems.errors)
        return
    ids = list(checklist.nodes)
    assert len(ids) == len(set(ids)) and all(len(i) <= MAX_ID for i in ids)
    assert len(checklist.items) == sum(len(items) for _, items in sections)


@settings(max_examples=60, deadline=None)
@given(SECTIONS, PLACEHOLDERS, st.integers(0, 3))
def test_a_placeholder_is_a_warning_and_changes_no_id(sections, placeholder, where):
    before, problems = parse(checklist_text(sections))
    if problems.errors:
        return
    head, items = sections[where % len(sections)]
    changed = list(sections)
    changed[where % len(sections)] = (head, items + [placeholder])
    after, more = parse(checklist_text(changed))
    assert more.errors == []
    assert [i.id for i in after.items] == [i.id for i in before.items]
    assert len(more.warnings) == len(problems.warnings) + 1


@settings(max_examples=60, deadline=None)
@given(SECTIONS, st.lists(st.sampled_from(["name: x", "title: 'y'", "labels: release", "about: z"]), min_size=1))
def test_front_matter_changes_no_id_and_no_line(sections, keys):
    text = checklist_text(sections)
    before, _ = parse(text)
    front = "---\n" + "\n".join(keys) + "\n---\n"
    after, problems = parse(front + text)
    assert [i.id for i in after.items] == [i.id for i in before.items]
    shift = front.count("\n")
    assert [i.location.line for i in after.items] == [i.location.line + shift for i in before.items]


@given(st.text(max_size=80))
def test_references_without_definitions_change_nothing(text):
    assert resolve_references(text, {}) == text
