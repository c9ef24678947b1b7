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
    page_keys: dict = field(default_factory=dict)  # docs path of a release page -> cache key of its content
    cache: Any = None  # cache.Cache, read from
    store: Any = None  # the build's cache writer, stored to


current: Optional[BuildState] = None
