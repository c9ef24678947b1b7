"""Hostile text: what reaches a page is escaped, numbers are finite and in range, invisible and direction
characters neither hide a duplicate signer nor reach a page, secrets are found in checklists too, and a
file with thousands of mistakes gives a short report quickly.

Built on the harness of tests/test_hostile.py: each case starts from the fixture project with a site built
from clean inputs; a refused input must leave every input and that site byte-for-byte as they were.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config

from generator.site import HOOKS, OVERRIDES
from generator.text import DIRECTION_CONTROLS, comparable, displayed, text_problem

from test_hostile import (R, summary, assert_clean_exit, assert_inert, clean_site, hostile, inputs, invoke,  # noqa: F401
                          parse_pages, refused, stray_build_dirs, tree)

WEB = Path(__file__).parent / "fixtures" / "project" / "checklists" / "web.md"


def built(project: Path) -> Path:
    """`check` and `build` succeed (the inputs are valid), change no input, leave nothing behind: the site."""
    before = inputs(project)
    for command in ("check", "build"):
        run = invoke(command, "--root", str(project))
        assert_clean_exit(run, 0)
        assert stray_build_dirs(project) == []
    assert inputs(project) == before
    return project / "site"


def page(site: Path, rel: str) -> str:
    return (site / rel).read_text(encoding="utf-8")


# --- titles, the table of contents and the navigation ---------------------------------------------------

IMG = "<img src=x onerror=alert(1)>"
SHOWN = "&lt;img src=x onerror=alert(1)&gt;"


def test_an_escaped_tag_in_a_heading_stays_text_in_the_table_of_contents(hostile, clean_site):
    """`\\<img ...\\>` is inert in the checklist; Material prints toc titles as HTML, so they must stay escaped."""
    text = WEB.read_text().replace("## 🔐 Security", "## Security \\<img src=x onerror=alert(1)\\> {#security}")
    project = hostile({"checklists/web.md": text})
    site = built(project)
    assert_inert(site, clean_site)
    release = page(site, "releases/1.0.0/index.html")
    toc = release[release.index('<nav class="md-nav md-nav--secondary"'):]
    toc = toc[:toc.index("</nav>")]
    assert f"Security {SHOWN}" in toc
    assert "<img" not in toc


def test_a_checklist_named_with_markup_is_refused_or_shown_as_text(hostile, clean_site):
    """`x<img ...>.md`: refused by the name rule for file names, or, where a name gets through, escaped in
    the navigation of every page. Either way nothing runs and a refusal changes nothing."""
    name = f"x{IMG}"
    files = {f"checklists/{name}.md": WEB.read_text()}
    for release in ("1.0.0", "1.1.0"):  # two checklists: each results file names its own
        text = (WEB.parent.parent / "results" / f"{release}.yaml").read_text()
        files[f"results/{release}.yaml"] = text.replace("\nitems:", "\nchecklist: web\nitems:", 1)
    project = hostile(files)
    before = tree(project)
    runs = [invoke(command, "--root", str(project)) for command in ("check", "build")]
    for run in runs:
        assert_clean_exit(run, runs[0].result.exit_code)
    assert stray_build_dirs(project) == []
    if runs[0].result.exit_code != 0:
        assert all(run.problems for run in runs) and tree(project) == before
        return
    site = project / "site"
    for rel, parsed in parse_pages(site).items():
        for tag, attrs in parsed.tags:
            assert not any(a.startswith("on") for a, _ in attrs), f"{rel}: <{tag} {attrs}>"
    assert f"x{SHOWN}" in page(site, "index.html")


def _mkdocs_site(tmp_path: Path, name: str, nav_title: str, page_title: str, heading: str) -> Path:
    """A real `mkdocs build` with readiness's hooks and theme overrides, of a nav and a page whose titles
    are given as they arrive from inputs: the rendering side alone, whatever rules the inputs passed."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("---\ntitle: Home\n---\n\n# Home\n", encoding="utf-8")
    front = yaml.safe_dump({"title": page_title}, allow_unicode=True)
    (docs / "page.md").write_text(f"---\n{front}---\n\n# Page\n\n## {heading}\n\ntext\n", encoding="utf-8")
    (docs / "plain.md").write_text("# Plain\n", encoding="utf-8")  # no front matter: MkDocs' own title
    config = {
        "site_name": name,
        "docs_dir": str(docs),
        "site_dir": str(tmp_path / "site"),
        "theme": {"name": "material", "custom_dir": str(OVERRIDES), "font": False},
        "plugins": ["search"],
        "hooks": [str(HOOKS)],
        "nav": [{"Home": "index.md"}, {nav_title: [{nav_title: "page.md"}, {"Plain": "plain.md"}]}],
        "repo_url": "https://github.com/example/readiness",
        "markdown_extensions": [{"toc": {"permalink": True}}],
    }
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    mkdocs_build(load_config(str(tmp_path / "mkdocs.yml")))
    return tmp_path / "site"


