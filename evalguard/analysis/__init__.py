"""The analysis API that rules consume (filled in by the interpreter)."""
from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst


@dataclass
class FileAnalysis:
    path: str
    module: cst.Module


def analyze_module(module: cst.Module, path: str) -> FileAnalysis:
    return FileAnalysis(path, module)
