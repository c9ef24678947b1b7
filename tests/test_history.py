"""The record cannot be rewritten: verdicts and findings from the whole git history, on scripted repositories.

Each test starts from test_audit.py's clean project (release 1.0 recorded, signed and launched the way it
should be) and scripts one thing an auditor worries about: an edit after launch, a sign-off given while
items failed, a checklist that shrinks, merges, moves, deletions, shallow clones, rebases. It asserts the
exact findings of `readiness audit --json` and what the release page says.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from html import unescape
import subprocess
from pathlib import Path

from click.testing import CliRunner

from generator.cli import cli
from test_audit import (BACKUPS, CHECKLIST, FEB, FIREWALL, LAUNCH_FEB, OWNER, SIGNED_FEB, STATUS_PAGE, TECH,
                        clean_repo, items_block, launch_sha, only, pairs, record_release, run_audit)

FAILED_FIREWALL = f"{{status: failed, by: Ada Lovelace, date: 2026-02-06}}"
DONE_FIREWALL = "{status: done, by: Ada Lovelace, date: 2026-02-06, evidence: https://ci.example.com/runs/2}"


def sha_of(repo, subject: str) -> str:
    return repo.git("log", "-1", "--format=%H", f"--grep=^{re.escape(subject)}$").strip()


def page(repo, tmp_path: Path, release: str, *extra: str) -> str:
    site = tmp_path / "site"
    result = CliRunner().invoke(cli, ["build", "--root", str(repo.root), "-d", str(site), *extra])
    assert result.exit_code == 0, result.output
    return (site / "releases" / release / "index.html").read_text()


def text_of(html: str) -> str:
    """The page's text without tags, whitespace collapsed, for asserting what a reader sees."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).replace(" ,", ",").replace(" .", ".").replace(" )", ")")


def launched_with_failed_firewall(repo) -> str:
    """1.1 recorded with the firewall item failed, signed and launched on 9 February."""
    return record_release(repo, "1.1", items_block("2026-02", 5, security__firewall_rules_reviewed=FAILED_FIREWALL),
                          SIGNED_FEB, LAUNCH_FEB, FEB)


# --- edited after launch -------------------------------------------------------------------------------


def test_flipping_a_failed_item_after_launch_keeps_the_launch_error_and_is_an_error_itself(tmp_path):
    repo = clean_repo(tmp_path)
    text = launched_with_failed_firewall(repo)
    flip = repo.commit("Firewall fixed", {"results/1.1.yaml": text.replace(FAILED_FIREWALL, DONE_FIREWALL)},
                       "Bob Stone", "2026-02-16T09:00:00+00:00")
    code, report = run_audit(repo.root)
    assert pairs(report) == {("1.1", "launched-not-ready"), ("1.1", "signoff-not-ready"), ("1.1", "edited-after-launch")}
    [late] = only(report, "edited-after-launch")
    assert late["severity"] == "error"
    assert late["message"] == (
        f"commit {flip[:10]} by Bob Stone (committed 2026-02-16T09:00:00+00:00) changed items.{FIREWALL}.status: failed → "
        f"done, items.{FIREWALL}.evidence: (none) → https://ci.example.com/runs/2, after the launch was recorded in "
        f"commit {launch_sha(repo, '1.1')[:10]} by Bob Stone (committed 2026-02-09T11:00:00+00:00)")
    [not_ready] = only(report, "launched-not-ready")
    assert not_ready["evidence"]["verdict"] == "NO" and not_ready["evidence"]["as_launched"] == launch_sha(repo, "1.1")
    assert code == 1
    shown = text_of(page(repo, tmp_path, "1.1"))
    assert "Ready for production: YES" in shown  # today's file
    checklist = sha_of(repo, "Checklist")
    assert (f"Verdict at launch: NO (66.7 %), as the launch was first recorded in commit {launch_sha(repo, '1.1')[:10]} "
            f"by Bob Stone (committed 2026-02-09T11:00:00+00:00) against checklist web as of commit {checklist[:10]} "
            "(committed 2026-01-01), sha256") in shown
    assert "Changed after launch by 1 commit" in shown


