"""EG001 missing-eval: an inference forward pass may run while the module is still in
its default training mode (it was never put in eval mode on some path)."""
from __future__ import annotations

from typing import Iterator

from evalguard.analysis import FRESH, TRAIN, FileAnalysis, describe
from evalguard.fixes import UNSAFE, Fix, NodeEdit
from evalguard.rules import _fixes, _flow
from evalguard.rules.base import Finding, Rule


class MissingEval(Rule):
    code = "EG001"
    name = "missing-eval"
    summary = "Inference forward pass may run while the module is still in training mode (no `.eval()` before it)."
    tokens = _flow.FLOW_TOKENS

    def check(self, analysis: FileAnalysis) -> Iterator[Finding]:
        for event in analysis.forwards:
            fresh = []
            why = None
            for visit in event.visits:
                if not visit.is_inference or not event.obj.is_module_like or (visit.target and not event.sensitive):
                    continue
                kinds = {f.kind for f in visit.modes if not f.selected}
                if FRESH in kinds and TRAIN not in kinds:
                    fresh.extend(f for f in visit.modes if f.kind == FRESH and not f.selected)
                    why = why or visit
            if not fresh:
                continue
            fact = _flow.first_line_order(analysis, fresh)[0]
            message = (
                f"`{event.receiver}` may still be in training mode here: it comes from `{describe(fact)}` at "
                f"{_flow.where(analysis, fact.node, fact.stack)}, which leaves it in training mode, and no "
                f"`.eval()` reaches this inference call ({_flow.signals_text(why)}); "
                f"{_flow.layers_note(event)}. Call `{event.receiver}.eval()` before inference."
            )
            related = [(fact.node, "created in training mode here")] if fact.node is not None else []
            related += _flow.visit_related(analysis, why, message)
            yield Finding(event.node, message, _flow.severity(event), related, fix=eval_before(analysis, event))


def eval_before(analysis: FileAnalysis, event) -> Fix | None:
    """`model.eval()` at the start of the inference function (when the model is one of
    its parameters or `self`), else right before the statement with the forward pass."""
    recv = event.receiver
    if "(" in recv or _fixes.in_comprehension(analysis, event.node):
        return None
    func = _fixes.enclosing_function(analysis, event.node)
    edit = None
    if _fixes.is_inference_function(func) and _fixes.root_name(recv) in (_fixes.parameters(func) | {"self"}):
        first = _fixes.first_body_statement(func.body)
        if first is not None:
            edit = NodeEdit("insert_before", first, f"{recv}.eval()")
    if edit is None:
        anchor = _fixes.outermost_block_keeping(analysis, event.node, _fixes.root_name(recv))
        edit = _fixes.line_before(analysis, anchor, f"{recv}.eval()")
    return Fix(f"Call `{recv}.eval()` before inference", [edit], UNSAFE) if edit is not None else None


RULE = MissingEval()
