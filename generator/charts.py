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
from typing import Callable, Optional, Sequence, Union

from markupsafe import Markup

from generator.model import Checklist, Counts, Evaluation, Item
from generator.render import render

WIDTH = 720  # viewBox width: fixed, whatever the number of releases
LEFT = 56  # room for y-axis tick labels
RIGHT = 16
TOP = 34  # room for the y-axis title and the legend above the plot
PLOT_H = 180
HEAT_ROW = 18  # heat map: height of one section row
HEAT_LEFT = 190  # heat map: room for section names
MAX_LABELS = 12  # x-axis labels shown at most
LABEL_CHARS = 12  # longer release names are cut with an ellipsis on the axis (tooltips and tables keep them whole)
SECTION_CHARS = 25
CHAR_W = 7.0  # average glyph width at the 12-unit font size (charts.css), to decide whether x labels must slant
SLANT = 40  # degrees
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


@dataclass(frozen=True)
class Tick:
    pos: str  # y for a y tick, x for an x label
    text: str
    full: str = ""  # an x label's untruncated text


@dataclass(frozen=True)
class LegendEntry:
    x: str  # left edge of the swatch; the template places swatch and text relative to it
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


@dataclass(frozen=True)
class Rect:
    x: str
    y: str
    w: str
    h: str
    cls: str


@dataclass(frozen=True)
class Column:
    """One release in a bar chart: a full-height hover area, its tooltip and its stacked bars."""

    release: str
    tip: str
    hit: Rect
    bars: tuple[Rect, ...]


@dataclass(frozen=True)
class Point:
    release: str
    x: str
    y: str
    cls: str
    tip: str
    shape: str = "circle"  # or "square", so that marks differ by more than colour


@dataclass(frozen=True)
class Series:
    """One line of a line chart: its path (broken at gaps) and its markers."""

    name: str
    cls: str
    path: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Threshold:
    y: str
    text: str
    text_x: str
    text_y: str


