"""The source lines that diagnostics point into, for reporters (snippets) and baselines
(fingerprints): a file read from disk and decoded as Python would; a notebook's code
cells joined (the lines its diagnostics count); stdin's text, which the run keeps.

Standard library only (no libcst, no rich)."""
from __future__ import annotations

import io
import re
import tokenize
from typing import Mapping, Optional

#: the line breaks Python's tokenizer (and so every reported line number) counts
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def decode(data: bytes) -> str:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding, errors="replace")
    except (SyntaxError, LookupError):
        text = data.decode("utf-8", errors="replace")
    return text.removeprefix("\ufeff")


def lines_of(path: str, data: bytes | str) -> Optional[list[str]]:
    """The lines diagnostics of `path` count, from the file's content."""
    if path.lower().endswith(".ipynb"):
        from evalguard.notebook import NotebookError, read_notebook

        try:
            return read_notebook(data).original_lines
        except NotebookError:
            return None
    text = data if isinstance(data, str) else decode(data)
    return _LINE_BREAK.split(text)


def read_lines(path: str) -> Optional[list[str]]:
    """`path`'s lines, or None when it cannot be read."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    return lines_of(path, data)


class SourceLines:
    """Each file's lines, read once; None for a file that cannot be read. `overrides`
    holds the text of inputs that are not on disk (stdin), by display path."""

    def __init__(self, overrides: Optional[Mapping[str, str]] = None) -> None:
        self._cache: dict[str, Optional[list[str]]] = {}
        self._overrides = dict(overrides or {})

    def get(self, path: str) -> Optional[list[str]]:
        if path not in self._cache:
            if path in self._overrides:
                self._cache[path] = lines_of(path, self._overrides[path])
            else:
                self._cache[path] = read_lines(path)
        return self._cache[path]
