"""Reading input files safely: regular files only (no link, pipe, socket or device), size capped before
reading, UTF-8 only, no byte-order mark, no NUL bytes.

A file is looked at with lstat before it is opened, so a device or a pipe is never opened at all; it is then
opened with O_NOFOLLOW (a link swapped in meanwhile fails) and O_NONBLOCK (a pipe swapped in does not
block), and the opened file itself must be a regular file: what is checked is what is read.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Optional

from generator.errors import InputError, Location, Problem

MAX_INPUT_BYTES = 5 * 1024 * 1024
_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_KINDS = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def kind_of(mode: int) -> Optional[str]:
    """What a file that is not a regular file is (`a symbolic link`, `a named pipe (FIFO)`...); None for a file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def not_regular_message(kind: str, what: str = "inputs") -> str:
    """The refusal of a path that is not a regular file, with what to do."""
    if kind == "a symbolic link":
        return ("is a symbolic link; readiness follows no links (one can point outside the repository): "
                "replace it with the file or folder itself")
    return f"is {kind}, not a regular file; {what} must be regular files: remove it or replace it with a file"


def _fail(shown: str, message: str, line: int = 1, col: int = 1) -> InputError:
    return InputError([Problem(Location(shown, line, col), message)])


def read_regular(path: Path, shown: str, limit: int, too_big: str, what: str = "inputs") -> bytes:
    """The bytes of a regular file of at most `limit` bytes; InputError at `shown:1:1` for anything else
    (`too_big` says why the limit is there)."""
    try:
        before = os.lstat(path)
    except FileNotFoundError:
        raise _fail(shown, "no such file")
    except OSError as exc:
        raise _fail(shown, f"cannot read: {exc.strerror or exc}")
    kind = kind_of(before.st_mode)
    if kind is not None:
        raise _fail(shown, not_regular_message(kind, what))
    try:
        fd = os.open(path, _FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # replaced by a link since it was looked at
            raise _fail(shown, not_regular_message("a symbolic link", what))
        raise _fail(shown, f"cannot read: {exc.strerror or exc}")
    try:
        opened = os.fstat(fd)
        kind = kind_of(opened.st_mode)
        if kind is not None:
            raise _fail(shown, not_regular_message(kind, what))
        if opened.st_size > limit:
            raise _fail(shown, f"file is {opened.st_size:,} bytes, over the {limit // 2**20} MB limit "
                        f"({limit:,} bytes); {too_big}")
        chunks, total = [], 0
        while total <= limit:  # a file growing while it is read still stops at the limit
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise _fail(shown, f"cannot read: {exc.strerror or exc}")
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise _fail(shown, f"file grew over the {limit // 2**20} MB limit ({limit:,} bytes) while it was read; "
                    f"{too_big}")
    return data


def _position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of a byte offset."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    col = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return data.count(b"\n", 0, offset) + 1, col


def read_input(path: Path, shown: str, kind: str) -> tuple[str, bytes]:
    """The file's text and bytes; raises InputError naming `shown:line:col` when it cannot be a hand-written input."""
    data = read_regular(path, shown, MAX_INPUT_BYTES, f"{kind} files are written by hand and stay far smaller",
                        f"{kind} files")
    if data.startswith(b"\xef\xbb\xbf"):
        raise _fail(shown, "file starts with a byte-order mark (BOM); save it as UTF-8 without BOM")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(shown, f"byte 0x{data[exc.start]:02x} is not valid UTF-8; save the file as UTF-8",
                    *_position(data, exc.start))
    nul = data.find(b"\x00")
    if nul >= 0:
        raise _fail(shown, f"NUL byte in file; {kind} files are plain text", *_position(data, nul))
    return text, data
