"""Summaries kept between builds (generator/summary.py): a summarised evaluation is the evaluation, and a
rebuild that adds or edits one release evaluates and reads the items of that release alone."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import zlib

import pytest
from hypothesis import HealthCheck, given, settings

from generator import project as project_module
from generator.audit import RULES, AuditContext, audit
from generator.cache import Cache
from generator.cachecodec import LOADED
from generator.errors import InputError, Problems
from generator.merge import evaluate
from generator.pages import SiteData
from generator.project import load_project
from generator.results import load_release
from generator.checklist import load_checklist
from generator.summary import (HEAD, SUMMARY, Loaded, Summarised, cached_findings, evaluation_key, findings_from,
                               findings_text, head, head_key, summarise)

from conftest import ROOT
from test_cache import assert_cached_equals_full, build
from test_merge import _CHECKLIST, DAY, _render, _results

sys.path.insert(0, str(ROOT / "bench"))
from synth import add_release, edit_release, write_history  # noqa: E402

DERIVED = ("statuses", "measured", "first_record", "carried")


def _load_checklist(history):
    return load_checklist(history / "checklists" / "production.md", "checklists/production.md")[0]


def _never():
    raise AssertionError("the full evaluation was made")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                    HealthCheck.function_scoped_fixture])
@given(data=_results())
def test_a_summarised_evaluation_is_the_evaluation(tmp_path, data):
    entries, signed, launch = data
    path = tmp_path / "2.4.0.yaml"
    path.write_text(_render(entries, signed, launch, ["release", "checklist", "items", "signoffs", "launch"]))
    problems = Problems()
    release = load_release(path, "results/2.4.0.yaml", {"web": _CHECKLIST}, problems)
    assert release is not None
    e = evaluate(release, _CHECKLIST, DAY, {"qa-lead": "not on the team"} if signed else None)
    stored = SUMMARY.loads(SUMMARY.dumps(summarise(e)))
    assert stored == summarise(e)
    lazy = Summarised.of(Loaded.of(head(release), lambda: release.entries), _CHECKLIST, stored, _never)
    for f in dataclasses.fields(e):
        if f.name != "results":
            assert getattr(lazy, f.name) == getattr(e, f.name), f.name
    assert list(lazy.uncounted.items()) == list(e.uncounted.items())  # in the same order, not only equal
    assert list(lazy.signoffs) == list(e.signoffs)
    for name in DERIVED:
        assert getattr(lazy, name) == getattr(e, name), name
    # The derived values are what the item results say.
    assert e.statuses == tuple("expired" if r.expired else r.status for r in e.results)
    assert e.measured == tuple((r.item.id, r.own.value if r.own else None, r.status)
                               for r in e.results if r.item.criterion)
    # Asked for, the items are evaluated again from the release's entries, read back when needed.
    lazy = Summarised.of(Loaded.of(head(release), lambda: release.entries), _CHECKLIST, stored,
                         lambda: evaluate(lazy.release, _CHECKLIST, DAY, dict(stored.uncounted)))
    assert lazy.results == e.results and lazy == e and e == lazy and hash(lazy) == hash(e)
    assert lazy.release == release and release == lazy.release and hash(lazy.release) == hash(release)


def test_a_cached_release_whose_entry_is_gone_is_read_again_and_refused_if_its_file_changed(tmp_path):
    history = tmp_path / "history"
    write_history(history, 3)
    cache = Cache(history, tmp_path / "cache")
    load_project(history, cache)
    cache.writer().close()
    cache = Cache(history, tmp_path / "cache")
    first, second, third = load_project(history, cache).releases
    assert all(isinstance(r, Loaded) and "entries" not in r.__dict__ for r in (first, second, third))
    whole = load_project(history).releases
    assert first.entries == whole[0].entries  # read back from the cache when asked for
    # The cache given up while building (damaged, locked): the entries are read from the file again.
    cache.fail("test")
    assert second.entries == whole[1].entries
    # The head said which bytes the release was read from: a file changed since is refused, not mixed in.
    path = history / third.path
    path.write_text(path.read_text() + "# edited while building\n")
    with pytest.raises(InputError, match="changed while the site was being built"):
        third.entries  # noqa: B018


def _counting(monkeypatch) -> tuple[list, list]:
    """(releases the project evaluates, cached releases whose entries are read), as a build goes on."""
    made, read = [], []
    real_evaluate, real_get = project_module.evaluate, Cache.get

    def counting_evaluate(release, *args, **kwargs):
        made.append(release.name)
        return real_evaluate(release, *args, **kwargs)

    def counting_get(self, entry, shape=None):
        if shape is LOADED:
            read.append(entry)
        return real_get(self, entry, shape)

    monkeypatch.setattr(project_module, "evaluate", counting_evaluate)
    monkeypatch.setattr(Cache, "get", counting_get)
    return made, read


def test_a_rebuild_evaluates_and_reads_the_items_of_the_changed_release_alone(tmp_path, monkeypatch):
    history = tmp_path / "history"
    write_history(history, 12, products=2)
    build(history, tmp_path / "site")
    made, read = _counting(monkeypatch)
    add_release(history, 12, 2)
    order = {p: [e.release.name for e in es] for p, es in
             SiteData.of_project(load_project(history), DAY).by_product.items()}
    new, before = order["service-000"][-1], order["service-000"][-2]
    made.clear()
    build(history, tmp_path / "site")
    # The new release is evaluated, and the one before it, whose items its page compares with; the items of
    # no other release are read.
    assert sorted(made) == sorted([new, before]) and len(read) == 1, (made, read)
    made.clear(), read.clear()
    edit_release(history, 12, 2, 0)
    build(history, tmp_path / "site")
    assert sorted(made) == sorted([new, before]) and len(read) == 1, (made, read)
    made.clear(), read.clear()
    older = order["service-001"]
    edit_release(history, 5, 2, 1)  # 5 % 2: the third release of service-001
    build(history, tmp_path / "site")
    # Its page and the next one's (which shows the changes since it) are made again: three evaluations.
    assert sorted(made) == sorted(older[1:4]) and len(read) == 2, (made, read)
    monkeypatch.undo()
    assert_cached_equals_full(history, tmp_path, "edited")


def test_findings_split_by_release_and_cached_are_the_findings(tmp_path):
    history = tmp_path / "lumen"
    subprocess.run([sys.executable, str(ROOT / "examples" / "replay.py"), str(history)], check=True,
                   capture_output=True)
    project = load_project(history)
    evaluations = project.evaluations(DAY)
    t = project.timelines
    ctx = AuditContext(evaluations, t.histories, project.repository, project.config.get("audit", {}), t.launched,
                       t.tombstones, t.incomplete, project.config.get("team"))
    order = {e.release.name: i for i, e in enumerate(evaluations)}
    rule_major = sorted((f for rule in RULES for f in rule(ctx)),
                        key=lambda f: (f.severity != "error", order.get(f.release, -1), f.rule, f.message))
    found = audit(ctx)
    assert found and [f.as_json() for f in found] == [f.as_json() for f in rule_major]
    cache = Cache(history, tmp_path / "cache")
    first = audit(ctx, cached_findings(cache))
    assert [f.as_json() for f in first] == [f.as_json() for f in found]
    cache.writer().close()
    cache = Cache(history, tmp_path / "cache")
    again = audit(ctx, cached_findings(cache))
    assert cache.hits == len(evaluations) and [f.as_json() for f in again] == [f.as_json() for f in found]
    for damaged in ("", "{", "[1]", '[{"rule": 1}]', "[" * 100000):
        assert findings_from(damaged) is None
    assert findings_from(findings_text(found)) == found


def test_a_damaged_summary_is_evaluated_again(tmp_path):
    history = tmp_path / "history"
    write_history(history, 2)
    build(history, tmp_path / "site")
    cache = Cache(history)
    project = load_project(history, cache)
    e = project.evaluations(DAY)[0]
    assert isinstance(e, Summarised)
    key = evaluation_key(project.keys[e.release.name], e.checklist, e.evaluated_on, {})
    good = cache._row(key)
    base = summarise(e)
    edited = [dataclasses.replace(base, statuses=("done",)), dataclasses.replace(base, verdict="MAYBE"),
              dataclasses.replace(base, statuses=("bogus",) * len(base.statuses)),
              dataclasses.replace(base, statuses=("done",) * len(base.statuses)),  # counts that do not add up
              dataclasses.replace(base, measured=base.measured[1:]), dataclasses.replace(base, blocking=("nope",)),
              dataclasses.replace(base, carried=(("0.9", ("nope",)),))]
    for damaged in (b"j" + zlib.compress(b'"not a summary"'), b"s" + zlib.compress(b"text"), b"\x00",
                    *(b"j" + zlib.compress(SUMMARY.dumps(x).encode()) for x in edited)):
        with cache._db:
            cache._db.execute("UPDATE entries SET value = ? WHERE key = ?", (damaged, key))
        again = load_project(history, Cache(history)).evaluations(DAY)
        assert not isinstance(again[0], Summarised) and again[0] == e and again[0].results == e.results
    assert good is not None


def test_an_unchanged_rebuild_of_a_git_history_reads_no_releases_items(tmp_path, monkeypatch):
    history = tmp_path / "lumen"
    subprocess.run([sys.executable, str(ROOT / "examples" / "replay.py"), str(history)], check=True,
                   capture_output=True)
    build(history, tmp_path / "site")
    made, read = _counting(monkeypatch)
    build(history, tmp_path / "site")
    releases = len(list((history / "results").glob("*.yaml")))
    # As launched, a release is its summary when HEAD holds it as launched, and checked on the day of a
    # sign-off, its summary of that day: no release's items are read (all 14 of the example's were).
    assert releases == 14 and made == [] and read == [], (made, read)


def test_a_cached_head_of_another_file_is_a_miss_and_a_damaged_release_is_mended(tmp_path):
    history = tmp_path / "history"
    write_history(history, 2)
    build(history, tmp_path / "site")
    cache = Cache(history)
    project = load_project(history, cache)
    release = project.releases[0]
    entry = project.keys[release.name]
    forged = b"j" + zlib.compress(HEAD.dumps((dataclasses.replace(head(release), sha256="0" * 64), ())).encode())
    with cache._db:
        cache._db.execute("UPDATE entries SET value = ? WHERE key = ?", (forged, head_key(entry)))
        cache._db.execute("UPDATE entries SET value = ? WHERE key = ?", (b"j" + zlib.compress(b"[]"), entry))
    again = load_project(history, Cache(history)).releases[0]
    assert not isinstance(again, Loaded) and again == release  # loaded from its file, not from the head
    output = build(history, tmp_path / "site")
    assert "changed while the site was being built" not in output
    fresh = Cache(history)
    assert fresh.get(entry, LOADED)[0] == release and fresh.get(head_key(entry), HEAD)[0].sha256 == release.sha256


def test_hashing_or_showing_a_lazy_release_or_evaluation_reads_nothing(tmp_path):
    history = tmp_path / "history"
    write_history(history, 1)
    [release] = load_project(history).releases
    e = evaluate(release, _load_checklist(history), DAY)
    lazy = Summarised.of(Loaded.of(head(release), _never), e.checklist, summarise(e), _never)
    assert hash(lazy.release) == hash(release) and hash(lazy) == hash(e)
    assert release.sha256 in repr(lazy.release) and release.name in repr(lazy)
    loaded = Loaded.of(head(release), lambda: release.entries)
    assert {loaded: 1}[release] == 1  # equal, so found (comparing them reads the entries, as it must)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_loaded_entries_share_their_checklists_id_strings(tmp_path, monkeypatch, jobs):
    """Entries loaded here, in worker processes, or read back from the cache point at the checklist's own id
    strings rather than holding a copy each."""
    monkeypatch.setenv("READINESS_JOBS", jobs)
    history = tmp_path / "history"
    write_history(history, 60)
    cache = Cache(history, tmp_path / "cache")
    for build_number in range(2):
        project = load_project(history, cache)
        ids = project.checklists["production"].nodes
        releases = project.releases
        assert (type(releases[0]) is Loaded) == (build_number == 1)
        entries = [e for r in releases for e in r.entries]
        assert entries and all(e.target is ids[e.target].id for e in entries)
        cache.writer().close()
        cache = Cache(history, tmp_path / "cache")
