"""EG004 frozen-batchnorm: a frozen (sub)module that contains BatchNorm runs in
training mode during training, so its running statistics drift."""
from __future__ import annotations

from typing import Iterator

import libcst as cst

from evalguard.analysis import describe, TRAIN, FileAnalysis, code_of
from evalguard.analysis import source_of
from evalguard.fixes import UNSAFE, Fix, NodeEdit
from evalguard.rules import _fixes, _flow
from evalguard.rules.base import ERROR, Finding, Rule


class FrozenBatchnorm(Rule):
    code = "EG004"
    name = "frozen-batchnorm"
    summary = "A frozen (sub)module containing BatchNorm runs in training mode, so its running statistics drift."
    tokens = _flow.FLOW_TOKENS

    def check(self, analysis: FileAnalysis) -> Iterator[Finding]:
        reported: set = set()
        for event in analysis.forwards:
            for visit in event.visits:
                for part in visit.frozen_parts:
                    if not part.has_bn or part.obj.moving:
                        continue  # no BatchNorm; or an EMA/momentum copy, whose weights do move
                    freeze = sorted(part.freezes, key=lambda f: analysis.line_of(f.node) or 0)[0]
                    trains = [f for f in part.modes if f.kind == TRAIN and f.node is not None]
                    if trains:
                        for fact in trains:
                            if fact.node in reported:
                                continue
                            reported.add(fact.node)
                            message = (
                                f"`{describe(fact)}` puts `{part.name}` back in training mode, but it is frozen "
                                f"({freeze.what} at line {analysis.line_of(freeze.node)}) and contains BatchNorm: "
                                f"its running statistics keep updating during training (forward pass at "
                                f"{_flow.where(analysis, event.node, visit.stack)}) although its weights never "
                                "change, so eval-time normalisation drifts. After `.train()`, put the frozen part "
                                "back in eval mode (or use FrozenBatchNorm2d / `track_running_stats=False`)."
                            )
                            related = [(freeze.node, "frozen here"), (event.node, "training forward pass")]
                            yield Finding(fact.node, message, ERROR, related, fix=_after_train(analysis, fact.node, part))
                    elif freeze.node not in reported:
                        reported.add(freeze.node)
                        message = (
                            f"`{part.name}` is frozen here but never put in eval mode: it contains BatchNorm "
                            f"and trains in the default training mode (forward pass at "
                            f"{_flow.where(analysis, event.node, visit.stack)}), so its running statistics keep "
                            f"updating although its weights never change. Call `{part.name}.eval()` after "
                            "every `.train()` of its parent (or use FrozenBatchNorm2d)."
                        )
                        yield Finding(freeze.node, message, ERROR, [(event.node, "training forward pass")],
                                      fix=_after_freeze(analysis, freeze))


def _after_train(analysis: FileAnalysis, train_call, part) -> Fix | None:
    """Right after `model.train()`, put the frozen part back in eval mode (for a model
    frozen by leaving it out of the optimizer: everything but the parts that train)."""
    if not (isinstance(train_call, cst.Call) and isinstance(train_call.func, cst.Attribute)) or part.path is None:
        return None
    recv = source_of(train_call.func.value)
    if part.path:
        lines = [f"{recv}.{'.'.join(part.path)}.eval()"]
    elif part.trained_paths:
        lines = [f"{recv}.eval()"] + [f"{recv}.{'.'.join(p)}.train()" for p in part.trained_paths]
    else:
        return None
    edit = _fixes.line_after(analysis, train_call, "\n".join(lines))
    return Fix("Keep the frozen part in eval mode after `.train()`", [edit], UNSAFE) if edit is not None else None


def _after_freeze(analysis: FileAnalysis, freeze) -> Fix | None:
    """After the freezing statement (after its `for p in m.parameters()` loop), put the
    frozen module in eval mode."""
    if not freeze.expr:
        return None
    anchor = freeze.node
    for a in analysis.ancestors(freeze.node):
        if isinstance(a, cst.For) and "parameters" in _fixes.code_of(a.iter, 200):
            anchor = a
        if isinstance(a, cst.FunctionDef):
            break
    edit = _fixes.line_after(analysis, anchor, f"{freeze.expr}.eval()")
    return Fix(f"Put `{freeze.expr}` in eval mode", [edit], UNSAFE) if edit is not None else None


RULE = FrozenBatchnorm()
