"""EG002 missing-no-grad: an inference forward pass may run with autograd enabled."""
from __future__ import annotations

from typing import Iterator

from evalguard.analysis import EVAL, ON, FileAnalysis
from evalguard.fixes import UNSAFE, Fix, NodeEdit
from evalguard.rules import _fixes, _flow
from evalguard.rules.base import ERROR, WARNING, Finding, Rule


class MissingNoGrad(Rule):
    code = "EG002"
    name = "missing-no-grad"
    summary = (
        "Inference forward pass may run with autograd enabled "
        "(no `torch.no_grad()` / `torch.inference_mode()`)."
    )
    tokens = _flow.FLOW_TOKENS

    def check(self, analysis: FileAnalysis) -> Iterator[Finding]:
        for event in analysis.forwards:
            hit = None
            for visit in event.visits:
                if not visit.is_inference or visit.managed_grad or visit.frozen or not event.obj.is_module_like:
                    continue
                on = [g for g in visit.grads if g.kind == ON]
                if not on:
                    continue
                # a function analysed without callers: its default grad mode is only a
                # guess, so ask for more evidence that it is meant as inference
                intent = any(g.strong for g in on) or visit.volatile or any(f.kind == EVAL for f in visit.modes)
                if intent:
                    hit = visit
                    break
            if hit is None:
                continue
            message = (
                f"`{event.receiver}` runs for inference ({_flow.signals_text(hit)}) "
                "with autograd enabled: every call builds a graph and keeps activations alive for a backward "
                "pass that never comes. Wrap it in `with torch.inference_mode():` (or `torch.no_grad()`)."
            )
            if hit.volatile:
                message += " `Variable(..., volatile=True)` no longer does this (EG008)."
            yield Finding(event.node, message, ERROR if event.sensitive is not False else WARNING,
                          _flow.visit_related(analysis, hit, message), fix=no_grad_fix(analysis, event.node))


def no_grad_fix(analysis: FileAnalysis, forward) -> Fix | None:
    """`@torch.no_grad()` on the inference function, else `with torch.no_grad():` around
    the statement; `import torch` (or the file's alias) as needed."""
    torch, imports = _fixes.torch_name(analysis)
    func = _fixes.enclosing_function(analysis, forward)
    if _fixes.is_inference_function(func) and not func.decorators:
        edit = NodeEdit("insert_before", func, f"@{torch}.no_grad()")
        return Fix(f"Decorate `{func.name.value}()` with `@{torch}.no_grad()`", [edit, *imports], UNSAFE)
    edit = _fixes.wrap_in_no_grad(analysis, forward, torch)
    if edit is None:
        return None
    return Fix(f"Run it under `with {torch}.no_grad():`", [edit, *imports], UNSAFE)


RULE = MissingNoGrad()
