"""EG002 missing-no-grad: Inference forward pass may run with autograd enabled (no `torch.no_grad()` / `torch.inference_mode()`)."""
from __future__ import annotations

from typing import Iterator

from evalguard.analysis import FileAnalysis
from evalguard.rules.base import Finding, Rule


class MissingNoGrad(Rule):
    code = "EG002"
    name = "missing-no-grad"
    summary = "Inference forward pass may run with autograd enabled (no `torch.no_grad()` / `torch.inference_mode()`)."

    def check(self, analysis: FileAnalysis) -> Iterator[Finding]:
        return iter(())


RULE = MissingNoGrad()
