"""pre-commit checks what is being committed: real git, real pre-commit (from the dev lock), offline.

The hook under test is this repository's .pre-commit-hooks.yaml entry, run as a `language: system` local
hook with this environment's `readiness`, so pre-commit needs no network to build an environment. Also
`readiness check --staged` directly: untracked files, staged-then-fixed files, checklists and subfolders.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from generator.cli import cli

from gitrepo import Repo

ROOT = Path(__file__).resolve().parent.parent
HOOK = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))[0]
READINESS = Path(sys.executable).with_name("readiness")
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")

CHECKLIST = "# Web\n\n## Security\n\n- [ ] Default passwords changed\n- [ ] WAF enabled\n"
GOOD = 'release: "1.0"\nitems:\n  security/waf-enabled: done\n'
BROKEN = 'release: "2.0"\nitems:\n  security/waf-enabled: passed\n'
FIXED = 'release: "2.0"\nitems:\n  security/waf-enabled: done\n'


@pytest.fixture
def repo(tmp_path) -> Repo:
    repo = Repo(tmp_path / "repo")
    repo.commit("Checklist and 1.0", {"checklists/web.md": CHECKLIST, "results/1.0.yaml": GOOD, "README.md": "x\n"})
    return repo


def staged(repo: Repo, root: Path | None = None):
    return CliRunner().invoke(cli, ["check", "--staged", "--root", str(root or repo.root)])


# --- check --staged --------------------------------------------------------------------------


def test_untracked_broken_file_does_not_block_an_unrelated_commit(repo):
    repo.write({"results/2.0.yaml": BROKEN, "results/1.0.yaml": GOOD + "signoffs: {}\n"})
    repo.git("add", "results/1.0.yaml")
    result = staged(repo)
    assert result.exit_code == 0, result.output
    assert "1 checklist(s), 1 results file(s) as staged: no errors in 1 staged project file(s)" in result.stderr
    assert CliRunner().invoke(cli, ["check", "--root", str(repo.root)]).exit_code == 1  # the working tree


def test_staged_broken_file_blocks_though_the_working_copy_was_fixed(repo):
    repo.write({"results/2.0.yaml": BROKEN})
    repo.git("add", "results/2.0.yaml")
    repo.write({"results/2.0.yaml": FIXED})
    result = staged(repo)
    assert result.exit_code == 1
    assert result.stdout.startswith("results/2.0.yaml:3:25: ")  # the staged copy's line, the repository's path
    assert "unknown status 'passed'" in result.stdout
    assert "1 error in 1 staged project file(s); fix and `git add` them, then commit again." in result.stderr
    repo.git("add", "results/2.0.yaml")
    assert staged(repo).exit_code == 0


def test_errors_in_files_the_commit_does_not_change_are_listed_not_blocking(repo):
    repo.commit("broken already", {"results/2.0.yaml": BROKEN})  # committed broken (e.g. with --no-verify)
    repo.write({"results/1.0.yaml": GOOD + "signoffs: {}\n"})
    repo.git("add", "results/1.0.yaml")
    result = staged(repo)
    assert result.exit_code == 0
    assert "not blocking: 1 problem(s) in files this commit does not change:" in result.stderr
    assert "results/2.0.yaml:3:25: " in result.stderr and result.stdout == ""


def test_a_staged_checklist_change_checks_every_results_file(repo):
    repo.commit("2.0", {"results/2.0.yaml": FIXED})
    repo.write({"checklists/web.md": CHECKLIST.replace("- [ ] WAF enabled\n", "")})
    repo.git("add", "checklists/web.md")
    result = staged(repo)
    # 1.0 and 2.0 were committed with the old checklist and are still checked against it; a results file
    # staged together with the new checklist is checked against the new one.
    assert result.exit_code == 0, result.output
    repo.write({"results/2.0.yaml": FIXED + "# touched\n"})
    repo.git("add", "results/2.0.yaml")
    result = staged(repo)
    assert result.exit_code == 1
    assert "results/2.0.yaml:3:3: " in result.stdout and "security/waf-enabled" in result.stdout


def test_deleting_a_checklist_blocks_on_the_results_that_use_it(repo):
    repo.git("rm", "-q", "checklists/web.md")
    result = staged(repo)
    assert result.exit_code == 1
    assert "checklists/" in result.stdout


def test_nothing_staged_checks_the_whole_index(repo):
    repo.commit("broken already", {"results/2.0.yaml": BROKEN})
    result = staged(repo)
    assert result.exit_code == 1 and "results/2.0.yaml:3:25: " in result.stdout
    assert "in the index (no project file staged)" in result.stderr


def test_project_in_a_subfolder_of_the_repository(tmp_path):
    repo = Repo(tmp_path / "mono")
    repo.commit("project", {"launch/checklists/web.md": CHECKLIST, "launch/results/1.0.yaml": GOOD})
    repo.write({"launch/results/2.0.yaml": BROKEN})
    repo.git("add", "launch/results/2.0.yaml")
    result = staged(repo, repo.root / "launch")
    assert result.exit_code == 1
    assert result.stdout.startswith("results/2.0.yaml:3:25: ")


def test_unusual_file_names_are_read_safely(repo):
    name = "results/2.0 \n\t'\"$(touch pwned).yaml"
    repo.write({name: BROKEN})
    repo.git("add", "--", name)
    result = staged(repo)
    assert result.exit_code == 1
    assert not (repo.root / "pwned").exists() and not Path("pwned").exists()
    assert "results/2.0 \\x0a\\x09'\"$(touch pwned).yaml:" in result.stdout


def test_a_symbolic_link_is_not_followed(repo, tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text(BROKEN)
    os.symlink(outside, repo.root / "results" / "2.0.yaml")
    repo.git("add", "results/2.0.yaml")
    result = staged(repo)
    assert "results/2.0.yaml:1:1: warning: is a symbolic link in git and is not read" in result.stdout
    assert "passed" not in result.output


def test_not_a_repository(tmp_path):
    (tmp_path / "checklists").mkdir()
    result = CliRunner().invoke(cli, ["check", "--staged", "--root", str(tmp_path)])
    assert result.exit_code == 2 and "is not inside a git work tree" in result.stderr


# --- real pre-commit ---------------------------------------------------------------------------


def _pre_commit(repo: Repo) -> dict:
    """Install this repository's hook as a local, offline `language: system` hook in `repo`."""
    words = shlex.split(HOOK["entry"])
    assert words[0] == "readiness"
    hook = {k: HOOK[k] for k in ("id", "name", "pass_filenames", "files")}
    hook.update(entry=shlex.join([str(READINESS), *words[1:]]), language="system")
    (repo.root / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{"repo": "local", "hooks": [hook]}]}))
    env = {"PRE_COMMIT_HOME": str(repo.root.parent / "pre-commit-home"), "PATH": os.environ["PATH"]}
    repo.git("add", ".pre-commit-config.yaml")
    subprocess.run([str(PRE_COMMIT), "install"], cwd=repo.root, check=True, capture_output=True,
                   env=dict(os.environ, **env, HOME=str(repo.root)))
    return env


