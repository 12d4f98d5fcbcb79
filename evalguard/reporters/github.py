"""`--output-format github`: GitHub Actions workflow commands, one line per finding.

Each finding becomes `::error …::message` or `::warning …::message` (by its severity),
which the Actions runner turns into an annotation on the file and line (shown in the
run's summary and on the pull request's diff). A file that could not be checked
becomes an `::error` titled `evalguard: cannot check`.

Escaping follows the workflow-command rules: in the message (the command's data) `%`,
CR and LF are percent-encoded; property values (file, title, ...) additionally encode
`:` and `,`, which separate properties. The runner decodes both, so every character of
a message or a path survives.

Columns: GitHub's annotation API accepts `col`/`endColumn` only when the annotation
starts and ends on the same line, so a finding that spans several lines is annotated
with `line`/`endLine` only (whole lines).
"""
from __future__ import annotations

import os
from typing import Iterable, TextIO

from evalguard.diagnostics import ERROR, Diagnostic, FileError, Related, Report

CANNOT_CHECK_TITLE = "evalguard: cannot check"


def render(report: Report, stream: TextIO) -> None:
    for diagnostic in report.diagnostics:
        stream.write(finding_command(diagnostic) + "\n")
    for error in report.errors:
        stream.write(error_command(error) + "\n")


def finding_command(d: Diagnostic) -> str:
    single_line = d.end_line == d.line
    props: list[tuple[str, object]] = [
        ("file", annotation_path(d.path)),
        ("line", d.line),
        ("col", d.column if single_line else None),
        ("endLine", d.end_line),
        ("endColumn", d.end_column if single_line else None),
        ("title", f"{d.code} {d.name}"),
    ]
    command = "error" if d.severity == ERROR else "warning"
    return workflow_command(command, props, finding_message(d))


def error_command(e: FileError) -> str:
    props: list[tuple[str, object]] = [("file", annotation_path(e.path))]
    if e.line is not None:
        props.append(("line", e.line))
        if e.column is not None:
            props.append(("col", e.column))
    props.append(("title", CANNOT_CHECK_TITLE))
    return workflow_command("error", props, in_cell(e, e.reason))


def finding_message(d: Diagnostic) -> str:
    """The message, with the notebook cell in front when the finding is in one, and the
    related places briefly after it: `… (see line 38: eval mode set here)`."""
    message = in_cell(d, d.message)
    if d.status:  # after --confirm
        message = f"[{d.status}] {message}"
    notes = related_notes(d.path, d.related)
    return f"{message} (see {notes})" if notes else message


def in_cell(place: object, message: str) -> str:
    """`cell 3, line 2: message` for a place in a notebook (which has `cell`/`cell_line`)."""
    cell, cell_line = getattr(place, "cell", None), getattr(place, "cell_line", None)
    if cell is None:
        return message
    return f"cell {cell}" + (f", line {cell_line}" if cell_line is not None else "") + f": {message}"


def related_notes(path: str, related: Iterable[Related]) -> str:
    parts = []
    for r in related:
        cell, cell_line = getattr(r, "cell", None), getattr(r, "cell_line", None)
        where = f"cell {cell}, line {cell_line}" if cell is not None and cell_line is not None else f"line {r.line}"
        place = where if r.path == path else f"{annotation_path(r.path)}:{where.removeprefix('line ')}"
        parts.append(f"{place}: {r.message}" if r.message else place)
    return "; ".join(parts)


def annotation_path(path: str) -> str:
    """Paths as evalguard reports them (relative to where it runs, normally the repository
    root), with forward slashes as GitHub expects."""
    return path.replace(os.sep, "/") if os.sep != "/" else path


def workflow_command(command: str, properties: Iterable[tuple[str, object]], message: str) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties if value is not None)
    return f"::{command} {props}::{escape_data(message)}" if props else f"::{command}::{escape_data(message)}"


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")

