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
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

from generator import results as results_module
from generator.builddir import build_folder
from generator.cli import cli

from conftest import FIXTURES, ROOT
from gitrepo import Repo
from test_hostile import (  # noqa: F401 - fixtures are used by name
    Run, assert_clean_exit, changed, clean_site, hostile, invoke, stray_build_dirs)
from test_record import REPORTS, UNIT, root  # noqa: F401 - `root` is a fixture

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
    # A product beside a release of results/ itself with the same name, or the name of its export: the two
    # would share releases/1.0.0/ (a product release named badge.svg clashes there), or data/releases/1.0.0.json
    # or .js.
    "product-named-like-a-release": (
        {"results/1.0.0/badge.svg.yaml": _results("badge.svg")},
        ["results/1.0.0:1:1: product `1.0.0` would put its files where the release of results/1.0.0.yaml has its "
         "own; rename the folder or the file"]),
    "product-named-like-an-export": (
        {"results/1.0.0.json/2.0.yaml": _results("2.0")},
        ["results/1.0.0.json:1:1: product `1.0.0.json` would put its files where the release of "
         "results/1.0.0.yaml has its own; rename the folder or the file"]),
    "product-named-like-a-compare-script": (
        {"results/1.0.0.js/2.0.yaml": _results("2.0")},
        ["results/1.0.0.js:1:1: product `1.0.0.js` would put its files where the release of "
         "results/1.0.0.yaml has its own; rename the folder or the file"]),
    "product-case": (
        {"results/Web/1.0.0.yaml": _results("1.0.0"), "results/web/1.0.0.yaml": _results("1.0.0")},
        ["results/web:1:1: product `web` differs only in case from results/Web; rename one of them"]),
}


@pytest.mark.parametrize("case", list(NAMES))
def test_one_name_rule_for_every_name(hostile, case):
    files, expected = NAMES[case]
    refused(hostile(files), expected)


# --- reports given to `record` are read as inputs are ----------------------------------------------------


@pytest.mark.parametrize("make, message", [
    (lambda p: os.mkfifo(p), not_regular("a named pipe (FIFO)", "reports")),
    (lambda p: p.symlink_to(REPORTS / "junit-pass.xml"), LINK),
], ids=["fifo", "link"])
def test_record_refuses_a_report_that_is_not_a_regular_file(root, make, message):
    report = root / "junit.xml"
    make(report)
    before = tree(root)
    with unblocking_fifos(root) as blocked:
        result = CliRunner().invoke(cli, ["record", "2.5.0", "--junit", str(report), "--item", UNIT,
                                          "--root", str(root)])
    assert blocked == []
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert [line for line in result.output.splitlines() if ":1:1: " in line] == [f"{report}:1:1: {message}"]
    assert changed(before, tree(root)) == []


# --- the build: a killed worker, the site directory, build folders, a full disk ---------------------------


def test_a_killed_loader_worker_is_one_line(hostile, monkeypatch):
    template = (FIXTURES / "project" / "results" / "1.1.0.yaml").read_text()
    project = hostile({f"results/5.{n}.0.yaml": template.replace('"1.1.0"', f'"5.{n}.0"') for n in range(60)})
    parent, real = os.getpid(), results_module.load_release

    def dies_in_a_worker(path, *args, **kwargs):
        if os.getpid() != parent and path.name == "5.30.0.yaml":
            os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
        return real(path, *args, **kwargs)

    monkeypatch.setattr(results_module, "load_release", dies_in_a_worker)
    monkeypatch.setenv("READINESS_JOBS", "2")
    refused(project, ["results/:1:1: a process loading results files ended abruptly (killed, or out of memory); "
                      "build again, or with READINESS_JOBS=1 to load them in one process"])


def _link(project: Path, rel: str, destination: Path) -> None:
    path = project / rel
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    path.symlink_to(os.path.relpath(destination, path.parent))


def test_a_committed_site_link_is_refused_and_what_it_points_to_is_kept(hostile, clean_site, tmp_path):
    elsewhere = tmp_path / "elsewhere"  # another readiness site: the build could replace it
    shutil.copytree(clean_site, elsewhere)
    project = hostile({})
    _link(project, "site", elsewhere)
    outside, before = tree(elsewhere), tree(project)
    assert_clean_exit(invoke("check", "--root", str(project)), 0)  # check does not look at the site
    run = invoke("build", "--root", str(project))
    assert_clean_exit(run, 1)
    errors = [p for p in run.problems if not p.startswith(".git:1:1: warning:")]  # the project is not in git
    assert errors == [f"{project}/site:1:1: `site` is a symbolic link; readiness never builds through a link "
                            "(one in the repository may point anywhere): remove it, or choose a real directory with -d"]
    assert tree(elsewhere) == outside and changed(before, tree(project)) == []
    assert stray_build_dirs(project) == [] and list(tmp_path.glob(".readiness-build-*")) == []


