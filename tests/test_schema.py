"""`readiness schema`: the JSON Schema for editors agrees with the loader (generator/results.py).

The same files go to both. For the schema side a file is read the way an editor's YAML support and most
tools read it, with `yaml.safe_load`, and dates become ISO text (JSON has no date type; editors see text).
What one side rejects and the other cannot is listed as a known difference and asserted as such, so a
difference that goes away (or a new one) shows up here.

Fixtures: tests/fixtures/schema/<checklist>/{good,bad,loader-only,schema-only}/*.yaml. A bad file starts
with `# loader: <part of the loader's message>` and `# schema: <where the schema rejects it>`; a
loader-only file with `# loader:` and `# difference: <why the schema cannot say it>`.
Regenerate the gold schema with `READINESS_REGOLD=1 pytest tests/test_schema.py`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

try:
    from jsonschema import Draft7Validator
except ImportError as exc:  # a test dependency (requirements-dev.in), not a runtime one
    raise ImportError("tests/test_schema.py needs the jsonschema package: add `jsonschema==4.26.0` to "
                      "requirements-dev.in and run `make lock`") from exc

from generator.checklist import load_checklist  # noqa: E402
from generator.cli_workflow import schema_command  # noqa: E402
from generator.errors import Problems  # noqa: E402
from generator.model import STATUSES  # noqa: E402
from generator.results import ENTRY_KEYS, LAUNCH_KEYS, SIGNOFF_KEYS, TOP_KEYS, load_release  # noqa: E402
from generator.schema import (  # noqa: E402
    RELEASE_PATTERN, dumps, results_schema, saved_schema_path, stale_saved_schema)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SCHEMA_FIXTURES = FIXTURES / "schema"
WEB_ROOT = FIXTURES / "project"
GOLD = SCHEMA_FIXTURES / "web.schema.json"


def _checklist(root: Path, name: str):
    checklist, _ = load_checklist(root / "checklists" / f"{name}.md", f"checklists/{name}.md")
    return checklist


CHECKLISTS = {"web": _checklist(WEB_ROOT, "web"), "production": _checklist(ROOT, "production")}
SCHEMAS = {name: results_schema(c) for name, c in CHECKLISTS.items()}
VALIDATORS = {name: Draft7Validator(s) for name, s in SCHEMAS.items()}


# --- the two readers -------------------------------------------------------------------


def json_view(data):
    """What an editor validates: safe_load's data with dates as ISO text."""
    if isinstance(data, dict):
        return {k: json_view(v) for k, v in data.items()}
    if isinstance(data, list):
        return [json_view(v) for v in data]
    if isinstance(data, (dt.date, dt.datetime)):
        return data.isoformat()
    return data


def schema_errors(text: str, checklist: str, validator=None) -> list:
    """Schema errors as (path, message); a file safe_load cannot read gives one ("(unreadable)", why)."""
    try:
        data = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError) as exc:  # PyYAML raises ValueError for a date such as 2026-13-01
        return [("(unreadable)", str(exc))]
    validator = validator or VALIDATORS[checklist]
    return [("/" + "/".join(str(p) for p in e.absolute_path), e.message)
            for e in validator.iter_errors(json_view(data))]


def loader_errors(path: Path, checklist: str, checklists=None) -> list[str]:
    problems = Problems()
    load_release(path, f"results/{path.name}", checklists or {checklist: CHECKLISTS[checklist]}, problems)
    return [f"{p.location}: {p.message}" for p in problems.errors]


def header(path: Path, key: str) -> str:
    m = re.search(rf"^# {key}: (.*)$", path.read_text(encoding="utf-8"), re.MULTILINE)
    assert m, f"{path} has no `# {key}:` line"
    return m.group(1).strip()


def _files(kind: str) -> list:
    out = []
    for checklist in ("web", "production"):
        folder = SCHEMA_FIXTURES / checklist / kind
        out += [pytest.param(checklist, p, id=f"{checklist}/{p.stem}") for p in sorted(folder.glob("*.yaml"))]
    return out


def _real_results() -> list:
    pairs = [("production", p) for p in sorted((ROOT / "results").glob("*.yaml"))]
    pairs += [("web", p) for p in sorted((WEB_ROOT / "results").glob("*.yaml"))]
    return [pytest.param(c, p, id=f"{c}:{p.parent.parent.name}/{p.name}") for c, p in pairs]


