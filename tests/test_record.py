"""`readiness record`: statuses and criteria values from real-shaped JUnit, Lighthouse and k6 reports,
written so that every line the command did not touch stays byte for byte."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli_evidence import record
from generator.errors import InputError, Problems
from generator.project import load_project
from generator.report_junit import parse_junit
from generator.report_k6 import parse_k6
from generator.report_lighthouse import parse_lighthouse
from generator.results import load_release

from conftest import FIXTURES, ROOT

REPORTS = FIXTURES / "reports"
RESULTS = "results/2.5.0.yaml"
UNIT = "testing/unit-tests/backend-unit-tests-passing"
FRONTEND_UNIT = "testing/unit-tests/frontend-unit-tests-passing"
PAGE_LOAD = "success-criteria/performance/page-load-3-seconds"
API = "success-criteria/performance/api-response-500ms"
SCORE = "frontend/performance/lighthouse-score-checked"
LOAD_TEST = "testing/load-testing/load-test-conducted"
UNDER_LOAD = "testing/load-testing/performance-under-load-acceptable"

# A hand-kept results file: comments, quotes, odd spacing, block and flow entries, a group entry.
HAND_WRITTEN = """\
# Release 2.5.0 of Lumen: CI records test results, people record the rest.
release: "2.5.0"
checklist: 'production'
items:
  security: done                      # whole section, checked on 2026-11-19
  # Testing
  testing/unit-tests/backend-unit-tests-passing: pending   # CI fills this in
  testing/unit-tests/frontend-unit-tests-passing:
    status: done
    by: "Mara Lindqvist"
    date: 2026-11-20
    note: Vitest, run by hand.
  testing/load-testing: pending
  # Frontend
  frontend/performance/lighthouse-score-checked: {status: pending, by: Elena Ruiz}   # owner
  success-criteria/performance/page-load-3-seconds: pending
  success-criteria/performance/api-response-500ms: {value: "450 ms"}  # measured by hand
signoffs:
  technical-lead:  # Technical Lead
  devops-lead: {name: Bob Stone,  date: 2026-11-21}
# launch:
#   date: 2026-12-08
"""


@pytest.fixture
def root(tmp_path) -> Path:
    """A repository with the production checklist and the hand-kept results file above."""
    dest = tmp_path / "repo"
    (dest / "checklists").mkdir(parents=True)
    (dest / "results").mkdir()
    shutil.copy(ROOT / "checklists" / "production.md", dest / "checklists" / "production.md")
    (dest / RESULTS).write_text(HAND_WRITTEN, encoding="utf-8")
    return dest


def run(root: Path, *args: str):
    return CliRunner().invoke(record, ["2.5.0", *args, "--root", str(root)])


def report(name: str) -> str:
    return str(REPORTS / name)


def loaded(root: Path):
    """The results file through the strict loader (it must still pass), entries by id."""
    project = load_project(root)
    release = next(r for r in project.releases if r.name == "2.5.0")
    return {e.target: e for e in release.entries}


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """Lines removed and added between two versions; everything else must be equal byte for byte."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    removed, added = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op != "equal":
            removed += old[i1:i2]
            added += new[j1:j2]
    return removed, added


def line_of(text: str, prefix: str) -> str:
    return next(line for line in text.splitlines(keepends=True) if line.lstrip().startswith(prefix))


# --- JUnit -----------------------------------------------------------------------------------------


