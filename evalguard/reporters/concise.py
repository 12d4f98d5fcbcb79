"""`--output-format concise`: one grep- and editor-friendly line per finding or error."""
from __future__ import annotations

from typing import TextIO

from evalguard.diagnostics import FileError, Report


def render(report: Report, stream: TextIO) -> None:
    for d in report.diagnostics:
        status = f" [{d.status}]" if d.status else ""
        stream.write(f"{d.location()}: {d.code} {d.message}{status}\n")
    for d in report.suppressed or ():
        stream.write(f"{d.location()}: {d.code} {d.message} (suppressed)\n")
    for e in report.errors:
        stream.write(f"{error_location(e)}: error: {e.reason}\n")


def error_location(error: FileError) -> str:
    """`path`, `path:line` or `path:line:col`, as much as is known (in a notebook
    `nb.ipynb:cell 2:3:1`)."""
    return error.location()
