"""Hostile inputs: every bad file is refused with one clear `path:line:col: message`, by `check` and `build` alike.

Each case copies the fixture project, puts a site built from the clean inputs in `site/`, adds or replaces
one input with a file from tests/fixtures/hostile/ (or one generated here: binary, huge, or a name a file
in git cannot carry), then runs `readiness check` and `readiness build`. Both must exit 1 with exactly the
expected problem lines, never a traceback, and leave the whole project (inputs and the old site)
byte-for-byte as it was, with no `.readiness-build-*` directory behind. The markup cases are the
exception: their inputs are valid, so the build succeeds and the test looks at what reached the HTML.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Callable, Optional, Union

import pytest
from click.testing import CliRunner, Result

from generator.cli import cli

from conftest import FIXED_EPOCH, FIXTURES

HOSTILE = FIXTURES / "hostile"
PROBLEM_LINE = re.compile(r":\d+:\d+: ")
# C0 controls other than newline, and DEL: never wanted raw in terminal output.
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")

Content = Union[str, bytes, Callable[[Path], None]]


# --- running commands and comparing trees -----------------------------------------------------------


@dataclass
class Run:
    command: str
    result: Result
    seconds: float

    @property
    def output(self) -> str:
        return self.result.output

    @property
    def problems(self) -> list[str]:
        """The `path:line:col: message` lines of the output, in order."""
        return [line for line in self.output.splitlines() if PROBLEM_LINE.search(line)]


def invoke(*args: str) -> Run:
    started = time.perf_counter()
    result = CliRunner().invoke(cli, list(args))
    return Run(args[0], result, time.perf_counter() - started)


def tree(root: Path) -> dict[str, str]:
    """Every file and folder under `root` (hidden ones included) -> sha256 of its bytes, or `<dir>`."""
    out: dict[str, str] = {}
    if not root.exists():
        return out
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_dir():
            out[rel + "/"] = "<dir>"
        else:
            digest = hashlib.sha256()
            with open(p, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
            out[rel] = digest.hexdigest()
    return out


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Paths added, removed or modified between two `tree` snapshots."""
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


def assert_clean_exit(run: Run, exit_code: int) -> None:
    """The expected exit code, from our own handling: no traceback, no exception other than SystemExit."""
    assert run.result.exit_code == exit_code, f"{run.command}: exit {run.result.exit_code}\n{run.output}"
    assert "Traceback" not in run.output, run.output
    exc = run.result.exception
    assert exc is None or isinstance(exc, SystemExit), f"{run.command} raised {exc!r}"


def inputs(project: Path) -> dict[str, str]:
    """`tree` of results/ and checklists/."""
    return {f"{d}/{rel}": h for d in ("results", "checklists") for rel, h in tree(project / d).items()}


def stray_build_dirs(project: Path) -> list[Path]:
    return sorted(project.parent.rglob(".readiness-build-*"))


# --- the project each case starts from ---------------------------------------------------------------


@pytest.fixture(scope="session")
def clean_site(tmp_path_factory) -> Path:
    """The fixture project's site, built once from the clean inputs with the suite's fixed date."""
    root = tmp_path_factory.mktemp("clean") / "project"
    shutil.copytree(FIXTURES / "project", root)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", FIXED_EPOCH)
        mp.setenv("NO_MKDOCS_2_WARNING", "1")
        run = invoke("build", "--root", str(root))
    assert_clean_exit(run, 0)
    return root / "site"


def fixture(name: str) -> bytes:
    return (HOSTILE / name).read_bytes()


def put(project: Path, files: dict[str, Content]) -> None:
    """Write hostile files into the project: text, bytes, or a function that creates the file."""
    for rel, content in files.items():
        target = project / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            content(target)
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_bytes(content.encode("utf-8"))


@pytest.fixture
def hostile(project, clean_site):
    """Returns `prepare(files)`: the project with a previously built site and the hostile files added."""

    def prepare(files: dict[str, Content]) -> Path:
        shutil.copytree(clean_site, project / "site")
        put(project, files)
        return project

    return prepare


def summary(run: Run, count: str) -> str:
    """The last line a refused run ends with: `build` says nothing was written; `check` never writes, so it does not."""
    return f"{count}; nothing was written." if run.command == "build" else f"{count}."


