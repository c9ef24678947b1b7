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


def test_serve_serves_the_site(project):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "generator", "serve", "--root", str(project),
                             "-a", f"127.0.0.1:{port}"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=dict(os.environ))
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
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_new_points_editors_at_a_saved_schema(project):
    schema = run("schema", "--root", str(project))
    assert schema.exit_code == 0
    (project / ".readiness").mkdir()
    (project / ".readiness" / "web.schema.json").write_text(schema.output)
    assert run("new", "3.0.0", "--root", str(project)).exit_code == 0
    first = (project / "results" / "3.0.0.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../.readiness/web.schema.json"
    assert run("check", "--root", str(project)).exit_code == 0
