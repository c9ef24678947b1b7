"""People and the sign-off policy: readiness.yml's team, names matched to people, and the policy rules, on
scripted repositories (test_audit.py's clean project with a team listed)."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from generator.cli import cli
from test_audit import FEB, LAUNCH_FEB, OWNER, SIGNED_FEB, TECH, clean_repo, items_block, only, pairs, \
    record_release, run_audit, FIREWALL

TEAM = """site_name: Web launches
people:
  grace:
    name: Grace Hopper
    emails: [grace.hopper@example.com]
    aliases: [G. Hopper, Amazing Grace]
  linus:
    name: Linus Pauling
    emails: [linus.pauling@example.com]
  ada:
    name: Ada Lovelace
    emails: [ada.lovelace@example.com]
  bob:
    name: Bob Stone
    emails: [bob.stone@example.com, bob@ops.example.com]
  ian:
    name: Ian Intern
    emails: [ian.intern@example.com]
groups:
  leads: [grace, linus]
"""
POLICY = """policy:
  roles:
    tech-lead: [grace]
    product-owner: [linus]
  waivers: [leads]
"""


def team_repo(tmp_path: Path, policy: str = POLICY):
    return clean_repo(tmp_path, TEAM + policy)


def errors_of(root: Path) -> str:
    result = CliRunner().invoke(cli, ["check", "--root", str(root)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    return result.output


# --- the format ---------------------------------------------------------------------------------------


def test_clean_repository_with_a_team_and_policy_has_no_findings(tmp_path):
    repo = team_repo(tmp_path)
    code, report = run_audit(repo.root)
    assert report == {"findings": [], "releases": 1}
    assert code == 0


def test_each_team_problem_is_reported_at_its_line_and_column(tmp_path):
    config = TEAM.replace("emails: [ian.intern@example.com]", "emails: [not-an-address]\n    phone: 555") \
        .replace("aliases: [G. Hopper, Amazing Grace]", "aliases: [G. Hopper, Linus  PAULING]") \
        .replace("leads: [grace, linus]", "leads: [grace, nobody]") + POLICY.replace("product-owner: [linus]",
                                                                                      "product-owner: [linsu]")
    config += "  oops: true\n"
    repo = clean_repo(tmp_path, config)
    out = errors_of(repo.root)
    assert out.splitlines()[:-1] == [
        "readiness.yml:8:5: people.linus: `Linus Pauling` is also a name of `grace`; a name or alias must stand "
        "for one person",
        "readiness.yml:18:14: people.ian.emails: `not-an-address` is not an e-mail address",
        "readiness.yml:19:5: people.ian.phone: unknown key; expected one of name, emails, aliases, keys",
        "readiness.yml:21:10: groups.leads: `nobody` is neither a person nor a group; expected one of ada, bob, "
        "grace, linus",
        "readiness.yml:25:20: policy.roles.product-owner: `linsu` is neither a person nor a group; expected one "
        "of ada, bob, grace, linus",
        "readiness.yml:27:3: policy.oops: unknown key; expected one of roles, waivers"]
    assert "Traceback" not in out


def test_a_policy_without_people_and_a_bad_key_are_errors(tmp_path):
    repo = clean_repo(tmp_path, "policy:\n  roles:\n    tech-lead: [grace]\n")
    assert "readiness.yml:1:1: policy: needs a `people:` list" in errors_of(repo.root)
    bad_key = TEAM.replace("emails: [grace.hopper@example.com]",
                           "emails: [grace.hopper@example.com]\n    keys: [\"ssh-ed25519 <b>not base64</b>\"]")
    repo2 = clean_repo(tmp_path / "two", bad_key)
    assert "readiness.yml:6:12: people.grace.keys: expected an SSH public key" in errors_of(repo2.root)


# --- the policy rules ---------------------------------------------------------------------------------


def test_a_signoff_by_someone_the_policy_does_not_allow_is_an_error(tmp_path):
    repo = team_repo(tmp_path)
    # Ian Intern signs the tech lead role, recording his own line (so only the policy speaks).
    record_release(repo, "1.1", items_block("2026-02", 5),
                   [(TECH[0], "Ian Intern", "2026-02-07", "Ian Intern"), (*OWNER, "2026-02-08", OWNER[1])],
                   LAUNCH_FEB, FEB)
    code, report = run_audit(repo.root)
    # The sign-off does not count, so the release launched with the role unsigned.
    assert pairs(report) == {("1.1", "signoff-not-allowed"), ("1.1", "signoff-missing"), ("1.1", "launched-not-ready")}
    [f] = [f for f in report["findings"] if f["rule"] == "signoff-not-allowed"]
    assert f["severity"] == "error" and f["evidence"]["person"] == "ian" and f["evidence"]["role"] == "tech-lead"
    assert f["message"] == ("tech-lead sign-off by Ian Intern is Ian Intern, who may not sign it "
                            "(policy.roles.tech-lead: Grace Hopper); it does not count")
    [missing] = [f for f in report["findings"] if f["rule"] == "signoff-missing"]
    assert missing["message"] == ("launched 2026-02-09 without a sign-off by tech-lead that counts (tech-lead's "
                                  "sign-off does not: Ian Intern may not sign this role (policy.roles.tech-lead))")
    assert code == 1


def test_a_signoff_by_a_name_on_no_one_is_an_error_and_an_alias_is_the_person(tmp_path):
    repo = team_repo(tmp_path)
    record_release(repo, "1.1", items_block("2026-02", 5),
                   [(TECH[0], "G.  hopper", "2026-02-07", "Grace Hopper"),
                    (OWNER[0], "Nobody In Particular", "2026-02-08", OWNER[1])], LAUNCH_FEB, FEB)
    code, report = run_audit(repo.root)
    assert {(f["rule"], f["evidence"].get("role")) for f in only(report, "signoff-not-allowed")} == {
        ("signoff-not-allowed", "product-owner")}
    # The alias is Grace, recorded by Grace's e-mail: no signer-is-recorder for tech-lead.
    assert [f["evidence"]["role"] for f in only(report, "signer-is-recorder")] == ["product-owner"]
    assert code == 1


def test_without_a_policy_any_listed_person_may_sign(tmp_path):
    repo = team_repo(tmp_path, policy="")
    record_release(repo, "1.1", items_block("2026-02", 5),
                   [(TECH[0], "Ian Intern", "2026-02-07", "Ian Intern"), (*OWNER, "2026-02-08", OWNER[1])],
                   LAUNCH_FEB, FEB)
    code, report = run_audit(repo.root)
    assert report == {"findings": [], "releases": 2}


def test_a_spoofed_author_name_with_another_persons_email_is_caught(tmp_path):
    repo = team_repo(tmp_path)
    text = record_release(repo, "1.1", items_block("2026-02", 5), SIGNED_FEB[:1], None, FEB[:2])
    text += "  product-owner: {name: Linus Pauling, date: 2026-02-08}\n"
    # Bob commits Linus's sign-off as "Linus Pauling" but with his own e-mail.
    spoof = repo.commit("Sign 1.1 as product-owner", {"results/1.1.yaml": text}, "Linus Pauling",
                        "2026-02-08T10:00:00+00:00", email="bob@ops.example.com")
    code, report = run_audit(repo.root)
    [f] = only(report, "signer-is-recorder")
    assert f["evidence"]["signer_person"] == "linus" and f["evidence"]["recorder_person"] == "bob"
    assert f["message"] == (f"product-owner sign-off by Linus Pauling was recorded in {spoof[:10]} by Linus Pauling "
                            "<bob@ops.example.com>, an e-mail of Bob Stone")
    # Without a team the same history passes, as it did before people were listed.
    bare = clean_repo(tmp_path / "bare")
    record_release(bare, "1.1", items_block("2026-02", 5), SIGNED_FEB[:1], None, FEB[:2])
    bare.commit("Sign", {"results/1.1.yaml": text}, "Linus Pauling", "2026-02-08T10:00:00+00:00",
                email="bob@ops.example.com")
    assert only(run_audit(bare.root)[1], "signer-is-recorder") == []


def test_duplicate_signer_matches_aliases(tmp_path):
    repo = team_repo(tmp_path, policy="")
    record_release(repo, "1.1", items_block("2026-02", 5),
                   [(*TECH, "2026-02-07", TECH[1]), (OWNER[0], "Amazing\u00a0Grace", "2026-02-08", TECH[1])],
                   LAUNCH_FEB, FEB)
    code, report = run_audit(repo.root)
    [f] = only(report, "duplicate-signer")
    assert f["evidence"]["person"] == "grace" and f["evidence"]["roles"] == ["tech-lead", "product-owner"]
    assert f["message"].startswith("Grace Hopper (written Amazing\u00a0Grace, Grace Hopper) signed 2 roles")


def _waived(approver: str, by: str = "Grace Hopper") -> str:
    return items_block("2026-02", 5, security__firewall_rules_reviewed=(
        f"{{status: waived, by: {by}, reason: Audit booked, approved_by: {approver}, expires: 2026-03-31}}"))


def test_waiver_approvers_outside_the_policy_are_errors(tmp_path):
    cases = {"Ian Intern": "(Ian Intern), who may not approve waivers (policy.waivers)",
             "Nobody In Particular": "who matches no person listed under people: in readiness.yml",
             "grace  HOPPER": "(Grace Hopper), the person who recorded it; a waiver needs another person's approval"}
    for i, (approver, why) in enumerate(cases.items()):
        repo = team_repo(tmp_path / str(i))
        record_release(repo, "1.1", _waived(approver), SIGNED_FEB, LAUNCH_FEB, FEB)
        code, report = run_audit(repo.root)
        [f] = only(report, "waiver-not-allowed")
        assert f["severity"] == "error" and f["evidence"]["entry"] == FIREWALL
        assert f["message"] == f"waiver of {FIREWALL} was approved by {approver} {why}"
    repo = team_repo(tmp_path / "ok")
    record_release(repo, "1.1", _waived("Linus Pauling"), SIGNED_FEB, LAUNCH_FEB, FEB)
    assert only(run_audit(repo.root)[1], "waiver-not-allowed") == []


# --- the pages ----------------------------------------------------------------------------------------


def _site(repo, tmp_path: Path) -> Path:
    site = tmp_path / "site"
    result = CliRunner().invoke(cli, ["build", "--root", str(repo.root), "-d", str(site)])
    assert result.exit_code == 0, result.output
    return site


def _text(html: str) -> str:
    """What a reader sees: tags dropped (inline ones without a space, others as one), whitespace collapsed."""
    from html import unescape
    html = re.sub(r"</?(code|strong|em|a|span)\b[^>]*>", "", html)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_pages_show_the_person_and_email_of_each_signoff_and_the_policy(tmp_path):
    repo = team_repo(tmp_path)
    record_release(repo, "1.1", items_block("2026-02", 5),
                   [(TECH[0], "G. Hopper", "2026-02-07", "Bob Stone"), (*OWNER, "2026-02-08", OWNER[1])],
                   LAUNCH_FEB, FEB)
    site = _site(repo, tmp_path)
    release = _text((site / "releases" / "1.1" / "index.html").read_text())
    assert "G. Hopper (Grace Hopper)" in release
    assert "Bob Stone <bob.stone@example.com> (Bob Stone)" in release
    assert "Linus Pauling <linus.pauling@example.com> (Linus Pauling)" in release
    audit = _text((site / "audit" / "index.html").read_text())
    assert "Sign-off policy: 5 people listed in readiness.yml; 2 roles restricted to named people, waivers " \
           "approved by Grace Hopper, Linus Pauling, never by the person who recorded the item." in audit


def test_the_audit_page_says_when_no_policy_is_set(tmp_path):
    site = _site(clean_repo(tmp_path), tmp_path)
    audit = _text((site / "audit" / "index.html").read_text())
    assert "No sign-off policy is set: readiness.yml lists no people" in audit
    release = _text((site / "releases" / "1.0" / "index.html").read_text())
    assert "Grace Hopper <grace.hopper@example.com>" in release


# --- signed sign-offs ---------------------------------------------------------------------------------


def _key(tmp_path: Path, name: str) -> Path:
    import subprocess

    path = tmp_path / "keys" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(path)], check=True)
    return path


def _signed_commit(repo, rel: str, text: str, author: str, date: str, key: Path | None) -> str:
    repo.write({rel: text})
    repo.git("add", "-A")
    email = author.lower().replace(" ", ".") + "@example.com"
    env = {"GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": date,
           "GIT_COMMITTER_NAME": author, "GIT_COMMITTER_EMAIL": email, "GIT_COMMITTER_DATE": date}
    sign = ["-c", "gpg.format=ssh", "-c", f"user.signingkey={key}.pub", "commit", "-S"] if key else ["commit"]
    repo.git(*sign, "-q", "-m", f"Sign {rel}", env=env)
    return repo.git("rev-parse", "HEAD").strip()


def _signed_repo(tmp_path: Path):
    """Grace's and Linus's keys listed, signed commits required, release 1.1 with Grace's tech-lead sign-off
    recorded in a commit signed by her key; (repo, keys, the file's text, that commit's sha)."""
    grace, linus, jonas = (_key(tmp_path, n) for n in ("grace", "linus", "jonas"))
    team = TEAM.replace("emails: [grace.hopper@example.com]", "emails: [grace.hopper@example.com]\n    keys: "
                        f"[\"{grace.with_suffix('.pub').read_text().strip()}\"]") \
        .replace("emails: [linus.pauling@example.com]", "emails: [linus.pauling@example.com]\n    keys: "
                 f"[\"{linus.with_suffix('.pub').read_text().strip()}\"]")
    repo = clean_repo(tmp_path, team + POLICY + "audit:\n  signed_commits: true\n")
    base = 'release: "1.1"\n' + items_block("2026-02", 5)
    repo.commit("Results 1.1", {"results/1.1.yaml": base}, "Ada Lovelace", "2026-02-06T09:00:00+00:00")
    text = base + "signoffs:\n  tech-lead: {name: Grace Hopper, date: 2026-02-07}\n"
    good = _signed_commit(repo, "results/1.1.yaml", text, "Grace Hopper", "2026-02-07T10:00:00+00:00", grace)
    return repo, (grace, linus, jonas), text, good


def test_with_signed_commits_a_signoff_counts_only_when_signed_by_the_persons_key(tmp_path):
    repo, (grace, linus, jonas), text, good = _signed_repo(tmp_path)
    text += "  product-owner: {name: Linus Pauling, date: 2026-02-08}\n"
    # Linus's sign-off, authored as Linus but signed with Jonas's key (a key readiness.yml does not list).
    forged = _signed_commit(repo, "results/1.1.yaml", text, "Linus Pauling", "2026-02-08T10:00:00+00:00", jonas)
    code, report = run_audit(repo.root)
    findings = {f["release"]: f for f in only(report, "signoff-unsigned")}
    assert findings["1.1"]["message"] == (f"product-owner sign-off by Linus Pauling does not count: {forged[:10]}, "
                                          "which recorded it, is signed by a key readiness.yml does not list, not by "
                                          "a key of Linus Pauling")
    assert findings["1.1"]["evidence"]["principal"] is None
    assert [f["evidence"]["role"] for f in only(report, "signoff-unsigned") if f["release"] == "1.1"] == \
        ["product-owner"]  # Grace's own signed commit counts
    # 1.0's sign-offs were never signed at all.
    assert {f["evidence"]["commit"]["signature"] for f in only(report, "signoff-unsigned")
            if f["release"] == "1.0"} == {"not signed"}
    # Linus's line re-recorded with Grace's key: signed by a listed key, but not the signer's.
    text2 = text.replace("date: 2026-02-08}", "date: 2026-02-09}")
    swap = _signed_commit(repo, "results/1.1.yaml", text2, "Linus Pauling", "2026-02-09T10:00:00+00:00", grace)
    [f] = [f for f in only(run_audit(repo.root)[1], "signoff-unsigned") if f["release"] == "1.1"]
    assert f["evidence"]["principal"] == "grace" and f["evidence"]["commit"]["sha"] == swap
    assert f["message"].endswith(f"{swap[:10]}, which recorded it, is signed by a key of Grace Hopper, not by a key "
                                 "of Linus Pauling")
    assert good  # the commit exists; its sign-off is the one not reported
    assert code == 1


def _status(root: Path, release: str) -> dict:
    import json

    result = CliRunner().invoke(cli, ["status", release, "--json", "--root", str(root)])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_a_signoff_that_does_not_count_leaves_its_role_unsigned_in_the_verdict_now_and_at_launch(tmp_path):
    repo, (grace, linus, jonas), text, _ = _signed_repo(tmp_path)
    text += "  product-owner: {name: Linus Pauling, date: 2026-02-08}\n"
    forged = _signed_commit(repo, "results/1.1.yaml", text, "Linus Pauling", "2026-02-08T10:00:00+00:00", jonas)
    status = _status(repo.root, "1.1")
    assert (status["verdict"], status["unsigned"]) == ("NEEDS REVIEW", ["product-owner"])
    assert status["signoffs"]["product-owner"]["name"] == "Linus Pauling"  # shown, but not counted
    shown = CliRunner().invoke(cli, ["status", "1.1", "--root", str(repo.root)], terminal_width=200).output
    assert "does not count" in shown and f"commit {forged[:10]}, which recorded it, is not signed" in " ".join(shown.split())
    # The same launch recorded over the forged sign-off: launched (and judged at launch) with the role unsigned.
    launched = text + f"launch: {LAUNCH_FEB}\n"
    _signed_commit(repo, "results/1.1.yaml", launched, "Ada Lovelace", "2026-02-09T10:00:00+00:00", None)
    code, report = run_audit(repo.root)
    assert {f["rule"] for f in report["findings"] if f["release"] == "1.1"} == \
        {"signoff-unsigned", "signoff-missing", "launched-not-ready", "unsigned-commit"}  # launch commit unsigned
    site = _site(repo, tmp_path)
    page = _text((site / "releases" / "1.1" / "index.html").read_text())
    assert "Ready for production: NEEDS REVIEW" in page and "Verdict at launch: NEEDS REVIEW" in page
    assert (f"Product Owner Linus Pauling does not count commit {forged[:10]}, which recorded it, is not signed by a "
            "key of Linus Pauling 2026-02-08") in page
    assert "does not count Product Owner (signed by Linus Pauling, not counted: commit" in page
    history = _text((site / "signoffs" / "index.html").read_text())
    assert "Linus Pauling 2026-02-08 does not count" in history
    # Linus re-records his own line with his own key: now it counts, and the verdict is YES.
    fixed = launched.replace("date: 2026-02-08}", "date: 2026-02-09}")
    _signed_commit(repo, "results/1.1.yaml", fixed, "Linus Pauling", "2026-02-10T10:00:00+00:00", linus)
    status = _status(repo.root, "1.1")
    assert (status["verdict"], status["unsigned"]) == ("YES", [])
    assert code == 1


def test_without_a_policy_or_signed_commits_every_signoff_counts_as_before(tmp_path):
    repo = clean_repo(tmp_path, TEAM)  # people, no policy, no signed_commits: Ian may sign
    record_release(repo, "1.1", items_block("2026-02", 5),
                   [(TECH[0], "Ian Intern", "2026-02-07", "Ian Intern"), (*OWNER, "2026-02-08", OWNER[1])],
                   LAUNCH_FEB, FEB)
    assert _status(repo.root, "1.1")["verdict"] == "YES"
    with_policy = clean_repo(tmp_path / "two", TEAM + POLICY)
    record_release(with_policy, "1.1", items_block("2026-02", 5),
                   [(TECH[0], "Ian Intern", "2026-02-07", "Ian Intern"), (*OWNER, "2026-02-08", OWNER[1])],
                   LAUNCH_FEB, FEB)
    status = _status(with_policy.root, "1.1")
    assert (status["verdict"], status["unsigned"]) == ("NEEDS REVIEW", ["tech-lead"])


# --- matching, as a property ----------------------------------------------------------------------------

from hypothesis import given, settings, strategies as st  # noqa: E402

from generator.people import Person, Team  # noqa: E402
from generator.text import comparable  # noqa: E402

_WORDS = st.lists(st.text(st.characters(whitelist_categories=("Lu", "Ll")), min_size=1, max_size=6),
                  min_size=1, max_size=3)
_GAPS = st.sampled_from([" ", "  ", "\u00a0", "\u2009", "\u200b", "\t", " \u3164 "])


@settings(max_examples=200, deadline=None)
@given(_WORDS, st.lists(_GAPS, min_size=3, max_size=3), st.booleans())
def test_a_name_however_spaced_or_cased_is_the_same_person_and_no_one_else(words, gaps, upper):
    name = " ".join(words)
    ada = Person("ada", name, ("ada@example.com",))
    other = Person("bob", "Bob Stone" if comparable(name) != comparable("Bob Stone") else "Eve Moss")
    team = Team({"ada": ada, "bob": other}, {}, None, {comparable(name): "ada", comparable(other.name): "bob"},
                {"ada@example.com": "ada"})
    respaced = "".join(w + g for w, g in zip(words, gaps + [""] * len(words)))
    assert team.person(respaced.casefold() if upper else respaced) is ada  # casefold, not upper: "ı".upper() is "I"
    assert team.person(other.name) is other
    assert team.by_email("ADA@example.com ") is ada and team.by_email("ada@example.org") is None


def test_which_signoffs_count_under_a_policy_and_signed_commits():
    import datetime as dt

    from generator.errors import Location
    from generator.model import Signoff
    from generator.people import Person, Policy, Team, uncounted
    from generator.provenance import Commit

    people = {"grace": Person("grace", "Grace Hopper"), "ian": Person("ian", "Ian Intern")}
    names = {comparable(p.name): p.id for p in people.values()}
    team = Team(people, {}, Policy({"tech-lead": ("grace",)}), names, {})
    when = dt.datetime(2026, 2, 7, tzinfo=dt.timezone.utc)

    def commit(signature: str, signer: str = "") -> Commit:
        return Commit("a" * 40, "Grace Hopper", "g@x", when, "Grace Hopper", when, signature, "Sign", (), signer)

    def signed(name: str, role: str = "tech-lead") -> list:
        return [Signoff(role, name, when.date(), Location("results/1.1.yaml", 5, 3))]

    assert uncounted(None, signed("Nobody"), {}, True) == {}  # no team: everything counts, as before
    assert uncounted(team, signed("Grace Hopper"), {}, False) == {}
    assert uncounted(team, signed("Ian Intern"), {}, False) == \
        {"tech-lead": "Ian Intern may not sign this role (policy.roles.tech-lead)"}
    assert uncounted(team, signed("Nobody"), {}, False) == \
        {"tech-lead": "Nobody is no one listed under people: in readiness.yml"}
    assert uncounted(team, signed("Ian Intern", "product-owner"), {}, False) == {}  # a role the policy leaves open
    good = {"tech-lead": commit("good", "grace")}
    assert uncounted(team, signed("Grace Hopper"), good, True) == {}
    for commits in ({}, {"tech-lead": None}, {"tech-lead": commit("good", "ian")},
                    {"tech-lead": commit("good (unknown validity)")}, {"tech-lead": commit("bad", "grace")}):
        assert list(uncounted(team, signed("Grace Hopper"), commits, True)) == ["tech-lead"], commits
    # Without a policy, only signatures decide.
    open_team = Team(people, {}, None, names, {})
    assert uncounted(open_team, signed("Nobody"), {}, False) == {}
    assert "not known" in uncounted(open_team, signed("Nobody"), {}, True)["tech-lead"]
