"""Trend charts (DESIGN.md "Site map": /trends/ and "Charts are SVG generated at build time ...")."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import textwrap
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest

from generator.charts import CHARTS, LABEL_GAP, MAX_LABELS, WIDTH, Chart, all_charts, nice_ticks
from generator.merge import evaluate
from generator.project import load_project
from generator.render import render
from helpers_results import load, make_checklist

from conftest import FIXTURES, ROOT

SVG = "{http://www.w3.org/2000/svg}"
DAY = dt.date(2026, 11, 28)


def parse(chart: Chart) -> ET.Element:
    return ET.fromstring(str(chart.svg))


def points(root: ET.Element, series: str | None = None) -> list[ET.Element]:
    """The data marks: every element with class rd-point (in one series of a line chart, if given)."""
    scope = root
    if series is not None:
        scope = next(g for g in root.iter(f"{SVG}g") if g.get("data-series") == series)
    return [el for el in scope.iter() if "rd-point" in el.get("class", "").split()]


def tip(el: ET.Element) -> str:
    title = el.find(f"{SVG}title")
    return title.text if title is not None else ""


def x_labels(root: ET.Element) -> list[str]:
    group = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "rdc-xlabels")
    return ["".join(t.itertext()) if t.find(f"{SVG}title") is None else t.find(f"{SVG}title").text for t in group]


def by_id(charts: list[Chart]) -> dict[str, Chart]:
    return {c.id: c for c in charts}


@pytest.fixture(scope="module")
def fixture_evaluations():
    return load_project(FIXTURES / "project").evaluations(DAY)


@pytest.fixture(scope="module")
def example_evaluations():
    return load_project(ROOT).evaluations(DAY)


def many(evaluations, n: int):
    """`n` releases made from the given ones, renamed 1.0.0 ... so that names stay unique."""
    out = []
    for i in range(n):
        e = evaluations[i % len(evaluations)]
        out.append(dataclasses.replace(e, release=dataclasses.replace(e.release, name=f"{i // 100 + 1}.{i % 100}.0")))
    return out


# --- every chart ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["fixture", "example"])
def test_every_chart_is_an_accessible_svg_with_a_table(which, fixture_evaluations, example_evaluations):
    evaluations = fixture_evaluations if which == "fixture" else example_evaluations
    charts = all_charts(evaluations)
    assert [c.id for c in charts][:3] == ["progress", "status-mix", "sections"]
    assert [c.id for c in charts][-2:] == ["time-to-ready", "waivers"]
    assert len({c.id for c in charts}) == len(charts)
    for chart in charts:
        root = parse(chart)
        assert root.tag == f"{SVG}svg"
        assert root.get("role") == "img"
        title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
        assert title is not None and title.text == chart.title
        assert desc is not None and desc.text == chart.desc and desc.text
        assert root.get("aria-labelledby").split() == [title.get("id"), desc.get("id")]
        assert "width" not in root.attrib and "height" not in root.attrib  # sized by CSS, width 100%
        assert root.get("viewBox").startswith(f"0 0 {WIDTH} ")
        names = [e.release.name for e in evaluations]
        assert [row[0] for row in chart.rows] == names, chart.id
        assert all(len(row) == len(chart.header) for row in chart.rows), chart.id
        assert all(tip(p) for p in points(root)), chart.id  # every data point has its tooltip


def test_bar_charts_have_one_point_per_release_with_the_table_numbers(example_evaluations):
    charts = by_id(all_charts(example_evaluations))
    names = [e.release.name for e in example_evaluations]
    for chart_id in ("progress", "status-mix", "waivers"):
        marks = points(parse(charts[chart_id]))
        assert [p.get("data-release") for p in marks] == names, chart_id
    progress = charts["progress"]
    for row, mark in zip(progress.rows, points(parse(progress))):
        assert tip(mark) == f"{row[0]}: {row[4]} ({row[1]})"
    assert dict((r[0], r[1]) for r in progress.rows) == {e.release.name: e.verdict for e in example_evaluations}
    mix = charts["status-mix"]
    for e, row in zip(example_evaluations, mix.rows):
        c = e.counts
        assert row[1:] == tuple(map(str, (c.done, c.waived, c.na, c.failed, c.pending, c.total)))


def test_progress_bars_are_coloured_by_verdict(fixture_evaluations):
    marks = points(parse(by_id(all_charts(fixture_evaluations))["progress"]))
    colours = {"YES": "rdc-yes", "NEEDS REVIEW": "rdc-review", "NO": "rdc-no"}
    for e, mark in zip(fixture_evaluations, marks):
        bars = [r for r in mark if r.tag == f"{SVG}rect" and r.get("class") != "rdc-hit"]
        assert [b.get("class") for b in bars] == [colours[e.verdict]]


def test_heat_map_has_a_cell_per_release_and_section(example_evaluations):
    chart = by_id(all_charts(example_evaluations))["sections"]
    root = parse(chart)
    sections = example_evaluations[-1].checklist.sections
    assert len(points(root)) == len(example_evaluations) * len(sections)
    columns = [g for g in root.iter(f"{SVG}g") if g.get("data-release")]
    assert [g.get("data-release") for g in columns] == [e.release.name for e in example_evaluations]
    assert chart.header == ("Release", *(s.plain for s in sections))
    latest = example_evaluations[-1]
    shown = [tip(cell).split(": ", 1)[1] for cell in points(columns[-1])]
    assert shown == [f"{c.progress:.1f} %" if c.applicable else "n/a" for _, c in latest.section_counts]
    assert list(chart.rows[-1][1:]) == shown


def test_criterion_charts_plot_values_against_the_threshold(example_evaluations):
    charts = [c for c in all_charts(example_evaluations) if c.id.startswith("criterion-")]
    criteria = example_evaluations[-1].checklist.criteria
    assert [c.title for c in charts] == [f"Criterion: {i.plain}" for i in criteria]
    page_load = charts[0]
    root = parse(page_load)
    marks = points(root)
    assert len(marks) == len(example_evaluations)  # every example release measured it
    assert tip(marks[0]) == "1.0.0: 2.1 seconds (met)"
    assert page_load.rows[0] == ("1.0.0", "2.1", "< 3 seconds", "met")
    assert any(el.get("class") == "rdc-threshold" for el in root.iter(f"{SVG}line"))
    api = parse(charts[1])
    missed = [p for p in points(api) if "rdc-missed" in p.get("class")]
    assert [p.get("data-release") for p in missed] == ["2.0.0"] and tip(missed[0]) == "2.0.0: 640 ms (missed)"


def test_time_to_ready_counts_days_from_the_first_record(fixture_evaluations):
    chart = by_id(all_charts(fixture_evaluations))["time-to-ready"]
    # 1.0.0: signed 01-10 and 01-11, launched 01-12. 1.1.0: first record 02-02 (an item), signed and launched
    # 02-03 and 02-04. 2.0.0: an item on 11-20, no sign-off, not launched: gaps.
    assert chart.rows == (
        ("1.0.0", "2026-01-10", "2026-01-11", "2026-01-12", "1", "2"),
        ("1.1.0", "2026-02-02", "2026-02-03", "2026-02-04", "1", "2"),
        ("2.0.0", "2026-11-20", "—", "—", "—", "—"),
    )
    root = parse(chart)
    assert [p.get("data-release") for p in points(root, "signoff")] == ["1.0.0", "1.1.0"]
    assert [tip(p) for p in points(root, "launch")] == ["1.0.0: 2 days to launch", "1.1.0: 2 days to launch"]


def test_waivers_tell_expired_ones_apart(example_evaluations):
    chart = by_id(all_charts(example_evaluations))["waivers"]
    rows = {r[0]: r[1:] for r in chart.rows}
    assert rows["1.2.0"] == ("0", "1", "1")  # the waiver that was never renewed (docs/example-story.md)
    assert rows["1.0.1"] == ("0", "0", "0")
    mark = next(p for p in points(parse(chart)) if p.get("data-release") == "1.2.0")
    assert tip(mark) == "1.2.0: 1 waiver (1 expired)"
    assert [r.get("class") for r in mark.iter(f"{SVG}rect")] == ["rdc-hit", "rdc-expired"]


# --- gaps, thinning, stability ----------------------------------------------------------------------------------

GAPS_MD = textwrap.dedent(
    """\
    # Gaps

    ## Performance

    - [ ] Page load < 3 seconds
    - [ ] Crash-free sessions >= 99.5%

    ## Sign-off

    - [ ] **Lead:** ____
    """
)


def evaluations_from(tmp_path, checklist_md: str, bodies: dict[str, str]):
    checklist = make_checklist(checklist_md, "web")
    out = []
    for name, body in bodies.items():
        release, problems = load(tmp_path, f'release: "{name}"\nchecklist: web\n' + textwrap.dedent(body),
                                 f"{name}.yaml", checklist)
        assert release is not None and problems == [], problems
        out.append(evaluate(release, checklist, DAY))
    return out


def test_missing_values_are_gaps_not_zeros(tmp_path):
    evaluations = evaluations_from(tmp_path, GAPS_MD, {
        "1.0.0": "items:\n  performance/page-load-3-seconds: {value: 2.5}\n",
        "1.1.0": "items: {}\n",
        "1.2.0": "items:\n  performance/page-load-3-seconds: {value: 3400 ms}\n"
                 "  performance/crash-free-sessions-99-5: {value: 99.7}\n",
    })
    page_load, crash_free = [c for c in all_charts(evaluations) if c.id.startswith("criterion-")]
    root = parse(page_load)
    assert [p.get("data-release") for p in points(root)] == ["1.0.0", "1.2.0"]
    path = next(el for el in root.iter(f"{SVG}path") if el.get("class") == "rdc-line")
    assert path.get("d").count("M") == 2 and "L" not in path.get("d")  # two lone points: no line across the gap
    assert [r[1] for r in page_load.rows] == ["2.5", "—", "3.4"]
    assert tip(points(root)[1]) == "1.2.0: 3.4 seconds (missed)"
    assert points(root)[1].tag == f"{SVG}path"  # missed is a square, not only a colour
    assert tip(points(parse(crash_free))[0]) == "1.2.0: 99.7% (met)"
    # A value far from zero gets an axis around it, not a flat line at the top of 0..100.
    ticks = [t.text for t in parse(crash_free).iter(f"{SVG}text") if t.get("class") == "rdc-tick"]
    assert float(ticks[0]) > 90


def test_releases_on_different_checklist_versions(tmp_path):
    """Each release is evaluated against the checklist as it was; a pinned criterion can change its threshold."""
    old = make_checklist("# Web\n\n## Performance\n\n- [ ] Page load < 4 seconds {#page-load}\n\n"
                         "## Legacy\n\n- [ ] IE11 tested\n", "web")
    new = make_checklist("# Web\n\n## Performance\n\n- [ ] Page load < 3 seconds {#page-load}\n", "web")
    evaluations = []
    for name, checklist in (("1.0.0", old), ("1.1.0", new)):
        release, problems = load(tmp_path, f'release: "{name}"\nitems:\n  page-load: {{value: 3.5}}\n',
                                 f"{name}.yaml", checklist)
        assert problems == []
        evaluations.append(evaluate(release, checklist, DAY))
    charts = by_id(all_charts(evaluations))
    criterion = charts["criterion-page-load"]
    assert criterion.title == "Criterion: Page load < 3 seconds"  # the newest wording
    assert criterion.rows == (("1.0.0", "3.5", "< 4 seconds", "met"), ("1.1.0", "3.5", "< 3 seconds", "missed"))
    step = next(el for el in parse(criterion).iter(f"{SVG}path") if el.get("class") == "rdc-threshold")
    assert len(step.get("d").split(" L")) == 4  # level, step down at 1.1.0, level
    heat = charts["sections"]
    assert heat.header == ("Release", "Performance", "Legacy")
    assert heat.rows == (("1.0.0", "100.0 %", "0.0 %"), ("1.1.0", "0.0 %", "—"))  # met, then missed
    assert len(points(parse(heat))) == 3  # a cell only where the release's checklist has the section


def test_x_labels_are_thinned_and_the_width_is_fixed(fixture_evaluations):
    few = all_charts(fixture_evaluations)
    lots = all_charts(many(fixture_evaluations, 300))
    assert [c.id for c in few] == [c.id for c in lots]
    for small, big in zip(few, lots):
        small_root, big_root = parse(small), parse(big)
        assert small_root.get("viewBox").split()[2] == big_root.get("viewBox").split()[2] == str(WIDTH)
        assert float(big_root.get("viewBox").split()[3]) < 420  # labels slant, the chart does not grow
        assert len(x_labels(small_root)) == 3
        labels = x_labels(big_root)
        assert 2 <= len(labels) <= MAX_LABELS
        assert labels[-1] == "3.99.0"  # the latest release is always labelled
    sections = by_id(lots)["sections"]
    assert len(points(parse(sections))) == 300 * 3


def test_same_input_gives_the_same_bytes(fixture_evaluations):
    first = all_charts(fixture_evaluations)
    again = all_charts(load_project(FIXTURES / "project").evaluations(DAY))
    assert [(c.svg, c.rows, c.desc) for c in first] == [(c.svg, c.rows, c.desc) for c in again]
    assert all(not re.search(r"\d\.\d{3,}", str(c.svg)) for c in first)  # fixed precision, no float noise


def test_no_releases_no_charts():
    assert all_charts([]) == []
    assert all(callable(f) for f in CHARTS)


@pytest.mark.parametrize("lo, hi, integer, expected", [
    (0, 211, True, [0, 50, 100, 150, 200, 250]),
    (0, 5, True, [0, 1, 2, 3, 4, 5]),
    (0, 1, True, [0, 1]),
    (0, 3.3, False, [0, 1, 2, 3, 4]),
    (1.5, 3.5, False, [1.5, 2, 2.5, 3, 3.5]),
    (99.4, 99.8, False, [99.4, 99.5, 99.6, 99.7, 99.8]),
])
def test_nice_ticks(lo, hi, integer, expected):
    assert nice_ticks(lo, hi, integer=integer) == expected


# --- safety --------------------------------------------------------------------------------------------------

HOSTILE_MD = textwrap.dedent(
    """\
    # Hostile

    ## `<script>alert(1)</script>` {#hostile}

    - [ ] TLS on
    - [ ] `</title><script>` load < 3 seconds

    ## Other & "quotes" \\<b\\>

    - [ ] Thing

    ## Sign-off

    - [ ] **Lead:** ____
    """
)


@pytest.fixture
def hostile(tmp_path):
    return evaluations_from(tmp_path, HOSTILE_MD, {
        "1.0.0": "items:\n  hostile/tls-on: done\n  hostile/title-script-load-3-seconds: {value: 2}\n",
        "1.1.0": "items:\n  other-quotes-b/thing: done\n",
    })


def test_charts_have_no_script_and_no_external_reference(example_evaluations, hostile):
    for chart in all_charts(example_evaluations) + all_charts(hostile):
        text = str(chart.svg)
        assert "<script" not in text.lower()
        assert "href" not in text and "url(" not in text and "@import" not in text
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg\")", text)  # only the SVG namespace name
        for el in parse(chart).iter():
            assert not any(name.lower().startswith("on") or name == "style" for name in el.attrib), el.attrib
            assert el.tag.split("}")[1] not in ("script", "foreignObject", "image", "a", "use", "style")


def test_hostile_section_and_item_names_are_escaped(hostile):
    charts = all_charts(hostile)
    for chart in charts:
        parse(chart)  # well-formed XML: nothing broke out of its element
    heat = by_id(charts)["sections"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in str(heat.svg)
    assert heat.header[1] == "<script>alert(1)</script>"  # plain text in the model; escaped when rendered
    cell = points(parse(heat))[0]
    assert tip(cell) == "1.0.0 · <script>alert(1)</script>: 100.0 %"
    criterion = next(c for c in charts if c.id.startswith("criterion-"))
    assert "&lt;/title&gt;&lt;script&gt;" in str(criterion.svg)
    assert parse(criterion).find(f"{SVG}title").text == "Criterion: </title><script> load < 3 seconds"


# --- the trends page -----------------------------------------------------------------------------------------


def trends_page(evaluations) -> str:
    charts = all_charts(evaluations)
    return render("trends.md.j2", {"charts": charts, "site": SimpleNamespace(evaluations=tuple(evaluations)),
                                   "base": "../", "products": [], "count": len(evaluations)})


def to_html(page: str) -> str:
    """The page through Python-Markdown with the site's extensions, as MkDocs renders it."""
    import markdown

    return markdown.markdown(page.split("---\n", 2)[2], extensions=["tables", "attr_list", "toc"])


