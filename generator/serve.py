"""`readiness serve`: build into a temporary directory and serve it, rebuilding when inputs change."""

from __future__ import annotations

import re
import signal
import socket
import tempfile
from pathlib import Path

import click

from generator.errors import UsageError


class _Stop(Exception):
    """Raised in the main thread by SIGTERM (or SIGHUP), so the temporary site is removed as on Ctrl+C."""


def _stop(signum, frame) -> None:
    raise _Stop()

# HOST:PORT, HOST a name, an IPv4 address or a bracketed IPv6 address; PORT alone means 127.0.0.1.
_ADDRESS = re.compile(r"(?:(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):)?(?P<port>\d{1,5})\Z")


def parse_address(dev_addr: str) -> tuple[str, int]:
    """(host, port) of `-a`; UsageError (exit 2) for anything that is not HOST:PORT with a port from 1 to 65535."""
    found = _ADDRESS.match(dev_addr)
    port = int(found.group("port")) if found else 0
    if not found or not 1 <= port <= 65535:
        raise UsageError(f"-a/--dev-addr `{dev_addr}`: expected HOST:PORT with a port from 1 to 65535, "
                         "e.g. 127.0.0.1:8000")
    return (found.group("host") or "127.0.0.1").strip("[]"), port


def _check_bind(host: str, port: int, dev_addr: str) -> None:
    """Fail now, before a build, when the address cannot be served on (unknown host, in use, not this machine's)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
            probe.bind(address)
    except OSError as exc:
        raise UsageError(f"-a/--dev-addr `{dev_addr}`: cannot serve there ({exc.strerror or exc})") from None


def serve_site(root: Path, dev_addr: str) -> None:
    """Serve a live-reloading site; a rebuild with input errors keeps the last good site and prints the errors."""
    host, port = parse_address(dev_addr)
    _check_bind(host, port, dev_addr)

    from mkdocs.livereload import LiveReloadServer

    from generator.errors import InputError
    from generator.terminal import build_with_progress

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
            server = LiveReloadServer(builder=rebuild, host=host, port=port, root=str(site_dir))
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
            except OSError as exc:  # taken between the check and now
                raise UsageError(f"-a/--dev-addr `{dev_addr}`: cannot serve there ({exc.strerror or exc})") from None
            finally:
                server.shutdown()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
