"""Workflow commands (editor support): `readiness schema`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import click

from generator.cli_common import handles_input_errors, root_option


@click.command("schema")
@click.option("--checklist", "checklist_name", help="The checklist to describe (required when there are several).")
@root_option
@handles_input_errors
def schema_command(checklist_name: Optional[str], root: Path) -> None:
    """Print a JSON Schema (draft-07) for the results files of a checklist, for editors.

    Save it, e.g. `readiness schema > .readiness/production.schema.json`, and point the editor's YAML
    support at it (docs/workflow.md). The output is the same bytes for the same checklist file.
    """
    from generator.schema import schema_text

    text = schema_text(root, checklist_name)
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a text-only stream (an embedding program's); no encoding to choose
        sys.stdout.write(text)
    else:  # UTF-8 whatever the terminal's locale, so saved files are the same bytes everywhere
        buffer.write(text.encode("utf-8"))
        buffer.flush()


def check_staged(root: Path) -> None:
    """`readiness check --staged`: check what the next commit will contain, as git's index holds it.

    Untracked files are not in the index, so they are not read; a file staged broken is checked as staged,
    whatever its working-tree copy holds now. Errors block when they are in a file the commit changes, or
    anywhere when the commit changes a checklist or readiness.yml (every results file depends on those),
    or anywhere when the commit changes no project file at all (`pre-commit run --all-files`). Other
    errors are listed as not blocking: they are in files as already committed."""
    from generator import checkout
    from generator.cli_common import EXIT_INPUT
    from generator.errors import InputError
    from generator.project import load_project

    changed = set(checkout.staged_changes(root))
    with checkout.staged(root) as snap:
        try:
            project = load_project(snap.root)
            problems, counts = list(project.warnings), (len(project.checklists), len(project.releases))
        except InputError as exc:
            problems, counts = list(exc.problems), None
    problems += snap.skipped
    everything = not changed or any(p.startswith("checklists/") or p == "readiness.yml" for p in changed)
    blocking = [p for p in problems if everything or p.location.path in changed]
    others = [p for p in problems if p not in blocking]
    for p in blocking:
        click.echo(str(p))
    if others:
        click.echo(f"not blocking: {len(others)} problem(s) in files this commit does not change:", err=True)
        for p in others:
            click.echo(str(p), err=True)
    errors = sum(1 for p in blocking if p.is_error)
    scope = f"{len(changed)} staged project file(s)" if changed else "the index (no project file staged)"
    if errors:
        click.echo(f"{errors} error{'s' if errors != 1 else ''} in {scope}; fix and `git add` them, then commit "
                   "again.", err=True)
        sys.exit(EXIT_INPUT)
    summary = f"{counts[0]} checklist(s), {counts[1]} results file(s) as staged: " if counts else ""
    click.echo(f"{summary}no errors in {scope}", err=True)
