"""Each command through the command line: exit codes, messages, and that inputs are never modified."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def snapshot(root: Path) -> dict:
    return {p: p.read_bytes() for d in ("results", "checklists") for p in (root / d).rglob("*") if p.is_file()}


def test_check_ok(project):
    result = run("check", "--root", str(project))
    assert result.exit_code == 0, result.output
    assert "no errors" in result.output


def test_check_reports_every_problem_and_changes_nothing(project):
    (project / "results" / "1.0.0.yaml").write_text(
        'release: "1.0.0"\nitems:\n  security: passed\n  securty/https-enforced: done\n')
    (project / "results" / "1.1.0.yaml").write_text('release: 1.10\n')
    before = snapshot(project)
    result = run("check", "--root", str(project))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "results/1.0.0.yaml:3:13: items.security: unknown status 'passed'; did you mean 'done'?" in lines
    assert any(line.startswith("results/1.0.0.yaml:4:3: items.securty/https-enforced: unknown id") and
               "did you mean 'security/https-enforced'?" in line for line in lines)
    assert 'results/1.1.0.yaml:1:10: release: `1.10` is read by YAML as a number; put it in quotes: "1.10"' in lines
    assert "Traceback" not in result.output
    assert snapshot(project) == before


def test_status_json_shape(project):
    result = run("status", "1.1.0", "--json", "--root", str(project))
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert list(data) == ["release", "checklist", "verdict", "progress", "counts", "blocking", "unsigned", "signoffs"]
    assert data["verdict"] == "NO"
    assert data["progress"] == 66.7
    assert data["counts"] == {"total": 8, "done": 3, "failed": 1, "pending": 1, "na": 2, "waived": 1}
    assert data["blocking"] == ["security/secrets/api-keys-are-production-keys-not-test-keys",
                                "performance/page-load-3-seconds", "performance/cdn-configured"]
    assert data["unsigned"] == ["product-owner"]
    assert data["signoffs"] == {"tech-lead": {"name": "Ada Lovelace", "date": "2026-02-03"}, "product-owner": None}


def test_status_text_and_unknown_release(project):
    result = run("status", "1.0.0", "--root", str(project))
    assert result.exit_code == 0 and "YES" in result.output
    result = run("status", "1.0.1", "--root", str(project))
    assert result.exit_code == 2
    assert "Error: no results file for release `1.0.1`; did you mean '1.0.0'?" in result.output


def test_new_scaffold_passes_check_and_refuses_overwrite(project):
    result = run("new", "2.1.0", "--root", str(project))
    assert result.exit_code == 0, result.output
    created = project / "results" / "2.1.0.yaml"
    text = created.read_text()
    assert "  security/secrets/default-passwords-changed: pending  # Default passwords changed" in text
    assert "performance/page-load-3-seconds: pending  # Page load < 3 seconds (criterion < 3 seconds: give value)" in text
    assert run("check", "--root", str(project)).exit_code == 0
    status = json.loads(run("status", "2.1.0", "--json", "--root", str(project)).output)
    assert status["counts"]["pending"] == status["counts"]["total"] == 8
    again = run("new", "2.1.0", "--root", str(project))
    assert again.exit_code == 1 and "already has this results file" in again.output
    assert created.read_text() == text
    assert run("new", "2.1.0".upper() + "-RC", "--root", str(project)).exit_code == 0


def test_new_from_carries_statuses(project):
    result = run("new", "1.2.0", "--from", "1.1.0", "--root", str(project))
    assert result.exit_code == 0, result.output
    new = json.loads(run("status", "1.2.0", "--json", "--root", str(project)).output)
    old = json.loads(run("status", "1.1.0", "--json", "--root", str(project)).output)
    assert new["counts"] == old["counts"]
    assert new["unsigned"] == ["tech-lead", "product-owner"]


@pytest.mark.parametrize("name", ["../escape", "a/b/c", "..", ".hidden", "rel\x07", "/abs", "Ä1"])
def test_new_rejects_unsafe_release_names(project, name):
    result = run("new", name, "--root", str(project))
    assert result.exit_code == 2
    assert result.output.startswith(("Error: release name", "Error: product name"))
    assert not (project.parent / "escape.yaml").exists()


def test_usage_errors_exit_2(project):
    assert run("status", "--root", str(project)).exit_code == 2
    assert run("frobnicate").exit_code == 2


def test_build_strict_fails_on_warnings(project, tmp_path):
    checklist = project / "checklists" / "web.md"
    checklist.write_text(checklist.read_text().replace("- [ ] HTTPS enforced", "- [x] HTTPS enforced"))
    result = run("build", "--root", str(project), "-d", str(tmp_path / "site"))
    assert result.exit_code == 0
    assert "checklists/web.md:8:1: warning: checked box" in result.output
    result = run("build", "--strict", "--root", str(project), "-d", str(tmp_path / "other"))
    assert result.exit_code == 1
    assert not (tmp_path / "other").exists()


def test_python_m_generator(project):
    result = subprocess.run([sys.executable, "-m", "generator", "check", "--root", str(project)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_prints_its_url_serves_the_site_and_cleans_up_on_sigterm(project, tmp_path):
    port = _free_port()
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "generator", "serve", "--root", str(project),
                             "-a", f"127.0.0.1:{port}"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=dict(os.environ, TMPDIR=str(tmp)))
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/releases/1.0.0/", timeout=2) as resp:
                    body = resp.read().decode()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError(proc.stdout.read().decode() if proc.poll() is not None else "timeout")
                time.sleep(0.2)
        assert "Release 1.0.0" in body
        assert [p.name for p in tmp.iterdir() if p.name.startswith("readiness-serve-")]
    finally:
        proc.terminate()  # SIGTERM, as a process manager or `kill` sends it
        proc.wait(timeout=10)
    output = proc.stdout.read().decode()
    assert f"serving the site on http://127.0.0.1:{port}/" in output
    assert "Traceback" not in output
    assert [p.name for p in tmp.iterdir() if p.name.startswith("readiness-serve-")] == []


def test_new_points_editors_at_a_saved_schema(project):
    schema = run("schema", "--root", str(project))
    assert schema.exit_code == 0
    (project / ".readiness").mkdir()
    (project / ".readiness" / "web.schema.json").write_text(schema.output)
    assert run("new", "3.0.0", "--root", str(project)).exit_code == 0
    first = (project / "results" / "3.0.0.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../.readiness/web.schema.json"
    assert run("check", "--root", str(project)).exit_code == 0


def test_help_shows_every_summary_whole():
    result = subprocess.run([sys.executable, "-m", "generator", "--help"], capture_output=True, text=True,
                            env=dict(os.environ, COLUMNS="80"))
    assert result.returncode == 0
    commands = result.stdout.split("Commands:", 1)[1]
    assert "..." not in commands
    assert "Audit findings over every release; exit 1 if any has severity error." in " ".join(commands.split())
    for name, command in cli.commands.items():
        summary = " ".join(command.get_short_help_str(limit=10**6).split())
        assert summary and summary in " ".join(commands.split()), name


def test_piped_status_is_not_wrapped_at_80_columns(project):
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    result = subprocess.run([sys.executable, "-m", "generator", "status", "1.1.0", "--root", str(project)],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    progress = next(line for line in result.stdout.splitlines() if line.startswith("Progress"))
    assert progress.rstrip().endswith("evaluated on 2026-02-04)")  # one line, however long
    assert "security/secrets/api-keys-are-production-keys-not-test-keys" in result.stdout  # never cut with …


def test_status_of_a_release_lacking_only_signoffs_lists_the_unsigned_roles(project):
    (project / "results" / "3.0.0.yaml").write_text(
        'release: "3.0.0"\nitems:\n  security: done\n  payments: done\n'
        '  performance/page-load-3-seconds: {value: 2.1}\n  performance/api-response-500ms: {value: 300}\n'
        '  performance/cdn-configured: done\n'
        'signoffs:\n  tech-lead: {name: Ada Lovelace, date: 2026-01-10}\n')
    text = run("status", "3.0.0", "--root", str(project))
    assert text.exit_code == 0, text.output
    assert "NEEDS REVIEW" in text.output
    held = text.output.split("Holding it back", 1)[1].split("Sign-offs", 1)[0]
    assert "not signed" in held and "product-owner" in held
    data = json.loads(run("status", "3.0.0", "--json", "--root", str(project)).output)
    assert data["blocking"] == [] and data["unsigned"] == ["product-owner"]


def test_check_does_not_say_it_wrote_nothing_and_build_does(project):
    (project / "results" / "1.0.0.yaml").write_text('release: "1.0.0"\nitems:\n  security: passed\n')
    check = run("check", "--root", str(project))
    build = run("build", "--root", str(project))
    assert check.exit_code == build.exit_code == 1
    assert check.output.rstrip().splitlines()[-1] == "1 error."
    assert build.output.rstrip().splitlines()[-1] == "1 error; nothing was written."
