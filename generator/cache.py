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
import queue
import sqlite3
import sys
import threading
import zlib
from pathlib import Path
from typing import Any, Callable, Optional

from generator import __version__

PACKAGE = Path(__file__).parent
SCHEMA = 1
DIGEST = "sha256:"  # prefix of the entry holding the hash of another entry's text (kept while that one is)


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


def encode(value: Any) -> bytes:
    """Text as UTF-8 (pages and exports, most of the cache), anything else pickled; compressed either way."""
    if isinstance(value, str):
        return b"s" + zlib.compress(value.encode("utf-8", "surrogatepass"), 1)
    return b"p" + zlib.compress(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), 1)


def decode(blob: bytes) -> Any:
    kind, data = blob[:1], zlib.decompress(blob[1:])
    return data.decode("utf-8", "surrogatepass") if kind == b"s" else pickle.loads(data)


def text_digest(text: str) -> str:
    """SHA-256 of the bytes MkDocs writes for a page (and readiness for a file) from this text."""
    return hashlib.sha256(text.encode("utf-8", "xmlcharrefreplace")).hexdigest()


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
                value = decode(row[0]) if row else None
            except (sqlite3.Error, zlib.error, pickle.UnpicklingError, EOFError, AttributeError, ImportError,
                    UnicodeDecodeError):
                value = None
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
            self._used.add(entry)
        return value

    def has(self, entry: str) -> bool:
        """Whether an earlier build stored `entry` (counted as used, so it is kept)."""
        if self._db is None:
            return False
        try:
            found = self._db.execute("SELECT 1 FROM entries WHERE key = ?", (entry,)).fetchone() is not None
        except sqlite3.Error:
            return False
        if found:
            self._used.add(entry)
        return found

    def digest(self, entry: str) -> Optional[str]:
        """The SHA-256 of text stored with `digest=True` under `entry` (as UTF-8), without reading the text."""
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT value FROM entries WHERE key = ?", (DIGEST + entry,)).fetchone()
            digest = decode(row[0]) if row else None
        except (sqlite3.Error, zlib.error, UnicodeDecodeError):
            return None
        if digest is not None:  # the text is kept with its hash: the next build may need either
            self._used.add(entry)
        return digest

    def put(self, entry: str, value: Any) -> None:
        """Remember `value` for the next build; stored when the build's writer closes."""
        self._used.add(entry)
        self._pending[entry] = value

    def writer(self) -> "_Writer":
        """Storage for the build stage: entries written as they are made, committed together at the end."""
        return _Writer(self)


class _Writer:
    """Stores entries from a thread of its own, which owns the database connection: compressing and
    writing a thousand pages then overlaps with rendering them (zlib and SQLite release the GIL)."""

    _CLOSE = object()

    def __init__(self, cache: Cache):
        self.cache = cache
        self.queue: queue.Queue = queue.Queue(maxsize=64)  # bounded: pages wait here, not pile up in memory
        self.thread: Optional[threading.Thread] = threading.Thread(target=self._run, name="readiness-cache",
                                                                     daemon=True)
        self.thread.start()

    def put(self, entry: str, value: Any, digest: bool = False, keep: Optional[Callable[[bytes], None]] = None) -> None:
        """Store `value` soon (rendered pages are large: they are not kept in memory until the end); with
        `digest`, the hash of the text as written to the site too, so a rebuild can find it there; `keep`
        is given the value as stored (compressed), whether or not the cache can store it (see sync)."""
        self.cache._used.add(entry)
        if self.thread is not None:
            self.queue.put((entry, value, digest, keep))
        elif keep is not None:
            keep(encode(value))

    def sync(self) -> None:
        """Wait until every value put so far is stored and given to its `keep`."""
        if self.thread is not None:
            self.queue.join()

    def close(self, commit: bool = True) -> None:
        """Commit what this build made and used, dropping every other entry so the cache holds one build;
        or, without `commit`, keep the cache as it was."""
        if self.thread is None:
            return
        if commit:
            for entry, value in self.cache._pending.items():
                self.queue.put((entry, value, False, None))
        self.queue.put((self._CLOSE, commit, False, None))
        self.thread.join()
        self.thread = None

    def _run(self) -> None:
        db = self._open()
        while True:
            entry, value, digest, keep = self.queue.get()
            try:
                if entry is self._CLOSE:
                    break
                try:
                    blob = encode(value)
                except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
                    db = self._abandon(db)
                    continue
                if keep is not None:
                    keep(blob)
                if db is None:
                    continue
                try:
                    db.execute("INSERT OR REPLACE INTO entries (key, value) VALUES (?, ?)", (entry, blob))
                    if digest:
                        db.execute("INSERT OR REPLACE INTO entries (key, value) VALUES (?, ?)",
                                   (DIGEST + entry, encode(text_digest(value))))
                except sqlite3.Error:
                    db = self._abandon(db)
            finally:
                self.queue.task_done()
        if db is not None:
            try:
                if value:  # commit
                    db.execute("CREATE TEMP TABLE used (key TEXT PRIMARY KEY)")
                    db.executemany("INSERT OR IGNORE INTO used VALUES (?), (?)",
                                   ((k, DIGEST + k) for k in self.cache._used))
                    db.execute("DELETE FROM entries WHERE key NOT IN (SELECT key FROM used)")
                    db.execute("COMMIT")
                else:
                    db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            db.close()

    def _open(self) -> Optional[sqlite3.Connection]:
        path = self.cache.path
        for attempt in range(2):
            db = None
            try:
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                db = sqlite3.connect(path, timeout=5, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
                db.execute("BEGIN")
                return db
            except sqlite3.DatabaseError:  # not a database (a damaged file): start it again
                self._abandon(db)
                if attempt == 0:
                    path.unlink(missing_ok=True)
            except (sqlite3.Error, OSError):
                self._abandon(db)
                return None
        return None

    @staticmethod
    def _abandon(db: Optional[sqlite3.Connection]) -> None:
        if db is not None:
            try:
                db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            db.close()
        return None


class NoCache(Cache):
    """`--no-cache`: nothing is read or stored."""

    def __init__(self) -> None:  # noqa: D107 - no file at all
        self.path = Path(os.devnull)
        self._db = None
        self._used, self._pending = set(), {}
        self.hits = self.misses = 0

    def writer(self) -> "_Writer":
        writer = _Writer.__new__(_Writer)
        writer.cache, writer.thread = self, None
        return writer
