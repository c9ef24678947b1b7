"""JUnit XML from every common runner: test cases at any depth, each counted once; totals never make a run
pass; hostile XML refused with one `path:line:col` message. Reports under fixtures/reports/junit/ were
written by the real tools (see its README)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import record as record_module
from generator.cli_evidence import record
from generator.errors import InputError
from generator.project import load_project
from generator.report_common import MAX_REPORT_BYTES, Finding, ReportFormat, Slot, fail
from generator.report_junit import MAX_DEPTH, parse_junit
from generator.reports import REPORTS

from conftest import FIXTURES, ROOT

JUNIT = FIXTURES / "reports" / "junit"
UNIT = "testing/unit-tests/backend-unit-tests-passing"
RESULTS = "results/2.5.0.yaml"


def counts(path: Path) -> tuple:
    s = parse_junit(path, path.name)
    return s.tests, s.failures, s.errors, s.skipped, s.outside, s.passed


def refused(tmp_path: Path, text, name: str = "x.xml") -> str:
    """The one problem parse_junit gives for a report holding `text` (str or bytes)."""
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    with pytest.raises(InputError) as exc:
        parse_junit(path, name)
    assert len(exc.value.problems) == 1, exc.value.problems
    return str(exc.value.problems[0])


# --- real reports --------------------------------------------------------------------------------


@pytest.mark.parametrize("name, expected", [
    # tests, failures, errors, skipped, outside, passed
    ("pytest.xml", (9, 1, 1, 2, 0, False)),
    ("node-top-level.xml", (4, 1, 0, 2, 0, False)),
    ("node-nested.xml", (7, 2, 0, 0, 1, False)),
    ("node-nested-pass.xml", (6, 0, 0, 0, 0, True)),
    ("node-subtest-failure.xml", (2, 0, 0, 0, 1, False)),
    ("jest-junit.xml", (8, 1, 0, 1, 0, False)),
    ("jest-junit-suite-error.xml", (4, 1, 1, 0, 0, False)),
    ("surefire/TEST-com.lumen.billing.InvoiceServiceTest.xml", (5, 1, 0, 1, 0, False)),
    ("surefire/TEST-com.lumen.billing.BankSyncTest.xml", (3, 0, 1, 0, 0, False)),
    ("gotestsum.xml", (8, 3, 0, 1, 0, False)),
    ("gotestsum-pass.xml", (4, 0, 0, 0, 0, True)),
])
def test_each_runners_report_is_counted_from_its_test_cases(name, expected):
    assert counts(JUNIT / name) == expected


def test_every_fixture_is_covered():
    """A report added to the fixtures without an expected count above would test nothing."""
    listed = {p.relative_to(JUNIT).as_posix() for p in JUNIT.rglob("*.xml")}
    source = Path(__file__).read_text(encoding="utf-8")
    assert all(f'("{name}", (' in source for name in listed), listed


def test_a_surefire_directory_is_every_test_class_summed():
    summary = parse_junit(JUNIT / "surefire", "target/surefire-reports")
    assert (summary.tests, summary.failures, summary.errors, summary.skipped) == (8, 1, 1, 1)
    assert summary.note == "JUnit: 8 tests, 1 failure, 1 error, 1 skipped (2 reports in surefire/)"


def test_the_note_says_what_the_test_cases_do_not_show():
    summary = parse_junit(JUNIT / "node-subtest-failure.xml", "r.xml")
    assert summary.note == ("JUnit: 2 tests, 0 failures, 0 errors, 0 skipped; the report counts 1 more failure or "
                            "error than its test cases show (node-subtest-failure.xml)")


# --- through `readiness record` ------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path) -> Path:
    dest = tmp_path / "repo"
    (dest / "checklists").mkdir(parents=True)
    (dest / "results").mkdir()
    shutil.copy(ROOT / "checklists" / "production.md", dest / "checklists" / "production.md")
    (dest / RESULTS).write_text(f'release: "2.5.0"\nchecklist: production\nitems:\n  {UNIT}: pending\n',
                                encoding="utf-8")
    return dest


def run(repo: Path, *args: str):
    return CliRunner().invoke(record, ["2.5.0", *args, "--root", str(repo)])


def status(repo: Path) -> str:
    release = next(r for r in load_project(repo).releases if r.name == "2.5.0")
    return {e.target: e for e in release.entries}[UNIT].status


@pytest.mark.parametrize("name, outcome", [
    ("node-top-level.xml", "failed"),  # was refused: "the report holds no tests"
    ("node-subtest-failure.xml", "failed"),  # was recorded as done
    ("node-nested.xml", "failed"),
    ("node-nested-pass.xml", "done"),
    ("jest-junit-suite-error.xml", "failed"),
    ("gotestsum.xml", "failed"),
    ("gotestsum-pass.xml", "done"),
    ("surefire", "failed"),
])
def test_record_sets_what_the_report_shows(repo, name, outcome):
    result = run(repo, "--junit", str(JUNIT / name), "--item", UNIT)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{RESULTS}: items.{UNIT}: pending -> {outcome} (JUnit: ")
    assert status(repo) == outcome


def test_a_hostile_report_through_record_is_one_line_and_nothing_written(repo, tmp_path):
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?>\n<!DOCTYPE t [\n <!ENTITY a "aaaaaaaaaa">\n <!ENTITY b "&a;&a;&a;">\n]>\n'
                    "<testsuites>&b;</testsuites>\n", encoding="utf-8")
    before = (repo / RESULTS).read_bytes()
    result = run(repo, "--junit", str(bomb), "--item", UNIT)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"{bomb}:2:13: a DOCTYPE with declarations is not allowed in a report "
                                          "(entities can expand without limit)", "1 error; nothing was written."]
    assert "Traceback" not in result.output
    assert (repo / RESULTS).read_bytes() == before


# --- counting rules ------------------------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "r.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, expected", [
    ('<testsuites><testcase name="a"/><testcase name="b"><failure/></testcase></testsuites>', (2, 1, 0, 0, 0, False)),
    ('<testsuites><testsuite><testcase name="a"/><testsuite><testcase name="b"><error/></testcase></testsuite>'
     '<testcase name="c"><skipped/></testcase></testsuite></testsuites>', (3, 0, 1, 1, 0, False)),
    # error outweighs failure outweighs skipped, in one case
    ('<testsuite><testcase><skipped/><failure/><error/></testcase><testcase><skipped/><failure/></testcase>'
     '</testsuite>', (2, 1, 1, 0, 0, False)),
    # Surefire's reruns: flaky alone passes
    ('<testsuite><testcase><flakyFailure/><flakyError/></testcase></testsuite>', (1, 0, 0, 0, 0, True)),
    # a result element that is not the test case's own does not count
    ('<testsuite><testcase><system-out><failure/></system-out></testcase></testsuite>', (1, 0, 0, 0, 0, True)),
    # totals claiming fewer tests or failures than the cases hold are outweighed by the cases
    ('<testsuites tests="1" failures="0"><testsuite tests="1" failures="0" errors="0"><testcase/><testcase>'
     '<failure/></testcase></testsuite></testsuites>', (2, 1, 0, 0, 0, False)),
    # totals claiming more tests than the cases are not believed: only cases count
    ('<testsuite tests="40" failures="0"><testcase/></testsuite>', (1, 0, 0, 0, 0, True)),
    # a suite claiming a failure its cases do not show fails the run, counted once at any nesting
    ('<testsuites failures="1"><testsuite failures="1"><testsuite failures="1"><testcase/></testsuite>'
     '</testsuite></testsuites>', (1, 0, 0, 0, 1, False)),
    ('<testsuites errors="2"><testsuite errors="1"><testcase><error/></testcase></testsuite></testsuites>',
     (1, 0, 1, 0, 1, False)),
    # a failure element directly in a suite: a suite-level failure
    ('<testsuite><testcase/><error message="setUpClass failed"/></testsuite>', (1, 0, 0, 0, 1, False)),
    # gotestsum's error count for a build failure, with no test case at all
    ('<testsuites tests="0" failures="0" errors="1"></testsuites>', (0, 0, 0, 0, 1, False)),
    # Node's closing totals: only directly in <testsuites>, only ever failing a run
    ('<testsuites><testcase/><!-- fail 2 --><!-- cancelled 1 --></testsuites>', (1, 0, 0, 0, 3, False)),
    ('<testsuites><testcase><failure/></testcase><!-- fail 0 --></testsuites>', (1, 1, 0, 0, 0, False)),
    ('<testsuites><testsuite><testcase/><!-- fail 2 --></testsuite></testsuites>', (1, 0, 0, 0, 0, True)),
    ('<testsuites><testcase/><!-- failed 2 --><!-- tests 9 --></testsuites>', (1, 0, 0, 0, 0, True)),
    # older writers spell it `skip`; a case inside a case is its own case
    ('<testsuite skip="1"><testcase><skipped/><testcase><failure/></testcase></testcase></testsuite>',
     (2, 1, 0, 1, 0, False)),
])
def test_counting_rules(tmp_path, text, expected):
    assert counts(write(tmp_path, text)) == expected


def test_a_report_without_tests_is_refused(tmp_path):
    assert refused(tmp_path, '<testsuites tests="0"><testsuite name="empty"/></testsuites>') == \
        "x.xml:1:1: the report holds no tests; a run without tests cannot show that they pass"


@pytest.mark.parametrize("attribute, message", [
    ('tests="-1"', '<testsuite tests="-1">: expected a whole number'),
    ('failures="٣"', '<testsuite failures="٣">: expected a whole number'),  # a digit, but not 0-9
    ('errors="1e3"', '<testsuite errors="1e3">: expected a whole number'),
    ('skipped="1000000000001"', '<testsuite skipped="1000000000001">: out of range; in a real report it is at most '
                                "1,000,000,000,000"),
])
def test_totals_no_runner_writes_are_refused_at_their_element(tmp_path, attribute, message):
    assert refused(tmp_path, f'<testsuites>\n  <testsuite {attribute}><testcase/></testsuite>\n</testsuites>') == \
        f"x.xml:2:3: {message}"


def test_every_bad_file_of_a_directory_is_named(tmp_path):
    reports = tmp_path / "surefire-reports"
    shutil.copytree(JUNIT / "surefire", reports)
    (reports / "TEST-com.lumen.A.xml").write_text("<testsuite>\n<testcase>\n</testsuite>\n", encoding="utf-8")
    (reports / "TEST-com.lumen.B.xml").write_text('<testsuite tests="x"><testcase/></testsuite>', encoding="utf-8")
    (reports / "TEST-com.lumen.Empty.xml").write_text('<testsuite tests="0"/>', encoding="utf-8")
    (reports / "failsafe-summary.xml").write_text("<failsafe-summary/>", encoding="utf-8")  # not a TEST-*.xml
    with pytest.raises(InputError) as exc:
        parse_junit(reports, "target/surefire-reports")
    assert [str(p) for p in exc.value.problems] == [
        "target/surefire-reports/TEST-com.lumen.A.xml:3:3: invalid XML: mismatched tag",
        'target/surefire-reports/TEST-com.lumen.B.xml:1:1: <testsuite tests="x">: expected a whole number']
    (reports / "TEST-com.lumen.A.xml").unlink()
    (reports / "TEST-com.lumen.B.xml").unlink()
    assert parse_junit(reports, "r").note == "JUnit: 8 tests, 1 failure, 1 error, 1 skipped (3 reports in surefire-reports/)"


def test_a_directory_without_test_reports_is_refused(tmp_path):
    (tmp_path / "results.xml").write_text("<testsuite><testcase/></testsuite>", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        parse_junit(tmp_path, "build")
    assert str(exc.value.problems[0]).startswith("build:1:1: the directory holds no TEST-*.xml reports")


# --- hostile XML -----------------------------------------------------------------------------------

LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
          + "".join(f' <!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">\n' for i in range(1, 10))
          + ']>\n<testsuites><testsuite><testcase name="&lol9;"/></testsuite></testsuites>\n')


@pytest.mark.parametrize("text, message", [
    (LAUGHS, "x.xml:2:16: a DOCTYPE with declarations is not allowed in a report (entities can expand without limit)"),
    ('<?xml version="1.0"?>\n<!DOCTYPE testsuites SYSTEM "file:///etc/passwd">\n<testsuites/>',
     "x.xml:2:1: a DOCTYPE naming an external DTD is not allowed in a report (readiness reads no other file)"),
    ('<!DOCTYPE testsuites PUBLIC "-//x//y" "http://example.com/x.dtd"><testsuites/>',
     "x.xml:1:1: a DOCTYPE naming an external DTD is not allowed in a report (readiness reads no other file)"),
    ('<!DOCTYPE t [<!ENTITY % p SYSTEM "http://example.com/p.dtd"> %p;]><testsuites/>',
     "x.xml:1:13: a DOCTYPE with declarations is not allowed in a report (entities can expand without limit)"),
    ("<testsuites><testcase name='&xxe;'/></testsuites>", "x.xml:1:13: invalid XML: undefined entity"),
    (b'<testsuites>\n<testcase name="caf\xe9"/></testsuites>', "x.xml:2:20: invalid XML: not well-formed (invalid token)"),
    ('<testsuites><testcase/></testsuites><testsuites/>', "x.xml:1:37: invalid XML: junk after document element"),
    ("", "x.xml:1:1: invalid XML: no element found"),
    ('<?xml-stylesheet href="http://example.com/x.xsl"?><html/>',
     "x.xml:1:51: not a JUnit XML report: the root element is <html>, expected <testsuites> or <testsuite>"),
    ('<?xml version="1.0" encoding="U-TF-8"?>\n<testsuites/>',
     "x.xml:1:21: the XML declaration names an encoding the XML reader cannot use; write the report as UTF-8"),
    ('<?xml version="1.0" encoding="shift_jis"?>\n<testsuites/>',
     "x.xml:1:21: the XML declaration names an encoding the XML reader cannot use; write the report as UTF-8"),
], ids=["billion-laughs", "external-dtd", "public-dtd", "parameter-entity", "undefined-entity", "latin-1-byte",
        "two-roots", "empty", "not-junit", "unknown-encoding", "multi-byte-encoding"])
def test_hostile_xml_is_one_message(tmp_path, text, message):
    started = time.monotonic()
    assert refused(tmp_path, text) == message
    assert time.monotonic() - started < 2


def test_deep_nesting_is_refused_where_it_passes_the_limit(tmp_path):
    depth = 100_000
    text = "<testsuites>\n" + "<testsuite>" * depth + "<testcase/>" + "</testsuite>" * depth + "</testsuites>"
    col = len("<testsuite>") * (MAX_DEPTH - 1) + 1
    assert refused(tmp_path, text) == (f"x.xml:2:{col}: elements are nested more than {MAX_DEPTH} deep; "
                                       "no test runner writes that")


def test_nesting_up_to_the_limit_is_counted(tmp_path):
    inner = MAX_DEPTH - 3  # <testsuites>, <testcase> and <failure> around the suites
    text = "<testsuites>" + "<testsuite>" * inner + "<testcase><failure/></testcase>" + "</testsuite>" * inner \
        + "</testsuites>"
    assert counts(write(tmp_path, text)) == (1, 1, 0, 0, 0, False)


def test_an_oversized_report_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "x.xml"
    with open(path, "wb") as out:
        out.truncate(MAX_REPORT_BYTES + 1)  # sparse: no disk used, nothing read
    with pytest.raises(InputError) as exc:
        parse_junit(path, "x.xml")
    assert [str(p) for p in exc.value.problems] == [f"x.xml:1:1: file is {MAX_REPORT_BYTES + 1:,} bytes, over the "
                                                    f"{MAX_REPORT_BYTES // 2**20} MB limit ({MAX_REPORT_BYTES:,} bytes); "
                                                    "reports are the output of one run"]


def test_a_directory_over_the_size_limit_is_refused(tmp_path):
    for name in ("TEST-a.xml", "TEST-b.xml"):
        with open(tmp_path / name, "wb") as out:
            out.truncate(MAX_REPORT_BYTES // 2 + 1)
    with pytest.raises(InputError) as exc:
        parse_junit(tmp_path, "reports")
    assert str(exc.value.problems[0]).startswith(f"reports:1:1: the TEST-*.xml reports are {MAX_REPORT_BYTES + 2:,} "
                                                 "bytes together")


# --- properties ------------------------------------------------------------------------------------

RESULTS_OF_A_CASE = st.sampled_from(["", "<failure/>", "<error/>", "<skipped/>", "<skipped/><failure/>",
                                     "<flakyFailure/>", "<system-out>ok</system-out>"])


def trees(depth: int = 0):
    """A suite's contents: test cases and nested suites, in any order and mix."""
    case = RESULTS_OF_A_CASE.map(lambda inner: ("case", inner))
    if depth >= 4:
        return st.lists(case, max_size=4)
    return st.lists(st.one_of(case, st.deferred(lambda: trees(depth + 1)).map(lambda kids: ("suite", kids))),
                    max_size=4)


