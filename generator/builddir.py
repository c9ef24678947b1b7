"""Where a build happens: the site directory checked, a temporary build folder beside it, the swap.

The new site is built in a folder beside the site directory (a rename into place needs the same file
system) and swapped in whole, so a failed build leaves the published site as it was. A build that is
killed cannot remove its folder; the next build into the same place does: each build folder holds a
marker naming the folder's own device and inode, which a folder checked out from git cannot know in
advance, and is locked while its build runs, so a folder is removed only when it is one readiness made
and no build is using it.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

from generator.errors import InputError, Location, Problem

MARKER = ".readiness-site"  # marks a directory as a site readiness built, so it may be replaced
PREFIX = ".readiness-build-"
BUILD_MARKER = ".readiness-build"  # in a build folder: "<device>:<inode>" of that folder; locked while in use


def _refuse(site_dir: Path, message: str) -> InputError:
    return InputError([Problem(Location(str(site_dir)), message)])


def _link_on_the_way(site_dir: Path, root: Path) -> Optional[Path]:
    """The site directory if it is a symbolic link, or a link among its parents inside the repository
    (one a contributor may have committed); links the user has outside the repository are theirs."""
    path = Path(os.path.abspath(site_dir))
    if path.is_symlink():
        return path
    root_r = root.resolve()
    for parent in path.parents:
        if parent.is_symlink() and parent.parent.resolve().is_relative_to(root_r):
            return parent
    return None


def check_site_dir(site_dir: Path, root: Path) -> None:
    """Refuse a site directory that is or goes through a link, would replace inputs, or a folder readiness
    did not build."""
    link = _link_on_the_way(site_dir, root)
    if link is not None:
        try:
            named = link.relative_to(Path(os.path.abspath(root))).as_posix()
        except ValueError:
            named = str(link)
        raise _refuse(site_dir, f"`{named}` is a symbolic link; readiness never builds through a link (one in the "
                      "repository may point anywhere): remove it, or choose a real directory with -d")
    resolved, root_r = site_dir.resolve(), root.resolve()
    protected = [root_r, root_r / "results", root_r / "checklists"]
    if any(resolved == p or p.is_relative_to(resolved) for p in protected) or resolved == Path(resolved.anchor):
        raise _refuse(site_dir, "refusing to build into this directory: it holds the inputs; choose another with -d")
    if resolved.exists():
        if not resolved.is_dir():
            raise _refuse(site_dir, "exists and is not a directory; choose another with -d")
        if any(resolved.iterdir()) and not (resolved / MARKER).exists():
            raise _refuse(site_dir, "exists and was not built by readiness; remove it or choose another directory "
                          "with -d")


def _identity(st: os.stat_result) -> bytes:
    return f"{st.st_dev}:{st.st_ino}\n".encode()


def remove_stale(parent: Path) -> list[str]:
    """Remove the build folders in `parent` that killed builds left (readiness's own, not in use); their names."""
    removed = []
    try:
        entries = [e for e in os.scandir(parent) if e.name.startswith(PREFIX)]
    except OSError:
        return removed
    for entry in entries:
        try:
            st = entry.stat(follow_symlinks=False)
            if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
                continue
            fd = os.open(os.path.join(entry.path, BUILD_MARKER), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode) or os.read(fd, 64) != _identity(st):
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:  # a build running now
                continue
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(entry.name)
        finally:
            os.close(fd)
    return removed


@contextmanager
def build_folder(parent: Path) -> Iterator[Path]:
    """A new build folder in `parent`, marked and locked as this build's, removed afterwards."""
    work = Path(tempfile.mkdtemp(prefix=PREFIX, dir=parent))
    fd = None
    try:
        fd = os.open(work / BUILD_MARKER, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, _identity(os.lstat(work)))
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if fd is not None:
            os.close(fd)


def publish(new_site: Path, site_dir: Path, work: Path) -> None:
    """Swap the new site in; the old one is moved into `work` (removed with it), or put back on failure."""
    previous = work / "previous"
    had_site = site_dir.exists()
    if had_site:
        site_dir.rename(previous)
    try:
        new_site.rename(site_dir)
    except OSError:
        if had_site:
            previous.rename(site_dir)
        raise


def write_failure(site_dir: Path, exc: OSError) -> InputError:
    """The one line for a build that could not write its files (a full disk, a read-only folder...)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        why = ("no space left on the device (the new site is built beside the old one, so a build needs room "
               "for both)")
    else:
        why = f"cannot write the new site beside it ({exc.strerror or exc})"
    return _refuse(site_dir, f"{why}; the site there is unchanged: free some space or fix the folder, then build again")