def test_a_site_directory_under_a_linked_folder_of_the_repository_is_refused(project, tmp_path):
    target = tmp_path / "outside"
    target.mkdir()
    (project / "public").symlink_to(target)
    run = invoke("build", "--root", str(project), "-d", str(project / "public" / "site"))
    assert_clean_exit(run, 1)
    errors = [p for p in run.problems if not p.startswith(".git:1:1: warning:")]  # the project is not in git
    assert errors == [f"{project}/public/site:1:1: `public` is a symbolic link; readiness never builds through "
                            "a link (one in the repository may point anywhere): remove it, or choose a real directory "
                            "with -d"]
    assert list(target.iterdir()) == []


def test_a_killed_build_leaves_a_build_folder_the_next_build_removes(project):
    env = dict(os.environ)
    proc = subprocess.Popen([sys.executable, "-m", "generator", "build", "--root", str(project)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(project.glob(".readiness-build-*/docs")):
        assert proc.poll() is None, "the build ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    proc.kill()
    proc.wait()
    left = list(project.glob(".readiness-build-*"))
    assert len(left) == 1
    # A folder of that name that no build made (committed, say) is not the build's to remove.
    planted = project / ".readiness-build-planted"
    planted.mkdir()
    (planted / ".readiness-build").write_text(f"{planted.stat().st_dev}:1\n")
    run = invoke("build", "--root", str(project))
    assert_clean_exit(run, 0)
    assert list(project.glob(".readiness-build-*")) == [planted]
    assert (project / "site" / "index.html").is_file()


def test_a_build_folder_in_use_is_not_removed(project):
    with build_folder(project) as work:  # as a build running now holds it
        assert_clean_exit(invoke("build", "--root", str(project)), 0)
        assert work.is_dir() and (work / ".readiness-build").is_file()
    assert stray_build_dirs(project) == []


FULL_DISK_DRIVER = r"""
import hashlib, json, os, subprocess, sys
mnt, project, report = sys.argv[1:4]
site = os.path.join(mnt, "site")

def build():
    run = subprocess.run([sys.executable, "-m", "generator", "build", "--root", project, "-d", site],
                         capture_output=True, text=True, timeout=300)
    return {"code": run.returncode, "lines": (run.stdout + run.stderr).splitlines()}

def snapshot():
    out = {}
    for folder, _, files in os.walk(site):
        for name in files:
            path = os.path.join(folder, name)
            out[os.path.relpath(path, site)] = hashlib.sha256(open(path, "rb").read()).hexdigest()
    return out

first = build()
before = snapshot()
with open(os.path.join(project, "results", "1.0.0.yaml"), "a") as fh:
    fh.write("# edited\n")
try:
    with open(os.path.join(mnt, "filler"), "wb") as fh:
        while True:
            fh.write(b"\0" * 65536)
            fh.flush()
except OSError:
    pass
second = build()
strays = sorted(n for n in os.listdir(mnt) if n.startswith(".readiness-build-"))
json.dump({"first": first, "second": second, "same": snapshot() == before, "strays": strays}, open(report, "w"))
"""


def _private_tmpfs_works() -> bool:
    try:
        return subprocess.run(["unshare", "-rm", "true"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@pytest.mark.slow
def test_a_full_disk_is_one_line_and_the_site_stays(project, tmp_path):
    """A real full disk: a small tmpfs mounted in a private mount namespace (no privileges needed)."""
    if not _private_tmpfs_works():
        pytest.skip("this system does not allow private mount namespaces (unshare -rm)")
    mnt, driver, report = tmp_path / "small", tmp_path / "driver.py", tmp_path / "report.json"
    mnt.mkdir()
    driver.write_text(FULL_DISK_DRIVER)
    script = 'mount -t tmpfs -o size=12m none "$1" && cd "$5" && exec "$2" "$3" "$1" "$4" "$6"'
    subprocess.run(["unshare", "-rm", "sh", "-c", script, "sh", str(mnt), sys.executable, str(driver), str(project),
                    str(ROOT), str(report)], check=True, timeout=600, env=dict(os.environ))
    result = json.loads(report.read_text())
    assert result["first"]["code"] == 0, result["first"]["lines"]
    second = result["second"]
    assert second["code"] == 1 and not any("Traceback" in line for line in second["lines"]), second["lines"]
    assert [line for line in second["lines"] if ":1:1: " in line and not line.startswith(".git:1:1: warning:")] == [
        f"{mnt}/site:1:1: no space left on the device (the new site is built beside the old one, so a build needs "
        "room for both); the site there is unchanged: free some space or fix the folder, then build again"]
    assert not any(".readiness-build-" in line for line in second["lines"])
    assert result["same"] and result["strays"] == []


# --- serve: an address it cannot serve on is a usage error before anything is built -----------------------


def _listening() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


ADDRESS = "expected HOST:PORT with a port from 1 to 65535, e.g. 127.0.0.1:8000"


@pytest.mark.parametrize("address, message", [
    ("localhost", f"`localhost`: {ADDRESS}"),
    ("127.0.0.1:http", f"`127.0.0.1:http`: {ADDRESS}"),
    ("127.0.0.1:0", f"`127.0.0.1:0`: {ADDRESS}"),
    ("127.0.0.1:65536", f"`127.0.0.1:65536`: {ADDRESS}"),
    ("127.0.0.1:8000\n--x", f"`127.0.0.1:8000\\x0a--x`: {ADDRESS}"),
    ("-1", f"`-1`: {ADDRESS}"),
    ("192.0.2.1:8000", "`192.0.2.1:8000`: cannot serve there (Cannot assign requested address)"),
    ("in-use", "`127.0.0.1:{port}`: cannot serve there (Address already in use)"),
], ids=["no-port", "named-port", "port-0", "port-too-big", "newline", "negative", "not-this-machine", "in-use"])
def test_serve_refuses_an_address_it_cannot_serve_on(project, address, message):
    with _listening() as busy:
        port = busy.getsockname()[1]
        if address == "in-use":
            address = f"127.0.0.1:{port}"
        before = tree(project)
        run = invoke("serve", "--root", str(project), "-a", address)
    assert_clean_exit(run, 2)
    assert run.output.splitlines() == [f"Error: -a/--dev-addr {message.format(port=port)}"]
    assert changed(before, tree(project)) == []


# --- verify: the manifest covers every input, and nothing planted is followed or waited on -------------------


@pytest.fixture
def products(project) -> Path:
    """The fixture project with its results in a product folder, results/web/."""
    (project / "results" / "web").mkdir()
    for path in sorted((project / "results").glob("*.yaml")):
        path.rename(project / "results" / "web" / path.name)
    assert_clean_exit(invoke("build", "--root", str(project)), 0)
    assert_clean_exit(invoke("verify", str(project / "site"), "--root", str(project)), 0)
    return project


def verify_problems(project: Path) -> list[str]:
    with unblocking_fifos(project) as blocked:
        run = invoke("verify", str(project / "site"), "--root", str(project))
    assert blocked == []
    assert_clean_exit(run, 1)
    return run.problems


def test_the_manifest_names_results_files_of_product_folders(products):
    inputs = json.loads((products / "site" / "manifest.json").read_text())["inputs"]
    assert sorted(inputs) == ["checklists/web.md", "results/web/1.0.0.yaml", "results/web/1.1.0.yaml",
                              "results/web/2.0.0.yaml"]


def test_verify_sees_an_edited_and_an_added_results_file_in_a_product_folder(products):
    digest = json.loads((products / "site" / "manifest.json").read_text())["inputs"]["results/web/1.0.0.yaml"]
    with open(products / "results" / "web" / "1.0.0.yaml", "a") as fh:
        fh.write("# edited after the build\n")
    (products / "results" / "web" / "3.0.0.yaml").write_text('release: "3.0.0"\n')
    assert verify_problems(products) == [
        "results/web/1.0.0.yaml:1:1: differs from the input the site was built from (sha256 "
        f"{digest[:16]}…); check out the commit in the manifest (git_commit) to compare",
        "results/web/3.0.0.yaml:1:1: not an input of this site: added after the build"]


def test_verify_follows_no_link_and_waits_on_no_pipe(products, tmp_path):
    site = products / "site"
    page = site / "releases" / "web" / "1.0.0" / "index.html"
    copy = tmp_path / "page.html"
    copy.write_bytes(page.read_bytes())
    page.unlink()
    page.symlink_to(copy)  # the right bytes, but not a file of the site
    (products / "results" / "web" / "1.1.0.yaml").unlink()
    os.mkfifo(products / "results" / "web" / "1.1.0.yaml")
    assert verify_problems(products) == [
        f"{site}/releases/web/1.0.0/index.html:1:1: is a symbolic link, not a file the build wrote; it was put there "
        "after the build",
        "results/web/1.1.0.yaml:1:1: input named in the manifest is a named pipe (FIFO) in the repository, not a file"]


def test_verify_reads_nothing_outside_the_repository_a_changed_manifest_names(products):
    path = products / "site" / "manifest.json"
    data = json.loads(path.read_text())
    data["inputs"]["../../../etc/passwd"] = "0" * 64
    path.write_text(json.dumps(data))
    problems = verify_problems(products)
    assert f"{path}:1:1: names `../../../etc/passwd` as an input, which is not a checklist, results or settings " \
           "file of a repository; the manifest was changed after the build" in problems


# --- the name fuzz target, briefly (`make fuzz` runs it for longer) -----------------------------------------


@pytest.mark.slow
def test_fuzz_names_briefly():
    sys.path.insert(0, str(ROOT / "fuzz"))
    import fuzz_names

    assert fuzz_names.run(seconds=15, batch=60) >= 66


@pytest.mark.parametrize("link", ["results", "results/web"])
def test_new_writes_nothing_through_a_linked_results_folder(project, tmp_path, link):
    outside = tmp_path / "outside"
    outside.mkdir()
    (project / "results" / "web").mkdir()
    _link(project, link, outside)
    before = tree(tmp_path)
    run = invoke("new", "web/3.0.0" if link == "results/web" else "3.0.0", "--root", str(project))
    assert_clean_exit(run, 1)
    assert run.problems == [f"{link}:1:1: {LINK}"]
    assert changed(before, tree(tmp_path)) == []


def test_a_release_named_manifest_is_in_the_manifest(hostile):
    """Its export is data/releases/manifest.json: only the site's own manifest.json is left out."""
    project = hostile({"results/manifest.yaml": 'release: "manifest"\n'})
    assert_clean_exit(invoke("build", "--root", str(project)), 0)
    outputs = json.loads((project / "site" / "manifest.json").read_text())["outputs"]
    assert "data/releases/manifest.json" in outputs and "manifest.json" not in outputs
    assert_clean_exit(invoke("verify", str(project / "site"), "--root", str(project)), 0)


# --- the same in a git repository: what git is asked about such files must not block or follow them ---------


@pytest.fixture
def hostile_git(project, clean_site):
    """Returns `prepare(files, commit)`: the project as a git repository with its inputs committed, a built site,
    and the hostile files added (and committed too, with `commit`: a link a pull request brought)."""

    def prepare(files: dict, commit: bool) -> Path:
        repo = Repo(project)
        repo.git("add", "checklists", "results")
        repo.git("commit", "-q", "-m", "inputs")
        shutil.copytree(clean_site, project / "site")
        for rel, content in files.items():
            content(project / rel)
        if commit:
            repo.git("add", *files)
            repo.git("commit", "-q", "-m", "hostile")
        return project

    return prepare


@pytest.mark.parametrize("rel, content, commit, expected", [
    (R, fifo(), False, f"{R}:1:1: {not_regular('a named pipe (FIFO)', 'results files')}"),
    ("results/3.0.0.yaml", link_to("/etc/passwd"), True, f"results/3.0.0.yaml:1:1: {LINK}"),
    ("results/web", link_to("/etc"), True, f"results/web:1:1: {LINK}"),
], ids=["fifo-over-a-committed-file", "committed-link", "committed-folder-link"])
def test_in_a_git_repository(hostile_git, rel, content, commit, expected):
    refused(hostile_git({rel: content}, commit), [expected])


@pytest.mark.parametrize("paths", [
    ["releases/index.md", "releases/index.md/index.md"],
    ["releases/index.md", "releases/index.html/index.md"],
    ["releases/1.0/badge.svg", "releases/1.0/badge.svg/index.md"],
    ["data/releases/1.0.json/2.0.json", "data/releases/1.0.json"],
    ["a.md", "a.html"],
], ids=["file-then-folder", "page-then-folder", "badge", "folder-then-file", "same-built-path"])
def test_outputs_never_share_a_path(paths):
    """The guard behind the name rules: whatever names get through, no output silently replaces another."""
    from generator.errors import InputError
    from generator.site import _claim

    files: set = set()
    folders: set = set()
    for path in paths[:-1]:
        _claim(path, files, folders)
    with pytest.raises(InputError) as raised:
        _claim(paths[-1], files, folders)
    assert [str(p) for p in raised.value.problems] == [
        f"{paths[-1]}:1:1: two outputs of the build have this path (or one needs it as a folder); rename the "
        "release, product or checklist it is for"]