# --- the same files to both ---------------------------------------------------------------


@pytest.mark.parametrize("checklist,path", _files("good") + _real_results())
def test_valid_files_pass_both(checklist, path):
    assert loader_errors(path, checklist) == []
    assert schema_errors(path.read_text(encoding="utf-8"), checklist) == []


@pytest.mark.parametrize("checklist,path", _files("bad"))
def test_invalid_files_fail_both_for_the_same_reason(checklist, path):
    expected_message, expected_at = header(path, "loader"), header(path, "schema")
    errors = loader_errors(path, checklist)
    assert any(expected_message in e for e in errors), errors
    found = schema_errors(path.read_text(encoding="utf-8"), checklist)
    where = "/" if expected_at == "(root)" else expected_at
    assert where in {at for at, _ in found}, found


@pytest.mark.parametrize("checklist,path", _files("loader-only"))
def test_known_difference_loader_rejects_schema_accepts(checklist, path):
    """Checks the schema cannot express; if one starts failing, the schema learnt it: move the file to bad/."""
    header(path, "difference")
    errors = loader_errors(path, checklist)
    assert any(header(path, "loader") in e for e in errors), errors
    assert schema_errors(path.read_text(encoding="utf-8"), checklist) == []


@pytest.mark.parametrize("checklist,path", _files("schema-only"))
def test_known_difference_schema_stricter(checklist, path):
    """Rare spellings the loader accepts and the schema's patterns do not."""
    header(path, "difference")
    assert loader_errors(path, checklist) == []
    assert schema_errors(path.read_text(encoding="utf-8"), checklist) != []


def test_known_difference_secrets(tmp_path):
    """The loader refuses secrets in any text field (detect-secrets); a pattern cannot."""
    key = "AKIA" + "IOSFODNN7" + "EXAMPLE"  # AWS's documented example key, split so scanners skip this file
    text = f'release: "secret"\nitems:\n  security/https-enforced: {{status: done, note: "uses {key}"}}\n'
    path = tmp_path / "secret.yaml"
    path.write_text(text, encoding="utf-8")
    assert any("looks like a secret" in e for e in loader_errors(path, "web"))
    assert schema_errors(text, "web") == []


@pytest.mark.parametrize("name,data,message", [
    ("bom", b'\xef\xbb\xbfrelease: "bom"\n', "byte-order mark"),
    ("latin", 'release: "latin"\nitems:\n  security: {status: done, by: Jos\xe9}\n'.encode("latin-1"), "UTF-8"),
    ("nul", b'release: "nul"\nitems:\n  security: {status: done, by: "A\x00B"}\n', "NUL"),
    ("big", b'release: "big"\n' + b"# padding\n" * 600_000, "MB"),
])
def test_known_difference_file_checks(tmp_path, name, data, message):
    """The file itself is checked before YAML is read: encoding, a byte-order mark, NUL bytes, size."""
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(data)
    errors = loader_errors(path, "web")
    assert any(message in e for e in errors), errors
    text = data.decode("utf-8-sig", errors="replace").replace("\x00", "")  # what an editor would show
    assert schema_errors(text, "web") == []


def test_known_difference_several_documents(tmp_path):
    """An editor validates each YAML document on its own; the loader wants exactly one."""
    text = 'release: "docs"\n---\nrelease: "docs"\n'
    path = tmp_path / "docs.yaml"
    path.write_text(text, encoding="utf-8")
    assert any("more than one YAML document" in e for e in loader_errors(path, "web"))
    for document in yaml.safe_load_all(text):
        assert list(VALIDATORS["web"].iter_errors(json_view(document))) == []


def test_known_difference_release_names_differing_in_case(tmp_path):
    """Two files are each valid; only the repository-wide check sees that their names differ only in case."""
    from generator.errors import InputError
    from generator.project import load_project

    root = tmp_path / "repo"
    shutil.copytree(WEB_ROOT, root)
    for name in ("3.0.0-rc1", "3.0.0-RC1"):
        text = f'release: "{name}"\n'
        (root / "results" / f"{name}.yaml").write_text(text, encoding="utf-8")
        assert loader_errors(root / "results" / f"{name}.yaml", "web") == []
        assert schema_errors(text, "web") == []
    with pytest.raises(InputError, match="differs only in case"):
        load_project(root)


