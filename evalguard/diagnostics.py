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


@dataclass(frozen=True)
class Related:
    """Another place that explains a finding (the `.train()` that caused it, the loop, ...)."""

    path: str
    line: int
    column: int
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "column": self.column, "message": self.message}


@dataclass
class Diagnostic:
    """One finding. Lines are 1-based; columns are 1-based; `end_*` is exclusive of nothing
    (the last character's column + 1), as in ruff's JSON."""

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

    def sort_key(self) -> tuple:
        return (self.path, self.line, self.column, self.code, self.message)

    def to_json(self) -> dict[str, Any]:
        return {
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


@dataclass(frozen=True)
class FileError:
    """A file that could not be read or parsed; the run goes on without it."""

    path: str
    reason: str
    line: Optional[int] = None
    column: Optional[int] = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "reason": self.reason}
        if self.line is not None:
            out["line"] = self.line
        if self.column is not None:
            out["column"] = self.column
        return out


@dataclass
class FileResult:
    """What checking one file gave: its findings, or the error that stopped it."""

    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    error: Optional[FileError] = None


@dataclass
class Report:
    """The result of a whole run, in a deterministic order."""

    files_checked: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)

    def add(self, result: FileResult) -> None:
        self.files_checked += 1
        self.diagnostics.extend(result.diagnostics)
        if result.error is not None:
            self.errors.append(result.error)

    def sort(self) -> None:
        self.diagnostics.sort(key=Diagnostic.sort_key)
        self.errors.sort(key=lambda e: (e.path, e.line or 0, e.reason))

    def to_json(self) -> dict[str, Any]:
        return {
            "version": JSON_SCHEMA_VERSION,
            "files_checked": self.files_checked,
            "diagnostics": [d.to_json() for d in self.diagnostics],
            "errors": [e.to_json() for e in self.errors],
        }
