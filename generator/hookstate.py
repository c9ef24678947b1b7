"""What the build in progress hands to its MkDocs hooks: MkDocs runs in readiness's process, so site.py sets
this before `mkdocs build` and clears it after, and mkdocs_hooks.py reads it. Without it (a plain
`mkdocs build` of a docs tree readiness wrote) the hooks still work, only without the build cache.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional


class Spill:
    """Release pages held for the hooks in a file of the build folder rather than in memory: a long
    history's compressed pages are a fifth of a first build's peak (200 MB at 10,000 releases), and
    MkDocs reads each once. A page that cannot be written there is kept in memory instead."""

    def __init__(self, path: Path):
        self._fd: Optional[int] = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        self._end = 0
        self._full = False  # once a write fails, pages are kept in memory without trying the disk again
        self._lock = threading.Lock()  # the cache writer's thread holds pages too

    def put(self, blob: bytes) -> "Spilled | bytes":
        with self._lock:
            if self._fd is None or self._full:
                return blob
            start = self._end
            try:
                view = memoryview(blob)
                while view:
                    written = os.pwrite(self._fd, view, self._end)
                    if written <= 0:
                        raise OSError("the build folder took no more bytes")
                    view = view[written:]
                    self._end = start + len(blob) - len(view)
            except OSError:  # a full disk: this page stays in memory, and so do those after it
                self._end = start
                self._full = True
                return blob
            return Spilled(self, start, len(blob))

    def read(self, start: int, size: int) -> bytes:
        with self._lock:
            if self._fd is None:
                raise OSError(f"the build's held pages were closed before page bytes {start}+{size} were read")
            parts, done = [], 0
            while done < size:
                part = os.pread(self._fd, size - done, start + done)
                if not part:
                    raise OSError(f"the build's held pages end before byte {start + size}")
                parts.append(part)
                done += len(part)
            return b"".join(parts)

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


@dataclass(frozen=True, slots=True)
class Spilled:
    """Where Spill put one page's bytes."""

    spill: Spill
    start: int
    size: int

    def read(self) -> bytes:
        return self.spill.read(self.start, self.size)


@dataclass
class BuildState:
    """The build cache as the hooks use it: finished release pages keyed by their content and the theme's inputs."""

    theme_key: str  # hash of what every page's HTML depends on besides its own content (config, nav, versions)
    cache: Any = None  # cache.Cache, read from
    store: Any = None  # the build's cache writer, stored to
    page_keys: dict = field(default_factory=dict)  # docs path of a release page -> cache key of its content
    markdown_keys: dict = field(default_factory=dict)  # docs path of a Markdown page outside the nav -> the same
    finished: set = field(default_factory=set)  # docs paths whose finished page is in the cache
    previous: Any = None  # previous.PreviousSite: the last build's site, whose unchanged pages are linked
    sources: dict = field(default_factory=dict)  # docs path of a release page -> (front, outline, page): see hold
    skipped: dict = field(default_factory=dict)  # docs path of a page MkDocs is not given -> search entries
    after_pages: list = field(default_factory=list)  # what the hooks do once every page is built
    lost: set = field(default_factory=set)  # final keys whose entry turned out unreadable this build
    spill: Optional[Spill] = None  # where whole pages are held, when the build gives a folder for it

    def hold(self, src_uri: str, front: str, outline: str, page: "str | bytes") -> None:
        """Keep a release page for the hooks, its outline and text compressed (cache.encode) until MkDocs reads
        them: thousands are held at once, and a text with an emoji in it takes four bytes a character. The
        whole page goes to `spill` when there is one; the outline, a kilobyte or two, stays in memory."""
        from generator.cache import encode

        kept = encode(outline)
        if page is outline:
            body: "bytes | Spilled" = kept
        else:
            body = page if isinstance(page, bytes) else encode(page)
            if self.spill is not None:
                body = self.spill.put(body)
        self.sources[src_uri] = (front, kept, body)

    def final_key(self, src_uri: str, content_key: str) -> str:
        """The cache key of a page as MkDocs finished it: its content and what every page shares."""
        from generator.cache import key

        return key("final page", self.theme_key, src_uri, content_key)

    def search_key(self, src_uri: str, content_key: str) -> str:
        """The cache key of a release page's search entries: like its finished HTML, made from its content alone."""
        from generator.cache import key

        return key("release search entries", self.theme_key, src_uri, content_key)

    def skip(self, src_uri: str, content_key: str, *keep: str) -> bool:
        """Whether MkDocs can do without this page (a release page, or a Markdown page no other page's HTML
        depends on, see pages.Output.alone): the last build finished it and indexed it for
        search from the same inputs, and the finished page is in place for the site (see
        previous.PreviousSite.stage); the hooks add its search entries where MkDocs would have (order_key).
        `keep` names the entries it was made from, kept for a later build that must finish it again."""
        if self.cache is None or getattr(self.previous, "staging", None) is None or \
                not src_uri.endswith("/index.md"):
            return False
        from generator.mkdocs_hooks import search_entries

        final = self.final_key(src_uri, content_key)
        entries = search_entries(self.cache.get(self.search_key(src_uri, content_key)))
        if entries is None:
            return False
        if not self.previous.stage(src_uri[:-len(".md")] + ".html", final):
            self.lost.add(final)  # neither the previous site nor the cache has it: MkDocs finishes it again
            return False
        self.cache.keep(final, *keep)
        self.cache.hits += 1  # the page as rendered: reused without being read
        self.skipped[src_uri] = entries
        return True

    def is_finished(self, src_uri: str, content_key: str) -> bool:
        """Whether the last build finished this page from the same inputs (then only its outline is needed)."""
        final = self.final_key(src_uri, content_key)
        if self.cache is None or final in self.lost or not self.cache.has(final):
            return False
        self.finished.add(src_uri)
        return True


def order_key(state: Optional[BuildState], src_uri: str) -> tuple:
    """Where MkDocs takes a page, for search and the sitemap: the docs folder's pages as mkdocs.structure.files
    walks it (a folder's files, `index` first, before its subfolders, each by name), then the release pages
    the hooks add (on_files), by path. A page MkDocs is not given goes in at its place by this key."""
    if state is not None and src_uri in state.page_keys:
        return (1, src_uri)
    *folders, name = src_uri.split("/")
    stem = name.rsplit(".", 1)[0]
    return (0, [(1, f) for f in folders] + [(0, (stem not in ("index", "README"), name))])


current: Optional[BuildState] = None
