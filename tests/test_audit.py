"""The audit rules of docs/audit.md, one scripted git repository per rule.

Every scenario starts from the same small, clean project: a checklist with two sections (one with a
conditional "(optional)" item) and two sign-off roles, and a release 1.0 recorded the way it should be
(items, then each signer committing their own sign-off line, then the launch block). The clean project
gives no finding at all; each test then adds exactly one violation and asserts the exact set of
(release, rule) pairs `readiness audit --json` reports, their severity and a piece of their evidence.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from click.testing import CliRunner

import generator.cli
from gitrepo import Repo

CHECKLIST = """# Web

## Security

- [ ] Default passwords changed
- [ ] Firewall rules reviewed

## Operations

- [ ] Backups restored in a drill
- [ ] Status page updated (optional)

## Sign-off

- [ ] **Tech Lead:** ____ Date: ____
- [ ] **Product Owner:** ____ Date: ____
"""

PASSWORDS = "security/default-passwords-changed"
FIREWALL = "security/firewall-rules-reviewed"
BACKUPS = "operations/backups-restored-in-a-drill"
STATUS_PAGE = "operations/status-page-updated"  # conditional: may be n/a without a reason

TECH = ("tech-lead", "Grace Hopper")
OWNER = ("product-owner", "Linus Pauling")
DEPLOYER = "Bob Stone"


def items_block(day: str = "2026-01", first: int = 5, **overrides: str) -> str:
    """`items:` with every item done (security with evidence) and the optional item n/a with a reason;
    `overrides` maps an item id (with `__` for `/` and `_` for `-`) to another entry."""
    entries = {
        PASSWORDS: f"{{status: done, by: Ada Lovelace, date: {day}-{first:02d}, evidence: https://ci.example.com/runs/1}}",
        FIREWALL: f"{{status: done, by: Ada Lovelace, date: {day}-{first + 1:02d}, evidence: https://ci.example.com/runs/2}}",
        BACKUPS: f"{{status: done, by: Bob Stone, date: {day}-{first + 1:02d}}}",
        STATUS_PAGE: "{status: n/a, reason: No public status page yet}",
    }
    for key, value in overrides.items():
        entries[key.replace("__", "/").replace("_", "-")] = value
    return "items:\n" + "".join(f"  {k}: {v}\n" for k, v in entries.items())


def signoff_line(role: str, name: str, date: str) -> str:
    return f"  {role}: {{name: {name}, date: {date}}}\n"


def record_release(repo: Repo, release: str, items: str, signoffs: list[tuple[str, str, str, str]],
                   launch: str | None, commit_days: tuple[str, ...], launch_by: str = DEPLOYER) -> str:
    """Commit a release as a team would: items, then one commit per sign-off line (role, signer, sign date,
    recorder), then the launch block. `commit_days` gives an ISO date per commit, in order."""
    rel = f"results/{release}.yaml"
    head = f'release: "{release}"\n'
    days = iter(commit_days)
    text = head + items
    repo.commit(f"Results {release}", {rel: text}, "Ada Lovelace", f"{next(days)}T09:00:00+00:00")
    lines = ""
    for role, name, date, recorder in signoffs:
        lines += signoff_line(role, name, date)
        text = head + items + "signoffs:\n" + lines
        repo.commit(f"Sign {release} as {role}", {rel: text}, recorder, f"{next(days)}T10:00:00+00:00")
    if launch is not None:
        text += f"launch: {launch}\n"
        repo.commit(f"Launch {release}", {rel: text}, launch_by, f"{next(days)}T11:00:00+00:00")
    return text


def clean_repo(tmp_path: Path, config: str | None = None) -> Repo:
    """The clean baseline: checklist (and readiness.yml if given), release 1.0 signed by its signers and launched."""
    repo = Repo(tmp_path / "repo")
    files = {"checklists/web.md": CHECKLIST}
    if config is not None:
        files["readiness.yml"] = config
    repo.commit("Checklist", files, "Ada Lovelace", "2026-01-01T09:00:00+00:00")
    record_release(repo, "1.0", items_block("2026-01", 5),
                   [(*TECH, "2026-01-07", TECH[1]), (*OWNER, "2026-01-08", OWNER[1])],
                   '{date: 2026-01-09, time: "14:00", timezone: Europe/Berlin, deployed_by: Bob Stone}',
                   ("2026-01-06", "2026-01-07", "2026-01-08", "2026-01-09"))
    return repo


def run_audit(root: Path) -> tuple[int, dict]:
    result = CliRunner().invoke(generator.cli.cli, ["audit", "--json", "--root", str(root)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.stdout)


def pairs(report: dict) -> set[tuple]:
    return {(f["release"], f["rule"]) for f in report["findings"]}


def only(report: dict, rule: str) -> list[dict]:
    return [f for f in report["findings"] if f["rule"] == rule]


def launch_sha(repo: Repo, release: str) -> str:
    """The commit that recorded the launch of `release` (record_release's "Launch <release>")."""
    return repo.git("log", "-1", "--format=%H", f"--grep=^Launch {release}$").strip()


def line_of(root: Path, rel: str, needle: str) -> str:
    """`rel:N` for the (single) line of a file containing `needle`."""
    numbers = [n for n, line in enumerate((root / rel).read_text().splitlines(), 1) if needle in line]
    assert len(numbers) == 1, (needle, numbers)
    return f"{rel}:{numbers[0]}"


# A second release, 1.1, recorded in February after the clean 1.0: the scenarios below vary it.
FEB = ("2026-02-06", "2026-02-07", "2026-02-08", "2026-02-09")
SIGNED_FEB = [(*TECH, "2026-02-07", TECH[1]), (*OWNER, "2026-02-08", OWNER[1])]
LAUNCH_FEB = "{date: 2026-02-09, time: \"14:00\", timezone: Europe/Berlin}"


# --- the clean baseline ---------------------------------------------------------------------------------


def test_clean_repository_has_no_findings(tmp_path):
    repo = clean_repo(tmp_path)
    code, report = run_audit(repo.root)
    assert report == {"findings": [], "releases": 1}
    assert code == 0


def test_clean_second_release_has_no_findings(tmp_path):
    """The 1.1 every scenario below starts from is itself clean."""
    repo = clean_repo(tmp_path)
    record_release(repo, "1.1", items_block("2026-02", 5), SIGNED_FEB, LAUNCH_FEB, FEB)
    code, report = run_audit(repo.root)
    assert report == {"findings": [], "releases": 2}
    assert code == 0


def test_clean_repository_with_audit_settings_has_no_findings(tmp_path):
    """evidence_required is satisfied by the baseline, and signed_commits: false checks nothing."""
    repo = clean_repo(tmp_path, "audit:\n  evidence_required: [security]\n  signed_commits: false\n")
    code, report = run_audit(repo.root)
    assert report == {"findings": [], "releases": 1}
    assert code == 0


# --- one test per rule ----------------------------------------------------------------------------------


def test_signoff_missing(tmp_path):
    repo = clean_repo(tmp_path)
    record_release(repo, "1.1", items_block("2026-02", 5), [(*TECH, "2026-02-07", TECH[1])], LAUNCH_FEB,
                   ("2026-02-06", "2026-02-07", "2026-02-09"))
    code, report = run_audit(repo.root)
    # A missing role makes the verdict NEEDS REVIEW (docs/formats.md, Verdict), so launching it is also
    # launched-not-ready.
    assert pairs(report) == {("1.1", "signoff-missing"), ("1.1", "launched-not-ready")}
    [missing] = only(report, "signoff-missing")
    assert missing["severity"] == "error"
    assert missing["evidence"]["role"] == "product-owner"
    assert missing["evidence"]["file"] == "results/1.1.yaml"
    [not_ready] = only(report, "launched-not-ready")
    assert not_ready["evidence"]["verdict"] == "NEEDS REVIEW"
    assert not_ready["evidence"]["unsigned"] == ["product-owner"]
    assert code == 1


def test_launched_before_signoff(tmp_path):
    repo = clean_repo(tmp_path)
    # The product owner signs on the 12th, but the launch says the 9th.
    record_release(repo, "1.1", items_block("2026-02", 5),
                   [(*TECH, "2026-02-07", TECH[1]), (*OWNER, "2026-02-12", OWNER[1])],
                   "{date: 2026-02-09, time: \"14:00\", timezone: Europe/Berlin}",
                   ("2026-02-06", "2026-02-07", "2026-02-12", "2026-02-13"))
    code, report = run_audit(repo.root)
    assert pairs(report) == {("1.1", "launched-before-signoff")}
    [f] = report["findings"]
    assert f["severity"] == "error"
    assert f["evidence"]["role"] == "product-owner"
    assert f["evidence"]["signed"] == "2026-02-12" and f["evidence"]["launch"] == "2026-02-09"
    assert f["evidence"]["line"] == line_of(repo.root, "results/1.1.yaml", "product-owner:")
    assert code == 1


def test_signoff_before_completion(tmp_path):
    repo = clean_repo(tmp_path)
    # Backups are restored on the 10th; the tech lead signed on the 7th, the product owner on the 11th.
    items = items_block("2026-02", 5,
                        operations__backups_restored_in_a_drill="{status: done, by: Bob Stone, date: 2026-02-10}")
    record_release(repo, "1.1", items, [(*TECH, "2026-02-07", TECH[1]), (*OWNER, "2026-02-11", OWNER[1])],
                   "{date: 2026-02-12}", ("2026-02-10", "2026-02-10", "2026-02-11", "2026-02-12"))
    code, report = run_audit(repo.root)
    assert pairs(report) == {("1.1", "signoff-before-completion")}
    [f] = report["findings"]
    assert f["severity"] == "warning"
    assert f["evidence"]["role"] == "tech-lead"
    assert f["evidence"]["item"] == BACKUPS and f["evidence"]["completed"] == "2026-02-10"
    assert f["evidence"]["lines"] == [line_of(repo.root, "results/1.1.yaml", "tech-lead:"),
                                      line_of(repo.root, "results/1.1.yaml", f"{BACKUPS}:")]
    assert code == 0


def test_launched_not_ready(tmp_path):
    repo = clean_repo(tmp_path)
    items = items_block("2026-02", 5).replace(
        f"{FIREWALL}: {{status: done, by: Ada Lovelace, date: 2026-02-06, evidence: https://ci.example.com/runs/2}}",
        f"{FIREWALL}: {{status: failed, by: Ada Lovelace, date: 2026-02-06}}")
    assert "failed" in items
    record_release(repo, "1.1", items, SIGNED_FEB, LAUNCH_FEB, FEB)
    code, report = run_audit(repo.root)
    # Both signers signed while the firewall item was failed: each sign-off is signoff-not-ready too.
    assert pairs(report) == {("1.1", "launched-not-ready"), ("1.1", "signoff-not-ready")}
    [f] = only(report, "launched-not-ready")
    assert f["severity"] == "error"
    assert f["evidence"]["verdict"] == "NO"
    assert f["evidence"]["as_launched"] == launch_sha(repo, "1.1")
    assert FIREWALL in json.dumps(f["evidence"]["blocking"])
    assert [(g["evidence"]["role"], g["evidence"]["items"]) for g in only(report, "signoff-not-ready")] == [
        ("product-owner", [{"item": FIREWALL, "status": "failed"}]), ("tech-lead", [{"item": FIREWALL, "status": "failed"}])]
    assert code == 1


def test_duplicate_signer(tmp_path):
    repo = clean_repo(tmp_path)
    # Grace Hopper signs both roles, recording each line herself (so signer-is-recorder stays quiet).
    record_release(repo, "1.1", items_block("2026-02", 5),
                   [(*TECH, "2026-02-07", TECH[1]), (OWNER[0], TECH[1], "2026-02-08", TECH[1])], LAUNCH_FEB, FEB)
    code, report = run_audit(repo.root)
    assert pairs(report) == {("1.1", "duplicate-signer")}
    [f] = report["findings"]
    assert f["severity"] == "error"
    assert f["evidence"] == {"name": "Grace Hopper", "roles": ["tech-lead", "product-owner"]}
    assert code == 1


def test_duplicate_signer_ignores_case_and_spacing(tmp_path):
    repo = clean_repo(tmp_path)
    record_release(repo, "1.1", items_block("2026-02", 5),
                   [(*TECH, "2026-02-07", TECH[1]), (OWNER[0], "grace hopper", "2026-02-08", "grace hopper")],
                   LAUNCH_FEB, FEB)
    code, report = run_audit(repo.root)
    assert pairs(report) == {("1.1", "duplicate-signer")}
    assert code == 1


def test_signer_is_recorder(tmp_path):
    repo = clean_repo(tmp_path)
    # Bob Stone commits the line that says Grace Hopper signed as tech lead.
    record_release(repo, "1.1", items_block("2026-02", 5),
                   [(*TECH, "2026-02-07", "Bob Stone"), (*OWNER, "2026-02-08", OWNER[1])], LAUNCH_FEB, FEB)
    code, report = run_audit(repo.root)
    assert pairs(report) == {("1.1", "signer-is-recorder")}
    [f] = report["findings"]
    assert f["severity"] == "warning"
    assert f["evidence"]["role"] == "tech-lead" and f["evidence"]["signer"] == "Grace Hopper"
    assert f["evidence"]["commit"]["author"] == "Bob Stone"
    assert f["evidence"]["commit"]["sha"] == repo.git("log", "-1", "--format=%H", "--grep=Sign 1.1 as tech-lead").strip()
    assert f["evidence"]["line"] == line_of(repo.root, "results/1.1.yaml", "tech-lead:")
    assert code == 0


def test_signer_recording_their_own_line_is_no_finding(tmp_path):
    """The same scenario with Grace Hopper committing her own line: nothing to report."""
    repo = clean_repo(tmp_path)
    record_release(repo, "1.1", items_block("2026-02", 5),
                   [(*TECH, "2026-02-07", "Grace Hopper"), (*OWNER, "2026-02-08", OWNER[1])], LAUNCH_FEB, FEB)
    code, report = run_audit(repo.root)
    assert report == {"findings": [], "releases": 2}
    assert code == 0


def test_signer_is_recorder_follows_the_last_writer_of_the_line(tmp_path):
    """git blame: whoever last rewrote the sign-off line is its recorder, even if the signer wrote it first."""
    repo = clean_repo(tmp_path)
    text = record_release(repo, "1.1", items_block("2026-02", 5), SIGNED_FEB, None, FEB[:3])
    rewritten = text.replace("tech-lead: {name: Grace Hopper, date: 2026-02-07}",
                             "tech-lead: {name: Grace Hopper, date: 2026-02-08}")
    repo.commit("Fix tech lead date", {"results/1.1.yaml": rewritten}, "Linus Pauling", "2026-02-08T12:00:00+00:00")
    code, report = run_audit(repo.root)
    assert pairs(report) == {("1.1", "signer-is-recorder")}
    [f] = report["findings"]
    assert f["evidence"]["commit"]["author"] == "Linus Pauling" and f["evidence"]["role"] == "tech-lead"
    assert code == 0


def test_edited_after_signoff_by_a_commit_changing_items(tmp_path):
    repo = clean_repo(tmp_path)
    text = record_release(repo, "1.1", items_block("2026-02", 5), SIGNED_FEB, None, FEB[:3])
    # After both sign-offs, someone turns the n/a of the optional item into a done item.
    edited = text.replace(f"{STATUS_PAGE}: {{status: n/a, reason: No public status page yet}}",
                          f"{STATUS_PAGE}: {{status: done, by: Bob Stone, date: 2026-02-06}}")
    assert edited != text
    sha = repo.commit("Status page after all", {"results/1.1.yaml": edited}, "Bob Stone", "2026-02-10T09:00:00+00:00")
    code, report = run_audit(repo.root)
    assert pairs(report) == {("1.1", "edited-after-signoff")}
    [f] = report["findings"]
    assert f["severity"] == "warning"
    entry = f"items.{STATUS_PAGE}"
    assert f["evidence"]["entries"] == [
        {"key": entry, "field": "reason", "before": "No public status page yet", "after": "(none)"},
        {"key": entry, "field": "status", "before": "n/a", "after": "done"},
        {"key": entry, "field": "by", "before": "(none)", "after": "Bob Stone"},
        {"key": entry, "field": "date", "before": "(none)", "after": "2026-02-06"}]
    assert f["evidence"]["commit"]["sha"] == sha and f["evidence"]["commit"]["author"] == "Bob Stone"
    assert f["evidence"]["signoff_commit"]["author"] == "Linus Pauling"  # the product owner signed last
    assert f["message"] == (f"commit {sha[:10]} by Bob Stone (committed 2026-02-10T09:00:00+00:00) changed "
                            f"{entry}.reason: No public status page yet → (none), {entry}.status: n/a → done, "
                            f"{entry}.by: (none) → Bob Stone, {entry}.date: (none) → 2026-02-06, after the last sign-off "
                            f"was recorded in commit {f['evidence']['signoff_commit']['sha'][:10]} by Linus Pauling "
                            "(committed 2026-02-08T10:00:00+00:00)")
    assert code == 0


def test_adding_the_launch_block_after_signoff_is_no_finding(tmp_path):
    """Recording the launch after approval is expected: a later commit that only adds `launch:` is fine."""
    repo = clean_repo(tmp_path)
    record_release(repo, "1.1", items_block("2026-02", 5), SIGNED_FEB, LAUNCH_FEB, FEB)
    assert repo.git("log", "-1", "--format=%s").strip() == "Launch 1.1"
    code, report = run_audit(repo.root)
    assert report == {"findings": [], "releases": 2}
    assert code == 0


def test_launch_block_then_a_note_edit_after_launch(tmp_path):
    """The launch commit is not reported; a later note edit is an edit after launch, a warning (only a note)."""
    repo = clean_repo(tmp_path)
    text = record_release(repo, "1.1", items_block("2026-02", 5), SIGNED_FEB, LAUNCH_FEB, FEB)
    edited = text.replace("date: 2026-02-06}", "date: 2026-02-06, note: Re-run after launch}")
    assert edited != text
    sha = repo.commit("Note backups", {"results/1.1.yaml": edited}, "Ada Lovelace", "2026-02-11T09:00:00+00:00")
    code, report = run_audit(repo.root)
    assert pairs(report) == {("1.1", "edited-after-launch")}
    [f] = report["findings"]
    assert f["severity"] == "warning"
    assert f["evidence"]["commit"]["sha"] == sha
    assert f["evidence"]["launch_commit"]["sha"] == launch_sha(repo, "1.1")
    assert [e["key"] for e in f["evidence"]["entries"]] == [f"items.{BACKUPS}"]
    assert code == 0


def test_edited_after_signoff_by_uncommitted_changes(tmp_path):
    repo = clean_repo(tmp_path)
    text = record_release(repo, "1.1", items_block("2026-02", 5), SIGNED_FEB, None, FEB[:3])
    repo.write({"results/1.1.yaml": text.replace(f"{STATUS_PAGE}: {{status: n/a, reason: No public status page yet}}",
                                                 f"{STATUS_PAGE}: {{status: done, by: Bob Stone, date: 2026-02-06}}")})
    code, report = run_audit(repo.root)
    assert pairs(report) == {("1.1", "edited-after-signoff")}
    [f] = report["findings"]
    assert f["severity"] == "warning"
    assert f["evidence"]["commit"] is None and {e["key"] for e in f["evidence"]["entries"]} == {f"items.{STATUS_PAGE}"}
    assert f["message"].startswith(f"uncommitted changes changed items.{STATUS_PAGE}.reason: No public status page yet → (none), ")
    assert code == 0


def test_waiver_expired_before_launch(tmp_path):
    repo = clean_repo(tmp_path)
    waiver = "{status: waived, reason: Audit booked, approved_by: Carol Diaz, expires: 2026-02-08}"
    items = items_block("2026-02", 5, security__firewall_rules_reviewed=waiver)
    record_release(repo, "1.1", items, SIGNED_FEB, LAUNCH_FEB, FEB)  # launched on the 9th
    code, report = run_audit(repo.root)
    # An expired waiver makes the verdict NO (docs/formats.md, Verdict): launching it is launched-not-ready too.
    assert pairs(report) == {("1.1", "waiver-expired"), ("1.1", "launched-not-ready")}
    [f] = only(report, "waiver-expired")
    assert f["severity"] == "error"
    assert f["evidence"]["item"] == FIREWALL and f["evidence"]["expires"] == "2026-02-08"
    assert f["evidence"]["approved_by"] == "Carol Diaz"
    assert f["evidence"]["line"] == line_of(repo.root, "results/1.1.yaml", f"{FIREWALL}:")
    assert "before the launch" in f["message"]
    assert only(report, "launched-not-ready")[0]["evidence"]["verdict"] == "NO"
    assert code == 1


def test_waiver_expired_before_the_evaluation_date_of_an_unlaunched_release(tmp_path):
    repo = clean_repo(tmp_path)
    # Not launched: evaluated on SOURCE_DATE_EPOCH's date, 2026-11-28 (tests/conftest.py); the waiver ended in June.
    waiver = "{status: waived, reason: Audit booked, approved_by: Carol Diaz, expires: 2026-06-01}"
    items = items_block("2026-02", 5).replace(
        f"{FIREWALL}: {{status: done, by: Ada Lovelace, date: 2026-02-06, evidence: https://ci.example.com/runs/2}}",
        f"{FIREWALL}: {waiver}")
    assert "waived" in items
    record_release(repo, "1.1", items, SIGNED_FEB, None, FEB[:3])
    code, report = run_audit(repo.root)
    assert pairs(report) == {("1.1", "waiver-expired")}  # not launched: no launched-not-ready
    [f] = report["findings"]
    assert f["severity"] == "error"
    assert f["evidence"]["expires"] == "2026-06-01"
    assert "before the evaluation date" in f["message"] and "2026-11-28" in f["message"]
    assert code == 1


def test_waiver_still_valid_at_launch_is_no_finding(tmp_path):
    repo = clean_repo(tmp_path)
    # Still valid on launch day (and expired by the evaluation date, which a launched release ignores).
    waiver = "{status: waived, reason: Audit booked, approved_by: Carol Diaz, expires: 2026-02-09}"
    items = items_block("2026-02", 5).replace(
        f"{FIREWALL}: {{status: done, by: Ada Lovelace, date: 2026-02-06, evidence: https://ci.example.com/runs/2}}",
        f"{FIREWALL}: {waiver}")
    record_release(repo, "1.1", items, SIGNED_FEB, LAUNCH_FEB, FEB)
    code, report = run_audit(repo.root)
    # A valid waiver makes the verdict NEEDS REVIEW, so launching it is still launched-not-ready, but no
    # waiver-expired.
    assert pairs(report) == {("1.1", "launched-not-ready")}
    assert report["findings"][0]["evidence"]["verdict"] == "NEEDS REVIEW"
    assert code == 1


def test_justification_missing_for_a_conditional_na_is_a_warning(tmp_path):
    repo = clean_repo(tmp_path)
    items = items_block("2026-02", 5).replace(f"{STATUS_PAGE}: {{status: n/a, reason: No public status page yet}}",
                                              f"{STATUS_PAGE}: n/a")
    record_release(repo, "1.1", items, SIGNED_FEB, LAUNCH_FEB, FEB)
    code, report = run_audit(repo.root)
    assert pairs(report) == {("1.1", "justification-missing")}
    [f] = report["findings"]
    assert f["severity"] == "warning"
    assert f["evidence"] == {"entry": STATUS_PAGE, "line": line_of(repo.root, "results/1.1.yaml", f"{STATUS_PAGE}:"),
                             "as_launched": launch_sha(repo, "1.1")}
    assert code == 0


def test_evidence_missing(tmp_path):
    repo = clean_repo(tmp_path, "audit:\n  evidence_required: [security]\n")
    items = items_block("2026-02", 5).replace(", evidence: https://ci.example.com/runs/2", "")
    record_release(repo, "1.1", items, SIGNED_FEB, LAUNCH_FEB, FEB)
    code, report = run_audit(repo.root)
    # Operations items have no evidence either, but only `security` requires it.
    assert pairs(report) == {("1.1", "evidence-missing")}
    [f] = report["findings"]
    assert f["severity"] == "warning"
    assert f["evidence"] == {"item": FIREWALL, "as_launched": launch_sha(repo, "1.1")}
    assert code == 0


def test_evidence_missing_only_with_the_setting(tmp_path):
    repo = clean_repo(tmp_path)
    items = items_block("2026-02", 5).replace(", evidence: https://ci.example.com/runs/2", "")
    record_release(repo, "1.1", items, SIGNED_FEB, LAUNCH_FEB, FEB)
    code, report = run_audit(repo.root)
    assert report == {"findings": [], "releases": 2}
    assert code == 0


def test_unsigned_commit(tmp_path):
    repo = clean_repo(tmp_path, "audit:\n  signed_commits: true\n")
    # Commits in tests are unsigned: each of the four commits touching results/1.0.yaml is a finding; the
    # checklist commit touches no results file.
    code, report = run_audit(repo.root)
    assert pairs(report) == {("1.0", "unsigned-commit")}
    findings = only(report, "unsigned-commit")
    assert len(findings) == 4
    assert all(f["severity"] == "error" for f in findings)
    assert all(f["evidence"]["commit"]["signature"] == "not signed" for f in findings)
    results_commits = repo.git("log", "--format=%H %an", "--", "results/1.0.yaml").splitlines()
    assert sorted(f"{f['evidence']['commit']['sha']} {f['evidence']['commit']['author']}" for f in findings) == \
        sorted(results_commits)
    assert {f["evidence"]["commit"]["author"] for f in findings} == {"Ada Lovelace", "Grace Hopper", "Linus Pauling",
                                                                      "Bob Stone"}
    assert code == 1


def test_unsigned_commit_only_with_the_setting(tmp_path):
    repo = clean_repo(tmp_path)  # no readiness.yml: the same unsigned commits are not findings
    assert run_audit(repo.root) == (0, {"findings": [], "releases": 1})


def test_timestamp_ambiguous(tmp_path):
    repo = clean_repo(tmp_path)
    record_release(repo, "1.1", items_block("2026-02", 5), SIGNED_FEB, '{date: 2026-02-09, time: "14:00"}', FEB)
    code, report = run_audit(repo.root)
    assert pairs(report) == {("1.1", "timestamp-ambiguous")}
    [f] = report["findings"]
    assert f["severity"] == "warning"
    assert f["evidence"] == {"line": line_of(repo.root, "results/1.1.yaml", "launch:"), "as_launched": launch_sha(repo, "1.1")}
    assert code == 0


def test_launch_date_without_time_is_not_ambiguous(tmp_path):
    repo = clean_repo(tmp_path)
    record_release(repo, "1.1", items_block("2026-02", 5), SIGNED_FEB, "{date: 2026-02-09}", FEB)
    assert run_audit(repo.root) == (0, {"findings": [], "releases": 2})


def test_history_incomplete_in_a_shallow_clone(tmp_path):
    repo = clean_repo(tmp_path)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.root}", str(clone)], check=True,
                   capture_output=True)
    code, report = run_audit(clone)
    assert pairs(report) == {(None, "history-incomplete")}
    [f] = report["findings"]
    assert f["severity"] == "error"
    assert f["evidence"] == {"head": repo.git("rev-parse", "HEAD").strip()}
    assert f["message"] == ("the repository is a shallow clone: commits older than its depth are missing, so what "
                            "they did cannot be checked; fetch the full history (git fetch --unshallow)")
    assert code == 1


