"""Slugs per DESIGN.md "Ids", and properties of slugs and of parsing arbitrary checklists (hypothesis)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.checklist import parse_checklist
from generator.errors import Problems
from generator.ids import slugify
from generator.model import Checklist

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- examples from the design ------------------------------------------------


@pytest.mark.parametrize("text, slug", [
    ("Café", "cafe"),
    ("Let's", "lets"),
    ("Let’s Encrypt", "lets-encrypt"),
    ("Letʼs go", "lets-go"),
    ("Straße", "strasse"),
    ("Technical Lead", "technical-lead"),
    ("CTO/VP Engineering", "cto-vp-engineering"),
    ("Default passwords changed", "default-passwords-changed"),
    ("🔐 Security", "security"),
    ("☸️ Kubernetes", "kubernetes"),
    ("🚀🎉", ""),
    ("Docker & Containers", "docker-containers"),
    ("  --Hello,   World!--  ", "hello-world"),
    ("JWT_SECRET is set", "jwt-secret-is-set"),
    ("Page load < 3 seconds", "page-load-3-seconds"),
    ("99.9% uptime", "99-9-uptime"),
    ("Ünïcödé", "unicode"),
    ("ﬁle", "file"),
    ("Ｆｕｌｌ", "full"),
    ("Проверка связи", "проверка-связи"),
    ("日本語セクション", "日本語セクション"),
    ("Ελληνικά Κείμενα", "ελληνικα-κειμενα"),
    ("ΣΟΦΙΑ", "σοφια"),
    ("", ""),
])
def test_slug_examples(text, slug):
    assert slugify(text) == slug


def test_slug_cut_at_64_on_a_dash_boundary():
    text = "a" * 30 + " " + "b" * 30 + " " + "c" * 10  # 72 characters as a slug
    assert slugify(text) == "a" * 30 + "-" + "b" * 30


def test_slug_of_exactly_64_is_kept():
    text = "a" * 31 + " " + "b" * 32
    assert slugify(text) == "a" * 31 + "-" + "b" * 32
    assert len(slugify(text)) == 64


def test_slug_cut_when_the_65th_character_is_a_dash():
    assert slugify("a" * 64 + " b") == "a" * 64


def test_slug_cut_never_leaves_a_trailing_dash():
    # 13 words of 4 letters join to 13 * 5 - 1 = 64 characters; any more are cut back to those 13.
    for n in range(13, 40):
        slug = slugify(" ".join(["word"] * n))
        assert slug == "-".join(["word"] * 13)


def test_long_item_text_gives_a_short_id():
    words = "Ensure that the production database backups are restored into staging every week and verified"
    slug = slugify(words)
    assert len(slug) <= 64
    assert words.casefold().replace(" ", "-").startswith(slug)
    assert slug == "ensure-that-the-production-database-backups-are-restored-into"


# --- properties of slugs -----------------------------------------------------


def _is_letter_or_digit(c: str) -> bool:
    return unicodedata.category(c)[0] in "LN"


def assert_path_safe(slug: str) -> None:
    assert len(slug) <= 64
    assert "/" not in slug and "\\" not in slug and ".." not in slug
    assert not slug.startswith("-") and not slug.endswith("-")
    assert "--" not in slug
    assert all(c == "-" or _is_letter_or_digit(c) for c in slug), slug
    assert not any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zs") for c in slug)


any_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=200)
wordy_text = st.lists(
    st.sampled_from(["Café", "Let's", "Straße", "données", "Проверка", "日本語", "🚀", "ﬁ", "Ｆｕｌｌ", "-", "/", "..",
                     "\\", "\t", "\x00", "a" * 40, "ready", "(optional)", "(if applicable)", "≥", "99.5%", "’", "ß"]),
    max_size=30,
).map(" ".join)


@FAST
@given(st.one_of(any_text, wordy_text))
def test_slug_is_path_safe(text):
    assert_path_safe(slugify(text))


@FAST
@given(st.one_of(any_text, wordy_text))
def test_slug_is_idempotent(text):
    once = slugify(text)
    assert slugify(once) == once


@FAST
@given(st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=20), min_size=1,
                max_size=12))
def test_slug_of_plain_words_is_their_join_cut_at_a_word(words):
    slug = slugify(" ".join(words))
    joined = "-".join(words)
    if len(joined) <= 64:
        assert slug == joined
    else:
        # Cut at a word boundary: the slug is a prefix of whole words.
        assert (joined + "-").startswith(slug + "-") or len(words[0]) > 64


# --- properties of parsing arbitrary checklists ------------------------------


word = st.one_of(
    st.sampled_from(["Backups", "tested", "Café", "Let's", "Straße", "Проверка", "日本語", "🚀", "✅", "(optional)",
                     "(if applicable)", "(min 64 characters)", "< 3 seconds", ">= 99.5%", "TLS >= 1.2", "**Bold**",
                     "`code`", "[link](https://x.test)", "{#pinned}", "{#a/b}", "{#Bad Id}", "Sign-off", "Approvals",
                     "**Technical Lead:** ____ Date: ____", "____", "\\_\\_\\_", "[ ]", "[x]", "|", "<!--", "-->",
                     "#", "*", "_", "Security", "Security", "Date:"]),
    st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=12),
)
line_text = st.lists(word, min_size=0, max_size=6).map(" ".join)


@st.composite
def checklist_markdown(draw) -> str:
    lines: list[str] = []
    for _ in range(draw(st.integers(0, 25))):
        kind = draw(st.sampled_from(["heading", "task", "task", "task", "nested", "checked", "bullet", "para",
                                     "blank", "fence", "table", "comment", "rule"]))
        text = draw(line_text)
        if kind == "heading":
            lines += ["", "#" * draw(st.integers(1, 6)) + " " + text, ""]
        elif kind == "task":
            lines.append("- [ ] " + text)
        elif kind == "nested":
            lines.append("  " * draw(st.integers(1, 3)) + "- [ ] " + text)
        elif kind == "checked":
            lines.append("- [x] " + text)
        elif kind == "bullet":
            lines.append("- " + text)
        elif kind == "para":
            lines += ["", text, ""]
        elif kind == "blank":
            lines.append("")
        elif kind == "fence":
            lines += ["```", "- [ ] " + text, "```"]
        elif kind == "table":
            lines += ["", "| a | b |", "|---|---|", f"| [ ] {text} | x |", ""]
        elif kind == "comment":
            lines += ["<!--", "- [ ] " + text, "-->"]
        else:
            lines += ["", "---", ""]
    return "\n".join(lines) + "\n"


@FAST
@given(checklist_markdown())
def test_parsing_never_raises_and_ids_are_unique(text):
    problems = Problems()
    checklist = parse_checklist(text, name="generated", path="generated.md", problems=problems)
    assert isinstance(checklist, Checklist)
    n_lines = text.count("\n") + 1
    for p in problems.items:
        assert 1 <= p.location.line <= n_lines and p.message
    if problems.errors:
        return
    ids: list[str] = []

    def walk(node) -> None:
        ids.append(node.id)
        for child in getattr(node, "children", ()):
            walk(child)

    for section in checklist.sections:
        walk(section)
    assert len(ids) == len(set(ids)), ids
    assert checklist.items, "a checklist without items must be an error"
    assert len(set(checklist.role_ids)) == len(checklist.role_ids)
    for node_id in ids:
        assert node_id and all(part for part in node_id.split("/"))
        assert ".." not in node_id.split("/") and "\\" not in node_id
    for item in checklist.items:
        assert 1 <= item.location.line <= n_lines
        assert set(item.ancestors) <= set(ids)


@FAST
@given(st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=300))
def test_parsing_arbitrary_text_never_raises(text):
    problems = Problems()
    checklist = parse_checklist(text, name="any", path="any.md", problems=problems)
    assert isinstance(checklist, Checklist)
    if not problems.errors:
        assert checklist.items
