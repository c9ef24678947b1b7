"""Build cache: results files as loaded and release outputs as rendered by the last build, keyed by input hashes.

A long history changes one results file at a time; the other releases' files, checklist versions, git
history and findings are the same, so their loaded data and rendered pages are too. Like coverage.py's
HTML report, every entry is keyed by a hash of everything it was made from plus the generator's own
fingerprint (its code, templates and assets), so a change to any of those makes a fresh entry and
stale content cannot be served. The cache lives outside the repository, in the user's cache directory
(`$READINESS_CACHE_DIR`, else `$XDG_CACHE_HOME/readiness`, else `~/.cache/readiness`), one SQLite file
per project directory, so a clone cannot plant entries. After a build only the entries that build used
are kept. Any problem with the cache (unwritable, corrupt, locked) means building without it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import sqlite3
import sys
import zlib
from pathlib import Path
from typing import Any, Optional

from generator import __version__

PACKAGE = Path(__file__).parent
SCHEMA = 1


@functools.lru_cache(maxsize=1)
def generator_key() -> str:
    """A hash of the generator's version, Python version, code, templates and assets: any change rebuilds all."""
    digest = hashlib.sha256(f"readiness {__version__} schema {SCHEMA} python {sys.version}".encode())
    for path in sorted(PACKAGE.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def key(*parts: Any) -> str:
    """An entry's key: the generator's fingerprint and the given inputs (their reprs, which are stable)."""
    digest = hashlib.sha256(generator_key().encode())
    for part in parts:
        digest.update(b"\0" + repr(part).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def cache_dir() -> Path:
    configured = os.environ.get("READINESS_CACHE_DIR", "").strip()
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(xdg) if xdg else Path.home() / ".cache") / "readiness"


class Cache:
    """Entries of one project: read during a build, written only by the build stage (see site.py)."""

    def __init__(self, root: Path, directory: Optional[Path] = None):
        self.path = (directory or cache_dir()) / f"{hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:24]}.sqlite3"
        self._db: Optional[sqlite3.Connection] = None
        self._used: set[str] = set()
        self._pending: dict[str, Any] = {}  # loaded releases, pickled when saved (they are in memory anyway)
        self.hits = self.misses = 0
        try:
            if self.path.is_file():
                self._db = sqlite3.connect(self.path, timeout=5, isolation_level=None)
                self._db.execute("SELECT 1 FROM entries LIMIT 1")
        except (sqlite3.Error, OSError):
            self._db = None

    def get(self, entry: str) -> Optional[Any]:
        """The value stored under `entry` by an earlier build, or None."""
        value = None
        if self._db is not None:
            try:
                row = self._db.execute("SELECT value FROM entries WHERE key = ?", (entry,)).fetchone()
                value = pickle.loads(zlib.decompress(row[0])) if row else None
            except (sqlite3.Error, zlib.error, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
                value = None
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
            self._used.add(entry)
        return value

    def put(self, entry: str, value: Any) -> None:
        """Remember `value` for the next build; stored by save()."""
        self._used.add(entry)
        self._pending[entry] = value

    def writer(self) -> "_Writer":
        """Storage for the build stage: entries written as they are made, committed together at the end."""
        return _Writer(self)


class _Writer:
    def __init__(self, cache: Cache):
        self.cache = cache
        self.db: Optional[sqlite3.Connection] = None
        for attempt in range(2):
            try:
                cache.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                self.db = sqlite3.connect(cache.path, timeout=5, isolation_level=None)
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
                self.db.execute("BEGIN")
                return
            except sqlite3.DatabaseError:  # not a database (a damaged file): start it again
                self.close(commit=False)
                if attempt == 0:
                    cache.path.unlink(missing_ok=True)
            except (sqlite3.Error, OSError):
                self.close(commit=False)
                return

    def put(self, entry: str, value: Any) -> None:
        """Store now (rendered pages are large: they are not kept in memory until the end)."""
        self.cache._used.add(entry)
        self._store(entry, value)

    def _store(self, entry: str, value: Any) -> None:
        if self.db is None:
            return
        try:
            blob = zlib.compress(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), 1)
            self.db.execute("INSERT OR REPLACE INTO entries (key, value) VALUES (?, ?)", (entry, blob))
        except (sqlite3.Error, pickle.PicklingError):
            self.close(commit=False)

    def close(self, commit: bool = True) -> None:
        """Commit what this build made and used; drop every other entry, so the cache holds one build."""
        if self.db is None:
            return
        try:
            if commit:
                for entry, value in self.cache._pending.items():
                    self._store(entry, value)
            if self.db is not None and commit:
                self.db.execute("CREATE TEMP TABLE used (key TEXT PRIMARY KEY)")
                self.db.executemany("INSERT OR IGNORE INTO used VALUES (?)", ((k,) for k in self.cache._used))
                self.db.execute("DELETE FROM entries WHERE key NOT IN (SELECT key FROM used)")
                self.db.execute("COMMIT")
            elif self.db is not None:
                self.db.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        finally:
            if self.db is not None:
                self.db.close()
            self.db = None


class NoCache(Cache):
    """`--no-cache`: nothing is read or stored."""

    def __init__(self) -> None:  # noqa: D107 - no file at all
        self.path = Path(os.devnull)
        self._db = None
        self._used, self._pending = set(), {}
        self.hits = self.misses = 0

    def writer(self) -> "_Writer":
        writer = _Writer.__new__(_Writer)
        writer.cache, writer.db = self, None
        return writer