def test_junit_pass_sets_done_and_prints_the_change(root):
    result = run(root, "--junit", report("junit-pass.xml"), "--item", UNIT)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{RESULTS}: items.{UNIT}: pending -> done "
        "(JUnit: 9 tests, 0 failures, 0 errors, 1 skipped (junit-pass.xml))"]
    entry = loaded(root)[UNIT]
    assert entry.status == "done"
    assert entry.note == "JUnit: 9 tests, 0 failures, 0 errors, 1 skipped (junit-pass.xml)"
    assert str(entry.date) == "2026-11-28"  # SOURCE_DATE_EPOCH of the test run
    after = (root / RESULTS).read_text(encoding="utf-8")
    removed, added = changed_lines(HAND_WRITTEN, after)
    assert removed == [f"  {UNIT}: pending   # CI fills this in\n"]
    assert added == [f"  {UNIT}: {{status: done, date: 2026-11-28, note: 'JUnit: 9 tests, 0 failures, 0 errors, "
                     "1 skipped (junit-pass.xml)'}   # CI fills this in\n"]


def test_junit_fail_sets_failed_with_counts(root):
    result = run(root, "--junit", report("junit-fail.xml"), "--item", UNIT)
    assert result.exit_code == 0, result.output
    assert result.stdout == (f"{RESULTS}: items.{UNIT}: pending -> failed "
                             "(JUnit: 12 tests, 2 failures, 1 error, 1 skipped (junit-fail.xml))\n")
    assert loaded(root)[UNIT].status == "failed"


def test_junit_counts_from_the_report_shapes():
    passing = parse_junit(REPORTS / "junit-pass.xml", "junit-pass.xml")
    assert (passing.tests, passing.failures, passing.errors, passing.skipped, passing.passed) == (9, 0, 0, 1, True)
    failing = parse_junit(REPORTS / "junit-fail.xml", "junit-fail.xml")
    assert (failing.tests, failing.failures, failing.errors, failing.skipped, failing.passed) == (12, 2, 1, 1, False)


def test_junit_single_testsuite_root_and_testcases_without_attributes(tmp_path):
    path = tmp_path / "TEST-com.lumen.BankSyncTest.xml"
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n'
                    '<testsuite name="com.lumen.BankSyncTest" time="0.41">\n'
                    '  <testcase name="matchesByReference" classname="com.lumen.BankSyncTest" time="0.2"/>\n'
                    '  <testcase name="retriesOn429" classname="com.lumen.BankSyncTest" time="0.2">\n'
                    '    <failure message="expected 5 but was 3" type="org.opentest4j.AssertionFailedError"/>\n'
                    '  </testcase>\n'
                    '</testsuite>\n', encoding="utf-8")
    summary = parse_junit(path, "x.xml")
    assert (summary.tests, summary.failures, summary.errors, summary.skipped) == (2, 1, 0, 0)


@pytest.mark.parametrize("text, message", [
    ("<testsuites/>", "x.xml:1:1: the report holds no tests"),
    ("<html><body/></html>", "x.xml:1:1: not a JUnit XML report: the root element is <html>"),
    ('<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>\n<testsuites/>',
     "x.xml:1:16: a DOCTYPE with declarations is not allowed"),
    ('<testsuites>\n  <testsuite tests="many"><testcase name="a"/></testsuite>\n</testsuites>',
     'x.xml:2:3: <testsuite tests="many">: expected a whole number'),
])
def test_junit_refuses_what_is_not_a_usable_report(tmp_path, text, message):
    path = tmp_path / "x.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        parse_junit(path, "x.xml")
    assert str(exc.value).startswith(message)


def test_malformed_xml_names_path_line_and_column(root):
    before = (root / RESULTS).read_bytes()
    result = run(root, "--junit", report("junit-malformed.xml"), "--item", UNIT)
    assert result.exit_code == 1
    assert f"{report('junit-malformed.xml')}:6:5: invalid XML: mismatched tag" in result.stderr.splitlines()
    assert "Traceback" not in result.output
    assert (root / RESULTS).read_bytes() == before


def test_missing_and_unparseable_reports_are_all_reported(root):
    before = (root / RESULTS).read_bytes()
    result = run(root, "--junit", "no-such-report.xml", "--item", UNIT, "--lighthouse", report("lighthouse-broken.json"))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert "no-such-report.xml:1:1: no such report file" in lines
    assert (f"{report('lighthouse-broken.json')}:4:57: invalid JSON: Expecting property name enclosed in "
            "double quotes") in lines
    assert (root / RESULTS).read_bytes() == before