def expected_of(nodes) -> list[str]:
    """The verdict of every test case in the tree: error, failure, skipped or passed."""
    out = []
    for kind, value in nodes:
        if kind == "suite":
            out += expected_of(value)
        else:
            out.append("error" if "<error/>" in value else "failure" if "<failure/>" in value
                       else "skipped" if "<skipped/>" in value else "passed")
    return out


def xml_of(nodes, honest: bool) -> str:
    """The tree as JUnit XML; suites carry totals (true ones, or too low when not `honest`)."""
    parts = []
    for kind, value in nodes:
        if kind == "suite":
            verdicts = expected_of(value)
            bad = 0 if not honest else verdicts.count("failure")
            parts.append(f'<testsuite tests="{len(verdicts) if honest else 0}" failures="{bad}">'
                         f"{xml_of(value, honest)}</testsuite>")
        else:
            parts.append(f"<testcase>{value}</testcase>")
    return "".join(parts)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(nodes=trees(), honest=st.booleans())
def test_every_test_case_is_counted_once_at_any_depth(tmp_path, nodes, honest):
    verdicts = expected_of(nodes)
    path = write(tmp_path, f"<testsuites>{xml_of(nodes, honest)}</testsuites>")
    if not verdicts:
        with pytest.raises(InputError):
            parse_junit(path, "r.xml")
        return
    summary = parse_junit(path, "r.xml")
    assert (summary.tests, summary.failures, summary.errors, summary.skipped) == (
        len(verdicts), verdicts.count("failure"), verdicts.count("error"), verdicts.count("skipped"))
    assert summary.outside == 0  # totals that are true, or too low, add nothing
    assert summary.passed == (not {"failure", "error"} & set(verdicts))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(nodes=trees(), claimed=st.integers(min_value=1, max_value=5))
