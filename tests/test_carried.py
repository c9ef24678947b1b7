"""Statuses `readiness new --from` carries over: marked in the file, shown as not re-verified, flagged by the audit."""

from __future__ import annotations

import json
import yaml
from click.testing import CliRunner

from generator.cli import cli

from conftest import FIXTURES


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def scaffold(project, release="3.0.0", source="1.1.0"):
    result = run("new", release, "--from", source, "--root", str(project))
    assert result.exit_code == 0, result.output
    return project / "results" / f"{release}.yaml"


def test_new_from_marks_every_carried_entry_with_its_source(project):
    path = scaffold(project)
    items = yaml.safe_load(path.read_text())["items"]
    data = json.loads(run("compare", "1.1.0", "3.0.0", "--json", "--root", str(project)).output)
    assert data["changes"] == []  # the same statuses
    for item, value in items.items():
        if value == "pending":
            continue
        assert value["carried_from"] == "1.1.0", item
    assert any(isinstance(v, dict) and "value" in v for v in items.values())  # criteria values carry too
    assert "Confirm each for this release" in path.read_text()
    assert run("check", "--root", str(project)).exit_code == 0


def test_status_compare_and_audit_say_carried_over_until_confirmed(project):
    path = scaffold(project)
    text = path.read_text()
    status = run("status", "3.0.0", "--root", str(project))
    carried = sum(1 for line in text.splitlines() if line.startswith("  ") and "carried_from: 1.1.0" in line)
    assert f"{carried} items carried over from 1.1.0, not re-verified" in " ".join(status.output.split())
    compare = run("compare", "1.1.0", "3.0.0", "--json", "--root", str(project))
    data = json.loads(compare.output)
    assert data["to"]["carried_over"] == {"1.1.0": carried}
    assert all(c["carried_from"] == "1.1.0" for c in data["changes"] if c["kind"] != "removed"
               and c["after"] not in ("pending",))
    # Launched as it is: the audit flags the unconfirmed items.
    path.write_text(text + "launch: {date: 2026-11-27}\n")
    audit = json.loads(run("audit", "--json", "--root", str(project)).output)
    found = [f for f in audit["findings"] if f["rule"] == "carried-over-unconfirmed"]
    assert [(f["release"], f["severity"], f["evidence"]["from"], f["evidence"]["count"]) for f in found] == \
        [("3.0.0", "warning", "1.1.0", carried)]
    # Confirmed: the marker removed (by, date and evidence set) for every entry.
    confirmed = text.replace(", carried_from: 1.1.0}", ", by: Ada Lovelace, date: 2026-11-30}")
    assert "carried_from" not in confirmed.split("items:", 1)[1]
    path.write_text(confirmed + "launch: {date: 2026-11-27}\n")
    audit = json.loads(run("audit", "--json", "--root", str(project)).output)
    assert [f for f in audit["findings"] if f["rule"] == "carried-over-unconfirmed"] == []
    assert "carried over" not in run("status", "3.0.0", "--root", str(project)).output


def test_record_confirms_what_it_records(project):
    path = scaffold(project)
    item = "security/https-enforced"
    assert f"{item}: {{status: done, carried_from: 1.1.0}}" in path.read_text()
    result = run("record", "3.0.0", "--junit", str(FIXTURES / "reports" / "junit-pass.xml"), "--item", item,
                 "--force", "--root", str(project))
    assert result.exit_code == 0, result.output
    lines = path.read_text().splitlines()
    line = next(line for line in lines if line.strip().startswith(item + ":"))
    assert "status: done" in line and "carried_from" not in line
    assert sum("carried_from: 1.1.0" in line for line in lines) > 1  # the others are still marked


def test_carried_from_must_name_a_release(project):
    (project / "results" / "3.0.0.yaml").write_text(
        'release: "3.0.0"\nitems:\n  security/https-enforced: {status: done, carried_from: "a b"}\n')
    result = run("check", "--root", str(project))
    assert result.exit_code == 1
    assert "results/3.0.0.yaml:3:57: items.security/https-enforced.carried_from: release name `a b` has ` `" \
        in result.output
