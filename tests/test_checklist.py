"""Checklist parsing per DESIGN.md "Checklist source": fixtures of several shapes, the real checklist, errors, warnings.

Each `tests/fixtures/checklists/<case>.md` has a `<case>.expected.json` written by hand from the design
(title, section ids in order, group ids in document order, conditional sections/groups, every item with its id,
conditional flag, criterion and line, role ids, and the lines that get warnings).
"""

from __future__ import annotations

import json

import pytest

from generator.checklist import describe, load_checklist, parse_checklist
from generator.errors import InputError, Problems
from generator.model import Checklist, Group, Item

from conftest import FIXTURES, ROOT

CASES_DIR = FIXTURES / "checklists"
CASES = sorted(p.stem for p in CASES_DIR.glob("*.md"))
PRODUCTION = ROOT / "checklists" / "production.md"


# --- helpers -------------------------------------------------------------------


def parse(text: str, name: str = "test") -> tuple[Checklist, Problems]:
    problems = Problems()
    checklist = parse_checklist(text, name=name, path=f"{name}.md", problems=problems)
    return checklist, problems


def shape(checklist: Checklist, problems: Problems) -> dict:
    """A checklist in the shape of the `.expected.json` files."""
    groups: list[str] = []
    items: list[dict] = []

    def walk(node) -> None:
        for child in node.children:
            if isinstance(child, Group):
                groups.append(child.id)
                walk(child)
            else:
                assert isinstance(child, Item)
                crit = child.criterion
                items.append({
                    "id": child.id,
                    "line": child.location.line,
                    "conditional": child.conditional,
                    "criterion": None if crit is None else
                    {"op": crit.op, "threshold": crit.threshold, "unit": crit.unit},
                })

    for section in checklist.sections:
        walk(section)
    sections = [s.id for s in checklist.sections]
    return {
        "title": checklist.title,
        "sections": sections,
        "groups": groups,
        "conditional_nodes": [i for i in sections + groups if i in checklist.conditional_ids],
        "items": items,
        "roles": [r.id for r in checklist.roles],
        "warnings": [w.location.line for w in problems.warnings],
    }


def all_ids(checklist: Checklist) -> list[str]:
    """Every section, group and item id, duplicates kept (the `nodes` dict would hide them)."""
    out: list[str] = []

    def walk(node) -> None:
        out.append(node.id)
        for child in getattr(node, "children", ()):
            walk(child)

    for section in checklist.sections:
        walk(section)
    return out


def messages(problems: list) -> list[tuple[int, str]]:
    return [(p.location.line, p.message) for p in problems]


# --- fixtures of several shapes ------------------------------------------------


def test_there_are_enough_fixture_cases():
    assert len(CASES) >= 5
    for case in CASES:
        assert (CASES_DIR / f"{case}.expected.json").is_file(), case


@pytest.mark.parametrize("case", CASES)
def test_fixture_matches_expected(case):
    path = CASES_DIR / f"{case}.md"
    expected = json.loads((CASES_DIR / f"{case}.expected.json").read_text(encoding="utf-8"))
    problems = Problems()
    checklist = parse_checklist(path.read_text(encoding="utf-8"), name=path.stem, path=f"{case}.md",
                                problems=problems)
    assert messages(problems.errors) == []
    actual = shape(checklist, problems)
    # Field by field first, so a failure names what differs; then the whole shape.
    for key in ("title", "sections", "groups", "conditional_nodes", "roles", "warnings"):
        assert actual[key] == expected[key], key
    assert [i["id"] for i in actual["items"]] == [i["id"] for i in expected["items"]]
    assert actual["items"] == expected["items"]


@pytest.mark.parametrize("case", CASES)
def test_fixture_loads_from_disk(case):
    path = CASES_DIR / f"{case}.md"
    checklist, warnings = load_checklist(path, f"tests/fixtures/checklists/{case}.md")
    assert checklist.name == case
    assert len(checklist.sha256) == 64
    assert all(i.location.path == f"tests/fixtures/checklists/{case}.md" for i in checklist.items)
    assert len(set(all_ids(checklist))) == len(all_ids(checklist))


