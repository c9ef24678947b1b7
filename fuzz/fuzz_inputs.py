"""Fuzz the results loader, the checklist parser, the git log reader and the report parsers (JUnit XML,
k6 and Lighthouse JSON): any input gives a result or problems.

    python fuzz/fuzz_inputs.py --seconds 600      # or: make fuzz SECONDS=600

Inputs are random bytes, YAML and Markdown assembled from fragments that matter (anchors, tags, tabs,
quotes, ids, statuses, task boxes, headings), mutations of the example files, and `git log -z` output
whose names, e-mails and messages hold separators, fake fields, NULs and direction characters, and real
reports cut, spliced and mutated (declarations, entities, encodings, numbers). Runs in batches with
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
from generator.project import load_config  # noqa: E402
from generator.provenance import LOG_FIELDS, SIGNATURES, parse_log  # noqa: E402
from generator.versions import may_hold, summarise  # noqa: E402
from generator.reports import REPORTS  # noqa: E402
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
    "signoffs:\n", "launch: {{date: 2026-01-01}}\n", '"launch": x\n', "'signoffs' :\n", "? launch # c\n: x\n",
    '"\\x6caunch": {{date: 2026-01-01}}\n', "{{launch: 1}}\n", "[signoffs: 1]\n", "  tech-lead: {{name: A, date: B}}\n",
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
    check_version(data)


def check_version(data: bytes) -> None:
    """A results file's version from history: summarised without raising, and the byte test that skips
    parsing versions is sound (a version it passes over holds no sign-off and no launch)."""
    summary = summarise(data)
    if not may_hold(data):
        assert not summary.signoffs and summary.launch is None, "may_hold passed over a sign-off or launch"
    if not may_hold(data, launch_only=True):
        assert summary.launch is None, "may_hold passed over a launch"


TEAM_BITS = [
    "people:\n", "groups:\n", "policy:\n", "  roles:\n", "  waivers: [ada, leads]\n", "  ada:\n", "  bob:\n",
    "    name: Ada Lovelace\n", "    name: ada  LOVELACE\n", "    aliases: [A. Lovelace, \"\u00a0\"]\n",
    "    emails: [ada@example.com]\n", "    emails: [not an e-mail]\n", "    keys: [\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA\"]\n",
    "    keys: x\n", "  leads: [ada, bob]\n", "  ada: [nobody]\n", "    tech-lead: [leads]\n", "    x: 1\n",
    "&a ", "*a ", "<<: *a\n", "!!python/object/apply:os.system [x]\n", "[", "{{", "\t", "\u202e", "'", "- ",
    "site_name: x\n", "audit:\n  signed_commits: true\n", "\x00", "    name: \u0410da\n",
]


def check_config(text: str) -> None:
    """Read one readiness.yml with a team and policy; only settings or input problems at a line may come out,
    and every name of a person found is a person again when looked up."""
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "readiness.yml").write_text(text, encoding="utf-8", errors="surrogatepass")
        problems = Problems()
        config = load_config(Path(tmp), problems)
        for p in problems.items:
            assert p.location.line >= 1 and p.location.col >= 1 and p.message, str(p)
        team = config.get("team")
        if team is not None and not problems.errors:
            for person in team.people.values():
                for name in (person.name,) + person.aliases:
                    assert team.person(name) is person and team.person(name.casefold() + " ") is person
                for email in person.emails:
                    assert team.by_email(email.upper()) is person


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


REPORT_SEEDS = [(fmt, path.read_bytes()) for fmt in REPORTS
                for path in sorted((ROOT / "tests" / "fixtures" / "reports").rglob("*"))
                if path.is_file() and path.suffix in (".xml", ".json") and
                (path.name.startswith(fmt.name) or fmt.name in path.parts)]
REPORT_BITS = [
    '<?xml version="1.0" encoding="U-TF-8"?>', '<?xml version="1.0" encoding="shift_jis"?>', "<!DOCTYPE t [",
    '<!ENTITY a "aaaa">', "&a;", "<testcase/>", "<failure/>", "<error/>", "<skipped/>", 'tests="-1"',
    'failures="1e9"', "<testsuite>", "</testsuite>", "<!-- ok 1 - x -->", "\x00", "\ufeff", "NaN", "-1",
    "1e400", '"value": ', "{", "}", "[", "]", '"', ",", "null", "true", '"p(95)": ', "\u202e",
]


def check_report(case: tuple) -> None:
    """Parse one report of one format: a summary or an InputError, each problem at a line and column."""
    fmt, data = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("report.xml" if fmt.name == "junit" else "report.json")
        path.write_bytes(data)
        try:
            fmt.parse(path, "report")
        except InputError as exc:
            assert exc.problems and all(p.location.line >= 1 and p.location.col >= 1 and p.message
                                        for p in exc.problems)


def _mutate_report(seed: bytes, rnd: random.Random) -> bytes:
    data = bytearray(seed)
    for _ in range(rnd.randint(1, 6)):
        # The start counts twice over: an XML declaration, a byte-order mark or a bracket is read only there.
        pos = 0 if rnd.random() < 0.2 else rnd.randrange(len(data) + 1)
        op = rnd.random()
        if op < 0.3 and data:
            data[min(pos, len(data) - 1)] = rnd.randrange(256)
        elif op < 0.7:
            data[pos:pos] = rnd.choice(REPORT_BITS).encode("utf-8", "surrogatepass")
        elif data:
            del data[pos: pos + rnd.randint(1, 60)]
    return bytes(data)


def check_git_log(data: bytes) -> None:
    """Read one `git log` output; only checked records (valid sha, trailer, dates, signature) and messages come out."""
    records, problems = parse_log(data)
    for r in records:
        c = r.commit
        assert len(c.sha) in (40, 64) and all(ch in "0123456789abcdef" for ch in c.sha)
        assert c.signature in SIGNATURES.values() and c.author_date.tzinfo and c.commit_date.tzinfo
        assert not any(ord(ch) < 32 or 0x202a <= ord(ch) <= 0x202e for ch in c.author + c.committer + c.subject)
        for change in r.changes:
            assert change.path and change.old_path and len(change.new_blob) == len(c.sha)
    assert all(isinstance(p, str) and p for p in problems)


GIT_BITS = ["\x1f", "\x1e", "\n", "\u202e", "\u2066", "\u200b", "G", "N", "%G?", "C",
            "2020-01-01T00:00:00+00:00", "2026-13-45T99:99:99+99:99", "a" * 40, "\n:100644 100644 ", " R100",
            "results/1.0.yaml", "results/x\ny.yaml", "Eve", "\x7f", "\u2028", "🔐"]
NUL_BITS = ["\0", "\0C\0", "\0results/x\ny.yaml\0", "\0\0"]  # as if git printed a NUL: the record must not check


def _git_record(rnd: random.Random) -> bytes:
    """One log record as git writes it, with hostile text in the free fields and sometimes a broken field."""
    sha = "%040x" % rnd.getrandbits(160)
    def free() -> str:
        bits = NUL_BITS if rnd.random() < 0.03 else GIT_BITS
        return "".join(rnd.choice(bits) for _ in range(rnd.randint(0, 6)))

    values = {"%H": sha, "%P": "" if rnd.random() < 0.3 else "%040x" % rnd.getrandbits(160), "%an": free(),
              "%ae": free(), "%aI": "2026-01-01T09:00:00+01:00" if rnd.random() < 0.9 else free(), "%cn": free(),
              "%ce": free(), "%cI": "2026-01-02T09:00:00+00:00", "%G?": rnd.choice(list(SIGNATURES) * 4 + ["", "GG"]),
              "%GS": rnd.choice(["", "", "jonas", free()]), "%s": free()}
    body = "\0".join(values[f] for f in LOG_FIELDS).encode("utf-8", "surrogatepass")
    raw = b""
    for _ in range(rnd.randint(0, 3)):
        status = rnd.choice(["A", "M", "D", "R100", "C075", "X", "Z"])
        paths = [free() or "results/1.0.yaml" for _ in range(2 if status[0] in "RC" else 1)]
        raw += (f"\n:100644 100644 {'1' * 40} {'2' * 40} {status}\0" + "\0".join(paths) + "\0").encode(
            "utf-8", "surrogatepass")
    return b"\0C\0" + body + b"\0" + raw


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
git_log_input = st.one_of(
    st.binary(max_size=2000),
    st.tuples(st.integers(1, 6), st.integers(0, 2**32)).map(
        lambda p: b"".join(_git_record(random.Random(p[1] + i)) for i in range(p[0]))),
)
report_input = st.one_of(
    st.tuples(st.sampled_from(REPORTS), st.binary(max_size=500)),
    st.tuples(st.sampled_from(range(len(REPORT_SEEDS))), st.integers(0, 2**32)).map(
        lambda p: (REPORT_SEEDS[p[0]][0], _mutate_report(REPORT_SEEDS[p[0]][1], random.Random(p[1])))),
)
config_input = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(TEAM_BITS), max_size=25).map("".join),
)
checklist_input = st.tuples(
    st.one_of(
        st.text(max_size=500),
        st.lists(st.one_of(st.sampled_from(MD_BITS), st.text(max_size=20)), max_size=40).map("".join),
    ),
    st.one_of(st.sampled_from(NAMES), st.text(max_size=12)),
)


def run(seconds: float, batch: int = 300) -> int:
    """Fuzz every target in batches until `seconds` have passed; returns the number of inputs tried."""
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

    @cfg
    @given(git_log_input)
    def fuzz_git_log(data):
        check_git_log(data)

    @cfg
    @given(config_input)
    def fuzz_config(text):
        check_config(text)

    @cfg
    @given(report_input)
    def fuzz_reports(case):
        check_report(case)

    while time.monotonic() < deadline:
        fuzz_results()
        fuzz_checklist()
        fuzz_git_log()
        fuzz_config()
        fuzz_reports()
        tried += 5 * batch
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