def refused(project: Path, expected: Optional[list[str]], *, exit_code: int = 1,
            max_seconds: Optional[float] = None) -> list[Run]:
    """Run `check` then `build`; both refuse with exactly `expected` and change nothing in the project."""
    before = tree(project)
    assert (project / "site" / "index.html").is_file(), "the case needs an existing site to protect"
    runs = []
    for command in ("check", "build"):
        run = invoke(command, "--root", str(project))
        assert_clean_exit(run, exit_code)
        if expected is not None:
            assert run.problems == expected, f"{command} printed:\n{run.output}"
        if max_seconds is not None:
            assert run.seconds < max_seconds, f"{command} took {run.seconds:.2f} s"
        assert changed(before, tree(project)) == [], f"{command} changed the project"
        assert stray_build_dirs(project) == []
        runs.append(run)
    return runs


# --- refused inputs: one results file at a time -------------------------------------------------------

R = "results/1.0.0.yaml"


def _sparse_50mb(path: Path) -> None:
    with open(path, "wb") as fh:
        fh.truncate(50 * 1024 * 1024)


NOT_HTTP = "is not an http:// or https:// link; evidence must be one"

REFUSED = {
    # YAML syntax: the parser's position, in our format.
    "syntax-error": (
        {R: fixture("results/syntax_error.yaml")},
        [f"{R}:4:19: invalid YAML: mapping values are not allowed in this context"]),
    "tab-indent": (
        {R: fixture("results/tab_indent.yaml")},
        [f"{R}:3:1: tab character: YAML indents with spaces; replace the tab with spaces"]),
    "unclosed-quote": (
        {R: fixture("results/unclosed_quote.yaml")},
        [f"{R}:1:10: the quoted value starting here is never closed; add the closing quote"]),
    # Tags are refused, never constructed.
    "custom-tag": (
        {R: fixture("results/custom_tag.yaml")},
        [f"{R}:3:13: YAML tag `!foo` is not allowed; remove it"]),
    # Anchors, aliases and merge keys.
    "anchor-alias": (
        {R: fixture("results/anchor_alias.yaml")},
        [f"{R}:3:13: YAML anchor `&ok` is not allowed; write values out in full",
         f"{R}:4:32: YAML alias `*ok` is not allowed; write the value out in full"]),
    "merge-alias": (
        {R: fixture("results/merge_alias.yaml")},
        [f"{R}:3:28: YAML anchor `&x` is not allowed; write values out in full",
         f"{R}:5:9: YAML alias `*x` is not allowed; write the value out in full"]),
    "merge-inline": (
        {R: fixture("results/merge_inline.yaml")},
        [f"{R}:2:1: YAML merge keys `<<` are not allowed; write the keys out",
         f"{R}:5:5: items.security/https-enforced: YAML merge keys `<<` are not allowed; write the keys out"]),
    # Duplicate keys: the duplicate's position, and the line of the first.
    "duplicate-keys": (
        {R: fixture("results/duplicate_keys.yaml")},
        [f"{R}:7:5: items.security/https-enforced.status: duplicate key (first on line 5)",
         f"{R}:8:3: items.security: duplicate key (first on line 3)",
         f"{R}:9:1: release: duplicate key (first on line 1)"]),
    # YAML 1.1 surprises; the file is named after the release `1.10` the author meant.
    "yaml11-scalars": (
        {"results/1.10.yaml": fixture("results/yaml11_scalars.yaml")},
        ['results/1.10.yaml:1:10: release: `1.10` is read by YAML as a number; put it in quotes: "1.10"',
         "results/1.10.yaml:4:13: items.security/https-enforced.status: `no` is read by YAML as a boolean, "
         "not a status; did you mean 'failed'?",
         "results/1.10.yaml:5:53: items.performance/cdn-configured.reason: `off` is read by YAML as a boolean; "
         'put it in quotes: "off"',
         'results/1.10.yaml:8:9: launch.time: `12:30` is read by YAML as a number; put it in quotes: "12:30"']),
    # Encodings and size: `path:line:col` of the first bad byte, 1:1 where there is no position.
    "not-utf8": (
        {R: b'release: "1.0.0"\nlaunch:\n  deployed_by: Ren\xe9 Dupont\n'},
        [f"{R}:3:19: byte 0xe9 is not valid UTF-8; save the file as UTF-8"]),
    "bom": (
        {R: b'\xef\xbb\xbfrelease: "1.0.0"\n'},
        [f"{R}:1:1: file starts with a byte-order mark (BOM); save it as UTF-8 without BOM"]),
    "nul": (
        {R: b'release: "1.0.0"\nitems:\n  security: do\x00ne\n'},
        [f"{R}:3:15: NUL byte in file; results files are plain text"]),
    # File names that are not release names.
    "space-in-name": (
        {"results/1.0 final.yaml": 'release: "1.0 final"\n'},
        ["results/1.0 final.yaml:1:1: file name `1.0 final.yaml`: release name `1.0 final` has ` ` (U+0020 SPACE) "
         "at position 4; use ASCII letters, digits and . _ + - (starting with a letter or digit); rename the file"]),
    "cyrillic-look-alike": (
        {"results/1.0.0-b\u0435ta.yaml": 'release: "1.0.0-beta"\n'},
        ["results/1.0.0-b\u0435ta.yaml:1:1: file name `1.0.0-b\u0435ta.yaml`: release name `1.0.0-b\u0435ta` has "
         "`\u0435` (U+0435 CYRILLIC SMALL LETTER IE) at position 8; use ASCII letters, digits and . _ + - "
         "(starting with a letter or digit); rename the file"]),
    # Two files for releases whose names differ only in case: both files named.
    "case-collision": (
        {"results/RC.yaml": 'release: "RC"\n', "results/rc.yaml": 'release: "rc"\n'},
        ["results/rc.yaml:1:1: release `rc` differs only in case from results/RC.yaml; rename one of them"]),
    # Evidence must be an http(s) link: script, data and scheme-relative links are refused.
    "evidence-schemes": (
        {R: fixture("results/evidence_schemes.yaml")},
        [f"{R}:3:72: items.security/secrets/default-passwords-changed.evidence: `javascript:alert(1)` {NOT_HTTP}",
         f"{R}:4:89: items.security/secrets/api-keys-are-production-keys-not-test-keys.evidence: "
         f"`data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==` {NOT_HTTP}",
         f"{R}:5:53: items.security/https-enforced.evidence: `JaVaScRiPt:alert(1)` {NOT_HTTP}",
         f"{R}:6:57: items.payments/webhook-configured.evidence: `//evil.example/x` {NOT_HTTP}",
         f"{R}:7:53: items.payments/refunds-tested.evidence: `https:evil` {NOT_HTTP}",
         f"{R}:8:56: items.performance/cdn-configured.evidence: `https://ok.example/\\u2028javascript:alert(1)` "
         f"{NOT_HTTP}"]),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_refused(hostile, case):
    files, expected = REFUSED[case]
    project = hostile(files)
    runs = refused(project, expected)
    for r in runs:  # `build` says nothing was written; `check` never writes, so it does not say so
        last = r.output.rstrip().splitlines()[-1]
        assert re.fullmatch(r"\d+ errors?(; nothing was written)?\.", last), last
        assert last.endswith("; nothing was written.") == (r.command == "build"), last


def test_python_tag_is_never_constructed(hostile, tmp_path):
    marker = tmp_path / "pwned"
    text = fixture("results/python_tag.yaml").decode().replace("@MARKER@", str(marker))
    project = hostile({R: text})
    refused(project, [f"{R}:2:8: YAML tag `!!python/object/apply:os.system` is not allowed; remove it"])
    assert not marker.exists()


def test_alias_bomb_is_refused_before_expansion(hostile):
    project = hostile({R: fixture("results/alias_bomb.yaml")})
    refused(project, [f"{R}:2:4: YAML anchor `&a` is not allowed; write values out in full",
                      f"{R}:3:8: YAML alias `*a` is not allowed; write the value out in full"], max_seconds=2)


def test_oversized_file_is_refused_before_reading(hostile):
    project = hostile({R: _sparse_50mb})
    refused(project, [f"{R}:1:1: file is 52,428,800 bytes, over the 5 MB limit (5,242,880 bytes); "
                      "results files are written by hand and stay far smaller"], max_seconds=2)


@pytest.mark.parametrize("name", ["1.0.0\x07.yaml", "1.0.0\n.yaml", "1.0.0\x1b[2J.yaml"],
                         ids=["bell", "newline", "escape-sequence"])
def test_control_characters_in_file_names(hostile, name):
    """Refused, and the name is shown escaped: raw controls would garble the terminal or split the line."""
    project = hostile({f"results/{name}": 'release: "1.0.0"\n'})
    for run in refused(project, None):
        assert not CONTROL.search(run.output), f"raw control character in {run.output!r}"
        lines = [line for line in run.output.splitlines() if line.strip()]
        problem = [line for line in lines if "file name" in line]
        assert len(problem) == 1 and re.match(r"results/.+:1:1: file name ", problem[0]), lines
        # What is shown must not be mistaken for the valid name next to it.
        assert "`1.0.0.yaml`" not in problem[0]


def test_yml_beside_yaml_names_both_files(hostile):
    """`1.0.0.yml` next to `1.0.0.yaml`: renaming as told would overwrite the other file, so both are named."""
    project = hostile({"results/1.0.0.yml": 'release: "1.0.0"\n'})
    for run in refused(project, None):
        assert len(run.problems) == 1, run.output
        line = run.problems[0]
        assert line.startswith("results/1.0.0.yml:1:1: ")
        assert "results/1.0.0.yaml" in line, f"the existing results/1.0.0.yaml is not named: {line}"


def _secrets_file() -> str:
    """Built here rather than stored, so no scanner flags the repository for these well-known fakes."""
    aws = "AKIA" + "IOSFODNN7EXAMPLE"
    github = "ghp_" + "0123456789abcdefghijABCDEFGHIJ012345"
    return (
        'release: "1.0.0"\n'
        "items:\n"
        "  security: done\n"
        "  security/https-enforced:\n"
        "    status: done\n"
        f'    note: "Deployed with key {aws}"\n'
        "  payments/refunds-tested:\n"
        "    status: done\n"
        "    note: |\n"
        "      Key material:\n"
        f"      -----BEGIN RSA {'PRIVATE'} KEY-----\n"
        "      MIIEowIBAAKCAQEA\n"
        '  performance: {status: n/a, reason: "password=Xk9#mQ2$vL8pZr4w"}\n'
        "launch:\n"
        f"  notes: token {github} for the bot\n"
    )


SECRETS = ["AKIAIOSFODNN7EXAMPLE", "ghp_0123456789abcdefghijABCDEFGHIJ012345", "-----BEGIN RSA PRIVATE KEY-----",
           "MIIEowIBAAKCAQEA", "Xk9#mQ2$vL8pZr4w", "mQ2$vL8p"]


def test_secrets_are_refused_and_redacted(hostile):
    project = hostile({R: _secrets_file()})
    advice = "remove it from the file, rotate the credential, and link to where it is kept instead"
    runs = refused(project, [
        f"{R}:6:11: items.security/https-enforced.note: looks like a secret (AWS Access Key: AKIA…****); {advice}",
        f"{R}:11:1: items.payments/refunds-tested.note: looks like a secret (Private Key: ----…****); {advice}",
        f"{R}:13:38: items.performance.reason: looks like a secret (Secret Keyword: Xk9#…****); {advice}",
        f"{R}:15:10: launch.notes: looks like a secret (GitHub Token: ghp_…****); {advice}",
    ])
    for run in runs:
        for secret in SECRETS:
            assert secret not in run.output


# --- readiness new: names that are paths ------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ["../x"], ["/abs"], ["a\\b"], [".."], ["x/../../y"], ["1.0.0-b\u0435ta"],
    ["2.1.0", "--from", "../x"], ["2.1.0", "--checklist", "../web"],
], ids=["parent", "absolute", "backslash", "dotdot", "nested", "cyrillic", "from-parent", "checklist-parent"])
def test_new_refuses_names_that_are_paths(project, tmp_path, args):
    # Plant what a path-following `new` would read, so a traversal would succeed rather than fail for lack of it.
    (project / "x.yaml").write_text('release: "x"\n')
    (project / "web.md").write_text((project / "checklists" / "web.md").read_text())
    before, absolute_existed = tree(tmp_path), Path("/abs.yaml").exists()
    run = invoke("new", *args, "--root", str(project))
    assert_clean_exit(run, 2)  # a bad argument is a usage error
    value = args[0] if len(args) == 1 else args[2]
    expected = {
        "--from": "Error: --from: product name `..` has `.` (U+002E FULL STOP) at position 1; use ASCII "
                  "letters, digits and . _ + - (starting with a letter or digit)",
        "--checklist": "Error: --checklist: no checklist `../web`; have web",
    }.get(args[1] if len(args) > 1 else "", "")
    first = run.output.splitlines()[0]
    # `product/release` is a valid form, so a name with one slash is refused for its product part.
    assert first.startswith(expected or (f"Error: release name `{value}` has ", "Error: product name `")), run.output
    assert changed(before, tree(tmp_path)) == []
    assert Path("/abs.yaml").exists() == absolute_existed