def test_pinned_id_and_conditional_suffix_display():
    checklist, _ = load_checklist(CASES_DIR / "thresholds_conditions.md")
    pinned = checklist.nodes["secrets-rotated"]
    assert "{#" not in pinned.text and pinned.text == "Secrets rotated"
    # The conditional suffix is dropped from the id but kept for display.
    assert checklist.nodes["hardening/rate-limits-configured"].text == "Rate limits configured (optional)"
    assert checklist.nodes["queues"].text == "Queues (if queues are used)"
    # A pinned id replaces the whole id: the item still sits in its section.
    hardening = checklist.nodes["hardening"]
    assert pinned in hardening.children


def test_criterion_text_outside_code_span_only():
    checklist, _ = parse("## A\n\n- [ ] Budget `< 5s` documented\n- [ ] Page load < 3 seconds (`p95`)\n")
    crit = {i.id: i.criterion for i in checklist.items}
    assert crit["a/budget-5s-documented"] is None
    assert (crit["a/page-load-3-seconds-p95"].op, crit["a/page-load-3-seconds-p95"].threshold,
            crit["a/page-load-3-seconds-p95"].unit) == ("<", 3.0, "seconds")


def test_role_with_link_or_text_after_label_is_an_item():
    checklist, problems = parse(
        "## A\n\n- [ ] **Owner:** [the wiki](https://example.com)\n- [ ] **Owner:** Alice\n"
        "- [ ] **Owner:** ____\n"
    )
    assert problems.errors == []
    assert [i.id for i in checklist.items] == ["a/owner-the-wiki", "a/owner-alice"]
    assert checklist.role_ids == ("owner",)


def test_emoji_and_conditional_suffix_dropped_from_section_ids():
    checklist, problems = parse("# T\n\n## ☸️ Kubernetes (if applicable)\n\n- [ ] Cluster up\n\n## 💳 Pay\n\n- [ ] Paid\n")
    assert problems.errors == []
    assert [s.id for s in checklist.sections] == ["kubernetes", "pay"]
    assert checklist.nodes["kubernetes"].text == "☸️ Kubernetes (if applicable)"
    assert checklist.nodes["kubernetes/cluster-up"].conditional is True
    assert checklist.nodes["pay/paid"].conditional is False


# --- the real checklist ------------------------------------------------------


@pytest.fixture(scope="module")
def production() -> tuple[Checklist, list]:
    return load_checklist(PRODUCTION, "checklists/production.md")


def test_production_counts(production):
    checklist, warnings = production
    assert warnings == []
    assert checklist.title == "✅ Production Deployment Checklist"
    assert len(checklist.items) == 211
    assert len(checklist.sections) == 16
    assert sum(1 for n in checklist.nodes.values() if isinstance(n, Group)) == 47
    assert len(set(all_ids(checklist))) == len(all_ids(checklist)) == 16 + 47 + 211


def test_production_sections(production):
    checklist, _ = production
    assert [s.id for s in checklist.sections] == [
        "security", "database", "docker-containers", "kubernetes", "ci-cd-pipeline", "monitoring-logging",
        "dns-domain", "email-configuration", "payment-gateway", "frontend", "backend", "testing",
        "documentation", "team-readiness", "launch-preparation", "success-criteria",
    ]
    assert len(checklist.items_under("success-criteria")) == 9


def test_production_roles(production):
    checklist, _ = production
    assert checklist.role_ids == ("technical-lead", "devops-lead", "security-lead", "product-owner",
                                  "cto-vp-engineering")
    assert [r.label for r in checklist.roles] == ["Technical Lead", "DevOps Lead", "Security Lead",
                                                  "Product Owner", "CTO/VP Engineering"]


