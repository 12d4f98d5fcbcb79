"""`--output-format text` (the default): ruff-style findings with the source line and a
caret under the reported range, notes for related places, then a summary.

Colour comes from the rich `Console` the caller builds: a console that is not writing
to a terminal (or has no colour system) produces plain text.
"""
from __future__ import annotations

import io
import re
import tokenize

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from evalguard.diagnostics import ERROR, WARNING, Diagnostic, FileError, Report
from evalguard.reporters.concise import error_location

SEVERITY_STYLES = {ERROR: "bold red", WARNING: "bold yellow"}
TAB_SIZE = 4
#: the line breaks Python's tokenizer (and so every reported line number) counts
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def render(report: Report, console: Console, *, quiet: bool = False) -> None:
    sources = SourceLines()
    for diagnostic in report.diagnostics:
        for text in finding_lines(diagnostic, sources.get(diagnostic.path)):
            console.print(text, soft_wrap=True)
        console.print()
    for error in report.errors:
        console.print(error_line(error), soft_wrap=True)
    if not quiet:
        console.print(summary(report), soft_wrap=True)


class SourceLines:
    """Each file's lines, read once; None for a file that cannot be read (no snippet)."""

    def __init__(self) -> None:
        self._cache: dict[str, list[str] | None] = {}

    def get(self, path: str) -> list[str] | None:
        if path not in self._cache:
            self._cache[path] = read_lines(path)
        return self._cache[path]


def read_lines(path: str) -> list[str] | None:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding, errors="replace")
    except (SyntaxError, LookupError):
        text = data.decode("utf-8", errors="replace")
    return _LINE_BREAK.split(text.removeprefix("\ufeff"))


def finding_lines(d: Diagnostic, lines: list[str] | None) -> list[Text]:
    header = Text.assemble(
        (f"{d.path}:{d.line}:{d.column}:", "bold"),
        " ",
        (d.code, SEVERITY_STYLES.get(d.severity, "bold")),
        " ",
        (f"[{d.name}]", "dim"),
        f" {d.message}",
    )
    out = [header]
    if lines is not None and 1 <= d.line <= len(lines):
        out.extend(snippet(d, lines[d.line - 1]))
    for r in d.related:
        out.append(Text.assemble("  = ", ("note", "bold cyan"), f": {r.path}:{r.line}:{r.column}: {r.message}"))
    return out


def snippet(d: Diagnostic, source: str) -> list[Text]:
    """The reported line under a line-number gutter, with carets under the range (to the
    end of the line when the range spans several lines)."""
    source = "".join(ch if ch.isprintable() or ch == "\t" else "\ufffd" for ch in source)
    start = min(max(d.column - 1, 0), len(source))
    end = d.end_column - 1 if d.end_line == d.line else len(source.rstrip())
    end = min(max(end, start + 1), max(len(source), start + 1))
    pad = cell_len(source[:start].expandtabs(TAB_SIZE))
    width = max(cell_len(source[:end].expandtabs(TAB_SIZE)) - pad, 1)
    number = str(d.line)
    gutter = " " * len(number) + " |"
    style = SEVERITY_STYLES.get(d.severity, "bold")
    return [
        Text(gutter, "blue"),
        Text.assemble((f"{number} |", "blue"), f" {source.expandtabs(TAB_SIZE)}".rstrip()),
        Text.assemble((gutter, "blue"), " " + " " * pad, ("^" * width, style)),
    ]


def error_line(error: FileError) -> Text:
    return Text.assemble((f"{error_location(error)}:", "bold"), " ", ("error", "bold red"), f": {error.reason}")


def summary(report: Report) -> Text:
    checked = _count(report.files_checked, "file")
    unchecked = f"; {_count(len(report.errors), 'file')} could not be checked" if report.errors else ""
    if report.diagnostics:
        errors = sum(d.severity == ERROR for d in report.diagnostics)
        warnings = sum(d.severity == WARNING for d in report.diagnostics)
        counts = f"{_count(errors, 'error')}, {_count(warnings, 'warning')}"
        return Text(f"Found {_count(len(report.diagnostics), 'finding')} ({counts}) in {checked}{unchecked}.", "bold")
    if report.errors:
        return Text(f"No findings in {checked}{unchecked}.", "bold")
    return Text(f"All checks passed ({checked} checked).", "bold green")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
