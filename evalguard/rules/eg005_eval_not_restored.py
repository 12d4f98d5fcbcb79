"""EG005 eval-not-restored: A training step may run while the module is still in eval mode (an earlier `.eval()` was never undone)."""
from __future__ import annotations

from typing import Iterator

from evalguard.analysis import FileAnalysis
from evalguard.rules.base import Finding, Rule


class EvalNotRestored(Rule):
    code = "EG005"
    name = "eval-not-restored"
    summary = "A training step may run while the module is still in eval mode (an earlier `.eval()` was never undone)."

    def check(self, analysis: FileAnalysis) -> Iterator[Finding]:
        return iter(())


RULE = EvalNotRestored()
