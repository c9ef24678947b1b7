"""Build cache: results files as loaded, evaluations in brief and outputs as rendered by the last build, keyed by input hashes.

A long history changes one results file at a time; the other releases' files, checklist versions, git
history and findings are the same, so their loaded data and rendered pages are too. Like coverage.py's
HTML report, every entry is keyed by a hash of everything it was made from plus the generator's own
fingerprint (its code, templates and assets), so a change to any of those makes a fresh entry and
stale content cannot be served. The cache lives outside the repository, in the user's cache directory
(`$READINESS_CACHE_DIR`, else `$XDG_CACHE_HOME/readiness`, else `~/.cache/readiness`), one SQLite file
per project directory, so a clone cannot plant entries. After a build only the entries that build used
are kept.

What is stored is data that cannot run code when read: text, and JSON of known shapes (cachecodec.py),
never pickles. The cache is used only when its folder and files are the building user's own and nobody
else may write them (checked without following links): a cache another user could write would let them
choose what the site shows. Any problem with the cache (not trusted, unwritable, a folder where the file
should be, corrupt, locked, a full disk) means building without it and one warning, never a failed or a
stuck build: storing runs on a thread the build never waits on for ever.
"""

from __future__ import annotations

import functools
import hashlib
import os
import queue
import sqlite3
import stat
import sys
import threading
import time
import zlib
from pathlib import Path
from typing import Any, Callable, Optional

from generator import __version__
from generator.cachecodec import CodecError, Shape
from generator.errors import Location, Problem
from generator.source import kind_of

PACKAGE = Path(__file__).parent
SCHEMA = 2
DIGEST = "sha256:"  # prefix of the entry holding the hash of another entry's text (kept while that one is)
BUSY_SECONDS = 5  # how long one SQLite statement waits for another build's lock before the cache is given up
STALL_SECONDS = 60  # how long the build waits for a writer that makes no progress at all
_TEXT, _DATA = b"s", b"j"  # the kinds of stored values: UTF-8 text, JSON of a Shape
_REPORT = threading.Lock()


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


def cache_path(root: Path, directory: Optional[Path] = None) -> Path:
    """The cache file of the project at `root`: one per project directory, in the cache folder."""
    return (directory or cache_dir()) / f"{hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:24]}.sqlite3"


def encode(value: str) -> bytes:
    """Text as stored (pages and exports, most of the cache): UTF-8, compressed."""
    return _TEXT + zlib.compress(value.encode("utf-8", "surrogatepass"), 1)


def decode(blob: bytes) -> str:
    """The text `encode` stored; ValueError (zlib.error, UnicodeDecodeError) for anything else."""
    if blob[:1] != _TEXT:
        raise ValueError("not a stored text")
    return zlib.decompress(blob[1:]).decode("utf-8", "surrogatepass")


def _encode(value: Any, shape: Optional[Shape]) -> bytes:
    if shape is None:
        if type(value) is not str:
            raise CodecError("only text is stored without a shape")
        return encode(value)
    return _DATA + zlib.compress(shape.dumps(value).encode("utf-8", "surrogatepass"), 1)


def _decode(blob: bytes, shape: Optional[Shape]) -> Any:
    if shape is None:
        return decode(blob)
    if blob[:1] != _DATA:
        raise CodecError("not stored data")
    return shape.loads(zlib.decompress(blob[1:]).decode("utf-8", "surrogatepass"))


def text_digest(text: str) -> str:
    """SHA-256 of the bytes MkDocs writes for a page (and readiness for a file) from this text."""
    return hashlib.sha256(text.encode("utf-8", "xmlcharrefreplace")).hexdigest()


