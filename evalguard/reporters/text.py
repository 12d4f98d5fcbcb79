"""`--output-format text` (the default): ruff-style findings with the source line and a
caret under the reported range, notes for related places, then a summary.

Colour comes from the rich `Console` the caller builds: a console that is not writing
to a terminal (or has no colour system) produces plain text.
"""
from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from evalguard.diagnostics import ERROR, WARNING, Diagnostic, FileError, Report
from evalguard.reporters.concise import error_location
from evalguard.sources import SourceLines, read_lines  # noqa: F401  (read_lines: kept for importers)

SEVERITY_STYLES = {ERROR: "bold red", WARNING: "bold yellow"}
TAB_SIZE = 4


def render(report: Report, console: Console, *, quiet: bool = False) -> None:
    sources = SourceLines(report.sources)
    for diagnostic in report.diagnostics:
        for text in finding_lines(diagnostic, sources.get(diagnostic.path)):
            console.print(text, soft_wrap=True)
        console.print()
    for diagnostic in report.suppressed or ():
        console.print(suppressed_line(diagnostic), soft_wrap=True)
    if report.suppressed:
        console.print()
    for error in report.errors:
        console.print(error_line(error), soft_wrap=True)
    if not quiet:
        console.print(summary(report), soft_wrap=True)


STATUS_STYLES = {"confirmed": "bold red", "not-observed": "bold green", "not-reached": "bold yellow"}


def finding_lines(d: Diagnostic, lines: list[str] | None) -> list[Text]:
    header = Text.assemble(
        (f"{d.location()}:", "bold"),
        " ",
        (d.code, SEVERITY_STYLES.get(d.severity, "bold")),
        " ",
        (f"[{d.name}]", "dim"),
        f" {d.message}",
    )
    if d.status:  # after --confirm
        header.append(f" [{d.status}]", STATUS_STYLES.get(d.status, "bold"))
    out = [header]
    if lines is not None and 1 <= d.line <= len(lines):
        out.extend(snippet(d, lines[d.line - 1]))
    for r in d.related:
        out.append(Text.assemble("  = ", ("note", "bold cyan"), f": {r.location()}: {r.message}"))
    return out


def suppressed_line(d: Diagnostic) -> Text:
    """`--show-suppressed`: one line per finding a suppression comment silenced."""
    return Text.assemble(
        (f"{d.location()}:", "bold"), " ", (d.code, "dim"), " ", (f"[{d.name}]", "dim"), f" {d.message} ",
        ("(suppressed)", "bold cyan"),
    )


def snippet(d: Diagnostic, source: str) -> list[Text]:
    """The reported line under a line-number gutter, with carets under the range (to the
    end of the line when the range spans several lines)."""
    source = "".join(ch if ch.isprintable() or ch == "\t" else "\ufffd" for ch in source)
    start = min(max(d.column - 1, 0), len(source))
    end = d.end_column - 1 if d.end_line == d.line else len(source.rstrip())
    end = min(max(end, start + 1), max(len(source), start + 1))
    pad = cell_len(source[:start].expandtabs(TAB_SIZE))
    width = max(cell_len(source[:end].expandtabs(TAB_SIZE)) - pad, 1)
    number = str(d.cell_line if d.cell_line is not None else d.line)
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
    if report.suppressed:
        unchecked += f"; {len(report.suppressed)} suppressed"
    hidden = [f"{n} {what}" for n, what in ((report.baselined, "in the baseline"), (report.unchanged, "on unchanged lines")) if n]
    if hidden:
        unchecked += f"; not reported: {', '.join(hidden)}"
    if report.diagnostics:
        errors = sum(d.severity == ERROR for d in report.diagnostics)
        warnings = sum(d.severity == WARNING for d in report.diagnostics)
        counts = f"{_count(errors, 'error')}, {_count(warnings, 'warning')}"
        return Text(f"Found {_count(len(report.diagnostics), 'finding')} ({counts}) in {checked}{unchecked}.", "bold")
    if report.errors:
        return Text(f"No findings in {checked}{unchecked}.", "bold")
    return Text(f"All checks passed ({checked} checked{unchecked}).", "bold green")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
