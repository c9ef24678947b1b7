"""Hostile git metadata and file names: nothing committed can forge what the git reader reports, or stop it.

Each case is a real repository whose commits carry what an attacker with push access can put there:
separator characters (\\x1f, \\x1e) in names and messages laid out as fake fields, direction and control
characters, a megabyte of message, file names with a newline, and commit objects written byte by byte
that git itself would never make. `check`, `build` and `audit` must run to the end without a traceback,
report exactly the real commit data (escaped where it holds controls), warn about a record that does not
check, and leave every input byte-identical.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.cli import cli
from generator.history import GitHistory
from generator.provenance import LOG_FIELDS, parse_log

from gitrepo import Repo

CHECKLIST = """# Web

## Security

- [ ] Default passwords changed

## Sign-off

- [ ] **Tech Lead:** ____
"""
RESULTS = 'release: "1.0"\nitems:\n  security: done\nsignoffs:\n  tech-lead: {name: Grace Hopper, date: 2026-01-06}\n'
# An author name laid out as the fields the old reader split on: email, dates, committer, a good signature.
FORGED_AUTHOR = "Eve\x1feve@evil.example\x1f2020-01-01T00:00:00+00:00\x1fMallory\x1f2020-01-01T00:00:00+00:00\x1fG\x1fforged"


def invoke(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output and not isinstance(result.exception, (ValueError, IndexError,
                                                                                   KeyError, TypeError)), result.output
    return result


def inputs(root: Path) -> dict[str, str]:
    """sha256 of every file of the working tree and of git's own state (refs, index, objects listing)."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and "site" not in p.relative_to(root).parts[:1]:
            out[p.relative_to(root).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def base_repo(tmp_path: Path, config: str = "") -> Repo:
    repo = Repo(tmp_path / "repo")
    files = {"checklists/web.md": CHECKLIST}
    if config:
        files["readiness.yml"] = config
    repo.commit("Checklist", files, "Ada Lovelace", "2026-01-01T09:00:00+00:00")
    return repo


def audit(root: Path) -> tuple[int, dict]:
    result = invoke("audit", "--json", "--root", str(root))
    return result.exit_code, json.loads(result.stdout)


# --- separators in names and messages ------------------------------------------------------------------


def test_author_name_cannot_forge_signature_or_dates(tmp_path):
    repo = base_repo(tmp_path, "audit:\n  signed_commits: true\n")
    sha = repo.commit("Results 1.0", {"results/1.0.yaml": RESULTS}, FORGED_AUTHOR, "2026-01-06T10:00:00+00:00",
                      committer="Grace Hopper")
    before = inputs(repo.root)
    code, report = audit(repo.root)
    unsigned = [f for f in report["findings"] if f["rule"] == "unsigned-commit"]
    shown = FORGED_AUTHOR.replace("\x1f", "\\x1f")
    assert [f["evidence"]["commit"] for f in unsigned if f["evidence"]["commit"]["sha"] == sha] == [
        {"sha": sha, "author": shown, "email": shown.lower().replace(" ", ".") + "@example.com",
         "date": "2026-01-06T10:00:00+00:00", "committed": "2026-01-06T10:00:00+00:00", "signature": "not signed"}]
    assert f"commit {sha[:10]} by {shown} changing results/1.0.yaml is not signed" in [f["message"] for f in unsigned]
    assert code == 1
    assert inputs(repo.root) == before


def test_separators_in_message_and_author_stop_no_command(tmp_path):
    repo = base_repo(tmp_path)
    repo.commit("Results\x1e1.0\x1fdone\n\nbody\x1e\x1f", {"results/1.0.yaml": RESULTS}, "Ev\x1fil",
                "2026-01-06T10:00:00+00:00")
    repo.commit("Sign\x1e", {"results/1.0.yaml": RESULTS + "launch: {date: 2026-01-09}\n"}, "Grace\x1eHopper",
                "2026-01-07T10:00:00+00:00")
    before = inputs(repo.root)
    check = invoke("check", "--root", str(repo.root))
    assert check.exit_code == 0, check.output
    site = tmp_path / "site"
    build = invoke("build", "--root", str(repo.root), "-d", str(site))
    assert build.exit_code == 0, build.output
    page = (site / "releases" / "1.0" / "index.html").read_text()
    assert "Results\\x1e1.0\\x1fdone" in page and "Ev\\x1fil" in page and "Grace\\x1eHopper" in page
    assert "\x1e" not in page and "\x1f" not in page
    code, report = audit(repo.root)
    assert code == 0 and report["releases"] == 1
    assert inputs(repo.root) == before


def test_direction_and_invisible_characters_are_shown_escaped(tmp_path):
    repo = base_repo(tmp_path)
    repo.commit("Sign \u202eKO\u202c", {"results/1.0.yaml": RESULTS}, "Bob\u202eenots\u2066", "2026-01-06T10:00:00+00:00",
                committer="Zero\u200bWidth")
    site = tmp_path / "site"
    assert invoke("build", "--root", str(repo.root), "-d", str(site)).exit_code == 0
    page = (site / "releases" / "1.0" / "index.html").read_text()
    assert "Bob\\u202eenots\\u2066" in page and "Zero\\u200bWidth" in page and "Sign \\u202eKO\\u202c" in page
    assert not any(ch in page for ch in "\u202e\u202c\u2066\u200b")


def test_huge_commit_message_is_cut_on_the_page(tmp_path):
    repo = base_repo(tmp_path)
    repo.commit("x" * 1_000_000 + "\n\n" + "body " * 100_000, {"results/1.0.yaml": RESULTS}, "Ada Lovelace",
                "2026-01-06T10:00:00+00:00")
    site = tmp_path / "site"
    assert invoke("build", "--root", str(repo.root), "-d", str(site)).exit_code == 0
    page = (site / "releases" / "1.0" / "index.html").read_text()
    assert "x" * 300 + "…" in page and "x" * 301 not in page
    assert len(page.encode()) < 200_000


# --- commit objects git would not write ----------------------------------------------------------------


def craft(repo: Repo, author_line: str, message: str = "Crafted\n") -> str:
    """Write a commit object byte by byte on top of HEAD (same tree plus a changed results file) and move HEAD."""
    repo.write({"results/1.0.yaml": RESULTS + f"# {message}"})
    repo.git("add", "-A")
    tree = repo.git("write-tree").strip()
    parent = repo.git("rev-parse", "HEAD").strip()
    body = (f"tree {tree}\nparent {parent}\nauthor {author_line}\n"
            f"committer Cr After <c@example.com> 1767700000 +0000\n\n{message}").encode()
    sha = subprocess.run(["git", "-C", str(repo.root), "hash-object", "-t", "commit", "-w", "--literally", "--stdin"],
                         input=body, capture_output=True, check=True).stdout.decode().strip()
    repo.git("update-ref", "HEAD", sha)
    return sha


def test_commit_whose_dates_do_not_parse_is_reported_not_read(tmp_path):
    repo = base_repo(tmp_path)
    good = repo.commit("Results 1.0", {"results/1.0.yaml": RESULTS}, "Ada Lovelace", "2026-01-06T10:00:00+00:00")
    bad_zone = craft(repo, "Eve <e@example.com> 1767700000 +9999")
    no_date = craft(repo, "Eve <e@example.com> notadate +0000", "Crafted again\n")
    before = inputs(repo.root)
    check = invoke("check", "--root", str(repo.root))
    assert check.exit_code == 0
    expected = [f".git:1:1: warning: commit {sha[:10]}: its record from git log does not check (a field is not "
                "what git writes there); the commit is left out of the history" for sha in (bad_zone, no_date)]
    assert [line for line in check.output.splitlines() if line.startswith(".git:")] == expected
    assert [v.commit.sha for v in GitHistory(repo.root).versions_of("results/1.0.yaml")] == [good]
    code, report = audit(repo.root)
    assert [(f["release"], f["rule"], f["severity"], f["message"]) for f in report["findings"]] == [
        (None, "history-incomplete", "error", "the git history is incomplete: some commits could not be read (see the "
         "warnings of the build)"),
        ("1.0", "signer-is-recorder", "warning", f"tech-lead sign-off by Grace Hopper was recorded by Ada Lovelace in "
         f"{good[:10]}")]
    assert code == 1
    assert inputs(repo.root) == before


def test_nul_in_a_crafted_author_cannot_shift_fields(tmp_path):
    """git stops reading an ident at a NUL and prints `%aI` for its date: the record is refused, never shifted."""
    repo = base_repo(tmp_path)
    good = repo.commit("Results 1.0", {"results/1.0.yaml": RESULTS}, "Ada Lovelace", "2026-01-06T10:00:00+00:00")
    sha = craft(repo, "Eve\0e@x\x002020-01-01T00:00:00+00:00\0G <e@example.com> 1767700000 +0000",
                "Sub\0C\0" + "0" * 40 + "\n")
    history = GitHistory(repo.root)
    assert [v.commit.sha for v in history.versions_of("results/1.0.yaml")] == [good]
    assert history.problems == [f"commit {sha[:10]}: its record from git log does not check (a field is not what "
                                "git writes there); the commit is left out of the history"]


# --- file names git requests could be put out of step by ------------------------------------------------


def test_file_names_with_newlines_cannot_desync_contents(tmp_path):
    """Contents are read by blob id from the NUL-separated log: a checklist named with a newline and a
    request-like tail reads as itself, and the others as themselves, at every commit."""
    repo = base_repo(tmp_path)
    evil = "checklists/web.md\nHEAD:checklists/other.md"  # one file name: the tail is not a request
    first = repo.commit("Two files", {"checklists/other.md": "other v1\n", evil: "evil v1\n"}, "Eve",
                        "2026-01-02T10:00:00+00:00")
    second = repo.commit("Change them", {"checklists/web.md": CHECKLIST + "\n", "checklists/other.md": "other v2\n",
                                         evil: "evil v2\n"}, "Eve", "2026-01-03T10:00:00+00:00")
    assert evil in repo.git("ls-files", "-z").split("\0")
    history = GitHistory(repo.root)
    contents = {(v.commit.sha, name): history.blob(v.blob) for name, versions in history.checklist_versions.items()
                for v in versions}
    assert contents == {(first, "other"): b"other v1\n", (second, "other"): b"other v2\n",
                        (repo.git("rev-list", "--max-parents=0", "HEAD").strip(), "web"): CHECKLIST.encode(),
                        (second, "web"): (CHECKLIST + "\n").encode()}
    # The file itself is neither a checklist (checklists/*.md has no folders) nor a results file, and reads as itself.
    assert history.versions_of(evil) == [] and history.blob(history.current(evil).blob) == b"evil v2\n"
    repo.write({evil: "evil v3\n"})
    history = GitHistory(repo.root)
    assert history.dirty(evil) and not history.dirty("checklists/other.md")


def test_a_checklist_name_with_a_newline_is_read_as_itself(tmp_path):
    repo = base_repo(tmp_path)
    evil = "checklists/web\nother.md"
    first = repo.commit("Evil", {evil: "evil v1\n", "checklists/other.md": "other v1\n"}, "Eve",
                        "2026-01-02T10:00:00+00:00")
    history = GitHistory(repo.root)
    assert {name: [(v.commit.sha, history.blob(v.blob)) for v in vs] for name, vs in history.checklist_versions.items()
            if name != "web"} == {"web\nother": [(first, b"evil v1\n")], "other": [(first, b"other v1\n")]}


def test_a_checklist_symlink_in_history_is_not_read(tmp_path):
    repo = base_repo(tmp_path)
    (repo.root / "checklists" / "link.md").symlink_to("/etc/passwd")
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "link")
    history = GitHistory(repo.root)
    [version] = history.checklist_versions["link"]
    assert version.blob is None and dict(version.checklists).keys() == {"web"}


