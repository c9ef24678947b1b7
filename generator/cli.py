"""Command line: click commands that run the pipeline and turn input problems into messages and exit codes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import click

from generator import __version__
from generator.cli_common import EXIT_INPUT, handles_input_errors, root_option, tune_gc
from generator.cli_diff import diff_command
from generator.cli_evidence import record, sign
from generator.cli_workflow import schema_command
from generator.errors import UsageError, capped, printable
from generator.exports import dumps, status_json



class _Group(click.Group):
    """A command group whose command list shows each summary whole, wrapped to the width, never cut with "..."."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, cmd.get_short_help_str(limit=10**6)) for name in self.list_commands(ctx)
                if (cmd := self.get_command(ctx, name)) is not None and not cmd.hidden]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="readiness")
def cli() -> None:
    """Launch-readiness sites from a Markdown checklist and per-release YAML results."""


def _load(root: Path):
    from generator.project import load_project

    return load_project(root)


@cli.command()
@click.option("--staged", is_flag=True, help="Check the files as staged for the next commit (git's index), "
              "not the working tree; for pre-commit hooks.")
@root_option
@handles_input_errors
def check(root: Path, staged: bool = False) -> None:
    """Validate every checklist and results file; print one line per problem."""
    if staged:
        from generator.cli_workflow import check_staged

        return check_staged(root)
    from generator.checklist import describe

    project = _load(root)
    for w in capped(list(project.warnings)):
        click.echo(str(w))
    for c in project.checklists.values():  # what was read, so a misread checklist shows at once
        click.echo(printable(f"{c.path}: {describe(c)}"), err=True)
    click.echo(f"{len(project.checklists)} checklist(s), {len(project.releases)} results file(s): no errors"
               + (f", {len(project.warnings)} warning(s)" if project.warnings else ""), err=True)


@cli.command()
@click.argument("release")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@root_option
@handles_input_errors
def status(release: str, as_json: bool, root: Path) -> None:
    """The verdict, counts, progress, blocking items and sign-offs of RELEASE."""
    project = _load(root)
    evaluations = {e.release.name: e for e in project.evaluations()}
    if release not in evaluations:
        from generator.results import did_you_mean

        hint = did_you_mean(release, evaluations) or f"; releases: {', '.join(evaluations) or '(none)'}"
        raise UsageError(f"no results file for release `{release}`{hint}")
    e = evaluations[release]
    if as_json:
        click.echo(dumps(status_json(e)), nl=False)
        return
    from generator.terminal import print_status

    print_status(e)


@cli.command()
@click.argument("release_a")
@click.argument("release_b")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
@root_option
@handles_input_errors
def compare(release_a: str, release_b: str, as_json: bool, root: Path) -> None:
    """Compare any two releases: verdicts, progress, item changes and sign-offs of RELEASE_B against RELEASE_A."""
    from generator.analyse import compare as compare_releases

    project = _load(root)
    evaluations = {e.release.name: e for e in project.evaluations()}
    for name in (release_a, release_b):
        if name not in evaluations:
            from generator.results import did_you_mean

            hint = did_you_mean(name, evaluations) or f"; releases: {', '.join(evaluations) or '(none)'}"
            raise UsageError(f"no results file for release `{name}`{hint}")
    c = compare_releases(evaluations[release_a], evaluations[release_b])
    if as_json:
        from generator.exports import compare_json

        click.echo(dumps(compare_json(c)), nl=False)
        return
    from generator.terminal import print_compare

    print_compare(c)


@cli.command()
@click.argument("release")
@click.option("--checklist", "checklist_name", help="The checklist to use (required when there are several).")
@click.option("--from", "from_release", help="Carry statuses over from this release.")
@root_option
@handles_input_errors
def new(release: str, checklist_name: Optional[str], from_release: Optional[str], root: Path) -> None:
    """Create results/RELEASE.yaml listing every item as pending (or as in --from); never overwrites."""
    from generator.scaffold import create_results

    path = create_results(root, release, checklist_name, from_release)
    click.echo(f"created {path}; record results in it, then run `readiness check`", err=True)


@cli.command()
@click.option("-d", "--site-dir", type=click.Path(path_type=Path), default=None,
              help="Where to put the site (relative to the current directory); default <root>/site.")
@click.option("--strict", is_flag=True, help="Treat readiness's own warnings as errors.")
@click.option("--no-cache", is_flag=True,
              help="Load and render everything afresh, without the build cache in ~/.cache/readiness.")
@root_option
@handles_input_errors
def build(site_dir: Optional[Path], strict: bool, no_cache: bool, root: Path) -> None:
    """Check the inputs, generate the pages and run `mkdocs build --strict`."""
    from generator.terminal import build_with_progress

    build_with_progress(root, site_dir or root / "site", strict, use_cache=not no_cache)


@cli.command("audit")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@root_option
@handles_input_errors
def audit_command(as_json: bool, root: Path) -> None:
    """Audit findings over every release; exit 1 if any has severity error."""
    from generator.exports import findings_json
    from generator.merge import default_today
    from generator.pages import SiteData

    project = _load(root)
    site = SiteData.of_project(project, default_today())
    if as_json:
        click.echo(dumps(findings_json(site.findings, len(site.evaluations))), nl=False)
    else:
        for f in site.findings:
            click.echo(printable(f"{f.severity}: {f.release or '(repository)'}: {f.rule}: {f.message}"))
        errors = sum(1 for f in site.findings if f.severity == "error")
        click.echo(f"{len(site.findings)} finding(s), {errors} error(s) over {len(site.evaluations)} release(s)",
                   err=True)
    if any(f.severity == "error" for f in site.findings):
        sys.exit(EXIT_INPUT)


@cli.command()
@click.argument("site_dir", type=click.Path(file_okay=False, path_type=Path))
@root_option
@handles_input_errors
def verify(site_dir: Path, root: Path) -> None:
    """Check offline that SITE_DIR matches its manifest and the inputs under --root."""
    from generator.verify import verify_site

    outputs, inputs = verify_site(site_dir, root)
    click.echo(f"{site_dir}: {outputs} files and {inputs} inputs match the manifest", err=True)


@cli.command()
@click.option("-a", "--dev-addr", default="127.0.0.1:8000", show_default=True, help="Address to serve on.")
@root_option
@handles_input_errors
def serve(dev_addr: str, root: Path) -> None:
    """Build the site and serve it, rebuilding when a checklist or results file changes."""
    from generator.serve import serve_site

    serve_site(root, dev_addr)


def main() -> None:
    """Console-script entry point."""
    tune_gc()
    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(130)


# Workflow commands live in their own modules; registered here so `readiness --help` lists them.
cli.add_command(record)
cli.add_command(sign)
cli.add_command(schema_command, "schema")
cli.add_command(diff_command, "diff")
