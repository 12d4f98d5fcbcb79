"""Check one file: read, decode, parse once, analyze once, run every selected rule.

Bad input never raises out of here: it becomes a `FileError` for that file. The
parse is guarded by CPython's own parser first, because libcst's native parser can
crash the whole process (stack overflow) on pathologically nested code that CPython
rejects cleanly.

A notebook (`*.ipynb`) is checked as its code cells joined in order (`evalguard.notebook`),
and its diagnostics and errors get the cell and the line within the cell. Suppression
comments (`evalguard.suppression`) are applied here, per file: a file with
`# evalguard: skip-file` is not parsed at all, and the findings silenced by `# noqa` /
`# evalguard: ignore` go to `FileResult.suppressed`.
"""
from __future__ import annotations

import ast
import io
import signal
import sys
import threading
import tokenize
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Sequence

import libcst as cst

from evalguard import notebook as nb
from evalguard.analysis import FileAnalysis, analyze_module
from evalguard.fixes import resolve as resolve_fix
from evalguard.prefilter import may_match, tokens_for
from evalguard.reading import (  # noqa: F401  (re-exported: the engine's public API)
    MAX_FILE_BYTES,
    MAX_NOTEBOOK_BYTES,
    FileTimeout,
    SourceError,
    decode_source,
    is_notebook,
    read_file,
    read_source,
    time_limit,
)
from evalguard.diagnostics import Diagnostic, FileError, FileResult, Related
from evalguard.rules import Finding, Rule
from evalguard.suppression import skips_file, split_suppressed

if TYPE_CHECKING:
    from evalguard.config import AnalysisSettings



@dataclass
class ParsedSource:
    text: str
    module: cst.Module


#: libcst nests `a and b and c ...` one level per operand (CPython keeps it flat) and its
#: native parser overflows the C stack, killing the process, near 7,500 operands
MAX_BOOLEAN_OPERANDS = 3000


def parse_source(text: str) -> cst.Module:
    """Parse with libcst after CPython's parser has vouched for the nesting depth."""
    try:
        tree = ast.parse(text)
        cpython_error: SyntaxError | None = None
    except (RecursionError, MemoryError):
        raise SourceError("too deeply nested to parse (CPython rejects it too)") from None
    except SyntaxError as exc:
        if "too many nested" in str(exc.msg):
            raise SourceError(f"syntax error: {exc.msg}", exc.lineno, _column(exc.offset)) from None
        cpython_error = exc  # maybe newer syntax that libcst knows: let libcst decide
        tree = None
    except ValueError as exc:  # e.g. source code string cannot contain null bytes
        raise SourceError(f"cannot parse: {exc}") from None
    if tree is not None and text.count(" and ") + text.count(" or ") > MAX_BOOLEAN_OPERANDS:
        for node in ast.walk(tree):
            if isinstance(node, ast.BoolOp) and len(node.values) > MAX_BOOLEAN_OPERANDS:
                raise SourceError(f"a boolean expression of {len(node.values)} operands is too long to parse "
                                  f"(the limit is {MAX_BOOLEAN_OPERANDS})", node.lineno, node.col_offset + 1)
    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        if cpython_error is not None and cpython_error.lineno:
            raise SourceError(f"syntax error: {cpython_error.msg}", cpython_error.lineno,
                              _column(cpython_error.offset)) from None
        raise SourceError(f"syntax error: {exc.message}", exc.raw_line, exc.raw_column + 1) from None
    except cst.CSTValidationError as exc:  # e.g. an identifier from a newer Unicode version
        if cpython_error is not None and cpython_error.lineno:
            raise SourceError(f"syntax error: {cpython_error.msg}", cpython_error.lineno,
                              _column(cpython_error.offset)) from None
        raise SourceError(f"cannot parse: {exc}") from None
    except RecursionError:
        raise SourceError("too deeply nested to parse") from None


def _column(offset: Optional[int]) -> Optional[int]:
    """CPython's 1-based offset (sometimes 0 for indentation errors) as a 1-based column."""
    return None if offset is None else max(offset, 1)


def validate_syntax(text: str) -> None:
    """Raise `SourceError` when the text is not Python, as `parse_source` would."""
    try:
        ast.parse(text)
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        parse_source(text)  # the same verdict and message (and newer syntax that libcst knows)


def read_notebook(data: bytes | str) -> nb.Notebook:
    try:
        notebook = nb.read_notebook(data)
    except nb.NotebookError as exc:
        raise SourceError(str(exc)) from None
    if len(notebook.source) > MAX_FILE_BYTES:
        raise SourceError(f"the notebook's code is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; skipped")
    return notebook


