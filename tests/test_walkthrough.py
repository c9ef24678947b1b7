"""The README's "Daily use" walk-through, run command by command on the replayed example repository."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys

from click.testing import CliRunner

from generator.cli import cli

from conftest import FIXTURES, ROOT


def walkthrough_commands() -> list[list[str]]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- walkthrough:[^>]*-->\s*```sh\n(.*?)```", readme, re.DOTALL).group(1)
    commands = []
    for line in block.splitlines():
        words = shlex.split(line, comments=True)
        if words:
            assert words[0] == "readiness", line
            commands.append(words[1:])
    return commands


def test_walkthrough_has_under_ten_commands_covering_the_flow():
    verbs = [c[0] for c in walkthrough_commands()]
    assert len(verbs) < 10
    for verb in ("new", "record", "sign", "check", "build"):
        assert verb in verbs
    assert verbs.index("new") < verbs.index("record") < verbs.index("sign") < verbs.index("check") \
        < verbs.index("build")


def test_walkthrough_runs(tmp_path, monkeypatch):
    repo = tmp_path / "example"
    subprocess.run([sys.executable, str(ROOT / "examples" / "replay.py"), str(repo)], check=True,
                   capture_output=True)
    subprocess.run(["git", "-C", str(repo), "config", "user.name", "Mara Lindqvist"], check=True)
    shutil.copytree(FIXTURES / "reports", repo / "reports")
    monkeypatch.chdir(repo)
    for command in walkthrough_commands():
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == 0, f"readiness {shlex.join(command)}\n{result.output}"
    text = (repo / "results" / "3.3.0.yaml").read_text()
    assert "technical-lead:" in text and "Mara Lindqvist" in text
    assert "JUnit: " in text
    assert (repo / "site" / "releases" / "3.3.0" / "index.html").is_file()
