"""The audit rules as the site explains them: every rule of audit.RULES is described, on the site and in docs."""

from __future__ import annotations

import re

from generator.audit import RULES
from generator.index_pages import rule_docs

from conftest import ROOT

RULE_IDS = [rule.__name__.replace("_", "-") for rule in RULES]


def test_every_rule_is_described_for_the_site():
    docs = rule_docs()
    missing = [r for r in RULE_IDS if r not in docs]
    assert missing == []
    for rule in RULE_IDS:
        severity, text = docs[rule]
        assert severity in ("error", "warning") and len(text) > 40, rule


def test_docs_audit_md_lists_every_rule():
    table = (ROOT / "docs" / "audit.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `([a-z0-9-]+)` \|", table, re.M)
    assert [r for r in RULE_IDS if r not in listed] == []