def test_several_checklists_require_checklist(tmp_path):
    """With several checklists `checklist:` is required, in both."""
    two = {"web": CHECKLISTS["web"], "mobile": CHECKLISTS["web"]}
    validator = Draft7Validator(results_schema(CHECKLISTS["web"], several=True))
    path = tmp_path / "several.yaml"
    path.write_text('release: "several"\n', encoding="utf-8")
    assert any("missing `checklist:`" in e for e in loader_errors(path, "web", two))
    assert ("/", "'checklist' is a required property") in schema_errors(path.read_text(), "web", validator)
    path.write_text('release: "several"\nchecklist: web\n', encoding="utf-8")
    assert loader_errors(path, "web", two) == []
    assert schema_errors(path.read_text(), "web", validator) == []


# --- every id, every shape ----------------------------------------------------------------

SHAPES = [
    "done", "pending", "failed", "n/a", "waived", "bogus", "Done", "yes", "", "2.4", "1000", "[done]",
    "{}", "{status: n/a}", "{status: n/a, reason: Not used}", "{status: n/a, note: Not used}",
    "{status: waived, reason: Later, approved_by: Grace Hopper, expires: 2026-03-01}",
    "{status: waived, reason: Later}", "{status: waived, approved_by: Grace Hopper, expires: 2026-03-01}",
    "{status: done, approved_by: Grace Hopper}", "{expires: 2026-03-01}", "{status: pending, expires: 2026-03-01}",
    "{value: 2.4}", '{value: "2400 ms"}', '{value: "2 GB"}', '{value: "2 parsecs"}', '{value: "3"}', "{value: 3}",
    "{value: 1000}", "{value: yes}", "{value: fast}", '{value: "0.3 S"}', '{value: "1 min"}', '{value: "50 %"}',
    "{status: done, value: 2.4}", "{status: failed, value: 2.4}", "{status: pending, value: 2.4}",
    "{status: done, value: 1000}", "{status: failed, value: 1000}", "{status: done, value: 3}",
    "{status: failed, value: 3}", "{status: done, value: 500}", "{status: failed, value: 500}",
    "{status: done}", "{status: failed}", "{status: pending}", "{status: n/a, value: 2.4}",
    "{status: n/a, reason: Not used, value: 2.4}",
    "{status: waived, reason: Later, approved_by: Grace Hopper, expires: 2026-03-01, value: 9}",
    "{evidence: ftp://files.example.com/x}", "{evidence: https://ci.example.com/runs/1}", '{evidence: "https://"}',
    "{by: Ada Lovelace, date: 2026-01-02, note: Checked}", "{date: 2026-01-02T10:00:00}", '{date: "02.01.2026"}',
    '{note: "  "}', "{by: 12}", "{by: no}", "{owner: Ada}", "{status: done, status: failed}",
]


@pytest.mark.parametrize("checklist", ["web", "production"])
@pytest.mark.parametrize("shape", SHAPES)
def test_every_id_with_every_shape(checklist, shape, tmp_path):
    """One file per shape, with every section, group and item id: both reject exactly the same ids."""
    c = CHECKLISTS[checklist]
    lines = ['release: "shapes"', "items:"]
    at: dict[int, str] = {}
    for node_id in c.nodes:
        at[len(lines) + 1] = node_id
        lines.append(f"  {node_id}: {shape}")
    text = "\n".join(lines) + "\n"
    path = tmp_path / "shapes.yaml"
    path.write_text(text, encoding="utf-8")
    problems = Problems()
    load_release(path, "results/shapes.yaml", {checklist: c}, problems)
    by_loader = {at.get(p.location.line, f"line {p.location.line}") for p in problems.errors}
    by_schema = set()
    for where, _ in schema_errors(text, checklist):
        parts = where.split("/", 2)
        by_schema.add(parts[2] if len(parts) == 3 and parts[1] == "items" else where)
    if shape == "{status: done, status: failed}":  # duplicate keys: a known difference (the last one wins)
        assert by_loader == set(c.nodes) and by_schema == {i for i in c.nodes if c.nodes[i] in c.criteria}
        return
    assert by_loader == by_schema, (sorted(by_loader - by_schema)[:5], sorted(by_schema - by_loader)[:5])