# --- Lighthouse ------------------------------------------------------------------------------------


def test_lighthouse_sets_page_load_from_lcp_and_the_score_item(root):
    result = run(root, "--lighthouse", report("lighthouse.json"))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{RESULTS}: items.{PAGE_LOAD}: pending -> done, value 2.14351 seconds "
        "(Lighthouse 12.2.1: Largest Contentful Paint 2.14 s (lighthouse.json))",
        f"{RESULTS}: items.{SCORE}: pending -> done (Lighthouse 12.2.1: performance score 92/100; "
        "LCP 2.1 s, Speed Index 1.8 s, TTI 2.9 s (lighthouse.json))",
    ]
    entries = loaded(root)
    assert entries[PAGE_LOAD].value == pytest.approx(2.14351)
    assert entries[PAGE_LOAD].status is None  # a criterion's status is computed
    assert entries[SCORE].status == "done" and entries[SCORE].by is None  # the owner of the pending entry is dropped
    after = (root / RESULTS).read_text(encoding="utf-8")
    assert line_of(after, SCORE).endswith("}   # owner\n")


def test_lighthouse_report_fields():
    summary = parse_lighthouse(REPORTS / "lighthouse.json", "lighthouse.json")
    assert summary.score == 0.92 and summary.lcp_ms == pytest.approx(2143.5081)
    assert summary.tti_ms == pytest.approx(2915.04) and summary.speed_index_ms == pytest.approx(1796.2264)


def test_lighthouse_runtime_error_is_refused(tmp_path):
    path = tmp_path / "lh.json"
    path.write_text('{"lighthouseVersion": "12.2.1", "audits": {}, "categories": {"performance": {"score": null}},'
                    ' "runtimeError": {"code": "ERRORED_DOCUMENT_REQUEST", "message": "Lighthouse was unable to '
                    'reliably load the page you requested. (Status code: 503)"}}', encoding="utf-8")
    with pytest.raises(InputError, match=r"lh.json:1:1: Lighthouse could not test the page: .*503"):
        parse_lighthouse(path, "lh.json")


# --- k6 ----------------------------------------------------------------------------------------------


def test_k6_sets_api_response_and_load_test_items(root):
    result = run(root, "--k6", report("k6-summary.json"), "--force")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{RESULTS}: items.{API}: done, value 450 ms -> done, value 312.457 ms "
        "(k6: http_req_duration p(95) 312.5 ms over 18,240 requests (k6-summary.json))",
        f"{RESULTS}: items.{LOAD_TEST}: pending -> done (k6: 18,240 requests in 300 s, up to 80 VUs, "
        "0.12% of requests failed, checks 18,218/18,240 passed (k6-summary.json))",
        f"{RESULTS}: items.{UNDER_LOAD}: pending -> done "
        "(k6: all 2 thresholds passed; 0.12% of requests failed (k6-summary.json))",
    ]
    entries = loaded(root)
    assert entries[API].value == pytest.approx(312.457)
    assert entries[LOAD_TEST].status == entries[UNDER_LOAD].status == "done"
    after = (root / RESULTS).read_text(encoding="utf-8")
    # New entries go after their group's entry, in checklist order; the `# Frontend` comment stays below them.
    lines = after.splitlines()
    at = lines.index("  testing/load-testing: pending")
    assert lines[at + 1].startswith(f"  {LOAD_TEST}: {{status: done")
    assert lines[at + 2].startswith(f"  {UNDER_LOAD}: {{status: done")
    assert lines[at + 3] == "  # Frontend"


