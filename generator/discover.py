"""Finding a repository's inputs: the checklists and results files to read, every other entry where one
could be refused or warned about.

Entries are looked at without following links (lstat), so a link, pipe, socket, device or folder is named
as what it is and never opened; only regular files with valid names go on to be read (source.py reads
them), and every name passes the one name rule (ids.name_problem).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Optional

from generator.errors import Location, Problems
from generator.ids import name_problem
from generator.source import kind_of, not_regular_message

Listing = list[tuple[Path, os.stat_result]]


def _listing(folder: Path) -> Listing:
    """A folder's entries by name, each with what it is itself (links not followed)."""
    out = []
    with os.scandir(folder) as entries:
        for entry in entries:
            try:
                out.append((Path(entry.path), entry.stat(follow_symlinks=False)))
            except OSError:  # gone since the folder was read
                continue
    return sorted(out, key=lambda e: e[0].name)


def _input_folder(root: Path, rel: str, problems: Problems) -> bool:
    """Whether `root/rel` is a folder to read: a real folder, not a link to one (an error) or missing."""
    try:
        st = os.lstat(root / rel)
    except OSError:
        return False
    if stat.S_ISLNK(st.st_mode):
        problems.error(Location(rel), not_regular_message("a symbolic link"))
        return False
    return stat.S_ISDIR(st.st_mode)


def checklist_sources(root: Path, problems: Problems, broken: set[str]) -> list[Path]:
    """checklists/*.md that are regular files with a valid name; every other .md is an error (added to
    `broken`, so results files naming it are not also told it does not exist)."""
    if not _input_folder(root, "checklists", problems):
        return []
    sources: list[Path] = []
    by_folded: dict[str, str] = {}
    for path, st in _listing(root / "checklists"):
        if path.suffix != ".md":
            continue
        shown = f"checklists/{path.name}"
        kind = kind_of(st.st_mode)
        bad = not_regular_message(kind, "checklists") if kind else name_problem(path.stem, "checklist")
        if bad:
            problems.error(Location(shown), bad if kind else f"file name `{path.name}`: {bad}; rename the file")
            broken.add(path.stem)
            continue
        clash = case_clash(by_folded, path.stem, shown, "checklist")
        if clash:
            problems.error(Location(shown), clash)
            broken.add(path.stem)
            continue
        sources.append(path)
    return sources


def result_folders(root: Path, problems: Problems) -> list[tuple[str, Path, Listing]]:
    """`results/` itself (product "") and one folder per product, `results/<product>/`, each with its entries.
    Product names follow the name rule; a folder named like a results file is an error, not a product."""
    if not _input_folder(root, "results", problems):
        return []
    top = _listing(root / "results")
    folders = [("", root / "results", top)]
    by_folded: dict[str, str] = {}
    # Where a release of results/ itself puts files a product's would share: releases/<name>/ (its page and
    # badge) and data/releases/<name>.json and .js (its export and the compare page's data).
    shared = {}
    for path, st in top:
        if path.suffix == ".yaml" and stat.S_ISREG(st.st_mode) and not path.name.startswith("."):
            for taken in (path.stem, f"{path.stem}.json", f"{path.stem}.js"):
                shared[taken.casefold()] = path.name
    for path, st in top:
        if not stat.S_ISDIR(st.st_mode) or path.name.startswith("."):
            continue
        shown = f"results/{path.name}"
        if path.suffix.lower() in (".yaml", ".yml"):
            problems.error(Location(shown), "is a folder, not a results file; remove it, or rename it if it is a "
                           "product folder (product names do not end in .yaml)")
            continue
        bad = name_problem(path.name, "product")
        if bad:
            problems.error(Location(shown), f"product folder: {bad.replace('product name', 'name')}; rename the folder")
            continue
        folded = path.name.casefold()
        if folded in by_folded:
            problems.error(Location(shown), f"product `{path.name}` differs only in case from "
                           f"{by_folded[folded]}; rename one of them")
            continue
        if folded in shared:
            problems.error(Location(shown), f"product `{path.name}` would put its files where the release of "
                           f"results/{shared[folded]} has its own; rename the folder or the file")
            continue
        by_folded[folded] = shown
        folders.append((path.name, path, _listing(path)))
    return folders


def is_results_file(path: Path, st: os.stat_result, shown: str, product: str, problems: Problems) -> bool:
    """Whether to read an entry of a results folder: a regular file ending in .yaml. Stray YAML spellings,
    links, pipes, sockets and devices are errors, not silently skipped (a skipped file changes a verdict)."""
    suffix = path.suffix.lower()
    if path.name.startswith("."):
        if suffix in (".yaml", ".yml"):
            problems.warning(Location(shown), "hidden file is not read; rename it if it holds a release")
        return False
    kind = kind_of(st.st_mode)
    if kind == "a symbolic link":
        problems.error(Location(shown), not_regular_message(kind, "results files"))
        return False
    if stat.S_ISDIR(st.st_mode):
        if product and suffix in (".yaml", ".yml"):
            problems.error(Location(shown), "is a folder, not a results file; remove it or rename it")
        elif product:  # results/<product>/<folder>: one level of products only
            problems.warning(Location(shown), "folders inside a product folder are not read")
        return False  # in results/ itself: a product folder, read by _result_folders
    if suffix in (".yaml", ".yml") and path.suffix != ".yaml":
        target = path.with_suffix(".yaml")
        if os.path.lexists(target):
            problems.error(Location(shown), f"results files end in .yaml, and {shown.rsplit('/', 1)[0]}/"
                           f"{target.name} already exists; merge the two and delete this one")
        else:
            problems.error(Location(shown), f"results files end in .yaml; rename it to {target.name}")
        return False
    if suffix != ".yaml":
        return False
    if kind is not None:
        problems.error(Location(shown), not_regular_message(kind, "results files"))
        return False
    return True


def case_clash(seen: dict, name: str, shown: str, what: str) -> Optional[str]:
    """Why `name` clashes with one seen before that differs only in case (None, and `name` is recorded, if not):
    on a case-insensitive file system the two would be one file, and pages of both one path."""
    folded = name.casefold()
    if folded in seen:
        return f"{what} `{name}` differs only in case from {seen[folded]}; rename one of them"
    seen[folded] = shown
    return None