def test_a_total_claiming_more_failures_always_fails_the_run(tmp_path, nodes, claimed):
    verdicts = expected_of(nodes)
    bad = verdicts.count("failure") + verdicts.count("error")
    path = write(tmp_path, f'<testsuites failures="{bad + claimed}">{xml_of(nodes, True)}</testsuites>')
    summary = parse_junit(path, "r.xml")
    assert summary.outside == claimed and not summary.passed


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_bytes_give_a_summary_or_input_errors(tmp_path, data):
    """Cut and spliced real reports: never an exception other than InputError, never a bad count."""
    source = data.draw(st.sampled_from(sorted(JUNIT.rglob("*.xml")))).read_bytes()
    start = data.draw(st.integers(0, len(source)))
    end = data.draw(st.integers(start, len(source)))
    text = source[:start] + data.draw(st.binary(max_size=40)) + source[end:]
    path = tmp_path / "r.xml"
    path.write_bytes(text)
    try:
        summary = parse_junit(path, "r.xml")
    except InputError as exc:
        assert exc.problems and all(str(p).startswith("r.xml:") for p in exc.problems)
        return
    assert summary.tests >= summary.failures + summary.errors + summary.skipped >= 0
    assert summary.passed == (summary.failures + summary.errors + summary.outside == 0)