def raw_blocks(page: str) -> list[str]:
    """The raw HTML blocks of the page: from a line opening <figure or <div to its closing line."""
    blocks, current = [], None
    for line in page.splitlines():
        if current is None and re.match(r"<(figure|div)\b", line):
            current = [line]
        elif current is not None:
            current.append(line)
        if current is not None and re.match(r"</(figure|div)>$", line):
            blocks.append("\n".join(current))
            current = None
    assert current is None, "unclosed raw HTML block"
    return blocks


def test_trends_page_renders_every_chart_with_its_table(example_evaluations):
    page = trends_page(example_evaluations)
    charts = all_charts(example_evaluations)
    assert page.startswith("---\ntitle: Trends\n---\n")
    assert re.findall(r"^## (.+)$", page, re.M) == [c.title.replace("<", "&lt;") for c in charts]
    blocks = raw_blocks(page)
    assert len(blocks) == 2 * len(charts)  # a figure and a table per chart
    for block in blocks:
        assert "\n\n" not in block and not re.search(r"\n[ \t]*\n", block)  # a blank line would end the block
        assert all(not line.startswith((" ", "\t")) for line in block.splitlines()[:1])
    assert page.count("<table") == len(charts)
    assert page.count('<tr><th scope="row"><a href="../releases/') == sum(len(c.rows) for c in charts)
    assert page.count("data-search-exclude") == 2 * len(charts)
    html = to_html(page)  # Markdown passes the SVG and tables through untouched
    assert html.count("<svg") == html.count("</svg>") == len(charts)
    assert html.count("<table") == len(charts)
    assert not re.search(r"<p>\s*<(svg|g|rect|title|tr|td)\b", html)
    for chart in charts:
        assert str(chart.svg) in html


