"""Hostile files, names and build conditions: links, pipes, sockets, devices and folders where inputs should be,
names that would clash with the site or leave it, a planted or broken build cache, a committed `site` link, a
killed worker, a full disk, a bad serve address.

The harness is tests/test_hostile.py's: a project with a site built from clean inputs, one hostile change,
then `check` and `build` must both refuse with exactly the expected `path:line:col: message` lines, no
traceback, and leave every input and the previous site byte-identical, with no `.readiness-build-*` folder
behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import stat
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from test_hostile import (  # noqa: F401 - fixtures are used by name
    Run, assert_clean_exit, changed, clean_site, hostile, invoke, stray_build_dirs)

R = "results/1.0.0.yaml"
LINK = ("is a symbolic link; readiness follows no links (one can point outside the repository): replace it with "
        "the file or folder itself")
RULE = "use ASCII letters, digits and . _ + - (starting with a letter or digit)"


def several(*names: str) -> list[str]:
    """What the fixture's results files without `checklist:` say once a second checklist file is there."""
    listed = ", ".join(sorted(("web",) + names))
    return [f"results/{r}.yaml:1:1: missing `checklist:`; this repository has several: {listed}" for r in ("1.0.0", "1.1.0")]


def not_regular(kind: str, what: str) -> str:
    return f"is {kind}, not a regular file; {what} must be regular files: remove it or replace it with a file"


# --- the harness, for trees that hold more than files and folders -------------------------------------


def tree(root: Path) -> dict[str, str]:
    """Everything under `root`, never followed nor opened unless a regular file: path -> sha256, `<dir>`,
    `-> target` for a link, or the kind of anything else."""
    out: dict[str, str] = {}
    if not os.path.lexists(root):
        return out
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                out[rel] = f"-> {os.readlink(path)}"
            elif stat.S_ISDIR(mode):
                out[rel + "/"] = "<dir>"
            elif stat.S_ISREG(mode):
                out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                out[rel] = f"<mode {stat.S_IFMT(mode):o}>"
    return out


def refused(project: Path, expected: list[str], *, exit_code: int = 1, max_seconds: float = 30) -> list[Run]:
    """Run `check` then `build`; both refuse with exactly `expected` and change nothing in the project."""
    before = tree(project)
    assert (project / "site" / "index.html").is_file(), "the case needs an existing site to protect"
    runs = []
    for command in ("check", "build"):
        with unblocking_fifos(project) as blocked:
            run = invoke(command, "--root", str(project))
        assert blocked == [], f"{command} blocked reading {blocked}"
        assert_clean_exit(run, exit_code)
        assert run.problems == expected, f"{command} printed:\n{run.output}"
        assert run.seconds < max_seconds, f"{command} took {run.seconds:.2f} s"
        assert changed(before, tree(project)) == [], f"{command} changed the project"
        assert stray_build_dirs(project) == []
        runs.append(run)
    return runs


# --- making what is not a regular file ------------------------------------------------------------------


def _replace(make):
    """A `put` content that removes what is at the path, then makes something else there."""

    def content(target: Path) -> None:
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif os.path.lexists(target):
            target.unlink()
        make(target)

    return content


def fifo():
    return _replace(os.mkfifo)


def link_to(destination: str):
    return _replace(lambda target: target.symlink_to(destination))


def folder():
    return _replace(lambda target: target.mkdir())


_SOCKETS: list[socket.socket] = []


def unix_socket():
    def make(target: Path) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        cwd = os.getcwd()
        os.chdir(target.parent)  # a socket's path is limited to ~100 bytes; the name alone fits
        try:
            sock.bind(target.name)
        finally:
            os.chdir(cwd)
        _SOCKETS.append(sock)

    return _replace(make)


