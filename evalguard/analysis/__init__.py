"""The analysis API that rules consume.

`analyze_module(module, path)` indexes the file, runs the abstract interpreter, and
returns a `FileAnalysis`: the forward passes it met (with the modes, grad modes and
inference signals of each visit) and the syntactic candidates of the simpler rules.
Positions are resolved lazily (`line_of`), because most files have no finding and
libcst's position pass costs more than the parse.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Protocol

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from evalguard.analysis import knowledge
from evalguard.analysis.events import ForwardEvent, FrozenPart, Visit
from evalguard.analysis.index import DropoutCall, FileIndex, build_index, constant, NOT_CONSTANT
from evalguard.analysis.interpreter import BudgetExceeded, Interpreter
from evalguard.analysis.names import code_of, dotted, source_of
from evalguard.analysis.walk import children, walk
from evalguard.analysis.values import EVAL, FRESH, OFF, ON, TRAIN, UNKNOWN, FreezeFact, GradFact, ModeFact, describe

__all__ = [
    "FileAnalysis", "analyze_module", "ForwardEvent", "Visit", "FrozenPart", "ModeFact", "GradFact", "FreezeFact",
    "DropoutCall", "FRESH", "TRAIN", "EVAL", "UNKNOWN", "ON", "OFF", "code_of", "dotted", "constant",
    "NOT_CONSTANT", "knowledge", "walk", "describe", "source_of",
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

    _parents: Optional[dict] = None

    def parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        """The syntactic parent (the map is built on first use: only fixes need it)."""
        if self._parents is None:
            self._parents = {}
            for n in walk(self.module):
                for child in children(n):
                    self._parents[child] = n
        return self._parents.get(node)

    def ancestors(self, node: cst.CSTNode):
        cur = self.parent(node)
        while cur is not None:
            yield cur
            cur = self.parent(cur)

    def statement_of(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        """The statement (a line of simple statements, or a compound statement) that holds
        `node` directly in a block."""
        cur: Optional[cst.CSTNode] = node
        while cur is not None:
            parent = self.parent(cur)
            if isinstance(cur, (cst.SimpleStatementLine, cst.BaseCompoundStatement)) and isinstance(
                    parent, (cst.IndentedBlock, cst.Module)):
                return cur
            cur = parent
        return None

    def torch_alias(self) -> Optional[str]:
        """The name this file imports torch under (`torch`, `th`, `t`), if any."""
        for local, qual in self.index.imports.names.items():
            if qual == "torch":
                return local
        return None


class Settings(Protocol):
    """What configuration can tell the analysis (`evalguard.config.AnalysisSettings`)."""

    def is_inference_function(self, name: str) -> bool: ...

    def is_inference_loader(self, text: str) -> bool: ...

    def constructor_mode(self, qualname: str) -> Optional[str]: ...


def analyze_module(module: cst.Module, path: str, settings: Optional[Settings] = None) -> FileAnalysis:
    index = build_index(module)
    analysis = FileAnalysis(path, module, index)
    interpreter = Interpreter(module, index, settings)
    try:
        interpreter.run()
    except BudgetExceeded:
        analysis.complete = False
        return analysis
    analysis.forwards = list(interpreter.events.values())
    return analysis