def test_titles_reaching_the_theme_are_escaped_whatever_the_inputs(tmp_path):
    """Nav, page and site titles with markup: MkDocs does not escape them, so the hooks do."""
    payload = f'x</title>{IMG}"><svg onload=alert(2)>'
    site = _mkdocs_site(tmp_path, "Site " + payload, "Nav " + payload, "Page " + payload,
                        "Heading <b>bold</b> &lt;i&gt;")
    shown = 'x&lt;/title&gt;&lt;img src=x onerror=alert(1)&gt;&quot;&gt;&lt;svg onload=alert(2)&gt;'
    for rel, pages in parse_pages(site).items():
        for tag, attrs in pages.tags:
            assert tag not in ("img", "svg") or not any(a.startswith("on") for a, _ in attrs), f"{rel}: <{tag} {attrs}>"
            for attr, value in attrs:
                assert not attr.startswith("on"), f"{rel}: <{tag} {attr}={value!r}>"
        assert pages.scripts, rel  # the theme's own scripts are there: the parse saw the whole page
    html = page(site, "page/index.html")
    assert f"<title>Page {shown} - Site {shown}</title>" in html
    assert f"Nav {shown}" in html  # the nav section and its page
    toc = html[html.index('<nav class="md-nav md-nav--secondary"'):]
    assert "Heading bold &lt;i&gt;" in toc[:toc.index("</nav>")]  # tags dropped, text kept escaped
    # A page without front matter: its <title> must not come from Material's `striptags`, which decodes.
    assert "<title>Plain - Site " in page(site, "plain/index.html")
    search = page(site, "search/search_index.json")
    assert "<img" not in search and "<svg" not in search and "</title>" not in search


def test_the_repository_link_is_a_plain_link(tmp_path):
    """Material's repository widget fetches stars and forks from api.github.com; the site asks no other host."""
    html = page(_mkdocs_site(tmp_path, "Site", "Nav", "Page", "Heading"), "page/index.html")
    links = re.findall(r'<a href="https://github.com/example/readiness"[^>]*>', html)
    assert links and all("data-md-component" not in a for a in links)
    assert 'data-md-component="source"' not in html


# --- numbers: finite, not negative, in range ---------------------------------------------------------

PAGE_LOAD = "items.performance/page-load-3-seconds.value"
API = "items.performance/api-response-500ms.value"


def _values(page_load: str, api: str = "350 ms") -> str:
    return f'release: "1.0.0"\nitems:\n  performance/page-load-3-seconds: {{value: {page_load}}}\n' \
           f'  performance/api-response-500ms: {{value: {api}}}\n'


NUMBERS = {
    "infinite": (_values("1e999"), [f"{R}:3:44: {PAGE_LOAD}: `1e999` is out of range; a measured value is at "
                                    "most 1,000,000,000,000 seconds"]),
    "minus-infinite": (_values('"-1e999"'), [f"{R}:3:44: {PAGE_LOAD}: `-1e999` is negative; a measured duration "
                                             "is 0 or more"]),
    "400-digits": (_values("1" + "0" * 399), [f"{R}:3:44: {PAGE_LOAD}: `10000000000000000000…` has 400 characters; "
                                              "a measured value needs at most 32, e.g. `3 seconds`"]),
    "too-large": (_values("2e12"), [f"{R}:3:44: {PAGE_LOAD}: `2e12` is out of range; a measured value is at most "
                                    "1,000,000,000,000 seconds"]),
    "large-in-another-unit": (_values("1", '"1e16 ms"'), [
        f"{R}:4:43: {API}: `1e16 ms` is out of range; a measured value is at most 1,000,000,000,000 ms"]),
    "negative-duration": (_values("-2.4", '"-250 ms"'), [
        f"{R}:3:44: {PAGE_LOAD}: `-2.4` is negative; a measured duration is 0 or more",
        f"{R}:4:43: {API}: `-250 ms` is negative; a measured duration is 0 or more"]),
    "nan": (_values(".nan"), [f"{R}:3:44: {PAGE_LOAD}: `.nan` is not a number; write e.g. `3 seconds`"]),
}


