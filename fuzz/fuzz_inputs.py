"""Fuzz the results loader and the checklist parser: any input gives a result or input problems, nothing else.

    python fuzz/fuzz_inputs.py --seconds 600      # or: make fuzz SECONDS=600

Inputs are random bytes, YAML and Markdown assembled from fragments that matter (anchors, tags, tabs,
quotes, ids, statuses, task boxes, headings), and mutations of the example files. Runs in batches with
fresh random seeds until the time is up; a failure prints the input and exits 1.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.checklist import describe, load_checklist, parse_checklist  # noqa: E402
from generator.errors import InputError, Problems  # noqa: E402
from generator.merge import evaluate  # noqa: E402
from generator.results import load_release  # noqa: E402

CHECKLIST, _ = load_checklist(ROOT / "checklists" / "production.md", "checklists/production.md")
SEEDS = [p.read_bytes() for p in sorted((ROOT / "results").glob("*.yaml"))]
IDS = sorted(CHECKLIST.nodes)[:40] + ["security", "kubernetes", "nope/x"]

YAML_BITS = [
    'release: "2.4.0"\n', "release: 1.10\n", "checklist: production\n", "items:\n", "signoffs:\n", "launch:\n",
    "  {id}: done\n", "  {id}: {{status: n/a}}\n", "  {id}: {{status: waived, reason: x}}\n", "  {id}:\n",
    "    status: no\n", "    value: 2.4\n", '    value: "2400 ms"\n', "    evidence: javascript:alert(1)\n",
    "    date: 2026-13-45\n", "    note: |\n      multi\n      line\n", "  technical-lead: {{name: A, date: 2026-01-01}}\n",
    "  time: 12:30\n", "  timezone: Mars/Base\n", "&a ", "*a ", "<<: *a\n", "!!python/object/apply:os.system [x]\n",
    "!foo ", "\t", "'", '"', "[", "{{", "---\n", "...\n", "? ", "- ", "\x00", "\ufeff", "é", "\u202e", "🔐",
    "    note: AKIAIOSFODNN7EXAMPLE\n", "~\n", "null\n", ": ", "#", "%YAML 1.1\n",
]
MD_BITS = [
    "# Title\n", "## Section\n", "### Sub\n", "#### Deep\n", "- [ ] Item\n", "- [x] Done item\n", "  - [ ] Nested\n",
    "- [ ] **Group**\n", "- [ ] **Lead:** ____ Date: ___\n", "## Sign-off\n", "## Approvals\n", "- plain bullet\n",
    "```\n", "~~~\n", "<!-- ", " -->\n", "<script>alert(1)</script>\n", "| a | [ ] b |\n|---|---|\n",
    "[ ] para\n", "- [ ] Page load < 3 seconds\n", "- [ ] x ≥ 99.5%\n", "- [ ] y (optional)\n", "- [ ] z (if used)\n",
    "{#pinned}", "{#bad id}", "🔥\n", "\n", "    code\n", "> quote\n", "1. [ ] ordered\n", "- [ ] \n", "Ã©\n",
    # Checklists as people write them: front matter, placeholders, sign-off lines, tables, bold lines, references.
    "---\nname: Release\ntitle: 'x'\n---\n", "---\n", "name: &a [*a]\n", "- [ ] ...\n", "- [ ] TODO\n", "- [ ]\n",
    "- [ ] <fill in>\n", "- [ ] <script>alert(1)</script>\n", "- [ ] {{ var }}\n", "- [ ] [Item]\n", "- [ ] 🚀\n",
    "**QA Lead:** _____ Date: _____\n", "QA Lead: ______\n", "- Product:\n", "- Signatures:\n  - SRE:\n",
    "## 5. Signatures\n", "## Release approvals\n", "Name: `[NAME]`  \n", "**Before release**\n", "**Signatures**\n",
    "| Check | Description | Level A | Level B |\n|---|---|---|---|\n", "| Runbook | x | ✓ | |\n", "| a | ✅ | ☐ |\n",
    "| # | Task | Done |\n|---|---|---|\n| 1 | Drain | ☐ |\n", "| [X] | [X] | [x] |\n", "|||\n|-|-|\n",
    "- [ ] see [ref][r] ![alt][r]\n", "[r]: https://example.com \"t\"\n", "[r]: javascript:alert(1)\n",
    "- Plain bullet\n  - [ ] nested task\n", "- [ ] coverage above 70%\n", "- [ ] size don't exceed 2 MB\n",
    "- [ ] x (only for v1)\n", "- [ ] y (If Needed).\n", "# Second\n- [ ] stray\n", "<!-- c -->", "Title\n===\n",
    "- [ ] " + "very long words " * 12 + "\n", "  " * 12 + "- [ ] deep\n", "> " * 25 + "- [ ] quoted\n",
]
NAMES = ["fuzz", "production", "", "..", "x<img src=x onerror=alert(1)>", "a\nb", "🚀", "Straße", "\u202eevil"]


def check_results(data: bytes) -> None:
    """Load one results file; only a Release or input problems may come out."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "2.4.0.yaml"
        path.write_bytes(data)
        problems = Problems()
        release = load_release(path, "results/2.4.0.yaml", {"production": CHECKLIST}, problems)
        assert (release is None) == bool(problems.errors), "a release must come with no errors, or errors with none"
        for p in problems.items:
            assert p.location.line >= 1 and p.location.col >= 1 and p.message
        if release is not None:
            evaluate(release, CHECKLIST)


