"""Page list: one function per page type, each yielding the outputs (path, template, context) of the docs tree."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Optional, Union

from generator import __version__
from generator.analyse import (DIFF_SECTIONS, STRIP_RELEASES, Diff, carried, diffs, item_histories, most_failed,
                               signers)
from generator.audit import HISTORY_RULES, AuditContext, audit
from generator.cache import key as cache_key
from generator.charts import all_charts
from generator.exports import (checklist_export, checklist_json, checklist_script, dumps_compact,
                               findings_json, release_json, release_script, releases_csv,
                               releases_json)
from generator.model import Checklist, Evaluation, Item, ItemResult
from generator.provenance import Repository
from generator.reasons import held_back, search_text, why
from generator.timeline import Timelines
from generator.summary import cached_findings


@dataclass(frozen=True)
class Output:
    """One file of the generated docs tree: a template with its context, or ready-made text (data exports)."""

    path: str  # relative to the docs directory, with forward slashes
    template: Optional[str] = None
    context: Union[dict, Callable[[], dict]] = field(default_factory=dict)  # or a function, called if rendered
    text: Optional[str] = None
    front: Optional[dict] = None  # front matter for a pre-rendered HTML page (see mkdocs_hooks.py)
    make: Optional[Callable[[], str]] = None  # ready-made text, made only when the cache does not have it
    key: Optional[str] = None  # hash of everything the output is made from: its build-cache entry (cache.py)
    static: bool = False  # a file no page links to through Markdown: placed in the site beside MkDocs' output
    # A Markdown page outside the navigation, so no other page's HTML depends on it: with a key, a rebuild
    # leaves it out of MkDocs when the last build finished it from the same inputs (hookstate.BuildState.skip).
    alone: bool = False


@dataclass(frozen=True)
class SiteData:
    """What every page sees: gathered once, before any page is made."""

    config: dict
    checklists: dict[str, Checklist]
    evaluations: tuple[Evaluation, ...]  # oldest first
    generated_on: dt.date
    diffs: Mapping = field(default_factory=dict)  # release name -> Diff against the previous release (analyse.Diffs)
    people: tuple = ()  # (name, [Signed, ...]) by name
    histories: dict = field(default_factory=dict)  # release name -> ReleaseHistory (timeline.py)
    revisions: dict = field(default_factory=dict)  # checklist name -> [ChecklistRevision]
    repository: Repository = field(default_factory=lambda: Repository(False, "not read"))
    findings: tuple = ()  # audit findings, errors first
    charts: Mapping = field(default_factory=dict)  # product -> trend charts (charts.Chart), in CHARTS order
    version: str = __version__
    tombstones: tuple = ()  # launched releases whose results file was deleted (timeline.Tombstone)
    incomplete: str = ""  # why the git history is incomplete ("" when it is whole)

    @classmethod
    def gather(cls, config: dict, checklists: dict[str, Checklist], evaluations, today: dt.date,
               histories: Optional[dict] = None, revisions: Optional[dict] = None,
               repository: Optional[Repository] = None, timelines: Optional[Timelines] = None,
               cache=None) -> "SiteData":
        """Everything pages need, computed once before any page is made (so every page sees the same data);
        with the build cache, each release's findings are the last build's where their inputs are the same."""
        evaluations = tuple(evaluations)
        repository = repository or Repository(False, "not read")
        t = timelines or Timelines(histories or {}, {})
        findings = audit(AuditContext(evaluations, t.histories, repository, config.get("audit", {}), t.launched,
                                      t.tombstones, t.incomplete, config.get("team")),
                         *([cached_findings(cache)] if cache is not None else []))
        return cls(config, checklists, evaluations, today, diffs(evaluations), tuple(signers(evaluations)),
                   t.histories, revisions or t.revisions, repository, tuple(findings),
                   ProductCharts(evaluations), tombstones=t.tombstones,
                   incomplete=t.incomplete if repository.available else repository.reason)

    @classmethod
    def of_project(cls, project, today: dt.date) -> "SiteData":
        """The site data of a loaded project, evaluated on `today` (for releases not launched)."""
        return cls.gather(project.config, project.checklists, project.evaluations(today), today,
                          repository=project.repository, timelines=project.timelines, cache=project.cache)

    @property
    def latest(self) -> Optional[Evaluation]:
        return self.evaluations[-1] if self.evaluations else None

    @functools.cached_property
    def products(self) -> tuple[str, ...]:
        """Products with releases: "" (results/ itself) first, then the folders of results/ by name."""
        return _products(self.evaluations)

    @functools.cached_property
    def by_product(self) -> dict[str, tuple[Evaluation, ...]]:
        """Each product's releases, oldest first: grouped once, since each product's pages need their own
        (filtering the whole history for each of 200 products took seconds)."""
        return _by_product(self.evaluations)

    def latest_of(self, product: str) -> Optional[Evaluation]:
        releases = self.by_product.get(product)
        return releases[-1] if releases else None

    @property
    def newest_first(self) -> tuple[Evaluation, ...]:
        return tuple(reversed(self.evaluations))


PRERENDERED = "readiness_prerendered"  # front matter key read by mkdocs_hooks.py


class ProductCharts(Mapping):
    """Each product's trend charts, made when a page first asks for them: a rebuild takes the pages of the
    products whose releases did not change from the cache, and their charts are then never drawn at all."""

    def __init__(self, evaluations: tuple[Evaluation, ...]):
        self._of = _by_product(evaluations)
        self._made: dict[str, tuple] = {}

    def __getitem__(self, product: str) -> tuple:
        if product not in self._made:
            self._made[product] = tuple(all_charts(list(self._of[product])))  # KeyError for another product
        return self._made[product]

    def __iter__(self):
        return iter(sorted(self._of))

    def __len__(self) -> int:
        return len(self._of)


def _products(evaluations) -> tuple[str, ...]:
    return tuple(sorted({e.release.product for e in evaluations}))


def _by_product(evaluations) -> dict[str, tuple[Evaluation, ...]]:
    grouped: dict[str, list[Evaluation]] = {}
    for e in evaluations:
        grouped.setdefault(e.release.product, []).append(e)
    return {product: tuple(group) for product, group in grouped.items()}


def product_label(product: str) -> str:
    """How a product is named on pages: its folder, or `results/` for files directly in results/."""
    return product or "results/"


def product_slug(product: str) -> str:
    """The URL segment of a product's pages; files directly in results/ use `-`, which no folder can be named."""
    return product or "-"


