"""EG001 missing-eval: Inference forward pass may run while the module is still in training mode (no `.eval()` before it)."""
from __future__ import annotations

from typing import Iterator

from evalguard.analysis import FileAnalysis
from evalguard.rules.base import Finding, Rule


class MissingEval(Rule):
    code = "EG001"
    name = "missing-eval"
    summary = "Inference forward pass may run while the module is still in training mode (no `.eval()` before it)."

    def check(self, analysis: FileAnalysis) -> Iterator[Finding]:
        return iter(())


RULE = MissingEval()
