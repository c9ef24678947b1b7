"""`readiness record`: item statuses and criteria values from JUnit, Lighthouse and k6 reports.

Two halves:

* report readers: a JUnit XML file, a Lighthouse JSON report or a k6 summary -> a small summary, with
  `path:line:col` for every problem;
* the round-trip writer shared with `readiness sign`: it changes single entries of `items:` or
  `signoffs:` in a results file and leaves every other byte as it was. ruamel.yaml reads the document
  (positions of every key and value) and writes only the lines of the touched entry, so comments,
  key order, quotes and indentation elsewhere stay byte for byte. The new text is checked with the strict
  loader (`load_release`) in a temporary file and only then renamed over the results file.

DESIGN.md says readiness never modifies results files; `record` and `sign` are the explicit exceptions
(docs/evidence.md).
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence
from xml.parsers import expat

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from ruamel.yaml.tokens import CommentToken

from generator.errors import InputError, Location, Problem, Problems, UsageError
from generator.model import Checklist, Entry, Item, Release
from generator.source import read_regular
from generator.results import (TOP_KEYS, UNIT_FACTORS, _Scalar, _suggest_id, _yaml11_type, did_you_mean, load_release,
                                plain_data)

MAX_REPORT_BYTES = 200 * 1024 * 1024  # Lighthouse reports with screenshots reach tens of MB; JUnit files more
FAILURE_RATE_LIMIT = 0.01  # k6 without thresholds: more than 1 % failed requests fails "performance under load"


def _fail(shown: str, message: str, line: int = 1, col: int = 1) -> InputError:
    return InputError([Problem(Location(shown, line, col), message)])


def _plural(n: int, word: str, plural: Optional[str] = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


# --- report readers ----------------------------------------------------------------------------


def _read_report(path: Path, shown: str) -> bytes:
    """A report's bytes; a missing or oversized file, a link, a pipe or a device is an error at `shown:1:1`
    (read as inputs are: a report may be a file a pull request added, and a pipe would block)."""
    if not os.path.lexists(path):
        raise _fail(shown, "no such report file")
    if path.is_dir() and not path.is_symlink():
        raise _fail(shown, "is a directory; give the report file")
    return read_regular(path, shown, MAX_REPORT_BYTES, "reports are the output of one run", "reports")


def _read_json(path: Path, shown: str) -> object:
    data = _read_report(path, shown)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _fail(shown, f"byte 0x{data[exc.start]:02x} is not valid UTF-8; JSON reports are UTF-8", line, col)
    if not text.strip():
        raise _fail(shown, "the report is empty")
    try:
        return json.loads(text, parse_constant=lambda name: float("nan"))
    except json.JSONDecodeError as exc:
        raise _fail(shown, f"invalid JSON: {exc.msg}", exc.lineno, exc.colno)
    except RecursionError:
        raise _fail(shown, "invalid JSON: nested too deeply")


def _number(value: object) -> Optional[float]:
    """A finite number from JSON, or None (booleans are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


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
        return (f"JUnit: {_plural(self.tests, 'test')}, {_plural(self.failures, 'failure')}, "
                f"{_plural(self.errors, 'error')}, {self.skipped:,} skipped ({self.name})")


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
    data = _read_report(path, shown)
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
        raise _fail(shown, f"invalid XML: {expat.ErrorString(exc.code)}", exc.lineno, exc.offset + 1)
    except _XMLRefused as exc:
        raise _fail(shown, str(exc), exc.line, exc.col)

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
            try:
                number = int(raw.strip())
                if number < 0:
                    raise ValueError
            except ValueError:
                problems.error(Location(shown, suite.line, suite.col),
                               f'<testsuite {key}="{raw}">: expected a whole number')
                continue
            totals[key] += max(number, counted[key]) if key in ("failures", "errors") else number
    problems.raise_if_errors()
    if totals["tests"] == 0:
        raise _fail(shown, "the report holds no tests; a run without tests cannot show that they pass")
    return JUnitSummary(totals["tests"], totals["failures"], totals["errors"], totals["skipped"], path.name)


@dataclass(frozen=True)
class LighthouseSummary:
    version: str
    score: float  # 0..1
    lcp_ms: float
    tti_ms: Optional[float]
    speed_index_ms: Optional[float]
    name: str

    @property
    def page_load_note(self) -> str:
        return f"Lighthouse {self.version}: Largest Contentful Paint {self.lcp_ms / 1000:.2f} s ({self.name})"

    @property
    def score_note(self) -> str:
        extra = [f"LCP {self.lcp_ms / 1000:.1f} s"]
        if self.speed_index_ms is not None:
            extra.append(f"Speed Index {self.speed_index_ms / 1000:.1f} s")
        if self.tti_ms is not None:
            extra.append(f"TTI {self.tti_ms / 1000:.1f} s")
        return (f"Lighthouse {self.version}: performance score {round(self.score * 100)}/100; "
                f"{', '.join(extra)} ({self.name})")


def parse_lighthouse(path: Path, shown: str) -> LighthouseSummary:
    """The performance score and timings of a Lighthouse JSON report (`lighthouse URL --output=json`,
    Lighthouse CI's lhr files, or a PageSpeed Insights response holding `lighthouseResult`)."""
    data = _read_json(path, shown)
    lhr = data.get("lighthouseResult", data) if isinstance(data, dict) else None
    if not isinstance(lhr, dict) or not isinstance(lhr.get("audits"), dict) \
            or not isinstance(lhr.get("categories"), dict):
        raise _fail(shown, "not a Lighthouse JSON report (no `audits` and `categories`); "
                    "write one with `lighthouse URL --output=json --output-path=report.json`")
    error = lhr.get("runtimeError")
    if isinstance(error, dict) and error.get("code") not in (None, "NO_ERROR"):
        raise _fail(shown, f"Lighthouse could not test the page: {error.get('message') or error.get('code')}")
    audits = lhr["audits"]

    def timing(audit_id: str) -> Optional[float]:
        audit = audits.get(audit_id)
        value = _number(audit.get("numericValue")) if isinstance(audit, dict) else None
        return value if value is not None and value >= 0 else None

    lcp = timing("largest-contentful-paint")
    if lcp is None:
        audit = audits.get("largest-contentful-paint")
        why = f" ({audit['errorMessage']})" if isinstance(audit, dict) and audit.get("errorMessage") else ""
        raise _fail(shown, f'no `audits["largest-contentful-paint"].numericValue` in the report{why}; '
                    "run Lighthouse with the performance category")
    performance = lhr["categories"].get("performance")
    score = _number(performance.get("score")) if isinstance(performance, dict) else None
    if score is None or not 0 <= score <= 1:
        raise _fail(shown, "no `categories.performance.score` in the report; run Lighthouse with the "
                    "performance category (a score of null means the run failed)")
    version = lhr.get("lighthouseVersion")
    return LighthouseSummary(str(version) if isinstance(version, str) else "(unknown version)", score, lcp,
                             timing("interactive"), timing("speed-index"), path.name)


@dataclass(frozen=True)
class K6Summary:
    p95_ms: float
    requests: Optional[int]
    failed_rate: Optional[float]
    checks_passed: Optional[int]
    checks_failed: Optional[int]
    thresholds: tuple[tuple[str, str, bool], ...]  # (metric, expression, passed)
    duration_ms: Optional[float]
    vus_max: Optional[int]
    name: str

    @property
    def api_note(self) -> str:
        over = f" over {_plural(self.requests, 'request')}" if self.requests is not None else ""
        return f"k6: http_req_duration p(95) {self.p95_ms:.1f} ms{over} ({self.name})"

    @property
    def load_test_note(self) -> str:
        text = _plural(self.requests, "request") if self.requests is not None else "load test run"
        if self.duration_ms is not None:
            text += f" in {self.duration_ms / 1000:.0f} s"
        if self.vus_max is not None:
            text += f", up to {_plural(self.vus_max, 'VU')}"
        if self.failed_rate is not None:
            text += f", {_percent(self.failed_rate)} of requests failed"
        if self.checks_passed is not None and self.checks_failed is not None:
            text += f", checks {self.checks_passed:,}/{self.checks_passed + self.checks_failed:,} passed"
        return f"k6: {text} ({self.name})"

    @property
    def acceptable(self) -> bool:
        if self.thresholds:
            return all(ok for _, _, ok in self.thresholds)
        return self.failed_rate is not None and self.failed_rate <= FAILURE_RATE_LIMIT

    @property
    def under_load_note(self) -> str:
        rate = f"{_percent(self.failed_rate)} of requests failed" if self.failed_rate is not None else ""
        if self.thresholds:
            crossed = [f"{metric} {expr}" for metric, expr, ok in self.thresholds if not ok]
            if crossed:
                text = f"thresholds crossed: {'; '.join(crossed)}"
            else:
                text = f"all {_plural(len(self.thresholds), 'threshold')} passed"
            text += f"; {rate}" if rate else ""
        else:
            text = f"no thresholds in the report; {rate} (limit {_percent(FAILURE_RATE_LIMIT)})"
        return f"k6: {text} ({self.name})"


def _percent(rate: float) -> str:
    return f"{rate * 100:.2f}%"


def parse_k6(path: Path, shown: str) -> K6Summary:
    """p95 of http_req_duration, the failure rate, checks and thresholds of a k6 summary: the file of
    `k6 run --summary-export=summary.json`, or `JSON.stringify(data)` from a `handleSummary()`."""
    data = _read_json(path, shown)
    metrics = data.get("metrics") if isinstance(data, dict) else None
    if not isinstance(metrics, dict):
        raise _fail(shown, "not a k6 summary (no `metrics`); write one with "
                    "`k6 run --summary-export=summary.json script.js`")

    def values(name: str) -> Optional[dict]:
        metric = metrics.get(name)
        if not isinstance(metric, dict):
            return None
        inner = metric.get("values")  # handleSummary() data; --summary-export has the values at the top
        return inner if isinstance(inner, dict) else metric

    duration = values("http_req_duration")
    if duration is None:
        raise _fail(shown, "no `http_req_duration` metric in the summary: the test made no HTTP requests")
    p95 = _number(duration.get("p(95)"))
    if p95 is None:
        raise _fail(shown, '`metrics.http_req_duration["p(95)"]` is missing; keep p(95) in '
                    "--summary-trend-stats (it is there by default)")
    failed = values("http_req_failed")
    failed_rate = None
    if failed is not None:
        failed_rate = _number(failed.get("rate", failed.get("value")))
    reqs = values("http_reqs")
    requests = _number(reqs.get("count")) if reqs else None
    checks = values("checks")
    passes = _number(checks.get("passes")) if checks else None
    fails = _number(checks.get("fails")) if checks else None

    thresholds: list[tuple[str, str, bool]] = []
    for name, metric in metrics.items():
        if not isinstance(metric, dict) or not isinstance(metric.get("thresholds"), dict):
            continue
        for expr, outcome in metric["thresholds"].items():
            if isinstance(outcome, dict) and isinstance(outcome.get("ok"), bool):
                thresholds.append((name, expr, outcome["ok"]))  # handleSummary(): {"ok": true} when passed
            elif isinstance(outcome, bool):
                thresholds.append((name, expr, not outcome))  # --summary-export: true means *crossed*
            else:
                raise _fail(shown, f"metrics.{name}.thresholds[{expr!r}]: expected true/false or {{\"ok\": ...}}")
    if not thresholds and failed_rate is None:
        raise _fail(shown, "the summary has no thresholds and no `http_req_failed` rate (k6 v0.31 or later "
                    "records it), so performance under load cannot be judged; add thresholds to the script, "
                    "or skip that item with --item under-load=-")
    state = data.get("state") if isinstance(data.get("state"), dict) else {}
    vus = values("vus_max")
    vus_max = _number(vus.get("max", vus.get("value"))) if vus else None
    return K6Summary(p95, int(requests) if requests is not None else None, failed_rate,
                     int(passes) if passes is not None else None, int(fails) if fails is not None else None,
                     tuple(thresholds), _number(state.get("testRunDurationMs")),
                     int(vus_max) if vus_max is not None else None, path.name)


# --- slots: which item each report sets ------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """One thing a report can set: its `--item` name, the report it comes from, its default item id."""

    name: str
    report: str  # junit, lighthouse, k6
    default: Optional[str]  # an id of checklists/production.md; None: --item is required
    criterion: bool  # takes a time criterion (a measured value) rather than a status


SLOTS = (
    Slot("junit", "junit", None, False),
    Slot("page-load", "lighthouse", "success-criteria/performance/page-load-3-seconds", True),
    Slot("lighthouse-score", "lighthouse", "frontend/performance/lighthouse-score-checked", False),
    Slot("api-response", "k6", "success-criteria/performance/api-response-500ms", True),
    Slot("load-test", "k6", "testing/load-testing/load-test-conducted", False),
    Slot("under-load", "k6", "testing/load-testing/performance-under-load-acceptable", False),
)
SKIP = "-"


def resolve_slots(reports: Sequence[str], item_options: Sequence[str], checklist: Checklist) -> dict[str, Optional[str]]:
    """Slot name -> item id (None: skipped) for the given reports, from defaults and `--item [SLOT=]ID`."""
    active = [s for s in SLOTS if s.report in reports]
    names = [s.name for s in active]
    chosen: dict[str, str] = {}
    for option in item_options:
        if "=" in option:
            slot, _, target = option.partition("=")
            slot, target = slot.strip(), target.strip()
            if slot not in names:
                hint = did_you_mean(slot, names) or ""
                raise UsageError(f"--item {option}: no slot `{slot}` for the reports given{hint}; "
                                 f"slots: {', '.join(names)}")
        elif "junit" in names or len(active) == 1:  # a plain id is the JUnit report's item
            slot, target = ("junit" if "junit" in names else names[0]), option.strip()
        else:
            raise UsageError(f"--item {option}: these reports set several items; name the one you mean, "
                             f"e.g. --item {names[0]}={option} (slots: {', '.join(names)})")
        if slot in chosen:
            raise UsageError(f"--item: `{slot}` is given twice")
        chosen[slot] = target
    out: dict[str, Optional[str]] = {}
    for s in active:
        target = chosen.get(s.name, s.default)
        if target is None:
            raise UsageError(f"--{s.report} needs --item ID: the item the tests cover, "
                             "e.g. --item testing/unit-tests/backend-unit-tests-passing")
        if target == SKIP:
            out[s.name] = None
            continue
        explicit = s.name in chosen
        node = checklist.nodes.get(target)
        if node is None:
            if not explicit:
                raise UsageError(f"checklist `{checklist.name}` has no item `{target}` (the default for "
                                 f"{s.name}); pass --item {s.name}=ID, or --item {s.name}={SKIP} to skip it")
            raise UsageError(f"--item {target}: unknown id in checklist `{checklist.name}`"
                             f"{_suggest_id(target, checklist)}")
        if not isinstance(node, Item):
            first = checklist.items_under(target)[0].id
            raise UsageError(f"--item {target}: a section or group; record sets single items, e.g. `{first}`")
        if s.criterion:
            if node.criterion is None:
                raise UsageError(f"--item {target}: {s.name} needs a criterion, an item with a time threshold "
                                 "such as `Page load < 3 seconds`")
            if UNIT_FACTORS[node.criterion.unit.lower()][0] != "time":
                raise UsageError(f"--item {target}: its threshold `{node.criterion.text}` is not a time; "
                                 f"{s.name} records a time")
        elif node.criterion is not None:
            raise UsageError(f"--item {target}: a criterion (`{node.criterion.text}`) takes a measured value, "
                             f"not a status; choose an item without a threshold for {s.name}")
        out[s.name] = target
    used: dict[str, str] = {}
    for slot, target in out.items():
        if target is not None and target in used:
            raise UsageError(f"--item: `{target}` is chosen for both {used[target]} and {slot}")
        if target is not None:
            used[target] = slot
    return out


# --- outcomes: what to write ---------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one report says about one item: a status, or a measured value (criteria)."""

    target: str
    note: str
    status: Optional[str] = None  # done or failed, for items
    value: Optional[float] = None  # in the criterion's unit, for criteria


def _in_unit(seconds: float, item: Item) -> float:
    """A time in the criterion's unit, rounded to 6 significant digits unless that would flip the verdict."""
    exact = seconds / UNIT_FACTORS[item.criterion.unit.lower()][1]
    rounded = float(f"{exact:.6g}")
    return rounded if item.criterion.met_by(rounded) == item.criterion.met_by(exact) else exact


def outcomes(targets: dict[str, Optional[str]], checklist: Checklist, junit: Optional[JUnitSummary],
             lighthouse: Optional[LighthouseSummary], k6: Optional[K6Summary]) -> list[Outcome]:
    items = {i.id: i for i in checklist.items}
    out: list[Outcome] = []

    def add(slot: str, **fields) -> None:
        target = targets.get(slot)
        if target is not None:
            if "seconds" in fields:
                fields["value"] = _in_unit(fields.pop("seconds"), items[target])
            out.append(Outcome(target, **fields))

    if junit is not None:
        add("junit", status="done" if junit.passed else "failed", note=junit.note)
    if lighthouse is not None:
        add("page-load", seconds=lighthouse.lcp_ms / 1000, note=lighthouse.page_load_note)
        add("lighthouse-score", status="done", note=lighthouse.score_note)
    if k6 is not None:
        add("api-response", seconds=k6.p95_ms / 1000, note=k6.api_note)
        add("load-test", status="done", note=k6.load_test_note)
        add("under-load", status="done" if k6.acceptable else "failed", note=k6.under_load_note)
    return out


# --- round-trip editing of one entry -----------------------------------------------------------------


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 1 << 20  # never fold a long line
    y.allow_unicode = True
    return y


def text_value(value: str):
    """A string as the strict loader will read it back: quoted when YAML 1.1 would read it as another type."""
    kind = _yaml11_type(_Scalar(value, True, ("-", 1, 1)))
    return DoubleQuotedScalarString(value) if kind else value


def _lines(text: str) -> list[str]:
    return re.findall(r"[^\n]*\n|[^\n]+\Z", text)


def _node_end(node) -> tuple[int, int]:
    """(line, col) just after a node's content: a block collection ends where its last value ends."""
    if isinstance(node, MappingNode) and not node.flow_style and node.value:
        return _node_end(node.value[-1][1])
    if isinstance(node, SequenceNode) and not node.flow_style and node.value:
        return _node_end(node.value[-1])
    return node.end_mark.line, node.end_mark.column


def _span(key_node, value_node, lines: list[str]) -> tuple[int, int]:
    """First line and end line (exclusive) of one `key: value` pair of a block mapping."""
    start = key_node.start_mark.line
    line, col = _node_end(value_node)
    last = line if col > 0 else line - 1
    last = min(max(last, start), len(lines) - 1)
    while last > start and not lines[last].strip():
        last -= 1
    return start, last + 1


class EditError(Exception):
    """The file's layout does not allow an exact edit (reported to the user as an input problem)."""


def _rewrite(lines: list[str], start: int, end: int, indent: int, change: Callable[[CommentedMap], None],
             newline: str) -> list[str]:
    """Load lines[start:end] (one `key: value` pair at `indent`) with ruamel, change it, write it back."""
    chunk = []
    for line in lines[start:end]:
        line = line.replace("\r\n", "\n")
        chunk.append(line[indent:] if line[:indent].strip() == "" else line.lstrip(" "))
    fragment = "".join(chunk)
    y = _yaml()
    nested = re.search(r"\n( +)\S", fragment)
    if nested:
        y.indent(mapping=len(nested.group(1)))
    data = y.load(fragment)
    if not isinstance(data, CommentedMap) or len(data) != 1:
        raise EditError(f"line {start + 1}: cannot read this entry on its own")
    # ruamel puts one space before a comment that no longer fits its column; keep the file's spacing
    # (only for the end-of-line comment ruamel itself found on the first line, never a `#` inside a string).
    spaced = re.search(r"\S(\s{2,})(#.*)$", chunk[0].rstrip("\n"))
    slots = data.ca.items.get(next(iter(data))) or []
    if spaced and not any(isinstance(t, CommentToken) and t.start_mark.line == 0
                              and t.start_mark.column == spaced.start(2) for t in slots):
        spaced = None
    change(data)
    out = _emit(y, data, indent, newline)
    if spaced and out:
        first = out[0].rstrip("\r\n")
        at = first.rfind(" " + spaced.group(2))  # the comment is last on the line, perhaps with text added
        if at > 0 and first[at - 1] != " ":
            out[0] = first[:at] + spaced.group(1) + first[at + 1:] + newline
    return out


def _emit(y: YAML, data: CommentedMap, indent: int, newline: str) -> list[str]:
    buffer = io.StringIO()
    y.dump(data, buffer)
    out = buffer.getvalue().rstrip("\n").split("\n")
    return [(" " * indent + line if line.strip() else "").rstrip() + newline for line in out]


def edit_entry(text: str, top: str, key: str, change: Callable[[CommentedMap, object], None],
               order: Sequence[str]) -> str:
    """`text` with `top.key` changed by `change(parent, key)`; every line outside that entry kept as is.

    `parent` is a ruamel CommentedMap holding the entry (its comments and quotes as in the file); the
    entry may be absent, in which case `change` adds it and it is inserted after the entry that precedes
    it in `order` (checklist order), or where the `top` mapping is missing, a new `top:` block is added.
    """
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = _lines(text)
    root = _yaml().compose(text)
    if not isinstance(root, MappingNode) or root.flow_style:
        raise EditError("the results file is written as one flow mapping `{...}`; write it in block style")
    pairs = {k.value: (k, v) for k, v in root.value if isinstance(k, ScalarNode)}
    if top not in pairs:
        return _insert_top(lines, root, top, key, change, newline)
    top_key, mapping = pairs[top]
    if isinstance(mapping, MappingNode) and not mapping.flow_style and mapping.value:
        entries = [(k, v) for k, v in mapping.value]
        for k, v in entries:
            if k.value == key:
                start, end = _span(k, v, lines)
                if lines[start][:k.start_mark.column].strip():
                    raise EditError(f"line {start + 1}: `{key}` does not start its line")
                new = _rewrite(lines, start, end, k.start_mark.column, lambda d: change(d, next(iter(d))), newline)
                return "".join(lines[:start] + new + lines[end:])
        indent = entries[0][0].start_mark.column
        at = _insertion_line(entries, key, order, lines)
        fresh = CommentedMap()
        change(fresh, key)
        new = _emit(_yaml(), fresh, indent, newline)
        return _join(lines, at, new, newline)
    if isinstance(mapping, ScalarNode) and mapping.value not in ("", "~", "null", "Null", "NULL"):
        raise EditError(f"line {mapping.start_mark.line + 1}: `{top}:` holds text; expected a mapping")
    # `top:` empty, `{}` or a flow mapping: rewrite the whole `top:` entry (it is what changes).
    start, end = _span(top_key, mapping, lines)

    def change_top(d: CommentedMap) -> None:
        k = next(iter(d))
        inner = d[k]
        if not isinstance(inner, CommentedMap) or not inner:
            d[k] = inner = CommentedMap()
        change(inner, key)

    new = _rewrite(lines, start, end, 0, change_top, newline)
    return "".join(lines[:start] + new + lines[end:])


def _insertion_line(entries: list, key: str, order: Sequence[str], lines: list[str]) -> int:
    """Line index to insert a new entry at: after the closest preceding entry in checklist order."""
    rank = {name: i for i, name in enumerate(order)}
    mine = rank.get(key, len(rank))
    before = [(rank[k.value], k, v) for k, v in entries if k.value in rank and rank[k.value] < mine]
    if before:
        _, k, v = max(before, key=lambda t: t[0])
        return _span(k, v, lines)[1]
    after = [(rank.get(k.value, len(rank)), k) for k, v in entries]
    if any(r > mine for r, _ in after):
        return min((k.start_mark.line for r, k in after if r > mine))
    k, v = entries[-1]
    return _span(k, v, lines)[1]


def _join(lines: list[str], at: int, new: list[str], newline: str) -> str:
    head = lines[:at]
    if head and not head[-1].endswith("\n"):
        head[-1] += newline
    return "".join(head + new + lines[at:])


def _insert_top(lines: list[str], root, top: str, key: str, change, newline: str) -> str:
    """Add a `top:` block holding the new entry, before the next top-level key in TOP_KEYS order."""
    later = set(TOP_KEYS[TOP_KEYS.index(top) + 1:])
    at = len(lines)
    for k, _ in root.value:
        if isinstance(k, ScalarNode) and k.value in later:
            at = k.start_mark.line
            break
    inner = CommentedMap()
    change(inner, key)
    data = CommentedMap([(top, inner)])
    return _join(lines, at, _emit(_yaml(), data, 0, newline), newline)


def check_only_touched(before: str, after: str, touched: dict[str, set]) -> None:
    """Guard: apart from the touched keys, both versions hold the same data in the same order."""

    def strip(doc):
        if not isinstance(doc, dict):
            return doc
        out = {}
        for k, v in doc.items():
            if k in touched and isinstance(v, dict):
                v = {ik: iv for ik, iv in v.items() if ik not in touched[k]}
                if not v:
                    continue
            elif k in touched and v in (None, "", {}):
                continue
            out[k] = v
        return list(out.items())

    if strip(plain_data(before)) != strip(plain_data(after)):
        raise EditError("the edit would change entries other than the ones recorded")


def write_results(path: Path, shown: str, original: bytes, text: str,
                  checklists: dict[str, Checklist], product: str = "") -> Release:
    """Write `text` over the results file only if the strict loader accepts it; atomic (temp file + rename)."""
    tmpdir = tempfile.mkdtemp(prefix=".readiness-", dir=path.parent)
    try:
        tmp = Path(tmpdir) / path.name
        tmp.write_bytes(text.encode("utf-8"))
        problems = Problems()
        release = load_release(tmp, shown, checklists, problems, product=product)
        if problems.errors or release is None:
            problems.error(Location(shown), "the changed file would not pass the strict loader "
                           "(see the other messages); it was left as it was")
            raise InputError(problems.errors)
        shutil.copymode(path, tmp)
        if path.read_bytes() != original:
            raise InputError([Problem(Location(shown), "the file changed while readiness was editing it; "
                                      "run the command again")])
        os.replace(tmp, path)
        return release
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


# --- the command -----------------------------------------------------------------------------------


@dataclass
class Change:
    """One entry record will change: the item, how it reads before and after, and what to write."""

    target: str
    before: str
    after: str
    outcome: Outcome


@dataclass
class RecordResult:
    path: str
    changes: list = field(default_factory=list)  # Change
    unchanged: list = field(default_factory=list)  # (target, state)


def _fmt_number(value: float) -> str:
    return f"{value:.6g}"


def _state(item: Item, status: str, own: Optional[Entry]) -> str:
    """How an item reads now: `pending`, `done`, or `failed, value 3.2 seconds` for a measured criterion."""
    if item.criterion is not None and own is not None and own.value is not None and status in ("done", "failed"):
        unit = item.criterion.unit
        shown = own.value_text if own.value_text and any(c.isalpha() or c == "%" for c in own.value_text) \
            else f"{_fmt_number(own.value)}{'' if unit == '%' else ' '}{unit}"
        return f"{status}, value {shown}"
    return status


def _hand_set(item: Item, entries: dict[str, Entry]) -> Optional[tuple[Entry, str]]:
    """The entry that set this item's status by hand, and that status; None when it is pending."""
    own = entries.get(item.id)
    if own is not None:
        if own.value is not None:
            return own, f"value {own.value_text}"
        if own.status not in (None, "pending"):
            return own, own.status
        if own.status == "pending":
            return None
    for ancestor in reversed(item.ancestors):
        entry = entries.get(ancestor)
        if entry is None or entry.status is None:
            continue
        if item.criterion is not None and entry.status not in ("n/a", "waived"):
            continue  # a section-wide done or failed does not cover criteria
        return (entry, entry.status) if entry.status != "pending" else None
    return None


ENTRY_DROP = ("status", "value", "by", "reason", "approved_by", "expires", "evidence")


def record_results(root: Path, release_name: str, reports: dict[str, Path], item_options: Sequence[str],
                   evidence: Optional[str], force: bool) -> RecordResult:
    """Apply the reports to results/RELEASE.yaml; raises UsageError/InputError and writes nothing on any problem."""
    from generator.merge import default_today, evaluate
    from generator.project import load_project

    if not reports:
        raise UsageError("give at least one report: --junit FILE, --lighthouse FILE or --k6 FILE")
    if evidence is not None and not re.match(r"https?://[^\s/]+\S*\Z", evidence.strip(), re.IGNORECASE):
        raise UsageError(f"--evidence {evidence}: must be an http:// or https:// link")
    project = load_project(root)
    release = find_release(project, release_name)
    checklist = project.checklists[release.checklist]
    targets = resolve_slots(list(reports), item_options, checklist)

    problems = Problems()
    parsed: dict[str, object] = {}
    for kind, reader in (("junit", parse_junit), ("lighthouse", parse_lighthouse), ("k6", parse_k6)):
        if kind in reports:
            try:
                parsed[kind] = reader(reports[kind], str(reports[kind]))
            except InputError as exc:
                problems.extend(exc.problems)
    problems.raise_if_errors()
    wanted = outcomes(targets, checklist, parsed.get("junit"), parsed.get("lighthouse"), parsed.get("k6"))

    path = root / "results" / f"{release.name}.yaml"
    shown = release.path
    result = RecordResult(shown)
    evaluation = evaluate(release, checklist)
    by_id = {r.item.id: r for r in evaluation.results}
    entries = {e.target: e for e in release.entries}
    refused = Problems()
    today = default_today()
    for o in wanted:
        r = by_id[o.target]
        item = r.item
        before = _state(item, r.status, r.own)
        if item.criterion is not None:
            status = "done" if item.criterion.met_by(o.value) else "failed"
            after = f"{status}, value {_fmt_number(o.value)}{'' if item.criterion.unit == '%' else ' '}" \
                    f"{item.criterion.unit}"
        else:
            status, after = o.status, o.status
        own = entries.get(o.target)
        if own is not None and own.note == o.note and (
                (item.criterion is not None and own.value is not None and math.isclose(own.value, o.value))
                or (item.criterion is None and own.status == o.status)) and (evidence is None or own.evidence == evidence):
            result.unchanged.append((o.target, before))
            continue
        hand = _hand_set(item, entries)
        if hand is not None and not force:
            entry, set_to = hand
            same_status_via_group = entry is not own and item.criterion is None and set_to == status
            if not same_status_via_group:
                where = "" if entry is own else f" by `{entry.target}`"
                refused.error(entry.location, f"items.{o.target}: already {set_to}{where} (set by hand or by an "
                              f"earlier record); the report says {after}; pass --force to replace it")
                continue
        result.changes.append(Change(o.target, before, after, o))
    refused.raise_if_errors()
    if not result.changes:
        return result

    original = path.read_bytes()
    text = original.decode("utf-8")
    order = list(checklist.nodes)
    for change in result.changes:
        o = change.outcome
        fields: list[tuple[str, object]] = []
        if o.value is not None:
            fields.append(("value", o.value))
        else:
            fields.append(("status", o.status))
        fields.append(("date", today))
        if evidence is not None:
            fields.append(("evidence", evidence.strip()))
        fields.append(("note", text_value(o.note)))

        def apply(parent: CommentedMap, key, fields=fields) -> None:
            current = parent.get(key) if key in parent else None
            if isinstance(current, CommentedMap):
                for name in ENTRY_DROP:
                    if name in current and name not in dict(fields):
                        del current[name]
                for name, value in fields:
                    current[name] = value
            else:
                entry = CommentedMap(fields)
                entry.fa.set_flow_style()
                parent[key] = entry

        try:
            text = edit_entry(text, "items", o.target, apply, order)
        except EditError as exc:
            raise InputError([Problem(Location(shown), f"cannot record into this file exactly: {exc}")])
    try:
        check_only_touched(original.decode("utf-8"), text, {"items": {c.target for c in result.changes}})
    except EditError as exc:
        raise InputError([Problem(Location(shown), f"cannot record into this file exactly: {exc}")])
    write_results(path, shown, original, text, project.checklists, release.product)
    return result


def find_release(project, name: str) -> Release:
    """The release of results/NAME.yaml, or a usage error naming the closest release."""
    releases = {r.name: r for r in project.releases}
    if name not in releases:
        hint = did_you_mean(name, releases) or f"; releases: {', '.join(sorted(releases)) or '(none)'}"
        raise UsageError(f"no results file for release `{name}`{hint} (create one with `readiness new {name}`)")
    return releases[name]


def change_lines(result: RecordResult) -> list[str]:
    """One line per changed entry, e.g. `results/X.yaml: items.<id>: pending -> done (JUnit: ...)`."""
    return [f"{result.path}: items.{c.target}: {c.before} -> {c.after} ({c.outcome.note})" for c in result.changes]