def _base(path: str) -> str:
    """The relative prefix from a page back to the site root (the site must work from file://)."""
    return "../" * path.count("/")


def _page(path: str, template: str, site: SiteData, **context) -> Output:
    return Output(path, template, dict(context, site=site, base=_base(path)))


def release_path(name: str) -> str:
    return f"releases/{name}/index.md"


HEADLINE_CHARTS = ("progress", "status-mix")  # chart ids shown on the dashboard


def _headline(site: SiteData, product: str) -> list:
    return [c for c in site.charts.get(product, ()) if c.id in HEADLINE_CHARTS]


# The dashboard lists the newest releases; /releases/ and each product's page list all of theirs (every release
# again on the front page was a second copy of /releases/: 9 MB at 10,000 releases).
DASHBOARD_RELEASES = 50


def dashboard(site: SiteData) -> Iterable[Output]:
    products = [(product_label(p), product_slug(p), site.latest_of(p)) for p in site.products]
    single = len(site.products) <= 1
    newest = site.newest_first
    listed = [(label, slug) for label, slug, _ in products]
    # Made of the releases' summaries and the settings alone, like a product's page: cached on them, so an
    # unchanged site draws no chart for it.
    yield Output("index.md", "dashboard.md.j2", functools.partial(
        _context, "index.md", site, latest=site.latest, products=products, single=single,
        evaluations=newest[:DASHBOARD_RELEASES], all_releases=len(newest),
        charts=functools.partial(_headline, site, site.products[0]) if single and site.products else [],
        trends="trends/index.html", heading=site.config["site_name"], product_pages=False),
        key=_product_key(site, "dashboard", "", site.evaluations, listed))
    if not single:
        for p in site.products:
            evaluations = tuple(reversed(site.by_product[p]))
            path = f"products/{product_slug(p)}/index.md"
            yield Output(path, "dashboard.md.j2", functools.partial(
                _context, path, site, latest=site.latest_of(p), products=products, single=True,
                evaluations=evaluations, all_releases=0, charts=functools.partial(_headline, site, p),
                trends=f"../../trends/{product_slug(p)}/index.html", heading=f"Product {product_label(p)}",
                product_pages=True),
                key=_product_key(site, "product-page", p, evaluations, listed), alone=True)