def test_production_criteria(production):
    checklist, _ = production
    got = [(i.id, i.criterion.op, i.criterion.threshold, i.criterion.unit) for i in checklist.criteria]
    assert got == [
        ("success-criteria/performance/page-load-3-seconds", "<", 3.0, "seconds"),
        ("success-criteria/performance/api-response-500ms", "<", 500.0, "ms"),
    ]
    assert checklist.nodes["success-criteria/performance/99-9-uptime-target-set"].criterion is None


def test_production_conditional(production):
    checklist, _ = production
    for section in ("kubernetes", "payment-gateway"):
        assert checklist.nodes[section].conditional is True
        items = checklist.items_under(section)
        assert items and all(i.conditional for i in items)
    for section in ("security", "database", "success-criteria"):
        assert checklist.nodes[section].conditional is False
    assert checklist.nodes["security/firewall-network/vpn-configured"].conditional is True
    assert checklist.nodes["database/mongodb-setup/replica-set-configured"].conditional is True
    assert checklist.nodes["success-criteria/security/penetration-test-passed"].conditional is True
    jwt = checklist.nodes["security/environment-variables/jwt-secret-is-random-and-strong-min-64-characters"]
    assert jwt.conditional is False
    assert checklist.nodes["security/ssl-tls-certificates/certificate-auto-renewal-setup-lets-encrypt"] \
        .conditional is False


@pytest.mark.parametrize("node_id", [
    "security/environment-variables/default-passwords-changed",
    "security/environment-variables/all-env-files-created-from-env-example",
    "security/ssl-tls-certificates/http-https-redirect-configured",
    "docker-containers",
    "kubernetes/cluster-setup",
    "payment-gateway/payment-setup/api-keys-obtained-production",
    "success-criteria/performance/page-load-3-seconds",
])
def test_production_example_ids(production, node_id):
    checklist, _ = production
    assert node_id in checklist.nodes


def test_production_launch_and_status_blocks_are_not_items(production):
    checklist, _ = production
    texts = " ".join(i.plain for i in checklist.items)
    for phrase in ("Launch Date", "Deployed By", "Total Items", "Ready for Production", "Technical Lead"):
        assert phrase not in texts
    assert "sign-off" not in checklist.nodes and "production-launch" not in checklist.nodes


# --- errors ------------------------------------------------------------------


def test_duplicate_item_id_names_both_lines():
    text = "# T\n\n## Alpha\n\n- [ ] Backups tested\n- [ ] Backups tested!\n"
    _, problems = parse(text)
    assert messages(problems.errors) == [
        (6, "duplicate id `alpha/backups-tested` (also on line 5); reword one of them or pin an id with `{#...}`"),
    ]
    assert problems.errors[0].location.path == "test.md"


def test_duplicate_section_id():
    text = "# T\n\n## Alpha\n\n- [ ] One\n\n## ALPHA!\n\n- [ ] Two\n"
    _, problems = parse(text)
    assert messages(problems.errors) == [
        (7, "duplicate id `alpha` (also on line 3); reword one of them or pin an id with `{#...}`"),
    ]


def test_duplicate_pinned_id():
    text = "## A\n\n- [ ] One {#a/two}\n- [ ] Two\n"
    _, problems = parse(text)
    assert messages(problems.errors) == [
        (4, "duplicate id `a/two` (also on line 3); reword one of them or pin an id with `{#...}`"),
    ]


def test_duplicate_fixed_by_pinning():
    text = "# T\n\n## Alpha\n\n- [ ] Backups tested\n- [ ] Backups tested! {#alpha/backups-tested-again}\n"
    checklist, problems = parse(text)
    assert problems.errors == []
    assert [i.id for i in checklist.items] == ["alpha/backups-tested", "alpha/backups-tested-again"]


def test_same_text_in_two_sections_is_not_a_duplicate():
    checklist, problems = parse("## A\n\n- [ ] Logs shipped\n\n## B\n\n- [ ] Logs shipped\n")
    assert problems.errors == []
    assert [i.id for i in checklist.items] == ["a/logs-shipped", "b/logs-shipped"]


