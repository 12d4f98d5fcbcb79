"""EG004 frozen-batchnorm: A frozen (sub)module containing BatchNorm runs in training mode, so its running statistics drift."""
from __future__ import annotations

from typing import Iterator

from evalguard.analysis import FileAnalysis
from evalguard.rules.base import Finding, Rule


class FrozenBatchnorm(Rule):
    code = "EG004"
    name = "frozen-batchnorm"
    summary = "A frozen (sub)module containing BatchNorm runs in training mode, so its running statistics drift."

    def check(self, analysis: FileAnalysis) -> Iterator[Finding]:
        return iter(())


RULE = FrozenBatchnorm()