def untrusted(path: Path, folder: bool) -> Optional[str]:
    """Why the cache folder or file at `path` must not be used (None when it is the user's own and only
    theirs to write), without following a link; a missing path is fine (it will be created as needed)."""
    what = "folder" if folder else "file"
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"the cache {what} cannot be examined ({exc.strerror or exc})"
    kind = kind_of(st.st_mode)
    if folder and kind != "a folder":
        return f"the cache folder is {kind or 'a file'}"
    if not folder and kind is not None:
        return f"the cache file is {kind}"
    if st.st_uid != os.geteuid():
        return f"the cache {what} belongs to another user (uid {st.st_uid}, not {os.geteuid()})"
    if st.st_mode & 0o022:
        return f"the cache {what} may be written by other users (mode {stat.S_IMODE(st.st_mode):04o})"
    return None


class Cache:
    """Entries of one project: read during a build, written only by the build stage (see site.py)."""

    def __init__(self, root: Path, directory: Optional[Path] = None):
        self.path = cache_path(root, directory)
        self._db: Optional[sqlite3.Connection] = None
        self._used: set[str] = set()
        self._digests: Optional[dict[str, bytes]] = None  # every stored hash, read in one query (see digest)
        # Loaded releases, summaries and findings: stored when the writer closes.
        self._pending: dict[str, tuple[Any, Optional[Shape]]] = {}
        self.hits = self.misses = 0
        self.problem: Optional[Problem] = None  # the first cache problem, reported once as a warning
        self.usable = self._check()
        if self.usable and self.path.parent.resolve().is_relative_to(root.resolve()):
            # A cache a commit can hold is not the user's: its entries could be made to fit any site.
            self.fail("the cache folder is inside the repository, where a commit could put one; use a folder "
                      "outside it", self.path.parent)
        if self.usable and os.path.lexists(self.path):
            try:
                self._db = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None)
                self._db.execute("SELECT 1 FROM entries LIMIT 1")
            except sqlite3.DatabaseError as exc:
                self._close_reader()
                if _damaged(exc):  # the writer starts it again
                    self.report(f"the cache file is damaged ({exc}) and is started afresh")
                else:
                    self.fail(f"the cache file cannot be read ({exc})")
            if self._db is not None and not self._check():  # what was opened is what was checked
                self._close_reader()

    def _check(self, reading: bool = True) -> bool:
        """Whether the cache folder and files may be used; otherwise the reason is the build's warning (and,
        from the build's own thread, reading stops too: the writer's thread leaves the reader alone)."""
        checks = [(self.path.parent, True)] + [(Path(f"{self.path}{s}"), False) for s in ("", "-wal", "-shm")]
        for path, folder in checks:
            reason = untrusted(path, folder)
            if reason:
                if reading:
                    self.fail(reason, path)
                else:
                    self.usable = False
                    self.report(reason, path)
                return False
        return True

    def fail(self, reason: str, where: Optional[Path] = None) -> None:
        """Stop reading the cache (and storing, if not started) for the rest of this build; see report."""
        self.usable = False
        self._close_reader()
        self.report(reason, where)

    def report(self, reason: str, where: Optional[Path] = None, stored: bool = False) -> None:
        """Keep the first cache problem of the build, to be shown as its one warning (any thread may call);
        `stored`: the problem is in storing what this build made, reading went on."""
        consequence = ("build cache not updated", "the next build will not find what this one made in it") if stored \
            else ("build cache not used", "the site is built without it")
        with _REPORT:
            if self.problem is None:
                self.problem = Problem(Location(str(where or self.path)), f"{consequence[0]}: {reason}; "
                                       f"{consequence[1]} (fix or remove the cache, or build with --no-cache)",
                                       "warning")

    def _close_reader(self) -> None:
        if self._db is not None:
            try:
                self._db.close()
            except sqlite3.Error:
                pass
            self._db = None

    def _row(self, entry: str) -> Optional[bytes]:
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT value FROM entries WHERE key = ?", (entry,)).fetchone()
        except sqlite3.Error as exc:
            self.fail(f"the cache file cannot be read ({exc})")
            return None
        return row[0] if row else None

    def get(self, entry: str, shape: Optional[Shape] = None) -> Optional[Any]:
        """The value stored under `entry` by an earlier build (text, or data of `shape`), or None."""
        blob = self._row(entry)
        value = None
        if blob is not None:
            try:
                value = _decode(blob, shape)
            except (ValueError, zlib.error, TypeError):  # CodecError is a ValueError
                value = None
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
            self._used.add(entry)
        return value

    def peek(self, entry: str) -> Optional[str]:
        """The text under `entry`, or None, neither counted as a hit nor kept: for bookkeeping entries such as
        the stamps of the previous site's files, which the build replaces as it reads them."""
        blob = self._row(entry)
        try:
            return decode(blob) if blob is not None else None
        except (ValueError, zlib.error):
            return None

    def has(self, entry: str) -> bool:
        """Whether an earlier build stored `entry` (counted as used, so it is kept)."""
        if self._db is None:
            return False
        try:
            found = self._db.execute("SELECT 1 FROM entries WHERE key = ?", (entry,)).fetchone() is not None
        except sqlite3.Error as exc:
            self.fail(f"the cache file cannot be read ({exc})")
            return False
        if found:
            self._used.add(entry)
        return found

    def keep(self, *entries: str) -> None:
        """Keep entries this build did not read (a release page MkDocs is not given) for the builds after it."""
        for entry in entries:
            self._used.add(entry)
            self._used.add(DIGEST + entry)

    def digest(self, entry: str) -> Optional[str]:
        """The SHA-256 of text stored with `digest=True` under `entry` (as UTF-8), without reading the text.
        A rebuild asks for the hash of nearly every file of the previous site: they are read in one query,
        the first time, rather than one query each (0.45 s of a rebuild at 10,000 releases)."""
        if self._digests is None:
            self._digests = {}
            if self._db is not None:
                try:  # the entries whose keys start with DIGEST, as SQLite compares text: byte by byte
                    rows = self._db.execute("SELECT key, value FROM entries WHERE key >= ? AND key < ?",
                                            (DIGEST, DIGEST[:-1] + chr(ord(DIGEST[-1]) + 1)))
                    self._digests = {k[len(DIGEST):]: v for k, v in rows if isinstance(k, str)}
                except sqlite3.Error as exc:
                    self.fail(f"the cache file cannot be read ({exc})")
        blob = self._digests.get(entry) if self._db is not None else None  # none once reading has stopped
        try:
            digest = decode(blob) if blob is not None else None
        except (ValueError, zlib.error):
            return None
        if digest is not None:  # the text is kept with its hash: the next build may need either
            self._used.add(entry)
        return digest

    def put(self, entry: str, value: Any, shape: Optional[Shape]) -> None:
        """Remember `value` (data of `shape`, or text when None) for the next build; stored when the build's
        writer closes."""
        self._used.add(entry)
        self._pending[entry] = (value, shape)

    def writer(self) -> "_Writer":
        """Storage for the build stage: entries written as they are made, committed together at the end."""
        return _Writer(self)


