"""`readiness new`: a results file listing every item of a checklist, written once and never overwritten."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import yaml

from generator.checklist import load_checklist
from generator.checklist_text import as_written
from generator.errors import InputError, Location, Problem, Problems, UsageError, display_path
from generator.ids import release_name_problem
from generator.merge import evaluate
from generator.model import Checklist, Evaluation, Item
from generator.render import render
from generator.results import load_release
from generator.source import not_regular_message


@dataclass(frozen=True)
class Line:
    """One `id: value  # comment` line of the scaffold."""

    id: str
    value: str
    comment: str


def _exists(message: str, where: str) -> InputError:
    return InputError([Problem(Location(where), message)])


def _checklists(root: Path) -> dict[str, Checklist]:
    found: dict[str, Checklist] = {}
    problems: list = []
    for path in sorted((root / "checklists").glob("*.md")):
        try:
            checklist, _ = load_checklist(path, display_path(path, root))
            found[checklist.name] = checklist
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return found


def _flow(value: dict) -> str:
    return yaml.safe_dump(value, default_flow_style=True, sort_keys=False, allow_unicode=True, width=10**6).strip()


def _carried(item: Item, previous: Optional[Evaluation]) -> str:
    """The scaffold value for an item: pending, or what --from recorded for it, marked `carried_from` (the
    marker stays until someone confirms the entry for this release: see docs/formats.md)."""
    if previous is None:
        return "pending"
    result = next(r for r in previous.results if r.item.id == item.id)
    entry, own = result.entry, result.own
    mark = {"carried_from": previous.release.name}
    if item.criterion and own is not None and own.value is not None and result.status not in ("n/a", "waived"):
        return _flow({"value": own.value_text if isinstance(own.value_text, str) else own.value, **mark})
    if result.status == "n/a" and entry is not None and entry.reason:
        return _flow({"status": "n/a", "reason": entry.reason, **mark})
    if result.status == "waived" and entry is not None:
        return _flow({"status": "waived", "reason": entry.reason, "approved_by": entry.approved_by,
                      "expires": entry.expires, **mark})
    if result.status == "pending" or (item.criterion and result.status in ("done", "failed")):
        return "pending"
    return _flow({"status": result.status, **mark})


def _split(name: str, what: str = "") -> tuple[str, str]:
    """`product/release` or `release`, each part a valid name (so no path can be formed from it)."""
    product, version = name.split("/") if name.count("/") == 1 and not name.startswith("/") else ("", name)
    for part, kind in ((product, "product"), (version, "release")):
        if kind == "product" and not product:
            continue
        bad = release_name_problem(part)
        if bad:
            raise UsageError(f"{what}{bad.replace('release name', kind + ' name')}")
    return product, version


def create_results(root: Path, release: str, checklist_name: Optional[str], from_release: Optional[str]) -> str:
    """Write results/RELEASE.yaml (results/PRODUCT/RELEASE.yaml for `PRODUCT/RELEASE`); never overwrites."""
    product, version = _split(release)
    results_dir = root / "results" / product if product else root / "results"
    release = version
    target = results_dir / f"{release}.yaml"
    shown = display_path(target, root)
    if results_dir.is_dir():
        for existing in results_dir.iterdir():
            if existing.stem.casefold() == release.casefold() and existing.suffix in (".yaml", ".yml"):
                raise _exists(f"release `{existing.stem}` already has this results file; readiness never "
                              "overwrites results files (edit it, or delete it first)", display_path(existing, root))
    checklists = _checklists(root)
    if not checklists:
        raise _exists("no checklist found; add one such as checklists/production.md", "checklists/")

    previous: Optional[Evaluation] = None
    if from_release:
        from_product, from_version = _split(from_release, "--from: ")
        source = (root / "results" / from_product if from_product else root / "results") / f"{from_version}.yaml"
        if not source.is_file():
            raise UsageError(f"--from: no results file {display_path(source, root)}")
        problems = Problems()
        loaded = load_release(source, display_path(source, root), checklists, problems, product=from_product)
        problems.raise_if_errors()
        assert loaded is not None
        if checklist_name and checklist_name != loaded.checklist:
            raise UsageError(f"--from {from_release} uses checklist `{loaded.checklist}`, not `{checklist_name}`")
        checklist_name = loaded.checklist
        previous = evaluate(loaded, checklists[loaded.checklist])

    if checklist_name is None and product in checklists:
        checklist_name = product
    if checklist_name is None:
        if len(checklists) > 1:
            raise UsageError(f"several checklists: choose one with --checklist ({', '.join(sorted(checklists))})")
        checklist_name = next(iter(checklists))
    if checklist_name not in checklists:
        raise UsageError(f"--checklist: no checklist `{checklist_name}`; have {', '.join(sorted(checklists))}")
    c = checklists[checklist_name]

    sections = []
    for section in c.sections:
        lines = []
        for item in c.items_under(section.id):
            # As written, with inline `<placeholders>` and code, so the comment reads like the checklist.
            comment = as_written(item.text) + (f" (criterion {item.criterion.text}: give value)" if item.criterion
                                               else "")
            if item.levels is not None:
                labels = [level.label for level in c.levels if level.id in item.levels]
                comment += f" (required at {', '.join(labels)})" if labels else " (required at no level)"
            lines.append(Line(item.id, _carried(item, previous), comment))
        sections.append((section, lines))
    # Editors complete ids and flag mistakes from a saved schema (`readiness schema`), when there is one.
    saved = root / ".readiness" / f"{c.name}.schema.json"
    schema = os.path.relpath(saved, results_dir).replace(os.sep, "/") if saved.is_file() else None
    text = render("new.yaml.j2", {"release": release, "c": c, "sections": sections, "schema": schema,
                                  "carried_from": previous.release.name if previous else None})
    for folder in (root / "results", results_dir):  # a committed link would put the file outside the repository
        if folder.is_symlink():
            raise _exists(not_regular_message("a symbolic link"), folder.relative_to(root).as_posix())
    results_dir.mkdir(parents=True, exist_ok=True)
    try:
        with open(target, "x", encoding="utf-8") as fh:  # "x": never replace a file created meanwhile
            fh.write(text)
    except FileExistsError:
        raise _exists("this results file appeared while writing; readiness never overwrites results files", shown)
    return shown