def check_checklist(text: str, name: str = "fuzz") -> None:
    """Parse one checklist; only a Checklist with problems may come out, every problem names a line of the file,
    ids are unique, path-safe and at most 100 characters, and the summary line can be made."""
    problems = Problems()
    checklist = parse_checklist(text, name, "checklists/fuzz.md", problems)
    lines = len(re.split(r"\r\n|\r|\n", text))  # as markdown-it counts them
    for p in problems.items:
        assert 1 <= p.location.line <= lines and p.location.col >= 1 and p.message, str(p)
    describe(checklist)
    if not problems.errors:
        ids = [n for n in checklist.nodes]
        assert len(ids) == len(set(ids))
        assert all(".." not in i.split("/") and "\\" not in i and not i.startswith("/") for i in ids)
        assert all(len(i) <= 100 for i in ids)
        assert all(not i.plain.startswith("<script") for i in checklist.items)
        levels = {level.id for level in checklist.levels}
        assert all(i.levels is None or set(i.levels) <= levels for i in checklist.items)


def _mutate(seed: bytes, rnd: random.Random) -> bytes:
    data = bytearray(seed)
    for _ in range(rnd.randint(1, 8)):
        op = rnd.random()
        pos = rnd.randrange(len(data) + 1)
        if op < 0.4 and data:
            data[min(pos, len(data) - 1)] = rnd.randrange(256)
        elif op < 0.7:
            data[pos:pos] = rnd.choice(YAML_BITS).format(id=rnd.choice(IDS)).encode()
        elif data:
            del data[pos: pos + rnd.randint(1, 40)]
    return bytes(data)


yaml_text = st.lists(st.sampled_from(YAML_BITS), max_size=30).flatmap(
    lambda bits: st.lists(st.sampled_from(IDS), min_size=len(bits), max_size=len(bits)).map(
        lambda ids: "".join(b.format(id=i) for b, i in zip(bits, ids))))
results_input = st.one_of(
    st.binary(max_size=2000),
    yaml_text.map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.tuples(st.sampled_from(range(len(SEEDS))), st.integers(0, 2**32)).map(
        lambda p: _mutate(SEEDS[p[0]], random.Random(p[1]))),
)
checklist_input = st.tuples(
    st.one_of(
        st.text(max_size=500),
        st.lists(st.one_of(st.sampled_from(MD_BITS), st.text(max_size=20)), max_size=40).map("".join),
    ),
    st.one_of(st.sampled_from(NAMES), st.text(max_size=12)),
)


def run(seconds: float, batch: int = 300) -> int:
    """Fuzz both targets in batches until `seconds` have passed; returns the number of inputs tried."""
    tried = 0
    deadline = time.monotonic() + seconds
    cfg = settings(max_examples=batch, deadline=None, database=None, derandomize=False,
                   suppress_health_check=list(HealthCheck))

    @cfg
    @given(results_input)
    def fuzz_results(data):
        check_results(data)

    @cfg
    @given(checklist_input)
    def fuzz_checklist(case):
        check_checklist(*case)

    while time.monotonic() < deadline:
        fuzz_results()
        fuzz_checklist()
        tried += 2 * batch
    return tried


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--batch", type=int, default=300)
    args = parser.parse_args()
    started = time.monotonic()
    try:
        tried = run(args.seconds, args.batch)
    except InputError as exc:  # pragma: no cover - raised only by a bug in a loader
        print("loader raised InputError instead of collecting it:", exc, file=sys.stderr)
        sys.exit(1)
    print(f"fuzzed {tried} inputs in {time.monotonic() - started:.0f} s without a crash")


if __name__ == "__main__":
    main()