def trends_page(site: SiteData) -> Iterable[Output]:
    if len(site.products) <= 1:
        only = site.products[0] if site.products else ""
        yield Output("trends/index.md", "trends.md.j2", functools.partial(
            _context, "trends/index.md", site, charts=lambda: list(site.charts.get(only, ())), products=[],
            count=len(site.evaluations)), key=_product_key(site, "trends", only, site.evaluations))
        return
    links = [(product_label(p), product_slug(p)) for p in site.products]
    yield _page("trends/index.md", "trends.md.j2", site, charts=[], products=links, count=len(site.evaluations))
    for p in site.products:
        evaluations = site.by_product[p]
        path = f"trends/{product_slug(p)}/index.md"
        yield Output(path, "trends.md.j2", functools.partial(_context, path, site, charts=lambda p=p: list(site.charts[p]),
                                                             products=[], count=len(evaluations)),
                     key=_product_key(site, "trends", p, evaluations), alone=True)


def _context(path: str, site: SiteData, **context) -> dict:
    """A page's context as _page makes it, with the values given as functions called: made only when the page is
    rendered, not when the cache has it."""
    return dict({k: v() if callable(v) else v for k, v in context.items()}, site=site, base=_base(path))


def _product_key(site: SiteData, kind: str, product: str, evaluations: Iterable[Evaluation], *extra) -> str:
    """Cache key of a page about one product's releases: what each of them is evaluated from (as release_key)
    and the sign-offs the policy leaves uncounted, the site settings, and `extra`; a rebuild that adds or
    edits one release renders only its own product's pages again."""
    return cache_key(kind, product, [(_evaluated_from(e), sorted(e.uncounted.items())) for e in evaluations],
                     sorted(site.config.items()), *extra)


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a release page's item table: a group heading or an item with its result."""

    depth: int
    node: object
    result: Optional[ItemResult] = None
    # (by, date, evidence) of an item row that shows nothing else (no note, reason, measured value, details,
    # level or carried-over mark): most rows of a long release, written by the template's short branch.
    plain: Optional[tuple] = None


def _plain(r: ItemResult) -> Optional[tuple]:
    own, entry = r.own, r.entry
    if r.item.details or r.exempt or r.measured is not None or (own is not None and own.note) \
            or (entry is not None and (entry.carried_from or (entry is own and entry.reason))):
        return None
    return (own.by or "", own.date or "", own.evidence) if own is not None else ("", "", None)


def _rows(nodes, results: dict[str, ItemResult], depth: int = 0) -> list[Row]:
    rows: list[Row] = []
    for node in nodes:
        if isinstance(node, Item):
            result = results[node.id]
            rows.append(Row(depth, node, result, _plain(result) if result is not None else None))
        else:
            rows.append(Row(depth, node))
            rows.extend(_rows(node.children, results, depth + 1))
    return rows


def findings_by_release(site: SiteData) -> dict[Optional[str], list]:
    """Each release's findings, grouped once: every release page and bundle of a long history needs its own."""
    out: dict[Optional[str], list] = {}
    for f in site.findings:
        out.setdefault(f.release, []).append(f)
    return out