def _commit(repo: Repo, env: dict) -> subprocess.CompletedProcess:
    full = dict(os.environ, LC_ALL="C", GIT_CONFIG_NOSYSTEM="1", HOME=str(repo.root), **env)
    # pre-commit reports on the terminal's stream; both go to stdout here, in order.
    return subprocess.run(["git", "-C", str(repo.root), "commit", "-q", "-m", "change"], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, env=full)


needs_pre_commit = pytest.mark.skipif(not PRE_COMMIT.exists() or shutil.which("git") is None,
                                      reason="pre-commit is not installed (it is in requirements-dev.lock)")


@needs_pre_commit
def test_pre_commit_untracked_broken_file_does_not_block(repo):
    env = _pre_commit(repo)
    repo.write({"results/2.0.yaml": BROKEN, "results/1.0.yaml": GOOD + "signoffs: {}\n"})
    repo.git("add", "results/1.0.yaml")
    result = _commit(repo, env)
    assert result.returncode == 0, result.stdout
    assert "readiness check" in result.stdout and "Passed" in result.stdout


@needs_pre_commit
def test_pre_commit_staged_broken_file_blocks_even_when_fixed_in_the_working_tree(repo):
    env = _pre_commit(repo)
    repo.write({"results/2.0.yaml": BROKEN})
    repo.git("add", "results/2.0.yaml")
    repo.write({"results/2.0.yaml": FIXED})
    result = _commit(repo, env)
    assert result.returncode != 0
    assert "Failed" in result.stdout and "results/2.0.yaml:3:25: " in result.stdout
    assert (repo.root / "results/2.0.yaml").read_text() == FIXED  # pre-commit put the unstaged fix back
    repo.git("add", "results/2.0.yaml")
    assert _commit(repo, env).returncode == 0


@needs_pre_commit
def test_pre_commit_skips_commits_without_project_files(repo):
    env = _pre_commit(repo)
    repo.write({"results/2.0.yaml": BROKEN, "README.md": "y\n"})
    repo.git("add", "README.md")
    result = _commit(repo, env)
    assert result.returncode == 0 and "Skipped" in result.stdout