def test_k6_crossed_thresholds_fail_the_items(root):
    result = run(root, "--k6", report("k6-summary-failed.json"), "--force")
    assert result.exit_code == 0, result.output
    entries = loaded(root)
    assert entries[API].value == pytest.approx(742.8)
    assert entries[UNDER_LOAD].status == "failed"
    assert entries[UNDER_LOAD].note == ("k6: thresholds crossed: http_req_duration p(95)<500; http_req_failed "
                                        "rate<0.01; 2.75% of requests failed (k6-summary-failed.json)")
    assert entries[LOAD_TEST].status == "done"  # the test was conducted


def test_k6_handle_summary_shape():
    summary = parse_k6(REPORTS / "k6-handle-summary.json", "k6-handle-summary.json")
    assert summary.p95_ms == 188.75 and summary.requests == 3000 and summary.failed_rate == 0
    assert summary.thresholds == (("http_req_duration", "p(95)<500", True), ("http_req_failed", "rate<0.01", True))
    assert summary.acceptable


def test_k6_without_thresholds_uses_the_failure_rate(tmp_path):
    path = tmp_path / "k6.json"
    path.write_text('{"metrics": {"http_req_duration": {"avg": 90, "p(90)": 120, "p(95)": 140},'
                    ' "http_req_failed": {"passes": 30, "fails": 970, "value": 0.03}}}', encoding="utf-8")
    summary = parse_k6(path, "k6.json")
    assert not summary.acceptable
    assert summary.under_load_note == "k6: no thresholds in the report; 3.00% of requests failed (limit 1.00%) (k6.json)"


# --- what record may overwrite ---------------------------------------------------------------------------


def test_hand_set_status_is_kept_without_force(root):
    before = (root / RESULTS).read_bytes()
    result = run(root, "--junit", report("junit-fail.xml"), "--item", FRONTEND_UNIT)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{RESULTS}:8:3: items.{FRONTEND_UNIT}: already done (set by hand or by an earlier record); "
        "the report says failed; pass --force to replace it")
    assert result.stdout == ""
    assert (root / RESULTS).read_bytes() == before


def test_a_hand_set_value_is_kept_and_nothing_is_written(root):
    before = (root / RESULTS).read_bytes()
    result = run(root, "--k6", report("k6-summary.json"))
    assert result.exit_code == 1
    assert f"{RESULTS}:17:3: items.{API}: already value 450 ms" in result.stderr
    assert (root / RESULTS).read_bytes() == before  # all or nothing: the load-test items are not written either


def test_force_overwrites_and_drops_what_described_the_old_status(root):
    result = run(root, "--junit", report("junit-fail.xml"), "--item", FRONTEND_UNIT, "--force")
    assert result.exit_code == 0, result.output
    assert result.stdout == (f"{RESULTS}: items.{FRONTEND_UNIT}: done -> failed "
                             "(JUnit: 12 tests, 2 failures, 1 error, 1 skipped (junit-fail.xml))\n")
    entry = loaded(root)[FRONTEND_UNIT]
    assert (entry.status, entry.by) == ("failed", None)
    after = (root / RESULTS).read_text(encoding="utf-8")
    removed, added = changed_lines(HAND_WRITTEN, after)
    assert removed == ["    status: done\n", '    by: "Mara Lindqvist"\n', "    date: 2026-11-20\n",
                       "    note: Vitest, run by hand.\n"]
    assert added == ["    status: failed\n", "    date: 2026-11-28\n",
                     "    note: 'JUnit: 12 tests, 2 failures, 1 error, 1 skipped (junit-fail.xml)'\n"]


def test_section_wide_status_is_kept_unless_the_report_agrees(root):
    item = "security/access-control/role-based-access-control-verified"  # covered by `security: done`
    refused = run(root, "--junit", report("junit-fail.xml"), "--item", item)
    assert refused.exit_code == 1
    assert f"{RESULTS}:5:3: items.{item}: already done by `security`" in refused.stderr
    agreed = run(root, "--junit", report("junit-pass.xml"), "--item", item)
    assert agreed.exit_code == 0, agreed.output
    assert loaded(root)[item].note.startswith("JUnit: 9 tests")


