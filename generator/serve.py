"""`readiness serve`: build into a temporary directory and serve it, rebuilding when inputs change."""

from __future__ import annotations

import signal
import tempfile
from pathlib import Path

import click


class _Stop(Exception):
    """Raised in the main thread by SIGTERM (or SIGHUP), so the temporary site is removed as on Ctrl+C."""


def _stop(signum, frame) -> None:
    raise _Stop()


def serve_site(root: Path, dev_addr: str) -> None:
    """Serve a live-reloading site; a rebuild with input errors keeps the last good site and prints the errors."""
    from mkdocs.livereload import LiveReloadServer

    from generator.errors import InputError
    from generator.terminal import build_with_progress

    host, _, port = dev_addr.rpartition(":")
    previous = {s: signal.signal(s, _stop) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        with tempfile.TemporaryDirectory(prefix="readiness-serve-") as tmp:
            site_dir = Path(tmp) / "site"

            def rebuild() -> None:
                try:
                    build_with_progress(root, site_dir, strict=False)
                except InputError as exc:
                    for p in exc.problems:
                        click.echo(str(p), err=True)
                    click.echo("inputs have errors; still serving the last good build", err=True)

            build_with_progress(root, site_dir, strict=False)
            server = LiveReloadServer(builder=rebuild, host=host or "127.0.0.1", port=int(port or 8000),
                                      root=str(site_dir))
            for folder in ("checklists", "results"):
                if (root / folder).is_dir():
                    server.watch(str(root / folder))
            if (root / "readiness.yml").exists():
                server.watch(str(root / "readiness.yml"))
            try:
                click.echo(f"serving the site on {server.url} (rebuilt when checklists, results or readiness.yml "
                           "change); Ctrl+C stops", err=True)
                server.serve()
            except (KeyboardInterrupt, _Stop):
                pass
            finally:
                server.shutdown()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
