"""Release-to-release diff, sign-offs by person, per-release CSV and the badge."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

from generator.analyse import diff, diffs, signers
from generator.errors import Problems
from generator.exports import ITEMS_CSV, release_csv
from generator.merge import evaluate
from generator.checklist import parse_checklist
from generator.pages import SiteData, badges
from generator.render import render
from generator.results import load_release

CHECKLIST = """# T

## A

- [ ] One
- [ ] Two
- [ ] Three
- [ ] Four

## B

- [ ] Page load < 3 seconds
- [ ] Five

## Sign-off

- [ ] **Lead:** ____
"""


def checklist(text=CHECKLIST):
    problems = Problems()
    c = parse_checklist(text, "web", "checklists/web.md", problems)
    assert not problems.errors
    return c


def release(tmp_path, name, body, c):
    path = tmp_path / f"{name}.yaml"
    path.write_text(f'release: "{name}"\n' + body)
    problems = Problems()
    r = load_release(path, f"results/{name}.yaml", {"web": c}, problems)
    assert r is not None, [str(p) for p in problems.items]
    return evaluate(r, c)


def test_each_kind_of_change(tmp_path):
    c = checklist()
    before = release(tmp_path, "1.0", "launch: {date: 2026-01-01}\nitems:\n  a/one: done\n  a/two: failed\n"
                     "  a/three: done\n  a/four: {status: n/a, reason: later}\n  b/page-load-3-seconds: {value: 2.5}\n", c)
    after = release(tmp_path, "1.1", "launch: {date: 2026-02-01}\nitems:\n  a/one: failed\n  a/two: done\n"
                    "  a/three: {status: waived, reason: r, approved_by: X, expires: 2026-03-01}\n  a/four: done\n"
                    "  b/five: {status: n/a, reason: gone}\n  b/page-load-3-seconds: {value: 2.9}\n", c)
    d = diff(before, after)
    got = {(ch.kind, ch.item, ch.before, ch.after) for ch in d.changes}
    assert got == {
        ("regressed", "a/one", "done", "failed"),
        ("fixed", "a/two", "failed", "done"),
        ("newly-waived", "a/three", "done", "waived"),
        ("no-longer-na", "a/four", "n/a", "done"),
        ("newly-na", "b/five", "pending", "n/a"),
        ("value", "b/page-load-3-seconds", "2.5 seconds", "2.9 seconds"),
    }
    assert d.previous == "1.0"


def test_items_added_and_removed_between_checklist_versions(tmp_path):
    old = checklist()
    new = checklist(CHECKLIST.replace("- [ ] Four\n", "").replace("- [ ] Five\n", "- [ ] Five\n- [ ] Six\n"))
    before = release(tmp_path, "1.0", "items:\n  a/four: done\n", old)
    after = release(tmp_path, "1.1", "items:\n  b/six: done\n", new)
    d = diff(before, after)
    assert [(ch.kind, ch.item) for ch in d.of("added")] == [("added", "b/six")]
    assert [(ch.kind, ch.item, ch.before) for ch in d.of("removed")] == [("removed", "a/four", "done")]


def test_first_release_has_no_previous(tmp_path):
    c = checklist()
    e = release(tmp_path, "1.0", "", c)
    assert diffs([e])["1.0"].previous is None and diffs([e])["1.0"].changes == ()


def test_each_release_is_compared_with_the_one_before_it_when_asked(tmp_path):
    c = checklist()
    one = release(tmp_path, "1.0", "items:\n  a/one: done\n", c)
    two = release(tmp_path, "1.1", "items:\n  a/one: failed\n", c)
    three = release(tmp_path, "1.2", "items:\n  a/one: failed\n  a/two: done\n", c)
    found = diffs([one, two, three])
    assert list(found) == ["1.0", "1.1", "1.2"] and len(found) == 3
    assert [found.previous(n) for n in found] == [None, one, two]
    for name, (before, after) in {"1.1": (one, two), "1.2": (two, three)}.items():
        assert found[name] == found.get(name) == diff(before, after)
    assert [(ch.kind, ch.item) for ch in found["1.1"].changes] == [("regressed", "a/one")]
    assert found.get("9.9") is None and found.previous("9.9") is None


def test_signers_by_person(tmp_path):
    c = checklist()
    a = release(tmp_path, "1.0", "signoffs:\n  lead: {name: Ada, date: 2026-01-01}\n", c)
    b = release(tmp_path, "1.1", "signoffs:\n  lead: {name: Ada, date: 2026-02-01}\n", c)
    people = signers([a, b])
    assert [(n, [(s.release, s.role_label) for s in signed]) for n, signed in people] == \
        [("Ada", [("1.1", "Lead"), ("1.0", "Lead")])]


def test_release_csv_one_row_per_item_and_no_formulas(tmp_path):
    c = checklist()
    e = release(tmp_path, "1.0", "items:\n  a/one: {status: done, note: \"=HYPERLINK(\\\"http://x\\\")\", by: \"+Ada\"}\n"
                "  b/page-load-3-seconds: {value: 2.5}\n", c)
    rows = list(csv.DictReader(io.StringIO(release_csv(e))))
    assert tuple(rows[0]) == ITEMS_CSV
    assert [r["id"] for r in rows] == [i.id for i in c.items]
    assert rows[0]["note"] == "'=HYPERLINK(\"http://x\")" and rows[0]["by"] == "'+Ada"
    assert rows[4]["value"] == "2.5" and rows[4]["status"] == "done"


def test_badge_is_valid_svg_with_verdict_and_progress(tmp_path):
    c = checklist()
    e = release(tmp_path, "1.0", "items:\n  a: done\n  b: done\n  b/page-load-3-seconds: {value: 2}\n", c)
    site = SiteData.gather({"site_name": "x"}, {"web": c}, [e], e.evaluated_on)
    outputs = list(badges(site))
    assert [o.path for o in outputs] == ["badge.svg", "releases/1.0/badge.svg"]
    svg = ET.fromstring(render(outputs[0].template, outputs[0].context))
    ns = "{http://www.w3.org/2000/svg}"
    assert svg.get("role") == "img"
    assert svg.find(f"{ns}title").text == "readiness: 1.0 NEEDS REVIEW 100.0%"


def test_item_history_counts_flips_and_first_release(tmp_path):
    from generator.analyse import STRIP_RELEASES, item_histories, most_failed

    old = checklist(CHECKLIST.replace("- [ ] Four\n", ""))
    c = checklist()
    bodies = ["items:\n  a/one: done\n  a/two: failed\n",                       # 1.0 (no a/four yet)
              "items:\n  a/one: failed\n  a/two: done\n  a/four: failed\n",
              "items:\n  a/one: pending\n  a/two: {status: waived, reason: r, approved_by: X, expires: 2020-01-01}\n",
              "items:\n  a/one: failed\n  a/two: done\n  a/four: done\n"]
    evaluations = [release(tmp_path, f"1.{i}", body, old if i == 0 else c) for i, body in enumerate(bodies)]
    h = item_histories(evaluations, "web")
    one, two, four = h["a/one"], h["a/two"], h["a/four"]
    assert [s for _, s in one.recent] == ["done", "failed", "pending", "failed"]
    assert (one.failed, one.pending, one.done, one.flips, one.first, one.releases) == (2, 1, 1, 1, "1.0", 4)
    assert [s for _, s in two.recent] == ["failed", "done", "expired", "done"]
    assert (two.failed, two.waived, two.flips) == (1, 1, 1)  # failed -> done; the waiver is not a flip
    assert (four.first, four.releases, four.flips) == ("1.1", 3, 1)
    assert [x.item for x in most_failed(h)] == ["a/one", "a/four", "a/two"]
    assert "b/five" in h and h["b/five"].failed == 0
    assert STRIP_RELEASES >= 10


def test_item_history_strip_keeps_the_latest_releases_and_counts_all(tmp_path):
    from generator.analyse import STRIP_RELEASES, item_histories

    c = checklist()
    n = STRIP_RELEASES + 5
    evaluations = [release(tmp_path, f"1.{i}", f"items:\n  a/one: {'failed' if i % 2 else 'done'}\n", c)
                   for i in range(n)]
    one = item_histories(evaluations, "web")["a/one"]
    assert len(one.recent) == STRIP_RELEASES and one.recent[-1][0] == f"1.{n - 1}"
    assert (one.releases, one.failed, one.flips) == (n, n // 2, n - 1)


def test_compare_any_two_releases_matches_the_release_diff(tmp_path):
    from generator.analyse import compare

    c = checklist()
    a = release(tmp_path, "1.0", "items:\n  a/one: done\n  a/two: failed\nsignoffs:\n  lead: {name: Ann, date: 2026-01-01}\n", c)
    b = release(tmp_path, "2.0", "items:\n  a/one: {status: failed, carried_from: '1.0'}\n  a/two: done\n", c)
    x = compare(a, b)
    assert x.diff.changes == diff(a, b).changes
    assert {(ch.kind, ch.item, ch.carried_from) for ch in x.diff.changes} == {
        ("regressed", "a/one", "1.0"), ("fixed", "a/two", None)}
    assert x.signoffs == (("lead", "Ann, 2026-01-01", None),)