def test_recording_the_same_report_twice_changes_nothing(root):
    assert run(root, "--junit", report("junit-pass.xml"), "--item", UNIT).exit_code == 0
    first = (root / RESULTS).read_bytes()
    again = run(root, "--junit", report("junit-pass.xml"), "--item", UNIT)
    assert again.exit_code == 0
    assert again.stdout == ""
    assert f"{RESULTS}: items.{UNIT}: unchanged (done)" in again.stderr
    assert (root / RESULTS).read_bytes() == first


# --- the file around the touched entries ---------------------------------------------------------------


def test_untouched_lines_stay_byte_for_byte(root):
    result = run(root, "--junit", report("junit-pass.xml"), "--item", UNIT, "--lighthouse", report("lighthouse.json"),
                 "--k6", report("k6-summary.json"), "--item", "api-response=-", "--evidence",
                 "https://ci.lumen.example/runs/1902")
    assert result.exit_code == 0, result.output
    after = (root / RESULTS).read_text(encoding="utf-8")
    removed, added = changed_lines(HAND_WRITTEN, after)
    touched = (UNIT, PAGE_LOAD, SCORE, LOAD_TEST, UNDER_LOAD)
    assert sorted(line.split(":")[0].strip() for line in removed) == sorted([UNIT, PAGE_LOAD, SCORE])
    assert sorted(line.split(":")[0].strip() for line in added) == sorted(touched)
    # Order of the untouched lines, comments included, is the same; quotes and spacing kept.
    kept = [line for line in after.splitlines(keepends=True) if line not in added]
    assert kept == [line for line in HAND_WRITTEN.splitlines(keepends=True) if line not in removed]
    assert "checklist: 'production'\n" in kept and "  devops-lead: {name: Bob Stone,  date: 2026-11-21}\n" in kept
    assert all("evidence: https://ci.lumen.example/runs/1902" in line for line in added)
    assert API not in [line.split(":")[0].strip() for line in added]  # skipped with api-response=-


def test_crlf_file_keeps_its_line_endings(root):
    crlf = HAND_WRITTEN.replace("\n", "\r\n")
    (root / RESULTS).write_bytes(crlf.encode("utf-8"))
    assert run(root, "--junit", report("junit-pass.xml"), "--item", UNIT).exit_code == 0
    after = (root / RESULTS).read_bytes().decode("utf-8")
    removed, added = changed_lines(crlf, after)
    assert len(removed) == len(added) == 1 and added[0].endswith("}   # CI fills this in\r\n")
    assert after.count("\r\n") == after.count("\n")


def test_record_into_a_fresh_scaffold_passes_check(root):
    from generator.scaffold import create_results

    (root / RESULTS).unlink()
    create_results(root, "2.5.0", None, None)
    scaffold = (root / RESULTS).read_text(encoding="utf-8")
    result = run(root, "--junit", report("junit-pass.xml"), "--item", UNIT, "--lighthouse", report("lighthouse.json"),
                 "--k6", report("k6-summary.json"))
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 6
    after = (root / RESULTS).read_text(encoding="utf-8")
    removed, added = changed_lines(scaffold, after)
    assert len(removed) == len(added) == 6
    for old, new in zip(removed, added):
        assert old.split(":")[0] == new.split(":")[0]
        assert new.rstrip("\n").endswith(old[old.index("  # "):].rstrip("\n"))  # the item-text comment stays
    problems = Problems()
    assert load_release(root / RESULTS, RESULTS, load_project(root).checklists, problems) is not None
    assert not problems.errors


def test_items_block_is_created_when_missing(root):
    (root / RESULTS).write_text('release: "2.5.0"\nsignoffs:\n  technical-lead:\n', encoding="utf-8")
    assert run(root, "--junit", report("junit-pass.xml"), "--item", UNIT).exit_code == 0
    text = (root / RESULTS).read_text(encoding="utf-8")
    assert text.startswith('release: "2.5.0"\nitems:\n  ' + UNIT + ": {status: done")
    assert text.endswith("signoffs:\n  technical-lead:\n")


