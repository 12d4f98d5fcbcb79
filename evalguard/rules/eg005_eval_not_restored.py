"""EG005 eval-not-restored: a training step may run while the module is in eval mode
(an earlier `.eval()` was never undone, or the model came from an eval-mode loader)."""
from __future__ import annotations

from typing import Iterator

import libcst as cst

from evalguard.analysis import describe, EVAL, FileAnalysis
from evalguard.analysis.usage import TRAINING
from evalguard.fixes import UNSAFE, Fix, NodeEdit
from evalguard.rules import _fixes, _flow
from evalguard.rules.base import Finding, Rule


class EvalNotRestored(Rule):
    code = "EG005"
    name = "eval-not-restored"
    summary = "A training step may run while the module is still in eval mode (an earlier `.eval()` was never undone)."
    tokens = _flow.FLOW_TOKENS

    def check(self, analysis: FileAnalysis) -> Iterator[Finding]:
        for event in analysis.forwards:
            facts = []
            hit = None
            for visit in event.visits:
                if visit.usage != TRAINING or not visit.optimized or not event.obj.is_module_like:
                    continue
                evals = [f for f in visit.modes if f.kind == EVAL and not f.selected]
                if evals:
                    facts.extend(evals)
                    hit = hit or visit
            if not facts:
                continue
            fact = _flow.first_line_order(analysis, facts)[0]
            if fact.loader:
                cause = (f"it comes from `{describe(fact)}` at {_flow.where(analysis, fact.node, fact.stack)}, which "
                         "returns the model in eval mode, and no `.train()` follows")
            else:
                cause = (f"{_flow.fact_text(analysis, fact)} is not undone by a `.train()` before this step"
                         f"{_flow.loop_note(analysis, fact, hit, event.node)}")
            message = (
                f"`{event.receiver}` may be in eval mode during this training step: {cause}; "
                "Dropout is off and BatchNorm uses frozen running statistics while the weights are updated. "
                f"Call `{event.receiver}.train()` at the start of each training epoch/step."
            )
            related = [(fact.node, "eval mode set here")] if fact.node is not None else []
            related += _flow.visit_related(analysis, hit, message)
            yield Finding(event.node, message, _flow.severity(event), related, fix=_fix(analysis, event))


def _fix(analysis: FileAnalysis, event) -> Fix | None:
    """`model.train()` at the top of the innermost loop around the training step, else at
    the top of its function, else right before it."""
    recv = event.receiver
    if "(" in recv or _fixes.in_comprehension(analysis, event.node):
        return None
    text = f"{recv}.train()"
    edit = None
    for a in analysis.ancestors(event.node):
        if isinstance(a, cst.FunctionDef):
            if _fixes.root_name(recv) in (_fixes.parameters(a) | {"self"}):
                first = _fixes.first_body_statement(a.body)
                edit = NodeEdit("insert_before", first, text) if first is not None else None
            break
        if isinstance(a, (cst.For, cst.While)):
            first = _fixes.first_body_statement(a.body)
            edit = NodeEdit("insert_before", first, text) if first is not None else None
            break
    if edit is None:
        edit = _fixes.line_before(analysis, event.node, text)
    return Fix(f"Call `{text}` before training", [edit], UNSAFE) if edit is not None else None


RULE = EvalNotRestored()