def _damaged(exc: sqlite3.DatabaseError) -> bool:
    """Whether SQLite says the file is not a database (or a damaged one), as opposed to a lock, a read-only
    file or a full disk."""
    return not isinstance(exc, sqlite3.OperationalError) or "malformed" in str(exc) or "not a database" in str(exc)


class _Writer:
    """Stores entries from a thread of its own, which owns the database connection: compressing and
    writing a thousand pages then overlaps with rendering them (zlib and SQLite release the GIL).

    Whatever goes wrong while storing, every value put is still given to its `keep` (the build needs the
    pages), the cache is given up with one warning, and no call here waits on the thread for ever: a thread
    that died or stopped making progress is done without."""

    _CLOSE, _SYNC = object(), object()

    def __init__(self, cache: Cache):
        self.cache = cache
        self.queue: queue.Queue = queue.Queue(maxsize=64)  # bounded: pages wait here, not pile up in memory
        self.progress = 0  # items the thread has taken; the build gives up waiting when it stops moving
        self.current = self.orphan = None  # the item the thread is on; the one it was on when it died
        self.thread: Optional[threading.Thread] = threading.Thread(target=self._run, name="readiness-cache",
                                                                     daemon=True)
        self.thread.start()

    def put(self, entry: str, value: Any, digest: bool = False, keep: Optional[Callable[[bytes], None]] = None,
            shape: Optional[Shape] = None) -> None:
        """Store `value` soon (rendered pages are large: they are not kept in memory until the end); with
        `digest`, the hash of the text as written to the site too, so a rebuild can find it there; `keep`
        is given the value as stored (compressed), whether or not the cache can store it (see sync)."""
        self.cache._used.add(entry)
        if not self._send((entry, value, digest, keep, shape)) and keep is not None:
            keep(encode(value))

    def sync(self) -> None:
        """Wait until every value put so far is stored and given to its `keep`."""
        done = threading.Event()
        if self._send((self._SYNC, done, False, None, None)):
            self._wait(done.is_set)
        self._drain()

    def close(self, commit: bool = True) -> None:
        """Commit what this build made and used, dropping every other entry so the cache holds one build;
        or, without `commit`, keep the cache as it was."""
        if self.thread is None:
            return
        if commit:
            for entry, (value, shape) in self.cache._pending.items():
                self._send((entry, value, False, None, shape))
        thread = self.thread
        if self._send((self._CLOSE, commit, False, None, None)):
            self._wait(lambda: not thread.is_alive())
        self._drain()
        self.thread = None

    def _send(self, item: tuple) -> bool:
        """Queue an item for the thread; False when there is no thread to take it (it is then done here)."""
        if self.thread is None:
            return False
        last, since = self.progress, time.monotonic()
        while self.thread.is_alive():
            try:
                self.queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                if self.progress != last:
                    last, since = self.progress, time.monotonic()
                elif time.monotonic() - since > STALL_SECONDS:
                    self._stop("the cache writer stopped responding")
                    return False
        self._stop("the cache writer stopped")
        return False

    def _wait(self, done: Callable[[], bool]) -> None:
        """Until `done()`, or until the thread is gone or stuck (then the build goes on without it)."""
        last, since = self.progress, time.monotonic()
        while not done():
            if self.thread is None or not self.thread.is_alive():
                if not done():
                    self._stop("the cache writer stopped")
                return
            if self.progress != last:
                last, since = self.progress, time.monotonic()
            elif time.monotonic() - since > STALL_SECONDS:
                self._stop("the cache writer stopped responding")
                return
            time.sleep(0.005)

    def _stop(self, reason: str) -> None:
        """Go on without the thread: what it has not taken is given to its `keep` here (_drain)."""
        self.cache.report(reason, stored=True)
        self.thread = None

    def _drain(self) -> None:
        """Values queued for a thread that is gone: given to their `keep`, not stored."""
        if self.thread is not None and self.thread.is_alive():
            return
        while True:
            try:
                orphan, self.orphan = self.orphan, None
                entry, value, _, keep, _ = orphan or self.queue.get_nowait()
            except queue.Empty:
                return
            if entry is self._SYNC:
                value.set()
            elif keep is not None:
                keep(encode(value))

    def _run(self) -> None:
        self.db = None
        try:
            self._serve()
        except BaseException as exc:  # even what is no error ends only this thread: the build does without it
            self.db = self._abandon(self.db, f"the cache writer stopped ({type(exc).__name__})")
            self.orphan = self.current  # what it was doing is done by _drain

    def _serve(self) -> None:
        try:
            self.db = self._open()
        except Exception as exc:  # whatever it is, the build goes on without storing
            self.db = self._abandon(None, f"the cache cannot be opened ({exc!r})")
        while True:
            item = self.current = self.queue.get()
            self.progress += 1
            try:
                if not self._store(*item):
                    break
            except Exception as exc:
                self.db = self._abandon(self.db, f"the cache writer failed ({exc!r})")
        self._finish()

    def _store(self, entry: Any, value: Any, digest: bool, keep: Optional[Callable[[bytes], None]],
               shape: Optional[Shape]) -> bool:
        """Handle one queued item; False once it is the last (close)."""
        if entry is self._SYNC:
            value.set()
            return True
        if entry is self._CLOSE:
            self.commit = value
            return False
        try:
            blob = _encode(value, shape)
        except CodecError:  # a value the cache cannot hold: not stored, the rest is
            return True
        if keep is not None:
            keep(blob)
        if self.db is not None:
            try:
                self.db.execute("INSERT OR REPLACE INTO entries (key, value) VALUES (?, ?)", (entry, blob))
                if digest:
                    self.db.execute("INSERT OR REPLACE INTO entries (key, value) VALUES (?, ?)",
                                    (DIGEST + entry, encode(text_digest(value))))
            except sqlite3.Error as exc:
                self.db = self._abandon(self.db, f"the cache file cannot be written ({exc})")
        return True

    def _finish(self) -> None:
        """Commit (keeping only the entries this build used) or roll back, then close."""
        db, self.db = self.db, None
        if db is None:
            return
        try:
            if getattr(self, "commit", False):
                db.execute("CREATE TEMP TABLE used (key TEXT PRIMARY KEY)")
                db.executemany("INSERT OR IGNORE INTO used VALUES (?), (?)", ((k, DIGEST + k) for k in self.cache._used))
                db.execute("DELETE FROM entries WHERE key NOT IN (SELECT key FROM used)")
                db.execute("COMMIT")
            else:
                db.execute("ROLLBACK")
            db.close()
        except sqlite3.Error as exc:
            self._abandon(db, f"the cache file cannot be written ({exc})")

    def _open(self) -> Optional[sqlite3.Connection]:
        """The database, checked and in a transaction; None (with the reason kept) when it cannot be used."""
        cache, path = self.cache, self.cache.path
        if not cache.usable:
            return None
        for attempt in range(2):
            db = None
            try:
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                if not cache._check(reading=False):
                    return None
                try:  # created here, so only its owner may read or write it (SQLite gives -wal the same mode)
                    os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
                except FileExistsError:
                    pass
                db = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
                db.execute("BEGIN")
                if not cache._check(reading=False):  # SQLite made -wal and -shm: they are checked too
                    return self._abandon(db)
                return db
            except sqlite3.DatabaseError as exc:
                if attempt == 0 and _damaged(exc) and cache._check(reading=False):  # a damaged file: started again
                    self._abandon(db)
                    try:
                        path.unlink()
                    except OSError as unlink:
                        return self._abandon(None, f"the cache file is damaged and cannot be replaced "
                                             f"({unlink.strerror})")
                    continue
                return self._abandon(db, f"the cache file cannot be opened for writing ({exc})")
            except OSError as exc:
                return self._abandon(db, f"the cache cannot be created ({exc.strerror or exc})")
        return None

    def _abandon(self, db: Optional[sqlite3.Connection], reason: Optional[str] = None) -> None:
        """Close `db` without committing (None, for the caller to keep); `reason` is the build's warning."""
        if reason is not None:
            self.cache.report(reason, stored=True)
        if db is not None:
            try:
                db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            try:
                db.close()
            except sqlite3.Error:
                pass
        return None


class NoCache(Cache):
    """`--no-cache`: nothing is read or stored."""

    def __init__(self) -> None:  # noqa: D107 - no file at all
        self.path = Path(os.devnull)
        self._db = None
        self._used, self._pending = set(), {}
        self._digests = {}
        self.hits = self.misses = 0
        self.problem = None
        self.usable = False

    def writer(self) -> "_Writer":
        writer = _Writer.__new__(_Writer)
        writer.cache, writer.thread, writer.progress, writer.current, writer.orphan = self, None, 0, None, None
        writer.queue = queue.Queue()
        return writer
