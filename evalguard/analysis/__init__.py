"""The analysis API that rules consume.

`analyze_module(module, path)` indexes the file, runs the abstract interpreter, and
returns a `FileAnalysis`: the forward passes it met (with the modes, grad modes and
inference signals of each visit) and the syntactic candidates of the simpler rules.
Positions are resolved lazily (`line_of`), because most files have no finding and
libcst's position pass costs more than the parse.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from evalguard.analysis import knowledge
from evalguard.analysis.events import ForwardEvent, FrozenPart, Visit
from evalguard.analysis.index import DropoutCall, FileIndex, build_index, constant, NOT_CONSTANT
from evalguard.analysis.interpreter import BudgetExceeded, Interpreter
from evalguard.analysis.names import code_of, dotted
from evalguard.analysis.walk import walk
from evalguard.analysis.values import EVAL, FRESH, OFF, ON, TRAIN, UNKNOWN, FreezeFact, GradFact, ModeFact, describe

__all__ = [
    "FileAnalysis", "analyze_module", "ForwardEvent", "Visit", "FrozenPart", "ModeFact", "GradFact", "FreezeFact",
    "DropoutCall", "FRESH", "TRAIN", "EVAL", "UNKNOWN", "ON", "OFF", "code_of", "dotted", "constant",
    "NOT_CONSTANT", "knowledge", "walk", "describe",
]


@dataclass
class FileAnalysis:
    path: str
    module: cst.Module
    index: FileIndex
    forwards: list[ForwardEvent] = field(default_factory=list)
    complete: bool = True  # False when the interpreter ran out of budget (flow rules stay silent)
    _positions: Optional[dict] = None

    def position(self, node: cst.CSTNode) -> Optional[CodeRange]:
        if self._positions is None:
            self._positions = dict(MetadataWrapper(self.module, unsafe_skip_copy=True).resolve(PositionProvider))
        return self._positions.get(node)

    def line_of(self, node: Optional[cst.CSTNode]) -> Optional[int]:
        if node is None:
            return None
        pos = self.position(node)
        return pos.start.line if pos is not None else None

    def qualify(self, node: cst.BaseExpression) -> Optional[str]:
        return self.index.qualify(node)


def analyze_module(module: cst.Module, path: str) -> FileAnalysis:
    index = build_index(module)
    analysis = FileAnalysis(path, module, index)
    interpreter = Interpreter(module, index)
    try:
        interpreter.run()
    except BudgetExceeded:
        analysis.complete = False
        return analysis
    analysis.forwards = list(interpreter.events.values())
    return analysis