@pytest.mark.parametrize("line", [
    "- [ ] ____",
    "- [ ] ____ Date: ____",  # the seed's sign-off line without its label: `Date:` is not a role name
    "- [ ] \\_\\_\\_\\_ Date: \\_\\_\\_\\_",
    "- [ ] **\\_\\_\\_** Date: **\\_\\_\\_**",
])
def test_signoff_role_without_label(line):
    text = "# T\n\n## A\n\n- [ ] Thing\n\n## Sign-off\n\n" + line + "\n"
    checklist, problems = parse(text)
    assert messages(problems.errors) == [
        (9, "sign-off role has no label; write it as `- [ ] **Role name:** ____ Date: ____`"),
    ]
    assert checklist.role_ids == ()


def test_duplicate_role_names_both_lines():
    text = "## A\n\n- [ ] x\n\n## Sign-off\n\n- [ ] **Technical Lead:** ____\n- [ ] **Technical Lead:** ____\n"
    checklist, problems = parse(text)
    assert messages(problems.errors) == [(8, "duplicate role `technical-lead` (also on line 7)")]
    assert checklist.role_ids == ("technical-lead",)


def test_title_must_be_a_level_one_heading():
    checklist, problems = parse("## Intro\n\n- [ ] x\n", name="launch")
    assert problems.items == []
    assert checklist.title == "launch"
    assert [s.id for s in checklist.sections] == ["intro"]


def test_empty_checklist():
    text = "# Nothing here\n\nSome prose.\n\n- a plain bullet\n"
    checklist, problems = parse(text)
    assert checklist.items == ()
    assert messages(problems.errors) == [
        (1, "checklist has no items; add task items such as `- [ ] Backups tested`"),
    ]


def test_checklist_with_only_roles_has_no_items():
    text = "# T\n\n## Sign-off\n\n- [ ] **Technical Lead:** ____ Date: ____\n"
    checklist, problems = parse(text)
    assert checklist.role_ids == ("technical-lead",)
    assert messages(problems.errors) == [
        (1, "checklist has no items; add task items such as `- [ ] Backups tested`"),
    ]