# --- the schema itself ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["web", "production"])
def test_schema_is_valid_draft7(name):
    Draft7Validator.check_schema(SCHEMAS[name])
    assert SCHEMAS[name]["$schema"] == "http://json-schema.org/draft-07/schema#"


@pytest.mark.parametrize("name", ["web", "production"])
def test_schema_lists_every_id_role_and_status(name):
    c, s = CHECKLISTS[name], SCHEMAS[name]
    items = s["properties"]["items"]["properties"]
    assert list(items) == list(c.nodes)  # sections, groups and items, in the checklist's order
    for node_id, node in c.nodes.items():
        assert node.plain in items[node_id]["description"]
        assert node.text in items[node_id]["markdownDescription"]
    assert list(s["properties"]["signoffs"]["properties"]) == list(c.role_ids)
    assert s["definitions"]["status"]["enum"] == list(STATUSES)
    assert s["properties"]["release"]["pattern"] == RELEASE_PATTERN == "^[A-Za-z0-9][A-Za-z0-9._+-]*$"
    assert s["required"] == ["release"]
    assert s["properties"]["checklist"]["enum"] == [name]


def test_schema_keys_are_the_loaders():
    s = SCHEMAS["web"]
    d = s["definitions"]
    assert tuple(s["properties"]) == tuple(k for k in TOP_KEYS if k != "level")  # web marks no levels
    assert tuple(d["entry"]["properties"]) == tuple(k for k in ENTRY_KEYS if k != "value")
    assert tuple(d["conditionalEntry"]["properties"]) == tuple(k for k in ENTRY_KEYS if k != "value")
    assert tuple(d["criterion1"]["properties"]) == ENTRY_KEYS
    assert tuple(d["signoff"]["properties"]) == SIGNOFF_KEYS
    assert tuple(s["properties"]["launch"]["properties"]) == LAUNCH_KEYS


def _object_schemas(node, inside_condition=False):
    """Every subschema that describes a whole mapping (not the partial ones of if/then/else)."""
    if isinstance(node, dict):
        types = node.get("type")
        if not inside_condition and (types == "object" or (isinstance(types, list) and "object" in types)):
            yield node
        for key, value in node.items():
            yield from _object_schemas(value, inside_condition or key in ("if", "then", "else", "not"))
    elif isinstance(node, list):
        for value in node:
            yield from _object_schemas(value, inside_condition)


@pytest.mark.parametrize("name", ["web", "production"])
def test_no_unknown_keys_anywhere(name):
    schemas = list(_object_schemas(SCHEMAS[name]))
    assert len(schemas) >= 7  # top, items, signoffs, launch, signoff, entry, conditionalEntry, criteria
    assert all(s.get("additionalProperties") is False for s in schemas)


# --- the command ---------------------------------------------------------------------------


def run(*args):
    return CliRunner().invoke(schema_command, list(args))


def test_command_prints_stable_bytes():
    first, second = run("--root", str(WEB_ROOT)), run("--root", str(WEB_ROOT))
    assert first.exit_code == 0, first.output
    assert first.stdout_bytes == second.stdout_bytes
    assert first.stdout_bytes.decode("utf-8") == dumps(SCHEMAS["web"])
    assert first.stdout_bytes.endswith(b"}\n") and "🔐".encode() in first.stdout_bytes
    json.loads(first.stdout_bytes)


def test_command_matches_gold():
    out = run("--root", str(WEB_ROOT)).stdout_bytes
    if os.environ.get("READINESS_REGOLD"):
        GOLD.write_bytes(out)
    assert out == GOLD.read_bytes(), "schema output changed; if intended, regenerate with READINESS_REGOLD=1"


def test_command_on_the_repository():
    result = run("--root", str(ROOT))
    assert result.exit_code == 0
    assert json.loads(result.stdout_bytes) == json.loads(dumps(SCHEMAS["production"]))


