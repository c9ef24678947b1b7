"""Charts stage: evaluated releases -> SVG trend charts with their numbers; one function per chart, listed in CHARTS.

Geometry is computed here, once per release (linear in the number of releases); the markup lives in
`templates/charts/`. Every number reaching a template is already a string with fixed precision, so the
same input gives the same bytes. The chart is always the same width: with many releases the bars get
thinner and the x-axis labels are thinned to at most MAX_LABELS, so 3 or 3,000 releases stay readable.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Optional, Sequence, Union

from markupsafe import Markup

from generator.model import Counts, Evaluation, Item
from generator.render import environment

# viewBox width: fixed, whatever the number of releases. Narrow, so that the chart scaled to a phone's
# width (about 340 px) still shows 12-unit text at 10 px; charts.css caps it at 32rem on wider screens.
WIDTH = 420
LEFT = 56  # room for y-axis tick labels
RIGHT = 16
TOP = 34  # room for the y-axis title and the legend above the plot
PLOT_H = 150
LEGEND_LINE = 16  # a legend too wide for one line goes on as many as it needs; the plot moves down
HEAT_ROW = 18  # heat map: height of one section row
HEAT_LEFT = 190  # heat map: room for section names
MAX_LABELS = 18  # x-axis labels shown at most: slanted at SLANT, 18 over the plot's width do not touch
LABEL_CHARS = 12  # longer release names are cut with an ellipsis on the axis (tooltips and tables keep them whole)
SECTION_CHARS = 25
CHAR_W = 7.0  # average glyph width at the 12-unit font size (charts.css), to decide whether x labels must slant
SLANT = 40  # degrees
LABEL_GAP = 19  # x-axis units between labels at least: a 12-unit line slanted at SLANT needs 12 / sin(SLANT)
GAP = "—"  # a table cell without a value


# --- what templates and pages get ------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    """One rendered chart: its SVG and the same numbers as a table (one row per release, release name first)."""

    id: str  # unique on a page, usable as an HTML id
    title: str
    desc: str
    svg: Markup
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Tick:
    pos: str  # y for a y tick, x for an x label
    text: str
    full: str = ""  # an x label's untruncated text


@dataclass(frozen=True, slots=True)
class LegendEntry:
    x: str  # left edge of the swatch; the template places swatch and text relative to it
    y: str  # top of the swatch
    cls: str
    shape: str  # "rect", "circle", "square" or "line"
    text: str


@dataclass(frozen=True)
class Frame:
    """Everything around the marks: view box, plot area, axes, labels and legend."""

    width: str
    height: str
    x0: str
    x1: str
    y0: str  # top of the plot area
    y1: str  # bottom of the plot area (the x axis)
    tick_x: str  # right edge of y tick labels (and heat map row labels)
    y_title: str
    y_ticks: tuple[Tick, ...]
    x_labels: tuple[Tick, ...]
    label_y: str
    angle: str  # x labels' rotation in degrees, "" when they fit level
    legend: tuple[LegendEntry, ...]
    shift: str = "0"  # how far the plot is moved down to make room for a legend on several lines


@dataclass(frozen=True, slots=True)
class Rect:
    x: str
    y: str
    w: str
    h: str
    cls: str


@dataclass(frozen=True, slots=True)
class Column:
    """One release in a bar chart: a full-height hover area, its tooltip and its stacked bars."""

    release: str
    tip: str
    hit: Rect
    bars: tuple[Rect, ...]


@dataclass(frozen=True, slots=True)
class Point:
    release: str
    x: str
    y: str
    cls: str
    tip: str
    shape: str = "circle"  # or "square", so that marks differ by more than colour


@dataclass(frozen=True, slots=True)
class Series:
    """One line of a line chart: its path (broken at gaps) and its markers."""

    name: str
    cls: str
    path: str
    points: Iterable[Point]  # made one at a time while the template renders


@dataclass(frozen=True, slots=True)
class Threshold:
    path: str  # a level line; it steps where a checklist version changed the threshold
    text: str
    text_x: str
    text_y: str


@dataclass(frozen=True, slots=True)
class HeatColumn:
    """One release in the heat map: its x and its cells as (y, class, tooltip), one per section it has."""

    release: str
    x: str
    cells: Iterable[tuple[str, str, str]]


# --- small helpers ---------------------------------------------------------------------------------


def _n(x: float) -> str:
    """A coordinate or value with at most two decimals and no trailing zeros: stable, short output."""
    s = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _value(x: float) -> str:
    """A measured value as displayed: up to three decimals, no trailing zeros."""
    s = f"{x:.3f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _pct(x: float) -> str:
    return f"{x:.1f} %"


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _span(names: Sequence[str]) -> str:
    """`14 releases from 1.0.0 to 3.2.0`, for descriptions."""
    if not names:
        return "no releases"
    if len(names) == 1:
        return f"1 release, {names[0]}"
    return f"{len(names)} releases from {names[0]} to {names[-1]}"


def nice_ticks(lo: float, hi: float, count: int = 5, integer: bool = False) -> list[float]:
    """Round tick values (steps of 1, 2, 2.5 or 5 times a power of ten) covering lo..hi."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo, hi = 0.0, 1.0
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw * (1 - 1e-9))
    if integer:
        step = max(1, math.ceil(step))
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    return [round(k * step, 9) for k in range(first, last + 1)]


