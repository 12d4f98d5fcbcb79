"""`--output-format concise`: one grep- and editor-friendly line per finding or error."""
from __future__ import annotations

from typing import TextIO

from evalguard.diagnostics import FileError, Report


def render(report: Report, stream: TextIO) -> None:
    for d in report.diagnostics:
        stream.write(f"{d.path}:{d.line}:{d.column}: {d.code} {d.message}\n")
    for e in report.errors:
        stream.write(f"{error_location(e)}: error: {e.reason}\n")


def error_location(error: FileError) -> str:
    """`path`, `path:line` or `path:line:col`, as much as is known."""
    parts = [error.path]
    if error.line is not None:
        parts.append(str(error.line))
        if error.column is not None:
            parts.append(str(error.column))
    return ":".join(parts)