def test_new_shows_control_characters_escaped(project, tmp_path):
    before = tree(tmp_path)
    run = invoke("new", "rel\x07\x1b[2J", "--root", str(project))
    assert_clean_exit(run, 2)
    assert changed(before, tree(tmp_path)) == []
    assert not CONTROL.search(run.output), f"raw control character in {run.output!r}"


# --- markup: valid inputs, so the build succeeds; nothing active may reach the HTML --------------------


class _Tags(HTMLParser):
    """Start tags of one page: scripts verbatim, and every attribute."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: Counter = Counter()
        self.tags: list[tuple[str, list[tuple[str, Optional[str]]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        if tag == "script":
            self.scripts[self.get_starttag_text()] += 1

    handle_startendtag = handle_starttag


def parse_pages(site: Path) -> dict[str, _Tags]:
    pages = {}
    for page in sorted(site.rglob("*.html")):
        parser = _Tags()
        parser.feed(page.read_text(encoding="utf-8"))
        pages[page.relative_to(site).as_posix()] = parser
    return pages


URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "srcset", "poster", "data", "background"}


def assert_inert(site: Path, clean_site: Path) -> None:
    """No script beyond the theme's, no event handler, no script/data URL, no external image or frame."""
    pages, clean = parse_pages(site), parse_pages(clean_site)
    assert sorted(pages) == sorted(clean)
    for name, page in pages.items():
        assert page.scripts == clean[name].scripts, f"{name}: script tags differ from a clean build"
        for tag, attrs in page.tags:
            for attr, value in attrs:
                assert not attr.startswith("on"), f"{name}: <{tag} {attr}={value!r}>"
                if attr in URL_ATTRS and value:
                    bare = re.sub(r"[\s\x00-\x1f]", "", value).lower()
                    assert not bare.startswith(("javascript:", "data:", "vbscript:")), f"{name}: <{tag} {attr}={value!r}>"
            if tag in ("img", "iframe", "frame", "object", "embed", "video", "audio", "source"):
                src = dict(attrs).get("src") or dict(attrs).get("data") or ""
                assert not re.match(r"(?i)\s*(https?:)?//", src), f"{name}: external <{tag} src={src!r}>"
            assert tag not in ("iframe", "frame", "object", "embed", "base"), f"{name}: <{tag}>"


