"""`readiness diff BASE [HEAD]`: what a change between two git revisions does to readiness, for review and CI."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from generator.cli_common import EXIT_INPUT, handles_input_errors, root_option
from generator.diff_report import DEFAULT_BUDGET


@click.command("diff")
@click.argument("base")
@click.argument("head", required=False, default="HEAD")
@click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON (everything, nothing cut).")
@click.option("--markdown", is_flag=True,
              help="Print GitHub Markdown for a pull request comment or $GITHUB_STEP_SUMMARY.")
@click.option("--max-length", type=click.IntRange(2_000, 1_000_000), default=DEFAULT_BUDGET, show_default=True,
              help="With --markdown: the most bytes to print; details past it are left out, and the output says so.")
@click.option("--fail-on", "fail_on", multiple=True, type=click.Choice(["regression", "error"]),
              help="Exit 1 when a release regressed (verdict worse, an item newly failed or back from done, "
                   "a waiver expired) or a new audit finding has severity error. Repeatable.")
@root_option
@handles_input_errors
def diff_command(base: str, head: str, as_json: bool, markdown: bool, max_length: int, fail_on: tuple,
                 root: Path) -> None:
    """Compare readiness at git revisions BASE and HEAD (default: the HEAD commit): per release touched, the
    verdict before and after, items and sign-offs changed, audit findings new or gone, checklist changes.

    Needs the history of both revisions: in CI, check out with `fetch-depth: 0`. Exit 0 unless --fail-on
    says otherwise; 1 for input errors at either revision; 2 when a revision is missing."""
    from generator.diff import RevisionError, diff_revisions
    from generator.errors import printable
    from generator.merge import default_today

    if as_json and markdown:
        raise click.UsageError("choose one of --json and --markdown")
    try:
        report = diff_revisions(root, base, head, default_today())
    except RevisionError as exc:
        for p in exc.problems:
            click.echo(str(p), err=True)
        errors = sum(1 for p in exc.problems if p.is_error)
        click.echo(printable(f"{exc.side} {exc.label} does not load: {errors} error(s) in its inputs "
                             "(`readiness check` at that revision lists them)"), err=True)
        sys.exit(EXIT_INPUT)
    for side in (report.base, report.head):
        for p in side.skipped:
            click.echo(printable(f"{side.label}: {p}"), err=True)
    _write(_render(report, as_json, markdown, max_length))
    failures = report.failures(tuple(fail_on))
    for reason in failures:
        click.echo(printable(f"--fail-on: {reason}"), err=True)
    if failures:
        sys.exit(EXIT_INPUT)


def _render(report, as_json: bool, markdown: bool, max_length: int) -> str:
    from generator.diff import report_json
    from generator.diff_report import render_markdown, render_text
    from generator.exports import dumps

    if as_json:
        return dumps(report_json(report))
    if markdown:
        return render_markdown(report, max_length)
    return render_text(report)


def _write(text: str) -> None:
    """UTF-8 whatever the locale: the Markdown goes into files GitHub reads as UTF-8."""
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(text)
    else:
        buffer.write(text.encode("utf-8"))
        buffer.flush()