def _release_page_inputs(site: SiteData, e: Evaluation, findings: list) -> dict:
    """What a release page shows besides the evaluation itself. Its template sees only this, `e` and what
    is computed from them below, so these and the evaluation's inputs are all its cache key needs."""
    current = site.checklists.get(e.checklist.name)
    # The page says whether provenance was available, not which commit was built: HEAD is left out, so a
    # new commit does not change (and re-render) every release page.
    repo = dataclasses.replace(site.repository, head=None, head_date=None, dirty=())
    return dict(previous=_evaluated_from(site.diffs.previous(e.release.name)),
                history=site.histories.get(e.release.name), repo=repo, findings=findings,
                repo_url=site.config.get("repo_url"), unchecked_rules=HISTORY_RULES, team=site.config.get("team"),
                checklist_is_current=current is not None and current.sha256 == e.checklist.sha256)


def _evaluated_from(e: Optional[Evaluation]) -> Optional[tuple]:
    """What a release's evaluation is made from (its file, checklist version and day), standing in a key for
    what is computed from it: the changes since the previous release are a function of both releases'."""
    if e is None:
        return None
    r = e.release
    return (r.name, r.path, r.product, r.sha256, e.checklist.name, e.checklist.sha256, e.evaluated_on)


def release_key(site: SiteData, e: Evaluation, *extra) -> str:
    """Cache key of a release's outputs: the evaluation's inputs (results file, checklist version, the day
    it is evaluated on), the site settings, and `extra` (a page's other inputs); cache.key adds the
    generator's fingerprint, so a change to code or templates makes new keys."""
    return cache_key(*_evaluated_from(e), sorted(site.config.items()), *extra)


FILTERS = (("all", "all"), ("failed", "failed"), ("pending", "pending"), ("waived", "waived"), ("na", "n/a"),
           ("done", "done"))  # the item table's status filter: (css token, label)


def _release_context(site: SiteData, e: Evaluation, inputs: dict) -> dict:
    results = {r.item.id: r for r in e.results}
    sections = [(s, counts, _rows(s.children, results)) for (s, counts) in e.section_counts]
    criteria = [results[i.id] for i in e.checklist.criteria]
    path = release_path(e.release.name)
    # Entries for a section or group: shown once where the section or group starts, not on each of its rows.
    node_entries = {x.target: x for x in e.release.entries if not isinstance(e.checklist.nodes.get(x.target), Item)}
    c = e.counts
    filters = [(token, label, {"all": c.total, "failed": c.failed, "pending": c.pending, "waived": c.waived,
                               "na": c.na, "done": c.done}[token]) for token, label in FILTERS]
    diff = site.diffs.get(e.release.name, Diff(None, ()))  # computed here: only for a page being rendered
    return dict(inputs, e=e, diff=diff, sections=sections, why=why(e), held=held_back(e), criteria=criteria,
                diff_sections=DIFF_SECTIONS, base=_base(path), node_entries=node_entries, filters=filters,
                carried=carried(e), search=search_text(e))


def release_pages(site: SiteData) -> Iterable[Output]:
    findings = findings_by_release(site)
    for e in site.evaluations:
        inputs = _release_page_inputs(site, e, findings.get(e.release.name, []))
        key = release_key(site, e, "page", sorted(inputs.items()))
        # Release pages are HTML already: MkDocs takes them as they are instead of parsing them as Markdown.
        yield Output(release_path(e.release.name), "release.html.j2",
                     functools.partial(_release_context, site, e, inputs),
                     front={"title": f"Release {e.release.name}", PRERENDERED: True}, key=key)


def checklist_pages(site: SiteData) -> Iterable[Output]:
    for c in site.checklists.values():
        rows = [(s, _rows(s.children, {i.id: None for i in c.items})) for s in c.sections]
        histories = item_histories(site.evaluations, c.name)
        top = most_failed({i.id: histories[i.id] for i in c.items if i.id in histories})
        releases = sum(1 for e in site.evaluations if e.checklist.name == c.name)
        yield _page(f"checklists/{c.name}/index.md", "checklist.md.j2", site, c=c, sections=rows,
                    revisions=site.revisions.get(c.name, []), repo=site.repository, histories=histories,
                    most_failed=top, hot={h.item for h in top}, releases=releases, strip=STRIP_RELEASES)


