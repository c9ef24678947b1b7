"""JUnit XML reports: one item done when no test failed or erred, failed otherwise.

Every common runner writes a different tree: pytest and Maven Surefire one suite per module or class,
jest-junit one per file, gotestsum one per Go package, Node's test runner test cases directly under
`<testsuites>` and suites that hold both test cases and suites. So the counts come from the `<testcase>`
elements themselves, wherever they are, each counted once. A report's own totals (`tests="..."`,
`failures="..."` on a suite, Node's `<!-- fail N -->`) are checked but never make a run pass: where they
count more failures than the test cases show, the run fails and the note says how many.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional
from xml.parsers import expat

from generator.errors import InputError, Location, Problems
from generator.report_common import MAX_REPORT_BYTES, Finding, ReportFormat, Slot, fail, plural, read_report

MAX_FILES = 10_000  # TEST-*.xml files of one directory: one per test class
MAX_DEPTH = 256  # elements inside elements; runners nest one level per describe block, far fewer than this
SUITES = ("testsuites", "testsuite")
COUNTS = ("tests", "failures", "errors", "skipped", "skip")  # `skip`: older nose and xunit writers
BAD = ("failures", "errors")
# Node's junit reporter ends <testsuites> with its own totals as comments; a failure in a hook or in a test
# that has subtests is only there (the test becomes a <testsuite>, which has no <failure>).
NODE_TOTAL = re.compile(r"\s*(fail|cancelled) (\d{1,15})\s*\Z")


@dataclass(frozen=True)
class JUnitSummary:
    """The counts of one report (or directory of reports), and the note record writes from them."""

    tests: int
    failures: int
    errors: int
    skipped: int
    name: str  # the report's file name, for notes
    outside: int = 0  # failures and errors the report counts beyond those of its test cases

    @property
    def passed(self) -> bool:
        return self.failures == 0 and self.errors == 0 and self.outside == 0

    @property
    def note(self) -> str:
        more = ""
        if self.outside:
            more = (f"; the report counts {self.outside:,} more failure{'s' if self.outside > 1 else ''} "
                    f"or error{'s' if self.outside > 1 else ''} than its test cases show")
        return (f"JUnit: {plural(self.tests, 'test')}, {plural(self.failures, 'failure')}, "
                f"{plural(self.errors, 'error')}, {self.skipped:,} skipped{more} ({self.name})")


@dataclass
class _Suite:
    """An open `<testsuites>` or `<testsuite>`: what its own attributes claim, what its contents show."""

    claimed: Optional[int]  # failures + errors by its attributes (None: it has neither)
    bad: int = 0  # failing and erring test cases inside it, at any depth, plus what nested suites claim beyond


@dataclass
class _Count:
    """Counts so far, and the suites and test cases open at the parser's position."""

    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0
    outside: int = 0
    suites: list = field(default_factory=list)  # the open suites, outermost first
    cases: list = field(default_factory=list)  # the open test cases: set of result elements seen in each


class _XMLRefused(Exception):
    def __init__(self, message: str, line: int, col: int):
        super().__init__(message)
        self.line, self.col = line, col


def _count_attribute(name: str, key: str, raw: str, where: Location, problems: Problems) -> Optional[int]:
    """A count attribute as a number; a value no runner writes is an error at the element."""
    from generator.results import MAX_NUMBER_CHARS, MAX_VALUE  # here: the CLI starts without the loader

    text = raw.strip()
    digits = text.isascii() and text.isdigit()
    if len(text) > MAX_NUMBER_CHARS or (digits and int(text) > MAX_VALUE):
        shown = text if len(text) <= 40 else f"{text[:20]}… ({len(text):,} characters)"
        problems.error(where, f'<{name} {key}="{shown}">: out of range; in a real report it is at most {MAX_VALUE:,}')
        return None
    if not digits:
        problems.error(where, f'<{name} {key}="{raw}">: expected a whole number')
        return None
    return int(text)


def parse_junit(path: Path, shown: str) -> JUnitSummary:
    """Counts of a JUnit XML report, or of every `TEST-*.xml` in a directory (Surefire's and Gradle's
    one file per test class), from the test cases; a run without a single test is refused."""
    if path.is_dir():
        try:
            files = sorted(p for p in path.iterdir() if p.name.startswith("TEST-") and p.name.endswith(".xml"))
            size = sum(file.stat().st_size for file in files)
        except OSError as exc:
            raise fail(shown, f"cannot read the directory: {exc.strerror or exc} ({exc.filename or path})")
        if not files:
            raise fail(shown, "the directory holds no TEST-*.xml reports; give a report file, or the directory "
                       "Surefire or Gradle writes them to (target/surefire-reports, build/test-results/test)")
        if len(files) > MAX_FILES:
            raise fail(shown, f"the directory holds {len(files):,} TEST-*.xml reports, over the limit of {MAX_FILES:,}")
        if size > MAX_REPORT_BYTES:
            raise fail(shown, f"the TEST-*.xml reports are {size:,} bytes together, over the "
                       f"{MAX_REPORT_BYTES // 2**20} MB limit")
        name = f"{plural(len(files), 'report')} in {path.name}/"
    else:
        files, name = [path], path.name
    problems = Problems()
    total = _Count()
    for file in files:
        try:
            count = _count(file, str(Path(shown) / file.name) if file is not path else shown)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        for key in ("tests", "failures", "errors", "skipped", "outside"):
            setattr(total, key, getattr(total, key) + getattr(count, key))
    problems.raise_if_errors()
    if total.tests == 0 and total.outside == 0:
        raise fail(shown, "the report holds no tests; a run without tests cannot show that they pass")
    return JUnitSummary(total.tests, total.failures, total.errors, total.skipped, name, total.outside)


