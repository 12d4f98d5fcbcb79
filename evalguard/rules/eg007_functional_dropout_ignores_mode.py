"""EG007 functional-dropout-ignores-mode: functional dropout inside an nn.Module method
that is not tied to `self.training`, so `model.eval()` does not turn it off."""
from __future__ import annotations

from typing import Iterator, Optional

import libcst as cst

from evalguard.analysis import NOT_CONSTANT, DropoutCall, FileAnalysis, code_of, constant, source_of, walk
from evalguard.fixes import SAFE, UNSAFE, Fix, NodeEdit
from evalguard.rules import _fixes
from evalguard.rules.base import ERROR, Finding, Rule

_DEFAULT_OFF = {"alpha_dropout", "feature_alpha_dropout"}  # these default to training=False


class FunctionalDropoutIgnoresMode(Rule):
    code = "EG007"
    name = "functional-dropout-ignores-mode"
    summary = "Functional dropout inside a module is not tied to `self.training`, so `.eval()` does not control it."
    tokens = ("dropout", "scaled_dot_product_attention")

    def check(self, analysis: FileAnalysis) -> Iterator[Finding]:
        for call in analysis.index.dropout_calls:
            if call.cls is None or not call.cls.is_module or call.function is None:
                continue
            if call.func == "scaled_dot_product_attention":
                finding = self._sdpa(call)
            else:
                finding = self._dropout(call)
            if finding is not None:
                yield finding

    def _dropout(self, call: DropoutCall) -> Optional[Finding]:
        node = call.node
        if _argument(node, "training", 2) is not None or _guarded_by_training(call):
            return None
        p = _argument(node, "p", 1)
        if p is not None and constant(p) in (0, 0.0):
            return None
        text = code_of(node.func)
        if call.func in _DEFAULT_OFF:
            message = (
                f"`{text}(...)` without `training=` defaults to `training=False`: it never drops anything, "
                "not even during training. Pass `training=self.training`."
            )
        else:
            message = (
                f"`{text}(...)` without `training=` defaults to `training=True`: this dropout stays active after "
                "`model.eval()`, so inference is random. Pass `training=self.training` (or use an `nn.Dropout` "
                "submodule)."
            )
        fix = Fix("Pass `training=self.training`",
                  [NodeEdit("replace", node, _fixes.call_with_keyword(node, "training", "self.training"))],
                  # alpha dropout defaults to off: tying it to the mode turns it on during training
                  UNSAFE if call.func in _DEFAULT_OFF else SAFE)
        return Finding(node, message, ERROR, fix=fix)

    def _sdpa(self, call: DropoutCall) -> Optional[Finding]:
        node = call.node
        p = _argument(node, "dropout_p", 4)
        if p is None or constant(p) in (0, 0.0) or _guarded_by_training(call):
            return None
        if not _ungated(p, call.function):
            return None
        message = (
            f"`dropout_p={code_of(p)}` is not gated on `self.training`: attention dropout stays active after "
            "`model.eval()`. Use `dropout_p=self.p if self.training else 0.0`."
        )
        gated = f"{source_of(p)} if self.training else 0.0"
        return Finding(node, message, ERROR,
                       fix=Fix("Gate `dropout_p` on `self.training`", [NodeEdit("replace", p, gated)]))


def _argument(node: cst.Call, keyword: str, position: int) -> Optional[cst.BaseExpression]:
    positional = [a for a in node.args if a.keyword is None and not a.star]
    for a in node.args:
        if a.keyword is not None and a.keyword.value == keyword:
            return a.value
    if len(positional) > position:
        return positional[position].value
    return None


def _mentions_training(node: cst.CSTNode) -> bool:
    """`self.training`, `module.training`, or a `training`/`is_training` flag."""
    for n in walk(node):
        if isinstance(n, cst.Attribute) and n.attr.value == "training":
            return True
        if isinstance(n, cst.Name) and n.value in ("training", "is_training", "train_mode"):
            return True
    return False


def _guarded_by_training(call: DropoutCall) -> bool:
    """Inside `if self.training:`, or after `if not self.training: return ...` (the call
    only runs in training mode)."""
    for test in call.guards:
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            continue
        if _mentions_training(test):
            return True
    return _after_eval_exit(call)


def _after_eval_exit(call: DropoutCall) -> bool:
    body = call.function.body
    for stmt in body.body if isinstance(body, cst.IndentedBlock) else ():
        if any(n is call.node for n in walk(stmt)):
            return False
        if (isinstance(stmt, cst.If) and stmt.orelse is None and isinstance(stmt.test, cst.UnaryOperation)
                and isinstance(stmt.test.operator, cst.Not) and _mentions_training(stmt.test.expression)
                and _exits(stmt.body)):
            return True
    return False


def _exits(block: cst.BaseSuite) -> bool:
    """The block ends in `return` or `raise`."""
    last = block.body[-1] if block.body else None
    if isinstance(last, cst.SimpleStatementLine):
        last = last.body[-1] if last.body else None
    return isinstance(last, (cst.Return, cst.Raise))


def _ungated(expr: cst.BaseExpression, function: cst.FunctionDef) -> bool:
    """True when `expr` is provably not tied to the training flag: an attribute such as
    `self.attn_p`, or a local only ever assigned such values. Parameters are passed in by
    a caller who may gate them; unknown forms stay silent."""
    if _mentions_training(expr):
        return False
    if isinstance(expr, cst.Attribute):
        return True
    if isinstance(expr, cst.Name):
        params = {p.name.value for p in (*function.params.params, *function.params.kwonly_params,
                                          *function.params.posonly_params)}
        if expr.value in params:
            return False
        values = _assigned_values(function, expr.value)
        return bool(values) and all(not _mentions_training(v) and isinstance(v, (cst.Attribute, cst.Float, cst.Integer))
                                    and constant(v) not in (0, 0.0) for v in values)
    return constant(expr) is not NOT_CONSTANT


def _assigned_values(function: cst.FunctionDef, name: str) -> list[cst.BaseExpression]:
    values: list[cst.BaseExpression] = []
    for n in walk(function.body):
        if isinstance(n, cst.Assign):
            if any(isinstance(t.target, cst.Name) and t.target.value == name for t in n.targets):
                values.append(n.value)
        elif isinstance(n, cst.AnnAssign) and isinstance(n.target, cst.Name) and n.target.value == name \
                and n.value is not None:
            values.append(n.value)
    return values


RULE = FunctionalDropoutIgnoresMode()
