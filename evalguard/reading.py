"""Reading source files: bytes from disk (with size limits), text the way Python decodes
it, and the time budget of one file. No parser here: the runner answers cache hits with
this module alone, without importing libcst."""
from __future__ import annotations

import io
import signal
import threading
import tokenize
from contextlib import contextmanager
from typing import Optional

#: files larger than this are reported and skipped (libcst needs ~0.6 GB per MB of source)
MAX_FILE_BYTES = 8 * 1024 * 1024
#: notebooks carry their outputs (images, ...): the file may be larger, its code may not
MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024


class SourceError(Exception):
    """The file cannot be checked; the message says why, for the user."""

    def __init__(self, reason: str, line: int | None = None, column: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.column = column


def decode_source(data: bytes) -> str:
    """Bytes to text the way Python reads a source file (BOM, PEP 263 cookie), with
    a precise message when that is impossible."""
    nul = data.find(b"\x00")
    if nul != -1:
        line = data.count(b"\n", 0, nul) + 1
        raise SourceError(f"file contains a NUL byte (line {line}); it is not Python source", line)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        if "encoding problem" in str(exc) or "unknown encoding" in str(exc):
            raise SourceError(f"bad encoding declaration: {exc}") from None
        encoding = "utf-8"  # undecodable bytes in the first two lines: say where, below
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SourceError(
            f"not valid {encoding} (byte 0x{data[exc.start]:02x} at line {line}, column {column})", line, column
        ) from None
    except LookupError:
        raise SourceError(f"unknown encoding {encoding!r} in the coding declaration") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def is_notebook(path: str) -> bool:
    return path.lower().endswith(".ipynb")


def read_source(path: str, limit: int = MAX_FILE_BYTES) -> bytes:
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except IsADirectoryError:
        raise SourceError("is a directory") from None
    except FileNotFoundError:
        raise SourceError("no such file") from None
    except PermissionError:
        raise SourceError("permission denied") from None
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise SourceError(f"file is larger than {limit // (1024 * 1024)} MB; skipped")
    return data


def read_file(path: str) -> bytes:
    return read_source(path, MAX_NOTEBOOK_BYTES if is_notebook(path) else MAX_FILE_BYTES)


class FileTimeout(BaseException):
    """Checking one file took longer than its budget (a BaseException: generic error
    handlers on the way must not swallow it)."""


@contextmanager
def time_limit(seconds: Optional[float]):
    """Raise `FileTimeout` in this thread after `seconds` (no limit when None or 0, or
    where SIGALRM cannot be used: off the main thread, on Windows)."""
    usable = seconds and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def expire(signum, frame):  # noqa: ARG001 - signal handler signature
        raise FileTimeout()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

