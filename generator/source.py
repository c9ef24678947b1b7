"""Reading input files safely: size capped before reading, UTF-8 only, no byte-order mark, no NUL bytes."""

from __future__ import annotations

from pathlib import Path

from generator.errors import InputError, Location, Problem

MAX_INPUT_BYTES = 5 * 1024 * 1024


def _position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of a byte offset."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    col = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return data.count(b"\n", 0, offset) + 1, col


def read_input(path: Path, shown: str, kind: str) -> tuple[str, bytes]:
    """The file's text and bytes; raises InputError naming `shown:line:col` when it cannot be a hand-written input."""

    def fail(message: str, line: int = 1, col: int = 1) -> InputError:
        return InputError([Problem(Location(shown, line, col), message)])

    try:
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise fail(f"file is {size:,} bytes, over the 5 MB limit ({MAX_INPUT_BYTES:,} bytes); "
                       f"{kind} files are written by hand and stay far smaller")
        data = path.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {kind} file: {exc.strerror or exc}")
    if data.startswith(b"\xef\xbb\xbf"):
        raise fail("file starts with a byte-order mark (BOM); save it as UTF-8 without BOM")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(f"byte 0x{data[exc.start]:02x} is not valid UTF-8; save the file as UTF-8",
                   *_position(data, exc.start))
    nul = data.find(b"\x00")
    if nul >= 0:
        raise fail(f"NUL byte in file; {kind} files are plain text", *_position(data, nul))
    return text, data
