"""Terminal output: the status summary and the build with a progress display."""

from __future__ import annotations

import time
from typing import Optional
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from generator.cache import Cache, NoCache
from generator.errors import InputError, Problem, capped
from generator.merge import default_today
from generator.model import Evaluation
from generator.pages import SiteData
from generator.project import load_project
from generator.site import build_site

VERDICT_STYLE = {"YES": "bold green", "NO": "bold red", "NEEDS REVIEW": "bold yellow"}


def print_status(e: Evaluation) -> None:
    """A readable summary of one release: verdict, counts, what blocks it, sign-offs."""
    console = Console(highlight=False)
    c = e.counts
    console.print(f"Release [bold]{escape(e.release.name)}[/] (checklist {escape(e.checklist.name)}): "
                  f"[{VERDICT_STYLE[e.verdict]}]{e.verdict}[/]")
    console.print(f"Progress {c.done + c.waived} / {c.applicable}, {c.progress:.1f} %  "
                  f"(done {c.done}, waived {c.waived}, n/a {c.na}, failed {c.failed}, pending {c.pending}; "
                  f"evaluated on {e.evaluated_on})")
    blocking = [r for r in e.reasons if r.kind != "unsigned"]
    if blocking:
        table = Table(title="Holding it back", show_lines=False, title_justify="left")
        table.add_column("why")
        table.add_column("item")
        for r in blocking[:40]:
            table.add_row(r.kind, escape(r.target))
        if len(blocking) > 40:
            table.add_row("…", f"and {len(blocking) - 40} more (readiness status {e.release.name} --json)")
        console.print(table)
    signoffs = Table(title="Sign-offs", title_justify="left")
    signoffs.add_column("role")
    signoffs.add_column("name")
    signoffs.add_column("date")
    for role in e.checklist.roles:
        s = e.signoffs[role.id]
        signoffs.add_row(escape(role.id), escape(s.name) if s else "[yellow]not signed[/]", str(s.date) if s else "")
    console.print(signoffs)


def build_with_progress(root: Path, site_dir: Path, strict: bool, use_cache: bool = True,
                        sign_key: Optional[Path] = None) -> None:
    """Load, check, render and build, showing each step on a terminal; warnings fail the build with --strict."""
    started = time.perf_counter()
    console = Console(stderr=True, highlight=False)
    interactive = console.is_terminal
    cache = Cache(root) if use_cache else NoCache()
    try:
        with console.status("loading inputs", spinner="dots") if interactive else _NoStatus() as status:
            project = load_project(root, cache)
            # An incomplete git history is said once, by the build only (`check` reads no history it could miss).
            warnings = list(project.warnings) + ([project.history_warning] if project.history_warning else [])
            for w in capped(warnings):
                click.echo(str(w), err=True)
            if strict and warnings:
                raise InputError([Problem(w.location, w.message, "error") for w in warnings])
            site = SiteData.of_project(project, default_today())
            count = build_site(site, site_dir, root, step=status.update, cache=cache, sign_key=sign_key)
    finally:
        if cache.problem is not None:  # one line, whatever else went wrong with the cache; not an input problem
            click.echo(str(cache.problem), err=True)
    elapsed = time.perf_counter() - started
    reused = f"; {cache.hits} of {cache.hits + cache.misses} cached parts reused" if cache.hits else ""
    console.print(f"built {len(site.evaluations)} release page(s), {count} files into {escape(str(site_dir))} "
                  f"in {elapsed:.1f} s{reused}")


class _NoStatus:
    """Stands in for rich's status display when output is not a terminal."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, _message: str) -> None:
        pass