# --- the format list -------------------------------------------------------------------------------


def test_the_command_has_one_option_per_listed_format():
    options = {opt for param in record.params for opt in param.opts if opt.startswith("--")}
    assert {f"--{fmt.name}" for fmt in REPORTS} <= options
    slots = [slot.name for fmt in REPORTS for slot in fmt.slots]
    assert len(slots) == len(set(slots))


def test_a_new_format_is_one_entry_in_the_list(repo, tmp_path, monkeypatch):
    """record iterates REPORTS: a format added there is parsed, its slot resolved and its finding written."""

    def parse(path: Path, shown: str) -> str:
        text = path.read_text(encoding="utf-8").strip()
        if text not in ("green", "red"):
            raise fail(shown, "expected green or red")
        return text

    smoke = ReportFormat("smoke", "A smoke-test verdict file.", (Slot("smoke", UNIT, False),), parse,
                         lambda verdict: [Finding("smoke", f"smoke: {verdict}", status="done" if verdict == "green"
                                                  else "failed")])
    monkeypatch.setattr(record_module, "REPORTS", (*REPORTS, smoke))
    (tmp_path / "smoke.txt").write_text("red\n", encoding="utf-8")
    result = record_module.record_results(repo, "2.5.0", {"smoke": tmp_path / "smoke.txt"}, [], None, False)
    assert record_module.change_lines(result) == [f"{RESULTS}: items.{UNIT}: pending -> failed (smoke: red)"]
    assert status(repo) == "failed"
    (tmp_path / "smoke.txt").write_text("amber\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        record_module.record_results(repo, "2.5.0", {"smoke": tmp_path / "smoke.txt"}, [], None, True)
    assert str(exc.value.problems[0]) == f"{tmp_path / 'smoke.txt'}:1:1: expected green or red"
    assert status(repo) == "failed"