@pytest.mark.parametrize("case", list(NUMBERS))
def test_numbers_out_of_range_are_refused(hostile, case):
    text, expected = NUMBERS[case]
    refused(hostile({R: text}), expected)


def test_a_negative_size_and_percentage_are_refused(hostile):
    checklist = WEB.read_text().replace("- [ ] CDN configured (optional)",
                                        "- [ ] Bundle < 2 MB {#bundle}\n- [ ] Crash-free sessions ≥ 99.5% {#crash-free}")
    text = 'release: "1.0.0"\nitems:\n  bundle: {value: "-1 KB"}\n  crash-free: {value: -99.9}\n'
    refused(hostile({"checklists/web.md": checklist, R: text}), [
        f"{R}:3:19: items.bundle.value: `-1 KB` is negative; a measured size is 0 or more",
        f"{R}:4:23: items.crash-free.value: `-99.9` is negative; a measured percentage is 0 or more"])


def test_a_threshold_of_hundreds_of_digits_is_no_criterion(hostile):
    """Such a number states nothing a measurement is compared with: the item is an ordinary item, and no
    export or chart holds an infinite threshold."""
    huge = "1" + "0" * 399
    checklist = WEB.read_text().replace("- [ ] CDN configured (optional)",
                                        f"- [ ] CDN configured (optional)\n- [ ] First byte < {huge} ms {{#ttfb}}")
    project = hostile({"checklists/web.md": checklist})
    site = built(project)
    status = invoke("status", "1.0.0", "--json", "--root", str(project))
    assert "ttfb" in status.output  # an item, pending
    data = (site / "data" / "releases" / "1.0.0.json").read_text()
    items = json.loads((site / json.loads(data)["checklist_source"]["items"]).read_text())["items"]
    assert [i for i in items if i["id"] == "ttfb"][0] == {"id": "ttfb", "section": "performance",
                                                          "text": f"First byte < {huge} ms"}
    for path in [*site.rglob("*.json"), *site.rglob("*.csv"), *site.rglob("*.svg")]:
        text = re.sub(r'"[^"]*"', "", path.read_text(encoding="utf-8")) if path.suffix == ".json" else ""
        assert "Infinity" not in text and "NaN" not in text, path
        if path.suffix == ".svg":
            assert not re.search(r"\binf\b|\bnan\b", path.read_text(encoding="utf-8")), path


def _report_project(hostile, name: str, text: str) -> Path:
    project = hostile({})
    (project / "reports").mkdir()
    (project / "reports" / name).write_text(text, encoding="utf-8")
    return project


def record_refused(project: Path, args: list[str], expected: list[str]) -> None:
    """`readiness record` refuses with exactly `expected`; the report, every input and the site are unchanged."""
    before = tree(project)
    run = invoke("record", "1.1.0", *args, "--force", "--root", str(project))
    assert_clean_exit(run, 1)
    assert run.problems == expected, run.output
    assert tree(project) == before


REPORTS = Path(__file__).parent / "fixtures" / "reports"
LCP = '"numericValue": 2143.5081'


@pytest.mark.parametrize("value,message", [
    ("9" * 5000, "`99999999999999999999… (5,000 characters)` is out of range; in a real report it is at most "
                 "1,000,000,000,000"),
    ("1e999", "`1e999` is out of range; in a real report it is at most 1,000,000,000,000"),
    ("-5", "`-5` is negative; in a real report it is 0 or more"),
    ("NaN", "`NaN` is not a number"),
], ids=["5000-digits", "infinite", "negative", "nan"])
def test_lighthouse_numbers_no_tool_writes_are_refused(hostile, value, message):
    text = (REPORTS / "lighthouse.json").read_text().replace(LCP, f'"numericValue": {value}', 1)
    project = _report_project(hostile, "lh.json", text)
    record_refused(project, ["--lighthouse", str(project / "reports" / "lh.json"),
                             "--item", "page-load=performance/page-load-3-seconds", "--item", "lighthouse-score=-"],
                   [f'{project / "reports" / "lh.json"}:34:23: audits["largest-contentful-paint"].numericValue: {message}'])


