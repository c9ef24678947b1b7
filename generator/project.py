"""Find and load a readiness repository: settings, every checklist and every results file, all problems at once."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from generator.cache import Cache
from generator.cache import key as cache_key
from generator.cachecodec import LOADED
from generator.checklist import load_checklist
from generator.errors import InputError, Location, Problem, Problems, display_path
from generator.merge import evaluate, evaluation_date, release_order
from generator.model import Checklist, Evaluation, Release
from generator.people import read_team, uncounted
from generator.parallel import WorkerLost, parallel_map
from generator.history import GitHistory
from generator.provenance import Repository
from generator.results import YamlReader, YamlScalar, YamlSeq, parse_yaml
from generator.timeline import ReleaseHistory, TimelineBuilder, Timelines, build_timelines, future_dates, latest_date
from generator.discover import case_clash, checklist_sources, is_results_file, result_folders
from generator.source import MAX_INPUT_BYTES, read_input, read_regular
from generator.summary import HEAD, Loaded, evaluate_cached, head, head_key

CONFIG_FILE = "readiness.yml"
CONFIG_KEYS = ("site_name", "site_description", "site_url", "repo_url", "copyright", "audit", "people", "groups", "policy")
TEAM_KEYS = ("people", "groups", "policy")
AUDIT_KEYS = ("evidence_required", "signed_commits")
DEFAULT_SITE_NAME = "Launch readiness"
_UNSAFE_CONFIG = re.compile(r"[<>\"&`\x00-\x1f]")


@dataclass(frozen=True)
class Project:
    """Everything the site is built from, loaded and validated."""

    root: Path
    config: dict
    checklists: dict[str, Checklist]  # as in the working tree
    releases: tuple[Release, ...]
    warnings: tuple[Problem, ...] = field(default=())
    versions: dict = field(default_factory=dict)  # release name -> the Checklist version it is evaluated against
    timelines: Timelines = field(default_factory=lambda: Timelines({}, {}))  # the history stage's output
    repository: Repository = field(default_factory=lambda: Repository(False, "not read"))
    history_warning: Optional[Problem] = None  # incomplete history: `build` warns once, `build --strict` fails
    uncounted: dict = field(default_factory=dict)  # release name -> {role: why its sign-off does not count}
    cache: Optional[Cache] = field(default=None, compare=False, repr=False)  # evaluations are summarised in it
    keys: dict = field(default_factory=dict, compare=False, repr=False)  # release name -> its file's cache key

    @property
    def histories(self) -> dict[str, ReleaseHistory]:
        return self.timelines.histories

    @property
    def revisions(self) -> dict:
        return self.timelines.revisions

    def checklist_of(self, release: Release) -> Checklist:
        return self.versions.get(release.name) or self.checklists[release.checklist]

    def evaluations(self, today: Optional[dt.date] = None) -> list[Evaluation]:
        """Every release evaluated against its checklist version, oldest first (the last is the latest); with
        the build cache, those the last build evaluated from the same inputs come as summaries (summary.py)."""
        out = []
        for r in self.releases:
            checklist, uncounted = self.checklist_of(r), self.uncounted.get(r.name)
            make = functools.partial(evaluate, r, checklist, today, uncounted)
            if self.cache is None:
                out.append(make())
            else:
                out.append(evaluate_cached(self.cache, self.keys.get(r.name), r, checklist,
                                           evaluation_date(r, today), uncounted or {}, make))
        return release_order(out)


class _ChecklistsAt(Mapping):
    """The checklists as they were at one commit (the working tree's where the commit had none)."""

    def __init__(self, current: dict[str, Checklist], at: dict[str, Checklist]):
        self._current, self._at = current, at

    def __getitem__(self, name: str) -> Checklist:
        return self._at.get(name) or self._current[name]

    def __iter__(self):
        return iter(self._current)

    def __len__(self) -> int:
        return len(self._current)


def load_config(root: Path, problems: Problems) -> dict:
    """readiness.yml: optional site settings; unknown keys and markup characters are errors."""
    config = {"site_name": DEFAULT_SITE_NAME}
    path = root / CONFIG_FILE
    if not os.path.lexists(path):  # a link, even a dangling one, is refused rather than ignored
        return config
    try:
        read = read_input(path, CONFIG_FILE, "settings")
    except InputError as exc:
        problems.extend(exc.problems)
        return config
    node = parse_yaml(read[0], CONFIG_FILE, problems)
    if node is None:
        return config
    reader = YamlReader(CONFIG_FILE, problems)
    fields = reader.mapping(node, "", CONFIG_KEYS)
    config["team"] = read_team(reader, *(fields.get(k) for k in TEAM_KEYS))
    for key, (_, value_node) in fields.items():
        if key in TEAM_KEYS:
            continue
        if key == "audit":
            config["audit"] = _audit_config(reader, value_node)
            continue
        value = reader.text(value_node, key)
        if value is None:
            continue
        if _UNSAFE_CONFIG.search(value):
            reader.error(value_node.loc, key, "must not contain < > \" & ` or control characters")
            continue
        if key in ("site_url", "repo_url") and not re.match(r"https?://[^\s]+\Z", value):
            reader.error(value_node.loc, key, "must be an http:// or https:// address")
            continue
        config[key] = value
    return config


def _audit_config(reader: YamlReader, node) -> dict:
    """`audit:` settings: sections or groups whose done items need evidence, and whether commits must be signed."""
    out: dict = {"evidence_required": (), "signed_commits": False}
    for key, (_, value) in reader.mapping(node, "audit", AUDIT_KEYS).items():
        if key == "signed_commits":
            if not (isinstance(value, YamlScalar) and value.value in ("true", "false")):
                reader.error(value.loc, "audit.signed_commits", "expected true or false")
                continue
            out[key] = value.value == "true"
        else:
            if not isinstance(value, YamlSeq):
                reader.error(value.loc, "audit.evidence_required", "expected a list of section or group ids")
                continue
            ids = [reader.text(v, "audit.evidence_required") for v in value.items]
            out[key] = tuple(i for i in ids if i)
    return out


def load_project(root: Path, cache: Optional[Cache] = None) -> Project:
    """Load settings, checklists and results under `root`; raises InputError listing every problem.

    With a `cache`, a results file whose bytes, path and checklists are those of the last build is taken
    as that build loaded it (with its warnings) instead of being parsed and checked again."""

    problems = Problems()
    if not root.is_dir():
        raise InputError([Problem(Location(str(root)), "no such directory; point --root at a readiness repository")])
    config = load_config(root, problems)

    checklists: dict[str, Checklist] = {}
    broken: set[str] = set()
    refused = len(problems.errors)
    sources = checklist_sources(root, problems, broken)
    if not sources and len(problems.errors) == refused:
        problems.error(Location("checklists/"), "no checklist found; add one such as checklists/production.md")
    for path in sources:
        shown = display_path(path, root)
        try:
            checklist, warnings = load_checklist(path, shown)
        except InputError as exc:
            problems.extend(exc.problems)
            broken.add(path.stem)
            continue
        problems.extend(warnings)
        checklists[checklist.name] = checklist

    team = config.get("team")
    history = GitHistory(root, team.allowed_signers() if team else "")
    signed_commits = bool(team and config.get("audit", {}).get("signed_commits"))
    reader = TimelineBuilder(history, root, launch_signers=signed_commits)
    for message in history.problems:
        problems.warning(Location(".git"), message)
    releases: list[Release] = []
    folders = result_folders(root, problems)
    versions: dict[str, Checklist] = {}
    keys: dict[str, str] = {}  # release name -> its loaded file's cache key
    # File checks first, in order; then the files are loaded (in parallel when there are many); then
    # everything is put together in the same order, so problems and pages do not depend on the workers.
    slots: list = []  # per file: a list of problems found before loading, or a _ResultsFile to load
    for product, folder, entries in folders:
        by_folded: dict[str, str] = {}
        where = display_path(folder, root)
        stems = {p.stem.casefold(): f"{where}/{p.name}" for p, _ in entries if p.suffix == ".yaml"}
        for path, st in entries:
            shown = f"{where}/{path.name}"  # not display_path: that would follow a link to where it points
            local = Problems()
            if not is_results_file(path, st, shown, product, local):
                slots.append(local.items)
                continue
            clash = case_clash(by_folded, path.stem, shown, "release")
            if clash:
                local.error(Location(shown), clash)
                slots.append(local.items)
                continue
            slots.append(_ResultsFile(path, shown, _checklists_for(reader, shown, checklists), stems, product,
                                      frozenset(broken)))
    loaded = iter(_load_releases([s for s in slots if isinstance(s, _ResultsFile)], cache))
    for slot in slots:
        if not isinstance(slot, _ResultsFile):
            problems.extend(slot)
            continue
        release, found, entry = next(loaded)
        problems.extend(found)
        if release is not None:
            releases.append(release)
            versions[release.name] = slot.view[release.checklist]
            if entry is not None:
                keys[release.name] = entry
    problems.extend(future_dates(releases, latest_date()))
    if problems.errors:
        history.close()
    problems.raise_if_errors()
    reader.evaluate_head = _evaluator(cache if cache is not None and cache.usable else None, keys)
    timelines = build_timelines(reader, releases, versions)
    problems.extend(reader.warnings)
    timelines, discounted = _apply_policy(timelines, releases, team, signed_commits, reader.evaluate_head)
    return Project(root, config, checklists, tuple(releases), tuple(problems.warnings), versions, timelines,
                   history.repo, _history_warning(history), discounted, cache if cache is not None and cache.usable
                   else None, keys)


def _evaluator(cache: Optional[Cache], keys: dict):
    """How a release of the working tree is evaluated: from the build cache's summary when the last build
    evaluated the same inputs (summary.evaluate_cached), else by merge.evaluate."""

    def evaluated(release: Release, checklist: Checklist, today: Optional[dt.date] = None,
                  uncounted: Optional[dict] = None) -> Evaluation:
        make = functools.partial(evaluate, release, checklist, today, uncounted)
        if cache is None:
            return make()
        return evaluate_cached(cache, keys.get(release.name), release, checklist, evaluation_date(release, today),
                               uncounted or {}, make)

    return evaluated


def _apply_policy(timelines: Timelines, releases, team, signed_commits: bool,
                  evaluated=evaluate) -> tuple[Timelines, dict]:
    """The sign-offs that do not count under the policy, now and as launched; the launch verdicts re-judged."""
    if team is None:
        return timelines, {}
    now, launched, histories = {}, dict(timelines.launched), dict(timelines.histories)
    for r in releases:
        h = histories.get(r.name)
        commits = {role: s.commit for role, s in h.signoffs.items()} if h is not None else {}
        now[r.name] = uncounted(team, r.signoffs, commits, signed_commits)
        e = launched.get(r.name)
        if e is None or h is None or h.launch is None:
            continue
        at_launch = uncounted(team, e.release.signoffs, h.launch.signoff_commits, signed_commits)
        if at_launch:
            e = launched[r.name] = (evaluated if e.release is r else evaluate)(e.release, e.checklist, None, at_launch)
            histories[r.name] = dataclasses.replace(h, launch=dataclasses.replace(h.launch, verdict=e.verdict,
                                                                                  progress=e.progress))
    return dataclasses.replace(timelines, histories=histories, launched=launched), {k: v for k, v in now.items() if v}


def _checklists_for(reader: TimelineBuilder, shown: str, current: dict[str, Checklist]) -> "_ChecklistsAt":
    """The checklists as the results file's last commit holds them (the working tree's when it has uncommitted
    changes): each results file is checked and evaluated against the checklist it was committed with."""
    history = reader.gh
    if history.dirty(shown):
        return _ChecklistsAt(current, {})
    at = reader.checklists_at(history.current(shown))
    return _ChecklistsAt(current, {name: at[name] for name in current if name in at})


def _history_warning(history: GitHistory) -> Optional[Problem]:
    if not history.incomplete:
        return None
    return Problem(Location(".git"), f"the git history is incomplete ({history.incomplete}): the audit cannot check "
                   "the releases as launched, sign-offs as given or edits after them; build from a clone with "
                   "full history (git fetch --unshallow; fetch-depth: 0 in CI)", "warning")


@dataclass(frozen=True)
class _ResultsFile:
    """One results file to load, with the checklists as they were at its last commit."""

    path: Path
    shown: str
    view: Mapping
    stems: dict  # case-folded release names of its folder -> file, to name the other file of a duplicate
    product: str
    broken: frozenset  # checklists that failed to parse

    def cache_entry(self) -> tuple[Optional[str], str]:
        """The file's cache key (its bytes, path and checklists) and its bytes' SHA-256, or (None, "") when it
        cannot be read as one."""
        try:
            data = read_regular(self.path, self.shown, MAX_INPUT_BYTES, "")
        except InputError:  # loading it reports why
            return None, ""
        checklists = tuple((name, self.view[name].sha256) for name in self.view)
        sha256 = hashlib.sha256(data).hexdigest()
        return cache_key("release", self.shown, self.product, sha256, checklists, sorted(self.broken)), sha256

    def load(self) -> tuple[Optional[Release], list[Problem]]:
        from generator.results import load_release

        problems = Problems()
        release = load_release(self.path, self.shown, self.view, problems, self.broken, self.stems, self.product)
        return release, problems.items


def _load_releases(files: list[_ResultsFile], cache: Optional[Cache]) -> list[tuple[Optional[Release], list, Optional[str]]]:
    """(release or None, problems, cache key) per file, in order: from the cache where the last build loaded
    the same inputs, the others read and checked, by several processes when there are many. A release from
    the cache comes without its entries, read back only when something needs them (summary.Loaded)."""
    done: list = [None] * len(files)
    entries: list[Optional[str]] = [None] * len(files)
    todo = []
    use = cache is not None and cache.usable
    for i, f in enumerate(files):
        entries[i], sha256 = f.cache_entry() if use else (None, "")
        hit = cache.get(head_key(entries[i]), HEAD) if entries[i] else None
        # A head must be of this very file (the key says so; a damaged entry may not): else it is a miss.
        if hit is not None and hit[0] is not None and (hit[0].sha256, hit[0].path, hit[0].product) == \
                (sha256, f.shown, f.product) and cache.has(entries[i]):
            done[i] = (Loaded.of(hit[0], functools.partial(_entries_of, cache, entries[i], f, sha256)),
                       list(hit[1]), entries[i])
        else:
            todo.append(i)
    try:
        results = parallel_map(_ResultsFile.load, [files[i] for i in todo])
    except WorkerLost:
        raise InputError([Problem(Location("results/"), "a process loading results files ended abruptly (killed, "
                                  "or out of memory); build again, or with READINESS_JOBS=1 to load them in one "
                                  "process")]) from None
    for i, (release, found) in zip(todo, results):
        if release is not None:
            share_ids(release.entries, files[i].view.get(release.checklist))
        done[i] = (release, found, entries[i])
        if entries[i] and release is not None and not any(p.is_error for p in found):
            cache.put(entries[i], (release, tuple(found)), LOADED)
            cache.put(head_key(entries[i]), (head(release), tuple(found)), HEAD)
    return done


def share_ids(entries: tuple, checklist: Optional[Checklist]) -> tuple:
    """Point entries' targets at their checklist's own id strings, which are equal to them: a release loaded
    in another process, or decoded from the cache, has a string of its own per entry (15 KB a release of
    211 items; 150 MB at 10,000 releases) for ids every release of the checklist shares."""
    ids = checklist.nodes if checklist is not None else {}
    for e in entries:
        node = ids.get(e.target)
        if node is not None and node.id is not e.target:
            object.__setattr__(e, "target", node.id)  # the same value: the entry's equality and hash are unchanged
    return entries


def _entries_of(cache: Cache, entry: str, f: _ResultsFile, sha256: str) -> tuple:
    """A cached release's entries: as the last build loaded them, or (that entry gone) loaded again from its
    file, which must still be the one the release was read from."""
    hit = cache.get(entry, LOADED)
    if hit is not None and hit[0] is not None and hit[0].sha256 == sha256:
        return share_ids(hit[0].entries, f.view.get(hit[0].checklist))
    release, found = f.load()
    if release is None or release.sha256 != sha256:
        raise InputError([Problem(Location(f.shown), "changed while the site was being built; build again")])
    if cache.usable:  # a damaged entry is mended, not read around in every build after
        cache.put(entry, (release, tuple(found)), LOADED)
    return release.entries
