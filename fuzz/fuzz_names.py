"""Fuzz the name rule and file discovery with hostile names: a name passes only if it is path-safe, and a
repository holding a file or folder of any name loads or gives input problems, nothing else.

    python fuzz/fuzz_names.py --seconds 600      # or: make fuzz SECONDS=600

Names are random text and fragments that matter (dots, slashes, reserved names, controls, markup,
look-alikes, direction marks). Each batch also lays such names out as checklists, results files and
product folders of a small repository and loads it. A failure prints the input and exits 1.
"""

from __future__ import annotations

import argparse
import posixpath
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.errors import InputError  # noqa: E402
from generator.ids import RESERVED_NAMES, name_problem  # noqa: E402
from generator.project import load_project  # noqa: E402

PROJECT = ROOT / "tests" / "fixtures" / "project"
SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*\Z")
PROBLEM_LINE = re.compile(r"\S.*:\d+:\d+: \S")
BITS = [".", "..", "/", "\\", "-", "_", "+", "~", " ", "\t", "\n", "\r", "\x00", "\x1b[2J", "\x7f", "<", ">", "&",
        '"', "'", "`", "$(", "%2e", "index.md", "INDEX.HTML", "index", ".md", ".yaml", ".yml", "1.0.0", "web",
        "\u0435", "\u202e", "\u200b", "\u2060", "\ufeff", "\udcff", "é", "🔥", "CON", "nul", ":", "*", "?", "#"]
names = st.one_of(st.text(max_size=40), st.lists(st.sampled_from(BITS), max_size=8).map("".join),
                  st.lists(st.one_of(st.sampled_from(BITS), st.text(max_size=3)), max_size=8).map("".join))


def check_name(name: str) -> None:
    """A name the rule accepts can only become the path it names; a refused one says why on one line."""
    for kind in ("release", "product", "checklist"):
        problem = name_problem(name, kind)
        if problem is None:
            assert SAFE.match(name) and name.casefold() not in RESERVED_NAMES, name
            for pattern in ("releases/{}/index.md", "data/releases/{}.json", "checklists/{}/index.md"):
                path = pattern.format(name)
                assert posixpath.normpath(path) == path, path
        else:
            assert isinstance(problem, str) and problem and kind in problem


def _file_name(name: str) -> bool:
    """Whether a file system can hold `name` as one entry."""
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return bool(name) and name not in (".", "..") and "/" not in name and "\x00" not in name and len(encoded) < 200


def check_repository(work: Path, checklist: str, release: str, product: str) -> None:
    """The fixture project plus a checklist, a results file and a product folder with the given names."""
    root = work / "repo"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(PROJECT, root)
    if _file_name(checklist + ".md"):
        (root / "checklists" / f"{checklist}.md").write_text("# Extra\n\n## S\n\n- [ ] Item\n")
    if _file_name(release + ".yaml"):
        (root / "results" / f"{release}.yaml").write_text(f'release: "{release[:20]}"\n', errors="replace")
    if _file_name(product) and not (root / "results" / product).is_file():  # the results file may have its name
        (root / "results" / product).mkdir(exist_ok=True)
        (root / "results" / product / "1.0.0.yaml").write_text('release: "1.0.0"\nchecklist: web\n')
    try:
        project = load_project(root)
    except InputError as exc:
        assert exc.problems
        for p in exc.problems:
            line = str(p)
            assert "\n" not in line and PROBLEM_LINE.match(line), line
        return
    for release_ in project.releases:
        for part in release_.name.split("/"):
            assert name_problem(part) is None, release_.name
    for name in project.checklists:
        assert name_problem(name, "checklist") is None, name


def run(seconds: float, batch: int = 300) -> int:
    """Fuzz both targets in batches until `seconds` have passed; returns the number of inputs tried."""
    tried = 0
    deadline = time.monotonic() + seconds
    cfg = settings(max_examples=batch, deadline=None, database=None, derandomize=False,
                   suppress_health_check=list(HealthCheck))
    with tempfile.TemporaryDirectory(prefix="readiness-fuzz-names-") as tmp:
        work = Path(tmp)

        @cfg
        @given(names)
        def fuzz_name(name):
            check_name(name)

        @settings(cfg, max_examples=max(1, batch // 10))
        @given(names, names, names)
        def fuzz_repository(checklist, release, product):
            check_repository(work, checklist, release, product)

        while time.monotonic() < deadline:
            fuzz_name()
            fuzz_repository()
            tried += batch + max(1, batch // 10)
    return tried


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--batch", type=int, default=300)
    args = parser.parse_args()
    started = time.monotonic()
    tried = run(args.seconds, args.batch)
    print(f"fuzzed {tried} names in {time.monotonic() - started:.0f} s without a crash")


if __name__ == "__main__":
    main()
