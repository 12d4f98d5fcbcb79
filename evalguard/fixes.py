"""Fixes: what a rule proposes, as text edits, and how they are applied.

A rule describes a fix in terms of syntax nodes (`replace this call`, `insert a line
before this statement`); the engine turns it into positional text edits once node
positions are known; `apply_edits` applies them to the source. Text edits keep every
comment, blank line and line ending that the fix does not touch. Fixes are *safe* (they
only do what the rule says, e.g. call the bare `model.eval`) or *unsafe* (they change
behaviour in a way a person should review, e.g. insert `model.eval()`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import libcst as cst

SAFE = "safe"
UNSAFE = "unsafe"


@dataclass(frozen=True)
class NodeEdit:
    """An edit relative to a node: replace it, or insert whole lines before/after the
    line(s) it occupies (with the statement's indentation)."""

    kind: str  # "replace" | "replace_statement" | "delete_statement" | "insert_before" | "insert_after"
    node: cst.CSTNode
    text: str


@dataclass
class Fix:
    message: str
    edits: list[NodeEdit]
    applicability: str = SAFE


@dataclass(frozen=True, order=True)
class TextEdit:
    """Replace the text from (line, column) to (end_line, end_column) — 1-based lines,
    1-based columns, end exclusive — with `content`."""

    line: int
    column: int
    end_line: int
    end_column: int
    content: str

    def to_json(self) -> dict[str, Any]:
        return {
            "content": self.content,
            "location": {"row": self.line, "column": self.column},
            "end_location": {"row": self.end_line, "column": self.end_column},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "TextEdit":
        return cls(data["location"]["row"], data["location"]["column"], data["end_location"]["row"],
                   data["end_location"]["column"], data["content"])


def resolve(fix: Fix, position: Callable[[cst.CSTNode], Any], lines: list[str]) -> Optional[dict[str, Any]]:
    """The JSON form of a fix (ruff's shape): applicability, message, text edits."""
    edits: list[TextEdit] = []
    for edit in fix.edits:
        pos = position(edit.node)
        if pos is None:
            return None
        start_line, start_col = pos.start.line, pos.start.column + 1
        end_line, end_col = pos.end.line, pos.end.column + 1
        indent = _indent_of(lines, start_line)
        if edit.kind == "replace":
            edits.append(TextEdit(start_line, start_col, end_line, end_col, edit.text))
            continue
        if edit.kind == "delete_statement":  # the whole line(s), newline included
            edits.append(TextEdit(start_line, 1, end_line + 1, 1, ""))
            continue
        if edit.kind == "replace_statement":  # multi-line text at the statement's indentation
            edits.append(TextEdit(start_line, start_col, end_line, end_col, edit.text.replace("\n", "\n" + indent)))
            continue
        text = "".join(f"{indent}{line}\n" if line else "\n" for line in edit.text.split("\n"))
        if edit.kind == "insert_before":
            edits.append(TextEdit(start_line, 1, start_line, 1, text))
        elif edit.kind == "insert_after":
            edits.append(TextEdit(end_line + 1, 1, end_line + 1, 1, text))
    return {"applicability": fix.applicability, "message": fix.message, "edits": [e.to_json() for e in sorted(edits)]}


def _indent_of(lines: list[str], line: int) -> str:
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return text[: len(text) - len(text.lstrip(" \t"))]


class ConflictError(ValueError):
    """Two edits overlap: the file is left as it is."""


def apply_edits(source: str, edits: list[TextEdit]) -> str:
    """Apply non-overlapping edits (in any order) to `source`; overlapping edits raise
    `ConflictError`. Line endings are kept: offsets are computed on the text as is."""
    starts = [0]
    for i, ch in enumerate(source):
        if ch == "\n":
            starts.append(i + 1)

    def offset(line: int, column: int) -> int:
        if line > len(starts):
            return len(source)
        return min(starts[line - 1] + column - 1, len(source))

    spans = sorted((offset(e.line, e.column), offset(e.end_line, e.end_column), e.content) for e in edits)
    for (a_start, a_end, _), (b_start, b_end, _) in zip(spans, spans[1:]):
        if b_start < a_end or (a_start == b_start and a_end != a_start and b_end != b_start):
            raise ConflictError(f"edits overlap at offset {b_start}")
    out = source
    for start, end, content in reversed(spans):
        if start == len(source) and source and not source.endswith(("\n", "\r")):
            content = "\n" + content  # a line appended after a last line without its newline
        out = out[:start] + content + out[end:]
    return out


@dataclass
class FixOutcome:
    path: str
    applied: int = 0
    source: Optional[str] = None  # the fixed text (None when nothing changed)
    problems: list[str] = field(default_factory=list)
