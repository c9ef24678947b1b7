"""Analyse stage, kept between builds: each release's evaluation in brief and its audit findings, cached on
exactly their inputs, so that a rebuild reads a few hundred bytes of an unchanged release instead of its items.

A long history changes one results file at a time. Every page about many releases (indexes, charts, item
histories, the audit) needs only a summary of each: its verdict, counts, reasons, sign-offs, each item's
status, criterion values. A release the last build evaluated from the same inputs comes back as a
`Summarised` evaluation: an Evaluation whose summary is at hand and whose item results, like its
release's entries (`Loaded`), are made only when something asks for them (its page, when that changed).
What they are then made of is what the summary was: the same bytes, checked by the cache key (a results
file changed under a running build is refused, not mixed in).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from typing import Any, Callable, Optional

from generator.cache import Cache
from generator.cache import key as cache_key
from generator.cachecodec import Shape
from generator.errors import Problem
from generator.model import STATUSES, VERDICTS, Checklist, Counts, Evaluation, Release, Summary

SUMMARY = Shape(Summary)


def summarise(e: Evaluation) -> Summary:
    """What the pages about many releases need of one evaluation, and all an Evaluation holds but its items."""
    return Summary(e.evaluated_on, e.counts, tuple(c for _, c in e.section_counts), e.verdict, e.reasons,
                   e.blocking, e.unsigned, tuple(e.uncounted.items()), e.statuses, e.measured,
                   e.first_record, e.carried, e.expiring)


def _same(self, other) -> bool:
    """Equality as the dataclass has it, with its lazy subclass: the same fields, whichever made them."""
    base = next(c for c in type(self).__mro__ if "__dataclass_fields__" in c.__dict__)
    if not isinstance(other, base):
        return NotImplemented
    names = [f.name for f in dataclasses.fields(base) if f.compare]
    return all(getattr(self, n) == getattr(other, n) for n in names)


_HEAD_FIELDS = tuple(f.name for f in dataclasses.fields(Release) if f.name != "entries")


class Loaded(Release):
    """A Release whose entries are read back from the build cache when something first asks for them."""

    entries = functools.cached_property(lambda self: self.__dict__["_entries"]())
    __eq__ = _same
    __hash__ = Release.__hash__

    def __repr__(self) -> str:  # the entries are the file's: its bytes' hash names them without reading them
        return f"Loaded(name={self.name!r}, path={self.path!r}, product={self.product!r}, sha256={self.sha256!r})"

    @classmethod
    def of(cls, head: Release, entries: Callable[[], tuple]) -> "Loaded":
        """`head` (a Release stored without its entries) with `entries()` giving them when needed."""
        obj = object.__new__(cls)
        obj.__dict__.update({name: getattr(head, name) for name in _HEAD_FIELDS}, _entries=entries)
        return obj


class Summarised(Evaluation):
    """An Evaluation made from its Summary, whose item results are evaluated when first asked for."""

    results = functools.cached_property(lambda self: self.__dict__["_full"]().results)
    __eq__ = _same
    __hash__ = Evaluation.__hash__

    def __repr__(self) -> str:
        return (f"Summarised(release={self.release!r}, checklist={self.checklist.name!r}, "
                f"checklist_sha256={self.checklist.sha256!r}, evaluated_on={self.evaluated_on!r}, "
                f"verdict={self.verdict!r})")

    @classmethod
    def of(cls, release: Release, checklist: Checklist, s: Summary, full: Callable[[], Evaluation]) -> "Summarised":
        obj = object.__new__(cls)
        signed = {x.role: x for x in release.signoffs}
        obj.__dict__.update(
            release=release, checklist=checklist, evaluated_on=s.evaluated_on, counts=s.counts,
            section_counts=tuple(zip(checklist.sections, s.sections)), verdict=s.verdict, reasons=s.reasons,
            blocking=s.blocking, unsigned=s.unsigned, signoffs={r.id: signed.get(r.id) for r in checklist.roles},
            uncounted=dict(s.uncounted), statuses=s.statuses, measured=s.measured, first_record=s.first_record,
            carried=s.carried, expiring=s.expiring, _full=full)
        return obj


def head(release: Release) -> Release:
    """The release as the build cache keeps it apart from its entries, to be read back cheaply (Loaded)."""
    return Release(**{name: getattr(release, name) for name in _HEAD_FIELDS}, entries=())  # never a Loaded


HEAD = Shape(tuple[Optional[Release], tuple[Problem, ...]])  # a release without its entries, the file's problems


def head_key(entry: str) -> str:
    """Cache key of a loaded file's head, beside its whole release under `entry`."""
    return cache_key("head", entry)