def test_moving_the_launch_date_after_the_fact_removes_no_finding(tmp_path):
    repo = clean_repo(tmp_path)
    waiver = "{status: waived, reason: Audit booked, approved_by: Carol Diaz, expires: 2026-02-08}"
    items = items_block("2026-02", 5, security__firewall_rules_reviewed=waiver)
    text = record_release(repo, "1.1", items, [(*TECH, "2026-02-07", TECH[1]), (*OWNER, "2026-02-12", OWNER[1])],
                          LAUNCH_FEB, ("2026-02-06", "2026-02-07", "2026-02-12", "2026-02-13"))
    moved = text.replace("date: 2026-02-09", "date: 2026-02-07").replace("2026-02-12}", "2026-02-06}")
    sha = repo.commit("Correct dates", {"results/1.1.yaml": moved}, "Bob Stone", "2026-03-01T09:00:00+00:00")
    code, report = run_audit(repo.root)
    # As launched (9 Feb): the waiver had expired on the 8th and the owner signed on the 12th. The owner's
    # sign-off as it stands now was written by Bob Stone after the launch.
    assert pairs(report) == {("1.1", "waiver-expired"), ("1.1", "launched-not-ready"), ("1.1", "launched-before-signoff"),
                             ("1.1", "edited-after-launch"), ("1.1", "signoff-after-launch"), ("1.1", "signer-is-recorder")}
    [late] = only(report, "edited-after-launch")
    assert late["evidence"]["commit"]["sha"] == sha and late["severity"] == "error"
    assert [(e["key"], e["field"], e["before"], e["after"]) for e in late["evidence"]["entries"]] == [
        ("signoffs.product-owner", "date", "2026-02-12", "2026-02-06"), ("launch", "date", "2026-02-09", "2026-02-07")]
    assert code == 1


def test_edits_after_launch_are_flagged_without_any_signoff(tmp_path):
    repo = clean_repo(tmp_path)
    text = record_release(repo, "1.1", items_block("2026-02", 5, security__firewall_rules_reviewed=FAILED_FIREWALL),
                          [], LAUNCH_FEB, ("2026-02-06", "2026-02-09"))
    sha = repo.commit("Fix", {"results/1.1.yaml": text.replace(FAILED_FIREWALL, DONE_FIREWALL)}, "Bob Stone",
                      "2026-02-20T09:00:00+00:00")
    code, report = run_audit(repo.root)
    assert pairs(report) == {("1.1", "launched-not-ready"), ("1.1", "signoff-missing"), ("1.1", "edited-after-launch")}
    assert only(report, "edited-after-launch")[0]["evidence"]["commit"]["sha"] == sha
    assert code == 1


def test_requoting_every_signoff_date_while_flipping_the_failed_item_is_caught(tmp_path):
    repo = clean_repo(tmp_path)
    text = launched_with_failed_firewall(repo)
    requoted = re.sub(r"date: (2026-02-0[78])}", r'date: "\1"}', text).replace(FAILED_FIREWALL, DONE_FIREWALL)
    assert requoted.count('"2026-02-0') == 2
    sha = repo.commit("Tidy", {"results/1.1.yaml": requoted}, "Bob Stone", "2026-02-16T09:00:00+00:00")
    code, report = run_audit(repo.root)
    # The sign-offs' values did not change, so they are still the signers' own commits: no signer-is-recorder,
    # and the flip is an edit after launch.
    assert pairs(report) == {("1.1", "launched-not-ready"), ("1.1", "signoff-not-ready"), ("1.1", "edited-after-launch")}
    [late] = only(report, "edited-after-launch")
    assert late["evidence"]["commit"]["sha"] == sha
    assert {e["key"] for e in late["evidence"]["entries"]} == {f"items.{FIREWALL}"}
    assert {f["evidence"]["commit"]["author"] for f in only(report, "signoff-not-ready")} == {TECH[1], OWNER[1]}
    assert code == 1


def test_requoting_and_flipping_after_signoff_of_an_unlaunched_release(tmp_path):
    repo = clean_repo(tmp_path)
    text = record_release(repo, "1.1", items_block("2026-02", 5, security__firewall_rules_reviewed=FAILED_FIREWALL),
                          SIGNED_FEB, None, FEB[:3])
    requoted = re.sub(r"date: (2026-02-0[78])}", r'date: "\1"}', text).replace(FAILED_FIREWALL, DONE_FIREWALL)
    sha = repo.commit("Tidy", {"results/1.1.yaml": requoted}, "Bob Stone", "2026-02-16T09:00:00+00:00")
    code, report = run_audit(repo.root)
    assert pairs(report) == {("1.1", "signoff-not-ready"), ("1.1", "edited-after-signoff")}
    [late] = only(report, "edited-after-signoff")
    assert late["evidence"]["commit"]["sha"] == sha
    assert late["evidence"]["signoff_commit"]["sha"] == sha_of(repo, "Sign 1.1 as product-owner")
    assert code == 1


# --- each sign-off as given ------------------------------------------------------------------------------


