"""Synthetic release histories of the production checklist, for the benchmark: realistic mixes, reproducible."""

from __future__ import annotations

import datetime as dt
import random
import shutil
from pathlib import Path

from generator.checklist import load_checklist

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = ["Mara Lindqvist", "Jonas Weber", "Priya Nair", "Sam Hartley", "Elena Ruiz", "David Okafor"]


def release_name(n: int) -> str:
    return f"{n // 100 + 1}.{(n // 10) % 10}.{n % 10}"


def product_name(n: int, products: int) -> str:
    """The product folder of release n when `products` share the history ("" for results/ itself)."""
    return f"service-{n % products:03d}" if products > 1 else ""


def results_path(dest: Path, n: int, products: int) -> tuple[Path, str]:
    """Where release n's results file goes, and its release name (the n-th of its product)."""
    product = product_name(n, products)
    name = release_name(n // products if products > 1 else n)
    folder = dest / "results" / product if product else dest / "results"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}.yaml", name


def add_release(dest: Path, n: int, products: int = 1) -> str:
    """One more results file, as a team adds its next release: most items done, not launched yet."""
    checklist, _ = load_checklist(dest / "checklists" / "production.md")
    path, name = results_path(dest, n, products)
    lines = [f'release: "{name}"', "checklist: production", "items:"]
    lines += [f"  {section.id}: done" for section in checklist.sections]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return name


def edit_release(dest: Path, n: int, products: int = 1, turn: int = 0) -> None:
    """Edit release n's results file as a team does: one more item recorded failed (a different one each turn)."""
    checklist, _ = load_checklist(dest / "checklists" / "production.md")
    path, _ = results_path(dest, n, products)
    item = checklist.items[turn % len(checklist.items)]
    text = path.read_text(encoding="utf-8").replace("items:\n", f"items:\n  {item.id}: failed\n", 1)
    lines = text.split("\n")
    # A later line for the same item would be a duplicate key: drop it, keeping the new first one.
    first = next(i for i, line in enumerate(lines) if line.startswith(f"  {item.id}:"))
    kept = lines[:first + 1]
    skipping = False
    for line in lines[first + 1:]:
        if line.startswith(f"  {item.id}:"):
            skipping = True
            continue
        if skipping and line.startswith("    "):
            continue
        skipping = False
        kept.append(line)
    path.write_text("\n".join(kept), encoding="utf-8")


LAST_DAY = dt.date(2026, 11, 27)  # the bench's SOURCE_DATE_EPOCH is 2026-11-28: no date may be after it


def write_history(dest: Path, releases: int, seed: int = 7, products: int = 1) -> None:
    """Write checklists/production.md and `releases` results files into `dest`, spread over `products`
    folders of results/ when more than one (release n goes to product n mod `products`).

    Each round of products launches 1, 2 or 7 days after the one before; the first day is chosen so that
    the last launch is on or before LAST_DAY (a sign-off or launch dated in the future is an input error)."""
    first = dt.date(2020, 1, 6)
    last = _write_history(dest, releases, seed, first, products)
    if last > LAST_DAY:
        _write_history(dest, releases, seed, first - (last - LAST_DAY), products)


def _write_history(dest: Path, releases: int, seed: int, day: dt.date, products: int = 1) -> dt.date:
    """The files of write_history from a first day; returns the last release's day."""
    rnd = random.Random(seed)
    (dest / "checklists").mkdir(parents=True, exist_ok=True)
    (dest / "results").mkdir(exist_ok=True)
    shutil.copy(ROOT / "checklists" / "production.md", dest / "checklists" / "production.md")
    checklist, _ = load_checklist(dest / "checklists" / "production.md")
    last = day
    for n in range(releases):
        _, name = results_path(dest, n, products)
        launched = n < releases - products
        lines = [f'release: "{name}"', "checklist: production", "items:"]
        if rnd.random() < 0.5:
            lines.append("  kubernetes: {status: n/a, reason: Runs on VMs for now}")
        for item in checklist.items:
            if item.ancestors[0] == "kubernetes" or rnd.random() < 0.15:
                continue  # left to a section entry or pending
            roll = rnd.random()
            if item.criterion:
                base = item.criterion.threshold
                lines.append(f"  {item.id}: {{value: {base * rnd.uniform(0.5, 1.1):.2f}}}")
            elif roll < 0.80:
                lines.append(f"  {item.id}:\n    status: done\n    by: {rnd.choice(PEOPLE)}\n"
                             f"    date: {day.isoformat()}\n    evidence: https://ci.example.com/runs/{n * 1000 + rnd.randrange(999)}")
            elif roll < 0.88:
                lines.append(f"  {item.id}: {{status: n/a, reason: Not used in this release}}")
            elif roll < 0.93:
                lines.append(f"  {item.id}: {{status: waived, reason: Follow-up ticket, approved_by: "
                             f"{rnd.choice(PEOPLE)}, expires: {(day + dt.timedelta(days=rnd.randrange(-5, 60))).isoformat()}}}")
            elif roll < 0.97:
                lines.append(f"  {item.id}: failed")
            else:
                lines.append(f"  {item.id}: done")
        lines.append("signoffs:")
        for role in checklist.roles:
            if rnd.random() < 0.9:
                lines.append(f"  {role.id}: {{name: {rnd.choice(PEOPLE)}, date: {day.isoformat()}}}")
        if launched:
            lines += ["launch:", f"  date: {day.isoformat()}", '  time: "14:00"', "  timezone: Europe/Berlin",
                      f"  deployed_by: {rnd.choice(PEOPLE)}"]
        path, _ = results_path(dest, n, products)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        last = day
        if (n + 1) % products == 0:
            day += dt.timedelta(days=rnd.choice([1, 2, 7]))
    return last


def write_baseline(dest: Path, history: Path) -> None:
    """A bare MkDocs + Material project with the same release pages as plain Markdown tables, default nav."""
    from generator.project import load_project

    docs = dest / "docs"
    (docs / "releases").mkdir(parents=True, exist_ok=True)
    project = load_project(history)
    (docs / "index.md").write_text("# Releases\n", encoding="utf-8")
    for e in project.evaluations():
        rows = ["| Status | Item | By | Date | Evidence | Note |", "|---|---|---|---|---|---|"]
        for r in e.results:
            own = r.own
            rows.append(f"| {r.status} | {r.item.plain} | {own.by if own and own.by else ''} | "
                        f"{own.date if own and own.date else ''} | {own.evidence if own and own.evidence else ''} | |")
        text = f"# Release {e.release.name}\n\nVerdict: {e.verdict}\n\n" + "\n".join(rows) + "\n"
        (docs / "releases" / f"{e.release.name}.md").write_text(text, encoding="utf-8")
    (dest / "mkdocs.yml").write_text("site_name: Baseline\ntheme:\n  name: material\n  font: false\n"
                                     "plugins:\n  - search\n", encoding="utf-8")
