"""JUnit XML reports: one item done when no test failed or erred, failed otherwise."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from xml.parsers import expat

from generator.errors import Location, Problems
from generator.report_common import Finding, ReportFormat, Slot, fail, plural, read_report


@dataclass(frozen=True)
class JUnitSummary:
    tests: int
    failures: int
    errors: int
    skipped: int
    name: str  # the report's file name, for notes

    @property
    def passed(self) -> bool:
        return self.failures == 0 and self.errors == 0

    @property
    def note(self) -> str:
        return (f"JUnit: {plural(self.tests, 'test')}, {plural(self.failures, 'failure')}, "
                f"{plural(self.errors, 'error')}, {self.skipped:,} skipped ({self.name})")


@dataclass
class _Suite:
    attrs: dict
    line: int
    col: int
    leaf: bool = True
    cases: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0


class _XMLRefused(Exception):
    def __init__(self, message: str, line: int, col: int):
        super().__init__(message)
        self.line, self.col = line, col


def parse_junit(path: Path, shown: str) -> JUnitSummary:
    """Counts of a JUnit XML report (`<testsuites>` or a single `<testsuite>`, as pytest, Maven Surefire,
    Gradle, jest-junit and others write them).

    The counts are the `tests`, `failures`, `errors` and `skipped` attributes of the innermost
    `<testsuite>` elements, summed; a missing attribute is counted from the `<testcase>` elements, and
    a `<failure>` or `<error>` found in a test case is never outweighed by an attribute saying 0.
    """
    from generator.results import MAX_NUMBER_CHARS, MAX_VALUE  # here: the CLI starts without the loader

    data = read_report(path, shown)
    parser = expat.ParserCreate()
    stack: list[str] = []
    suites: list[_Suite] = []
    open_suites: list[_Suite] = []
    case: dict = {}
    problems = Problems()

    def refuse_entities(*_args):
        raise _XMLRefused("a DOCTYPE with declarations is not allowed in a report (entities can expand without limit)",
                          parser.CurrentLineNumber, parser.CurrentColumnNumber + 1)

    def start(name: str, attrs: dict) -> None:
        line, col = parser.CurrentLineNumber, parser.CurrentColumnNumber + 1
        if not stack and name not in ("testsuites", "testsuite"):
            raise _XMLRefused(f"not a JUnit XML report: the root element is <{name}>, "
                              "expected <testsuites> or <testsuite>", line, col)
        if name == "testsuite":
            if open_suites:
                open_suites[-1].leaf = False
            suite = _Suite(attrs, line, col)
            suites.append(suite)
            open_suites.append(suite)
        elif name == "testcase" and open_suites:
            open_suites[-1].cases += 1
            case.clear()
            case["open"] = True
        elif stack and stack[-1] == "testcase" and name in ("failure", "error", "skipped"):
            case[name] = True
        stack.append(name)

    def end(name: str) -> None:
        stack.pop()
        if name == "testsuite":
            open_suites.pop()
        elif name == "testcase" and open_suites and case.get("open"):
            suite = open_suites[-1]
            if case.get("error"):
                suite.errors += 1
            elif case.get("failure"):
                suite.failures += 1
            elif case.get("skipped"):
                suite.skipped += 1
            case.clear()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = lambda _name, _sys, _pub, internal: internal and refuse_entities()
    parser.EntityDeclHandler = refuse_entities
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise fail(shown, f"invalid XML: {expat.ErrorString(exc.code)}", exc.lineno, exc.offset + 1)
    except _XMLRefused as exc:
        raise fail(shown, str(exc), exc.line, exc.col)

    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in suites:
        if not suite.leaf:
            continue
        counted = {"tests": suite.cases, "failures": suite.failures, "errors": suite.errors, "skipped": suite.skipped}
        for key in totals:
            raw = suite.attrs.get(key)
            if raw is None and key == "skipped":
                raw = suite.attrs.get("skip")
            if raw is None:
                totals[key] += counted[key]
                continue
            text = raw.strip()
            if len(text) > MAX_NUMBER_CHARS or (text.isdigit() and int(text) > MAX_VALUE):
                shown_raw = text if len(text) <= 40 else f"{text[:20]}… ({len(text):,} characters)"
                problems.error(Location(shown, suite.line, suite.col),
                               f'<testsuite {key}="{shown_raw}">: out of range; in a real report it is at most {MAX_VALUE:,}')
                continue
            try:
                number = int(text)
                if number < 0:
                    raise ValueError
            except ValueError:
                problems.error(Location(shown, suite.line, suite.col),
                               f'<testsuite {key}="{raw}">: expected a whole number')
                continue
            totals[key] += max(number, counted[key]) if key in ("failures", "errors") else number
    problems.raise_if_errors()
    if totals["tests"] == 0:
        raise fail(shown, "the report holds no tests; a run without tests cannot show that they pass")
    return JUnitSummary(totals["tests"], totals["failures"], totals["errors"], totals["skipped"], path.name)


def findings(summary: JUnitSummary) -> list[Finding]:
    """The JUnit item: done when nothing failed or erred."""
    return [Finding("junit", summary.note, status="done" if summary.passed else "failed")]


FORMAT = ReportFormat(
    name="junit",
    help="A JUnit XML report: sets the --item to done or failed.",
    slots=(Slot("junit", None, False),),
    parse=parse_junit,
    findings=findings,
)