def test_markup_in_results_text_is_inert(hostile, clean_site):
    project = hostile({R: fixture("results/markup_in_text.yaml")})
    before = inputs(project)
    for command in ("check", "build"):
        run = invoke(command, "--root", str(project))
        assert_clean_exit(run, 0)
        assert stray_build_dirs(project) == []
    assert inputs(project) == before
    site = project / "site"
    assert_inert(site, clean_site)
    page = (site / "releases" / "1.0.0" / "index.html").read_text(encoding="utf-8")
    # The text is kept, as text: shown escaped, not dropped.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_markup_in_checklist_is_inert(hostile, clean_site):
    project = hostile({"checklists/web.md": fixture("checklists/web.md")})
    before = inputs(project)
    check = invoke("check", "--root", str(project))
    build = invoke("build", "--root", str(project))
    assert check.result.exit_code == build.result.exit_code
    assert_clean_exit(check, check.result.exit_code)
    assert_clean_exit(build, build.result.exit_code)
    assert inputs(project) == before
    assert stray_build_dirs(project) == []
    if build.result.exit_code != 0:  # failing cleanly is allowed: then the old site stays
        assert tree(project / "site") == tree(clean_site)
        return
    site = project / "site"
    assert_inert(site, clean_site)
    # The page with the hostile text is built, and pages that do not show checklist text are unchanged.
    assert "Webhook configured &lt;/table&gt;" in (site / "checklists" / "web" / "index.html").read_text()
    assert (site / "index.html").read_bytes() == (clean_site / "index.html").read_bytes()
    # The unclosed fence swallows what follows it: no item is added.
    status = json.loads(invoke("status", "1.0.0", "--json", "--root", str(project)).output)
    assert status["counts"]["total"] == 8


def test_dots_in_a_release_name_stay_inside_the_site(hostile, tmp_path):
    """`..` inside a name is allowed by the release-name rule; its page must still land under site/releases/."""
    project = hostile({"results/1..0.yaml": 'release: "1..0"\n'})
    outside = {k: v for k, v in tree(tmp_path).items() if not k.startswith("project/site/")}
    for command in ("check", "build"):
        assert_clean_exit(invoke(command, "--root", str(project)), 0)
    assert (project / "site" / "releases" / "1..0" / "index.html").is_file()
    assert {k: v for k, v in tree(tmp_path).items() if not k.startswith("project/site/")} == outside
    assert stray_build_dirs(project) == []
