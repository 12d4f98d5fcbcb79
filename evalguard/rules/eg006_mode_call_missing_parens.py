"""EG006 mode-call-missing-parens: `model.eval` / `model.train` without the call does nothing; `with torch.no_grad:` without parentheses raises."""
from __future__ import annotations

from typing import Iterator

from evalguard.analysis import FileAnalysis
from evalguard.rules.base import Finding, Rule


class ModeCallMissingParens(Rule):
    code = "EG006"
    name = "mode-call-missing-parens"
    summary = "`model.eval` / `model.train` without the call does nothing; `with torch.no_grad:` without parentheses raises."

    def check(self, analysis: FileAnalysis) -> Iterator[Finding]:
        return iter(())


RULE = ModeCallMissingParens()
