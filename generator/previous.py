"""The site the last build published: its unchanged files are linked into the new one instead of being
written again, checked against the build cache's hashes, or against their stamps when nothing has
touched them since (docs/decisions.md, "Building large histories")."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
import time
from pathlib import Path
from typing import Optional

from generator.builddir import MARKER
from generator.cache import Cache, _Writer
from generator.cache import key as cache_key
from generator.pages import Output


class PreviousSite:
    """The site the last build published: a rebuild links its files that are unchanged instead of writing
    them again (most of a long history's site), after checking their bytes against the hash the build
    cache keeps of what they should be, so a file changed since is written afresh."""

    def __init__(self, site_dir: Path, cache: Cache):
        self.root = site_dir if (site_dir / MARKER).is_file() else None
        self.cache = cache
        self.digests: dict[str, str] = {}  # site path -> SHA-256 of the files linked, for the manifest
        self.pending: list[tuple[Output, str, str]] = []  # static outputs to link once MkDocs has built the site
        self.staging: Optional[Path] = None  # where finished pages go until MkDocs has built (write_docs sets it)
        self._stamps: Optional[dict[str, str]] = None

    def later(self, out: Output, entry: str) -> bool:
        """Take a static output to link after MkDocs has built (it clears its site directory first) when the
        previous site may have it; written then from the cache if its file there turns out to differ."""
        digest = self.cache.digest(entry) if self.root is not None else None
        if digest is None:
            return False
        self.pending.append((out, entry, digest))
        return True

    def stage(self, path: str, entry: str) -> bool:
        """Put the finished page the cache holds under `entry` at `path` of the staging folder (moved into
        the site once MkDocs has built it): linked from the previous site when its file has the cache's
        hash, else written from the cache; False, with nothing written, when neither has it."""
        if self.staging is None:
            return False
        target = self.staging / path
        if self.link(path, entry, target):
            return True
        text = self.cache.get(entry)
        if text is None:
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8", "xmlcharrefreplace"))  # as MkDocs writes a page
        return True

    def place(self, site_out: Path, store: Optional[_Writer]) -> None:
        """Link (or, where the previous site's file differs, write) the outputs `later` took."""
        for out, entry, digest in self.pending:
            target = site_out / out.path
            if not self.link(out.path, entry, target, digest):
                text = self.cache.get(entry)
                if text is None:  # gone from the cache since: made again
                    from generator.site import _produce  # a cycle at import time: site.py uses this module

                    text = _produce(out)
                    if store is not None:
                        store.put(entry, text, digest=True)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
        self.pending = []

    def stamps(self) -> dict[str, str]:
        """The previous site's files with their hashes and stamps (see remember_stamps), read once."""
        if self._stamps is None:
            self._stamps = read_stamps(self.cache)
        return self._stamps

    def link(self, path: str, entry: str, target: Path, digest: Optional[str] = None) -> bool:
        """Link the previous site's `path` to `target` when its bytes are the text of cache entry `entry`
        (whose hash, `digest`, the caller may have looked up already): read to check them unless the file
        has the stamp it had when the build that made it finished (see remember_stamps)."""
        if self.root is None:
            return False
        digest = digest or self.cache.digest(entry)
        if digest is None:
            return False
        source = self.root / path
        try:
            fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(fd, "rb") as fh:
                info = os.fstat(fh.fileno())
                if not stat.S_ISREG(info.st_mode):
                    return False
                if self.stamps().get(path) != f"{digest} {_stamp(info)}" and \
                        hashlib.sha256(fh.read()).hexdigest() != digest:
                    return False
            try:
                os.link(source, target, follow_symlinks=False)
            except FileNotFoundError:  # the first file of its folder
                target.parent.mkdir(parents=True, exist_ok=True)
                os.link(source, target, follow_symlinks=False)
        except OSError:  # gone, unreadable, or a file system without links: written as usual
            return False
        self.digests[path] = digest
        self.cache.hits += 1
        return True


STAMPS = cache_key("stamps of the published site's files")


CLOCK_WAIT, CLOCK_WAITS = 0.005, 10  # seconds, times: the file system's clock ticks every few milliseconds


def remember_stamps(cache: Cache, site_dir: Path, digests: dict[str, str]) -> None:
    """Keep the stamp of every file of the site just published (site path -> SHA-256, as in its manifest),
    taken once nothing will write, link, move or unlink it again (removing the old site's links to a file
    changes its ctime too), so the next build links a file with that stamp without reading it: checking
    every byte of a long history's site was most of a rebuild's disk reads."""
    stamps: dict[tuple[str, str], os.stat_result] = {}
    for path, digest in digests.items():
        try:
            stamps[path, digest] = os.stat(site_dir / path, follow_symlinks=False)
        except OSError:
            continue
    newest = max((info.st_ctime_ns for info in stamps.values()), default=0)
    now = _clock(site_dir.parent)
    for _ in range(CLOCK_WAITS):  # the site is done: a clock read later is as good, and leaves fewer racy files
        if now is None or now > newest:
            break
        time.sleep(CLOCK_WAIT)
        now = _clock(site_dir.parent)
    # A file changed within the clock tick of its stamp could be written again in the same tick with the
    # same stamp, so, like git's "racily clean" entries, it gets none and is read next time.
    kept = {path: f"{digest} {_stamp(info)}" for (path, digest), info in stamps.items()
            if now is not None and info.st_ctime_ns < now}
    cache.put(STAMPS, json.dumps(kept, sort_keys=True), None)


def read_stamps(cache: Cache) -> dict[str, str]:
    """The stamps remember_stamps kept; none when the entry is missing or not what it writes."""
    try:
        stamps = json.loads(cache.peek(STAMPS) or "{}")
    except (ValueError, RecursionError):  # a damaged entry: every file is read and hashed as without stamps
        return {}
    if not isinstance(stamps, dict):
        return {}
    return {k: v for k, v in stamps.items() if isinstance(k, str) and isinstance(v, str)}


def _clock(folder: Path) -> Optional[int]:
    """The file system's clock now, read as the ctime of a file made for it (the kernel's clock ticks more
    coarsely than a nanosecond); None if no file can be made there."""
    try:
        fd, name = tempfile.mkstemp(prefix=".readiness-clock-", dir=folder)
    except OSError:
        return None
    try:
        return os.fstat(fd).st_ctime_ns
    except OSError:
        return None
    finally:
        os.close(fd)
        try:  # the site is published by now: a file left over must not fail the build
            os.unlink(name)
        except OSError:
            pass


def _stamp(info: os.stat_result) -> str:
    """What a file's inode says of it, as git's index keeps it: any write since changes its ctime, which
    no user can set back (unlike its mtime), so a file with the stamp it had when linked has its bytes then."""
    return f"{info.st_dev}:{info.st_ino}:{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}"