def _position(data: bytes, at: int) -> "tuple[int, int] | None":
    """The 1-based line and column of byte offset `at` (None for -1, a `find` that found nothing)."""
    if at < 0:
        return None
    return data.count(b"\n", 0, at) + 1, at - (data.rfind(b"\n", 0, at) + 1) + 1


def _count(path: Path, shown: str) -> _Count:
    """The counts of one report file.

    A test case counts as an error if it holds `<error>`, else as a failure if it holds `<failure>`, else
    as skipped if it holds `<skipped>`; `<flakyFailure>` and `<rerunFailure>` (Surefire's reruns) do not
    count. A `<failure>` or `<error>` directly in a suite, and any failures a suite's attributes (or Node's
    closing comments) claim beyond its test cases, count as `outside`: the run fails.
    """
    data = read_report(path, shown)
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    problems = Problems()
    count = _Count()
    parents: list[str] = []  # the open elements, root first
    node_totals: list[int] = []

    def here() -> tuple[int, int]:
        return parser.CurrentLineNumber, parser.CurrentColumnNumber + 1

    def refuse(message: str):
        raise _XMLRefused(message, *here())

    def doctype(_name, system_id, public_id, internal_subset) -> None:
        if internal_subset:
            refuse("a DOCTYPE with declarations is not allowed in a report (entities can expand without limit)")
        if system_id or public_id:
            # expat is past the DTD's name by now; point at the DOCTYPE itself
            line, col = _position(data, data.find(b"<!DOCTYPE")) or here()
            raise _XMLRefused("a DOCTYPE naming an external DTD is not allowed in a report "
                              "(readiness reads no other file)", line, col)

    def start(name: str, attrs: dict) -> None:
        line, col = here()
        if not parents and name not in SUITES:
            refuse(f"not a JUnit XML report: the root element is <{name}>, expected <testsuites> or <testsuite>")
        if len(parents) >= MAX_DEPTH:
            refuse(f"elements are nested more than {MAX_DEPTH} deep; no test runner writes that")
        parent = parents[-1] if parents else None
        parents.append(name)
        if name in SUITES:
            where = Location(shown, line, col)
            numbers = {key: _count_attribute(name, key, attrs[key], where, problems) for key in COUNTS if key in attrs}
            claimed = [numbers[key] or 0 for key in BAD if key in numbers]
            count.suites.append(_Suite(sum(claimed) if claimed else None))
        elif name == "testcase":
            count.cases.append(set())
        elif name in ("failure", "error", "skipped"):
            if parent == "testcase":
                count.cases[-1].add(name)
            elif parent in SUITES and name != "skipped":
                count.outside += 1  # a suite-level failure: a hook or the suite's setup
                count.suites[-1].bad += 1

    def end(name: str) -> None:
        parents.pop()
        if name in SUITES:
            suite = count.suites.pop()
            if suite.claimed is not None and suite.claimed > suite.bad:
                count.outside += suite.claimed - suite.bad
                suite.bad = suite.claimed
            if count.suites:
                count.suites[-1].bad += suite.bad
        elif name == "testcase":
            results = count.cases.pop()
            count.tests += 1
            if "error" in results:
                count.errors += 1
            elif "failure" in results:
                count.failures += 1
            elif "skipped" in results:
                count.skipped += 1
            if results & {"error", "failure"}:
                count.suites[-1].bad += 1

    def comment(text: str) -> None:
        match = NODE_TOTAL.match(text)
        if match and parents == ["testsuites"]:
            node_totals.append(int(match.group(2)))

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = lambda *_args: refuse(
        "a DOCTYPE with declarations is not allowed in a report (entities can expand without limit)")
    parser.ExternalEntityRefHandler = lambda *_args: refuse(
        "a reference to an external entity is not allowed in a report (readiness reads no other file)")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CommentHandler = comment
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise fail(shown, f"invalid XML: {expat.ErrorString(exc.code)}", exc.lineno, exc.offset + 1)
    except _XMLRefused as exc:
        raise fail(shown, str(exc), exc.line, exc.col)
    except (LookupError, ValueError):  # an encoding Python does not know, or a multi-byte one expat cannot take
        line, col = _position(data, data.find(b"encoding")) or (1, 1)
        raise fail(shown, "the XML declaration names an encoding the XML reader cannot use; "
                   "write the report as UTF-8", line, col)
    problems.raise_if_errors()
    counted = count.failures + count.errors + count.outside
    if node_totals and sum(node_totals) > counted:
        count.outside += sum(node_totals) - counted
    return count


def findings(summary: JUnitSummary) -> list[Finding]:
    """The JUnit item: done when nothing failed or erred."""
    return [Finding("junit", summary.note, status="done" if summary.passed else "failed")]


FORMAT = ReportFormat(
    name="junit",
    help="A JUnit XML report, or a directory of TEST-*.xml (Surefire, Gradle): sets the --item to done or failed.",
    slots=(Slot("junit", None, False),),
    parse=parse_junit,
    findings=findings,
)
