"""EG007 functional-dropout-ignores-mode: Functional dropout inside a module ignores `self.training`, so it stays active after `.eval()`."""
from __future__ import annotations

from typing import Iterator

from evalguard.analysis import FileAnalysis
from evalguard.rules.base import Finding, Rule


class FunctionalDropoutIgnoresMode(Rule):
    code = "EG007"
    name = "functional-dropout-ignores-mode"
    summary = "Functional dropout inside a module ignores `self.training`, so it stays active after `.eval()`."

    def check(self, analysis: FileAnalysis) -> Iterator[Finding]:
        return iter(())


RULE = FunctionalDropoutIgnoresMode()