def test_signed_while_an_item_failed_then_fixed_then_the_others_sign(tmp_path):
    repo = clean_repo(tmp_path)
    rel, head = "results/1.1.yaml", 'release: "1.1"\n'
    failed = items_block("2026-02", 5, security__firewall_rules_reviewed=FAILED_FIREWALL)
    fixed = items_block("2026-02", 5)
    tech = "signoffs:\n  tech-lead: {name: Grace Hopper, date: 2026-02-07}\n"
    repo.commit("Results 1.1", {rel: head + failed}, "Ada Lovelace", "2026-02-06T09:00:00+00:00")
    lead = repo.commit("Sign as tech lead", {rel: head + failed + tech}, TECH[1], "2026-02-07T10:00:00+00:00")
    repo.commit("Firewall fixed", {rel: head + fixed + tech}, "Ada Lovelace", "2026-02-07T15:00:00+00:00")
    repo.commit("Sign as product owner", {rel: head + fixed + tech + "  product-owner: {name: Linus Pauling, date: 2026-02-08}\n"},
                OWNER[1], "2026-02-08T10:00:00+00:00")
    code, report = run_audit(repo.root)
    assert pairs(report) == {("1.1", "signoff-not-ready")}
    [f] = report["findings"]
    assert f["message"] == (f"tech-lead signed in commit {lead[:10]} by Grace Hopper (committed 2026-02-07T10:00:00+00:00) "
                            f"while 1 item was failed, pending or expired: {FIREWALL} (failed)")
    assert f["evidence"]["items"] == [{"item": FIREWALL, "status": "failed"}]
    assert code == 1
    shown = text_of(page(repo, tmp_path, "1.1"))
    assert f"Tech Lead Grace Hopper 2026-02-07 {lead[:10]} by Grace Hopper <grace.hopper@example.com>, 2026-02-07 10:00 1 not ready" in shown


def test_a_signoff_committed_after_the_launch_is_a_finding_whatever_its_date(tmp_path):
    repo = clean_repo(tmp_path)
    text = record_release(repo, "1.1", items_block("2026-02", 5), [(*TECH, "2026-02-07", TECH[1])], LAUNCH_FEB,
                          ("2026-02-06", "2026-02-07", "2026-02-09"))
    late = text.replace("launch:", "  product-owner: {name: Linus Pauling, date: 2026-02-08}\nlaunch:")
    sha = repo.commit("Owner signs", {"results/1.1.yaml": late}, OWNER[1], "2026-03-16T09:00:00+00:00")
    code, report = run_audit(repo.root)
    # Judged as launched, the owner had not signed; the late line is an edit after launch and a late sign-off.
    assert pairs(report) == {("1.1", "signoff-missing"), ("1.1", "launched-not-ready"), ("1.1", "signoff-after-launch"),
                             ("1.1", "edited-after-launch")}
    [f] = only(report, "signoff-after-launch")
    assert f["message"] == (f"product-owner sign-off (dated 2026-02-08 in the file) was committed in commit {sha[:10]} by "
                            "Linus Pauling (committed 2026-03-16T09:00:00+00:00), after the launch was recorded in commit "
                            f"{launch_sha(repo, '1.1')[:10]} by Bob Stone (committed 2026-02-09T11:00:00+00:00)")
    assert code == 1


def test_a_signoff_dated_in_the_future_is_an_input_error(tmp_path):
    repo = clean_repo(tmp_path)
    record_release(repo, "1.1", items_block("2026-02", 5), [(*TECH, "2026-11-30", TECH[1])], None, FEB[:2])
    result = CliRunner().invoke(cli, ["check", "--root", str(repo.root)])
    assert result.exit_code == 1
    assert "results/1.1.yaml:8:3: signoffs.tech-lead.date: 2026-11-30 is in the future (no place on Earth has reached " \
           "it); a sign-off is recorded when it is given" in result.output
    # The day itself is not in the future somewhere on Earth (UTC+14 reaches it first).
    record_release(repo, "1.1", items_block("2026-02", 5), [(*TECH, "2026-11-28", TECH[1])], None, FEB[:2])
    assert CliRunner().invoke(cli, ["check", "--root", str(repo.root)]).exit_code == 0


def test_a_launch_dated_in_the_future_is_an_input_error(tmp_path):
    repo = clean_repo(tmp_path)
    record_release(repo, "1.1", items_block("2026-02", 5), SIGNED_FEB, "{date: 2026-12-08}", FEB)
    result = CliRunner().invoke(cli, ["check", "--root", str(repo.root)])
    assert result.exit_code == 1
    assert "results/1.1.yaml:10:9: launch.date: 2026-12-08 is in the future (no place on Earth has reached it); record " \
           "the launch when it has happened, and plans in a note" in result.output


# --- the checklist shrinks ------------------------------------------------------------------------------


