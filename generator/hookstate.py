"""What the build in progress hands to its MkDocs hooks: MkDocs runs in readiness's process, so site.py sets
this before `mkdocs build` and clears it after, and mkdocs_hooks.py reads it. Without it (a plain
`mkdocs build` of a docs tree readiness wrote) the hooks still work, only without the build cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass
class BuildState:
    """The build cache as the hooks use it: finished release pages keyed by their content and the theme's inputs."""

    theme_key: str  # hash of what every page's HTML depends on besides its own content (config, nav, versions)
    cache: Any = None  # cache.Cache, read from
    store: Any = None  # the build's cache writer, stored to
    page_keys: dict = field(default_factory=dict)  # docs path of a release page -> cache key of its content
    finished: set = field(default_factory=set)  # docs paths whose finished page is in the cache
    previous: Any = None  # site.PreviousSite: the last build's site, whose unchanged pages are linked
    sources: dict = field(default_factory=dict)  # docs path of a release page -> (front matter, outline, page)

    def final_key(self, src_uri: str, content_key: str) -> str:
        """The cache key of a page as MkDocs finished it: its content and what every page shares."""
        from generator.cache import key

        return key("final page", self.theme_key, src_uri, content_key)

    def is_finished(self, src_uri: str, content_key: str) -> bool:
        """Whether the last build finished this page from the same inputs (then only its outline is needed)."""
        if self.cache is None or not self.cache.has(self.final_key(src_uri, content_key)):
            return False
        self.finished.add(src_uri)
        return True


current: Optional[BuildState] = None
