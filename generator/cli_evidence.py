"""`readiness record` and `readiness sign`: the two commands that write into an existing results file."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Optional

import click

from generator.cli_common import EXIT_INPUT, handles_input_errors, root_option
from generator.errors import printable
from generator.reports import REPORTS


def _refusals(func):
    """A refused sign-off (verdict NO, no git user.name) is one `Error:` line and exit 1."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from generator.sign import Refused

        try:
            return func(*args, **kwargs)
        except Refused as exc:
            click.echo(printable(f"Error: {exc}"), err=True)
            sys.exit(EXIT_INPUT)

    return wrapper


_REPORT = click.Path(dir_okay=True, path_type=Path)


def _report_options(func):
    """One `--NAME FILE` option per report format of generator/reports.py, in that order."""
    for fmt in reversed(REPORTS):
        func = click.option(f"--{fmt.name}", fmt.name, type=_REPORT, metavar="FILE", help=fmt.help)(func)
    return func


_DEFAULTED = ", ".join(slot.name for fmt in REPORTS for slot in fmt.slots if slot.default is not None)


@click.command()
@click.argument("release")
@_report_options
@click.option("--item", "items", multiple=True, metavar="[SLOT=]ID",
              help="The item a report sets: a plain ID is the JUnit report's item; SLOT=ID replaces a default "
                   f"({_DEFAULTED}) and SLOT=- skips it.")
@click.option("--evidence", metavar="URL", help="A link to the run (CI job, stored report) for every entry written.")
@click.option("--force", is_flag=True, help="Replace statuses and values that were set by hand.")
@root_option
@handles_input_errors
def record(release: str, items: tuple, evidence: Optional[str], force: bool, root: Path, **files: Optional[Path]) -> None:
    """Set item statuses and criteria values of RELEASE from JUnit, Lighthouse or k6 reports."""
    from generator.record import change_lines, record_results

    reports = {name: path for name, path in files.items() if path is not None}
    result = record_results(root, release, reports, items, evidence, force)
    for line in change_lines(result):
        click.echo(printable(line))
    for target, state in result.unchanged:
        click.echo(printable(f"{result.path}: items.{target}: unchanged ({state})"), err=True)
    if result.changes:
        click.echo(f"{len(result.changes)} entr{'y' if len(result.changes) == 1 else 'ies'} written to "
                   f"{result.path}; review with `git diff` and commit it", err=True)
    else:
        click.echo(f"{result.path}: nothing to change", err=True)


@click.command()
@click.argument("release")
@click.option("--role", required=True, help="The sign-off role id, e.g. technical-lead.")
@click.option("--force", is_flag=True, help="Sign although the verdict is NO (needs --reason).")
@click.option("--reason", metavar="TEXT", help="Why the sign-off is given despite a NO verdict (with --force).")
@root_option
@handles_input_errors
@_refusals
def sign(release: str, role: str, force: bool, reason: Optional[str], root: Path) -> None:
    """Sign RELEASE off as ROLE with your git user.name and today's date; you commit it."""
    from generator.sign import commit_command, sign_release

    signed = sign_release(root, release, role, force, reason)
    click.echo(printable(f"{signed.path}: signoffs.{signed.role}: {signed.name}, {signed.date.isoformat()}"
                         + (" (forced; the reason is in a comment on that line)" if signed.forced else "")))
    unsigned = f" ({len(signed.unsigned_after)} role(s) still to sign)" if signed.unsigned_after else ""
    click.echo(f"verdict now: {signed.verdict_after}{unsigned}", err=True)
    click.echo("Commit it yourself (-S signs the commit with your key; leave it out if you have none):", err=True)
    click.echo(printable(commit_command(root, signed)))