def test_a_5000_digit_number_record_does_not_read_is_no_traceback(hostile):
    """Python refuses to read integers of more than 4,300 digits; a report's unused numbers are not read."""
    text = (REPORTS / "lighthouse.json").read_text().replace('"numericValue": 1203.6', f'"numericValue": {"9" * 5000}', 1)
    project = _report_project(hostile, "lh.json", text)
    run = invoke("record", "1.1.0", "--lighthouse", str(project / "reports" / "lh.json"), "--item",
                 "page-load=performance/page-load-3-seconds", "--item", "lighthouse-score=-", "--force",
                 "--root", str(project))
    assert_clean_exit(run, 0)
    assert "value 2.14351 seconds" in run.output


def test_a_negative_k6_p95_is_refused(hostile):
    text = (REPORTS / "k6-summary.json").read_text().replace('"p(95)": 312.45678', '"p(95)": -250', 1)
    project = _report_project(hostile, "k6.json", text)
    path = project / "reports" / "k6.json"
    record_refused(project, ["--k6", str(path), "--item", "api-response=performance/api-response-500ms",
                             "--item", "load-test=-", "--item", "under-load=-"],
                   [f'{path}:55:22: metrics.http_req_duration["p(95)"]: `-250` is negative; in a real report it is 0 or more'])


def test_a_junit_count_of_5000_digits_is_refused(hostile):
    text = f'<testsuite name="t" tests="{"9" * 5000}" failures="0"><testcase name="a"/></testsuite>\n'
    project = _report_project(hostile, "junit.xml", text)
    path = project / "reports" / "junit.xml"
    record_refused(project, ["--junit", str(path), "--item", "security/https-enforced"],
                   [f'{path}:1:1: <testsuite tests="99999999999999999999… (5,000 characters)">: out of range; '
                    "in a real report it is at most 1,000,000,000,000"])


# --- invisible and direction characters -----------------------------------------------------------------

RLO = "\u202e"


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # the characters themselves in the file, not escapes


def _signed(tech: str, owner: str, note: str = "ok") -> str:
    return (f'release: "1.0.0"\nitems:\n  security/https-enforced: {{status: done, note: {_q(note)}}}\n'
            f"signoffs:\n  tech-lead: {{name: {_q(tech)}, date: 2026-01-10}}\n"
            f"  product-owner: {{name: {_q(owner)}, date: 2026-01-11}}\n")


TEXT_REFUSED = {
    "override-in-a-note": (_signed("Ada Lovelace", "Grace Hopper", f"see report{RLO}fdp.exe"), [
        f"{R}:3:49: items.security/https-enforced.note: has U+202E RIGHT-TO-LEFT OVERRIDE at character 11; "
        "direction controls make text show in another order than it is written; remove it"]),
    "isolate-in-a-name": (_signed("Ada \u2067Lovelace\u2069", "Grace Hopper"), [
        f"{R}:5:21: signoffs.tech-lead.name: has U+2067 RIGHT-TO-LEFT ISOLATE at character 5; "
        "direction controls make text show in another order than it is written; remove it"]),
    "zero-width-space-in-a-name": (_signed("Ada Lovelace", "Ada Love\u200blace"), [
        f"{R}:6:25: signoffs.product-owner.name: has the invisible character U+200B ZERO WIDTH SPACE at "
        "character 9; a name shows every character it has; remove it"]),
    "word-joiner-in-a-name": (_signed("Ada Lovelace", "Ada\u2060 Lovelace"), [
        f"{R}:6:25: signoffs.product-owner.name: has the invisible character U+2060 WORD JOINER at character 4; "
        "a name shows every character it has; remove it"]),
    "hangul-filler-for-a-space": (_signed("Ada Lovelace", "Ada\u3164Lovelace"), [
        f"{R}:6:25: signoffs.product-owner.name: has the invisible character U+3164 HANGUL FILLER at character 4; "
        "a name shows every character it has; remove it"]),
    "cyrillic-look-alike-in-a-name": (_signed("Ada Lovelace", "Ada L\u043evelace"), [
        f"{R}:6:25: signoffs.product-owner.name: mixes Latin letters with U+043E CYRILLIC SMALL LETTER O in the "
        "word `L\u043evelace`; write each word of a name in one script"]),
}


@pytest.mark.parametrize("case", list(TEXT_REFUSED))
def test_invisible_and_direction_characters_are_refused(hostile, case):
    text, expected = TEXT_REFUSED[case]
    refused(hostile({R: text}), expected)


