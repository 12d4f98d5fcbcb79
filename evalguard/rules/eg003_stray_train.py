"""EG003 stray-train: an explicit `.train()` is the last mode change on a path that
reaches an inference forward pass (reported at the `.train()` call)."""
from __future__ import annotations

from typing import Iterator

import libcst as cst

from evalguard.analysis import describe, TRAIN, FileAnalysis, code_of
from evalguard.analysis import source_of
from evalguard.fixes import UNSAFE, Fix, NodeEdit
from evalguard.rules import _fixes, _flow
from evalguard.rules.base import ERROR, WARNING, Finding, Rule


class StrayTrain(Rule):
    code = "EG003"
    name = "stray-train"
    summary = "An explicit `.train()` is the last mode change before an inference forward pass."
    tokens = _flow.FLOW_TOKENS

    def check(self, analysis: FileAnalysis) -> Iterator[Finding]:
        seen: dict = {}
        for event in analysis.forwards:
            for visit in event.visits:
                if not visit.is_inference or not event.obj.is_module_like or (visit.target and not event.sensitive):
                    continue
                for fact in visit.modes:
                    if fact.kind == TRAIN and not fact.selected and fact.node is not None and fact.node not in seen:
                        seen[fact.node] = (fact, event, visit)
        yield from self._lightning_hooks(analysis)
        for node, (fact, event, visit) in seen.items():
            forward_at = _flow.where(analysis, event.node, visit.stack)
            message = (
                f"`{describe(fact)}` leaves `{event.receiver}` in training mode for the inference forward pass "
                f"`{code_of(event.node)}` at {forward_at}{_flow.loop_note(analysis, fact, visit, event.node)} "
                f"({_flow.signals_text(visit)}); {_flow.layers_note(event)}. "
                "Call `.eval()` before inference (and `.train()` only where training resumes)."
            )
            related = [(event.node, "inference forward pass that runs in training mode")]
            related += _flow.visit_related(analysis, visit, message)
            yield Finding(node, message, _flow.severity(event), related, fix=_fix(analysis, node, event, visit))


    @staticmethod
    def _lightning_hooks(analysis: FileAnalysis) -> Iterator[Finding]:
        """Lightning runs validation/test/predict steps in eval mode; a `self.train()` in
        one of them switches the model back for the rest of the loop."""
        for node, cls, method in analysis.index.self_train_calls:
            if cls.is_lightning and method in _LIGHTNING_EVAL_HOOKS:
                yield Finding(
                    node,
                    f"`self.train()` inside `{method}()`: Lightning put the model in eval mode for this loop, and "
                    "this switches it back, so this and every later step of the loop run with Dropout active and "
                    "BatchNorm in training mode. Remove it (Lightning restores training mode after the loop).",
                    ERROR if cls.sensitive else WARNING,
                )


def _fix(analysis: FileAnalysis, train_call, event, visit) -> Fix | None:
    """Inside an inference function the `.train()` is a slip for `.eval()`; elsewhere
    (the top of an epoch loop) evaluate in eval mode and come back: `.eval()` before
    the call that leads to the inference, `.train()` after it."""
    if not (isinstance(train_call, cst.Call) and isinstance(train_call.func, cst.Attribute)
            and train_call.func.attr.value == "train"):
        return None
    recv = source_of(train_call.func.value)
    func = _fixes.enclosing_function(analysis, train_call)
    if _fixes.is_inference_function(func):
        return Fix(f"Call `{recv}.eval()` instead", [NodeEdit("replace", train_call, f"{recv}.eval()")], UNSAFE)
    for site in (*visit.stack, event.node):
        if _fixes.enclosing_function(analysis, site) is func and not _fixes.in_comprehension(analysis, site):
            before = _fixes.line_before(analysis, site, f"{recv}.eval()")
            after = _fixes.line_after(analysis, site, f"{recv}.train()")
            if before is not None and after is not None:
                return Fix(f"Evaluate with `{recv}.eval()`, then return to `{recv}.train()`", [before, after], UNSAFE)
    return None


_LIGHTNING_EVAL_HOOKS = {"validation_step", "test_step", "predict_step", "on_validation_batch_start",
                         "on_test_batch_start", "on_predict_batch_start", "on_validation_epoch_start",
                         "on_test_epoch_start", "on_predict_epoch_start"}

RULE = StrayTrain()