def device():
    def make(target: Path) -> None:
        try:
            os.mknod(target, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # what /dev/null is
        except PermissionError:
            pytest.skip("creating a device node needs privileges this test run does not have")

    return _replace(make)


@contextmanager
def unblocking_fifos(project: Path) -> Iterator[list[str]]:
    """Watch the project's FIFOs: a command blocked reading one is let go (the test then fails, not hangs)."""
    blocked: list[str] = []
    stop = threading.Event()
    fifos = [Path(d) / n for d, _, names in os.walk(project) for n in names if stat.S_ISFIFO((Path(d) / n).lstat().st_mode)]

    def watch() -> None:
        while not stop.wait(0.2):
            for path in fifos:
                try:  # succeeds only when a reader is waiting on the pipe
                    fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
                except OSError:
                    continue
                blocked.append(path.relative_to(project).as_posix())
                os.close(fd)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield blocked
    finally:
        stop.set()
        thread.join()


# --- inputs that are not regular files -------------------------------------------------------------


FILES = {
    "fifo-results": ({R: fifo()}, [f"{R}:1:1: {not_regular('a named pipe (FIFO)', 'results files')}"]),
    "fifo-checklist": ({"checklists/web.md": fifo()},
                       [f"checklists/web.md:1:1: {not_regular('a named pipe (FIFO)', 'checklists')}"]),
    "fifo-settings": ({"readiness.yml": fifo()},
                      [f"readiness.yml:1:1: {not_regular('a named pipe (FIFO)', 'settings files')}"]),
    "socket-results": ({R: unix_socket()}, [f"{R}:1:1: {not_regular('a socket', 'results files')}"]),
    "device-results": ({R: device()}, [f"{R}:1:1: {not_regular('a character device', 'results files')}"]),
    "link-results-outside": ({"results/3.0.0.yaml": link_to("/etc/passwd")}, [f"results/3.0.0.yaml:1:1: {LINK}"]),
    "link-results-inside": ({"results/3.0.0.yaml": link_to("1.0.0.yaml")}, [f"results/3.0.0.yaml:1:1: {LINK}"]),
    "link-results-dangling": ({"results/3.0.0.yaml": link_to("nowhere.yaml")}, [f"results/3.0.0.yaml:1:1: {LINK}"]),
    # A file that should be a checklist and is not: results files that name none cannot tell which is meant.
    "link-checklist": ({"checklists/ops.md": link_to("/etc/passwd")},
                       [f"checklists/ops.md:1:1: {LINK}", *several("ops")]),
    "link-settings": ({"readiness.yml": link_to("/etc/passwd")}, [f"readiness.yml:1:1: {LINK}"]),
    "link-product-folder": ({"results/web": link_to("/etc")}, [f"results/web:1:1: {LINK}"]),
    "link-in-product-folder": ({"results/web/1.0.0.yaml": "release: \"1.0.0\"\n",
                                "results/web/2.0.0.yaml": link_to("/etc/passwd")},
                               [f"results/web/2.0.0.yaml:1:1: {LINK}"]),
    "link-results-folder": ({"results": link_to("/etc")}, [f"results:1:1: {LINK}"]),
    "link-checklists-folder": ({"checklists": link_to("/etc")},
                               [f"checklists:1:1: {LINK}", "results/2.0.0.yaml:2:12: checklist: no checklist `web` "
                                "in checklists/; expected one of (none)"]),
    "folder-named-like-results": (
        {"results/4.1.0.yaml": folder()},
        ["results/4.1.0.yaml:1:1: is a folder, not a results file; remove it, or rename it if it is a product "
         "folder (product names do not end in .yaml)"]),
    "folder-named-like-checklist": (
        {"checklists/ops.md": folder()},
        [f"checklists/ops.md:1:1: {not_regular('a folder', 'checklists')}", *several("ops")]),
    "folder-as-settings": ({"readiness.yml": folder()},
                           [f"readiness.yml:1:1: {not_regular('a folder', 'settings files')}"]),
}


@pytest.mark.parametrize("case", list(FILES))
def test_inputs_must_be_regular_files(hostile, case):
    files, expected = FILES[case]
    project = hostile(files)
    refused(project, expected)


# --- one name rule for releases, products and checklists ---------------------------------------------


def _results(name: str) -> str:
    return f'release: "{name}"\n'


NAMES = {
    "checklist-dotdot": (
        {"checklists/...md": "# Dots\n\n## S\n\n- [ ] x\n"},
        [f"checklists/...md:1:1: file name `...md`: checklist name `..` has `.` (U+002E FULL STOP) at position 1; "
         f"{RULE}; rename the file", *several("..")]),
    "checklist-markup": (
        {"checklists/x<img src=x onerror=alert(1)>.md": "# X\n\n## S\n\n- [ ] x\n"},
        ["checklists/x<img src=x onerror=alert(1)>.md:1:1: file name `x<img src=x onerror=alert(1)>.md`: checklist "
         f"name `x<img src=x onerror=alert(1)>` has `<` (U+003C LESS-THAN SIGN) at position 2; {RULE}; rename the file",
         *several("x<img src=x onerror=alert(1)>")]),
    "checklist-newline": (
        {"checklists/a\nb.md": "# X\n\n## S\n\n- [ ] x\n"},
        ["checklists/a\\x0ab.md:1:1: file name `a\\x0ab.md`: checklist name `a\\x0ab` has `\\x0a` (U+000A) at "
         f"position 2; {RULE}; rename the file", *several("a\\x0ab")]),
    "checklist-space": (
        {"checklists/web ops.md": "# X\n\n## S\n\n- [ ] x\n"},
        ["checklists/web ops.md:1:1: file name `web ops.md`: checklist name `web ops` has ` ` (U+0020 SPACE) at "
         f"position 4; {RULE}; rename the file", *several("web ops")]),
    "checklist-case": (
        {"checklists/Web.md": "# X\n\n## S\n\n- [ ] x\n"},
        ["checklists/web.md:1:1: checklist `web` differs only in case from checklists/Web.md; rename one of them", *several("Web")]),
    "release-reserved": (
        {"results/index.md.yaml": _results("index.md")},
        ["results/index.md.yaml:1:1: file name `index.md.yaml`: release name `index.md` is reserved: the site names "
         "its own pages index.md and index.html; choose another name; rename the file"]),
    "release-reserved-case": (
        {"results/INDEX.HTML.yaml": _results("INDEX.HTML")},
        ["results/INDEX.HTML.yaml:1:1: file name `INDEX.HTML.yaml`: release name `INDEX.HTML` is reserved: the site "
         "names its own pages index.md and index.html; choose another name; rename the file"]),
    "product-reserved": (
        {"results/index.md/1.0.0.yaml": _results("1.0.0")},
        ["results/index.md:1:1: product folder: name `index.md` is reserved: the site names its own pages "
         "index.md and index.html; choose another name; rename the folder"]),
    "product-dotdot-like": (
        {"results/-web/1.0.0.yaml": _results("1.0.0")},
        [f"results/-web:1:1: product folder: name `-web` has `-` (U+002D HYPHEN-MINUS) at position 1; {RULE}; "
         "rename the folder"]),
    "product-case": (
        {"results/Web/1.0.0.yaml": _results("1.0.0"), "results/web/1.0.0.yaml": _results("1.0.0")},
        ["results/web:1:1: product `web` differs only in case from results/Web; rename one of them"]),
}


@pytest.mark.parametrize("case", list(NAMES))
def test_one_name_rule_for_every_name(hostile, case):
    files, expected = NAMES[case]
    refused(hostile(files), expected)