def test_a_direction_control_in_readiness_yml_is_refused(hostile):
    refused(hostile({"readiness.yml": f"site_name: Launch {RLO}ssenidaer\n"}), [
        f"readiness.yml:1:12: site_name: has U+202E RIGHT-TO-LEFT OVERRIDE at character 8; direction controls "
        "make text show in another order than it is written; remove it"])


def _findings(project: Path) -> list[dict]:
    run = invoke("audit", "--json", "--root", str(project))
    return json.loads(run.output)["findings"]


@pytest.mark.parametrize("other", ["ADA  LOVELACE", "\uff21da Lovelace", "Ada\u200d Lovelace", "Ada Love\u200dlace"],
                         ids=["case-and-spaces", "fullwidth", "joiner-before-space", "joiner-inside"])
def test_duplicate_signer_sees_through_spelling(project, other):
    """Names the input allows (joiners are needed in some scripts) still compare as the same person."""
    (project / R).write_text(_signed("Ada Lovelace", other), encoding="utf-8")
    assert_clean_exit(invoke("check", "--root", str(project)), 0)
    found = [f for f in _findings(project) if f["rule"] == "duplicate-signer"]
    assert [(f["release"], f["evidence"]["roles"]) for f in found] == [("1.0.0", ["tech-lead", "product-owner"])]


def test_direction_controls_in_checklist_text_do_not_reach_pages(hostile, clean_site):
    text = WEB.read_text().replace("- [ ] Refunds tested", f"- [ ] Refunds tested {RLO}txt.exe")
    text = text.replace("## Performance", f"## Performance {RLO}fast {{#performance}}")
    site = built(hostile({"checklists/web.md": text}))
    assert_inert(site, clean_site)
    for path in [*site.rglob("*.html"), *site.rglob("*.svg"), site / "search" / "search_index.json"]:
        assert RLO not in path.read_text(encoding="utf-8"), path
    assert "Refunds tested txt.exe" in page(site, "checklists/web/index.html")


# --- secrets in checklists, and secrets split by invisible characters ------------------------------------

AWS = "AKIA" + "IOSFODNN7EXAMPLE"  # built here, so no scanner flags this repository for the well-known fake
ADVICE = "remove it from the file, rotate the credential, and link to where it is kept instead"


def _no_secret_in(runs, *secrets: str) -> None:
    for run in runs:
        for secret in secrets:
            assert secret not in run.output and secret[:8] not in run.output, run.output


@pytest.mark.parametrize("where", ["item", "heading", "code-block", "html-comment"])
def test_a_secret_pasted_into_a_checklist_is_refused(hostile, where):
    text = WEB.read_text()
    line = {
        "item": ("- [ ] HTTPS enforced", f"- [ ] HTTPS enforced (deploy key {AWS})"),
        "heading": ("## Performance", f"## Performance {AWS} {{#performance}}"),
        "code-block": ("## Performance\n", f"## Performance\n\n```\nexport AWS_ACCESS_KEY_ID={AWS}\n```\n"),
        "html-comment": ("## Performance\n", f"## Performance\n\n<!-- {AWS} -->\n"),
    }[where]
    text = text.replace(*line, 1)
    number = next(i for i, ln in enumerate(text.splitlines(), 1) if AWS in ln)
    col = text.splitlines()[number - 1].index(AWS) + 1
    runs = refused(hostile({"checklists/web.md": text}), [
        f"checklists/web.md:{number}:{col}: looks like a secret (AWS Access Key: AKIA…****); {ADVICE}"])
    _no_secret_in(runs, AWS)


SPLITTERS = pytest.mark.parametrize("split", ["\u200b", "\u2060", "\u00ad", "\ufeff"], ids=[
    "zero-width-space", "word-joiner", "soft-hyphen", "zero-width-no-break-space"])


@SPLITTERS
def test_a_secret_split_by_an_invisible_character_is_found_in_a_checklist(hostile, split):
    key = AWS[:8] + split + AWS[8:]
    checklist = WEB.read_text().replace("- [ ] Refunds tested", f"- [ ] Refunds tested with {key}")
    line = next(i for i, ln in enumerate(checklist.splitlines(), 1) if key in ln)
    runs = refused(hostile({"checklists/web.md": checklist}), [
        f"checklists/web.md:{line}:27: looks like a secret (AWS Access Key: AKIA…****); {ADVICE}"])
    _no_secret_in(runs, AWS, key)


