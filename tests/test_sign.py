"""`readiness sign`: a sign-off from the git identity, in a real git repository, written line-exactly."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli_evidence import sign
from generator.errors import Problems
from generator.project import load_project
from generator.results import load_release

from conftest import FIXTURES
from gitrepo import Repo

# NEEDS REVIEW: every item done, n/a or waived (not expired on 2026-11-28), no role signed yet.
REVIEW = """\
# Release 3.0.0: the CDN is waived until February.
release: "3.0.0"
checklist: web
items:
  security: done
  payments: {status: n/a, reason: "No payments in this release"}
  performance/page-load-3-seconds: {value: 2.1}
  performance/api-response-500ms: {value: "410 ms"}   # k6, run 1877
  performance/cdn-configured:
    status: waived
    reason: CDN contract signed, rollout in January
    approved_by: Grace Hopper
    expires: 2027-02-01
signoffs:
  tech-lead:  # Tech Lead: {name: ..., date: YYYY-MM-DD}
  product-owner:  # Product Owner: {name: ..., date: YYYY-MM-DD}
"""

# NO: items still pending, no `signoffs:` block at all.
BLOCKED = """\
release: "4.0.0"
checklist: web
items:
  security: done
  payments/webhook-configured: failed
"""


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Repo:
    """A committed readiness repository whose own git config names the signer; no global config leaks in."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    r = Repo(tmp_path / "repo")
    r.git("config", "user.name", "Grace Hopper")
    shutil.copytree(FIXTURES / "project" / "checklists", r.root / "checklists")
    r.commit("Add release results", {"results/3.0.0.yaml": REVIEW, "results/4.0.0.yaml": BLOCKED})
    monkeypatch.chdir(r.root)
    return r


def run(*args: str):
    return CliRunner().invoke(sign, [*args, "--root", "."])


def signoffs(root: Path, release: str) -> dict:
    problems = Problems()
    loaded = load_release(root / "results" / f"{release}.yaml", f"results/{release}.yaml",
                          load_project(root).checklists, problems)
    assert loaded is not None and not problems.errors, problems.items
    return {s.role: (s.name, str(s.date)) for s in loaded.signoffs}


def test_sign_adds_the_signoff_and_tells_how_to_commit(repo):
    result = run("3.0.0", "--role", "tech-lead")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "results/3.0.0.yaml: signoffs.tech-lead: Grace Hopper, 2026-11-28",
        'git add results/3.0.0.yaml && git commit -S -m "Sign off 3.0.0 as tech-lead"',
    ]
    assert "verdict now: NEEDS REVIEW (1 role(s) still to sign)" in result.stderr
    assert signoffs(repo.root, "3.0.0") == {"tech-lead": ("Grace Hopper", "2026-11-28")}
    after = (repo.root / "results" / "3.0.0.yaml").read_text(encoding="utf-8")
    old, new = REVIEW.splitlines(keepends=True), after.splitlines(keepends=True)
    changed = [(a, b) for a, b in zip(old, new) if a != b]
    assert len(old) == len(new) and changed == [(
        "  tech-lead:  # Tech Lead: {name: ..., date: YYYY-MM-DD}\n",
        "  tech-lead: {name: Grace Hopper, date: 2026-11-28}  # Tech Lead: {name: ..., date: YYYY-MM-DD}\n")]
    # The signer commits it as printed (without -S here: the test has no signing key).
    repo.git("add", "results/3.0.0.yaml")
    repo.git("commit", "-q", "-m", "Sign off 3.0.0 as tech-lead")
    assert load_project(repo.root).histories["3.0.0"].signoff_commits["tech-lead"].author == "Grace Hopper"


def test_the_last_signoff_makes_the_verdict_yes_without_waivers(repo):
    (repo.root / "results" / "3.0.0.yaml").write_text(
        REVIEW.replace("  performance/cdn-configured:\n    status: waived\n    reason: CDN contract signed, rollout in "
                       "January\n    approved_by: Grace Hopper\n    expires: 2027-02-01\n",
                       "  performance/cdn-configured: done\n"), encoding="utf-8")
    assert run("3.0.0", "--role", "tech-lead").exit_code == 0
    result = run("3.0.0", "--role", "product-owner")
    assert result.exit_code == 0, result.output
    assert "verdict now: YES" in result.stderr


