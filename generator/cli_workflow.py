"""Workflow commands (editor support): `readiness schema`.

Wired into the main group in generator/cli.py with
`from generator.cli_workflow import schema_command; cli.add_command(schema_command, "schema")`.
This module does not import generator.cli when it is imported, so that line may sit anywhere in cli.py
and either module may be imported first without an import cycle.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Optional

import click


def _handles_input_errors(func):
    """generator.cli.handles_input_errors, looked up when the command runs (see the module docstring)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from generator.cli import handles_input_errors

        return handles_input_errors(func)(*args, **kwargs)

    return wrapper


def _root_option(func):
    # The same option as generator.cli.root_option (tests/test_schema.py checks that they stay alike).
    return click.option(
        "--root", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True,
        help="The readiness repository (holds checklists/ and results/).",
    )(func)


@click.command("schema")
@click.option("--checklist", "checklist_name", help="The checklist to describe (required when there are several).")
@_root_option
@_handles_input_errors
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