def check_source(
    data: bytes | str, path: str, rules: Sequence[Rule], settings: Optional[AnalysisSettings] = None
) -> FileResult:
    """Check source given in memory; `path` is what the report shows (a path ending in
    `.ipynb` is read as a notebook). `settings` are the configuration's analysis settings
    (`evalguard.config.AnalysisSettings`; None for the defaults)."""
    notebook: Optional[nb.Notebook] = None
    try:
        if is_notebook(path):
            notebook = read_notebook(data)
            if not notebook.is_python:
                return FileResult(path)
            text = notebook.source
        else:
            text = data if isinstance(data, str) else decode_source(data)
        if not text.strip() or skips_file(text):
            return FileResult(path)
        if not may_match(text.encode("utf-8", "replace") if isinstance(data, str) or notebook else data,
                         tokens_for(rules)):
            # none of the words the selected rules need: nothing to find, so no libcst
            # parse; CPython's parser (ten times cheaper) still reports a broken file
            validate_syntax(text)
            return FileResult(path)
        module = parse_source(text)
        analysis = analyze_module(module, path, settings)
        findings: list[tuple[Rule, Finding]] = []
        for rule in rules:
            for finding in rule.check(analysis):
                findings.append((rule, finding))
        if not findings:
            return FileResult(path)
        kept, suppressed = split_suppressed(text, to_diagnostics(analysis, text, findings))
        if notebook is not None:
            kept = [locate_in_cells(d, notebook) for d in kept]
            suppressed = [locate_in_cells(d, notebook) for d in suppressed]
        return FileResult(path, kept, suppressed=suppressed)
    except SourceError as exc:
        error = FileError(path, exc.reason, exc.line, exc.column)
        if notebook is not None and exc.line is not None:
            cell, cell_line = notebook.locate(exc.line)
            error = FileError(path, exc.reason, exc.line, exc.column, cell, cell_line)
        return FileResult(path, error=error)
    except RecursionError:
        return FileResult(path, error=FileError(path, "too deeply nested to analyze"))


#: the analysis recurses over expressions; pure-Python recursion does not use the C stack
#: on CPython 3.11+, so a deep (but CPython-valid) expression needs only a higher limit
sys.setrecursionlimit(max(sys.getrecursionlimit(), 20_000))


def locate_in_cells(d: Diagnostic, notebook: nb.Notebook) -> Diagnostic:
    """The diagnostic with its cell and line within the cell (and its related places')."""
    d.cell, d.cell_line = notebook.locate(d.line)
    related = []
    for r in d.related:
        cell, cell_line = notebook.locate(r.line) if r.path == d.path else (None, None)
        related.append(Related(r.path, r.line, r.column, r.message, cell, cell_line))
    d.related = related
    return d


def check_file(
    path: str, rules: Sequence[Rule], display_path: str | None = None, settings: Optional[AnalysisSettings] = None
) -> FileResult:
    """Read and check one file from disk."""
    shown = display_path or path
    try:
        data = read_file(path)
    except SourceError as exc:
        return FileResult(shown, error=FileError(shown, exc.reason))
    return check_source(data, shown, rules, settings)


def to_diagnostics(analysis: FileAnalysis, text: str, findings: list[tuple[Rule, Finding]]) -> list[Diagnostic]:
    """Resolve node positions (only for files with findings: it costs a code-generation
    pass) and build the diagnostics, one per distinct (rule, place), with their fixes."""
    path = analysis.path
    lines = text.split("\n")
    out: dict[tuple, Diagnostic] = {}
    for rule, finding in findings:
        start = analysis.position(finding.node).start
        end = analysis.position(finding.end_node or finding.node).end
        related = []
        for node, message in finding.related:
            pos = analysis.position(node)
            if pos is not None:
                related.append(Related(path, pos.start.line, pos.start.column + 1, message))
        key = (rule.code, start.line, start.column)
        if key in out:
            continue
        fix = resolve_fix(finding.fix, analysis.position, lines) if finding.fix is not None else None
        out[key] = Diagnostic(
            path=path,
            line=start.line,
            column=start.column + 1,
            end_line=end.line,
            end_column=end.column + 1,
            code=rule.code,
            name=rule.name,
            severity=finding.severity,
            message=finding.message,
            related=related,
            fix=fix,
        )
    return sorted(out.values(), key=Diagnostic.sort_key)