def test_already_signed_is_refused(repo):
    assert run("3.0.0", "--role", "tech-lead").exit_code == 0
    before = (repo.root / "results" / "3.0.0.yaml").read_bytes()
    result = run("3.0.0", "--role", "tech-lead")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "results/3.0.0.yaml:15:3: signoffs.tech-lead: already signed by Grace Hopper on 2026-11-28; readiness "
        "never replaces a sign-off (remove it by hand to sign again)")
    assert (repo.root / "results" / "3.0.0.yaml").read_bytes() == before


def test_verdict_no_is_refused(repo):
    before = (repo.root / "results" / "4.0.0.yaml").read_bytes()
    result = run("4.0.0", "--role", "tech-lead")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: release 4.0.0 is NO (1 failed, 4 pending: payments/webhook-configured, ")
    assert "sign anyway with --force --reason TEXT" in result.stderr
    assert (repo.root / "results" / "4.0.0.yaml").read_bytes() == before


def test_force_without_reason_is_a_usage_error(repo):
    before = (repo.root / "results" / "4.0.0.yaml").read_bytes()
    result = run("4.0.0", "--role", "tech-lead", "--force")
    assert result.exit_code == 2
    assert "--force needs --reason TEXT" in result.stderr
    assert run("4.0.0", "--role", "tech-lead", "--reason", "hotfix").exit_code == 2  # and --reason needs --force
    assert (repo.root / "results" / "4.0.0.yaml").read_bytes() == before


def test_force_with_reason_signs_and_keeps_the_reason_in_a_comment(repo):
    result = run("4.0.0", "--role", "tech-lead", "--force", "--reason", "Hotfix for INC-4411; webhook retried by hand")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == ("results/4.0.0.yaml: signoffs.tech-lead: Grace Hopper, 2026-11-28 "
                                             "(forced; the reason is in a comment on that line)")
    after = (repo.root / "results" / "4.0.0.yaml").read_text(encoding="utf-8")
    assert after == BLOCKED + (
        "signoffs:\n"
        "  tech-lead: {name: Grace Hopper, date: 2026-11-28}  # signed with --force while the verdict was NO: "
        "Hotfix for INC-4411; webhook retried by hand\n")
    assert signoffs(repo.root, "4.0.0") == {"tech-lead": ("Grace Hopper", "2026-11-28")}


def test_force_reason_follows_an_existing_comment(repo):
    (repo.root / "results" / "4.0.0.yaml").write_text(BLOCKED + "signoffs:\n  product-owner:   # PO\n",
                                                      encoding="utf-8")
    assert run("4.0.0", "--role", "tech-lead", "--force", "--reason", "hotfix").exit_code == 0
    assert run("4.0.0", "--role", "product-owner", "--force", "--reason", "hotfix").exit_code == 0
    text = (repo.root / "results" / "4.0.0.yaml").read_text(encoding="utf-8")
    assert text.endswith("signoffs:\n"
                         "  tech-lead: {name: Grace Hopper, date: 2026-11-28}  # signed with --force while the verdict "
                         "was NO: hotfix\n"
                         "  product-owner: {name: Grace Hopper, date: 2026-11-28}   # PO; signed with --force while "
                         "the verdict was NO: hotfix\n")


def test_unknown_role_suggests_the_closest(repo):
    result = run("3.0.0", "--role", "techlead")
    assert result.exit_code == 2
    assert "Error: --role techlead: unknown sign-off role; did you mean 'tech-lead'? (roles: tech-lead, product-owner)" \
        in result.stderr


def test_no_git_user_name_is_a_clear_error(repo):
    repo.git("config", "--unset", "user.name")
    before = (repo.root / "results" / "3.0.0.yaml").read_bytes()
    result = run("3.0.0", "--role", "tech-lead")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: git user.name is not set for .; set it to your name, e.g. "
                                    '`git config user.name "Alice Chen"`')
    assert "Traceback" not in result.output
    assert (repo.root / "results" / "3.0.0.yaml").read_bytes() == before


def test_commit_command_names_the_root_when_run_elsewhere(repo, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(sign, ["3.0.0", "--role", "tech-lead", "--root", str(repo.root)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == (f"cd {repo.root} && git add results/3.0.0.yaml && "
                                              'git commit -S -m "Sign off 3.0.0 as tech-lead"')