def _compare_pair(site: SiteData) -> tuple[Optional[str], Optional[str]]:
    """The pair the compare page opens with: the latest release against the one before it of its product
    and checklist (or the release before it, whatever it is)."""
    latest = site.latest
    if latest is None:
        return None, None
    same = [e for e in site.evaluations[:-1]
            if (e.release.product, e.checklist.name) == (latest.release.product, latest.checklist.name)]
    before = same[-1] if same else (site.evaluations[-2] if len(site.evaluations) > 1 else latest)
    return before.release.name, latest.release.name


def compare_page(site: SiteData) -> Iterable[Output]:
    a, b = _compare_pair(site)
    yield _page("compare/index.md", "compare.md.j2", site, evaluations=site.newest_first, a=a, b=b,
                diff_sections=DIFF_SECTIONS)


def data_exports(site: SiteData) -> Iterable[Output]:
    evaluations = list(site.evaluations)
    # Compact, as every export: these grow with the history, and indenting made them a third larger.
    yield Output("data/releases.json", text=dumps_compact(releases_json(evaluations)))
    yield Output("data/releases.csv", text=releases_csv(evaluations))
    yield Output("data/findings.json", text=dumps_compact(findings_json(site.findings, len(evaluations))))
    revisions = {(e.checklist.name, e.checklist.sha256): e.checklist for e in evaluations}  # each revision once, shared
    for c in revisions.values():
        key = cache_key("checklist-export", c.name, c.path, c.sha256)
        yield Output(f"data/{checklist_export(c)}.json", make=functools.partial(_checklist_json_text, c), key=key,
                     static=True)
        yield Output(f"data/{checklist_export(c)}.js", make=functools.partial(checklist_script, c), key=key,
                     static=True)
    for e in evaluations:
        # A release's items as CSV are in its bundle only: the JSON has the same, and at 30 KB a release a
        # second copy on the site was a tenth of it (docs/decisions.md, "Site size").
        yield Output(f"data/releases/{e.release.name}.json", make=functools.partial(_release_json_text, e),
                     key=release_key(site, e, "data"), static=True)
        yield Output(f"data/releases/{e.release.name}.js", make=functools.partial(release_script, e),
                     key=release_key(site, e, "script"), static=True)


def _checklist_json_text(c: Checklist) -> str:
    return dumps_compact(checklist_json(c))


def _release_json_text(e: Evaluation) -> str:
    return dumps_compact(release_json(e))


BADGE_COLOURS = {"YES": "#2e7d32", "NEEDS REVIEW": "#a15c00", "NO": "#c62828"}


def _badge(e: Optional[Evaluation], label: str = "readiness") -> dict:
    """Shields-style geometry: text widths estimated from character counts (Verdana 11px averages ~6.6px)."""
    message = f"{e.release.name} {e.verdict} {e.progress:.1f}%" if e else "no releases"
    label_w = round(len(label) * 6.6) + 10
    message_w = round(len(message) * 6.6) + 10
    return {"label": label, "message": message, "label_w": label_w, "message_w": message_w,
            "width": label_w + message_w, "colour": BADGE_COLOURS.get(e.verdict, "#9e9e9e") if e else "#9e9e9e"}


def badges(site: SiteData) -> Iterable[Output]:
    yield Output("badge.svg", "badge.svg.j2", _badge(site.latest))
    for e in site.evaluations:
        yield Output(f"releases/{e.release.name}/badge.svg", "badge.svg.j2", functools.partial(_badge, e),
                     key=release_key(site, e, "badge"), static=True)


def nav(site: SiteData) -> list:
    """The navigation: a handful of fixed pages; release pages are reached from the releases index, not the nav."""
    items: list = [{"Dashboard": "index.md"}, {"Releases": "releases/index.md"}, {"Trends": "trends/index.md"},
                   {"Sign-offs": "signoffs/index.md"}]
    checklists = [{c.name: f"checklists/{c.name}/index.md"} for c in site.checklists.values()]
    if len(checklists) == 1:
        items.append({"Checklist": next(iter(checklists[0].values()))})
    else:
        items.append({"Checklists": checklists})
    items.append({"Compare": "compare/index.md"})
    items.append({"Audit": "audit/index.md"})
    return items
