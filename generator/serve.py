"""`readiness serve`: build into a temporary directory and serve it, rebuilding when inputs change."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click


def serve_site(root: Path, dev_addr: str) -> None:
    """Serve a live-reloading site; a rebuild with input errors keeps the last good site and prints the errors."""
    from mkdocs.livereload import LiveReloadServer

    from generator.errors import InputError
    from generator.terminal import build_with_progress

    host, _, port = dev_addr.rpartition(":")
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
            server.serve()
        except KeyboardInterrupt:
            pass
        finally:
            server.shutdown()