@dataclass(frozen=True)
class Cell:
    release: str
    x: str
    y: str
    w: str
    h: str
    cls: str
    tip: str


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
    return Markup(render(f"charts/{template}", context).strip())


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

    def label_indices(self) -> list[int]:
        """At most MAX_LABELS evenly spaced releases, always including the latest."""
        if not self.n:
            return []
        step = -(-self.n // MAX_LABELS)
        return list(range((self.n - 1) % step, self.n, step))

    def frame(self, y_title: str, legend: Sequence[tuple[str, str, str]], y_labels: Sequence[str] = ()) -> Frame:
        """Axes, labels and legend; the view box height grows only with slanted labels, never with releases."""
        indices = self.label_indices()
        labels = [_short(self.names[i], LABEL_CHARS) for i in indices]
        longest = max((len(t) for t in labels), default=0) * CHAR_W
        spacing = self.band * (-(-self.n // MAX_LABELS) if self.n else 1)
        slant = longest > spacing - 6
        below = (longest * math.sin(math.radians(SLANT)) + 20) if slant else 22
        height = self.y1 + below + 4
        x_labels = tuple(Tick(_n(self.x(i)), text, self.names[i]) for i, text in zip(indices, labels))
        y_ticks = tuple(Tick(_n(self.y(v)), y_labels[k] if y_labels else _value(v)) for k, v in enumerate(self.ticks))
        return Frame(_n(WIDTH), _n(height), _n(self.x0), _n(self.x1), _n(self.y0), _n(self.y1), _n(self.x0 - 6),
                     y_title, y_ticks, x_labels, _n(self.y1 + (12 if slant else 15)),
                     _n(-SLANT) if slant else "", _legend(legend))


def _legend(entries: Sequence[tuple[str, str, str]]) -> tuple[LegendEntry, ...]:
    """(class, shape, text) entries laid out right-aligned on the top line, widths estimated from text length."""
    out = []
    x = WIDTH - RIGHT
    for cls, shape, text in reversed(entries):
        x -= len(text) * CHAR_W + 16
        out.append(LegendEntry(_n(x), cls, shape, text))
        x -= 12
    return tuple(reversed(out))


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


@dataclass(frozen=True)
class Marker:
    r: str  # circle radius
    square: str  # relative path drawing a square of the same size around the current point


def _marker(r: float) -> Marker:
    # The circle is a little smaller than the square, so a circle drawn on a square leaves its corners visible.
    return Marker(_n(r * 0.85), f"m{_n(-r)} {_n(-r)}h{_n(2 * r)}v{_n(2 * r)}h{_n(-2 * r)}z")


def _names(evaluations: Sequence[Evaluation]) -> list[str]:
    return [e.release.name for e in evaluations]


# --- the charts ------------------------------------------------------------------------------------

VERDICT_CLASSES = (("YES", "rdc-yes"), ("NEEDS REVIEW", "rdc-review"), ("NO", "rdc-no"))


def progress_chart(evaluations: Sequence[Evaluation]) -> Chart:
    """Progress per release as bars coloured by verdict."""
    names = _names(evaluations)
    layout = _Layout(names, [0, 25, 50, 75, 100])
    colour = dict(VERDICT_CLASSES)
    columns, rows = [], []
    tally = {v: 0 for v, _ in VERDICT_CLASSES}
    for i, e in enumerate(evaluations):
        c = e.counts
        tally[e.verdict] = tally.get(e.verdict, 0) + 1
        tip = f"{e.release.name}: {_pct(c.progress)} ({e.verdict})"
        columns.append(_stacked(layout, i, e.release.name, tip, [(colour.get(e.verdict, "rdc-na"), c.progress)]))
        rows.append((e.release.name, e.verdict, str(c.done + c.waived), str(c.applicable), _pct(c.progress)))
    desc = (f"Bar chart of progress (done and waived items as a share of applicable items) for {_span(names)}, "
            f"coloured by verdict: " + ", ".join(f"{tally[v]} {v}" for v, _ in VERDICT_CLASSES) + ".")
    if evaluations:
        last = evaluations[-1]
        desc += f" Latest, {last.release.name}: {_pct(last.progress)}, {last.verdict}."
    frame = layout.frame("progress", [(cls, "rect", v) for v, cls in VERDICT_CLASSES],
                         [f"{v:g} %" for v in layout.ticks])
    title = "Progress per release"
    svg = _svg("bars.svg.j2", id="progress", title=title, desc=desc, frame=frame, columns=columns)
    return Chart("progress", title, desc, svg, ("Release", "Verdict", "Done + waived", "Applicable", "Progress"),
                 tuple(rows))


STATUS_PARTS = (("done", "done", "rdc-done"), ("waived", "waived", "rdc-waived"), ("na", "n/a", "rdc-na"),
                ("failed", "failed", "rdc-failed"), ("pending", "pending", "rdc-pending"))


def status_mix_chart(evaluations: Sequence[Evaluation]) -> Chart:
    """Item counts per release by status, stacked: done, waived, n/a, failed, pending."""
    names = _names(evaluations)
    layout = _Layout(names, nice_ticks(0, max((e.counts.total for e in evaluations), default=1), integer=True))
    columns, rows = [], []
    for i, e in enumerate(evaluations):
        c = e.counts
        values = [getattr(c, key) for key, _, _ in STATUS_PARTS]
        tip = f"{e.release.name}: " + ", ".join(f"{v} {label}" for v, (_, label, _) in zip(values, STATUS_PARTS))
        columns.append(_stacked(layout, i, e.release.name, tip, [(cls, v) for v, (_, _, cls) in zip(values, STATUS_PARTS)]))
        rows.append((e.release.name, *map(str, values), str(c.total)))
    desc = f"Stacked bar chart of item counts by status (done, waived, n/a, failed, pending) for {_span(names)}."
    if evaluations:
        c = evaluations[-1].counts
        desc += (f" Latest, {names[-1]}: " + ", ".join(f"{getattr(c, k)} {label}" for k, label, _ in STATUS_PARTS)
                 + f" of {c.total} items.")
    frame = layout.frame("items", [(cls, "rect", label) for _, label, cls in STATUS_PARTS])
    title = "Status mix per release"
    svg = _svg("bars.svg.j2", id="status-mix", title=title, desc=desc, frame=frame, columns=columns)
    return Chart("status-mix", title, desc, svg, ("Release", "Done", "Waived", "N/A", "Failed", "Pending", "Total"),
                 tuple(rows))


HEAT_BUCKETS = ("< 20 %", "20–39 %", "40–59 %", "60–79 %", "80–99 %", "100 %")


def _heat_class(c: Counts) -> str:
    if c.applicable == 0:
        return "rdc-heat-na"
    if c.done + c.waived == c.applicable:
        return "rdc-heat-5"
    return f"rdc-heat-{min(4, int(c.progress // 20))}"


def _section_rows(evaluations: Sequence[Evaluation]) -> list[tuple[tuple[str, str], str]]:
    """Every (checklist, section id) seen, in the newest checklist's order first, with its newest title."""
    several = len({e.checklist.name for e in evaluations}) > 1
    keys: dict[tuple[str, str], str] = {}
    seen_checklists: set[int] = set()
    for e in reversed(evaluations):
        if id(e.checklist) in seen_checklists:
            continue
        seen_checklists.add(id(e.checklist))
        for s in e.checklist.sections:
            key = (e.checklist.name, s.id)
            if key not in keys:
                keys[key] = f"{e.checklist.name}: {s.plain}" if several else s.plain
    return list(keys.items())


def section_heatmap_chart(evaluations: Sequence[Evaluation]) -> Chart:
    """Section progress per release as a heat map: one row per section, one column per release."""
    names = _names(evaluations)
    sections = _section_rows(evaluations)
    plot_h = HEAT_ROW * max(len(sections), 1)
    layout = _Layout(names, [], x0=HEAT_LEFT, plot_h=plot_h)  # no y grid: rows are sections
    row_of = {key: k for k, (key, _) in enumerate(sections)}
    gap = 1.0 if layout.band >= 6 else 0.0
    w = layout.band - gap
    cells, rows = [], []
    for i, e in enumerate(evaluations):
        x = layout.x0 + layout.band * i + gap / 2
        row = [GAP] * len(sections)
        for s, c in e.section_counts:
            k = row_of[(e.checklist.name, s.id)]
            shown = _pct(c.progress) if c.applicable else "n/a"
            row[k] = shown
            tip = f"{e.release.name} · {sections[k][1]}: {shown}"
            if c.applicable:
                tip += f" ({c.done + c.waived} / {c.applicable})"
            cells.append(Cell(e.release.name, _n(x), _n(layout.y0 + HEAT_ROW * k + 1), _n(w),
                              _n(HEAT_ROW - 2), _heat_class(c), tip))
        rows.append((e.release.name, *row))
    labels = tuple(Tick(_n(layout.y0 + HEAT_ROW * k + HEAT_ROW / 2), _short(label, SECTION_CHARS), label)
                   for k, (_, label) in enumerate(sections))
    legend = [(f"rdc-heat-{k}", "rect", text) for k, text in enumerate(HEAT_BUCKETS)]
    legend.append(("rdc-heat-na", "rect", "nothing applicable"))
    frame = layout.frame("", legend)
    desc = (f"Heat map of progress per section ({len(sections)} sections, one row each) for {_span(names)}; "
            f"darker cells are closer to done.")
    if evaluations:
        last = evaluations[-1]
        behind = [s.plain for s, c in last.section_counts if c.applicable and c.done + c.waived < c.applicable]
        desc += (f" Latest, {last.release.name}: {len(behind)} of {len(last.section_counts)} sections not complete"
                 + (f" ({', '.join(behind[:5])}{', …' if len(behind) > 5 else ''})." if behind else "."))
    title = "Progress per section"
    svg = _svg("heatmap.svg.j2", id="sections", title=title, desc=desc, frame=frame, cells=cells, sections=labels)
    return Chart("sections", title, desc, svg, ("Release", *(label for _, label in sections)), tuple(rows))


def _criteria(evaluations: Sequence[Evaluation]) -> list[tuple[Checklist, Item, int]]:
    """Every criterion of every checklist in use, with its index in the checklist's items (and so in results)."""
    checklists: dict[str, Checklist] = {}
    for e in evaluations:
        checklists.setdefault(e.checklist.name, e.checklist)
    out = []
    for c in checklists.values():
        for k, item in enumerate(c.items):
            if item.criterion is not None:
                out.append((c, item, k))
    return out


def _result(e: Evaluation, item: Item, k: int):
    r = e.results[k] if k < len(e.results) else None
    if r is None or r.item.id != item.id:  # results follow the checklist's item order; be safe if not
        r = next((x for x in e.results if x.item.id == item.id), None)
    return r


def criterion_charts(evaluations: Sequence[Evaluation]) -> list[Chart]:
    """For each threshold criterion, its measured value per release against the threshold line."""
    criteria = _criteria(evaluations)
    several = len({c.name for c, _, _ in criteria}) > 1
    charts = []
    for checklist, item, k in criteria:
        crit = item.criterion
        assert crit is not None
        evs = [e for e in evaluations if e.checklist.name == checklist.name]
        names = _names(evs)
        values: list[Optional[float]] = []
        statuses = []
        for e in evs:
            r = _result(e, item, k)
            own = r.own if r is not None else None
            values.append(own.value if own is not None and own.value is not None else None)
            statuses.append(r.status if r is not None else "pending")
        present = [v for v in values if v is not None]
        lo, hi = min(present + [crit.threshold]), max(present + [crit.threshold])
        if lo >= 0 and lo > 0.5 * hi:  # values far from zero (e.g. 99.5 %): zoom in on them
            pad = max((hi - lo) * 0.15, abs(hi) * 0.002, 1e-6)
            ticks = nice_ticks(lo - pad, hi + pad)
        else:
            ticks = nice_ticks(min(lo, 0), hi * 1.1 if hi > 0 else hi + 1)
        layout = _Layout(names, ticks)
        unit = crit.unit
        r = layout.marker()
        points, coords, rows = [], [], []
        met_count = missed = 0
        for i, (e, v, status) in enumerate(zip(evs, values, statuses)):
            if v is None:
                coords.append(None)
                rows.append((e.release.name, GAP, crit.text, status))
                continue
            met = crit.met_by(v)
            met_count += met
            missed += not met
            x, y = layout.x(i), layout.y(v)
            coords.append((x, y))
            shown = f"{_value(v)}{unit}" if unit == "%" else f"{_value(v)} {unit}"
            points.append(Point(e.release.name, _n(x), _n(y), "rdc-met" if met else "rdc-missed",
                                f"{e.release.name}: {shown} ({'met' if met else 'missed'})",
                                "circle" if met else "square"))
            rows.append((e.release.name, _value(v), crit.text, "met" if met else "missed"))
        series = Series("value", "rdc-value", _path(coords), tuple(points))
        ty = layout.y(crit.threshold)
        threshold = Threshold(_n(ty), f"threshold {crit.text}", _n(layout.x1 - 4), _n(ty - 4))
        title = f"Criterion: {item.plain}" + (f" ({checklist.name})" if several else "")
        chart_id = "criterion-" + _slug((f"{checklist.name}-" if several else "") + item.id)
        frame = layout.frame(unit, [("rdc-met", "circle", "met"), ("rdc-missed", "square", "missed"),
                                    ("rdc-threshold", "line", f"threshold {crit.text}")])
        desc = (f"Line chart of the measured value of “{item.plain}” in {unit} for {_span(names)}, against the "
                f"threshold {crit.text}: {len(present)} releases measured, {met_count} met, {missed} missed"
                + (f", {len(values) - len(present)} without a value (gaps)." if len(present) < len(values) else "."))
        svg = _svg("lines.svg.j2", id=chart_id, title=title, desc=desc, frame=frame, series=[series],
                   threshold=threshold, marker=_marker(r))
        charts.append(Chart(chart_id, title, desc, svg, ("Release", f"Value ({unit})", "Threshold", "Result"),
                            tuple(rows)))
    return charts


def _first_record(e: Evaluation) -> Optional[dt.date]:
    dates = [x.date for x in e.release.entries if x.date is not None]
    dates += [s.date for s in e.release.signoffs if s.date is not None]
    return min(dates, default=None)


def time_to_ready_chart(evaluations: Sequence[Evaluation]) -> Chart:
    """Days from a release's first recorded date to its last sign-off and to its launch."""
    names = _names(evaluations)
    data = []
    for e in evaluations:
        first = _first_record(e)
        signed = max((s.date for s in e.release.signoffs if s.date is not None), default=None)
        launch = e.release.launch.date if e.launched else None
        to_signed = (signed - first).days if first and signed else None
        to_launch = (launch - first).days if first and launch else None
        data.append((first, signed, launch, to_signed, to_launch))
    present = [d for row in data for d in row[3:] if d is not None]
    layout = _Layout(names, nice_ticks(min(present + [0]), max(present + [1]), integer=True))
    r = layout.marker()
    # Launch first, so the sign-off line and its (smaller) circles stay visible on top where the two coincide.
    kinds = (("launch", "rdc-launch", "square", 4, "to launch"),
             ("signoff", "rdc-signoff", "circle", 3, "to last sign-off"))
    series = []
    for name, cls, shape, col, label in kinds:
        coords, points = [], []
        for i, (e, row) in enumerate(zip(evaluations, data)):
            days = row[col]
            if days is None:
                coords.append(None)
                continue
            x, y = layout.x(i), layout.y(days)
            coords.append((x, y))
            points.append(Point(e.release.name, _n(x), _n(y), cls, f"{e.release.name}: {_plural(days, 'day')} {label}",
                                shape))
        series.append(Series(name, cls, _path(coords), tuple(points)))
    rows = tuple((e.release.name, *(str(v) if v is not None else GAP for v in row)) for e, row in zip(evaluations, data))
    frame = layout.frame("days", [(cls, shape, label) for _, cls, shape, _, label in kinds])
    with_signoff = sum(1 for row in data if row[3] is not None)
    with_launch = sum(1 for row in data if row[4] is not None)
    desc = (f"Line chart of the days from each release's first recorded date to its last sign-off and to its "
            f"launch, for {_span(names)}: {with_signoff} with sign-offs, {with_launch} launched; releases without "
            f"these dates are gaps.")
    if data and data[-1][4] is not None:
        desc += f" Latest, {names[-1]}: launched {_plural(data[-1][4], 'day')} after its first record."
    title = "Time to ready"
    svg = _svg("lines.svg.j2", id="time-to-ready", title=title, desc=desc, frame=frame, series=series,
               threshold=None, marker=_marker(r))
    return Chart("time-to-ready", title, desc, svg, ("Release", "First record", "Last sign-off", "Launch",
                                                     "Days to sign-off", "Days to launch"), rows)


def waivers_chart(evaluations: Sequence[Evaluation]) -> Chart:
    """Waived items per release, stacked: waivers in force and expired ones."""
    names = _names(evaluations)
    counts = []
    for e in evaluations:
        expired = sum(1 for r in e.results if r.status == "waived" and r.expired)
        counts.append((e.counts.waived - expired, expired))
    # At least 0..5 on the axis, so one waiver does not look like a wall.
    layout = _Layout(names, nice_ticks(0, max([5] + [a + b for a, b in counts]), integer=True))
    columns, rows = [], []
    for i, (e, (active, expired)) in enumerate(zip(evaluations, counts)):
        tip = f"{e.release.name}: {_plural(active + expired, 'waiver')}" + (f" ({expired} expired)" if expired else "")
        columns.append(_stacked(layout, i, e.release.name, tip, [("rdc-waived", active), ("rdc-expired", expired)]))
        rows.append((e.release.name, str(active), str(expired), str(active + expired)))
    with_waivers = sum(1 for a, b in counts if a + b)
    with_expired = sum(1 for _, b in counts if b)
    desc = (f"Stacked bar chart of waived items for {_span(names)}, waivers in force and expired ones: "
            f"{with_waivers} releases have waivers, {with_expired} have expired waivers.")
    if counts:
        desc += f" Latest, {names[-1]}: {_plural(sum(counts[-1]), 'waiver')}, {counts[-1][1]} expired."
    frame = layout.frame("waivers", [("rdc-waived", "rect", "in force"), ("rdc-expired", "rect", "expired")])
    title = "Waivers per release"
    svg = _svg("bars.svg.j2", id="waivers", title=title, desc=desc, frame=frame, columns=columns)
    return Chart("waivers", title, desc, svg, ("Release", "In force", "Expired", "Total"), tuple(rows))


ChartFunction = Callable[[Sequence[Evaluation]], Union[Chart, list[Chart]]]

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

