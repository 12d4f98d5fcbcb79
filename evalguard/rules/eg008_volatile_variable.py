"""EG008 volatile-variable: `Variable(..., volatile=True)` has had no effect since
PyTorch 0.4; gradients are tracked."""
from __future__ import annotations

from typing import Iterator

from evalguard.analysis import FileAnalysis
from evalguard.rules.base import WARNING, Finding, Rule


class VolatileVariable(Rule):
    code = "EG008"
    name = "volatile-variable"
    summary = "`Variable(..., volatile=True)` has had no effect since PyTorch 0.4; gradients are tracked."

    def check(self, analysis: FileAnalysis) -> Iterator[Finding]:
        for node in analysis.index.volatile_calls:
            yield Finding(
                node,
                "`volatile=True` has been ignored since PyTorch 0.4 (it only warns): this does not turn off "
                "autograd, and `Variable` itself is a no-op wrapper. Drop the `Variable(...)` and run the "
                "inference under `with torch.inference_mode():` (or `torch.no_grad()`).",
                WARNING,
            )


RULE = VolatileVariable()