def test_result_that_would_not_load_is_not_written(root, tmp_path):
    # The note names the report file; a file name that looks like a key makes the entry fail the loader.
    odd = tmp_path / "AKIAIOSFODNN7EXAMPLE.xml"
    shutil.copy(REPORTS / "junit-pass.xml", odd)
    before = (root / RESULTS).read_bytes()
    result = run(root, "--junit", str(odd), "--item", UNIT)
    assert result.exit_code == 1
    assert "looks like a secret" in result.stderr
    assert "the changed file would not pass the strict loader" in result.stderr
    assert (root / RESULTS).read_bytes() == before
    assert sorted(p.name for p in (root / "results").iterdir()) == ["2.5.0.yaml"]  # no temp files left


# --- command-line mistakes -------------------------------------------------------------------------------


def test_unknown_item_suggests_the_closest_id(root):
    result = run(root, "--junit", report("junit-pass.xml"), "--item", "testing/unit-tests/backend-unit-test-passing")
    assert result.exit_code == 2
    assert "did you mean 'testing/unit-tests/backend-unit-tests-passing'?" in result.stderr


def test_junit_needs_an_item(root):
    result = run(root, "--junit", report("junit-pass.xml"))
    assert result.exit_code == 2
    assert "--junit needs --item ID" in result.stderr


def test_missing_default_id_asks_for_item(project):
    result = CliRunner().invoke(record, ["2.0.0", "--lighthouse", report("lighthouse.json"), "--root", str(project)])
    assert result.exit_code == 2
    assert ("checklist `web` has no item `success-criteria/performance/page-load-3-seconds` (the default for "
            "page-load); pass --item page-load=ID, or --item page-load=- to skip it") in result.stderr
    named = CliRunner().invoke(record, ["2.0.0", "--lighthouse", report("lighthouse.json"), "--item",
                                        "page-load=performance/page-load-3-seconds", "--item", "lighthouse-score=-",
                                        "--root", str(project)])
    assert named.exit_code == 0, named.output
    assert named.stdout.startswith("results/2.0.0.yaml: items.performance/page-load-3-seconds: pending -> done, "
                                   "value 2.14351 seconds")


@pytest.mark.parametrize("args, message", [
    ((), "give at least one report"),
    (("--lighthouse", "x.json", "--item", PAGE_LOAD), "name the one you mean, e.g. --item page-load="),
    (("--lighthouse", "x.json", "--item", f"page-load={SCORE}"), "page-load needs a criterion"),
    (("--junit", "x.xml", "--item", PAGE_LOAD), "a criterion (`< 3 seconds`) takes a measured value"),
    (("--junit", "x.xml", "--item", "testing"), "a section or group"),
    (("--k6", "x.json", "--item", "load=x"), "no slot `load`"),
    (("--junit", "x.xml", "--item", UNIT, "--evidence", "ftp://ci/1"), "--evidence ftp://ci/1: must be an http"),
])
def test_usage_errors_exit_2(root, args, message):
    result = run(root, *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr


def test_root_option_matches_the_main_cli():
    import click

    from generator import cli as main
    from generator import cli_evidence

    def described(decorator):
        option = click.command()(decorator(lambda root: None)).params[0]
        return (option.opts, option.default, option.help, option.show_default, type(option.type),
                option.type.file_okay, option.type.dir_okay)

    assert described(cli_evidence.root_option) == described(main.root_option)


def test_unknown_release_suggests(root):
    result = CliRunner().invoke(record, ["2.5", "--junit", report("junit-pass.xml"), "--item", UNIT,
                                         "--root", str(root)])
    assert result.exit_code == 2
    assert "no results file for release `2.5`" in result.stderr