def test_history_incomplete_without_git(tmp_path):
    repo = clean_repo(tmp_path)
    plain = tmp_path / "plain"
    shutil.copytree(repo.root, plain, ignore=shutil.ignore_patterns(".git"))
    code, report = run_audit(plain)
    assert pairs(report) == {(None, "history-incomplete")}
    [f] = report["findings"]
    assert f["severity"] == "error"
    assert f["message"] == ("provenance could not be computed: not a git repository; not checked: signer-is-recorder, "
                            "signoff-not-ready, signoff-after-launch, edited-after-signoff, edited-after-launch, "
                            "unsigned-commit, release-deleted, signoff-unsigned; the launch rules judged the files as they are now")
    assert report["releases"] == 1
    assert code == 1


def test_history_incomplete_for_a_results_file_never_committed(tmp_path):
    repo = clean_repo(tmp_path)
    repo.write({"results/1.1.yaml": 'release: "1.1"\n' + items_block("2026-02", 5)})
    assert "results/1.1.yaml" in repo.git("status", "--porcelain", "--untracked-files=all")
    code, report = run_audit(repo.root)
    assert pairs(report) == {("1.1", "history-incomplete")}
    [f] = report["findings"]
    assert f["severity"] == "warning"
    assert f["evidence"] == {"file": "results/1.1.yaml"}
    assert code == 0