def test_a_checklist_item_deleted_after_signoff_does_not_make_the_release_ready_unnoticed(tmp_path):
    repo = clean_repo(tmp_path)
    items = items_block("2026-02", 5).replace(f"  {BACKUPS}: {{status: done, by: Bob Stone, date: 2026-02-06}}\n", "")
    text = record_release(repo, "1.1", items, SIGNED_FEB, None, FEB[:3])
    shrunk = repo.commit("Drop the drill", {"checklists/web.md": CHECKLIST.replace("- [ ] Backups restored in a drill\n", "")},
                         "Bob Stone", "2026-02-08T18:00:00+00:00")
    repo.commit("Launch 1.1", {"results/1.1.yaml": text + f"launch: {LAUNCH_FEB}\n"}, "Bob Stone",
                "2026-02-09T11:00:00+00:00")
    code, report = run_audit(repo.root)
    # As launched it is YES (the item is gone), but both signed while the drill was pending, and the checklist
    # lost the item after the last sign-off.
    assert pairs(report) == {("1.1", "signoff-not-ready"), ("1.1", "edited-after-signoff")}
    assert {(f["evidence"]["role"], tuple(i["item"] for i in f["evidence"]["items"]))
            for f in only(report, "signoff-not-ready")} == {("tech-lead", (BACKUPS,)), ("product-owner", (BACKUPS,))}
    [f] = only(report, "edited-after-signoff")
    assert f["evidence"]["commit"]["sha"] == shrunk and f["evidence"]["file"] == "checklists/web.md"
    assert f["evidence"]["entries"] == [{"key": f"checklist web: {BACKUPS}", "field": "",
                                         "before": "Backups restored in a drill", "after": "(none)"}]
    assert code == 1


# --- merges ------------------------------------------------------------------------------------------------


def test_an_item_flipped_inside_a_merge_commit_is_an_edit_after_launch(tmp_path):
    repo = clean_repo(tmp_path)
    text = launched_with_failed_firewall(repo)
    repo.git("checkout", "-q", "-b", "notes")
    repo.commit("Note on the tech lead", {"NOTES.md": "x\n"}, "Ada Lovelace", "2026-02-10T09:00:00+00:00")
    repo.git("checkout", "-q", "main")
    repo.commit("Unrelated", {"OTHER.md": "y\n"}, "Ada Lovelace", "2026-02-10T10:00:00+00:00")
    env = {"GIT_AUTHOR_NAME": "Mallory", "GIT_AUTHOR_EMAIL": "m@example.com", "GIT_COMMITTER_NAME": "Mallory",
           "GIT_COMMITTER_EMAIL": "m@example.com", "GIT_AUTHOR_DATE": "2026-02-11T09:00:00+00:00",
           "GIT_COMMITTER_DATE": "2026-02-11T09:00:00+00:00"}
    repo.git("merge", "-q", "--no-commit", "--no-ff", "notes", env=env)
    repo.write({"results/1.1.yaml": text.replace(FAILED_FIREWALL, DONE_FIREWALL)})
    repo.git("add", "-A")
    repo.git("commit", "-q", "--no-edit", env=env)
    merge = repo.git("rev-parse", "HEAD").strip()
    code, report = run_audit(repo.root)
    assert pairs(report) == {("1.1", "launched-not-ready"), ("1.1", "signoff-not-ready"), ("1.1", "edited-after-launch")}
    [late] = only(report, "edited-after-launch")
    assert late["evidence"]["commit"]["sha"] == merge and late["evidence"]["commit"]["author"] == "Mallory"
    shown = page(repo, tmp_path, "1.1")
    assert f"as it was in commit <code>{merge[:10]}</code>, the commit whose version of this results file is shown" in shown
    assert "(merge)" in shown


def test_signoffs_merged_from_a_branch_are_credited_to_the_branch_commit(tmp_path):
    repo = clean_repo(tmp_path)
    rel, head, items = "results/1.1.yaml", 'release: "1.1"\n', items_block("2026-02", 5)
    repo.commit("Results 1.1", {rel: head + items}, "Ada Lovelace", "2026-02-06T09:00:00+00:00")
    repo.git("checkout", "-q", "-b", "sign")
    signed = head + items + "signoffs:\n  tech-lead: {name: Grace Hopper, date: 2026-02-07}\n"
    own = repo.commit("Sign as tech lead", {rel: signed}, TECH[1], "2026-02-07T10:00:00+00:00")
    repo.git("checkout", "-q", "main")
    repo.commit("Unrelated", {"OTHER.md": "y\n"}, "Ada Lovelace", "2026-02-07T11:00:00+00:00")
    env = {"GIT_AUTHOR_NAME": "Merge Bot", "GIT_AUTHOR_EMAIL": "bot@example.com", "GIT_COMMITTER_NAME": "Merge Bot",
           "GIT_COMMITTER_EMAIL": "bot@example.com", "GIT_AUTHOR_DATE": "2026-02-07T12:00:00+00:00",
           "GIT_COMMITTER_DATE": "2026-02-07T12:00:00+00:00"}
    repo.git("merge", "-q", "--no-ff", "-m", "Merge sign", "sign", env=env)
    # And a sign-off line added by the merge itself (resolved by hand): recorded by the merge.
    repo.git("checkout", "-q", "-b", "owner", "HEAD~1")
    repo.commit("Owner branch", {"OWNER.md": "z\n"}, OWNER[1], "2026-02-08T09:00:00+00:00")
    repo.git("checkout", "-q", "main")
    env.update(GIT_AUTHOR_DATE="2026-02-08T12:00:00+00:00", GIT_COMMITTER_DATE="2026-02-08T12:00:00+00:00")
    repo.git("merge", "-q", "--no-commit", "--no-ff", "owner", env=env)
    repo.write({rel: signed + "  product-owner: {name: Linus Pauling, date: 2026-02-08}\n"})
    repo.git("add", "-A")
    repo.git("commit", "-q", "--no-edit", env=env)
    merge = repo.git("rev-parse", "HEAD").strip()
    code, report = run_audit(repo.root)
    assert pairs(report) == {("1.1", "signer-is-recorder")}
    [f] = report["findings"]
    assert f["evidence"]["role"] == "product-owner" and f["evidence"]["commit"]["sha"] == merge
    shown = text_of(page(repo, tmp_path, "1.1"))
    assert f"Tech Lead Grace Hopper 2026-02-07 {own[:10]} by Grace Hopper <grace.hopper@example.com>, 2026-02-07 10:00 all ready" in shown
    assert f"Product Owner Linus Pauling 2026-02-08 {merge[:10]} by Merge Bot <bot@example.com>, 2026-02-08 12:00 all ready" in shown
    assert "not committed" not in shown


