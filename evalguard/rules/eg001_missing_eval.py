"""EG001 missing-eval: an inference forward pass may run while the module is still in
its default training mode (it was never put in eval mode on some path)."""
from __future__ import annotations

from typing import Iterator

from evalguard.analysis import FRESH, TRAIN, FileAnalysis, describe
from evalguard.rules import _flow
from evalguard.rules.base import Finding, Rule


class MissingEval(Rule):
    code = "EG001"
    name = "missing-eval"
    summary = "Inference forward pass may run while the module is still in training mode (no `.eval()` before it)."

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
            yield Finding(event.node, message, _flow.severity(event), related)


RULE = MissingEval()
