"""Gold-file test of the generated docs tree (Markdown pages and data exports) for the fixture project.

Regenerate after an intended change with `make regold` (READINESS_REGOLD=1 pytest tests/test_gold.py), then
review the diff of tests/gold/ before committing. On a mismatch the actual tree is left in tests/actual/.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from generator.merge import default_today
from generator.outputs import site_outputs
from generator.pages import SiteData
from generator.project import load_project
from generator.site import render_outputs

from conftest import FIXTURES, ROOT

GOLD = ROOT / "tests" / "gold" / "project"
ACTUAL = ROOT / "tests" / "actual" / "project"


def generated_tree(tmp: Path) -> dict[str, str]:
    # A copy outside any git repository: the gold pages say provenance is unavailable, whatever the
    # history of this repository (provenance has its own tests on scripted repositories).
    shutil.copytree(FIXTURES / "project", tmp / "project")
    project = load_project(tmp / "project")
    site = SiteData.of_project(project, default_today())
    return {out.path: text for out, text in render_outputs(site_outputs(site))}


def _write(tree: dict[str, str], dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    for rel, text in tree.items():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        (dest / rel).write_text(text, encoding="utf-8")


def test_docs_tree_matches_gold(tmp_path):
    tree = generated_tree(tmp_path / "a")
    if os.environ.get("READINESS_REGOLD"):
        _write(tree, GOLD)
    gold = {p.relative_to(GOLD).as_posix(): p.read_text(encoding="utf-8") for p in GOLD.rglob("*") if p.is_file()}
    if tree != gold:
        _write(tree, ACTUAL)
    assert sorted(tree) == sorted(gold), "files added or removed; see tests/actual/project"
    for rel in sorted(tree):
        assert tree[rel] == gold[rel], f"{rel} differs from tests/gold/project/{rel}; see tests/actual/project/{rel}"


def test_generation_is_deterministic(tmp_path):
    assert generated_tree(tmp_path / "a") == generated_tree(tmp_path / "b")