# --- moves and deletions ---------------------------------------------------------------------------------


def test_a_moved_results_file_keeps_its_history(tmp_path):
    repo = clean_repo(tmp_path)
    record_release(repo, "8.0.0", items_block("2026-02", 5), [(*TECH, "2026-02-07", "Bob Stone"),
                                                              (*OWNER, "2026-02-08", OWNER[1])], LAUNCH_FEB, FEB)
    before = run_audit(repo.root)[1]
    (repo.root / "results" / "lumen").mkdir()
    repo.git("mv", "results/8.0.0.yaml", "results/lumen/8.0.0.yaml")
    repo.commit("Move into the product folder", {}, "Ada Lovelace", "2026-03-01T09:00:00+00:00")
    code, report = run_audit(repo.root)
    assert pairs(before) == {("8.0.0", "signer-is-recorder")}
    assert pairs(report) == {("lumen/8.0.0", "signer-is-recorder")}  # kept, not "not committed"
    assert report["findings"][0]["evidence"]["commit"]["sha"] == sha_of(repo, "Sign 8.0.0 as tech-lead")
    shown = text_of(page(repo, tmp_path, "lumen/8.0.0"))
    assert "moved from results/8.0.0.yaml" in shown and "Verdict at launch: YES" in shown
    assert "Results 8.0.0" in shown  # the commit from before the move


def test_a_deleted_launched_release_leaves_a_tombstone(tmp_path):
    repo = clean_repo(tmp_path)
    launched_with_failed_firewall(repo)
    repo.git("rm", "-q", "results/1.1.yaml")
    gone = repo.commit("Remove 1.1", {}, "Mallory", "2026-03-01T09:00:00+00:00")
    code, report = run_audit(repo.root)
    assert pairs(report) == {("1.1", "release-deleted")}
    [f] = report["findings"]
    assert f["message"] == (f"results/1.1.yaml of release 1.1, launched 2026-02-09 with the verdict NO (recorded in commit "
                            f"{launch_sha(repo, '1.1')[:10]} by Bob Stone (committed 2026-02-09T11:00:00+00:00)), was "
                            f"deleted in commit {gone[:10]} by Mallory (committed 2026-03-01T09:00:00+00:00)")
    assert code == 1
    site = tmp_path / "site"
    assert CliRunner().invoke(cli, ["build", "--root", str(repo.root), "-d", str(site)]).exit_code == 0
    audit_page = text_of((site / "audit" / "index.html").read_text())
    assert (f"1.1 results/1.1.yaml 2026-02-09 (commit {launch_sha(repo, '1.1')[:10]}) NO NO commit {gone[:10]} by Mallory, "
            "committed 2026-03-01T09:00:00+00:00") in audit_page


# --- incomplete history ----------------------------------------------------------------------------------


