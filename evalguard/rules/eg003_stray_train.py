"""EG003 stray-train: An explicit `.train()` is the last mode change before an inference forward pass."""
from __future__ import annotations

from typing import Iterator

from evalguard.analysis import FileAnalysis
from evalguard.rules.base import Finding, Rule


class StrayTrain(Rule):
    code = "EG003"
    name = "stray-train"
    summary = "An explicit `.train()` is the last mode change before an inference forward pass."

    def check(self, analysis: FileAnalysis) -> Iterator[Finding]:
        return iter(())


RULE = StrayTrain()
