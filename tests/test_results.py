"""The results loader (DESIGN.md "Results file (YAML)"): strict, every problem at `path:line:col`, all at once."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.errors import Problems
from generator.results import MAX_RESULTS_BYTES, load_release
from helpers_results import API, CDN, DLQ, JWT, PAGE_LOAD, TLS, load, make_checklist

F = "results/2.4.0.yaml"
ENTRY_KEYS = "status, by, date, evidence, note, reason, approved_by, expires, value, carried_from"


def errors_of(tmp_path, body, name="2.4.0.yaml"):
    release, problems = load(tmp_path, body, name)
    assert release is None, "a file with errors must not give a release"
    return problems


def test_a_minimal_file_is_a_release(tmp_path):
    release, problems = load(tmp_path, 'release: "2.4.0"\n')
    assert problems == []
    assert release.name == "2.4.0"
    assert release.checklist == "web"  # may be omitted when there is one checklist
    assert release.entries == () and release.signoffs == () and release.launch is None


def test_a_full_valid_file_loads_every_field(tmp_path):
    release, problems = load(tmp_path, f"""\
        release: "2.4.0"
        checklist: web
        items:
          {TLS}:
            status: done
            by: Alice Chen
            date: 2026-01-19
            evidence: https://ci.example.com/runs/812
            note: Rotated in Vault; *64 bytes*.
          {JWT}:
            status: waived
            reason: Rotation booked for March
            approved_by: Carol Diaz
            expires: "2026-03-01"
          queues: n/a
          {PAGE_LOAD}: {{value: 2.4}}
        signoffs:
          technical-lead: {{name: Alice Chen, date: 2026-01-21}}
        launch:
          date: 2026-01-21
          time: "14:00"
          timezone: Europe/Berlin
          deployed_by: Bob Stone
          notes: |
            Markdown.
        """)
    assert problems == []
    by_id = {e.target: e for e in release.entries}
    assert by_id[TLS].status == "done" and by_id[TLS].date == dt.date(2026, 1, 19)
    assert by_id[TLS].evidence == "https://ci.example.com/runs/812"
    assert by_id[JWT].expires == dt.date(2026, 3, 1)  # quoted dates are dates too
    assert by_id["queues"].status == "n/a"
    assert by_id[PAGE_LOAD].value == 2.4
    assert release.signoffs[0].role == "technical-lead" and release.signoffs[0].date == dt.date(2026, 1, 21)
    assert release.launch.date == dt.date(2026, 1, 21) and release.launch.time == "14:00"


# --- statuses ------------------------------------------------------------------------------------


@pytest.mark.parametrize("written", ["passed", "Done"])
def test_unknown_status_suggests_done(tmp_path, written):
    problems = errors_of(tmp_path, f'release: "2.4.0"\nitems:\n  {TLS}: {written}\n')
    assert problems == [f"{F}:3:40: items.{TLS}: unknown status '{written}'; did you mean 'done'?"]


def test_unknown_status_in_a_mapping_names_the_status_key(tmp_path):
    problems = errors_of(tmp_path, f'release: "2.4.0"\nitems:\n  {TLS}: {{status: dne}}\n')
    assert problems == [f"{F}:3:49: items.{TLS}.status: unknown status 'dne'; did you mean 'done'?"]


def test_status_no_is_a_yaml_boolean(tmp_path):
    problems = errors_of(tmp_path, f'release: "2.4.0"\nitems:\n  {TLS}:\n    status: no\n')
    assert problems == [
        f"{F}:4:13: items.{TLS}.status: `no` is read by YAML as a boolean, not a status; did you mean 'failed'?"
    ]


# --- ids and keys --------------------------------------------------------------------------------


def test_unknown_id_suggests_the_closest_id(tmp_path):
    problems = errors_of(tmp_path, 'release: "2.4.0"\nitems:\n  security/tls-certificate-installed: done\n')
    assert problems == [
        f"{F}:3:3: items.security/tls-certificate-installed: unknown id in checklist `web`; "
        f"did you mean '{TLS}'?"
    ]


def test_unknown_id_with_the_group_left_out_suggests_the_full_id(tmp_path):
    problems = errors_of(tmp_path, 'release: "2.4.0"\nitems:\n  security/default-passwords-changed: done\n')
    assert problems == [
        f"{F}:3:3: items.security/default-passwords-changed: unknown id in checklist `web`; "
        "did you mean 'security/secrets/default-passwords-changed'?"
    ]


def test_unknown_entry_key_suggests_status(tmp_path):
    problems = errors_of(tmp_path, f'release: "2.4.0"\nitems:\n  {TLS}:\n    statsu: done\n')
    assert problems == [f"{F}:4:5: items.{TLS}.statsu: unknown key; did you mean 'status'?"]


def test_unknown_entry_key_without_a_near_miss_lists_the_keys(tmp_path):
    problems = errors_of(tmp_path, f'release: "2.4.0"\nitems:\n  {TLS}:\n    colour: done\n')
    assert problems == [f"{F}:4:5: items.{TLS}.colour: unknown key; expected one of {ENTRY_KEYS}"]


def test_unknown_top_level_key_suggests(tmp_path):
    problems = errors_of(tmp_path, 'release: "2.4.0"\nrelase: x\n')
    assert problems == [f"{F}:2:1: relase: unknown key; did you mean 'release'?"]


def test_unknown_role_suggests(tmp_path):
    problems = errors_of(tmp_path, 'release: "2.4.0"\nsignoffs:\n  tech-lead: {name: A, date: 2026-01-01}\n')
    assert problems == [f"{F}:3:3: signoffs.tech-lead: unknown sign-off role; did you mean 'technical-lead'?"]


def test_duplicate_top_level_key_names_both_lines(tmp_path):
    problems = errors_of(tmp_path, 'release: "2.4.0"\nitems: {}\nrelease: "2.4.0"\n')
    assert problems == [f"{F}:3:1: release: duplicate key (first on line 1)"]


def test_duplicate_nested_key_names_both_lines(tmp_path):
    problems = errors_of(tmp_path, f'release: "2.4.0"\nitems:\n  {TLS}:\n    status: done\n    by: A\n'
                                   "    status: pending\n")
    assert problems == [f"{F}:6:5: items.{TLS}.status: duplicate key (first on line 4)"]


def test_duplicate_item_id_names_both_lines(tmp_path):
    problems = errors_of(tmp_path, f'release: "2.4.0"\nitems:\n  {TLS}: done\n  {TLS}: pending\n')
    assert problems == [f"{F}:4:3: items.{TLS}: duplicate key (first on line 3)"]


# --- YAML features that are refused ----------------------------------------------------------------


def test_anchor_and_alias_are_rejected(tmp_path):
    problems = errors_of(tmp_path, f'release: "2.4.0"\nitems:\n  {TLS}: &s done\n  {JWT}: *s\n')
    assert problems == [
        f"{F}:3:40: YAML anchor `&s` is not allowed; write values out in full",
        f"{F}:4:40: YAML alias `*s` is not allowed; write the value out in full",
    ]


def test_an_anchor_alone_is_rejected(tmp_path):
    problems = errors_of(tmp_path, f'release: "2.4.0"\nitems:\n  {TLS}: &s done\n')
    assert problems == [f"{F}:3:40: YAML anchor `&s` is not allowed; write values out in full"]


def test_billion_laughs_is_refused_quickly(tmp_path):
    lines = ['release: "2.4.0"', "launch:", '  notes: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = "a"
    for name in "bcdefghi":
        lines.append(f"  x{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
        previous = name
    start = time.perf_counter()
    problems = errors_of(tmp_path, "\n".join(lines) + "\n")
    assert time.perf_counter() - start < 2.0
    assert problems[0] == f"{F}:3:10: YAML anchor `&a` is not allowed; write values out in full"
    assert f"{F}:4:11: YAML alias `*a` is not allowed; write the value out in full" in problems
    assert all("is not allowed" in p for p in problems)


def test_python_tag_is_rejected_and_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    problems = errors_of(tmp_path, f'release: "2.4.0"\nitems:\n'
                                   f'  {TLS}: !!python/object/apply:os.system ["touch {marker}"]\n')
    assert not marker.exists()
    assert (f"{F}:3:40: YAML tag `!!python/object/apply:os.system` is not allowed; remove it"
            in problems)


def test_python_tag_on_a_scalar_is_rejected(tmp_path):
    marker = tmp_path / "pwned"
    problems = errors_of(tmp_path, f'release: !!python/object/apply:os.system "touch {marker}"\n')
    assert not marker.exists()
    assert f"{F}:1:10: YAML tag `!!python/object/apply:os.system` is not allowed; remove it" \
        in problems


# --- release name ----------------------------------------------------------------------------------


def test_release_must_match_the_file_stem(tmp_path):
    problems = errors_of(tmp_path, 'release: "2.4.1"\n')
    assert problems == [
        f'{F}:1:10: release: `2.4.1` does not match the file name `2.4.0.yaml`; they must be the same '
        '(release: "2.4.0")'
    ]


def test_unquoted_release_1_10_must_be_quoted(tmp_path):
    problems = errors_of(tmp_path, "release: 1.10\n", name="1.10.yaml")
    assert problems == ['results/1.10.yaml:1:10: release: `1.10` is read by YAML as a number; put it in quotes: "1.10"']


def test_missing_release(tmp_path):
    problems = errors_of(tmp_path, "checklist: web\n")
    assert problems == [f'{F}:1:1: missing `release: "2.4.0"`']


def test_empty_file(tmp_path):
    problems = errors_of(tmp_path, "")
    assert problems == [f'{F}:1:1: results file is empty; it needs at least `release: "2.4.0"`']


# --- launch ----------------------------------------------------------------------------------------


def test_unquoted_time_must_be_quoted(tmp_path):
    problems = errors_of(tmp_path, 'release: "2.4.0"\nlaunch:\n  date: 2026-01-21\n  time: 12:30\n')
    assert problems == [f'{F}:4:9: launch.time: `12:30` is read by YAML as a number; put it in quotes: "12:30"']


def test_quoted_time_is_accepted(tmp_path):
    release, problems = load(tmp_path, 'release: "2.4.0"\nlaunch:\n  date: 2026-01-21\n  time: "12:30"\n')
    assert problems == [] and release.launch.time == "12:30"


# --- n/a and waivers --------------------------------------------------------------------------------


def test_na_without_reason_on_a_plain_item_is_an_error(tmp_path):
    problems = errors_of(tmp_path, f'release: "2.4.0"\nitems:\n  {TLS}: n/a\n')
    assert problems == [
        f'{F}:3:40: items.{TLS}: n/a needs a `reason:` (only items marked optional or "(if ...)" may omit it)'
    ]


def test_na_with_reason_on_a_plain_item_is_fine(tmp_path):
    release, problems = load(tmp_path, f'release: "2.4.0"\nitems:\n  {TLS}: {{status: n/a, reason: No TLS here}}\n')
    assert problems == [] and release.entries[0].reason == "No TLS here"


def test_na_without_reason_on_conditional_item_and_section_is_fine(tmp_path):
    release, problems = load(tmp_path, f'release: "2.4.0"\nitems:\n  {CDN}: n/a\n  queues: n/a\n  {DLQ}: n/a\n')
    assert problems == []
    assert [e.status for e in release.entries] == ["n/a", "n/a", "n/a"]


@pytest.mark.parametrize("given_fields, missing", [
    ("", "`reason:`, `approved_by:`, `expires:`"),
    (", reason: QSA booked", "`approved_by:`, `expires:`"),
    (", reason: QSA booked, approved_by: Carol", "`expires:`"),
    (", approved_by: Carol, expires: 2026-03-01", "`reason:`"),
])
def test_waiver_needs_reason_approver_and_expiry(tmp_path, given_fields, missing):
    problems = errors_of(tmp_path, f'release: "2.4.0"\nitems:\n  {TLS}: {{status: waived{given_fields}}}\n')
    assert problems == [f"{F}:3:40: items.{TLS}: a waiver needs {missing}"]


def test_waiver_fields_without_waived_status(tmp_path):
    problems = errors_of(tmp_path, f'release: "2.4.0"\nitems:\n  {TLS}: {{status: done, expires: 2026-03-01}}\n')
    assert problems == [
        f"{F}:3:40: items.{TLS}: `approved_by` and `expires` belong to waivers; set `status: waived` or remove them"
    ]


# --- criteria values --------------------------------------------------------------------------------


def test_criterion_value_not_a_number(tmp_path):
    problems = errors_of(tmp_path, f'release: "2.4.0"\nitems:\n  {PAGE_LOAD}: {{value: fast}}\n')
    assert problems == [f"{F}:3:44: items.{PAGE_LOAD}.value: `fast` is not a number; write e.g. `3 seconds`"]


@pytest.mark.parametrize("target, written, expected", [
    (PAGE_LOAD, '"2400 ms"', 2.4),
    (PAGE_LOAD, "2400 ms", 2.4),
    (PAGE_LOAD, "2.4", 2.4),
    (PAGE_LOAD, "0.04 min", 2.4),
    (API, '"0.4 s"', 400.0),
    (API, "350", 350.0),
])
def test_criterion_value_with_unit_is_converted(tmp_path, target, written, expected):
    release, problems = load(tmp_path, f'release: "2.4.0"\nitems:\n  {target}: {{value: {written}}}\n')
    assert problems == []
    assert release.entries[0].value == pytest.approx(expected)


def test_bare_number_on_a_criterion_is_its_value(tmp_path):
    release, problems = load(tmp_path, f'release: "2.4.0"\nitems:\n  {PAGE_LOAD}: 2.4\n')
    assert problems == [] and release.entries[0].value == 2.4 and release.entries[0].status is None


def test_criterion_value_with_incompatible_unit(tmp_path):
    problems = errors_of(tmp_path, f'release: "2.4.0"\nitems:\n  {PAGE_LOAD}: {{value: 2 MB}}\n')
    assert problems == [
        f"{F}:3:44: items.{PAGE_LOAD}.value: unit `MB` cannot be compared with the threshold `< 3 seconds`"
    ]


def test_criterion_value_and_contradicting_status(tmp_path):
    problems = errors_of(tmp_path, f'release: "2.4.0"\nitems:\n  {PAGE_LOAD}: {{value: 4, status: done}}\n')
    assert problems == [
        f"{F}:3:36: items.{PAGE_LOAD}: value 4 gives `failed` against `< 3 seconds`, but status says `done`; "
        "remove `status:` (it is computed)"
    ]


def test_criterion_value_and_agreeing_status_is_fine(tmp_path):
    release, problems = load(tmp_path, f'release: "2.4.0"\nitems:\n  {PAGE_LOAD}: {{value: 2, status: done}}\n')
    assert problems == [] and release is not None


def test_done_on_a_criterion_without_value(tmp_path):
    problems = errors_of(tmp_path, f'release: "2.4.0"\nitems:\n  {PAGE_LOAD}: done\n')
    assert problems == [
        f"{F}:3:36: items.{PAGE_LOAD}: this criterion's status is computed from its measured value; "
        "give `value:` (e.g. `3 seconds`) instead of `status: done`"
    ]


def test_criterion_may_be_na_or_waived(tmp_path):
    release, problems = load(tmp_path, f"""\
        release: "2.4.0"
        items:
          {PAGE_LOAD}: {{status: n/a, reason: API only}}
          {API}: {{status: waived, reason: CDN move, approved_by: Carol, expires: 2026-03-01}}
        """)
    assert problems == [] and [e.status for e in release.entries] == ["n/a", "waived"]


def test_value_on_a_plain_item(tmp_path):
    problems = errors_of(tmp_path, f'release: "2.4.0"\nitems:\n  {TLS}: {{value: 3}}\n')
    assert problems == [
        f"{F}:3:48: items.{TLS}.value: only threshold criteria take a value; "
        "this item states no threshold such as `< 3 seconds`"
    ]


# --- evidence and dates -----------------------------------------------------------------------------


@pytest.mark.parametrize("url", ['"javascript:alert(1)"', "ftp://example.com/x", "example.com/run/1",
                                 '"data:text/html,<b>x</b>"', '"https://"'])
def test_evidence_must_be_http_or_https(tmp_path, url):
    problems = errors_of(tmp_path, f'release: "2.4.0"\nitems:\n  {TLS}:\n    evidence: {url}\n')
    shown = url.strip('"')
    assert problems == [f"{F}:4:15: items.{TLS}.evidence: `{shown}` is not an http:// or https:// link; "
                        "evidence must be one"]


@pytest.mark.parametrize("written", ["2026-02-30", "21/01/2026", "tomorrow", '"2026-1-5"'])
def test_invalid_dates(tmp_path, written):
    problems = errors_of(tmp_path, f'release: "2.4.0"\nitems:\n  {TLS}:\n    status: done\n    date: {written}\n')
    raw = written.strip('"')
    assert problems == [f"{F}:5:11: items.{TLS}.date: `{raw}` is not an ISO 8601 date; write it as YYYY-MM-DD"]


def test_invalid_dates_in_signoffs_and_launch(tmp_path):
    problems = errors_of(tmp_path, 'release: "2.4.0"\nsignoffs:\n  technical-lead: {name: A, date: 2026-13-01}\n'
                                   "launch:\n  date: 21/01/2026\n")
    assert problems == [
        f"{F}:3:35: signoffs.technical-lead.date: `2026-13-01` is not an ISO 8601 date; write it as YYYY-MM-DD",
        f"{F}:5:9: launch.date: `21/01/2026` is not an ISO 8601 date; write it as YYYY-MM-DD",
    ]


# --- secrets ---------------------------------------------------------------------------------------
# DESIGN.md: "No text field may hold a secret (keys, tokens, passwords): use a maintained detector, tuned so
# that names and ordinary prose do not trip it." The exact wording is the implementation's; the position and
# the key path follow every other loader error.

AWS_KEY = "AKIA" + "Z7Q3XWR5LMN2PT4K"  # split so secret scanners on this repository stay quiet
GITHUB_TOKEN = "ghp_" + "Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0LmNbVc"


@pytest.mark.parametrize("secret", [AWS_KEY, GITHUB_TOKEN])
def test_a_secret_in_a_text_field_is_refused(tmp_path, secret):
    problems = errors_of(tmp_path, f'release: "2.4.0"\nitems:\n  {TLS}:\n    status: done\n'
                                   f'    note: "Rotated; old key was {secret}"\n')
    assert len(problems) == 1
    assert problems[0].startswith(f"{F}:5:11: items.{TLS}.note: ")


def test_names_and_ordinary_prose_are_not_secrets(tmp_path):
    release, problems = load(tmp_path, f"""\
        release: "2.4.0"
        items:
          {TLS}:
            status: done
            by: Alice Chen-Okonkwo
            note: Rotated the password and the JWT secret in Vault; the new key is 64 bytes long.
          {JWT}: {{status: n/a, reason: Token signing moved to the auth service (see ADR-0042)}}
        """)
    assert problems == [] and release is not None


# --- bytes: size, encoding --------------------------------------------------------------------------


def test_file_over_5_mb_is_refused_before_parsing(tmp_path):
    path = tmp_path / "2.4.0.yaml"
    with open(path, "wb") as fh:  # sparse: a valid start, then a hole; parsing it would find NUL bytes
        fh.write(b'release: "2.4.0"\nitems: [\n')
        fh.truncate(MAX_RESULTS_BYTES + 1)
    problems = Problems()
    start = time.perf_counter()
    assert load_release(path, F, {"web": make_checklist()}, problems) is None
    assert time.perf_counter() - start < 1.0
    assert [str(p) for p in problems.items] == [
        f"{F}:1:1: file is 5,242,881 bytes, over the 5 MB limit (5,242,880 bytes); "
        "results files are written by hand and stay far smaller"
    ]


def test_file_of_exactly_5_mb_is_read(tmp_path):
    body = b'release: "2.4.0"\n'
    body += b"#" * (MAX_RESULTS_BYTES - len(body) - 1) + b"\n"
    assert len(body) == MAX_RESULTS_BYTES
    release, problems = load(tmp_path, body)
    assert problems == [] and release is not None


def test_non_utf8_bytes_name_line_and_column(tmp_path):
    problems = errors_of(tmp_path, f'release: "2.4.0"\nitems:\n  {TLS}: {{status: done, by: Jos\xe9}}\n'
                         .encode("latin-1"))
    assert problems == [f"{F}:3:62: byte 0xe9 is not valid UTF-8; save the file as UTF-8"]


def test_byte_order_mark_is_refused(tmp_path):
    problems = errors_of(tmp_path, b'\xef\xbb\xbfrelease: "2.4.0"\n')
    assert problems == [f"{F}:1:1: file starts with a byte-order mark (BOM); save it as UTF-8 without BOM"]


def test_nul_byte_names_line_and_column(tmp_path):
    problems = errors_of(tmp_path, b'release: "2.4.0"\nlaunch:\n  notes: a\x00b\n')
    assert problems == [f"{F}:3:11: NUL byte in file; results files are plain text"]


def test_invalid_yaml_syntax_has_a_position(tmp_path):
    problems = errors_of(tmp_path, 'release: "2.4.0"\nitems: [\n')
    assert problems == [f"{F}:3:1: invalid YAML: did not find expected node content while parsing a flow node"]


# --- all errors at once -----------------------------------------------------------------------------


def test_every_error_in_a_file_is_reported_in_one_run(tmp_path):
    problems = errors_of(tmp_path, f"""\
        release: "2.4.0"
        items:
          {TLS}: passed
          {JWT}: {{status: done, evidence: "ftp://x"}}
          {PAGE_LOAD}: {{value: fast}}
          queues/nope: done
        signoffs:
          technical-lead: {{name: A, date: 2026-13-01}}
        """)
    assert problems == [
        f"{F}:3:40: items.{TLS}: unknown status 'passed'; did you mean 'done'?",
        f"{F}:4:65: items.{JWT}.evidence: `ftp://x` is not an http:// or https:// link; evidence must be one",
        f"{F}:5:44: items.{PAGE_LOAD}.value: `fast` is not a number; write e.g. `3 seconds`",
        f"{F}:6:3: items.queues/nope: unknown id in checklist `web`; did you mean 'queues'?",
        f"{F}:8:35: signoffs.technical-lead.date: `2026-13-01` is not an ISO 8601 date; write it as YYYY-MM-DD",
    ]


# --- robustness: any bytes --------------------------------------------------------------------------

_FRAGMENTS = [
    'release: "2.4.0"\n', "release: 2.4.0\n", "checklist: web\n", "items:\n", "signoffs:\n", "launch:\n",
    f"  {TLS}: ", f"  {PAGE_LOAD}: ", "  queues: ", "  technical-lead: ", "  date: ", "  time: ",
    "done\n", "n/a\n", "waived\n", "no\n", "12:30\n", "1.10\n", "2026-01-21\n", "{value: 2400 ms}\n",
    "{status: waived, expires: 2026-13-01}\n", "&a x\n", "*a\n", "!!python/object:os.system x\n", "? [a]\n",
    "- x\n", "[\n", "{\n", "'\n", '"\\x00"\n', "---\n", "...\n", "%YAML 1.1\n", "<<: {a: 1}\n", "\t", " ", ":",
    "~\n", "\ufeff", "\x00", "é", "\U0001f680", "\r\n",
]
_yamlish = st.lists(st.sampled_from(_FRAGMENTS), max_size=12).map(lambda parts: "".join(parts).encode("utf-8"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(st.binary(max_size=300), _yamlish))
def test_any_bytes_give_a_release_or_problems(data):
    checklist = make_checklist()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "2.4.0.yaml"
        path.write_bytes(data)
        problems = Problems()
        release = load_release(path, F, {"web": checklist}, problems)  # must not raise
    if release is None:
        assert problems.errors, "no release and no error"
        for p in problems.errors:
            assert str(p).startswith(F + ":") and p.location.line >= 1 and p.location.col >= 1
    else:
        assert not problems.errors and release.name == "2.4.0"