def test_a_shallow_clone_is_loud_and_shows_no_boundary_commit_as_a_change(tmp_path):
    repo = clean_repo(tmp_path)
    text = launched_with_failed_firewall(repo)
    repo.commit("Firewall fixed", {"results/1.1.yaml": text.replace(FAILED_FIREWALL, DONE_FIREWALL)}, "Bob Stone",
                "2026-02-16T09:00:00+00:00")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.root}", str(clone)], check=True)
    code, report = run_audit(clone)
    assert code == 1
    assert pairs(report) == {(None, "history-incomplete")}  # nothing is credited to the clone's one commit
    site = tmp_path / "site"
    result = CliRunner().invoke(cli, ["build", "--root", str(clone), "-d", str(site)])
    assert result.exit_code == 0
    warned = [line for line in result.output.splitlines() if "history is incomplete" in line]
    assert warned == ["the git history is incomplete (the repository is a shallow clone: commits older than its depth "
                      "are missing): the audit cannot check the releases as launched, sign-offs as given or edits after "
                      "them; build from a clone with full history (git fetch --unshallow; fetch-depth: 0 in CI)"
                      .join([".git:1:1: warning: ", ""])]
    shown = text_of((site / "releases" / "1.1" / "index.html").read_text())
    assert "No audit finding" not in shown
    assert "Not checked for this release: signer-is-recorder, signoff-not-ready, signoff-after-launch" in shown
    assert "before this shallow clone" in shown
    assert "the clone's first commit: what it holds, not what it changed" in shown
    audit_page = text_of((site / "audit" / "index.html").read_text())
    assert "Not checked: signer-is-recorder" in audit_page
    strict = CliRunner().invoke(cli, ["build", "--strict", "--root", str(clone), "-d", str(tmp_path / "strict")])
    assert strict.exit_code == 1 and not (tmp_path / "strict").exists()


def test_without_git_audit_fails_and_pages_say_what_was_not_checked(tmp_path):
    repo = clean_repo(tmp_path)
    plain = tmp_path / "plain"
    shutil.copytree(repo.root, plain, ignore=shutil.ignore_patterns(".git"))
    code, report = run_audit(plain)
    assert code == 1 and pairs(report) == {(None, "history-incomplete")}
    shown = text_of(page(type("R", (), {"root": plain}), tmp_path, "1.0"))
    assert "Not checked for this release: signer-is-recorder" in shown
    assert "because there is no git history (not a git repository)" in shown
    assert "No audit finding" not in shown
    strict = CliRunner().invoke(cli, ["build", "--strict", "--root", str(plain), "-d", str(tmp_path / "strict")])
    assert strict.exit_code == 1


# --- rebases -------------------------------------------------------------------------------------------


def test_a_rebase_that_gives_every_commit_the_same_second_gives_no_false_edit(tmp_path):
    repo = clean_repo(tmp_path)
    repo.git("checkout", "-q", "-b", "feature")
    record_release(repo, "1.1", items_block("2026-02", 5), SIGNED_FEB, LAUNCH_FEB, FEB)
    repo.git("checkout", "-q", "main")
    repo.commit("Meanwhile on main", {"OTHER.md": "y\n"}, "Ada Lovelace", "2026-02-10T09:00:00+00:00")
    repo.git("checkout", "-q", "feature")
    same = {"GIT_COMMITTER_DATE": "2026-02-12T12:00:00+00:00", "GIT_COMMITTER_NAME": "Rebaser",
            "GIT_COMMITTER_EMAIL": "r@example.com"}
    repo.git("rebase", "-q", "main", env=same)
    dates = set(repo.git("log", "--format=%cI", "-4").split())
    assert dates == {"2026-02-12T12:00:00+00:00"}
    code, report = run_audit(repo.root)
    assert report == {"findings": [], "releases": 2}
    assert code == 0


def test_a_backdated_edit_after_the_last_signoff_is_found_by_graph_order(tmp_path):
    repo = clean_repo(tmp_path)
    text = record_release(repo, "1.1", items_block("2026-02", 5), SIGNED_FEB, None, FEB[:3])
    edited = text.replace(f"{STATUS_PAGE}: {{status: n/a, reason: No public status page yet}}",
                          f"{STATUS_PAGE}: {{status: n/a, reason: Not yet}}")
    env = {"GIT_AUTHOR_NAME": "Bob Stone", "GIT_AUTHOR_EMAIL": "b@example.com", "GIT_COMMITTER_NAME": "Bob Stone",
           "GIT_COMMITTER_EMAIL": "b@example.com", "GIT_AUTHOR_DATE": "2026-02-01T09:00:00+00:00",
           "GIT_COMMITTER_DATE": "2026-02-09T09:00:00+00:00"}
    repo.write({"results/1.1.yaml": edited})
    repo.git("commit", "-q", "-am", "Backdated", env=env)
    code, report = run_audit(repo.root)
    assert pairs(report) == {("1.1", "edited-after-signoff")}
    assert "(committed 2026-02-09T09:00:00+00:00)" in report["findings"][0]["message"]
    assert "2026-02-01" not in report["findings"][0]["message"]


# --- skipping the parse of versions must not change what is found -------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from generator.history import Version  # noqa: E402
from generator.provenance import Commit  # noqa: E402
from generator.snapshot import TimelineBuilder  # noqa: E402
from generator.versions import summarise  # noqa: E402


