"""EG003 stray-train: an explicit `.train()` is the last mode change on a path that
reaches an inference forward pass (reported at the `.train()` call)."""
from __future__ import annotations

from typing import Iterator

from evalguard.analysis import TRAIN, FileAnalysis, code_of
from evalguard.rules import _flow
from evalguard.rules.base import Finding, Rule


class StrayTrain(Rule):
    code = "EG003"
    name = "stray-train"
    summary = "An explicit `.train()` is the last mode change before an inference forward pass."

    def check(self, analysis: FileAnalysis) -> Iterator[Finding]:
        seen: dict = {}
        for event in analysis.forwards:
            for visit in event.visits:
                if not visit.is_inference or not event.obj.is_module_like or (visit.target and not event.sensitive):
                    continue
                for fact in visit.modes:
                    if fact.kind == TRAIN and not fact.selected and fact.node is not None and fact.node not in seen:
                        seen[fact.node] = (fact, event, visit)
        for node, (fact, event, visit) in seen.items():
            forward_at = _flow.where(analysis, event.node, visit.stack)
            message = (
                f"`{fact.what}` leaves `{event.receiver}` in training mode for the inference forward pass "
                f"`{code_of(event.node)}` at {forward_at}{_flow.loop_note(analysis, fact, visit)} "
                f"({_flow.signals_text(visit)}); {_flow.layers_note(event)}. "
                "Call `.eval()` before inference (and `.train()` only where training resumes)."
            )
            related = [(event.node, "inference forward pass that runs in training mode")]
            related += _flow.visit_related(analysis, visit, message)
            yield Finding(node, message, _flow.severity(event), related)


RULE = StrayTrain()