def test_trends_page_escapes_hostile_names(hostile):
    page = trends_page(hostile)
    assert "<script" not in page.lower()
    assert "Criterion: &lt;/title&gt;&lt;script&gt; load &lt; 3 seconds" in re.findall(r"^## (.+)$", page, re.M)
    assert "<th scope=\"col\">&lt;script&gt;alert(1)&lt;/script&gt;</th>" in page
    assert "Other &amp; &#34;quotes&#34; &lt;b&gt;" in page
    html = to_html(page)
    assert "<script" not in html.lower() and "&lt;/title&gt;&lt;script&gt;" in html


def test_trends_page_without_releases():
    page = trends_page([])
    assert "No results files yet" in page and "<figure" not in page


@pytest.mark.parametrize("n", [3, 14, 18, 40, 300])
def test_every_release_is_labelled_while_labels_fit_and_labels_never_touch(fixture_evaluations, n):
    for chart in all_charts(many(fixture_evaluations, n)):
        root = parse(chart)
        group = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "rdc-xlabels")
        xs = [float(t.get("x")) for t in group]
        assert all(b - a >= LABEL_GAP - 0.01 for a, b in zip(xs, xs[1:])), (chart.id, n)
        if chart.id in ("progress", "status-mix") and n <= 14:
            assert len(xs) == n  # every release has its label
        assert x_labels(root)[-1] == chart.rows[-1][0]


def test_a_legend_too_wide_for_one_line_wraps_inside_the_chart(fixture_evaluations):
    from generator.charts import CHAR_W, RIGHT

    heat = parse(by_id(all_charts(fixture_evaluations))["sections"])
    legend = next(g for g in root_groups(heat) if g.get("class") == "rdc-legend")
    rows = {}
    for entry in legend:
        x, y = map(float, entry.get("transform")[len("translate("):-1].split())
        text = "".join(entry.find(f"{SVG}text").itertext())
        assert x + 14 + len(text) * CHAR_W <= WIDTH - RIGHT + 0.01, text
        rows.setdefault(y, []).append(text)
    assert len(rows) > 1  # seven entries do not fit on one line of a narrow chart
    shifted = [g for g in root_groups(heat) if (g.get("transform") or "").startswith("translate(0 ")]
    assert shifted, "the plot moves down below the legend"


def root_groups(root: ET.Element) -> list[ET.Element]:
    return [el for el in root if el.tag == f"{SVG}g"]