class _Blobs:
    """The history's blob store, for the pure comparison below: versions are given as bytes."""

    def __init__(self, blobs: dict):
        self.blobs = blobs

    def blob(self, oid):
        return self.blobs.get(oid)

    def dirty(self, _path):
        return False


LINES = [
    "  {role}: {{name: Grace Hopper, date: 2026-02-07}}\n", "  {role}: {{name: Ada, date: 2026-02-08}}\n",
    "  {role}:\n    name: Grace Hopper\n    date: 2026-02-07\n", "  {role}: Grace\n", "    Hopper continued\n",
    "  {role}: \"Grace\n  Hopper\"\n", "# a comment\n", "\n", "  {role}: ~\n", "  {role}:\n",
    "  {role}: 'Grace\n\n  Hopper'\n", "  {role}: [Grace,\n  Hopper]\n", "  {role}: &x {{name: A, date: B}}\n",
    "  {role}: *x\n", "  {role}: >\n    folded\n", "  {role}: |\n    literal\n", "\t{role}: tab\n", "  # {role}: no\n",
    "  ? {role}\n  : {{name: A}}\n", "  {role} : {{name: A}}  # note\n",
]
ROLES = ["tech-lead", "product-owner", "cto"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["append", "replace", "truncate"]), st.integers(0, len(LINES) - 1),
                          st.sampled_from(ROLES), st.integers(0, 6)), min_size=1, max_size=8))
def test_origins_found_without_parsing_every_version_are_those_of_parsing_every_version(ops):
    head = 'release: "1.1"\nitems:\n  security: done\nsignoffs:\n'
    lines: list[str] = []
    texts = [head]
    for op, line, role, at in ops:
        text = LINES[line].format(role=role)
        # No version holds a role twice: the loader refuses a duplicate key, and the origin of a sign-off is
        # the commit that wrote the bytes deciding it, whatever a later duplicate in a refused version says.
        held = [i for i, t in enumerate(lines) if t.startswith(f"  {role}:")]
        if op == "append" and not held:
            lines.append(text)
        elif op == "replace" and lines and (not held or held == [at % len(lines)] or "{role}" not in LINES[line]):
            lines[at % len(lines)] = text
        elif op == "truncate" and lines:
            del lines[at % len(lines):]
        texts.append(head + "".join(lines))
    commit = Commit("0" * 40, "A", "a@x", dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc), "A",
                    dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc), "not signed", "s")
    versions, pred = [], None
    for i, text in enumerate(texts):
        pred = Version(commit, i, "results/1.1.yaml", f"{i:040x}", pred)
        versions.append(pred)
    blobs = _Blobs({v.blob: t.encode() for v, t in zip(versions, texts)})
    builder = TimelineBuilder(blobs, Path("."))
    current = versions[-1]
    for role in summarise(texts[-1].encode()).signoffs:
        key = f"signoffs.{role}"
        found, _ = builder.origin(current, key)
        # The version that wrote the entry's value: parents holding the same value are passed; so is a parent
        # that does not parse at all but has the same bytes up to the end of the entry's line and the next
        # (the commit that broke the file and the one that mended it did not write the entry).
        value, expected = summarise(texts[-1].encode()).value(key), current
        anchor = texts[-1].encode()
        decided = summarise(anchor).signoff_ends.get(role)
        while expected.pred is not None:
            before = texts[expected.pred.index].encode()
            parsed = summarise(before)
            same_bytes = decided is not None and before[:decided] == anchor[:decided] and len(before) >= decided
            if same_bytes:
                assert parsed.value(key) == value or not parsed.readable  # the bytes that decide it are the same
                expected = expected.pred
            elif parsed.value(key) == value:
                expected = expected.pred
                anchor, decided = before, parsed.signoff_ends.get(role)
            else:
                break
        assert found is expected, (role, texts)


def test_checklist_items_changed_after_launch_are_listed_when_the_release_moves_onto_them(tmp_path):
    repo = clean_repo(tmp_path)
    text = record_release(repo, "1.1", items_block("2026-02", 5), SIGNED_FEB, LAUNCH_FEB, FEB)
    grown = repo.commit("Add WAF", {"checklists/web.md": CHECKLIST.replace(
        "- [ ] Firewall rules reviewed\n", "- [ ] Firewall rules reviewed\n- [ ] WAF enabled\n")}, "Ada Lovelace",
        "2026-02-20T09:00:00+00:00")
    note = repo.commit("Note", {"results/1.1.yaml": text.replace("date: 2026-02-06}", "date: 2026-02-06, note: ok}", 1)},
                       "Ada Lovelace", "2026-02-21T09:00:00+00:00")
    code, report = run_audit(repo.root)
    # As launched it is YES; today it is evaluated against the grown checklist, and both commits are listed.
    assert pairs(report) == {("1.1", "edited-after-launch")}
    by_commit = {f["evidence"]["commit"]["sha"]: f for f in only(report, "edited-after-launch")}
    assert set(by_commit) == {grown, note}
    assert by_commit[grown]["severity"] == "error" and by_commit[note]["severity"] == "warning"
    assert by_commit[grown]["evidence"]["entries"] == [
        {"key": "checklist web: security/waf-enabled", "field": "", "before": "(none)", "after": "WAF enabled"}]
    assert code == 1


