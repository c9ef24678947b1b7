"""Verdict rules (DESIGN.md "Verdict" and the merge rules of "Results file (YAML)")."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.errors import Problems
from generator.merge import evaluate, release_order
from generator.model import Counts, Item
from generator.results import load_release
from helpers_results import (
    API, AUTOSCALE, CDN, DLQ, JWT, PAGE_LOAD, PASSWORDS, PLAIN_ITEMS, ROLES, TLS, load, make_checklist,
)

DAY = dt.date(2026, 1, 21)
WAIVER = "{{status: waived, reason: QSA booked, approved_by: Carol Diaz, expires: {}}}"


def doc(overrides=None, signed=ROLES, launch=None, release="2.4.0") -> str:
    """A results document: every item done (criteria met) and every role signed, then `overrides`.

    `overrides` maps an id to its YAML value, or to None to leave the id out.
    """
    entries = {i: "done" for i in PLAIN_ITEMS}
    entries[PAGE_LOAD] = "{value: 2.4}"
    entries[API] = '{value: "350 ms"}'
    for key, value in (overrides or {}).items():
        if value is None:
            entries.pop(key, None)
        else:
            entries[key] = value
    lines = [f'release: "{release}"', "checklist: web", "items:"]
    lines += [f"  {k}: {v}" for k, v in entries.items()]
    if signed:
        lines.append("signoffs:")
        lines += [f"  {role}: {{name: Alice Chen, date: 2026-01-20}}" for role in signed]
    if launch:
        lines += ["launch:", f"  date: {launch}"]
    return "\n".join(lines) + "\n"


def run(tmp_path, body, today=DAY, name="2.4.0.yaml"):
    checklist = make_checklist()
    release, problems = load(tmp_path, body, name, checklist)
    assert release is not None, problems
    assert problems == []
    return evaluate(release, checklist, today)


def statuses(ev) -> dict:
    return {r.item.id: r.status for r in ev.results}


# --- the three verdicts -------------------------------------------------------------------------


def test_everything_done_and_signed_is_yes(tmp_path):
    ev = run(tmp_path, doc())
    assert ev.verdict == "YES"
    assert ev.counts.as_dict() == {"total": 8, "done": 8, "failed": 0, "pending": 0, "na": 0, "waived": 0}
    assert ev.progress == 100.0
    assert ev.blocking == () and ev.unsigned == () and ev.reasons == ()


def test_one_pending_is_no(tmp_path):
    ev = run(tmp_path, doc({JWT: "pending"}))
    assert ev.verdict == "NO"
    assert ev.counts.pending == 1 and ev.blocking == (JWT,)
    assert [(r.kind, r.target) for r in ev.reasons] == [("pending", JWT)]


def test_an_item_not_recorded_is_pending(tmp_path):
    ev = run(tmp_path, doc({JWT: None}))
    assert ev.verdict == "NO" and statuses(ev)[JWT] == "pending" and ev.blocking == (JWT,)


def test_one_failed_is_no(tmp_path):
    ev = run(tmp_path, doc({TLS: "failed"}))
    assert ev.verdict == "NO"
    assert ev.counts.failed == 1 and ev.blocking == (TLS,)
    assert [(r.kind, r.target) for r in ev.reasons] == [("failed", TLS)]


def test_failed_wins_over_missing_signoffs_and_waivers(tmp_path):
    ev = run(tmp_path, doc({TLS: "failed", JWT: WAIVER.format("2026-03-01")}, signed=()))
    assert ev.verdict == "NO"


def test_waiver_not_expired_needs_review(tmp_path):
    ev = run(tmp_path, doc({TLS: WAIVER.format("2026-03-01")}))
    assert ev.verdict == "NEEDS REVIEW"
    assert ev.counts.waived == 1 and ev.progress == 100.0  # waived counts towards progress
    assert ev.blocking == (TLS,)
    assert [(r.kind, r.target) for r in ev.reasons] == [("waived", TLS)]
    assert not ev.results[0].expired


def test_waiver_expired_before_launch_date_is_no(tmp_path):
    ev = run(tmp_path, doc({TLS: WAIVER.format("2026-01-20")}, launch="2026-01-21"), today=dt.date(2025, 1, 1))
    assert ev.evaluated_on == dt.date(2026, 1, 21)
    assert ev.verdict == "NO"
    assert [r.expired for r in ev.results if r.item.id == TLS] == [True]
    assert ("expired", TLS) in [(r.kind, r.target) for r in ev.reasons]
    assert TLS in ev.blocking


def test_waiver_expiring_on_the_evaluation_date_is_not_expired(tmp_path):
    ev = run(tmp_path, doc({TLS: WAIVER.format("2026-01-21")}, launch="2026-01-21"))
    assert ev.verdict == "NEEDS REVIEW"
    assert not any(r.expired for r in ev.results)


def test_waiver_expiring_on_the_unlaunched_evaluation_date_is_not_expired(tmp_path):
    ev = run(tmp_path, doc({TLS: WAIVER.format("2026-01-21")}), today=dt.date(2026, 1, 21))
    assert ev.verdict == "NEEDS REVIEW"
    ev = run(tmp_path, doc({TLS: WAIVER.format("2026-01-21")}), today=dt.date(2026, 1, 22))
    assert ev.verdict == "NO"


def test_missing_role_needs_review(tmp_path):
    ev = run(tmp_path, doc(signed=("technical-lead",)))
    assert ev.verdict == "NEEDS REVIEW"
    assert ev.unsigned == ("product-owner",)
    assert ev.blocking == ()
    assert [(r.kind, r.target) for r in ev.reasons] == [("unsigned", "product-owner")]
    assert ev.signoffs["product-owner"] is None and ev.signoffs["technical-lead"].name == "Alice Chen"


def test_role_listed_without_a_signature_is_unsigned(tmp_path):
    body = doc(signed=("technical-lead",)).replace("signoffs:\n", "signoffs:\n  product-owner:\n")
    ev = run(tmp_path, body)
    assert ev.verdict == "NEEDS REVIEW" and ev.unsigned == ("product-owner",)


def test_no_signoffs_at_all(tmp_path):
    ev = run(tmp_path, doc(signed=()))
    assert ev.verdict == "NEEDS REVIEW" and set(ev.unsigned) == set(ROLES)


# --- counts and progress ------------------------------------------------------------------------


def test_na_is_excluded_from_applicable(tmp_path):
    ev = run(tmp_path, doc({CDN: "n/a", "queues": "n/a", DLQ: None, AUTOSCALE: None, JWT: "pending"}))
    assert ev.counts.as_dict() == {"total": 8, "done": 4, "failed": 0, "pending": 1, "na": 3, "waived": 0}
    assert ev.counts.applicable == 5
    assert ev.progress == 80.0
    assert ev.verdict == "NO"


def test_na_items_do_not_hold_back_yes(tmp_path):
    ev = run(tmp_path, doc({CDN: "n/a", "queues": "n/a", DLQ: None, AUTOSCALE: None}))
    assert ev.verdict == "YES" and ev.progress == 100.0 and ev.blocking == ()


def test_progress_is_rounded_to_one_decimal(tmp_path):
    # 5 of 8 items n/a; 3 applicable: 2 done (PASSWORDS, API) + 1 pending (JWT) = 66.666... -> 66.7
    body = doc({TLS: "{status: n/a, reason: internal}",
                PAGE_LOAD: "{status: n/a, reason: API only}", CDN: "n/a", "queues": "n/a",
                DLQ: None, AUTOSCALE: None, JWT: "pending"})
    ev = run(tmp_path, body)
    assert ev.counts.applicable == 3 and ev.counts.done == 2
    assert ev.progress == 66.7


@pytest.mark.parametrize("counts, progress", [
    (Counts(done=187, pending=14), 93.0),  # DESIGN.md's own example: "187 / 201, 93.0 %"
    (Counts(done=1, pending=2), 33.3),
    (Counts(done=1, waived=1, failed=1), 66.7),
    (Counts(done=1, pending=7), 12.5),
    (Counts(done=199, pending=1), 99.5),
    (Counts(done=1999, pending=1), 100.0),  # 99.95 rounds up to 100.0 at one decimal
    (Counts(na=5), 100.0),
    (Counts(), 100.0),
])
def test_progress_values(counts, progress):
    assert counts.progress == progress


def test_nothing_applicable_is_100_percent(tmp_path):
    body = doc({"security": "{status: n/a, reason: no backend}", "performance": "{status: n/a, reason: no web}",
                "queues": "n/a", **{i: None for i in (TLS, PASSWORDS, JWT, PAGE_LOAD, API, CDN, DLQ, AUTOSCALE)}})
    ev = run(tmp_path, body)
    assert ev.counts.applicable == 0 and ev.counts.na == 8
    assert ev.progress == 100.0
    assert ev.verdict == "YES"


# --- section and group entries ------------------------------------------------------------------


def test_section_wide_done_applies_to_items_but_not_criteria(tmp_path):
    body = doc({"performance": "done", PAGE_LOAD: None, API: None, CDN: None})
    ev = run(tmp_path, body)
    s = statuses(ev)
    assert s[CDN] == "done"
    assert s[PAGE_LOAD] == "pending" and s[API] == "pending"
    assert ev.verdict == "NO" and set(ev.blocking) == {PAGE_LOAD, API}


def test_section_wide_failed_does_not_apply_to_criteria(tmp_path):
    ev = run(tmp_path, doc({"performance": "failed", CDN: None}))
    s = statuses(ev)
    assert s[CDN] == "failed" and s[PAGE_LOAD] == "done" and s[API] == "done"


def test_section_wide_na_covers_criteria(tmp_path):
    body = doc({"performance": "{status: n/a, reason: API only}", PAGE_LOAD: None, API: None, CDN: None})
    ev = run(tmp_path, body)
    s = statuses(ev)
    assert s[PAGE_LOAD] == s[API] == s[CDN] == "n/a"
    assert ev.verdict == "YES"


def test_section_wide_waiver_covers_criteria(tmp_path):
    body = doc({"performance": WAIVER.format("2026-03-01"), PAGE_LOAD: None, API: None, CDN: None})
    ev = run(tmp_path, body)
    s = statuses(ev)
    assert s[PAGE_LOAD] == s[API] == s[CDN] == "waived"
    assert ev.verdict == "NEEDS REVIEW" and set(ev.blocking) == {PAGE_LOAD, API, CDN}


def test_section_wide_expired_waiver_is_no(tmp_path):
    body = doc({"performance": WAIVER.format("2026-01-01"), PAGE_LOAD: None, API: None, CDN: None})
    ev = run(tmp_path, body)
    assert ev.verdict == "NO" and {r.item.id for r in ev.results if r.expired} == {PAGE_LOAD, API, CDN}


def test_group_entry_applies_to_its_items(tmp_path):
    ev = run(tmp_path, doc({"security/secrets": "failed", PASSWORDS: None, JWT: None}))
    s = statuses(ev)
    assert s[PASSWORDS] == s[JWT] == "failed" and s[TLS] == "done"


def test_most_specific_entry_wins(tmp_path):
    body = doc({"security": "failed", "security/secrets": "done", JWT: "pending", TLS: None, PASSWORDS: None})
    ev = run(tmp_path, body)
    s = statuses(ev)
    assert s[TLS] == "failed"  # section
    assert s[PASSWORDS] == "done"  # group over section
    assert s[JWT] == "pending"  # item over group over section


def test_item_entry_wins_regardless_of_order_in_the_file(tmp_path):
    body = (f'release: "2.4.0"\nitems:\n  {JWT}: done\n  security/secrets: failed\n  security: pending\n')
    s = statuses(run(tmp_path, body))
    assert s[JWT] == "done" and s[PASSWORDS] == "failed" and s[TLS] == "pending"


def test_criterion_own_value_wins_over_section_na(tmp_path):
    body = doc({"performance": "{status: n/a, reason: API only}", PAGE_LOAD: "{value: 4}", CDN: None, API: None})
    s = statuses(run(tmp_path, body))
    assert s[PAGE_LOAD] == "failed" and s[API] == "n/a"


def test_entry_without_status_falls_back_to_the_section(tmp_path):
    body = doc({"security": "failed", TLS: "{note: see ticket}", PASSWORDS: None, JWT: None})
    ev = run(tmp_path, body)
    tls = next(r for r in ev.results if r.item.id == TLS)
    assert tls.status == "failed" and tls.own.note == "see ticket" and tls.entry.target == "security"


# --- criteria -----------------------------------------------------------------------------------


@pytest.mark.parametrize("target, value, status", [
    (PAGE_LOAD, "2.4", "done"),
    (PAGE_LOAD, '"2400 ms"', "done"),
    (PAGE_LOAD, "3", "failed"),  # < 3 seconds: exactly 3 is not met
    (PAGE_LOAD, "3.5", "failed"),
    (PAGE_LOAD, '"3100 ms"', "failed"),
    (API, "499", "done"),
    (API, "500", "failed"),
    (API, '"0.6 s"', "failed"),
])
def test_criterion_value_is_met_or_missed(tmp_path, target, value, status):
    ev = run(tmp_path, doc({target: f"{{value: {value}}}"}))
    assert statuses(ev)[target] == status
    assert ev.verdict == ("YES" if status == "done" else "NO")


def test_criterion_without_value_is_pending(tmp_path):
    ev = run(tmp_path, doc({PAGE_LOAD: None, API: "{evidence: https://ci.example.com/k6/1}"}))
    assert statuses(ev)[PAGE_LOAD] == "pending" and statuses(ev)[API] == "pending"
    assert set(ev.blocking) == {PAGE_LOAD, API}


# --- blocking ------------------------------------------------------------------------------------


def test_blocking_lists_failed_pending_and_waived_items(tmp_path):
    body = doc({TLS: "failed", JWT: "pending", API: WAIVER.format("2026-03-01"), CDN: "n/a",
                PAGE_LOAD: "{value: 9}"}, signed=("technical-lead",))
    ev = run(tmp_path, body)
    assert ev.verdict == "NO"
    assert sorted(ev.blocking) == sorted([TLS, JWT, API, PAGE_LOAD])
    assert len(set(ev.blocking)) == len(ev.blocking)
    assert ev.unsigned == ("product-owner",)
    kinds = {(r.kind, r.target) for r in ev.reasons}
    assert kinds == {("failed", TLS), ("pending", JWT), ("failed", PAGE_LOAD), ("waived", API),
                     ("unsigned", "product-owner")}


# --- the evaluation date -------------------------------------------------------------------------


def test_evaluation_date_is_launch_date(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01
    ev = run(tmp_path, doc(launch="2026-02-10"), today=dt.date(2030, 1, 1))
    assert ev.evaluated_on == dt.date(2026, 2, 10)


def test_evaluation_date_is_source_date_epoch_when_unlaunched(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01 00:00 UTC
    ev = run(tmp_path, doc({TLS: WAIVER.format("2025-12-31")}), today=None)
    assert ev.evaluated_on == dt.date(2026, 1, 1)
    assert ev.verdict == "NO"  # expired the day before
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(1767225600 - 1))  # 2025-12-31 23:59:59 UTC
    ev = run(tmp_path, doc({TLS: WAIVER.format("2025-12-31")}), today=None)
    assert ev.evaluated_on == dt.date(2025, 12, 31)
    assert ev.verdict == "NEEDS REVIEW"


def test_evaluation_date_is_today_utc_without_source_date_epoch(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    before = dt.datetime.now(dt.timezone.utc).date()
    ev = run(tmp_path, doc(), today=None)
    after = dt.datetime.now(dt.timezone.utc).date()
    assert ev.evaluated_on in (before, after)


def test_launch_without_date_is_unlaunched(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    body = doc() + 'launch:\n  time: "14:00"\n'
    ev = run(tmp_path, body, today=None)
    assert not ev.launched and ev.evaluated_on == dt.date(2026, 1, 1)


# --- order independence (property) --------------------------------------------------------------

_CHECKLIST = make_checklist()
_NODE_IDS = list(_CHECKLIST.nodes)
_EXPIRY = ["2026-01-10", "2026-01-21", "2026-02-01"]


def _entry_values(node_id):
    node = _CHECKLIST.nodes[node_id]
    common = [st.just("{status: n/a, reason: not used}"),
              st.sampled_from(_EXPIRY).map(WAIVER.format)]
    if isinstance(node, Item) and node.criterion is not None:
        return st.one_of(st.just("pending"), st.sampled_from(["1", "2.9", "3", "450", "700", '"2400 ms"']).map(
            lambda v: f"{{value: {v}}}"), *common)
    return st.one_of(st.sampled_from(["done", "failed", "pending"]), *common)


@st.composite
def _results(draw):
    chosen = draw(st.lists(st.sampled_from(_NODE_IDS), unique=True))
    entries = [(i, draw(_entry_values(i))) for i in chosen]
    signed = draw(st.lists(st.sampled_from(ROLES), unique=True))
    launch = draw(st.sampled_from([None, "2026-01-15", "2026-01-21", "2026-02-05"]))
    return entries, signed, launch


def _render(entries, signed, launch, top_order) -> str:
    blocks = {"release": 'release: "2.4.0"\n', "checklist": "checklist: web\n"}
    if entries:
        blocks["items"] = "items:\n" + "".join(f"  {k}: {v}\n" for k, v in entries)
    if signed:
        blocks["signoffs"] = "signoffs:\n" + "".join(f"  {r}: {{name: Ann Lee, date: 2026-01-20}}\n" for r in signed)
    if launch:
        blocks["launch"] = f"launch:\n  date: {launch}\n"
    return "".join(blocks[k] for k in top_order if k in blocks)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_results(), shuffle=st.randoms(use_true_random=False))
def test_evaluation_does_not_depend_on_entry_order(tmp_path_factory, data, shuffle):
    entries, signed, launch = data
    top = ["release", "checklist", "items", "signoffs", "launch"]
    shuffled_entries, shuffled_signed, shuffled_top = list(entries), list(signed), list(top)
    shuffle.shuffle(shuffled_entries)
    shuffle.shuffle(shuffled_signed)
    shuffle.shuffle(shuffled_top)
    folder = tmp_path_factory.mktemp("order")
    outcomes = []
    for text in (_render(entries, signed, launch, top), _render(shuffled_entries, shuffled_signed, launch, shuffled_top)):
        path = folder / "2.4.0.yaml"
        path.write_text(text, encoding="utf-8")
        problems = Problems()
        release = load_release(path, "results/2.4.0.yaml", {"web": _CHECKLIST}, problems)
        assert release is not None, [str(p) for p in problems.items] + [text]
        ev = evaluate(release, _CHECKLIST, DAY)
        outcomes.append((ev.verdict, ev.counts, frozenset(ev.blocking), frozenset(ev.unsigned),
                         tuple((r.item.id, r.status, r.expired) for r in ev.results), ev.evaluated_on,
                         frozenset((r.kind, r.target) for r in ev.reasons)))
    assert outcomes[0] == outcomes[1]


# --- release order -------------------------------------------------------------------------------


def test_release_order_launched_by_date_then_unlaunched_by_version(tmp_path):
    checklist = make_checklist()
    specs = {  # name -> launch date (None: unlaunched)
        "2.10.0": None,
        "0.9.0": "2026-04-01",  # launched after 1.0.0: a hotfix of an old line, newest by date
        "2.9.0": None,
        "1.0.0": "2026-03-01",
        "1.1.0": "2026-03-15",
        "2.9.1-rc1": None,
    }
    evaluations = []
    for name, launch in specs.items():
        body = f'release: "{name}"\n' + (f"launch:\n  date: {launch}\n" if launch else "")
        release, problems = load(tmp_path, body, name=f"{name}.yaml", checklist=checklist)
        assert problems == []
        evaluations.append(evaluate(release, checklist, DAY))
    ordered = [e.release.name for e in release_order(evaluations)]
    assert ordered == ["1.0.0", "1.1.0", "0.9.0", "2.9.0", "2.9.1-rc1", "2.10.0"]
    # the latest release is the last one
    assert release_order(list(reversed(evaluations)))[-1].release.name == "2.10.0"


def test_latest_is_latest_launch_date_when_all_launched(tmp_path):
    checklist = make_checklist()
    evaluations = []
    for name, launch in (("2.10.0", "2026-05-01"), ("2.9.0", "2026-06-01")):
        release, problems = load(tmp_path, f'release: "{name}"\nlaunch:\n  date: {launch}\n', f"{name}.yaml",
                                 checklist)
        evaluations.append(evaluate(release, checklist, DAY))
    assert [e.release.name for e in release_order(evaluations)] == ["2.10.0", "2.9.0"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["done", "failed", "pending", "n/a", "waived"]), max_size=60))
def test_tally_equals_the_sum_of_single_counts(statuses):
    from generator.model import Counts

    assert Counts.tally(statuses) == sum((Counts.of(s) for s in statuses), Counts())
