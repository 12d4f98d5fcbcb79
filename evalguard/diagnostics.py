"""The records evalguard produces: findings, file errors and the run report.

These types are the contract between the analysis, the rules and the reporters. The
JSON shape (`Report.to_json`) is the stable schema of SPEC §4 that shared tools read.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

JSON_SCHEMA_VERSION = 1

ERROR = "error"
WARNING = "warning"


def format_location(path: str, line: Optional[int] = None, column: Optional[int] = None, cell: Optional[int] = None,
                    cell_line: Optional[int] = None) -> str:
    """`path:line:col` as far as it is known; in a notebook `nb.ipynb:cell 3:5:9` (the line
    within the cell). Used by the text and concise formats."""
    parts = [path]
    if cell is not None and cell_line is not None:
        parts += [f"cell {cell}", str(cell_line)]
    elif line is not None:
        parts.append(str(line))
    else:
        return path
    if column is not None:
        parts.append(str(column))
    return ":".join(parts)


def _cell_json(out: dict[str, Any], cell: Optional[int], cell_line: Optional[int]) -> dict[str, Any]:
    if cell is not None:
        out["cell"] = cell
        out["cell_line"] = cell_line
    return out


@dataclass(frozen=True)
class Related:
    """Another place that explains a finding (the `.train()` that caused it, the loop, ...).
    In a notebook, `cell`/`cell_line` give the place within the code cell (see `Diagnostic`)."""

    path: str
    line: int
    column: int
    message: str
    cell: Optional[int] = None
    cell_line: Optional[int] = None

    def location(self) -> str:
        return format_location(self.path, self.line, self.column, self.cell, self.cell_line)

    def to_json(self) -> dict[str, Any]:
        out = {"path": self.path, "line": self.line, "column": self.column, "message": self.message}
        return _cell_json(out, self.cell, self.cell_line)


@dataclass
class Diagnostic:
    """One finding. Lines are 1-based; columns are 1-based; `end_*` is exclusive of nothing
    (the last character's column + 1), as in ruff's JSON.

    In a notebook, `line`/`column` count within the code cells joined in order (SPEC §4)
    and `cell` (1-based among the code cells) and `cell_line` (1-based within that cell)
    say where that is; both are None for other files and then left out of the JSON."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    code: str
    name: str
    severity: str
    message: str
    related: list[Related] = field(default_factory=list)
    status: Optional[str] = None
    fix: Optional[dict[str, Any]] = None
    cell: Optional[int] = None
    cell_line: Optional[int] = None

    def sort_key(self) -> tuple:
        return (self.path, self.line, self.column, self.code, self.message)

    def location(self) -> str:
        """`path:line:col`, or `nb.ipynb:cell N:line:col` in a notebook."""
        return format_location(self.path, self.line, self.column, self.cell, self.cell_line)

    def to_json(self) -> dict[str, Any]:
        out = {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "message": self.message,
            "related": [r.to_json() for r in self.related],
            "status": self.status,
            "fix": self.fix,
        }
        return _cell_json(out, self.cell, self.cell_line)


@dataclass(frozen=True)
class FileError:
    """A file that could not be read or parsed; the run goes on without it."""

    path: str
    reason: str
    line: Optional[int] = None
    column: Optional[int] = None
    cell: Optional[int] = None
    cell_line: Optional[int] = None

    def location(self) -> str:
        return format_location(self.path, self.line, self.column, self.cell, self.cell_line)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "reason": self.reason}
        if self.line is not None:
            out["line"] = self.line
        if self.column is not None:
            out["column"] = self.column
        return _cell_json(out, self.cell, self.cell_line)


@dataclass
class FileResult:
    """What checking one file gave: its findings, or the error that stopped it."""

    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    error: Optional[FileError] = None
    #: findings silenced by a suppression comment (see evalguard.suppression)
    suppressed: list[Diagnostic] = field(default_factory=list)


@dataclass
class Report:
    """The result of a whole run, in a deterministic order."""

    files_checked: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    #: findings silenced by suppression comments; None unless `--show-suppressed` asked
    #: for them (then the JSON gets a top-level `suppressed` list)
    suppressed: Optional[list[Diagnostic]] = None
    #: findings left out because `--baseline` lists them (the text summary counts them)
    baselined: int = 0
    #: findings left out because `--changed-since` found their lines unchanged
    unchanged: int = 0
    #: source text of inputs that are not files on disk (stdin), by display path, so
    #: reporters can show snippets; never serialised
    sources: dict[str, str] = field(default_factory=dict)
    #: the run was stopped (Ctrl-C) before every file was checked
    interrupted: bool = False

    def add(self, result: FileResult) -> None:
        self.files_checked += 1
        self.diagnostics.extend(result.diagnostics)
        if result.error is not None:
            self.errors.append(result.error)
        if self.suppressed is not None:
            self.suppressed.extend(result.suppressed)

    def sort(self) -> None:
        self.diagnostics.sort(key=Diagnostic.sort_key)
        self.errors.sort(key=lambda e: (e.path, e.line or 0, e.reason))
        if self.suppressed is not None:
            self.suppressed.sort(key=Diagnostic.sort_key)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "version": JSON_SCHEMA_VERSION,
            "files_checked": self.files_checked,
            "diagnostics": [d.to_json() for d in self.diagnostics],
            "errors": [e.to_json() for e in self.errors],
        }
        if self.suppressed is not None:
            out["suppressed"] = [d.to_json() for d in self.suppressed]
        return out
