"""Terminal output: the status summary and the build with a progress display."""

from __future__ import annotations

import os
import time
from typing import Optional
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from generator.analyse import carried
from generator.cache import Cache, NoCache
from generator.errors import InputError, Problem, capped
from generator.merge import default_today
from generator.model import Evaluation
from generator.pages import SiteData
from generator.project import load_project
from generator.site import build_site

VERDICT_STYLE = {"YES": "bold green", "NO": "bold red", "NEEDS REVIEW": "bold yellow"}
PIPED_WIDTH = 10_000  # lines are never wrapped when output goes to a file or a pipe: scripts read whole lines


def console(stderr: bool = False) -> Console:
    """A rich console: the terminal's width on a terminal; unwrapped lines in a pipe, unless COLUMNS says otherwise."""
    out = Console(stderr=stderr, highlight=False)
    if not out.is_terminal and not os.environ.get("COLUMNS"):
        out = Console(stderr=stderr, highlight=False, width=PIPED_WIDTH)
    return out


HELD_LISTED = 40  # rows of the "holding it back" table; --json lists every one


def print_status(e: Evaluation) -> None:
    """A readable summary of one release: verdict, counts, what blocks it, sign-offs."""
    out = console()
    c = e.counts
    out.print(f"Release [bold]{escape(e.release.name)}[/] (checklist {escape(e.checklist.name)}): "
                  f"[{VERDICT_STYLE[e.verdict]}]{e.verdict}[/]")
    out.print(f"Progress {c.done + c.waived} / {c.applicable}, {c.progress:.1f} %  "
                  f"(done {c.done}, waived {c.waived}, n/a {c.na}, failed {c.failed}, pending {c.pending}; "
                  f"evaluated on {e.evaluated_on})")
    for source, items in carried(e).items():
        out.print(f"[yellow]{len(items)} item{'s' if len(items) != 1 else ''} carried over from {escape(source)}, "
                  f"not re-verified[/]: confirm each for this release (by, date, evidence) and remove its "
                  f"`carried_from`")
    if e.reasons:
        # Everything that keeps the release from YES, sign-offs included: "not signed" is a reason too.
        table = Table(title="Holding it back", show_lines=False, title_justify="left")
        table.add_column("why")
        table.add_column("item or role")
        for r in e.reasons[:HELD_LISTED]:
            why = ("does not count" if r.target in e.uncounted else "not signed") if r.kind == "unsigned" else r.kind
            table.add_row(why, escape(r.target))
        if len(e.reasons) > HELD_LISTED:
            table.add_row("…", f"and {len(e.reasons) - HELD_LISTED} more (readiness status {escape(e.release.name)} --json)")
        out.print(table)
    signoffs = Table(title="Sign-offs", title_justify="left")
    signoffs.add_column("role")
    signoffs.add_column("name")
    signoffs.add_column("date")
    for role in e.checklist.roles:
        s = e.signoffs[role.id]
        name = escape(s.name) if s else "[yellow]not signed[/]"
        if role.id in e.uncounted:
            name += f" [red](does not count: {escape(e.uncounted[role.id])})[/]"
        signoffs.add_row(escape(role.id), name, str(s.date) if s else "")
    out.print(signoffs)


def print_compare(c) -> None:
    """Two releases side by side: verdicts, progress, each kind of item change, and sign-offs that differ."""
    from generator.analyse import DIFF_SECTIONS

    out = console()
    a, b = c.a, c.b
    out.print(f"Release [bold]{escape(b.release.name)}[/] against [bold]{escape(a.release.name)}[/]"
              + (f" (checklist {escape(a.checklist.name)} -> {escape(b.checklist.name)})"
                 if a.checklist.name != b.checklist.name else f" (checklist {escape(a.checklist.name)})"))
    out.print(f"Verdict [{VERDICT_STYLE[a.verdict]}]{a.verdict}[/] -> [{VERDICT_STYLE[b.verdict]}]{b.verdict}[/]; "
              f"progress {a.progress:.1f} % -> {b.progress:.1f} %")
    for source, items in carried(b).items():
        out.print(f"[yellow]{len(items)} item{'s' if len(items) != 1 else ''} of {escape(b.release.name)} carried over "
                  f"from {escape(source)}, not re-verified[/]")
    if not c.diff.changes and not c.signoffs:
        out.print("No item changed status, no criterion value moved and the same roles signed.")
    for kind, heading in DIFF_SECTIONS:
        changes = c.diff.of(kind)
        if not changes:
            continue
        table = Table(title=f"{heading} ({len(changes)})", title_justify="left")
        table.add_column("item")
        table.add_column("before -> after")
        for x in changes:
            what = {"added": f"new, {x.after}", "removed": f"was {x.before}"}.get(
                kind, f"{x.before or 'not measured'} -> {x.after or 'not measured'}")
            if x.carried_from:
                what += f" (carried over from {x.carried_from}, not re-verified)"
            table.add_row(escape(x.item), escape(what))
        out.print(table)
    if c.signoffs:
        table = Table(title=f"Sign-offs changed ({len(c.signoffs)})", title_justify="left")
        for column in ("role", "before", "after"):
            table.add_column(column)
        for role, before, after in c.signoffs:
            table.add_row(escape(role), escape(before or "not signed"), escape(after or "not signed"))
        out.print(table)


def build_with_progress(root: Path, site_dir: Path, strict: bool, use_cache: bool = True,
                        sign_key: Optional[Path] = None) -> None:
    """Load, check, render and build, showing each step on a terminal; warnings fail the build with --strict."""
    started = time.perf_counter()
    err = console(stderr=True)
    interactive = err.is_terminal
    cache = Cache(root) if use_cache else NoCache()
    try:
        with err.status("loading inputs", spinner="dots") if interactive else _NoStatus() as status:
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
    err.print(f"built {len(site.evaluations)} release page(s), {count} files into {escape(str(site_dir))} "
                  f"in {elapsed:.1f} s{reused}")


class _NoStatus:
    """Stands in for rich's status display when output is not a terminal."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, _message: str) -> None:
        pass
