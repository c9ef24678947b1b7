"""Build stage: writes the docs tree and mkdocs.yml into a temporary directory, runs mkdocs, swaps the site in.

This is the only module that writes files (apart from `readiness new`, which creates one results file).
An existing site is replaced only after a build succeeded, so a failed build leaves it as it was.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional

import yaml

from generator import hookstate
from generator.bundle import key_digest, place_bundles
from generator.builddir import MARKER, build_folder, check_site_dir, publish, remove_stale, write_failure
from generator.cache import Cache, _Writer
from generator.cache import key as cache_key
from generator.errors import InputError, Location, Problem
from generator.outputs import site_outputs
from generator.pages import PRERENDERED, Output, SiteData, nav
from generator.previous import PreviousSite, remember_stamps
from generator.render import render
from generator.verify import MANIFEST, manifest, sign_manifest

ASSETS = Path(__file__).parent / "assets"
OVERRIDES = Path(__file__).parent / "overrides"  # theme partials readiness changes (accessibility)
HOOKS = Path(__file__).parent / "mkdocs_hooks.py"
SHIM = "assets/javascripts/iframe-worker/shim.js"


def mkdocs_config(site: SiteData, docs_dir: Path, site_dir: Path) -> dict:
    """The mkdocs.yml for the generated docs: Material, offline from disk, no external request."""
    config = site.config
    cfg = {
        "site_name": config["site_name"],
        "docs_dir": str(docs_dir),
        "site_dir": str(site_dir),
        "nav": nav(site),
        "theme": {
            "name": "material",
            "custom_dir": str(OVERRIDES),
            "font": False,  # no Google Fonts: the site must work offline
            "features": ["navigation.top", "search.highlight", "content.tooltips"],
            "palette": [
                {"media": "(prefers-color-scheme: light)", "scheme": "default", "primary": "indigo",
                 "toggle": {"icon": "material/weather-night", "name": "Switch to dark mode"}},
                {"media": "(prefers-color-scheme: dark)", "scheme": "slate", "primary": "indigo",
                 "toggle": {"icon": "material/weather-sunny", "name": "Switch to light mode"}},
            ],
        },
        "plugins": [
            "search",
            "offline",
            # Fails the build on any external asset instead of downloading it. Material's bundle names two
            # it loads only on demand: mermaid (for diagrams, which readiness never emits) and a
            # ResizeObserver polyfill (for browsers without it); those two are the only exceptions.
            {"privacy": {"assets_fetch": False, "cache": False,
                         "assets_exclude": ["unpkg.com/mermaid@*", "unpkg.com/resize-observer-polyfill*"]}},
        ],
        "extra": {"polyfills": [SHIM], "generator": False},
        "extra_css": ["assets/stylesheets/readiness.css", "assets/stylesheets/charts.css"],
        "markdown_extensions": ["tables", "attr_list", {"toc": {"permalink": True}}],
        "edit_uri": "",
        "hooks": [str(HOOKS)],
        "validation": {"nav": {"omitted_files": "ignore"}},
    }
    for key in ("site_description", "site_url", "repo_url", "copyright"):
        if key in config:
            cfg[key] = config[key]
    return cfg


def render_outputs(outputs: Iterable[Output], cache: Optional[Cache] = None, store: Optional[_Writer] = None,
                   state: Optional[hookstate.BuildState] = None,
                   reuse: Optional[Callable[[Output, str], bool]] = None) -> Iterator[tuple[Output, Optional[str]]]:
    """(output, text) for every output: templates rendered, data passed through, and outputs with a cache
    key taken from the last build when their inputs are unchanged (and stored for the next one, in
    `store` when the caller commits it later, else committed at the end). With the MkDocs hooks' `state`,
    a release page whose finished HTML is cached comes as its outline only (mkdocs_hooks.outline), and
    every release page is kept for the hooks in `state.sources` (whole ones compressed, once `store` has
    them: see _Writer.sync), but for those the last build finished and indexed from the same inputs, which
    come with None and go to `state.skipped`: MkDocs is not given them at all. A static output
    `reuse(output, entry)` takes (to link from the previous site) comes with None."""
    own = store is None and cache is not None
    if own:
        store = cache.writer()
    try:
        for out in outputs:
            entry = cache_key(out.path, out.key) if cache is not None and out.key else None
            if entry and out.static and reuse is not None and reuse(out, entry):
                yield out, None
                continue
            page = entry is not None and state is not None and bool(out.front and out.front.get(PRERENDERED))
            if entry is not None and state is not None and out.alone and not page:
                state.markdown_keys[out.path] = out.key
                if state.skip(out.path, out.key, entry):
                    yield out, None
                    continue
            if page:
                state.page_keys[out.path] = out.key
                short = cache_key("outline", out.path, out.key)
                if state.skip(out.path, out.key, entry, short):
                    yield out, None
                    continue
                if state.is_finished(out.path, out.key):
                    text = cache.get(short)
                    if text is not None:
                        state.hold(out.path, _front(text), text, text)
                        yield out, text
                        continue
                    state.finished.discard(out.path)  # the whole page then, finished by MkDocs again
            text = cache.get(entry) if entry else None
            fresh = text is None
            if fresh:
                text = _produce(out)
            shape = _outline(text) if page else None
            if page:
                store.put(short, shape)
            if fresh and entry:
                keep = _keeper(state, out.path, text, shape) if page else None
                store.put(entry, text, digest=out.static, keep=keep)
            elif page:  # the page's content is cached, its finished HTML is not: the theme changed
                state.hold(out.path, _front(text), shape, text)
            yield out, text
    except BaseException:
        if own:
            store.close(commit=False)
        raise
    if own:
        store.close()


def _keeper(state: hookstate.BuildState, path: str, text: str, shape: str) -> Callable[[bytes], None]:
    """Where the cache writer puts a release page once it has compressed it: the hooks' sources."""
    front = _front(text)

    def keep(blob: bytes) -> None:
        state.hold(path, front, shape, blob)

    return keep


