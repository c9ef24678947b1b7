"""`readiness verify`: check offline that a built site matches its manifest and the inputs it names."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from generator.errors import InputError, Location, Problem, display_path

MANIFEST = "manifest.json"
# Files a site holds that are not part of what it shows (the manifest itself).
UNHASHED = {MANIFEST}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def verify_site(site_dir: Path, root: Path) -> tuple[int, int]:
    """Recompute every hash; raises InputError naming each file that differs. Returns (outputs, inputs) checked."""
    manifest_path = site_dir / MANIFEST
    shown_site = str(site_dir).rstrip("/")
    try:
        data = json.loads(manifest_path.read_text(encoding="utf-8"))
        outputs, inputs = dict(data["outputs"]), dict(data["inputs"])
    except FileNotFoundError:
        raise InputError([Problem(Location(f"{shown_site}/{MANIFEST}"), "no manifest: this is not a site built by "
                                  "readiness, or the manifest was removed")])
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError([Problem(Location(f"{shown_site}/{MANIFEST}"), f"unreadable manifest ({exc}); "
                                  "the site cannot be verified")])
    problems: list[Problem] = []
    present = {p.relative_to(site_dir).as_posix() for p in site_dir.rglob("*") if p.is_file()} - UNHASHED
    for rel in sorted(set(outputs) | present):
        where = Location(f"{shown_site}/{rel}")
        if rel not in present:
            problems.append(Problem(where, "missing: the manifest lists this file but the site does not have it"))
        elif rel not in outputs:
            problems.append(Problem(where, "not in the manifest: the file was added after the build"))
        elif _sha(site_dir / rel) != outputs[rel]:
            problems.append(Problem(where, f"content differs from the manifest (sha256 {outputs[rel][:16]}…); "
                                    "the page was changed after the build"))
    for rel, digest in sorted(inputs.items()):
        path = root / rel
        where = Location(display_path(path, root))
        if not path.is_file():
            problems.append(Problem(where, "input named in the manifest is missing from the repository"))
        elif _sha(path) != digest:
            problems.append(Problem(where, f"differs from the input the site was built from (sha256 {digest[:16]}…); "
                                    "check out the commit in the manifest (git_commit) to compare"))
    for folder, pattern in (("checklists", "*.md"), ("results", "*.yaml")):
        for path in sorted((root / folder).glob(pattern)) if (root / folder).is_dir() else []:
            rel = path.relative_to(root).as_posix()
            if rel not in inputs:
                problems.append(Problem(Location(rel), "not an input of this site: added after the build"))
    if problems:
        raise InputError(problems)
    return len(outputs), len(inputs)