def _svg(template: str, **context) -> Markup:
    """Render a chart template; its output is markup we made, with every piece of data escaped by Jinja."""
    # Each escaped piece is a Markup object, which the garbage collector tracks (plain str is not). Joining a
    # big chart's hundreds of thousands of them at once keeps them all alive, pushes them into the oldest
    # generation and sets off full collections of the whole heap (0.5 s each at 1,000 releases); copying each
    # piece to a plain str as it comes lets it go at once.
    pieces = environment().get_template(f"charts/{template}").generate(**context)
    return Markup("".join(map(str, pieces)).strip())


class _Layout:
    """Maps release indices to x and values to y inside a fixed plot area."""

    def __init__(self, names: Sequence[str], ticks: Sequence[float], x0: float = LEFT, plot_h: float = PLOT_H):
        self.names = list(names)
        self.n = len(self.names)
        self.x0, self.x1 = x0, WIDTH - RIGHT
        self.y0, self.y1 = TOP, TOP + plot_h
        self.band = (self.x1 - self.x0) / max(self.n, 1)
        self.ticks = list(ticks)
        self.lo, self.hi = (self.ticks[0], self.ticks[-1]) if self.ticks else (0.0, 1.0)

    def x(self, i: int) -> float:
        """The centre of release i's band."""
        return self.x0 + self.band * (i + 0.5)

    def y(self, value: float) -> float:
        return self.y1 - (value - self.lo) / (self.hi - self.lo) * (self.y1 - self.y0)

    def bar_width(self) -> float:
        # Few releases: a bar with air around it, at most 28 units. Many: bars touch and read as an area.
        return min(28.0, self.band * 0.7) if self.band >= 4 else self.band

    def marker(self) -> float:
        """Marker radius: smaller as releases get denser."""
        return max(1.2, min(4.0, self.band * 0.35))

    def label_step(self) -> int:
        """Label every release, or every k-th: at most MAX_LABELS, and never closer than LABEL_GAP (slanted
        labels closer than that would touch)."""
        if not self.n:
            return 1
        return max(-(-self.n // MAX_LABELS), math.ceil(LABEL_GAP / self.band - 1e-9))

    def label_indices(self) -> list[int]:
        """Evenly spaced releases to label (see label_step), always including the latest."""
        if not self.n:
            return []
        step = self.label_step()
        return list(range((self.n - 1) % step, self.n, step))

    def frame(self, y_title: str, legend: Sequence[tuple[str, str, str]], y_labels: Sequence[str] = ()) -> Frame:
        """Axes, labels and legend; the view box height grows only with slanted labels, never with releases."""
        indices = self.label_indices()
        labels = [_short(self.names[i], LABEL_CHARS) for i in indices]
        longest = max((len(t) for t in labels), default=0) * CHAR_W
        spacing = self.band * self.label_step()
        slant = longest > spacing - 6
        below = (longest * math.sin(math.radians(SLANT)) + 20) if slant else 22
        height = self.y1 + below + 4
        x_labels = tuple(Tick(_n(self.x(i)), text, self.names[i]) for i, text in zip(indices, labels))
        y_ticks = tuple(Tick(_n(self.y(v)), y_labels[k] if y_labels else _value(v)) for k, v in enumerate(self.ticks))
        entries, lines = _legend(legend, y_title)
        shift = LEGEND_LINE * (lines - 1)
        return Frame(_n(WIDTH), _n(height + shift), _n(self.x0), _n(self.x1), _n(self.y0), _n(self.y1),
                     _n(self.x0 - 6), y_title, y_ticks, x_labels, _n(self.y1 + (12 if slant else 15)),
                     _n(-SLANT) if slant else "", entries, _n(shift))


def _legend(entries: Sequence[tuple[str, str, str]], y_title: str) -> tuple[tuple[LegendEntry, ...], int]:
    """(class, shape, text) entries after the y-axis title, left-aligned, on as many lines as they need
    (widths are estimated from text length); with the number of lines."""
    out = []
    start = max(float(LEFT), len(y_title) * CHAR_W + 24)
    x, line = start, 0
    for cls, shape, text in entries:
        width = 14 + len(text) * CHAR_W
        if x > start and x + width > WIDTH - RIGHT:
            x, line = start, line + 1
        out.append(LegendEntry(_n(x), _n(4 + LEGEND_LINE * line), cls, shape, text))
        x += width + 14
    return tuple(out), line + 1


def _stacked(layout: _Layout, i: int, name: str, tip: str, parts: Sequence[tuple[str, float]]) -> Column:
    """A release's column: bars stacked from the axis up, zero parts left out."""
    w = layout.bar_width()
    left = layout.x(i) - w / 2
    bars = []
    base = 0.0
    for cls, value in parts:
        if value <= 0:
            continue
        top = layout.y(base + value)
        bars.append(Rect(_n(left), _n(top), _n(w), _n(layout.y(base) - top), cls))
        base += value
    hit = Rect(_n(layout.x0 + layout.band * i), _n(layout.y0), _n(layout.band), _n(layout.y1 - layout.y0), "rdc-hit")
    return Column(name, tip, hit, tuple(bars))


def _path(points: Sequence[Optional[tuple[float, float]]]) -> str:
    """An SVG path through the points, broken where a point is missing (a gap, not a zero)."""
    parts = []
    pen_down = False
    for p in points:
        if p is None:
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'}{_n(p[0])} {_n(p[1])}")
        pen_down = True
    return " ".join(parts)


@dataclass(frozen=True, slots=True)
class Marker:
    r: str  # circle radius
    square: str  # relative path drawing a square of the same size around the current point


def _marker(r: float) -> Marker:
    # The circle is a little smaller than the square, so a circle drawn on a square leaves its corners visible.
    return Marker(_n(r * 0.85), f"m{_n(-r)} {_n(-r)}h{_n(2 * r)}v{_n(2 * r)}h{_n(-2 * r)}z")


# --- the charts ------------------------------------------------------------------------------------
#
# Each chart first reduces every release to a few numbers (one small tuple per release), then hands the
# template generators that turn those numbers into marks one release at a time: the marks are never all
# held in memory at once, which keeps 1,000 releases fast and light on the garbage collector.

VERDICT_CLASSES = (("YES", "rdc-yes"), ("NEEDS REVIEW", "rdc-review"), ("NO", "rdc-no"))


def progress_chart(evaluations: Sequence[Evaluation]) -> Chart:
    """Progress per release as bars coloured by verdict."""
    data = [(e.release.name, e.verdict, e.counts, e.counts.progress) for e in evaluations]
    names = [d[0] for d in data]
    layout = _Layout(names, [0, 25, 50, 75, 100])
    colour = dict(VERDICT_CLASSES)
    columns = (_stacked(layout, i, name, f"{name}: {_pct(p)} ({verdict})", [(colour.get(verdict, "rdc-na"), p)])
               for i, (name, verdict, _, p) in enumerate(data))
    rows = tuple((name, verdict, str(c.done + c.waived), str(c.applicable), _pct(p)) for name, verdict, c, p in data)
    tally = {v: sum(1 for d in data if d[1] == v) for v, _ in VERDICT_CLASSES}
    desc = (f"Bar chart of progress (done and waived items as a share of applicable items) for {_span(names)}, "
            f"coloured by verdict: " + ", ".join(f"{n} {v}" for v, n in tally.items()) + ".")
    if data:
        desc += f" Latest, {names[-1]}: {_pct(data[-1][3])}, {data[-1][1]}."
    frame = layout.frame("progress", [(cls, "rect", v) for v, cls in VERDICT_CLASSES],
                         [f"{v:g} %" for v in layout.ticks])
    title = "Progress per release"
    svg = _svg("bars.svg.j2", id="progress", title=title, desc=desc, frame=frame, columns=columns)
    return Chart("progress", title, desc, svg, ("Release", "Verdict", "Done + waived", "Applicable", "Progress"), rows)


STATUS_PARTS = (("done", "rdc-done"), ("waived", "rdc-waived"), ("n/a", "rdc-na"), ("failed", "rdc-failed"),
                ("pending", "rdc-pending"))


def status_mix_chart(evaluations: Sequence[Evaluation]) -> Chart:
    """Item counts per release by status, stacked: done, waived, n/a, failed, pending."""
    data = [(e.release.name, (e.counts.done, e.counts.waived, e.counts.na, e.counts.failed, e.counts.pending))
            for e in evaluations]
    names = [d[0] for d in data]
    layout = _Layout(names, nice_ticks(0, max((sum(v) for _, v in data), default=1), integer=True))

    def mix(values) -> str:
        return ", ".join(f"{v} {label}" for v, (label, _) in zip(values, STATUS_PARTS))

    columns = (_stacked(layout, i, name, f"{name}: {mix(values)}",
                        [(cls, v) for v, (_, cls) in zip(values, STATUS_PARTS)])
               for i, (name, values) in enumerate(data))
    rows = tuple((name, *map(str, values), str(sum(values))) for name, values in data)
    desc = f"Stacked bar chart of item counts by status (done, waived, n/a, failed, pending) for {_span(names)}."
    if data:
        desc += f" Latest, {names[-1]}: {mix(data[-1][1])} of {sum(data[-1][1])} items."
    frame = layout.frame("items", [(cls, "rect", label) for label, cls in STATUS_PARTS])
    title = "Status mix per release"
    svg = _svg("bars.svg.j2", id="status-mix", title=title, desc=desc, frame=frame, columns=columns)
    return Chart("status-mix", title, desc, svg, ("Release", "Done", "Waived", "N/A", "Failed", "Pending", "Total"),
                 rows)


HEAT_BUCKETS = ("< 20 %", "20–39 %", "40–59 %", "60–79 %", "80–99 %", "100 %")


def _heat(c: Counts) -> tuple[str, str]:
    """A section's cell: (class, progress as shown)."""
    if c.applicable == 0:
        return "rdc-heat-na", "n/a"
    p = c.progress
    if c.done + c.waived == c.applicable:
        return "rdc-heat-5", _pct(p)
    return f"rdc-heat-{min(4, int(p // 20))}", _pct(p)  # 99.96 shows as 100.0 % but is not complete


def _section_rows(evaluations: Sequence[Evaluation]) -> list[tuple[tuple[str, str], str]]:
    """Every (checklist, section id) in use, the newest checklist's order first, with its newest title."""
    several = len({e.checklist.name for e in evaluations}) > 1
    keys: dict[tuple[str, str], str] = {}
    seen: set[int] = set()
    for e in reversed(evaluations):
        if id(e.checklist) in seen:
            continue
        seen.add(id(e.checklist))
        for s in e.checklist.sections:
            keys.setdefault((e.checklist.name, s.id), f"{e.checklist.name}: {s.plain}" if several else s.plain)
    return list(keys.items())


def section_heatmap_chart(evaluations: Sequence[Evaluation]) -> Chart:
    """Section progress per release as a heat map: one row per section, one column of cells per release."""
    sections = _section_rows(evaluations)
    row_of = {key: k for k, (key, _) in enumerate(sections)}
    labels = [label for _, label in sections]
    # Per release: its name and (row, class, shown) per section it has.
    data = [(e.release.name, [(row_of[(e.checklist.name, s.id)], *_heat(c)) for s, c in e.section_counts])
            for e in evaluations]
    names = [d[0] for d in data]
    layout = _Layout(names, [], x0=HEAT_LEFT, plot_h=HEAT_ROW * max(len(sections), 1))  # no y grid: rows are sections
    gap = 1.0 if layout.band >= 6 else 0.0
    row_y = [_n(layout.y0 + HEAT_ROW * k + 1) for k in range(len(sections))]

    def column(i: int, name: str, cells) -> HeatColumn:
        return HeatColumn(name, _n(layout.x0 + layout.band * i + gap / 2),
                          ((row_y[k], cls, f"{name} · {labels[k]}: {shown}") for k, cls, shown in cells))

    columns = (column(i, name, cells) for i, (name, cells) in enumerate(data))
    rows = []
    for name, cells in data:
        row = [GAP] * len(sections)  # a section the release's checklist does not have
        for k, _, shown in cells:
            row[k] = shown
        rows.append((name, *row))
    section_labels = tuple(Tick(_n(layout.y0 + HEAT_ROW * k + HEAT_ROW / 2), _short(label, SECTION_CHARS), label)
                           for k, label in enumerate(labels))
    legend = [(f"rdc-heat-{k}", "rect", text) for k, text in enumerate(HEAT_BUCKETS)] + \
             [("rdc-heat-na", "rect", "nothing applicable")]
    frame = layout.frame("", legend)
    desc = (f"Heat map of progress per section ({len(sections)} sections, one row each) for {_span(names)}; "
            f"the closer a section is to done, the stronger its colour.")
    if data:
        behind = [labels[k] for k, cls, _ in data[-1][1] if cls not in ("rdc-heat-5", "rdc-heat-na")]
        desc += (f" Latest, {names[-1]}: {len(behind)} of {len(data[-1][1])} sections not complete"
                 + (f" ({', '.join(behind[:5])}{', …' if len(behind) > 5 else ''})." if behind else "."))
    title = "Progress per section"
    svg = _svg("heatmap.svg.j2", id="sections", title=title, desc=desc, frame=frame, columns=columns,
               sections=section_labels, cell_w=_n(layout.band - gap), cell_h=_n(HEAT_ROW - 2))
    return Chart("sections", title, desc, svg, ("Release", *labels), tuple(rows))


def _criteria(evaluations: Sequence[Evaluation]) -> list[tuple[str, Item]]:
    """Every criterion of every checklist version in use, as (checklist name, item) from the newest version
    that has it: the newest version's order first, then criteria that only older versions had."""
    found: dict[tuple[str, str], Item] = {}
    seen: set[int] = set()
    for e in reversed(evaluations):
        if id(e.checklist) not in seen:
            seen.add(id(e.checklist))
            for item in e.checklist.criteria:
                found.setdefault((e.checklist.name, item.id), item)
    return [(name, item) for (name, _), item in found.items()]


class _Measured:
    """A criterion item's (value, status) in a release by id, from its `measured` (releases share versions)."""

    def __init__(self) -> None:
        self._of: dict[int, dict[str, tuple]] = {}

    def get(self, e: Evaluation, item_id: str) -> Optional[tuple[Optional[float], str]]:
        got = self._of.get(id(e))
        if got is None:
            got = self._of[id(e)] = {i: (v, status) for i, v, status in e.measured}
        return got.get(item_id)


def _value_ticks(values: Sequence[float], thresholds: Sequence[float]) -> list[float]:
    """Y ticks for measured values and their thresholds: from zero, unless the values sit far from it (99.5 %)."""
    lo, hi = min([*values, *thresholds]), max([*values, *thresholds])
    if lo >= 0 and lo > 0.5 * hi:
        pad = max((hi - lo) * 0.15, abs(hi) * 0.002, 1e-6)
        return nice_ticks(lo - pad, hi + pad)
    return nice_ticks(min(lo, 0), hi * 1.1 if hi > 0 else hi + 1)


def _threshold_path(layout: _Layout, thresholds: Sequence[Optional[float]]) -> str:
    """A level line across each run of releases with the same threshold, stepping where it changes and
    broken under a release whose checklist version has no such criterion."""
    parts: list[str] = []
    last: Optional[float] = None
    for i, t in enumerate(thresholds):
        if t != last:
            x = _n(layout.x0 + layout.band * i)
            if last is not None:
                parts.append(f"L{x} {_n(layout.y(last))}")  # the run so far ends at this release's band
            if t is not None:
                parts.append(f"{'M' if last is None else 'L'}{x} {_n(layout.y(t))}")
        last = t
    if last is not None:
        parts.append(f"L{_n(layout.x1)} {_n(layout.y(last))}")
    return " ".join(parts)


def criterion_charts(evaluations: Sequence[Evaluation]) -> list[Chart]:
    """For each threshold criterion, its measured value per release against the threshold line."""
    criteria = _criteria(evaluations)
    several = len({name for name, _ in criteria}) > 1
    results = _Measured()
    return [_criterion_chart([e for e in evaluations if e.checklist.name == name], name, item, several, results)
            for name, item in criteria]


def _criterion_chart(evaluations: Sequence[Evaluation], checklist: str, item: Item, several: bool,
                     results: _Measured) -> Chart:
    """One criterion over the releases of its checklist, each release measured against the threshold of its
    own checklist version (the threshold line steps where a version changed it)."""
    crit = item.criterion
    assert crit is not None
    unit = crit.unit
    data = []  # (release, value or None, met or None, status, the release's criterion)
    for e in evaluations:
        got = results.get(e, item.id)
        if got is None:  # this release's checklist version does not have the criterion
            data.append((e.release.name, None, None, "not in its checklist", None))
            continue
        v, status = got
        own = e.checklist.nodes[item.id].criterion or crit
        data.append((e.release.name, v, None if v is None else own.met_by(v), status, own))
    names = [d[0] for d in data]
    present = [d[1] for d in data if d[1] is not None]
    met = sum(1 for d in data if d[2])
    layout = _Layout(names, _value_ticks(present, [d[4].threshold for d in data if d[4]] or [crit.threshold]))

    def shown(v: float) -> str:
        return f"{_value(v)}{unit}" if unit == "%" else f"{_value(v)} {unit}"

    points = (Point(name, _n(layout.x(i)), _n(layout.y(v)), "rdc-met" if ok else "rdc-missed",
                    f"{name}: {shown(v)} ({'met' if ok else 'missed'})", "circle" if ok else "square")
              for i, (name, v, ok, _, _) in enumerate(data) if v is not None)
    path = _path([None if v is None else (layout.x(i), layout.y(v)) for i, (_, v, _, _, _) in enumerate(data)])
    threshold = Threshold(_threshold_path(layout, [d[4].threshold if d[4] else None for d in data]),
                          f"threshold {crit.text}", _n(layout.x1 - 4), _n(layout.y(crit.threshold) - 4))
    rows = tuple((name, GAP if v is None else _value(v), own.text if own else GAP,
                  status if v is None else ("met" if ok else "missed")) for name, v, ok, status, own in data)
    title = f"Criterion: {item.plain}" + (f" ({checklist})" if several else "")
    chart_id = "criterion-" + _slug((f"{checklist}-" if several else "") + item.id)
    frame = layout.frame(unit, [("rdc-met", "circle", "met"), ("rdc-missed", "square", "missed"),
                                ("rdc-threshold", "line", f"threshold {crit.text}")])
    gaps = len(data) - len(present)
    desc = (f"Line chart of the measured value of “{item.plain}” in {unit} for {_span(names)}, against the "
            f"threshold {crit.text}: {len(present)} measured, {met} met, {len(present) - met} missed"
            + (f", {gaps} without a value (gaps in the line)." if gaps else "."))
    svg = _svg("lines.svg.j2", id=chart_id, title=title, desc=desc, frame=frame, threshold=threshold,
               series=[Series("value", "rdc-value", path, points)], marker=_marker(layout.marker()))
    return Chart(chart_id, title, desc, svg, ("Release", f"Value ({unit})", "Threshold", "Result"), rows)


def time_to_ready_chart(evaluations: Sequence[Evaluation]) -> Chart:
    """Days from a release's first recorded date to its last sign-off and to its launch."""
    data = []  # (release, first, last sign-off, launch, days to launch, days to sign-off)
    for e in evaluations:
        first = e.first_record
        signed = max((s.date for s in e.release.signoffs if s.date is not None), default=None)
        launch = e.release.launch.date if e.launched else None
        data.append((e.release.name, first, signed, launch, (launch - first).days if first and launch else None,
                     (signed - first).days if first and signed else None))
    names = [d[0] for d in data]
    present = [d for row in data for d in row[4:] if d is not None]
    layout = _Layout(names, nice_ticks(min([0, *present]), max([1, *present]), integer=True))
    # Launch first, so the sign-off line and its (smaller) circles stay visible on top where the two coincide.
    kinds = (("launch", "rdc-launch", "square", 4, "to launch"),
             ("signoff", "rdc-signoff", "circle", 5, "to last sign-off"))

    def points(cls: str, shape: str, col: int, label: str) -> Iterator[Point]:
        for i, row in enumerate(data):
            if row[col] is not None:
                yield Point(row[0], _n(layout.x(i)), _n(layout.y(row[col])), cls,
                            f"{row[0]}: {_plural(row[col], 'day')} {label}", shape)

    series = [Series(name, cls, _path([None if row[col] is None else (layout.x(i), layout.y(row[col]))
                                      for i, row in enumerate(data)]), points(cls, shape, col, label))
              for name, cls, shape, col, label in kinds]
    rows = tuple((name, *(GAP if v is None else str(v) for v in (first, signed, launch, to_signed, to_launch)))
                 for name, first, signed, launch, to_launch, to_signed in data)
    frame = layout.frame("days", [(cls, shape, label) for _, cls, shape, _, label in kinds])
    desc = (f"Line chart of the days from each release's first recorded date to its last sign-off and to its "
            f"launch, for {_span(names)}: {sum(1 for d in data if d[5] is not None)} with sign-offs, "
            f"{sum(1 for d in data if d[4] is not None)} launched; releases without these dates are gaps.")
    if data and data[-1][4] is not None:
        desc += f" Latest, {names[-1]}: launched {_plural(data[-1][4], 'day')} after its first record."
    title = "Time to ready"
    svg = _svg("lines.svg.j2", id="time-to-ready", title=title, desc=desc, frame=frame, series=series,
               threshold=None, marker=_marker(layout.marker()))
    return Chart("time-to-ready", title, desc, svg, ("Release", "First record", "Last sign-off", "Launch",
                                                     "Days to sign-off", "Days to launch"), rows)


def waivers_chart(evaluations: Sequence[Evaluation]) -> Chart:
    """Waived items per release, stacked: waivers in force and expired ones."""
    data = []  # (release, in force, expired)
    for e in evaluations:
        expired = sum(1 for r in e.reasons if r.kind == "expired")  # merge gives each expired waiver one reason
        data.append((e.release.name, e.counts.waived - expired, expired))
    names = [d[0] for d in data]
    # At least 0..5 on the axis, so that one waiver does not look like a wall.
    layout = _Layout(names, nice_ticks(0, max([5, *(a + b for _, a, b in data)]), integer=True))
    columns = (_stacked(layout, i, name, f"{name}: {_plural(active + expired, 'waiver')}"
                        + (f" ({expired} expired)" if expired else ""),
                        [("rdc-waived", active), ("rdc-expired", expired)])
               for i, (name, active, expired) in enumerate(data))
    rows = tuple((name, str(active), str(expired), str(active + expired)) for name, active, expired in data)
    desc = (f"Stacked bar chart of waived items for {_span(names)}, waivers in force and expired ones: "
            f"{sum(1 for _, a, b in data if a + b)} releases have waivers, "
            f"{sum(1 for _, _, b in data if b)} have expired waivers.")
    if data:
        desc += f" Latest, {names[-1]}: {_plural(data[-1][1] + data[-1][2], 'waiver')}, {data[-1][2]} expired."
    frame = layout.frame("waivers", [("rdc-waived", "rect", "in force"), ("rdc-expired", "rect", "expired")])
    title = "Waivers per release"
    svg = _svg("bars.svg.j2", id="waivers", title=title, desc=desc, frame=frame, columns=columns)
    return Chart("waivers", title, desc, svg, ("Release", "In force", "Expired", "Total"), rows)


ChartFunction = Callable[[Sequence[Evaluation]], Union[Chart, list[Chart]]]

# A new chart is one function here: it takes the releases oldest first and returns a Chart or a list of them.
CHARTS: list[ChartFunction] = [
    progress_chart,
    status_mix_chart,
    section_heatmap_chart,
    criterion_charts,
    time_to_ready_chart,
    waivers_chart,
]


def all_charts(evaluations: Sequence[Evaluation]) -> list[Chart]:
    """Every chart of CHARTS for these releases (oldest first), flattened; none without releases."""
    evaluations = list(evaluations)
    if not evaluations:
        return []
    out: list[Chart] = []
    for make in CHARTS:
        made = make(evaluations)
        out.extend(made if isinstance(made, list) else [made])
    return out
