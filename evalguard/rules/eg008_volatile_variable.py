"""EG008 volatile-variable: `Variable(..., volatile=True)` has had no effect since
PyTorch 0.4; gradients are tracked."""
from __future__ import annotations

from typing import Iterator

import libcst as cst

from evalguard.analysis import FileAnalysis
from evalguard.analysis import source_of
from evalguard.fixes import Fix, NodeEdit
from evalguard.rules import _fixes
from evalguard.rules.base import WARNING, Finding, Rule


class VolatileVariable(Rule):
    code = "EG008"
    name = "volatile-variable"
    summary = "`Variable(..., volatile=True)` has had no effect since PyTorch 0.4; gradients are tracked."
    tokens = ("volatile",)

    def check(self, analysis: FileAnalysis) -> Iterator[Finding]:
        for node in analysis.index.volatile_calls:
            yield Finding(
                node,
                "`volatile=True` has been ignored since PyTorch 0.4 (it only warns): this does not turn off "
                "autograd, and `Variable` itself is a no-op wrapper. Drop the `Variable(...)` and run the "
                "inference under `with torch.inference_mode():` (or `torch.no_grad()`).",
                WARNING,
                fix=_self_assignment_fix(analysis, node) or _fix(node),
            )


def _self_assignment_fix(analysis: FileAnalysis, node) -> Fix | None:
    """`x = Variable(x, volatile=True)` does nothing at all: delete the line."""
    stmt = analysis.statement_of(node)
    if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Assign)):
        return None
    assign = stmt.body[0]
    args = [a for a in node.args if not (a.keyword is not None and a.keyword.value == "volatile")]
    if assign.value is not node or len(assign.targets) != 1 or len(args) != 1:
        return None
    target, arg = assign.targets[0].target, args[0].value
    if not (isinstance(target, cst.Name) and isinstance(arg, cst.Name) and target.value == arg.value):
        return None
    block = analysis.parent(stmt)
    if isinstance(block, cst.IndentedBlock) and len(block.body) == 1:
        return None
    return Fix("Delete the no-op `Variable(..., volatile=True)` line", [NodeEdit("delete_statement", stmt, "")])


def _fix(node) -> Fix:
    """`Variable(x, volatile=True)` is `x`; with other arguments, drop `volatile=`."""
    others = [a for a in node.args if not (a.keyword is not None and a.keyword.value == "volatile")]
    if len(others) == 1 and others[0].keyword is None and not others[0].star:
        return Fix("Remove the no-op `Variable(..., volatile=True)` wrapper",
                   [NodeEdit("replace", node, source_of(others[0].value))])
    return Fix("Remove `volatile=True`", [NodeEdit("replace", node, _fixes.call_without_keyword(node, "volatile"))])


RULE = VolatileVariable()
