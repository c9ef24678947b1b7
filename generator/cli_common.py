"""What every command shares: the `--root` option, and input problems turned into messages and exit codes."""

from __future__ import annotations

import functools
import gc
import sys
from pathlib import Path

import click

from generator.errors import InputError, UsageError, printable

EXIT_INPUT = 1
EXIT_USAGE = 2
WRITERS = frozenset({"build", "new", "record", "sign", "serve"})  # commands (by function name) that write files


def tune_gc() -> None:
    """Collect cycles less often: a build keeps hundreds of thousands of long-lived objects (every item of
    every release), and with the default thresholds the collector rescans them again and again, which made
    loading 1,000 releases take twice as long as 300 x 3.3 (measured with bench/bench.py)."""
    gc.set_threshold(100_000, 50, 1000)


def _print_problems(problems, err: bool = True) -> None:
    for p in problems:
        click.echo(str(p), err=err)


def handles_input_errors(func):
    """Report InputError as `path:line:col: message` lines and exit 1, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            _print_problems(exc.problems, err=func.__name__ != "check")
            sys.stdout.flush()  # keep problem lines before the summary when both streams go to one place
            errors = exc.error_count
            # Only commands that write say so; `check`, `status` and the like never write anything.
            written = "; nothing was written" if func.__name__ in WRITERS else ""
            click.echo(f"{errors} error{'s' if errors != 1 else ''}{written}.", err=True)
            sys.exit(EXIT_INPUT)
        except UsageError as exc:
            click.echo(printable(f"Error: {exc}"), err=True)
            sys.exit(EXIT_USAGE)
        except OSError as exc:
            click.echo(printable(f"{exc.filename or ''}: {exc.strerror or exc}"), err=True)
            sys.exit(EXIT_INPUT)

    return wrapper


def root_option(func):
    return click.option(
        "--root", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True,
        help="The readiness repository (holds checklists/ and results/).",
    )(func)