def _outline(text: str) -> str:
    """A pre-rendered page's docs file with its body cut down to the outline: front matter kept."""
    from generator.mkdocs_hooks import outline  # imports MkDocs: only builds need it

    front = _front(text)
    return front + "\n" + outline(text[len(front):])


def _front(text: str) -> str:
    """The front matter block a page's text starts with, as _produce writes it (YAML between `---` lines)."""
    return text[:text.index("\n---\n") + len("\n---\n")] if text.startswith("---\n") else ""


def _produce(out: Output) -> str:
    if out.text is not None:
        text = out.text
    elif out.make is not None:
        text = out.make()
    else:
        text = render(out.template, out.context() if callable(out.context) else out.context)
    if out.front is not None:
        text = "---\n" + yaml.safe_dump(out.front, sort_keys=True, allow_unicode=True) + "---\n\n" + text
    return text


def write_docs(site: SiteData, docs_dir: Path, cache: Optional[Cache] = None, static_dir: Optional[Path] = None,
               store: Optional[_Writer] = None, state: Optional[hookstate.BuildState] = None) -> int:
    """Write every page, export and asset of the site into `docs_dir`; returns the number of files.

    With `static_dir`, per-release files no Markdown page links to (data exports, badges) go there instead,
    to be moved into the built site: MkDocs would only copy them, thousands of files for a long history.
    With `state`, release pages are not written at all: they stay in memory, compressed as the build cache
    keeps them (or as their outline, when that is all MkDocs needs), and the hooks hand them to MkDocs at
    their place in the docs; writing them, a folder each, took seconds for a long history. `state` also
    learns which release pages the hooks may take from the cache, and where the previous site is."""
    count = 0
    made: set[Path] = set()
    claimed: tuple[set, set] = (set(), set())
    previous = state.previous if state is not None and static_dir is not None else None
    if previous is not None:
        previous.staging = static_dir

    for out, text in render_outputs(site_outputs(site), cache, store, state, previous.later if previous else None):
        count += 1
        _claim(out.path, *claimed)
        if text is None or (state is not None and out.path in state.page_keys):
            continue  # linked from the previous site later, or a release page the hooks are given
        target = (static_dir if out.static and static_dir is not None else docs_dir) / out.path
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        target.write_text(text, encoding="utf-8")
    if store is not None:
        store.sync()  # every release page in state.sources
    # Notes on vendored files (*.md) stay out of the site; licences go with the code they cover.
    shutil.copytree(ASSETS, docs_dir / "assets", dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.md"))
    return count


class _Collect(logging.Handler):
    """Keeps mkdocs' warnings so they can be reported in our own format."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _mkdocs_logging() -> Iterator[_Collect]:
    logger = logging.getLogger("mkdocs")
    handler = _Collect()
    old_level, old_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_propagate


def _claim(path: str, files: set, folders: set) -> None:
    """Take a path of the site for one output; two outputs at one path, or a file where another output needs
    a folder, fail the build naming the path (the name rules keep this from happening; this keeps it so)."""
    built = path[:-3] + ".html" if path.endswith(".md") else path  # where MkDocs puts a page
    for taken in dict.fromkeys((path, built)):  # in the docs, then as built
        parents = {taken.rsplit("/", n)[0] for n in range(1, taken.count("/") + 1)}
        if taken in files or taken in folders or parents & files:
            raise InputError([Problem(Location(taken), "two outputs of the build have this path (or one needs it "
                                      "as a folder); rename the release, product or checklist it is for")])
        files.add(taken)
        folders.update(parents)


def _move_into(src: Path, dest: Path, top: Optional[Path] = None) -> None:
    """Move a tree into another by renaming: whole folders where `dest` has none, else file by file."""
    if not src.is_dir():
        return
    top = top or dest
    for path in sorted(src.iterdir()):
        target = dest / path.name
        if path.is_dir() and target.is_dir():
            _move_into(path, target, top)
        elif os.path.lexists(target):
            raise InputError([Problem(Location(target.relative_to(top).as_posix()),
                                      "two outputs of the build have this path")])
        else:
            path.rename(target)


def theme_key(config: dict) -> str:
    """What every page's finished HTML depends on besides its own content: the MkDocs configuration (but
    the build's temporary paths), MkDocs' and Material's versions; cache.key adds readiness's own files."""
    from importlib.metadata import version

    shared = {k: v for k, v in config.items() if k not in ("docs_dir", "site_dir")}
    return cache_key("theme", sorted(shared.items(), key=lambda kv: kv[0]), version("mkdocs"), version("mkdocs-material"))


def run_mkdocs(config_file: Path) -> None:
    """`mkdocs build --strict` in-process; any warning fails the build with mkdocs' own message."""
    from mkdocs import exceptions
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    work = str(config_file.parent) + os.sep

    def failed(messages: list[str]) -> InputError:
        # Paths in the build folder mean nothing to the reader (and it is gone): they are shown from inside it.
        return InputError([Problem(Location("mkdocs"), f"mkdocs build failed: {m.replace(work, '')}") for m in messages])

    with _mkdocs_logging() as collected:
        try:
            cfg = load_config(config_file=str(config_file), strict=True)
            build(cfg)
        except (exceptions.MkDocsException, exceptions.Abort) as exc:
            raise failed(collected.messages or [str(exc)])
    if collected.messages:
        raise failed(collected.messages)


def build_epoch(site: SiteData) -> Optional[int]:
    """SOURCE_DATE_EPOCH when set, else the last commit's time, so a build of one commit is reproducible."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return int(epoch)
    if site.repository.head_date is not None:
        return int(site.repository.head_date.timestamp())
    return None


@contextmanager
def _source_date(epoch: Optional[int]) -> Iterator[None]:
    """MkDocs reads SOURCE_DATE_EPOCH for sitemap dates and gzip headers; set it for the build only."""
    old = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None:
        os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old


def build_site(site: SiteData, site_dir: Path, root: Path,
               step: Optional[Callable[[str], None]] = None, cache: Optional[Cache] = None,
               sign_key: Optional[Path] = None) -> int:
    """Generate, build with mkdocs into a temporary directory beside `site_dir`, then swap it in."""
    step = step or (lambda _msg: None)
    check_site_dir(site_dir, root)
    if sign_key is not None:
        key_digest(sign_key)  # a key that cannot be read stops the build before it starts, not after MkDocs
    shown, site_dir = site_dir, site_dir.resolve()
    store = cache.writer() if cache is not None else None
    try:
        site_dir.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(site_dir.parent)
        with build_folder(site_dir.parent) as work:
            count, outputs = _build_in(work, site, site_dir, root, step, cache, store, sign_key)
        if cache is not None:
            remember_stamps(cache, site_dir, outputs)
    except OSError as exc:  # a full disk, a folder that cannot be written: the old site stays
        if store is not None:
            store.close(commit=False)
        raise write_failure(shown, exc) from None
    except BaseException:
        if store is not None:
            store.close(commit=False)
        raise
    if store is not None:
        store.close()
    return count


def _build_in(work: Path, site: SiteData, site_dir: Path, root: Path, step: Callable[[str], None],
              cache: Optional[Cache], store: Optional[_Writer], sign_key: Optional[Path] = None) -> tuple[int, dict]:
    """The build itself, in the build folder `work`; ends with the new site swapped in. Returns the number of
    docs files and the site's files with their hashes."""
    docs, out, static = work / "docs", work / "site", work / "static"
    step("rendering pages")
    config = mkdocs_config(site, docs, out)
    state = None
    if cache is not None:
        state = hookstate.BuildState(theme_key(config), cache, store, previous=PreviousSite(site_dir, cache),
                                     spill=hookstate.Spill(work / "held-pages"))
    try:
        count = write_docs(site, docs, cache, static, store, state)
        config_file = work / "mkdocs.yml"
        config_file.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
        step("running mkdocs build")
        epoch = build_epoch(site)
        hookstate.current = state
        with _source_date(epoch):
            run_mkdocs(config_file)
    finally:
        hookstate.current = None
        if state is not None and state.spill is not None:
            state.spill.close()
    _move_into(static, out)
    if state is not None:
        state.previous.place(out, store)
    step("writing the auditor's bundles")
    place_bundles(site, root, out, cache, state.previous if state is not None else None, sign_key)
    (out / MARKER).write_text("built by readiness; `readiness build` may replace this directory\n", encoding="utf-8")
    known = state.previous.digests if state is not None else None
    listed = manifest(site, root, out, epoch, known)
    (out / MANIFEST).write_text(json.dumps(listed, indent=2) + "\n", encoding="utf-8")
    if sign_key is not None:
        step("signing the manifest")
        sign_manifest(out, sign_key)
    step("publishing")
    publish(out, site_dir, work)
    return count, listed["outputs"]