# --- exit status ----------------------------------------------------------------------------------------


def test_exit_code_is_0_with_only_warnings_and_1_with_an_error(tmp_path):
    repo = clean_repo(tmp_path)
    # Warnings only: an ambiguous launch time and an unjustified conditional n/a.
    items = items_block("2026-02", 5).replace(f"{STATUS_PAGE}: {{status: n/a, reason: No public status page yet}}",
                                              f"{STATUS_PAGE}: n/a")
    text = record_release(repo, "1.1", items, SIGNED_FEB, '{date: 2026-02-09, time: "14:00"}', FEB)
    code, report = run_audit(repo.root)
    assert pairs(report) == {("1.1", "timestamp-ambiguous"), ("1.1", "justification-missing")}
    assert {f["severity"] for f in report["findings"]} == {"warning"}
    assert code == 0
    # One error on top (the launch date moved after the launch was recorded): exit 1, errors listed first. The
    # launch rules still judge the release as launched, so the earlier date gives no launched-before-signoff.
    repo.commit("Launch earlier", {"results/1.1.yaml": text.replace("date: 2026-02-09, time", "date: 2026-02-06, time")},
                DEPLOYER, "2026-02-10T09:00:00+00:00")
    code, report = run_audit(repo.root)
    assert pairs(report) == {("1.1", "timestamp-ambiguous"), ("1.1", "justification-missing"),
                             ("1.1", "edited-after-launch")}
    assert [f["severity"] for f in report["findings"]] == ["error", "warning", "warning"]
    assert only(report, "edited-after-launch")[0]["evidence"]["entries"] == [
        {"key": "launch", "field": "date", "before": "2026-02-09", "after": "2026-02-06"}]
    assert code == 1
