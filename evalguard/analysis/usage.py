"""What the code does with a forward pass's result, within the function that makes it.

A forward whose result reaches `.backward()` (through assignments, `loss = crit(out,
y)`, list appends, ...) is a training forward; if that backward only runs under an
`if` the forward is not under, it is a shared train/eval step ("mixed"); a result that
is the model's own loss dict (torchvision detectors in train mode) is a loss
computation; a result that goes to `argmax`/`topk`/`.numpy()`/`.tolist()` is used as a
prediction. `.detach()`, `.item()` and `.data` cut the flow: nothing behind them
reaches a backward pass.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Optional, Union

import libcst as cst

from evalguard.analysis import knowledge as K
from evalguard.analysis.names import dotted
from evalguard.analysis.walk import children, contains, prune_scopes, walk

TRAINING = "training"  # reaches backward, and the file steps an optimizer
GRADIENT = "gradient"  # reaches backward, no optimizer step (input gradients, FGSM)
MIXED = "mixed"  # reaches a backward that runs only under a condition
LOSS = "loss"  # the model returns its own loss (detector val loss in train mode)
RETURNED = "returned"  # handed back to the caller
DISCARDED = "discarded"  # the result is not used at all
PLAIN = "plain"

_BARRIERS = {"detach", "item", "data", "tolist", "numpy", "detach_"}
_COLLECT_METHODS = {"append", "extend", "add", "update", "insert", "put"}
_LOSS_NAME = re.compile(r"loss", re.I)

Scope = Union[cst.Module, cst.FunctionDef]


@dataclass
class Usage:
    kind: str
    prediction: bool = False
    backward: Optional[cst.CSTNode] = None


@dataclass
class _Stmt:
    node: cst.CSTNode
    targets: set[str]
    reads: set[str]  # names read outside barriers
    all_reads: set[str]  # every name read (a prediction may sit behind `.numpy()`)
    collects: set[str]  # receivers of .append(tainted) etc. (filled per query)
    backward_reads: list[tuple[cst.Call, set[str]]]
    returns: bool
    ifs: tuple[cst.If, ...]
    expr: Optional[cst.CSTNode] = None  # what to search: the header only, for compound statements
    blocks: tuple[int, ...] = ()  # the suites it sits in, outermost first (ids)
    loops: tuple[cst.CSTNode, ...] = ()  # the loops it sits in, outermost first
    index: int = 0  # position in program order


def read_names(node: Optional[cst.CSTNode], barriers: bool = True) -> set[str]:
    """Names an expression reads (not attribute names), ignoring with `barriers` those
    behind `x.detach()`, `x.item()`, `x.data`; lambdas are another scope."""
    names: set[str] = set()
    if node is None:
        return names
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, cst.Name):
            names.add(cur.value)
        elif isinstance(cur, cst.Attribute):
            if not (barriers and cur.attr.value in _BARRIERS):
                stack.append(cur.value)
        elif not isinstance(cur, cst.Lambda):
            stack.extend(children(cur))
    return names


def _target_names(target: cst.BaseExpression, mutated: bool = True) -> set[str]:
    """The names an assignment target binds; with `mutated`, also the objects it changes
    (`x` of `x[i] = ...`, `x.attr = ...`)."""
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        out: set[str] = set()
        for el in target.elements:
            out |= _target_names(el.value, mutated)
        return out
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value, mutated)
    if mutated and isinstance(target, (cst.Attribute, cst.Subscript)):
        root = target
        while isinstance(root, (cst.Attribute, cst.Subscript)):
            root = root.value
        return _target_names(root) if isinstance(root, cst.Name) else set()
    return set()


def _backward_calls(node: cst.CSTNode) -> list[tuple[cst.Call, set[str]]]:
    """`loss.backward()`, `scaler.scale(loss).backward()`, `accelerator.backward(loss)`,
    `self.manual_backward(loss)`, with the names that flow into each."""
    found = []
    for call in walk(node, prune=lambda n: isinstance(n, cst.Lambda)):
        if not isinstance(call, cst.Call):
            continue
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in ("backward", "manual_backward"):
            names = read_names(func.value) if func.attr.value == "backward" else set()
            for arg in call.args:
                names |= read_names(arg.value)
            # `accelerator.backward(loss)`: the receiver is not the loss
            if isinstance(func.value, cst.Name) and call.args and func.value.value in ("accelerator", "fabric", "self", "engine"):
                names = set().union(*(read_names(a.value) for a in call.args))
            found.append((call, names))
        elif _is_autograd_grad(call) and call.args:
            # `torch.autograd.grad(out, x)`: a backward pass for input gradients (saliency, PGD)
            found.append((call, read_names(call.args[0].value)))
    return found


def _is_autograd_grad(call: cst.Call) -> bool:
    return (dotted(call.func) or "").endswith("autograd.grad")


def _rebound(st: _Stmt) -> set[str]:
    """Names the statement binds anew (`x = ...`, `for x in`), not the objects it mutates
    (`x[i] = ...`, `x.attr = ...`, `x += ...`): only the former replace the value."""
    node = st.node
    if isinstance(node, cst.Assign):
        out: set[str] = set()
        for t in node.targets:
            out |= _target_names(t.target, mutated=False)
        return out
    if isinstance(node, cst.AnnAssign) and node.value is not None:
        return _target_names(node.target, mutated=False)
    if isinstance(node, cst.For):
        return _target_names(node.target, mutated=False)
    if isinstance(node, cst.With):
        out = set()
        for item in node.items:
            if item.asname is not None:
                out |= _target_names(item.asname.name, mutated=False)
        return out
    return set()


def _holds(k: _Stmt, s: _Stmt) -> bool:
    """`k` sits in a suite that holds `s` (the same one or an enclosing one)."""
    return s.blocks[:len(k.blocks)] == k.blocks


class _StatementCollector:
    """The simple statements of one scope (not of nested functions or classes), each
    with the `if`s, suites and loops it sits in."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.stmts: list[_Stmt] = []
        self.blocks: tuple[int, ...] = ()
        self.loops: tuple[cst.CSTNode, ...] = ()

    def collect(self, node: cst.CSTNode, ifs: tuple) -> None:
        if isinstance(node, (cst.ClassDef, cst.Lambda)) or (isinstance(node, cst.FunctionDef) and node is not self.scope):
            return
        if isinstance(node, (cst.BaseSuite, cst.Module)):
            outer = self.blocks
            self.blocks = outer + (id(node),)
            try:
                self._collect(node, ifs)
            finally:
                self.blocks = outer
            return
        self._collect(node, ifs)

    def _collect(self, node: cst.CSTNode, ifs: tuple) -> None:
        if isinstance(node, cst.If):
            self._header(node, node.test, ifs)
            self.collect(node.body, ifs + (node,))
            if node.orelse is not None:
                self.collect(node.orelse, ifs)
            return
        if isinstance(node, (cst.For, cst.While)):
            if isinstance(node, cst.For):
                self._header(node, node.iter, ifs, _target_names(node.target))
            else:
                self._header(node, node.test, ifs)
            outer = self.loops
            self.loops = outer + (node,)
            try:
                self.collect(node.body, ifs)
            finally:
                self.loops = outer
            if node.orelse is not None:
                self.collect(node.orelse, ifs)
            return
        if isinstance(node, cst.With):
            targets: set[str] = set()
            for item in node.items:
                if item.asname is not None:
                    targets |= _target_names(item.asname.name)
            self._header(node, cst.Tuple([cst.Element(i.item) for i in node.items]), ifs, targets)
        elif isinstance(node, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            for small in node.body:
                self._small(small, ifs)
            return
        for child in children(node):
            if isinstance(child, (cst.BaseSuite, cst.BaseStatement, cst.Else, cst.ExceptHandler, cst.Finally,
                                  cst.ExceptStarHandler, cst.MatchCase)):
                self.collect(child, ifs)

    def _header(self, node: cst.CSTNode, expr: cst.BaseExpression, ifs: tuple, targets: Optional[set[str]] = None) -> None:
        self._add(_Stmt(node, targets or set(), read_names(expr), read_names(expr, False), set(),
                        _backward_calls(expr), False, ifs, expr))

    def _add(self, stmt: _Stmt) -> None:
        stmt.blocks, stmt.loops, stmt.index = self.blocks, self.loops, len(self.stmts)
        self.stmts.append(stmt)

    def _small(self, small: cst.BaseSmallStatement, ifs: tuple) -> None:
        targets: set[str] = set()
        value: Optional[cst.CSTNode] = small
        returns = False
        if isinstance(small, cst.Assign):
            for t in small.targets:
                targets |= _target_names(t.target)
            value = small.value
        elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
            targets |= _target_names(small.target)
            value = small.value
        elif isinstance(small, cst.Return):
            returns = True
            value = small.value
        reads = read_names(value)
        if isinstance(small, cst.AugAssign):
            reads |= targets
        self._add(_Stmt(small, targets, reads, read_names(value, False), set(), _backward_calls(small),
                        returns, ifs, small))


class _PredictionUse:
    """Does an expression use `names` (or the forward call itself) as a prediction?"""

    def __init__(self, names: set[str], forward: cst.Call) -> None:
        self.names = names
        self.forward = forward

    def found_in(self, node: cst.CSTNode) -> bool:
        return any(isinstance(n, cst.Call) and self._predicts(n) for n in walk(node, prune=prune_scopes))

    def _predicts(self, node: cst.Call) -> bool:
        func = node.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if (method in K.PREDICTION_METHODS or (method == "max" and node.args)) and self._uses(func.value):
                return True
            if method in ("argmax", "max", "topk") and isinstance(func.value, cst.Name) and func.value.value == "torch":
                if node.args and self._uses(node.args[0].value):
                    return True
        # results written out: torch.save(preds, ...), np.save(path, out), writer.writerows(rows)
        name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        return bool(K.PREDICTION_CALLS.search(name)) and any(self._uses(a.value) for a in node.args)

    def _uses(self, expr: cst.CSTNode) -> bool:
        return contains(expr, self.forward) or bool(read_names(expr, False) & self.names)


class ScopeUsage:
    """Answers `classify(forward, stmt)` for forwards of one scope; built once per scope."""

    def __init__(self, scope: Scope, file_steps_optimizer: bool) -> None:
        collector = _StatementCollector(scope)
        collector.collect(scope.body if isinstance(scope, cst.FunctionDef) else scope, ())
        self.stmts = collector.stmts
        self.steps = file_steps_optimizer
        self._memo: dict[int, Usage] = {}
        self.defs: dict[str, list[_Stmt]] = {}  # the statements that re-bind each name
        for st in self.stmts:
            for name in _rebound(st):
                self.defs.setdefault(name, []).append(st)

    def classify(self, forward: cst.Call, stmt: Optional[cst.CSTNode]) -> Usage:
        key = id(forward)
        if key not in self._memo:
            self._memo[key] = self._classify(forward, stmt)
        return self._memo[key]

    def _find(self, stmt: Optional[cst.CSTNode], forward: cst.Call) -> Optional[_Stmt]:
        for s in self.stmts:
            if s.node is stmt:
                return s
        for s in self.stmts:
            if isinstance(s.node, cst.BaseSmallStatement) and contains(s.node, forward):
                return s
        return None

    def _classify(self, forward: cst.Call, stmt_node: Optional[cst.CSTNode]) -> Usage:
        home = self._find(stmt_node, forward)
        if home is None:
            return Usage(PLAIN)
        if isinstance(home.node, cst.Expr) and home.node.value is forward:
            return Usage(DISCARDED)  # run for its side effects (recomputing BatchNorm statistics, warm-up)
        # (name, statement that gave it the forward's result), followed along the paths
        # where no later assignment replaces it (`outputs` of a validation loop does not
        # reach the training step's `loss = crit(outputs, y)`, which re-assigns it first)
        tainted: dict[tuple[str, int], _Stmt] = {(n, home.index): home for n in home.targets}
        if isinstance(home.node, cst.Expr):
            tainted.update({(n, home.index): home for n in self._collectors(home.node, forward)})
        changed = True
        while changed:
            changed = False
            for s in self.stmts:
                live = self._live(tainted, s, s.reads)
                if not live:
                    continue
                new = set(s.targets)
                if isinstance(s.node, cst.Expr):
                    new |= self._collectors(s.node, None, live)
                for name in new:
                    if (name, s.index) not in tainted:
                        tainted[(name, s.index)] = s
                        changed = True
        names = {name for name, _ in tainted}
        backward = None
        conditional = False
        input_gradients_only = True
        for s in self.stmts:
            for call, read in s.backward_reads:
                if self._live(tainted, s, read) or contains(call, forward):
                    backward = call
                    input_gradients_only = input_gradients_only and _is_autograd_grad(call)
                    if any(if_node not in home.ifs for if_node in s.ifs):
                        conditional = True
        prediction = self._predicts(forward, names)
        if backward is None and self._is_model_loss(home, forward):
            return Usage(LOSS)
        if backward is not None:
            if conditional:
                return Usage(MIXED, prediction, backward)
            steps = self.steps and not input_gradients_only  # autograd.grad updates no weights
            return Usage(TRAINING if steps else GRADIENT, prediction, backward)
        if home.returns or any(s.returns and self._live(tainted, s, s.reads) for s in self.stmts):
            return Usage(RETURNED, prediction)
        return Usage(PLAIN, prediction)

    def _live(self, tainted: dict[tuple[str, int], _Stmt], use: _Stmt, reads: set[str]) -> set[str]:
        """The names in `reads` that still hold the forward's result at `use`."""
        return {name for (name, _), d in tainted.items() if name in reads and self._reaches(d, use, name)}

    def _reaches(self, d: _Stmt, u: _Stmt, name: str) -> bool:
        """Can the value that `d` assigned to `name` still be there when `u` runs? Not when
        an assignment to `name` sits between them on every path: before `u` in a suite
        that holds `u`, or (around a loop) after `d` in a suite that holds `d`."""
        killers = [k for k in self.defs.get(name, ()) if k is not d and k is not u]
        if d.index < u.index:
            return not any(d.index < k.index < u.index and _holds(k, u) for k in killers)
        common = [loop for loop in d.loops if loop in u.loops]
        if not common:
            return False  # `u` comes first and no loop leads back to it
        loop = common[-1]
        for k in killers:
            if loop not in k.loops:
                continue
            if (k.index < u.index and _holds(k, u)) or (k.index > d.index and _holds(k, d)):
                return False
        return True

    def _collectors(self, expr_stmt: cst.Expr, forward: Optional[cst.Call], tainted: Iterable[str] = ()) -> set[str]:
        """`outs.append(model(x))` taints `outs`."""
        value = expr_stmt.value
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value in _COLLECT_METHODS:
            recv = value.func.value
            if isinstance(recv, cst.Name):
                args_tainted = any(
                    (forward is not None and contains(a.value, forward)) or (read_names(a.value) & set(tainted))
                    for a in value.args
                )
                if args_tainted:
                    return {recv.value}
        return set()

    def _is_model_loss(self, home: _Stmt, forward: cst.Call) -> bool:
        node = home.node
        if isinstance(node, cst.Assign) and node.value is forward:
            # `loss_dict = model(images, targets)` (a detector in training mode returns its
            # losses); not `logits, loss = model(x, y)`, a model that also returns a loss
            return len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name) \
                and bool(_LOSS_NAME.search(node.targets[0].target.value))
        if isinstance(node, cst.AnnAssign) and node.value is forward:
            return isinstance(node.target, cst.Name) and bool(_LOSS_NAME.search(node.target.value))
        # sum(l for l in model(images, targets).values())
        return any(isinstance(n, cst.Attribute) and n.attr.value == "values" and n.value is forward
                   for n in walk(node, prune=prune_scopes))

    def _predicts(self, forward: cst.Call, tainted: set[str]) -> bool:
        finder = _PredictionUse(tainted, forward)
        for s in self.stmts:
            if (s.all_reads & tainted or contains(s.expr, forward)) and finder.found_in(s.expr):
                return True
        return False