def test_empty_checklist_file_raises(tmp_path):
    path = tmp_path / "empty.md"
    path.write_text("", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_checklist(path, "checklists/empty.md")
    assert [str(p) for p in info.value.problems] == [
        "checklists/empty.md:1:1: checklist has no items; add task items such as `- [ ] Backups tested`",
    ]


def test_item_without_id_is_left_out_with_a_warning():
    text = "# T\n\n## A\n\n- [ ] 🚀🎉\n- [ ] Go\n"
    checklist, problems = parse(text)
    assert problems.errors == []
    assert messages(problems.warnings) == [
        (5, "`🚀🎉` gives no id; it is left out until you add `{#some-id}` at the end of the line"),
    ]
    assert [i.id for i in checklist.items] == ["a/go"]


def test_empty_slug_heading_asks_for_pinned_id():
    text = "# T\n\n## 🚀\n\n- [ ] Go\n"
    _, problems = parse(text)
    assert messages(problems.errors) == [
        (3, "`🚀` gives an empty id; add `{#some-id}` at the end of the line"),
    ]


def test_empty_slug_fixed_by_pinning():
    checklist, problems = parse("# T\n\n## A\n\n- [ ] 🚀🎉 {#launch-party}\n")
    assert problems.errors == []
    assert [i.id for i in checklist.items] == ["launch-party"]
    assert checklist.items[0].text == "🚀🎉"


# --- warnings ----------------------------------------------------------------


def test_checked_box_warns_and_still_counts():
    text = "# T\n\n## A\n\n- [ ] Open\n- [x] Backups tested\n"
    checklist, problems = parse(text)
    assert problems.errors == []
    assert messages(problems.warnings) == [
        (6, "checked box `[x]` in the checklist is ignored; record the state in a results file"),
    ]
    assert [i.id for i in checklist.items] == ["a/open", "a/backups-tested"]


def test_box_in_table_warns():
    text = "# T\n\n## A\n\n- [ ] Real item\n\n| Check | Owner |\n|---|---|\n| [ ] Backups | ops |\n"
    checklist, problems = parse(text)
    assert problems.errors == []
    assert messages(problems.warnings) == [
        (9, "`[ ]` in a table is not a task item; start the line with `- [ ] `"),
    ]
    assert [i.id for i in checklist.items] == ["a/real-item"]


def test_box_at_paragraph_start_warns():
    text = "# T\n\n## A\n\n- [ ] Real item\n\n[ ] Looks like a task\n\nTick [ ] later, mid-sentence.\n"
    checklist, problems = parse(text)
    assert problems.errors == []
    assert messages(problems.warnings) == [
        (7, "`[ ]` at the start of a paragraph is not a task item; start the line with `- [ ] `"),
    ]
    assert [i.id for i in checklist.items] == ["a/real-item"]


def test_no_warnings_for_code_blocks_comments_and_plain_bullets():
    text = ("# T\n\n## A\n\n- [ ] Real item\n- plain bullet\n\n```\n- [ ] in code\n[ ] in code\n```\n\n"
            "<!--\n- [ ] in a comment\n[ ] in a comment\n-->\n\n    [ ] indented code\n")
    checklist, problems = parse(text)
    assert problems.items == []
    assert [i.id for i in checklist.items] == ["a/real-item"]


# --- checklists as people write them: what the data-form shapes do not show -------------------------------


@pytest.mark.parametrize("depth", [10, 30, 1000])
def test_nesting_too_deep_names_the_line(depth):
    text = "# T\n\n## A\n\n" + "".join("  " * i + f"- [ ] step {i}\n" for i in range(depth)) + "\n## B\n\n- [ ] x\n"
    checklist, problems = parse(text)
    assert messages(problems.errors) == [
        (14, "lists or quotes nested too deeply from here; readiness reads them up to 9 levels deep: flatten the list"),
    ]
    assert problems.warnings == []


def test_nine_levels_of_nesting_are_read():
    text = "## A\n\n" + "".join("  " * i + f"- [ ] step {i}\n" for i in range(9))
    checklist, problems = parse(text)
    assert problems.items == []
    assert [i.id for i in checklist.items] == ["a/" + "/".join(f"step-{k}" for k in range(9))]


def test_describe_counts_in_words():
    checklist, _ = parse("## A\n\n- [ ] **G**\n  - [ ] x < 3 s\n\n## Sign-off\n\n- [ ] **Lead:** ____\n")
    assert describe(checklist) == "1 section, 1 group, 1 item, 1 role, 1 criterion, no levels"


def test_front_matter_is_not_loaded_as_yaml():
    # Anchors and aliases would be a billion laughs for a YAML loader; line by line they are just text.
    fm = "---\nname: &a [*a, *a]\ntitle: Real\n" + "x: &b [*b]\n" * 500 + "---\n"
    checklist, problems = parse(fm + "- [ ] Go\n")
    assert problems.items == []
    assert checklist.title == "&a [*a, *a]" and [i.id for i in checklist.items] == ["a-a-a/go"]
    assert checklist.items[0].location.line == 505  # line numbers are those of the file


def test_unclosed_front_matter_is_markdown():
    checklist, problems = parse("---\nname: x\n\n## A\n\n- [ ] Go\n")
    assert problems.errors == []
    assert [i.id for i in checklist.items] == ["a/go"]


def test_placeholder_roles_and_html_blocks_never_become_markup():
    text = "## A\n\n- [ ] <script>alert(1)</script>\n- [ ] <img src=x onerror=alert(1)>\n- [ ] Real\n"
    checklist, problems = parse(text)
    assert [i.id for i in checklist.items] == ["a/real"]
    assert [line for line, _ in messages(problems.warnings)] == [3, 4]