def evaluation_key(entry: str, checklist: Checklist, on: dt.date, uncounted: dict) -> str:
    """Cache key of a release's evaluation: its loaded file's key (bytes, path, checklists), the checklist
    version it is evaluated against, the day, and the sign-offs the policy leaves uncounted."""
    return cache_key("evaluation", entry, checklist.name, checklist.path, checklist.sha256, on,
                     sorted(uncounted.items()))


def evaluate_cached(cache: Cache, entry: Optional[str], release: Release, checklist: Checklist,
                    on: dt.date, uncounted: dict, evaluate: Callable[[], Evaluation]) -> Evaluation:
    """The release's evaluation: summarised from the cache when the last build evaluated the same inputs,
    else made by `evaluate()` and its summary kept for the next build."""
    if entry is None or not cache.usable:
        return evaluate()
    key = evaluation_key(entry, checklist, on, uncounted)
    s = cache.get(key, SUMMARY)
    if s is not None and fits(s, checklist):
        return Summarised.of(release, checklist, s, evaluate)
    e = evaluate()
    cache.put(key, summarise(e), SUMMARY)
    return e


def fits(s: Summary, checklist: Checklist) -> bool:
    """Whether a stored summary can be one of a release evaluated against `checklist`: a damaged or edited
    entry that does not is a miss, not a page that contradicts the release's own."""
    known, roles = checklist.nodes, checklist.role_ids  # its own index of node ids: nothing built per release
    statuses = tuple("waived" if x == "expired" else x for x in s.statuses)
    return (s.verdict in VERDICTS and len(s.statuses) == len(checklist.items)
            and set(statuses) <= set(STATUSES) and Counts.tally(statuses) == s.counts
            and len(s.sections) == len(checklist.sections) and sum(s.sections, Counts()) == s.counts
            and [i for i, _, _ in s.measured] == [i.id for i in checklist.items if i.criterion is not None]
            and all(i in known for _, items in s.carried for i in items) and all(i in known for i in s.blocking)
            and all(r in roles for r in s.unsigned) and all(r.target in known or r.target in roles for r in s.reasons))


def findings_key(ctx, e: Evaluation) -> str:
    """Cache key of one release's audit findings: its evaluation's inputs (and as launched), its history, the
    audit settings, the team and whether the history could be read."""
    r, launched = e.release, ctx.launched.get(e.release.name)

    def inputs(x: Optional[Evaluation]) -> Any:
        if x is None:
            return None
        return (x.release.name, x.release.path, x.release.product, x.release.sha256, x.checklist.name,
                x.checklist.sha256, x.evaluated_on, sorted(x.uncounted.items()))

    repo = ctx.repository
    return cache_key("findings", inputs(e), inputs(launched), ctx.history(e), sorted(ctx.config.items()), ctx.team,
                     repo.available, repo.reason, repo.shallow, r.name)


def findings_text(findings: list) -> str:
    return json.dumps([f.as_json() for f in findings], ensure_ascii=False, separators=(",", ":"))


def findings_from(text: str) -> Optional[list]:
    """The findings findings_text wrote, or None for anything else."""
    from generator.audit import Finding

    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    keys = ("rule", "severity", "release", "message")
    if type(data) is not list or not all(type(d) is dict and all(type(d.get(k)) is str for k in keys)
                                         and type(d.get("evidence")) is dict for d in data):
        return None
    return [Finding(d["rule"], d["severity"], d["release"], d["message"], d["evidence"]) for d in data]


def cached_findings(cache: Cache) -> Callable:
    """audit.release_findings through the cache: a release's findings are the last build's when all they are
    made of is the same. Fresh ones go through the same JSON, so both ways give equal findings."""
    from generator.audit import release_findings

    def of_release(ctx, e: Evaluation) -> list:
        key = findings_key(ctx, e)
        text = cache.get(key)
        found = findings_from(text) if text is not None else None
        if found is None:
            fresh = release_findings(ctx, e)
            text = findings_text(fresh)
            found = findings_from(text)
            if found is None:  # not of the shape kept (no rule makes one): used as made, not kept
                return fresh
            cache.put(key, text, None)
        return found

    return of_release