@SPLITTERS
def test_a_secret_split_by_an_invisible_character_is_found_in_results(hostile, split):
    key = AWS[:8] + split + AWS[8:]
    runs = refused(hostile({R: f'release: "1.0.0"\nlaunch:\n  notes: {_q("key " + key)}\n'}), [
        f"{R}:3:10: launch.notes: looks like a secret (AWS Access Key: AKIA…****); {ADVICE}"])
    _no_secret_in(runs, AWS, key)


# --- a file with thousands of mistakes ---------------------------------------------------------------


@pytest.mark.slow
def test_100000_unknown_keys_give_a_short_report_quickly(hostile):
    """Each unknown id used to get a did-you-mean search: 112 s and 100,001 lines. Now the first 50 are
    shown with their hints, the rest counted without."""
    keys = "".join(f"  security/https-enforce{i}: done\n" for i in range(100_000))
    runs = refused(hostile({R: f'release: "1.0.0"\nitems:\n{keys}'}), None, max_seconds=30)
    for run in runs:
        assert len(run.problems) == 51, run.output[-2000:]
        assert run.problems[0] == (f"{R}:3:3: items.security/https-enforce0: unknown id in checklist `web`; "
                                   "did you mean 'security/https-enforced'?")
        assert run.problems[-1] == (f"{R}:53:3: and 99,950 more problems in this file, not shown; fix the ones "
                                    "above and run `readiness check` again")
        assert run.output.rstrip().endswith(summary(run, "100000 errors"))


def test_the_report_is_capped_per_file(hostile):
    """Two files with 60 problems each: 50 of each are shown, each followed by its own count."""
    keys = "".join(f"  nope{i}: done\n" for i in range(60))
    other = "results/1.1.0.yaml"
    runs = refused(hostile({R: f'release: "1.0.0"\nitems:\n{keys}', other: f'release: "1.1.0"\nitems:\n{keys}'}), None)
    for run in runs:
        for path in (R, other):
            lines = [p for p in run.problems if p.startswith(path + ":")]
            assert len(lines) == 51
            assert lines[-1] == (f"{path}:53:3: and 10 more problems in this file, not shown; fix the ones above "
                                 "and run `readiness check` again")
        assert run.output.rstrip().endswith(summary(run, "120 errors"))


def test_a_secret_in_a_commit_message_is_not_published(tmp_path):
    """History cannot be rewritten, so the build goes on; the page names the kind of secret, not the secret."""
    from gitrepo import Repo

    project = Path(__file__).parent / "fixtures" / "project"
    repo = Repo(tmp_path / "repo")
    files = {f"{d}/{p.name}": p.read_text(encoding="utf-8") for d in ("checklists", "results")
             for p in sorted((project / d).iterdir())}
    repo.commit(f"Deploy with {AWS[:8]}\u200b{AWS[8:]} and {AWS}", files)
    site = built(repo.root)
    for path in site.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert AWS.encode() not in data and AWS[8:].encode() not in data, path
    assert "(not shown: looks like a secret (AWS Access Key: AKIA…****))" in page(site, "releases/1.0.0/index.html")


# --- properties of the text policy ----------------------------------------------------------------------

INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\u2061", "\u00ad", "\ufeff", "\u180e", "\u3164", "\u115f",
             "\u034f", "\ufe0f", "\U000e0041", "\u202e", "\u2066", "\u200e", " ", "\t"]
NAMES = st.text(st.characters(whitelist_categories=("Lu", "Ll", "Lo")), min_size=1, max_size=24)


@settings(max_examples=300, deadline=None)
@given(name=NAMES, inserts=st.lists(st.tuples(st.integers(0, 30), st.sampled_from(INVISIBLE)), max_size=6))
def test_invisible_characters_and_spaces_never_make_another_person(name, inserts):
    spelt = name
    for at, ch in inserts:
        spelt = spelt[:at] + ch + spelt[at:]
    assert comparable(spelt) == comparable(name)
    if name.upper().casefold() == name.casefold():  # not so for a few letters, such as the dotless ı
        assert comparable(spelt.upper()) == comparable(name.lower())


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=40))
def test_displayed_text_holds_no_direction_control_and_refused_text_names_it(text):
    assert not DIRECTION_CONTROLS.search(displayed(text))
    if DIRECTION_CONTROLS.search(text):
        assert "direction controls" in text_problem(text)
    else:
        assert displayed(text) == text
