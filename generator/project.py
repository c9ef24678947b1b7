"""Find and load a readiness repository: settings, every checklist and every results file, all problems at once."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from generator.checklist import load_checklist
from generator.errors import InputError, Location, Problem, Problems, display_path
from generator.merge import evaluate, release_order
from generator.model import Checklist, Evaluation, Release
from generator.results import _parse, _Reader, read_results_bytes

CONFIG_FILE = "readiness.yml"
CONFIG_KEYS = ("site_name", "site_description", "site_url", "repo_url", "copyright")
DEFAULT_SITE_NAME = "Launch readiness"
_UNSAFE_CONFIG = re.compile(r"[<>\"&`\x00-\x1f]")


@dataclass(frozen=True)
class Project:
    """Everything the site is built from, loaded and validated."""

    root: Path
    config: dict
    checklists: dict[str, Checklist]
    releases: tuple[Release, ...]
    warnings: tuple[Problem, ...] = field(default=())

    def evaluations(self, today: Optional[dt.date] = None) -> list[Evaluation]:
        """Every release evaluated against its checklist, oldest first (the last is the latest)."""
        return release_order([evaluate(r, self.checklists[r.checklist], today) for r in self.releases])


def load_config(root: Path, problems: Problems) -> dict:
    """readiness.yml: optional site settings; unknown keys and markup characters are errors."""
    config = {"site_name": DEFAULT_SITE_NAME}
    path = root / CONFIG_FILE
    if not path.exists():
        return config
    read = read_results_bytes(path, CONFIG_FILE, problems)
    if read is None:
        return config
    node = _parse(read[0], CONFIG_FILE, problems)
    if node is None:
        return config
    reader = _Reader(CONFIG_FILE, problems)
    for key, (_, value_node) in reader.mapping(node, "", CONFIG_KEYS).items():
        value = reader.text(value_node, key)
        if value is None:
            continue
        if _UNSAFE_CONFIG.search(value):
            reader.error(value_node.loc, key, "must not contain < > \" & ` or control characters")
            continue
        if key in ("site_url", "repo_url") and not re.match(r"https?://[^\s]+\Z", value):
            reader.error(value_node.loc, key, "must be an http:// or https:// address")
            continue
        config[key] = value
    return config


def load_project(root: Path) -> Project:
    """Load settings, checklists and results under `root`; raises InputError listing every problem."""
    from generator.results import load_release

    problems = Problems()
    if not root.is_dir():
        raise InputError([Problem(Location(str(root)), "no such directory; point --root at a readiness repository")])
    config = load_config(root, problems)

    checklists: dict[str, Checklist] = {}
    broken: set[str] = set()
    checklist_dir = root / "checklists"
    sources = sorted(checklist_dir.glob("*.md")) if checklist_dir.is_dir() else []
    if not sources:
        problems.error(Location("checklists/"), "no checklist found; add one such as checklists/production.md")
    for path in sources:
        shown = display_path(path, root)
        try:
            checklist, warnings = load_checklist(path, shown)
        except InputError as exc:
            problems.extend(exc.problems)
            broken.add(path.stem)
            continue
        problems.extend(warnings)
        checklists[checklist.name] = checklist

    releases: list[Release] = []
    results_dir = root / "results"
    files = sorted(results_dir.iterdir()) if results_dir.is_dir() else []
    by_folded: dict[str, str] = {}
    stems = {p.stem.casefold(): display_path(p, root) for p in files if p.suffix == ".yaml"}
    for path in files:
        shown = display_path(path, root)
        suffix = path.suffix.lower()
        if path.name.startswith("."):
            if suffix in (".yaml", ".yml"):
                problems.warning(Location(shown), "hidden file is not read; rename it if it holds a release")
            continue
        if path.is_dir():
            problems.warning(Location(shown), "folders in results/ are not read; keep results files directly in results/")
            continue
        if suffix in (".yaml", ".yml") and path.suffix != ".yaml":
            target = path.with_suffix(".yaml")
            if target.exists():
                problems.error(Location(shown), f"results files end in .yaml, and {display_path(target, root)} "
                               "already exists; merge the two and delete this one")
            else:
                problems.error(Location(shown), f"results files end in .yaml; rename it to {target.name}")
            continue
        if suffix != ".yaml":
            continue
        folded = path.stem.casefold()
        if folded in by_folded:
            problems.error(Location(shown), f"release `{path.stem}` differs only in case from {by_folded[folded]}; "
                           "rename one of them")
            continue
        by_folded[folded] = shown
        release = load_release(path, shown, checklists, problems, frozenset(broken), stems)
        if release is not None:
            releases.append(release)
    problems.raise_if_errors()
    return Project(root, config, checklists, tuple(releases), tuple(problems.warnings))
