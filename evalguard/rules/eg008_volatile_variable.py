"""EG008 volatile-variable: `Variable(..., volatile=True)` has had no effect since PyTorch 0.4; gradients are tracked."""
from __future__ import annotations

from typing import Iterator

from evalguard.analysis import FileAnalysis
from evalguard.rules.base import Finding, Rule


class VolatileVariable(Rule):
    code = "EG008"
    name = "volatile-variable"
    summary = "`Variable(..., volatile=True)` has had no effect since PyTorch 0.4; gradients are tracked."

    def check(self, analysis: FileAnalysis) -> Iterator[Finding]:
        return iter(())


RULE = VolatileVariable()
