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