# --- the parser itself -----------------------------------------------------------------------------------


def record(sha: str, fields: dict, changes: bytes = b"") -> bytes:
    values = {"%H": sha, "%P": "", "%an": "A", "%ae": "a@x", "%aI": "2026-01-01T00:00:00+00:00", "%cn": "C",
              "%ce": "c@x", "%cI": "2026-01-01T00:00:00+00:00", "%G?": "N", "%GS": "", "%s": "s", **fields}
    body = b"\0".join(values[f].encode("utf-8", "surrogatepass") if isinstance(values[f], str) else values[f]
                      for f in LOG_FIELDS)
    return b"\0C\0" + body + b"\0" + changes


def test_parser_reads_renames_and_rejects_a_shifted_record():
    a, b = "a" * 40, "b" * 40
    raw = f"\n:100644 100644 {'1' * 40} {'2' * 40} R087".encode() + b"\0results/1.yaml\0results/p/1.yaml\0"
    shifted = record(b, {"%an": "Eve\0e@x"})  # as if git had printed a NUL: every later field moves by one
    records, problems = parse_log(record(a, {"%P": b}, raw) + shifted)
    assert [(r.commit.sha, [(c.status, c.old_path, c.path) for c in r.changes]) for r in records] == [
        (a, [("R", "results/1.yaml", "results/p/1.yaml")])]
    assert problems == [f"commit {b[:10]}: its record from git log does not check (a field is not what git writes "
                        "there); the commit is left out of the history"]


metadata = st.text(alphabet=st.characters(blacklist_characters="\0", blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(metadata, metadata, metadata), min_size=1, max_size=5))
def test_parser_gives_back_exactly_the_fields_written(commits):
    """Names and subjects holding anything but NUL come back as written (made printable), one record each."""
    from generator.errors import printable

    data = b"".join(record(f"{i:040x}", {"%an": an, "%cn": cn, "%s": s}) for i, (an, cn, s) in enumerate(commits))
    records, problems = parse_log(data)
    assert problems == []
    assert [(r.commit.author, r.commit.committer, r.commit.subject) for r in records] == [
        (printable(an), printable(cn), printable(s)) for an, cn, s in commits]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.lists(st.binary(max_size=40), max_size=12))
def test_parser_never_raises_and_only_returns_checked_records(noise, pieces):
    data = noise + b"\0".join(pieces) + record("c" * 40, {})
    records, problems = parse_log(data)
    for r in records:
        assert len(r.commit.sha) == 40 and all(ch in "0123456789abcdef" for ch in r.commit.sha)
        assert r.commit.signature and r.commit.author_date.tzinfo is not None
    assert all(isinstance(p, str) and p for p in problems)