def test_a_cached_rebuild_shows_what_the_history_says_now(tmp_path):
    """The build cache keys a release page by its history too: a new commit changes the page, and the page
    is the one a build without the cache makes."""
    repo = clean_repo(tmp_path)
    text = launched_with_failed_firewall(repo)
    first = page(repo, tmp_path, "1.1")
    assert "Not changed since the launch." in first
    repo.commit("Firewall fixed", {"results/1.1.yaml": text.replace(FAILED_FIREWALL, DONE_FIREWALL)}, "Bob Stone",
                "2026-02-16T09:00:00+00:00")
    cached = page(repo, tmp_path, "1.1")
    assert "Changed after launch by 1 commit" in cached
    other = tmp_path / "other"
    assert CliRunner().invoke(cli, ["build", "--no-cache", "--root", str(repo.root), "-d", str(other)]).exit_code == 0
    assert (other / "releases" / "1.1" / "index.html").read_text() == cached


def test_a_results_file_committed_with_a_broken_checklist_is_checked_against_the_working_tree_one(tmp_path):
    repo = clean_repo(tmp_path)
    broken = repo.commit("Break the checklist", {"checklists/web.md": "# Web\n\nno items at all\n"}, "Eve",
                         "2026-02-01T09:00:00+00:00")
    repo.commit("Results 1.1", {"results/1.1.yaml": 'release: "1.1"\n' + items_block("2026-02", 5)}, "Ada Lovelace",
                "2026-02-02T09:00:00+00:00")
    repo.commit("Mend the checklist", {"checklists/web.md": CHECKLIST}, "Ada Lovelace", "2026-02-03T09:00:00+00:00")
    result = CliRunner().invoke(cli, ["check", "--root", str(repo.root)])
    assert result.exit_code == 0
    # The reason in brackets is the checklist parser's own message.
    [line] = [line for line in result.output.splitlines() if "does not parse" in line]
    assert re.fullmatch(rf"checklists/web\.md:1:1: warning: the version of commit {broken[:10]} does not parse "
                        r"\(.+\); releases committed with it are evaluated against the working tree's checklist", line)


def test_a_byte_order_mark_does_not_hide_a_launch_or_sign_off_from_the_byte_test():
    """Found by the fuzz target: YAML reads past a byte-order mark, so the byte test must not skip such a version."""
    from generator.versions import may_hold

    for data in (b"\xef\xbb\xbflaunch: {date: 2026-02-09}\n", b"release: '1'\n---\n\xef\xbb\xbfsignoffs: {a: 1}\n"):
        assert may_hold(data)


TAILS = ["launch: {date: 2026-02-09}\n", "launch:\n  date: 2026-02-09\n", "checklist: web\n", "items:\n  x: done\n",
         "  extra: {status: done}\n", "    continued\n", "# note\n", "\n", "signoffs:\n  a: {name: A, date: B}\n"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(LINES) - 1), st.sampled_from(ROLES)), max_size=5),
       st.lists(st.integers(0, len(TAILS) - 1), min_size=1, max_size=4))
def test_a_version_skipped_as_only_appended_changes_nothing_wanted(before, tail):
    """edits() passes over a commit that appended only lines holding no wanted entry, without parsing its
    parent: whenever it does, parsing both finds no wanted change."""
    head = 'release: "1.1"\nitems:\n  security: done\nsignoffs:\n'
    p_text = head + "".join(LINES[i].format(role=r) for i, r in before)
    v_text = p_text + "".join(TAILS[i] for i in tail)
    commit = Commit("0" * 40, "A", "a@x", dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc), "A",
                    dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc), "not signed", "s")
    p = Version(commit, 0, "results/1.1.yaml", "1" * 40)
    v = Version(commit, 1, "results/1.1.yaml", "2" * 40, p)
    builder = TimelineBuilder(_Blobs({p.blob: p_text.encode(), v.blob: v_text.encode()}), Path("."))
    for wanted in (lambda key: not key.startswith("signoffs.") and key != "launch", lambda key: True):
        if builder._appended_unwanted(p, v, wanted):
            before_s, after_s = summarise(p_text.encode()), summarise(v_text.encode())
            if before_s.readable:
                from generator.versions import changes
                assert [c for c in changes(before_s, after_s) if wanted(c.key)] == [], (p_text, v_text)