def _two_checklists(tmp_path: Path, broken: bool = False) -> Path:
    root = tmp_path / "repo"
    (root / "checklists").mkdir(parents=True)
    shutil.copy(WEB_ROOT / "checklists" / "web.md", root / "checklists" / "web.md")
    other = "# Mobile\n\nNo items here.\n" if broken else (WEB_ROOT / "checklists" / "web.md").read_text()
    (root / "checklists" / "mobile.md").write_text(other, encoding="utf-8")
    return root


def test_command_needs_checklist_when_several(tmp_path):
    root = _two_checklists(tmp_path)
    result = run("--root", str(root))
    assert result.exit_code == 2
    assert "several checklists: choose one with --checklist (mobile, web)" in result.output
    result = run("--root", str(root), "--checklist", "web")
    assert result.exit_code == 0
    assert json.loads(result.stdout_bytes)["required"] == ["release", "checklist"]


def test_command_unknown_checklist(tmp_path):
    result = run("--root", str(WEB_ROOT), "--checklist", "wbe")
    assert result.exit_code == 2
    assert "no checklist `wbe`; did you mean 'web'?" in result.output
    assert "Traceback" not in result.output


def test_command_reads_only_the_chosen_checklist(tmp_path):
    root = _two_checklists(tmp_path, broken=True)
    assert run("--root", str(root), "--checklist", "web").exit_code == 0
    result = run("--root", str(root), "--checklist", "mobile")
    assert result.exit_code == 1
    assert "checklists/mobile.md:1:1:" in result.output


def test_command_without_checklists(tmp_path):
    result = run("--root", str(tmp_path))
    assert result.exit_code == 1
    assert "checklists/:1:1: no checklist found" in result.output
    result = run("--root", str(tmp_path / "missing"))
    assert result.exit_code == 1 and "no such directory" in result.output


def test_saved_schema_staleness(tmp_path):
    """`.readiness/<name>.schema.json` as the docs say to save it: current, stale, or absent."""
    root = tmp_path / "repo"
    shutil.copytree(WEB_ROOT, root)
    web = CHECKLISTS["web"]
    assert saved_schema_path(root, "web") == root / ".readiness" / "web.schema.json"
    assert stale_saved_schema(root, web, several=False) is None  # not saved: nothing to say
    saved_schema_path(root, "web").parent.mkdir()
    saved_schema_path(root, "web").write_bytes(run("--root", str(root)).stdout_bytes)
    assert stale_saved_schema(root, web, several=False) is None
    changed = _checklist_from_text((WEB_ROOT / "checklists" / "web.md").read_text() + "- [ ] Status page live\n")
    problem = stale_saved_schema(root, changed, several=False)
    assert problem is not None and problem.severity == "warning"
    assert str(problem) == (".readiness/web.schema.json:1:1: warning: out of date with checklists/web.md; "
                            "regenerate it with `readiness schema --checklist web > .readiness/web.schema.json`")


def _checklist_from_text(text: str):
    from generator.checklist import parse_checklist

    problems = Problems()
    checklist = parse_checklist(text, "web", "checklists/web.md", problems)
    assert not problems.errors
    return checklist


def test_root_option_is_the_clis():
    from generator import cli

    @click.command()
    @cli.root_option
    def probe(root):  # pragma: no cover - only its parameters are read
        pass

    ours = next(p for p in schema_command.params if p.name == "root")
    theirs = next(p for p in probe.params if p.name == "root")
    assert (ours.opts, ours.default, ours.help, ours.show_default, ours.type.file_okay) == \
           (theirs.opts, theirs.default, theirs.help, theirs.show_default, theirs.type.file_okay)


def test_wiring_into_the_cli_group():
    """The line that wires it in: `cli.add_command(schema_command, "schema")` (on a copy of the group)."""
    from generator.cli import cli

    group = click.Group("readiness", commands=dict(cli.commands))
    group.add_command(schema_command, "schema")
    result = CliRunner().invoke(group, ["schema", "--root", str(WEB_ROOT)])
    assert result.exit_code == 0 and json.loads(result.stdout_bytes)["title"].endswith("web")
    help_text = CliRunner().invoke(group, ["schema", "--help"]).output
    assert "--checklist" in help_text and "--root" in help_text


def test_importing_the_module_first_has_no_cycle():
    code = "import generator.cli_workflow as w, generator.cli as c; print(w.schema_command.name)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "schema"
